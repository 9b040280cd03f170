//! The cluster manager: one shared client per configured cluster, created on first use.

use super::client::{ClientOptions, PveClient};
use super::error::Error;
use crate::config::{Config, Credentials, TlsMode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the server may tell about a cluster (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The name calls use.
    pub name: String,
    /// The nodes' addresses (`host:port`).
    pub nodes: Vec<String>,
    /// Used when a call names no cluster.
    pub is_default: bool,
    /// Writes are refused.
    pub read_only: bool,
    /// `user@realm`.
    pub user: String,
    /// `token` or `password`.
    pub auth: &'static str,
    /// `verified`, `pinned` or `unverified`.
    pub tls: &'static str,
}

/// Holds the clients of all configured clusters; shared by every session.
pub struct ClusterManager {
    config: Config,
    options: ClientOptions,
    clients: Mutex<HashMap<String, Arc<PveClient>>>,
}

impl ClusterManager {
    /// A manager over the configured clusters, with default client options.
    pub fn new(config: Config) -> ClusterManager {
        ClusterManager::with_options(config, ClientOptions::default())
    }

    /// A manager whose clients use these options.
    pub fn with_options(config: Config, options: ClientOptions) -> ClusterManager {
        ClusterManager { config, options, clients: Mutex::new(HashMap::new()) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The client for `name`, or for the default cluster when `name` is `None`.
    pub fn resolve(&self, name: Option<&str>) -> Result<Arc<PveClient>, Error> {
        let configured = || self.config.names().into_iter().map(str::to_owned).collect::<Vec<_>>();
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n,
            None => {
                self.config.default_cluster().ok_or_else(|| Error::NoDefaultCluster { configured: configured() })?
            }
        };
        let cluster = self
            .config
            .cluster(name)
            .ok_or_else(|| Error::UnknownCluster { name: name.to_owned(), configured: configured() })?;
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(name) {
            return Ok(client.clone());
        }
        let client = Arc::new(PveClient::with_options(cluster, self.options)?);
        clients.insert(name.to_owned(), client.clone());
        Ok(client)
    }

    /// The configured clusters, by name.
    pub fn clusters(&self) -> Vec<ClusterInfo> {
        let default = self.config.default_cluster();
        self.config
            .clusters()
            .map(|c| ClusterInfo {
                name: c.name.clone(),
                nodes: c.nodes.iter().map(ToString::to_string).collect(),
                is_default: default == Some(c.name.as_str()),
                read_only: c.read_only,
                user: c.credentials.user().to_owned(),
                auth: match c.credentials {
                    Credentials::Token { .. } => "token",
                    Credentials::Password { .. } => "password",
                },
                tls: match c.tls {
                    TlsMode::Verified { .. } => "verified",
                    TlsMode::Pinned(_) => "pinned",
                    TlsMode::Insecure => "unverified",
                },
            })
            .collect()
    }
}
