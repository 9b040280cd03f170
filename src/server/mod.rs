//! The transports: legacy SSE (`/sse` + `/messages`), Streamable HTTP (`/mcp`) and stdio,
//! with `/healthz` and `/metrics`, behind the security checks of [`security`].

pub mod metrics;
pub mod run;
pub mod security;
pub mod sse;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rmcp::ServerHandler;
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, SessionConfig};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use metrics::{Metrics, Transport};
use security::Security;
use sse::{SseHub, SseLimits};

/// Settings of the HTTP transports.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// Open sessions at most, per transport.
    pub max_sessions: usize,
    /// Queued messages per session.
    pub queue: usize,
    /// Sessions idle longer than this are closed.
    pub idle_timeout: Duration,
    /// Keep-alive interval on event streams.
    pub keep_alive: Duration,
    /// Streamable HTTP without sessions (each request stands alone; for replicas behind a
    /// load balancer without sticky sessions).
    pub stateless: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_body_bytes: 1024 * 1024,
            max_sessions: 1000,
            queue: 64,
            idle_timeout: Duration::from_secs(3600),
            keep_alive: Duration::from_secs(15),
            stateless: false,
        }
    }
}

struct HttpSessions {
    manager: Arc<LocalSessionManager>,
    max: usize,
    metrics: Arc<Metrics>,
}

/// Refuses a new Streamable HTTP session (a request without `Mcp-Session-Id`) when the
/// limit is reached, and keeps the session gauge current.
async fn limit_http_sessions(State(s): State<Arc<HttpSessions>>, request: Request, next: Next) -> Response {
    let count = s.manager.sessions.read().await.len();
    s.metrics.set_http_sessions(count);
    if request.headers().get("mcp-session-id").is_none()
        && request.method() == axum::http::Method::POST
        && count >= s.max
    {
        tracing::warn!(max = s.max, "refusing a Streamable HTTP session: too many open");
        let mut r =
            (StatusCode::SERVICE_UNAVAILABLE, format!("too many open sessions (at most {})", s.max)).into_response();
        r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        return r;
    }
    let response = next.run(request).await;
    s.metrics.set_http_sessions(s.manager.sessions.read().await.len());
    response
}

/// Everything the HTTP app needs.
pub struct AppParts<S> {
    /// Creates one handler per session.
    pub factory: Arc<dyn Fn() -> S + Send + Sync>,
    /// Host/Origin/bearer checks.
    pub security: Arc<Security>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Limits and modes.
    pub options: HttpOptions,
    /// Cancelled at shutdown.
    pub shutdown: CancellationToken,
}

/// The HTTP application and its SSE hub (exposed for tests and the session gauge).
pub fn app<S: ServerHandler + Send + Sync + 'static>(parts: AppParts<S>) -> (Router, Arc<SseHub<S>>) {
    let AppParts { factory, security, metrics, options, shutdown } = parts;
    let sse_factory = factory.clone();
    let hub = SseHub::new(
        move || sse_factory(),
        SseLimits {
            max_sessions: options.max_sessions,
            queue: options.queue,
            keep_alive: options.keep_alive,
            idle_timeout: options.idle_timeout,
        },
        metrics.clone(),
        shutdown.clone(),
    );
    let mut manager = LocalSessionManager::default();
    let mut session_config = SessionConfig::default();
    session_config.channel_capacity = options.queue;
    session_config.keep_alive = Some(options.idle_timeout);
    manager.session_config = session_config;
    let manager = Arc::new(manager);
    // Host and Origin are checked by our own middleware on every route.
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .disable_allowed_origins()
        .with_sse_keep_alive(Some(options.keep_alive))
        .with_legacy_session_mode(!options.stateless)
        .with_json_response(options.stateless)
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_cancellation_token(shutdown.child_token());
    let http_factory = factory.clone();
    let service = StreamableHttpService::new(move || Ok(http_factory()), manager.clone(), config);
    let sessions = Arc::new(HttpSessions { manager, max: options.max_sessions, metrics: metrics.clone() });
    let mcp =
        Router::new().fallback_service(service).layer(middleware::from_fn_with_state(sessions, limit_http_sessions));
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(render_metrics).with_state(metrics.clone()))
        .merge(hub.router())
        .nest("/mcp", mcp)
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(middleware::from_fn_with_state(security, security::guard));
    (router, hub)
}

async fn render_metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render()).into_response()
}

/// Serves `router` on `listener` until `shutdown` is cancelled. Accepted connections get
/// TCP_NODELAY: without it a reply written in two parts waits ~40 ms for the client's
/// delayed ACK.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The number of open sessions of each transport, for tests and logs.
pub fn open_sessions(metrics: &Metrics) -> (i64, i64) {
    (metrics.open_sessions(Transport::Sse), metrics.open_sessions(Transport::StreamableHttp))
}
