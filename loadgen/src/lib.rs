//! loadgen: drives proxmox-mcp with concurrent MCP sessions and measures it.
//!
//! - [`run`]: C sessions over legacy SSE or Streamable HTTP, each making N tool calls, or
//!   the same number of plain GETs straight to the upstream ([`direct`]), the physical
//!   limit of the same run; calls per second and latency percentiles.
//! - [`idle`]: many idle sessions held open, for the memory an idle session costs.
//! - [`startup`]: from spawning the server to its `tools/list` answer.
//! - [`mcp`]: the MCP client side of both HTTP transports; [`sse`]: event-stream parsing.
//!
//! The fast upstream stub it is measured against is `fake_pve::stub`, served by the
//! `pve-stub` binary of this crate.
#![warn(missing_docs)]

pub mod direct;
pub mod idle;
pub mod mcp;
pub mod procfs;
pub mod run;
pub mod sse;
pub mod startup;

/// The multi-threaded runtime both binaries run on, with `threads` workers (at least one).
pub fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(threads.max(1)).enable_all().build()
}
