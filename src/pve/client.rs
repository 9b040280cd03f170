//! The HTTP client of one cluster: requests, failover between nodes, retries, and the
//! mapping of PVE's answers to data or [`Error`].

use super::auth::{Ticket, TicketAuth, TicketPolicy, token_header};
use super::error::{AuthFailure, Error, NodeFailure, render_permissions};
use super::response::{Answer, Decoded, canonical, decode};
use super::tls;
use crate::config::{ClusterConfig, Credentials, NodeAddr, TlsMode};
use crate::schema::types::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderName, HeaderValue};
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One call of the PVE API.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    /// The HTTP method.
    pub method: Method,
    /// Already percent-encoded API path starting with '/', without the /api2/json prefix.
    pub path: &'a str,
    /// Wire-encoded parameters: sent as the query string for GET/DELETE and as an
    /// application/x-www-form-urlencoded body for POST/PUT. Repeated keys are allowed.
    pub params: &'a [(String, String)],
    /// The endpoint's `permissions` JSON text, for 403 messages.
    pub permissions: Option<&'a str>,
}

impl<'a> ApiRequest<'a> {
    /// A call without parameters.
    pub fn new(method: Method, path: &'a str) -> ApiRequest<'a> {
        ApiRequest { method, path, params: &[], permissions: None }
    }

    /// With these parameters.
    pub fn params(self, params: &'a [(String, String)]) -> ApiRequest<'a> {
        ApiRequest { params, ..self }
    }

    /// With the endpoint's `permissions` JSON text.
    pub fn permissions(self, permissions: &'a str) -> ApiRequest<'a> {
        ApiRequest { permissions: Some(permissions), ..self }
    }
}

/// Tuning that the configuration file does not carry.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Ticket lifetime and renewal margin (password logins).
    pub ticket: TicketPolicy,
    /// Time allowed to connect (TCP and TLS) to one node; 10 s by default, and never more
    /// than half the cluster's timeout.
    pub connect_timeout: Option<Duration>,
    /// The largest answer accepted.
    pub max_body_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions { ticket: TicketPolicy::default(), connect_timeout: None, max_body_bytes: 64 << 20 }
    }
}

enum Auth {
    Token(HeaderValue),
    Ticket(TicketAuth),
}

/// A client of one PVE cluster. Cheap to share (`Arc`); connections are pooled.
pub struct PveClient {
    cluster: ClusterConfig,
    /// `https://host:port/api2/json` of each node, parsed once: a request only sets the
    /// path and query on a copy.
    bases: Vec<reqwest::Url>,
    http: reqwest::Client,
    preferred: AtomicUsize,
    auth: Auth,
    version: tokio::sync::OnceCell<String>,
    max_body: usize,
}

impl std::fmt::Debug for PveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PveClient").field("cluster", &self.cluster.name).field("nodes", &self.cluster.nodes).finish()
    }
}

/// A request ready to send to any node.
struct Outgoing<'a> {
    method: Method,
    path: &'a str,
    query: String,
    body: Option<Vec<u8>>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

const CSRF_HEADER: HeaderName = HeaderName::from_static("csrfpreventiontoken");

impl PveClient {
    /// A client for the cluster, with default options.
    pub fn new(cluster: &ClusterConfig) -> Result<PveClient, Error> {
        PveClient::with_options(cluster, ClientOptions::default())
    }

