//! A small legacy-SSE MCP client for the tests: opens `GET /sse`, reads the `endpoint`
//! event, posts JSON-RPC messages there and matches responses from the stream by id.

use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;

/// One connected SSE session.
pub struct SseClient {
    http: reqwest::Client,
    base: String,
    /// The URL to post to (from the `endpoint` event).
    pub endpoint: String,
    messages: mpsc::UnboundedReceiver<Value>,
    /// Notifications seen while waiting for responses.
    pub notifications: Vec<Value>,
    next_id: u64,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for SseClient {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Splits an SSE byte stream into (event, data) pairs.
#[derive(Default)]
struct Parser {
    buf: String,
}

impl Parser {
    fn push(&mut self, chunk: &[u8]) -> Vec<(String, String)> {
        self.buf.push_str(&String::from_utf8_lossy(chunk));
        let mut out = Vec::new();
        while let Some(end) = self.buf.find("\n\n") {
            let frame: String = self.buf.drain(..end + 2).collect();
            let (mut event, mut data) = ("message".to_owned(), Vec::new());
            for line in frame.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim().to_owned();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
                }
            }
            if !data.is_empty() {
                out.push((event, data.join("\n")));
            }
        }
        out
    }
}

impl SseClient {
    /// Opens a session; `headers` are sent with every request.
    pub async fn connect(base: &str, headers: &[(&str, &str)]) -> Result<SseClient, String> {
        super::install_crypto();
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.insert(reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let http = reqwest::Client::builder().default_headers(map).build().unwrap();
        let mut response = http.get(format!("{base}/sse")).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{} {}", response.status(), response.text().await.unwrap_or_default()));
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, String)>();
        let reader = tokio::spawn(async move {
            let mut parser = Parser::default();
            while let Ok(Some(chunk)) = response.chunk().await {
                for event in parser.push(&chunk) {
                    if tx.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .map_err(|_| "no endpoint event".to_owned())?;
        let (event, data) = first.ok_or("stream closed before the endpoint event")?;
        if event != "endpoint" || !data.starts_with("/messages?sessionId=") {
            return Err(format!("unexpected first event {event}: {data}"));
        }
        let (mtx, messages) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some((event, data)) = rx.recv().await {
                if event == "message"
                    && let Ok(v) = serde_json::from_str::<Value>(&data)
                {
                    let _ = mtx.send(v);
                }
            }
        });
        Ok(SseClient {
            http,
            base: base.to_owned(),
            endpoint: data,
            messages,
            notifications: Vec::new(),
            next_id: 1,
            reader,
        })
    }

    /// Posts a raw body to the session's endpoint; returns the status.
    pub async fn post_raw(&self, body: String) -> reqwest::StatusCode {
        self.http
            .post(format!("{}{}", self.base, self.endpoint))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends a request and waits for its response (the `result` or the `error` object).
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        let status =
            self.post_raw(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()).await;
        assert_eq!(status, reqwest::StatusCode::ACCEPTED, "posting {method}");
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.messages.recv())
                .await
                .expect("a response within 20 s")
                .expect("stream open");
            if msg.get("id") == Some(&json!(id)) {
                return match msg.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(msg["result"].clone()),
                };
            }
            self.notifications.push(msg);
        }
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str) {
        let status = self.post_raw(json!({"jsonrpc": "2.0", "method": method}).to_string()).await;
        assert_eq!(status, reqwest::StatusCode::ACCEPTED);
    }

    /// `initialize` with `version`, then `notifications/initialized`; returns the result.
    pub async fn initialize(&mut self, version: &str) -> Value {
        let result = self
            .request(
                "initialize",
                json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
            )
            .await
            .expect("initialize succeeds");
        self.notify("notifications/initialized").await;
        result
    }

    /// Calls a tool; returns the result object.
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e}"))
    }
}
