//! The MCP server in-process against the fake PVE, driven by real MCP client code over each
//! transport: rmcp's client for Streamable HTTP and stdio, a small SSE client here.

mod refusals;
mod sessions;
mod sse;
mod sse_client;
mod stdio;
mod streamable;

use fake_pve::FakePve;
use proxmox_mcp::config::{Config, Env};
use proxmox_mcp::pve::ClusterManager;
use proxmox_mcp::server::metrics::Metrics;
use proxmox_mcp::server::security::Security;
use proxmox_mcp::server::{AppParts, HttpOptions, app, serve};
use proxmox_mcp::tools::{App, ProxmoxMcp};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::support::{PASSWORD, TOKEN_SECRET};

/// How to start the server.
#[derive(Clone, Default)]
pub struct Setup {
    /// Bearer tokens clients must send.
    pub tokens: Vec<String>,
    /// HTTP limits.
    pub http: HttpOptions,
    /// `MCP_ALLOWED_ORIGINS`.
    pub origins: Option<String>,
}

/// Two fake clusters and the server in front of them.
pub struct Harness {
    /// Cluster `lab`: token auth, the default, with a deny rule.
    pub lab: FakePve,
    /// Cluster `prod`: password auth, read-only.
    pub prod: FakePve,
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The clusters file (for the stdio child process).
    pub config_path: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The clusters file for two fakes.
pub fn clusters_json(lab: &FakePve, prod: &FakePve) -> Value {
    json!({
        "clusters": {
            "lab": {
                "url": lab.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET,
                "fingerprint": lab.fingerprint(), "default": true, "timeout_s": 5,
                "deny": ["DELETE /nodes/*/qemu/*"]
            },
            "prod": {
                "url": prod.url(), "user": "root@pam", "password": PASSWORD,
                "fingerprint": prod.fingerprint(), "read_only": true, "timeout_s": 5
            }
        }
    })
}

impl Harness {
    /// Starts with the default setup.
    pub async fn start() -> Harness {
        Harness::start_with(Setup::default()).await
    }

    /// Starts with `setup`.
    pub async fn start_with(setup: Setup) -> Harness {
        install_crypto();
        let (lab, prod) = (FakePve::start().await, FakePve::start().await);
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("clusters.json");
        std::fs::write(&config_path, clusters_json(&lab, &prod).to_string()).unwrap();
        let config =
            Config::load_with(Some(&config_path), &Env::new(dir.path(), Vec::<(String, String)>::new())).unwrap();
        let metrics = Arc::new(Metrics::default());
        let state = App::new(Some(Arc::new(ClusterManager::new(config))), false, metrics.clone());
        let (hosts, origins) = Security::parse_lists(None, setup.origins.as_deref()).unwrap();
        let security = Arc::new(Security::new(hosts, origins, &setup.tokens));
        let shutdown = CancellationToken::new();
        let factory: Arc<dyn Fn() -> ProxmoxMcp + Send + Sync> = Arc::new(move || ProxmoxMcp::new(state.clone()));
        let (router, _hub) = app(AppParts {
            factory,
            security,
            metrics: metrics.clone(),
            options: setup.http,
            shutdown: shutdown.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, router, shutdown.clone()));
        Harness { lab, prod, addr, config_path, _dir: dir, shutdown }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Installs ring as rustls' process-wide provider, which plain reqwest clients need.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The text of a tool result's first content block.
pub fn text_of(result: &rmcp::model::CallToolResult) -> String {
    result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default()
}

/// Requests the fake saw for `METHOD /path` (after /api2/json).
pub fn seen(fake: &FakePve, what: &str) -> u64 {
    fake.counters().requests.get(what).copied().unwrap_or(0)
}
