//! The client side of MCP over HTTP, just enough to drive a server: sessions over the
//! legacy SSE transport and over Streamable HTTP, JSON-RPC requests matched to their
//! responses by id, and the instant each response arrived.

use crate::sse::{SseEvent, SseParser};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// The protocol version the client asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// An MCP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Legacy HTTP+SSE: `GET /sse`, `POST /messages?sessionId=`.
    Sse,
    /// Streamable HTTP: `POST /mcp` with `Mcp-Session-Id`.
    StreamableHttp,
}

impl Transport {
    /// `sse` or `http`.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Sse => "sse",
            Transport::StreamableHttp => "http",
        }
    }
}

/// Where the server is and how to reach it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The server's base URL, e.g. `http://127.0.0.1:8000` (the transport adds `/sse` or `/mcp`).
    pub base: reqwest::Url,
    /// A bearer token for servers that require one.
    pub bearer: Option<String>,
}

/// A reply: its arrival instant and the JSON-RPC `result`.
#[derive(Debug)]
pub struct Reply {
    /// When the matching response was read.
    pub arrived: Instant,
    /// The response's `result`.
    pub result: Value,
}

/// An open session of either transport.
pub enum Session {
    /// Legacy SSE.
    Sse(SseSession),
    /// Streamable HTTP.
    Http(HttpSession),
}

impl Session {
    /// Opens a session and completes the MCP handshake (`initialize`, then
    /// `notifications/initialized`).
    pub async fn open(client: &reqwest::Client, endpoint: &Endpoint, transport: Transport) -> Result<Session, String> {
        let mut session = match transport {
            Transport::Sse => Session::Sse(SseSession::connect(client, endpoint).await?),
            Transport::StreamableHttp => Session::Http(HttpSession::new(client, endpoint)?),
        };
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": { "name": "loadgen", "version": env!("CARGO_PKG_VERSION") },
        });
        let init = session.request("initialize", params).await?;
        if let Session::Http(h) = &mut session {
            let version = init.result.get("protocolVersion").and_then(Value::as_str).unwrap_or(PROTOCOL_VERSION);
            h.protocol = HeaderValue::from_str(version).ok();
        }
        session.notify("notifications/initialized").await?;
        Ok(session)
    }

    /// Sends a request and waits for the response with its id. A JSON-RPC error is an `Err`.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Reply, String> {
        match self {
            Session::Sse(s) => s.request(method, params).await,
            Session::Http(s) => s.request(method, params).await,
        }
    }

    /// Sends a notification.
    pub async fn notify(&mut self, method: &str) -> Result<(), String> {
        let body = json!({ "jsonrpc": "2.0", "method": method }).to_string();
        match self {
            Session::Sse(s) => s.post(body).await,
            Session::Http(s) => s.post(body).await.map(drop),
        }
    }

    /// Calls a tool; a result with `isError: true` is an `Err` with its text.
    pub async fn call_tool(&mut self, tool: &str, arguments: &Value) -> Result<Reply, String> {
        let reply = self.request("tools/call", json!({ "name": tool, "arguments": arguments })).await?;
        if reply.result.get("isError").and_then(Value::as_bool) == Some(true) {
            let text = reply.result.pointer("/content/0/text").and_then(Value::as_str).unwrap_or("(no text)");
            return Err(format!("tool error: {}", shorten(text)));
        }
        Ok(reply)
    }

    /// Ends the session (Streamable HTTP: `DELETE`; SSE: closes the stream).
    pub async fn close(self) {
        match self {
            Session::Sse(s) => drop(s),
            Session::Http(s) => s.delete().await,
        }
    }
}

fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.len() <= 160 {
        return line.to_owned();
    }
    let mut cut = 160;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &line[..cut])
}

fn request_body(id: u64, method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()
}

/// The `result` of a response, or its `error` as text.
fn result_of(message: Value) -> Result<Value, String> {
    match message {
        Value::Object(mut o) => {
            if let Some(e) = o.remove("error") {
                return Err(format!("JSON-RPC error: {}", shorten(&e.to_string())));
            }
            Ok(o.remove("result").unwrap_or(Value::Null))
        }
        other => Err(format!("not a JSON-RPC response: {}", shorten(&other.to_string()))),
    }
}