    /// A client for the cluster.
    pub fn with_options(cluster: &ClusterConfig, options: ClientOptions) -> Result<PveClient, Error> {
        let setup = |reason: String| Error::Setup { cluster: cluster.name.clone(), reason };
        let tls_config = tls::client_config(cluster).map_err(setup)?;
        if matches!(cluster.tls, TlsMode::Insecure) {
            tracing::warn!(
                cluster = %cluster.name,
                "TLS certificates are not verified (verify_ssl: false): anyone on the path could read the credentials; \
                 set \"fingerprint\" or \"ca_file\" instead"
            );
        }
        // Shorter than the total timeout, so that a node that does not answer the handshake
        // counts as unreachable (nothing sent; try the next) rather than as a timed-out request.
        let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(10)).min(cluster.timeout / 2);
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config)
            .connect_timeout(connect_timeout)
            .timeout(cluster.timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            .pool_max_idle_per_host(16)
            .tcp_keepalive(Duration::from_secs(30))
            .http1_only()
            .no_proxy()
            .user_agent(concat!("proxmox-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| setup(format!("cannot build the HTTP client: {e}")))?;
        let auth = match &cluster.credentials {
            Credentials::Token { user, token_id, secret } => {
                Auth::Token(token_header(user, token_id, secret).map_err(setup)?)
            }
            Credentials::Password { user, password } => {
                Auth::Ticket(TicketAuth::new(user.clone(), password.clone(), options.ticket))
            }
        };
        let bases = cluster
            .nodes
            .iter()
            .map(|n| {
                reqwest::Url::parse(&format!("{}/api2/json", n.base_url())).map_err(|e| setup(format!("node {n}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PveClient {
            cluster: cluster.clone(),
            bases,
            http,
            preferred: AtomicUsize::new(0),
            auth,
            version: tokio::sync::OnceCell::new(),
            max_body: options.max_body_bytes,
        })
    }

    /// The cluster's name.
    pub fn name(&self) -> &str {
        &self.cluster.name
    }

    /// The cluster's configuration.
    pub fn cluster(&self) -> &ClusterConfig {
        &self.cluster
    }

    /// The node calls go to first: the last one that answered.
    pub fn current_node(&self) -> &NodeAddr {
        &self.cluster.nodes[self.preferred.load(Ordering::Relaxed) % self.cluster.nodes.len()]
    }

    /// `GET path` without parameters.
    pub async fn get(&self, path: &str) -> Result<Value, Error> {
        self.call(&ApiRequest::new(Method::Get, path)).await
    }

    /// Sends one API call and returns PVE's `data`, parsed.
    pub async fn call(&self, req: &ApiRequest<'_>) -> Result<Value, Error> {
        let raw = self.call_raw(req).await?;
        serde_json::from_str(raw.get()).map_err(|e| Error::InvalidResponse {
            cluster: self.cluster.name.clone(),
            node: self.current_node().to_string(),
            method: req.method,
            status: 200,
            summary: format!("the answer's data cannot be read: {e}"),
        })
    }

    /// Sends one API call and returns PVE's `data` as the JSON text it came in (checked,
    /// not parsed), for callers that pass it on.
    ///
    /// Connection failures move on to the next node; a GET is retried once after any
    /// transport failure; a write is never repeated once it may have been sent. With a
    /// password login, a 401 leads to one new login and one repetition (PVE refused the
    /// call before acting on it).
    pub async fn call_raw(&self, req: &ApiRequest<'_>) -> Result<Box<RawValue>, Error> {
        let started = Instant::now();
        let encoded = form(req.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let (query, body) = match req.method {
            Method::Get | Method::Delete => (encoded, None),
            Method::Post | Method::Put => (String::new(), Some(encoded.into_bytes())),
        };
        let mut logged_in_again = false;
        loop {
            let mut headers = Vec::new();
            let mut generation = None;
            match &self.auth {
                Auth::Token(h) => headers.push((AUTHORIZATION, h.clone())),
                Auth::Ticket(ticket_auth) => {
                    let ticket = ticket_auth.ticket(|| self.login(ticket_auth)).await?;
                    headers.push((COOKIE, ticket.cookie.clone()));
                    if req.method != Method::Get {
                        headers.push((CSRF_HEADER, ticket.csrf.clone()));
                    }
                    generation = Some(ticket.generation());
                }
            }
            let out =
                Outgoing { method: req.method, path: req.path, query: query.clone(), body: body.clone(), headers };
            let (answer, node) = self.exchange(&out).await?;
            if answer.status == 401
                && let (Auth::Ticket(ticket_auth), Some(generation), false) = (&self.auth, generation, logged_in_again)
            {
                tracing::info!(cluster = %self.cluster.name, "PVE refused the ticket; logging in again");
                ticket_auth.invalidate(generation).await;
                logged_in_again = true;
                continue;
            }
            tracing::debug!(
                cluster = %self.cluster.name,
                node = %self.cluster.nodes[node],
                method = %req.method,
                path = req.path,
                status = answer.status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "PVE call"
            );
            return self.finish(req, answer, node).await;
        }
    }

    /// Turns an answer into `data` or an error.
    async fn finish(&self, req: &ApiRequest<'_>, answer: Answer, node: usize) -> Result<Box<RawValue>, Error> {
        let cluster = self.cluster.name.clone();
        let node_addr = self.cluster.nodes[node].to_string();
        let (message, errors) = match decode(&answer) {
            Decoded::Data(v) => return Ok(v),
            Decoded::Failure { message, errors } => (message, errors),
            Decoded::NotJson { summary } => match answer.status {
                401 | 403 | 501 | 595 | 596 => (format!("{} ({summary})", canonical(answer.status)), Vec::new()),
                status => {
                    return Err(Error::InvalidResponse {
                        cluster,
                        node: node_addr,
                        method: req.method,
                        status,
                        summary,
                    });
                }
            },
        };
        let token = matches!(self.auth, Auth::Token(_));
        Err(match answer.status {
            401 => Error::Unauthorized { cluster, failure: AuthFailure::classify(&message, token), message },
            403 => Error::Forbidden { cluster, message, required: req.permissions.and_then(render_permissions), token },
            501 => {
                let version = if req.path == "/version" { None } else { self.version().await };
                Error::NotImplemented { cluster, method: req.method, path: req.path.to_owned(), message, version }
            }
            status @ (595 | 596) => {
                let target = req
                    .path
                    .strip_prefix("/nodes/")
                    .and_then(|rest| rest.split('/').next())
                    .filter(|n| !n.is_empty())
                    .map_or_else(|| self.cluster.nodes[node].host.clone(), str::to_owned);
                Error::NodeUnreachable { cluster, status, node: target, via: node_addr, method: req.method, message }
            }
            status => Error::Api { cluster, status, method: req.method, path: req.path.to_owned(), message, errors },
        })
    }

    /// The server's version (`GET /version`), read once and cached; `None` if it cannot be
    /// read (a failure is not cached).
    pub async fn version(&self) -> Option<String> {
        self.version
            .get_or_try_init(|| async {
                let v = Box::pin(self.get("/version")).await.map_err(|_| ())?;
                let version = v.get("version").and_then(Value::as_str).ok_or(())?;
                Ok::<_, ()>(match v.get("release").and_then(Value::as_str) {
                    Some(r) if !version.starts_with(r) => format!("PVE {version} (release {r})"),
                    _ => format!("PVE {version}"),
                })
            })
            .await
            .ok()
            .cloned()
    }

    /// Logs in with the password and returns the ticket.
    async fn login(&self, auth: &TicketAuth) -> Result<Ticket, Error> {
        tracing::debug!(cluster = %self.cluster.name, user = %auth.user, "logging in for a ticket");
        let body = form([("username", auth.user.as_str()), ("password", auth.password.expose())]).into_bytes();
        let out = Outgoing {
            method: Method::Post,
            path: "/access/ticket",
            query: String::new(),
            body: Some(body),
            headers: Vec::new(),
        };
        let (answer, node) = self.exchange(&out).await?;
        let req = ApiRequest::new(Method::Post, "/access/ticket");
        let data: Value = match self.finish(&req, answer, node).await {
            Ok(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Err(Error::Unauthorized { cluster, message, failure }) => {
                let failure = if failure == AuthFailure::PasswordOther { AuthFailure::Password } else { failure };
                return Err(Error::Unauthorized { cluster, failure, message });
            }
            Err(e) => return Err(e),
        };
        if data.get("NeedTFA").is_some_and(|v| v.as_i64() == Some(1) || v.as_bool() == Some(true)) {
            return Err(Error::Unauthorized {
                cluster: self.cluster.name.clone(),
                failure: AuthFailure::TwoFactor,
                message: "second factor required".into(),
            });
        }
        let field = |name: &str| data.get(name).and_then(Value::as_str);
        let invalid = |summary: String| Error::InvalidResponse {
            cluster: self.cluster.name.clone(),
            node: self.cluster.nodes[node].to_string(),
            method: Method::Post,
            status: 200,
            summary,
        };
        match (field("ticket"), field("CSRFPreventionToken")) {
            (Some(t), Some(c)) => Ticket::new(t, c).map_err(invalid),
            _ => Err(invalid("the login answer has no ticket or CSRFPreventionToken".into())),
        }
    }

    /// Sends the request to the preferred node, failing over on connection failures, and
    /// reads the whole answer. Returns the answer and the index of the node that gave it.
    async fn exchange(&self, out: &Outgoing<'_>) -> Result<(Answer, usize), Error> {
        let nodes = &self.cluster.nodes;
        let start = self.preferred.load(Ordering::Relaxed) % nodes.len();
        let is_get = out.method == Method::Get;
        let attempts = nodes.len() + usize::from(is_get);
        let mut failures = Vec::new();
        let mut certificate = None;
        let mut repeated = false;
        for attempt in 0..attempts {
            let idx = (start + attempt) % nodes.len();
            let node = &nodes[idx];
            match self.attempt(out, idx).await {
                Ok(answer) => {
                    if idx != start {
                        tracing::info!(cluster = %self.cluster.name, node = %node, "switched to node");
                        self.preferred.store(idx, Ordering::Relaxed);
                    }
                    return Ok((answer, idx));
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Certificate(reason)) => {
                    tracing::warn!(cluster = %self.cluster.name, node = %node, reason = %reason, "certificate refused");
                    failures.push(NodeFailure { node: node.to_string(), reason: "certificate refused".into() });
                    certificate.get_or_insert(Error::Certificate {
                        cluster: self.cluster.name.clone(),
                        node: node.to_string(),
                        reason,
                    });
                }
                Err(Failure::NotSent(reason)) => {
                    tracing::warn!(cluster = %self.cluster.name, node = %node, reason = %reason, "cannot connect to node");
                    failures.push(NodeFailure { node: node.to_string(), reason });
                }
                Err(Failure::MaybeSent { reason, timed_out }) => {
                    tracing::warn!(
                        cluster = %self.cluster.name, node = %node, method = %out.method, path = out.path, reason = %reason,
                        "request interrupted"
                    );
                    // A read is repeated once after a broken connection; after a timeout only
                    // on another node (the same hanging node would double the wait for nothing).
                    if is_get && !repeated && !(timed_out && nodes.len() == 1) {
                        repeated = true;
                        failures.push(NodeFailure { node: node.to_string(), reason });
                        continue;
                    }
                    return Err(Error::Interrupted {
                        cluster: self.cluster.name.clone(),
                        node: node.to_string(),
                        method: out.method,
                        path: out.path.to_owned(),
                        timed_out,
                        reason,
                    });
                }
            }
        }
        // A refused certificate is a configuration matter: say so rather than "unreachable".
        Err(certificate.unwrap_or(Error::Unreachable { cluster: self.cluster.name.clone(), attempts: failures }))
    }

    /// One try on one node.
    async fn attempt(&self, out: &Outgoing<'_>, idx: usize) -> Result<Answer, Failure> {
        let node = &self.cluster.nodes[idx];
        let mut url = self.bases[idx].clone();
        url.set_path(&format!("{}{}", self.bases[idx].path(), out.path));
        if !out.query.is_empty() {
            url.set_query(Some(&out.query));
        }
        let method = match out.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.http.request(method, url);
        for (name, value) in &out.headers {
            builder = builder.header(name, value.clone());
        }
        if let Some(body) = &out.body {
            builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).trim().to_owned())
            .filter(|r| !r.is_empty() && Some(r.as_str()) != status.canonical_reason());
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_body {
                        return Err(Failure::Fatal(Error::InvalidResponse {
                            cluster: self.cluster.name.clone(),
                            node: node.to_string(),
                            method: out.method,
                            status: status.as_u16(),
                            summary: format!("the answer is larger than {} bytes", self.max_body),
                        }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.transport_failure(&e)),
            }
        }
        Ok(Answer { status: status.as_u16(), reason, body })
    }

    fn transport_failure(&self, e: &reqwest::Error) -> Failure {
        if let Some(reason) = tls::certificate_problem(e, &self.cluster.tls) {
            return Failure::Certificate(reason);
        }
        let reason = describe_transport(e, self.cluster.timeout);
        if e.is_connect() { Failure::NotSent(reason) } else { Failure::MaybeSent { timed_out: e.is_timeout(), reason } }
    }
}

enum Failure {
    /// Nothing was sent: try another node.
    NotSent(String),
    /// The node's certificate was refused during the handshake (nothing sent): try another.
    Certificate(String),
    /// The request may have been sent.
    MaybeSent { reason: String, timed_out: bool },
    /// Give up at once.
    Fatal(Error),
}

/// The causes of a transport error in plain words, without reqwest's top line (which holds
/// the URL) and hyper's wrappers.
fn describe_transport(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() && !e.is_connect() {
        return format!("no complete answer within {:.1} s", timeout.as_secs_f64());
    }
    let mut parts: Vec<String> = Vec::new();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        cur = c.source();
        let text = match c.downcast_ref::<std::io::Error>().map(std::io::Error::kind) {
            Some(std::io::ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
            Some(std::io::ErrorKind::ConnectionReset) => "connection reset".to_owned(),
            Some(std::io::ErrorKind::TimedOut) => "timed out".to_owned(),
            _ => c.to_string(),
        };
        let text = if text.contains("close_notify") || text.contains("connection closed before message completed") {
            "the connection was closed before the answer was complete".to_owned()
        } else {
            text
        };
        // hyper's "client error (Connect)" and "tcp connect error" only wrap the cause.
        let text = text.trim_start_matches("tcp connect error").trim_start_matches(": ").to_owned();
        if text.is_empty() || text.starts_with("client error (") {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&text) || text.contains(p.as_str())) {
            parts.push(text);
        }
    }
    if e.is_timeout() && !parts.iter().any(|p| p.contains("timed out")) {
        parts.push("timed out".into());
    }
    if parts.is_empty() {
        parts.push(if e.is_connect() { "connection failed" } else { "request failed" }.to_owned());
    }
    parts.join(": ")
}

/// `application/x-www-form-urlencoded` of the pairs, in order.
fn form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}
