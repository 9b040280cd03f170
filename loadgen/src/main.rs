//! The loadgen command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use loadgen::direct::Direct;
use loadgen::mcp::{Endpoint, Transport};
use loadgen::run::{Plan, Target};
use loadgen::startup::Via;
use loadgen::{idle, procfs, run, startup};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "loadgen",
    about = "Load generator for proxmox-mcp: MCP sessions over legacy SSE or Streamable HTTP, or direct upstream GETs"
)]
struct Cli {
    /// Worker threads of the load generator's runtime.
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransportArg {
    /// Legacy HTTP+SSE (`/sse`, `/messages`).
    Sse,
    /// Streamable HTTP (`/mcp`).
    Http,
}

impl From<TransportArg> for Transport {
    fn from(t: TransportArg) -> Transport {
        match t {
            TransportArg::Sse => Transport::Sse,
            TransportArg::Http => Transport::StreamableHttp,
        }
    }
}

#[derive(Args, Clone)]
struct ServerArgs {
    /// The MCP server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    url: String,
    /// A bearer token for the server.
    #[arg(long, env = "LOADGEN_BEARER", hide_env_values = true)]
    bearer: Option<String>,
}

impl ServerArgs {
    fn endpoint(&self) -> Result<Endpoint, String> {
        let mut base = reqwest::Url::parse(&self.url).map_err(|e| format!("--url: {e}"))?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Endpoint { base, bearer: self.bearer.clone() })
    }
}

#[derive(Subcommand)]
enum Command {
    /// C concurrent sessions, each making N calls (or, with --direct, N upstream GETs).
    Run(RunArgs),
    /// Open many sessions, complete their handshakes, and hold them open.
    Idle {
        #[command(flatten)]
        server: ServerArgs,
        /// The transport.
        #[arg(long, value_enum, default_value = "sse")]
        transport: TransportArg,
        /// How many sessions.
        #[arg(long, default_value_t = 1000)]
        sessions: usize,
        /// Sessions opened at the same time.
        #[arg(long, default_value_t = 50)]
        parallel: usize,
        /// Seconds to hold them open after the last one opened.
        #[arg(long, default_value_t = 5.0)]
        hold: f64,
        /// The server's process id, to read its resident memory before and with the sessions open.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Machine-readable output (one JSON line when all are open, one when closed).
        #[arg(long)]
        json: bool,
    },
    /// Start the server several times and measure the time to its tools/list answer.
    Startup {
        /// Ask over stdio (the command must serve stdio) or over Streamable HTTP at --url.
        #[arg(long, value_enum, default_value = "http")]
        via: ViaArg,
        #[command(flatten)]
        server: ServerArgs,
        /// How many starts.
        #[arg(long, default_value_t = 10)]
        runs: usize,
        /// Longest wait for one start, in seconds.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// The server command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ViaArg {
    Stdio,
    Http,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The transport.
    #[arg(long, value_enum, default_value = "sse")]
    transport: TransportArg,
    /// Concurrent sessions.
    #[arg(short = 'c', long, default_value_t = 1)]
    concurrency: usize,
    /// Measured calls per session.
    #[arg(short = 'n', long, default_value_t = 100)]
    calls: usize,
    /// Unmeasured calls per session first.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Stop starting calls after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Longest wait for one call or one session opening, in seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// The tool to call (`tools/list` sends that request instead of a tool call).
    #[arg(long, default_value = "proxmox_api_call")]
    tool: String,
    /// Its arguments, as JSON.
    #[arg(long = "args", default_value = r#"{"method":"GET","path":"/version"}"#)]
    arguments: String,
    /// Instead of tool calls, plain HTTPS GETs of --path straight to the cluster's first node,
    /// with the credentials and TLS settings of the clusters file.
    #[arg(long)]
    direct: bool,
    /// The clusters file (--direct).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The cluster (--direct; default: the default cluster).
    #[arg(long)]
    cluster: Option<String>,
    /// The API path to GET (--direct), e.g. /nodes/pve1/qemu/100/status/current.
    #[arg(long, default_value = "/version")]
    path: String,
    /// The server's process id, to read its resident memory before and after the run and
    /// its CPU time during the measured phase.
    #[arg(long)]
    server_pid: Option<u32>,
    /// The upstream's process id (e.g. pve-stub's), to read its CPU time during the measured phase.
    #[arg(long)]
    upstream_pid: Option<u32>,
    /// A name for the scenario, carried into the output.
    #[arg(long)]
    label: Option<String>,
    /// Machine-readable output (one JSON object).
    #[arg(long)]
    json: bool,
}

fn secs(s: f64, what: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("{what}: not a duration in seconds: {s}"))
}