/// The response of a sent request when its status is a success; otherwise an error naming
/// the request and the transport error, or the status and the body.
async fn successful(what: &str, sent: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, String> {
    let response = sent.map_err(|e| describe_error(what, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(format!("{what}: HTTP {status}: {}", shorten(body.trim())))
}

/// A reqwest error with its causes, for error samples.
pub(crate) fn describe_error(what: &str, e: &reqwest::Error) -> String {
    let mut text = format!("{what}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn base_headers(endpoint: &Endpoint) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    if let Some(token) = &endpoint.bearer {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| "the bearer token is not a valid header value".to_owned())?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

/// A legacy SSE session: one long-lived `GET /sse` stream, read by a task that forwards
/// each `message` event with its arrival instant, and one `POST` per message sent.
pub struct SseSession {
    client: reqwest::Client,
    headers: HeaderMap,
    post_url: reqwest::Url,
    messages: mpsc::UnboundedReceiver<(Instant, Value)>,
    reader: tokio::task::JoinHandle<()>,
    next_id: u64,
}

impl Drop for SseSession {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl SseSession {
    async fn connect(client: &reqwest::Client, endpoint: &Endpoint) -> Result<SseSession, String> {
        let headers = base_headers(endpoint)?;
        let url = endpoint.base.join("sse").map_err(|e| e.to_string())?;
        let sent = client.get(url).headers(headers.clone()).header(ACCEPT, "text/event-stream").send().await;
        let response = successful("GET /sse", sent).await?;
        let (endpoint_tx, endpoint_rx) = oneshot::channel::<String>();
        let (tx, messages) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_stream(response, endpoint_tx, tx));
        let path = endpoint_rx.await.map_err(|_| "the event stream ended before its endpoint event".to_owned())?;
        let post_url = endpoint.base.join(&path).map_err(|e| format!("bad endpoint event '{path}': {e}"))?;
        Ok(SseSession { client: client.clone(), headers, post_url, messages, reader, next_id: 0 })
    }

    async fn post(&self, body: String) -> Result<(), String> {
        let sent = self
            .client
            .post(self.post_url.clone())
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = successful("POST /messages", sent).await?;
        // Read the (short) body, so the connection goes back to the pool.
        response.text().await.map(drop).map_err(|e| describe_error("POST /messages", &e))
    }

    async fn request(&mut self, method: &str, params: Value) -> Result<Reply, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.post(request_body(id, method, params)).await?;
        loop {
            let Some((arrived, message)) = self.messages.recv().await else {
                return Err("the event stream ended".to_owned());
            };
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                return result_of(message).map(|result| Reply { arrived, result });
            }
        }
    }
}

async fn read_stream(
    mut response: reqwest::Response,
    endpoint: oneshot::Sender<String>,
    messages: mpsc::UnboundedSender<(Instant, Value)>,
) {
    let mut parser = SseParser::default();
    let mut events: Vec<SseEvent> = Vec::new();
    let mut endpoint = Some(endpoint);
    while let Ok(Some(chunk)) = response.chunk().await {
        parser.push(&chunk, &mut events);
        let arrived = Instant::now();
        for event in events.drain(..) {
            match event.event.as_str() {
                "endpoint" => {
                    if let Some(tx) = endpoint.take() {
                        let _ = tx.send(event.data);
                    }
                }
                "message" => {
                    let value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
                    if messages.send((arrived, value)).is_err() {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

/// A Streamable HTTP session: every message is a `POST`; a request's response comes as
/// JSON or as an event stream that ends after it.
pub struct HttpSession {
    client: reqwest::Client,
    headers: HeaderMap,
    url: reqwest::Url,
    session: Option<HeaderValue>,
    protocol: Option<HeaderValue>,
    next_id: u64,
}

impl HttpSession {
    fn new(client: &reqwest::Client, endpoint: &Endpoint) -> Result<HttpSession, String> {
        let url = endpoint.base.join("mcp").map_err(|e| e.to_string())?;
        Ok(HttpSession {
            client: client.clone(),
            headers: base_headers(endpoint)?,
            url,
            session: None,
            protocol: None,
            next_id: 0,
        })
    }

    fn builder(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut b = self.client.request(method, self.url.clone()).headers(self.headers.clone());
        if let Some(s) = &self.session {
            b = b.header("mcp-session-id", s.clone());
        }
        if let Some(p) = &self.protocol {
            b = b.header("mcp-protocol-version", p.clone());
        }
        b
    }

    /// Posts one message; `None` for a 202 (a notification or response was accepted).
    async fn post(&mut self, body: String) -> Result<Option<reqwest::Response>, String> {
        let sent = self
            .builder(reqwest::Method::POST)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = successful("POST /mcp", sent).await?;
        if self.session.is_none()
            && let Some(id) = response.headers().get("mcp-session-id")
        {
            self.session = Some(id.clone());
        }
        if response.status() == reqwest::StatusCode::ACCEPTED {
            // Read the (empty) body so the connection goes back to the pool.
            let _ = response.bytes().await;
            return Ok(None);
        }
        Ok(Some(response))
    }

    async fn request(&mut self, method: &str, params: Value) -> Result<Reply, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut response = self
            .post(request_body(id, method, params))
            .await?
            .ok_or_else(|| format!("POST /mcp: 202 without a response to request {id}"))?;
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        if is_json {
            let bytes = response.bytes().await.map_err(|e| describe_error("POST /mcp", &e))?;
            let arrived = Instant::now();
            let message: Value =
                serde_json::from_slice(&bytes).map_err(|e| format!("POST /mcp: the answer is not JSON: {e}"))?;
            return result_of(message).map(|result| Reply { arrived, result });
        }
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        let mut found: Option<(Instant, Value)> = None;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    parser.push(&chunk, &mut events);
                    let arrived = Instant::now();
                    for event in events.drain(..) {
                        if event.event != "message" || found.is_some() {
                            continue;
                        }
                        let value: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
                        if value.get("id").and_then(Value::as_u64) == Some(id) {
                            found = Some((arrived, value));
                        }
                    }
                }
                // The server ends the stream after the response; reading to the end returns
                // the connection to the pool.
                Ok(None) => break,
                Err(_) if found.is_some() => break,
                Err(e) => return Err(describe_error("POST /mcp (event stream)", &e)),
            }
        }
        let (arrived, message) =
            found.ok_or_else(|| format!("POST /mcp: the event stream ended without the response to request {id}"))?;
        result_of(message).map(|result| Reply { arrived, result })
    }

    async fn delete(self) {
        if self.session.is_some()
            && let Ok(r) = self.builder(reqwest::Method::DELETE).send().await
        {
            let _ = r.bytes().await;
        }
    }
}
