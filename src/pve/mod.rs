//! The Proxmox VE HTTP client.
//!
//! - [`PveClient`]: one cluster: API tokens or password tickets (with CSRF tokens and
//!   renewal), TLS verified / pinned / unverified, failover between nodes, safe retries.
//! - [`Error`]: every failure, with PVE's message and whether a retry is safe.
//! - [`wait_for_task`]: follow a task (UPID) to its end.
//! - [`ClusterManager`]: one shared client per configured cluster.

mod auth;
mod client;
mod error;
mod manager;
mod response;
mod task;
mod tls;

pub use auth::TicketPolicy;
pub use client::{ApiRequest, ClientOptions, PveClient};
pub use error::{AuthFailure, Error, NodeFailure, render_permissions};
pub use manager::{ClusterInfo, ClusterManager};
pub use task::{TaskOutcome, TaskProgress, TaskState, Upid, UpidError, WaitOptions, wait_for_task, wait_for_task_with};

/// The TLS client configuration the client uses for a cluster (verified, pinned or
/// unverified, as configured), for tools that talk to the same nodes, such as the load
/// generator's direct baseline.
pub fn tls_config(cluster: &crate::config::ClusterConfig) -> Result<rustls::ClientConfig, String> {
    tls::client_config(cluster)
}