async fn run_command(a: RunArgs) -> Result<i32, String> {
    let target = if a.direct {
        let config = proxmox_mcp::config::Config::load(a.config.as_deref()).map_err(|e| e.to_string())?;
        let name = match a.cluster.as_deref() {
            Some(n) => n.to_owned(),
            None => {
                config.default_cluster().ok_or("several clusters and no default: name one with --cluster")?.to_owned()
            }
        };
        let cluster = config.cluster(&name).ok_or_else(|| format!("no cluster '{name}' in the configuration"))?;
        Target::Direct(Arc::new(Direct::new(cluster, &a.path, a.concurrency)?))
    } else {
        let arguments: Value = serde_json::from_str(&a.arguments).map_err(|e| format!("--args is not JSON: {e}"))?;
        Target::Mcp { endpoint: a.server.endpoint()?, transport: a.transport.into(), tool: a.tool.clone(), arguments }
    };
    let plan = Plan {
        concurrency: a.concurrency.max(1),
        calls: a.calls,
        warmup: a.warmup,
        duration: secs(a.duration, "--duration")?,
        timeout: secs(a.timeout, "--timeout")?,
        server_pid: a.server_pid,
        upstream_pid: a.upstream_pid,
    };
    let before = a.server_pid.and_then(procfs::rss_kib);
    let mut summary = run::run(&target, &plan).await?;
    summary.label = a.label;
    summary.rss_before_kib = before;
    summary.rss_after_kib = a.server_pid.and_then(procfs::rss_kib);
    if a.json {
        println!("{}", serde_json::to_string(&summary).map_err(|e| e.to_string())?);
    } else {
        println!("{summary}");
    }
    Ok(i32::from(summary.errors > 0))
}

#[allow(clippy::too_many_arguments)]
async fn idle_command(
    server: ServerArgs,
    transport: TransportArg,
    sessions: usize,
    parallel: usize,
    hold: f64,
    pid: Option<u32>,
    json: bool,
) -> Result<i32, String> {
    let endpoint = server.endpoint()?;
    let client = run::mcp_client(sessions.min(256))?;
    let before = pid.and_then(procfs::rss_kib);
    let transport: Transport = transport.into();
    let (open, opened) =
        idle::open_sessions(&client, &endpoint, transport, sessions, parallel, Duration::from_secs(10)).await;
    // Let the server settle (tasks parked, buffers returned) before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_sessions = pid.and_then(procfs::rss_kib);
    let per_session = match (before, with_sessions) {
        (Some(b), Some(w)) if opened.open > 0 => Some((w as f64 - b as f64) * 1024.0 / opened.open as f64),
        _ => None,
    };
    let ready = json!({
        "event": "ready", "transport": transport.label(), "sessions": opened.open, "failed": opened.failed,
        "open_s": opened.elapsed_s, "rss_before_kib": before, "rss_open_kib": with_sessions,
        "bytes_per_session": per_session.map(f64::round), "error_samples": opened.error_samples,
    });
    if json {
        println!("{ready}");
    } else {
        println!(
            "{} sessions open ({} failed) in {:.2} s; server RSS {:?} -> {:?} KiB; {} bytes per session",
            opened.open,
            opened.failed,
            opened.elapsed_s,
            before,
            with_sessions,
            per_session.map_or("?".to_owned(), |b| format!("{b:.0}"))
        );
        for e in &opened.error_samples {
            println!("  error: {e}");
        }
    }
    tokio::time::sleep(secs(hold, "--hold")?).await;
    for s in open {
        s.close().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = pid.and_then(procfs::rss_kib);
    if json {
        println!("{}", json!({ "event": "closed", "rss_closed_kib": after }));
    } else {
        println!("sessions closed; server RSS {after:?} KiB");
    }
    Ok(i32::from(opened.failed > 0))
}

async fn startup_command(
    via: ViaArg,
    server: ServerArgs,
    runs: usize,
    timeout: f64,
    json: bool,
    command: Vec<String>,
) -> Result<i32, String> {
    let via = match via {
        ViaArg::Stdio => Via::Stdio,
        ViaArg::Http => Via::Http(server.endpoint()?),
    };
    let s = startup::measure(&command, &via, runs, secs(timeout, "--timeout")?).await?;
    if json {
        println!("{}", serde_json::to_string(&s).map_err(|e| e.to_string())?);
    } else {
        println!(
            "startup over {}: {} runs, exec to tools/list answer ({} tools): min {:.1} ms, median {:.1} ms, max {:.1} ms",
            s.via, s.runs, s.tools, s.min_ms, s.median_ms, s.max_ms
        );
    }
    Ok(0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match loadgen::runtime(cli.threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Run(a) => run_command(a).await,
            Command::Idle { server, transport, sessions, parallel, hold, server_pid, json } => {
                idle_command(server, transport, sessions, parallel, hold, server_pid, json).await
            }
            Command::Startup { via, server, runs, timeout, json, command } => {
                startup_command(via, server, runs, timeout, json, command).await
            }
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
