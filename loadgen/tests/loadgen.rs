//! The load generator and the stub, end to end on 127.0.0.1: the stub's authentication,
//! the direct baseline, both MCP transports against the real server in-process, idle
//! sessions, and error counting when nothing listens.

use fake_pve::stub::{Stub, StubConfig};
use loadgen::direct::Direct;
use loadgen::mcp::{Endpoint, Session, Transport};
use loadgen::run::{Plan, Summary, Target, run};
use proxmox_mcp::config::{ClusterConfig, Config, Env};
use proxmox_mcp::pve::ClusterManager;
use proxmox_mcp::server::metrics::Metrics;
use proxmox_mcp::server::security::{Security, loopback_hosts};
use proxmox_mcp::server::{AppParts, HttpOptions, app, open_sessions, serve};
use proxmox_mcp::tools::{App, ProxmoxMcp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const STATUS: &str = "/nodes/pve1/qemu/100/status/current";

fn config_for(stub: &Stub, secret: &str) -> Config {
    let text = json!({ "clusters": { "stub": {
        "url": stub.url(), "user": "root@pam", "token_id": "mcp", "token_secret": secret,
        "fingerprint": stub.fingerprint(), "timeout_s": 5,
    }}})
    .to_string();
    let env = Env::new(std::env::temp_dir(), Vec::<(String, String)>::new());
    Config::from_json(&text, &std::env::temp_dir(), "test", &env).unwrap()
}

fn cluster(config: &Config) -> ClusterConfig {
    config.cluster("stub").unwrap().clone()
}

fn plan(concurrency: usize, calls: usize) -> Plan {
    Plan {
        concurrency,
        calls,
        warmup: 1,
        duration: Duration::from_secs(20),
        timeout: Duration::from_secs(5),
        server_pid: None,
        upstream_pid: None,
    }
}

/// The server on 127.0.0.1 with the stub as its only cluster; cancelled when the token drops.
struct Server {
    endpoint: Endpoint,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn server(config: Config) -> Server {
    let metrics = Arc::new(Metrics::default());
    let state = App::new(Some(Arc::new(ClusterManager::new(config))), false, metrics.clone());
    let factory: Arc<dyn Fn() -> ProxmoxMcp + Send + Sync> = Arc::new(move || ProxmoxMcp::new(state.clone()));
    let shutdown = CancellationToken::new();
    let security = Arc::new(Security::new(loopback_hosts(), None, &[]));
    let (router, _hub) = app(AppParts {
        factory,
        security,
        metrics: metrics.clone(),
        options: HttpOptions::default(),
        shutdown: shutdown.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, router, shutdown.clone()));
    let base = reqwest::Url::parse(&format!("http://{addr}/")).unwrap();
    Server { endpoint: Endpoint { base, bearer: None }, metrics, shutdown }
}

fn mcp(endpoint: &Endpoint, transport: Transport, tool: &str, arguments: Value) -> Target {
    Target::Mcp { endpoint: endpoint.clone(), transport, tool: tool.to_owned(), arguments }
}

fn assert_all_ok(s: &Summary, calls: u64) {
    assert_eq!((s.ok, s.errors, s.not_run), (calls, 0, 0), "{s}");
    assert!(s.calls_per_s > 0.0 && s.latency_ms.p50 > 0.0 && s.latency_ms.p50 <= s.latency_ms.max, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stub_answers_its_token_and_refuses_any_other() {
    let stub = Stub::start(StubConfig::default()).await;
    let good = config_for(&stub, "00000000-0000-0000-0000-000000000000");
    Direct::new(&cluster(&good), STATUS, 1).unwrap().get().await.unwrap();
    let err = Direct::new(&cluster(&good), "/nodes/pve1/qemu/999/status/current", 1).unwrap().get().await.unwrap_err();
    assert!(err.contains("HTTP 501"), "{err}");
    let wrong = config_for(&stub, "11111111-1111-1111-1111-111111111111");
    let err = Direct::new(&cluster(&wrong), STATUS, 1).unwrap().get().await.unwrap_err();
    assert!(err.contains("HTTP 401"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_runs_count_successes_and_refusals() {
    let stub = Stub::start(StubConfig::default()).await;
    let direct = Direct::new(&cluster(&config_for(&stub, "00000000-0000-0000-0000-000000000000")), STATUS, 3).unwrap();
    let s = run(&Target::Direct(Arc::new(direct)), &plan(3, 20)).await.unwrap();
    assert_all_ok(&s, 60);
    assert_eq!(s.target, "direct");
    // CPU accounting: loadgen's own always, the others only for the processes named.
    assert!(s.loadgen_cpu_ms.is_some_and(|ms| ms >= 0.0), "{s:?}");
    assert_eq!((s.server_cpu_ms, s.upstream_cpu_ms), (None, None));
    let refused = Direct::new(&cluster(&config_for(&stub, "wrong")), STATUS, 2).unwrap();
    let s = run(&Target::Direct(Arc::new(refused)), &plan(2, 5)).await.unwrap();
    assert_eq!((s.ok, s.errors), (0, 10), "{s}");
    assert!(s.error_samples.iter().any(|e| e.contains("401")), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_transports_carry_tool_calls_to_the_upstream() {
    let stub = Stub::start(StubConfig::default()).await;
    let server = server(config_for(&stub, "00000000-0000-0000-0000-000000000000")).await;
    let args = json!({ "method": "GET", "path": STATUS });
    // Server and stub run in this process here: their CPU readings are this process's.
    let me = Some(std::process::id());
    let measured = Plan { server_pid: me, upstream_pid: me, ..plan(3, 10) };
    for transport in [Transport::Sse, Transport::StreamableHttp] {
        let s = run(&mcp(&server.endpoint, transport, "proxmox_api_call", args.clone()), &measured).await.unwrap();
        assert_all_ok(&s, 30);
        assert_eq!(s.target, transport.label());
        let cpu = [s.loadgen_cpu_ms, s.server_cpu_ms, s.upstream_cpu_ms];
        assert!(cpu.iter().all(|ms| ms.is_some_and(|ms| ms >= 0.0)), "{s:?}");
        assert_eq!(s.loadgen_cpu_ms, s.server_cpu_ms, "one process, one reading");
    }
    let s = run(&mcp(&server.endpoint, Transport::StreamableHttp, loadgen::run::LIST_TOOLS, json!({})), &plan(1, 3))
        .await
        .unwrap();
    assert_all_ok(&s, 3);
    // The answer is the stub's guest, passed through.
    let client = loadgen::run::mcp_client(1).unwrap();
    let mut session = Session::open(&client, &server.endpoint, Transport::Sse).await.unwrap();
    let reply = session.call_tool("proxmox_api_call", &args).await.unwrap();
    let text = reply.result.pointer("/content/0/text").and_then(Value::as_str).unwrap();
    let data: Value = serde_json::from_str(text).unwrap();
    assert_eq!((data["vmid"].as_u64(), data["name"].as_str()), (Some(100), Some("vm100")));
    // A curated tool answers with structured content.
    let reply = session.call_tool("get_cluster_resources", &json!({})).await.unwrap();
    assert_eq!(
        reply.result.pointer("/structuredContent/data").and_then(Value::as_array).map(Vec::len),
        Some(3 + 30 + 3)
    );
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_errors_and_a_refusing_upstream_count_as_errors() {
    let stub = Stub::start(StubConfig::default()).await;
    let server = server(config_for(&stub, "not-the-secret")).await;
    let s = run(
        &mcp(
            &server.endpoint,
            Transport::StreamableHttp,
            "proxmox_api_call",
            json!({ "method": "GET", "path": STATUS }),
        ),
        &plan(2, 4),
    )
    .await
    .unwrap();
    assert_eq!((s.ok, s.errors), (0, 8), "{s}");
    assert!(s.error_samples.iter().any(|e| e.starts_with("tool error")), "{s}");
    let s = run(
        &mcp(&server.endpoint, Transport::Sse, "proxmox_api_call", json!({ "method": "GET", "path": "/no/such/path" })),
        &plan(1, 3),
    )
    .await
    .unwrap();
    assert_eq!((s.ok, s.errors), (0, 3), "{s}");
    assert!(s.error_samples[0].contains("not sent"), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planned_call_is_an_error_when_the_server_is_down() {
    let base = reqwest::Url::parse(&format!("http://{}/", fake_pve::closed_port())).unwrap();
    let endpoint = Endpoint { base, bearer: None };
    for transport in [Transport::Sse, Transport::StreamableHttp] {
        let s = run(&mcp(&endpoint, transport, "proxmox_api_call", json!({})), &plan(3, 7)).await.unwrap();
        assert_eq!((s.ok, s.errors, s.planned), (0, 21, 21), "{s}");
        assert!(s.error_samples[0].contains("connect") || s.error_samples[0].contains("refused"), "{s}");
        assert_eq!(s.calls_per_s, 0.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_limit_stops_a_run() {
    let stub = Stub::start(StubConfig::default()).await;
    let direct = Direct::new(&cluster(&config_for(&stub, "00000000-0000-0000-0000-000000000000")), STATUS, 1).unwrap();
    let limited = Plan { duration: Duration::from_millis(200), ..plan(1, 1_000_000) };
    let started = std::time::Instant::now();
    let s = run(&Target::Direct(Arc::new(direct)), &limited).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{s}");
    assert!(s.ok > 0 && s.not_run > 0 && s.ok + s.not_run == 1_000_000, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_stay_open_until_closed() {
    let stub = Stub::start(StubConfig::default()).await;
    let server = server(config_for(&stub, "00000000-0000-0000-0000-000000000000")).await;
    let client = loadgen::run::mcp_client(8).unwrap();
    let (sessions, opened) =
        loadgen::idle::open_sessions(&client, &server.endpoint, Transport::Sse, 12, 5, Duration::from_secs(5)).await;
    assert_eq!((opened.open, opened.failed), (12, 0), "{opened:?}");
    assert_eq!(open_sessions(&server.metrics).0, 12);
    for s in sessions {
        s.close().await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while open_sessions(&server.metrics).0 > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(open_sessions(&server.metrics).0, 0);
}
