//! A fast PVE stub for load tests: fixed, PVE-shaped answers over TLS with API-token
//! authentication, and no work per request beyond comparing one header and looking up the
//! path in a map of answers serialized at start.
//!
//! It answers `GET` on `/version`, `/nodes`, `/cluster/resources`, `/cluster/status`,
//! `/nodes/{node}/status`, `/nodes/{node}/qemu` and `/nodes/{node}/qemu/{vmid}/status/current`
//! (under `/api2/json`), 401 without the configured token, and 501 for anything else. The
//! query string is ignored. Unlike [`FakePve`](crate::FakePve) it keeps no counters, logs
//! nothing and has no fault knobs, so that what a load test measures is the server in front
//! of it, not the upstream.

use crate::tls;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the stub serves.
#[derive(Debug, Clone)]
pub struct StubConfig {
    /// The token's user, `user@realm`.
    pub user: String,
    /// The token's name.
    pub token_id: String,
    /// The token's secret.
    pub secret: String,
    /// The cluster's node names.
    pub nodes: Vec<String>,
    /// How many guests (qemu VMs, VMIDs from 100) the cluster has, spread over the nodes.
    pub guests: u32,
}

impl Default for StubConfig {
    fn default() -> StubConfig {
        StubConfig {
            user: "root@pam".into(),
            token_id: "mcp".into(),
            secret: "00000000-0000-0000-0000-000000000000".into(),
            nodes: vec!["pve1".into(), "pve2".into(), "pve3".into()],
            guests: 30,
        }
    }
}

/// The answers, keyed by the path under `/api2/json`, and the expected token header.
struct Answers {
    by_path: HashMap<String, Bytes>,
    authorization: Vec<u8>,
}

/// A running stub. It stops when dropped.
pub struct Stub {
    addr: SocketAddr,
    ca_pem: String,
    fingerprint: String,
    shutdown: watch::Sender<bool>,
}

impl Stub {
    /// Starts a stub on `127.0.0.1` and an ephemeral port.
    pub async fn start(config: StubConfig) -> Stub {
        Stub::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await.expect("bind 127.0.0.1")
    }

    /// Starts a stub on `addr`, which must be a loopback address.
    pub async fn start_on(addr: SocketAddr, config: StubConfig) -> std::io::Result<Stub> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("the stub listens on loopback addresses only, not {addr}"),
            ));
        }
        let certs = tls::generate();
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let answers = Arc::new(answers(&config));
        let (shutdown, rx) = watch::channel(false);
        let acceptor = tokio_rustls::TlsAcceptor::from(certs.server_config.clone());
        tokio::spawn(accept_loop(listener, acceptor, answers, rx));
        let fingerprint = certs.fingerprint();
        Ok(Stub { addr, ca_pem: certs.ca_pem, fingerprint, shutdown })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA that signed the node certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The node certificate's SHA-256 fingerprint, `AA:BB:...`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn envelope(data: Value) -> Bytes {
    Bytes::from(json!({ "data": data }).to_string())
}

/// The guest with this VMID: which node it runs on and its status fields.
fn guest(config: &StubConfig, index: u32) -> (u32, &str, Value) {
    let vmid = 100 + index;
    let node = config.nodes[index as usize % config.nodes.len()].as_str();
    let running = index % 4 != 3;
    let status = json!({
        "vmid": vmid,
        "name": format!("vm{vmid}"),
        "status": if running { "running" } else { "stopped" },
        "qmpstatus": if running { "running" } else { "stopped" },
        "cpus": 2 + index % 3 * 2,
        "cpu": if running { 0.0123 + f64::from(index % 7) / 100.0 } else { 0.0 },
        "maxmem": 4_294_967_296u64,
        "mem": if running { 1_073_741_824u64 + u64::from(index) * 1_048_576 } else { 0 },
        "maxdisk": 34_359_738_368u64,
        "disk": 0,
        "uptime": if running { 86_400 + u64::from(index) * 3_600 } else { 0 },
        "netin": 123_456_789u64, "netout": 98_765_432u64,
        "diskread": 1_234_567_890u64, "diskwrite": 987_654_321u64,
        "pid": if running { json!(10_000 + index) } else { Value::Null },
        "ha": { "managed": 0 },
        "agent": 1,
        "tags": "stub;bench",
        "running-machine": "pc-i440fx-9.2+pve1",
        "running-qemu": "9.2.0",
    });
    (vmid, node, status)
}

fn node_status(name: &str, index: usize) -> Value {
    json!({
        "node": name, "id": format!("node/{name}"), "type": "node", "status": "online", "level": "",
        "cpu": 0.0421 + index as f64 / 100.0, "maxcpu": 16,
        "mem": 17_179_869_184u64, "maxmem": 68_719_476_736u64,
        "disk": 10_737_418_240u64, "maxdisk": 107_374_182_400u64,
        "uptime": 1_209_600 + index * 60,
        "ssl_fingerprint": "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
    })
}

