//! The legacy HTTP+SSE transport (MCP 2024-11-05), hand-written on axum.
//!
//! `GET /sse` opens a session: the response is an event stream whose first event is
//! `endpoint` with the URL to post to (`/messages?sessionId=...`), followed by one `message`
//! event per JSON-RPC message from the server, with keep-alive comments in between.
//! `POST /messages?sessionId=...` takes one JSON-RPC message and answers 202; the reply
//! arrives on the stream. A session ends, and is cleaned up, when the client closes the
//! stream, when it is idle longer than the idle timeout, or at shutdown.
//!
//! Replicas behind a load balancer need sticky sessions for this transport: the stream and
//! the posts of one session must reach the same process.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::{SinkExt, StreamExt, future, stream};
use rmcp::ServerHandler;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::serve_server_with_ct;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::{CancellationToken, PollSendError, PollSender};

use super::metrics::{Metrics, Transport};

/// Limits of the SSE transport.
#[derive(Debug, Clone)]
pub struct SseLimits {
    /// Open sessions at most; more are refused with 503.
    pub max_sessions: usize,
    /// Messages queued per session and direction; a full queue refuses posts with 429.
    pub queue: usize,
    /// Interval of keep-alive comments on the stream.
    pub keep_alive: Duration,
    /// A session without posts for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for SseLimits {
    fn default() -> Self {
        SseLimits {
            max_sessions: 1000,
            queue: 64,
            keep_alive: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(3600),
        }
    }
}

/// Messages travel boxed through the session queues: a tokio channel allocates its slots
/// in blocks of 32 up front, and rmcp's message types are large, so unboxed queues cost an
/// idle session tens of kilobytes.
type Queued<T> = Box<T>;

struct Session {
    tx: mpsc::Sender<Queued<ClientJsonRpcMessage>>,
    cancel: CancellationToken,
    /// Milliseconds since the hub's epoch of the last post.
    last_seen: Arc<AtomicU64>,
}

/// The sessions of the SSE transport.
pub struct SseHub<S> {
    sessions: Mutex<HashMap<String, Session>>,
    limits: SseLimits,
    factory: Arc<dyn Fn() -> S + Send + Sync>,
    metrics: Arc<Metrics>,
    epoch: Instant,
    shutdown: CancellationToken,
}

impl<S: ServerHandler + Send + Sync + 'static> SseHub<S> {
    /// A hub creating one handler per session with `factory`.
    pub fn new(
        factory: impl Fn() -> S + Send + Sync + 'static,
        limits: SseLimits,
        metrics: Arc<Metrics>,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        let hub = Arc::new(SseHub {
            sessions: Mutex::new(HashMap::new()),
            limits,
            factory: Arc::new(factory),
            metrics,
            epoch: Instant::now(),
            shutdown,
        });
        let weak = Arc::downgrade(&hub);
        let period = (hub.limits.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
        let shutdown = hub.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.cancelled() => {}
                }
                let Some(hub) = weak.upgrade() else { return };
                if hub.shutdown.is_cancelled() {
                    // Long-lived streams would hold a graceful shutdown open: end them.
                    hub.close_all();
                    return;
                }
                hub.reap_idle();
            }
        });
        hub
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of open sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn reap_idle(&self) {
        let now = self.now_ms();
        let limit = u64::try_from(self.limits.idle_timeout.as_millis()).unwrap_or(u64::MAX);
        let idle: Vec<String> = self
            .lock()
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.last_seen.load(Ordering::Relaxed)) > limit)
            .map(|(id, _)| id.clone())
            .collect();
        for id in idle {
            tracing::info!(session = %id, "closing idle SSE session");
            self.close(&id);
        }
    }

    fn close(&self, id: &str) {
        if let Some(session) = self.lock().remove(id) {
            session.cancel.cancel();
            self.metrics.session_closed(Transport::Sse);
        }
    }

    fn close_all(&self) {
        let ids: Vec<String> = self.lock().keys().cloned().collect();
        for id in ids {
            self.close(&id);
        }
    }

    /// The routes: `GET /sse` and `POST /messages`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().route("/sse", get(open::<S>)).route("/messages", post(message::<S>)).with_state(self.clone())
    }
}

