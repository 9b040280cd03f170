//! fake-pve: an in-process fake of the Proxmox VE API, served over TLS on 127.0.0.1, for
//! proxmox-mcp's tests; [`stub`] is a fast upstream stub for load tests.
//!
//! It speaks PVE's envelope (`{"data": ...}`, errors with the message in the reason phrase
//! and per-parameter `errors`), authenticates API tokens and password tickets (with CSRF
//! checks on writes and a configurable ticket lifetime), serves `/version`, `/nodes`,
//! `/cluster/resources`, `/cluster/status`, a guest start that returns a UPID and the task's
//! status and log, and answers 501 for everything else. Faults (delay, hang, drop the
//! connection, PVE errors, HTML pages) can be injected per path, for a number of requests.
//! Counters tell what reached it: connections, handshakes, logins, requests per path and
//! whether they carried credentials.
//!
//! Everything binds to 127.0.0.1 on an ephemeral port and stops when its handle is dropped.

mod api;
mod state;
pub mod stub;
mod tls;

pub use state::{Counters, FakeConfig, Fault, FaultAction, Seen, TaskPlan};

use state::{State, lock};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

/// A running fake PVE node.
pub struct FakePve {
    addr: SocketAddr,
    ca_pem: String,
    fingerprint: String,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
}

impl FakePve {
    /// Starts a fake with the default configuration.
    pub async fn start() -> FakePve {
        FakePve::start_with(FakeConfig::default()).await
    }

    /// Starts a fake with this configuration.
    pub async fn start_with(config: FakeConfig) -> FakePve {
        let certs = tls::generate();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State::new(config));
        let (shutdown, rx) = watch::channel(false);
        let acceptor = tokio_rustls::TlsAcceptor::from(certs.server_config.clone());
        tokio::spawn(accept_loop(listener, acceptor, api::router(state.clone()), state.clone(), rx));
        let fingerprint = certs.fingerprint();
        FakePve { addr, ca_pem: certs.ca_pem, fingerprint, state, shutdown }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// The CA that signed the node certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The node certificate's SHA-256 fingerprint, `AA:BB:...`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// A snapshot of the counters.
    pub fn counters(&self) -> Counters {
        lock(&self.state.counters).clone()
    }

    /// Adds a fault; the first matching fault applies.
    pub fn fault(&self, fault: Fault) {
        lock(&self.state.faults).push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// How tasks started from now on end.
    pub fn set_task_plan(&self, plan: TaskPlan) {
        lock(&self.state.config).task = plan;
    }

    /// Changes the configuration (users, tokens, ticket lifetime, ...) while running.
    pub fn configure(&self, change: impl FnOnce(&mut FakeConfig)) {
        change(&mut lock(&self.state.config));
    }
}

impl Drop for FakePve {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Serves the API router over TLS; a request may end its own connection (`api::ConnKill`).
async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    router: axum::Router,
    state: Arc<State>,
    shutdown: watch::Receiver<bool>,
) {
    let counted = state.clone();
    let accepted = move |_: &tokio::net::TcpStream| lock(&counted.counters).connections += 1;
    let serve = move |tls| {
        let (router, state) = (router.clone(), state.clone());
        async move {
            lock(&state.counters).handshakes += 1;
            let kill = Arc::new(Notify::new());
            let conn_kill = kill.clone();
            let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(api::ConnKill(conn_kill.clone()));
                let mut router = router.clone();
                async move { tower_service::Service::call(&mut router, req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
            }
        }
    };
    tls::accept_loop(listener, acceptor, shutdown, accepted, serve).await;
}

/// A TCP listener on 127.0.0.1 that accepts connections and never says anything: a node
/// that hangs before TLS.
pub struct SilentListener {
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
    shutdown: watch::Sender<bool>,
}

impl SilentListener {
    /// Starts listening.
    pub async fn start() -> SilentListener {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let accepted = Arc::new(AtomicU64::new(0));
        let (shutdown, mut rx) = watch::channel(false);
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    r = listener.accept() => if let Ok((socket, _)) = r {
                        count.fetch_add(1, Ordering::SeqCst);
                        held.push(socket);
                        if held.len() > 256 {
                            held.remove(0);
                        }
                    },
                    _ = tokio::time::sleep(Duration::from_secs(60)) => return,
                    _ = rx.changed() => return,
                }
            }
        });
        SilentListener { addr, accepted, shutdown }
    }

    /// `127.0.0.1:PORT`.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// `127.0.0.1:PORT` of a port that was just free: connections to it are refused.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("local address").to_string()
}