fn answers(config: &StubConfig) -> Answers {
    let mut by_path = HashMap::new();
    by_path
        .insert("/version".to_owned(), envelope(json!({ "version": "9.2.1", "release": "9.2", "repoid": "stub0000" })));
    let nodes: Vec<Value> = config.nodes.iter().enumerate().map(|(i, n)| node_status(n, i)).collect();
    by_path.insert("/nodes".to_owned(), envelope(Value::Array(nodes.clone())));
    let guests: Vec<(u32, &str, Value)> = (0..config.guests).map(|i| guest(config, i)).collect();
    let mut resources = nodes.clone();
    for (vmid, node, status) in &guests {
        let mut r = status.clone();
        if let Some(o) = r.as_object_mut() {
            for key in ["qmpstatus", "cpus", "pid", "ha", "agent", "running-machine", "running-qemu"] {
                o.remove(key);
            }
            o.insert("id".into(), json!(format!("qemu/{vmid}")));
            o.insert("type".into(), json!("qemu"));
            o.insert("node".into(), json!(node));
            o.insert("maxcpu".into(), status["cpus"].clone());
            o.insert("template".into(), json!(0));
        }
        resources.push(r);
    }
    for node in &config.nodes {
        resources.push(json!({
            "id": format!("storage/{node}/local-lvm"), "type": "storage", "storage": "local-lvm", "node": node,
            "status": "available", "plugintype": "lvmthin", "content": "rootdir,images", "shared": 0,
            "disk": 21_474_836_480u64, "maxdisk": 429_496_729_600u64,
        }));
    }
    by_path.insert("/cluster/resources".to_owned(), envelope(Value::Array(resources)));
    let mut status = vec![
        json!({ "type": "cluster", "id": "cluster", "name": "stub", "nodes": config.nodes.len(), "quorate": 1, "version": 3 }),
    ];
    status.extend(config.nodes.iter().enumerate().map(|(i, n)| {
        json!({ "type": "node", "id": format!("node/{n}"), "name": n, "nodeid": i + 1, "online": 1, "local": i32::from(i == 0), "ip": format!("127.0.0.{}", i + 1), "level": "" })
    }));
    by_path.insert("/cluster/status".to_owned(), envelope(Value::Array(status)));
    for (i, node) in config.nodes.iter().enumerate() {
        by_path.insert(format!("/nodes/{node}/status"), envelope(node_status(node, i)));
        let on_node: Vec<Value> = guests.iter().filter(|(_, n, _)| n == node).map(|(_, _, s)| s.clone()).collect();
        by_path.insert(format!("/nodes/{node}/qemu"), envelope(Value::Array(on_node)));
    }
    for (vmid, node, status) in &guests {
        by_path.insert(format!("/nodes/{node}/qemu/{vmid}/status/current"), envelope(status.clone()));
    }
    let authorization = format!("PVEAPIToken={}!{}={}", config.user, config.token_id, config.secret).into_bytes();
    Answers { by_path, authorization }
}

/// PVE's answer shape for an error: the message in the reason phrase, `{"data": null}`.
fn failure(status: StatusCode, reason: &'static [u8]) -> Response<Body> {
    let mut response = Response::new(Body::from(Bytes::from_static(b"{\"data\":null}")));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
    response.extensions_mut().insert(hyper::ext::ReasonPhrase::from_static(reason));
    response
}

fn answer(answers: &Answers, req: &Request<hyper::body::Incoming>) -> Response<Body> {
    let authorized =
        req.headers().get(header::AUTHORIZATION).is_some_and(|v| v.as_bytes() == answers.authorization.as_slice());
    if !authorized {
        return failure(StatusCode::UNAUTHORIZED, b"authentication failure");
    }
    let found = match (req.method(), req.uri().path().strip_prefix("/api2/json")) {
        (&Method::GET, Some(path)) => answers.by_path.get(path),
        _ => None,
    };
    match found {
        Some(body) => {
            let mut response = Response::new(Body::from(body.clone()));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=UTF-8"));
            response
        }
        None => failure(StatusCode::NOT_IMPLEMENTED, b"Method not implemented"),
    }
}

/// Serves the fixed answers over TLS.
async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    answers: Arc<Answers>,
    shutdown: watch::Receiver<bool>,
) {
    // Answers are written in one go, but the handshake is not: no Nagle delays.
    let accepted = |tcp: &tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    };
    let serve = move |tls| {
        let answers = answers.clone();
        async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let response = answer(&answers, &req);
                async move { Ok::<_, std::convert::Infallible>(response) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        }
    };
    tls::accept_loop(listener, acceptor, shutdown, accepted, serve).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guest_has_a_status_and_the_lists_hold_them_all() {
        let config = StubConfig { guests: 7, ..StubConfig::default() };
        let a = answers(&config);
        for vmid in 100..107 {
            let node = &config.nodes[(vmid - 100) % 3];
            let body = &a.by_path[&format!("/nodes/{node}/qemu/{vmid}/status/current")];
            let v: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(v["data"]["vmid"], json!(vmid));
        }
        let resources: Value = serde_json::from_slice(&a.by_path["/cluster/resources"]).unwrap();
        let kinds: Vec<&str> =
            resources["data"].as_array().unwrap().iter().map(|r| r["type"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "qemu").count(), 7);
        assert_eq!(kinds.iter().filter(|k| **k == "node").count(), 3);
        let on_pve1: Value = serde_json::from_slice(&a.by_path["/nodes/pve1/qemu"]).unwrap();
        assert_eq!(on_pve1["data"].as_array().unwrap().len(), 3);
        assert_eq!(a.authorization, b"PVEAPIToken=root@pam!mcp=00000000-0000-0000-0000-000000000000");
    }

    #[tokio::test]
    async fn refuses_to_listen_beyond_loopback() {
        let err = Stub::start_on(SocketAddr::from(([0, 0, 0, 0], 0)), StubConfig::default()).await.err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
