//! Startup time: from spawning the server to its answer to `tools/list`, over stdio or
//! over Streamable HTTP (polling until the port answers).

use crate::mcp::{Endpoint, PROTOCOL_VERSION, Session, Transport};
use serde::Serialize;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// How the server is asked.
#[derive(Debug, Clone)]
pub enum Via {
    /// On the child's stdin and stdout.
    Stdio,
    /// At this address once it listens.
    Http(Endpoint),
}

/// Startup times of several runs.
#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    /// `stdio` or `http`.
    pub via: &'static str,
    /// Successful runs.
    pub runs: usize,
    /// Fastest, in milliseconds.
    pub min_ms: f64,
    /// Median.
    pub median_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// How many tools `tools/list` returned.
    pub tools: usize,
}

/// Spawns `command` once and measures the time to the `tools/list` answer. The child is
/// killed afterwards (and when anything fails).
pub async fn measure_once(command: &[String], via: &Via, timeout: Duration) -> Result<(Duration, usize), String> {
    let (program, args) = command.split_first().ok_or("no command to start")?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).kill_on_drop(true).stderr(Stdio::null());
    let started = Instant::now();
    let deadline = started + timeout;
    let outcome = match via {
        Via::Stdio => {
            let mut child = cmd
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {program}: {e}"))?;
            let r = tokio::time::timeout_at(deadline.into(), over_stdio(&mut child)).await;
            let _ = child.kill().await;
            r.map_err(|_| format!("no tools/list answer within {:.1} s", timeout.as_secs_f64()))?
        }
        Via::Http(endpoint) => {
            let mut child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start {program}: {e}"))?;
            let r = tokio::time::timeout_at(deadline.into(), over_http(&mut child, endpoint)).await;
            let _ = child.kill().await;
            r.map_err(|_| format!("no tools/list answer within {:.1} s", timeout.as_secs_f64()))?
        }
    };
    outcome.map(|tools| (started.elapsed(), tools))
}

fn count_tools(result: &Value) -> usize {
    result.get("tools").and_then(Value::as_array).map_or(0, Vec::len)
}

async fn over_stdio(child: &mut tokio::process::Child) -> Result<usize, String> {
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "loadgen", "version": env!("CARGO_PKG_VERSION")}}});
    let lines = format!(
        "{init}\n{}\n{}\n",
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    );
    stdin.write_all(lines.as_bytes()).await.map_err(|e| format!("cannot write to the server: {e}"))?;
    stdin.flush().await.map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stdout).lines();
    while let Some(line) = reader.next_line().await.map_err(|e| e.to_string())? {
        let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
        if message.get("id").and_then(Value::as_u64) == Some(2) {
            drop(stdin);
            return message.get("result").map(count_tools).ok_or_else(|| format!("tools/list failed: {line}"));
        }
    }
    Err("the server closed stdout before answering tools/list".to_owned())
}

async fn over_http(child: &mut tokio::process::Child, endpoint: &Endpoint) -> Result<usize, String> {
    let client = crate::run::mcp_client(1)?;
    loop {
        match Session::open(&client, endpoint, Transport::StreamableHttp).await {
            Ok(mut session) => {
                let reply = session.request("tools/list", json!({})).await?;
                session.close().await;
                return Ok(count_tools(&reply.result));
            }
            Err(_) => {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("the server exited before answering: {status}"));
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// Runs `measure_once` `runs` times and summarises; the first failure ends it.
pub async fn measure(command: &[String], via: &Via, runs: usize, timeout: Duration) -> Result<Startup, String> {
    let mut times = Vec::with_capacity(runs);
    let mut tools = 0;
    for _ in 0..runs.max(1) {
        let (t, n) = measure_once(command, via, timeout).await?;
        times.push(t.as_secs_f64() * 1000.0);
        tools = n;
    }
    times.sort_by(f64::total_cmp);
    Ok(Startup {
        via: match via {
            Via::Stdio => "stdio",
            Via::Http(_) => "http",
        },
        runs: times.len(),
        min_ms: times[0],
        median_ms: times[times.len() / 2],
        max_ms: times[times.len() - 1],
        tools,
    })
}
