//! The load run: C concurrent workers, each with its own MCP session (or the direct
//! baseline), warming up, then making N calls one after the other, all bounded by a time
//! limit; per-call latency from sending the request to reading the matching response.

use crate::direct::Direct;
use crate::mcp::{Endpoint, Session, Transport};
use crate::procfs;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// What each call does.
#[derive(Clone)]
#[expect(clippy::large_enum_variant, reason = "one per worker, cloned once")]
pub enum Target {
    /// A tool call over an MCP transport.
    Mcp {
        /// The server.
        endpoint: Endpoint,
        /// The transport.
        transport: Transport,
        /// The tool's name.
        tool: String,
        /// Its arguments.
        arguments: Value,
    },
    /// A plain GET to the upstream.
    Direct(Arc<Direct>),
}

impl Target {
    fn label(&self) -> &'static str {
        match self {
            Target::Mcp { transport, .. } => transport.label(),
            Target::Direct(_) => "direct",
        }
    }
}

/// How much load, and for how long at most.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Concurrent sessions.
    pub concurrency: usize,
    /// Measured calls per session.
    pub calls: usize,
    /// Calls per session before measuring (connections, caches); not counted.
    pub warmup: usize,
    /// The measured phase stops starting calls after this long.
    pub duration: Duration,
    /// Longest wait for any one step (opening a session, one call).
    pub timeout: Duration,
    /// The server's process, whose CPU time is read when the measured phase starts and
    /// when the last call ended.
    pub server_pid: Option<u32>,
    /// The upstream's process (e.g. pve-stub), whose CPU time is read the same way.
    pub upstream_pid: Option<u32>,
}

/// CPU time used so far by the three parties of a run, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct CpuReading {
    loadgen: Option<f64>,
    server: Option<f64>,
    upstream: Option<f64>,
}

impl CpuReading {
    /// One read of `/proc` per process: parties that are the same process (everything
    /// in-process, or server and stub as one) get the same reading, not two taken a clock
    /// tick apart.
    fn now(plan: &Plan) -> CpuReading {
        let me = std::process::id();
        let loadgen = procfs::cpu_ms(me);
        let server = match plan.server_pid {
            Some(pid) if pid == me => loadgen,
            pid => pid.and_then(procfs::cpu_ms),
        };
        let upstream = match plan.upstream_pid {
            Some(pid) if pid == me => loadgen,
            Some(pid) if Some(pid) == plan.server_pid => server,
            pid => pid.and_then(procfs::cpu_ms),
        };
        CpuReading { loadgen, server, upstream }
    }

