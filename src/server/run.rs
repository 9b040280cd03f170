//! Running the server: HTTP (SSE + Streamable HTTP), stdio, `check-config`, `healthcheck`.

use rmcp::ServiceExt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;
use super::security::Security;
use super::{AppParts, HttpOptions, app, serve};
use crate::config::{Config, ConfigError};
use crate::pve::ClusterManager;
use crate::tools::{App, ProxmoxMcp};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The clusters file (`--config`).
    pub config: Option<std::path::PathBuf>,
    /// Refuse every write (`--read-only`).
    pub read_only: bool,
    /// Where to listen.
    pub listen: SocketAddr,
    /// `MCP_ALLOWED_HOSTS`.
    pub allowed_hosts: Option<String>,
    /// `MCP_ALLOWED_ORIGINS`.
    pub allowed_origins: Option<String>,
    /// Accepted bearer tokens (`MCP_AUTH_TOKEN`, `MCP_AUTH_TOKENS_FILE`).
    pub auth_tokens: Vec<String>,
    /// Serve a non-loopback address without bearer tokens (`--allow-unauthenticated`).
    pub allow_unauthenticated: bool,
    /// Limits and modes of the HTTP transports.
    pub http: HttpOptions,
}

/// Loads the clusters. No configuration at all is not an error (the discovery tools work
/// without clusters); an invalid one is, naming every problem.
pub fn load_clusters(config: Option<&Path>) -> Result<Option<Arc<ClusterManager>>, String> {
    match Config::load(config) {
        Ok(c) => {
            let names = c.names().join(", ");
            tracing::info!(origin = %c.origin(), clusters = %names, "configuration loaded");
            Ok(Some(Arc::new(ClusterManager::new(c))))
        }
        Err(ConfigError::NotFound) if config.is_none() => {
            tracing::warn!(
                "no clusters configured (no --config, CLUSTERS_FILE, ./clusters.json or PROXMOX_URL): only the API discovery tools will work"
            );
            Ok(None)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Reads bearer tokens: one from `MCP_AUTH_TOKEN`, and one per non-empty, non-`#` line of
/// the file `MCP_AUTH_TOKENS_FILE`.
pub fn read_tokens(token: Option<&str>, file: Option<&Path>) -> Result<Vec<String>, String> {
    let mut tokens: Vec<String> =
        token.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).into_iter().collect();
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the tokens file {}: {e}", file.display()))?;
        tokens.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
    }
    if let Some(short) = tokens.iter().find(|t| t.len() < 16) {
        return Err(format!(
            "a bearer token has {} characters; use at least 16 (e.g. `openssl rand -hex 32`)",
            short.len()
        ));
    }
    Ok(tokens)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Serves the HTTP transports until SIGTERM/Ctrl-C or `shutdown`.
pub async fn serve_http(options: ServeOptions, shutdown: CancellationToken) -> Result<(), String> {
    let (hosts, origins) = Security::parse_lists(options.allowed_hosts.as_deref(), options.allowed_origins.as_deref())?;
    let security = Arc::new(Security::new(hosts, origins, &options.auth_tokens));
    let exposed = !options.listen.ip().is_loopback() && !security.requires_auth();
    if exposed && !options.allow_unauthenticated {
        return Err(format!(
            "refusing to listen on {} without authentication: set MCP_AUTH_TOKEN (or MCP_AUTH_TOKENS_FILE), listen on 127.0.0.1, or pass --allow-unauthenticated if a proxy in front authenticates",
            options.listen
        ));
    }
    let clusters = load_clusters(options.config.as_deref())?;
    if exposed {
        let names = clusters.as_ref().map(|m| m.config().names().join(", ")).unwrap_or_default();
        tracing::warn!(
            listen = %options.listen,
            clusters = %names,
            read_only = options.read_only,
            "listening without authentication: anyone who reaches this address can operate these clusters through the MCP tools"
        );
    }
    let metrics = Arc::new(Metrics::default());
    let state = App::new(clusters, options.read_only, metrics.clone());
    let factory: Arc<dyn Fn() -> ProxmoxMcp + Send + Sync> = Arc::new(move || ProxmoxMcp::new(state.clone()));
    let (router, _hub) =
        app(AppParts { factory, security, metrics, options: options.http.clone(), shutdown: shutdown.clone() });
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(listen = %local, "serving MCP: legacy SSE at /sse, Streamable HTTP at /mcp");
    let signal = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! { _ = shutdown_signal() => signal.cancel(), _ = signal.cancelled() => {} }
    });
    let server = serve(listener, router, shutdown.clone());
    tokio::pin!(server);
    tokio::select! {
        r = &mut server => r.map_err(|e| e.to_string())?,
        _ = async { shutdown.cancelled().await; tokio::time::sleep(Duration::from_secs(10)).await } => {
            tracing::warn!("connections still open 10 s after shutdown began; exiting");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Serves one session on stdin/stdout (for desktop clients that launch the server).
pub async fn serve_stdio(options: ServeOptions) -> Result<(), String> {
    let clusters = load_clusters(options.config.as_deref())?;
    let state = App::new(clusters, options.read_only, Arc::new(Metrics::default()));
    let running = ProxmoxMcp::new(state)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("stdio session failed to start: {e}"))?;
    tokio::select! {
        r = running.waiting() => { r.map_err(|e| e.to_string())?; }
        _ = shutdown_signal() => {}
    }
    Ok(())
}

/// `check-config`: validates the configuration; with `probe`, logs in to each cluster and
/// reports its PVE version. Returns the report and whether everything passed.
pub async fn check_config(config: Option<&Path>, probe: bool) -> (String, bool) {
    let config = match Config::load(config) {
        Ok(c) => c,
        Err(e) => return (e.to_string(), false),
    };
    let mut report = format!("{}: {} cluster(s), valid\n", config.origin(), config.names().len());
    let manager = ClusterManager::new(config);
    let mut ok = true;
    for info in manager.clusters() {
        report.push_str(&format!(
            "- {}{}: {} ({}, {} TLS){}\n",
            info.name,
            if info.is_default { " (default)" } else { "" },
            info.nodes.join(", "),
            info.auth,
            info.tls,
            if info.read_only { ", read-only" } else { "" }
        ));
        if probe {
            let line = match manager.resolve(Some(&info.name)) {
                Err(e) => {
                    ok = false;
                    format!("  probe failed: {e}")
                }
                Ok(client) => match client.get("/version").await {
                    Ok(v) => format!(
                        "  reachable: PVE {}",
                        v.get("version").and_then(|x| x.as_str()).unwrap_or("(version not reported)")
                    ),
                    Err(e) => {
                        ok = false;
                        format!("  probe failed: {e}")
                    }
                },
            };
            report.push_str(&line);
            report.push('\n');
        }
    }
    (report, ok)
}

/// `healthcheck`: asks the local server's `/healthz` (for container health checks), with a
/// `Host` header from the same allowlist the server uses.
pub async fn healthcheck(addr: SocketAddr, allowed_hosts: Option<&str>) -> Result<(), String> {
    let (hosts, _) = Security::parse_lists(allowed_hosts, None)?;
    let host = Security::new(hosts, None, &[]).accepted_host(addr.port());
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = if addr.ip().is_unspecified() { SocketAddr::new([127, 0, 0, 1].into(), addr.port()) } else { addr };
    let fut = async {
        let mut stream =
            tokio::net::TcpStream::connect(target).await.map_err(|e| format!("cannot connect to {target}: {e}"))?;
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&answer);
        if text.starts_with("HTTP/1.1 200") {
            Ok(())
        } else {
            Err(format!("unhealthy: {}", text.lines().next().unwrap_or("no answer")))
        }
    };
    tokio::time::timeout(Duration::from_secs(5), fut).await.map_err(|_| "no answer within 5 s".to_owned())?
}