/// Removes its session when the event stream is dropped (the client went away).
struct StreamGuard<S: ServerHandler + Send + Sync + 'static> {
    hub: Arc<SseHub<S>>,
    id: String,
}

impl<S: ServerHandler + Send + Sync + 'static> Drop for StreamGuard<S> {
    fn drop(&mut self) {
        tracing::debug!(session = %self.id, "SSE stream closed");
        self.hub.close(&self.id);
    }
}

fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn open<S: ServerHandler + Send + Sync + 'static>(State(hub): State<Arc<SseHub<S>>>) -> Response {
    if hub.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down").into_response();
    }
    let (in_tx, in_rx) = mpsc::channel::<Queued<ClientJsonRpcMessage>>(hub.limits.queue);
    let (out_tx, out_rx) = mpsc::channel::<Queued<ServerJsonRpcMessage>>(hub.limits.queue);
    let cancel = hub.shutdown.child_token();
    let id = new_session_id();
    {
        let mut sessions = hub.lock();
        if sessions.len() >= hub.limits.max_sessions {
            drop(sessions);
            tracing::warn!(max = hub.limits.max_sessions, "refusing an SSE session: too many open");
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("too many open sessions (at most {})", hub.limits.max_sessions),
            )
                .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            return r;
        }
        let last_seen = Arc::new(AtomicU64::new(hub.now_ms()));
        sessions.insert(id.clone(), Session { tx: in_tx, cancel: cancel.clone(), last_seen });
    }
    hub.metrics.session_opened(Transport::Sse);
    tracing::debug!(session = %id, "SSE session opened");
    let handler = (hub.factory)();
    let session_id = id.clone();
    tokio::spawn(async move {
        let sink = PollSender::new(out_tx).with(|m: ServerJsonRpcMessage| {
            future::ready(Ok::<_, PollSendError<Queued<ServerJsonRpcMessage>>>(Box::new(m)))
        });
        let transport = (sink, ReceiverStream::new(in_rx).map(|m| *m));
        match serve_server_with_ct(handler, transport, cancel).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(e) => tracing::debug!(session = %session_id, error = %e, "SSE session ended before initialization"),
        }
    });
    let guard = StreamGuard { hub: hub.clone(), id: id.clone() };
    let endpoint = Event::default().event("endpoint").data(format!("/messages?sessionId={id}"));
    let messages = ReceiverStream::new(out_rx).map(|msg| message_event(&msg));
    let events = stream::once(async move { endpoint }).chain(messages).map(move |event| {
        // The guard lives as long as the stream; dropping the stream closes the session.
        let _ = &guard;
        Ok::<Event, Infallible>(event)
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(hub.limits.keep_alive).text("ping")).into_response()
}

/// The SSE event that carries one message from the server.
pub fn message_event(msg: &ServerJsonRpcMessage) -> Event {
    let json = serde_json::to_string(msg).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event("message").data(json)
}

async fn message<S: ServerHandler + Send + Sync + 'static>(
    State(hub): State<Arc<SseHub<S>>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(id) = query.get("sessionId") else {
        return (
            StatusCode::BAD_REQUEST,
            "missing the sessionId query parameter (use the URL from the endpoint event)",
        )
            .into_response();
    };
    let tx = {
        let sessions = hub.lock();
        match sessions.get(id) {
            Some(s) => {
                s.last_seen.store(hub.now_ms(), Ordering::Relaxed);
                s.tx.clone()
            }
            None => {
                return (StatusCode::NOT_FOUND, "unknown or closed session (open a new one with GET /sse)")
                    .into_response();
            }
        }
    };
    let msg: ClientJsonRpcMessage = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("malformed JSON-RPC message: {e}")).into_response(),
    };
    match tx.try_send(Box::new(msg)) {
        Ok(()) => (StatusCode::ACCEPTED, "Accepted").into_response(),
        Err(mpsc::error::TrySendError::Full(_)) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("the session's queue is full ({} messages); retry later", hub.limits.queue),
        )
            .into_response(),
        Err(mpsc::error::TrySendError::Closed(_)) => (StatusCode::NOT_FOUND, "the session has closed").into_response(),
    }
}
