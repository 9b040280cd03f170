//! proxmox-mcp: an MCP server that lets AI assistants operate Proxmox VE clusters, with every
//! call validated against the real Proxmox API schema before it is sent.
//!
//! The binary (`src/main.rs`) is only the command line; everything else is here:
//! - [`schema`]: the generated API tables, path resolution, validation and discovery.
//! - [`config`]: `clusters.json` and the environment, validated with clear errors.
//! - [`pve`]: the Proxmox VE HTTP client: authentication, TLS, failover, errors, tasks.
//! - [`cli`]: the offline `api` commands.
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod policy;
pub mod pve;
pub mod schema;
pub mod server;
pub mod tools;