    /// What each party used between `start` and `self`.
    fn since(self, start: CpuReading) -> CpuReading {
        let d = |end: Option<f64>, start: Option<f64>| Some(end? - start?);
        CpuReading {
            loadgen: d(self.loadgen, start.loadgen),
            server: d(self.server, start.server),
            upstream: d(self.upstream, start.upstream),
        }
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    /// Percentiles (nearest rank) of these durations.
    pub fn of(samples: &mut [Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let rank = |p: f64| {
            let r = (p / 100.0 * samples.len() as f64).ceil() as usize;
            ms(samples[r.clamp(1, samples.len()) - 1])
        };
        let total: Duration = samples.iter().sum();
        Latency {
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: ms(samples[samples.len() - 1]),
            mean: ms(total) / samples.len() as f64,
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// A name for the scenario, given by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `sse`, `http` or `direct`.
    pub target: &'static str,
    /// The tool called, or the URL path of the direct GET.
    pub call: String,
    /// Concurrent sessions.
    pub concurrency: usize,
    /// Calls planned (concurrency × calls per session).
    pub planned: usize,
    /// Calls answered successfully.
    pub ok: u64,
    /// Calls that failed: transport errors, HTTP errors, JSON-RPC errors, tool results
    /// with `isError`, timeouts, and the calls of sessions that could not be opened.
    pub errors: u64,
    /// Calls not started because the time limit passed.
    pub not_run: u64,
    /// From the start of the measured phase to the end of the last call, in seconds.
    pub elapsed_s: f64,
    /// Successful calls per second.
    pub calls_per_s: f64,
    /// Latency of the successful calls.
    pub latency_ms: Latency,
    /// The first few distinct error messages.
    pub error_samples: Vec<String>,
    /// The server's resident memory before the run (with `--server-pid`), KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_before_kib: Option<u64>,
    /// And after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_after_kib: Option<u64>,
    /// CPU time the server used during the measured phase (`--server-pid`), in
    /// milliseconds (10 ms resolution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_cpu_ms: Option<f64>,
    /// CPU time loadgen itself used during the measured phase, in milliseconds (10 ms
    /// resolution): on a machine shared by all three, it is taken from the same cores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loadgen_cpu_ms: Option<f64>,
    /// CPU time the upstream used during the measured phase (`--upstream-pid`), in
    /// milliseconds (10 ms resolution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_cpu_ms: Option<f64>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.latency_ms;
        write!(
            f,
            "{}{} {}: c={} calls={} ok={} errors={} not_run={} in {:.2} s: {:.0} calls/s; latency ms p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
            self.label.as_deref().map(|l| format!("[{l}] ")).unwrap_or_default(),
            self.target,
            self.call,
            self.concurrency,
            self.planned,
            self.ok,
            self.errors,
            self.not_run,
            self.elapsed_s,
            self.calls_per_s,
            l.p50,
            l.p90,
            l.p99,
            l.max
        )?;
        if let (Some(b), Some(a)) = (self.rss_before_kib, self.rss_after_kib) {
            write!(f, "; server RSS {b} -> {a} KiB")?;
        }
        let cpu =
            [("loadgen", self.loadgen_cpu_ms), ("server", self.server_cpu_ms), ("upstream", self.upstream_cpu_ms)];
        if cpu.iter().any(|(_, ms)| ms.is_some()) && self.ok > 0 {
            write!(f, "; CPU µs/call")?;
            for (who, ms) in cpu {
                if let Some(ms) = ms {
                    write!(f, " {who} {:.0}", ms * 1000.0 / self.ok as f64)?;
                }
            }
        }
        for e in &self.error_samples {
            write!(f, "\n  error: {e}")?;
        }
        Ok(())
    }
}

const MAX_SAMPLES: usize = 5;

/// The "tool" name that makes each call a `tools/list` request instead of a tool call.
pub const LIST_TOOLS: &str = "tools/list";

#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    errors: u64,
    not_run: u64,
    samples: Vec<String>,
    window: Option<(Instant, Instant)>,
}

impl WorkerResult {
    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.samples.len() < MAX_SAMPLES && !self.samples.contains(&message) {
            self.samples.push(message);
        }
    }
}

enum Caller {
    Mcp(Box<Session>, String, Value),
    Direct(Arc<Direct>),
}

impl Caller {
    /// One call; the instant its answer arrived.
    async fn call(&mut self) -> Result<Instant, String> {
        match self {
            Caller::Mcp(session, tool, _) if tool == LIST_TOOLS => {
                session.request(LIST_TOOLS, Value::Object(Default::default())).await.map(|r| r.arrived)
            }
            Caller::Mcp(session, tool, arguments) => session.call_tool(tool, arguments).await.map(|r| r.arrived),
            Caller::Direct(d) => d.get().await,
        }
    }
}

async fn open(client: &reqwest::Client, target: &Target, timeout: Duration) -> Result<Caller, String> {
    match target {
        Target::Direct(d) => Ok(Caller::Direct(d.clone())),
        Target::Mcp { endpoint, transport, tool, arguments } => {
            match tokio::time::timeout(timeout, Session::open(client, endpoint, *transport)).await {
                Ok(Ok(s)) => Ok(Caller::Mcp(Box::new(s), tool.clone(), arguments.clone())),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(format!("opening the session took longer than {:.1} s", timeout.as_secs_f64())),
            }
        }
    }
}

async fn worker(
    client: reqwest::Client,
    target: Target,
    plan: Plan,
    barrier: Arc<Barrier>,
    cpu_start: Arc<OnceLock<CpuReading>>,
) -> WorkerResult {
    let mut result = WorkerResult::default();
    let mut caller = match open(&client, &target, plan.timeout).await {
        Ok(c) => Some(c),
        Err(e) => {
            result.error(e);
            None
        }
    };
    if let Some(c) = caller.as_mut() {
        for _ in 0..plan.warmup {
            let _ = tokio::time::timeout(plan.timeout, c.call()).await;
        }
    }
    // Every worker reaches the barrier once, opened or not, so none waits forever.
    if barrier.wait().await.is_leader() {
        let _ = cpu_start.set(CpuReading::now(&plan));
    }
    let Some(mut caller) = caller else {
        // The failed opening counted one error; the calls it could not make count too.
        result.errors += plan.calls.saturating_sub(1) as u64;
        return result;
    };
    let start = Instant::now();
    let deadline = start + plan.duration;
    let mut end = start;
    for i in 0..plan.calls {
        let sent = Instant::now();
        if sent >= deadline {
            result.not_run += (plan.calls - i) as u64;
            break;
        }
        match tokio::time::timeout(plan.timeout, caller.call()).await {
            Ok(Ok(arrived)) => result.latencies.push(arrived.saturating_duration_since(sent)),
            Ok(Err(e)) => result.error(e),
            Err(_) => result.error(format!("no answer within {:.1} s", plan.timeout.as_secs_f64())),
        }
        end = Instant::now();
    }
    result.window = Some((start, end));
    if let Caller::Mcp(session, _, _) = caller {
        let _ = tokio::time::timeout(plan.timeout, (*session).close()).await;
    }
    result
}

/// The HTTP client for MCP servers (plain HTTP on loopback, or HTTPS with the system's roots).
pub fn mcp_client(pool: usize) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .http1_only()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(pool.max(1))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// Runs the plan against the target and summarises it.
pub async fn run(target: &Target, plan: &Plan) -> Result<Summary, String> {
    let concurrency = plan.concurrency.max(1);
    // Legacy SSE holds one connection per stream, and posts need their own.
    let client = mcp_client(concurrency * 2)?;
    let barrier = Arc::new(Barrier::new(concurrency));
    let cpu_start = Arc::new(OnceLock::new());
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(client.clone(), target.clone(), plan.clone(), barrier.clone(), cpu_start.clone())))
        .collect();
    let mut latencies = Vec::with_capacity(concurrency * plan.calls);
    let (mut errors, mut not_run) = (0, 0);
    let mut samples: Vec<String> = Vec::new();
    let mut window: Option<(Instant, Instant)> = None;
    for w in workers {
        let r = w.await.map_err(|e| format!("a worker failed: {e}"))?;
        latencies.extend(r.latencies);
        errors += r.errors;
        not_run += r.not_run;
        for s in r.samples {
            if samples.len() < MAX_SAMPLES && !samples.contains(&s) {
                samples.push(s);
            }
        }
        if let Some((s, e)) = r.window {
            window = Some(window.map_or((s, e), |(ws, we)| (ws.min(s), we.max(e))));
        }
    }
    let cpu = cpu_start.get().map(|start| CpuReading::now(plan).since(*start));
    let elapsed = window.map_or(Duration::ZERO, |(s, e)| e.saturating_duration_since(s));
    let ok = latencies.len() as u64;
    let call = match target {
        Target::Mcp { tool, .. } => tool.clone(),
        Target::Direct(d) => format!("GET {}", d.url().path()),
    };
    Ok(Summary {
        label: None,
        target: target.label(),
        call,
        concurrency,
        planned: concurrency * plan.calls,
        ok,
        errors,
        not_run,
        elapsed_s: elapsed.as_secs_f64(),
        calls_per_s: if elapsed.is_zero() { 0.0 } else { ok as f64 / elapsed.as_secs_f64() },
        latency_ms: Latency::of(&mut latencies),
        error_samples: samples,
        rss_before_kib: None,
        rss_after_kib: None,
        server_cpu_ms: cpu.and_then(|c| c.server),
        loadgen_cpu_ms: cpu.and_then(|c| c.loadgen),
        upstream_cpu_ms: cpu.and_then(|c| c.upstream),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let l = Latency::of(&mut samples);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50.0, 90.0, 99.0, 100.0));
        assert!((l.mean - 50.5).abs() < 1e-9);
        assert_eq!(Latency::of(&mut [Duration::from_micros(250)]).p99, 0.25);
        assert_eq!(Latency::of(&mut []), Latency::default());
    }
}
