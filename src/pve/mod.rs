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
