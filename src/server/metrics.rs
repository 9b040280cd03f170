//! Prometheus metrics: tool calls by tool and outcome, upstream latency per cluster, open
//! sessions per transport. Rendered in the text exposition format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds of the upstream latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// A normal result.
    Ok,
    /// A tool result with `isError: true` (validation, policy, PVE error...).
    ToolError,
    /// A protocol error (unknown tool, malformed arguments).
    ProtocolError,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::ProtocolError => "protocol_error",
        }
    }
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    tool_calls: Mutex<BTreeMap<(String, Outcome), u64>>,
    upstream: Mutex<BTreeMap<String, Histogram>>,
    sse_sessions: AtomicI64,
    http_sessions: AtomicI64,
}

/// A transport whose sessions are counted.
#[derive(Debug, Clone, Copy)]
pub enum Transport {
    /// Legacy SSE (`/sse`).
    Sse,
    /// Streamable HTTP (`/mcp`).
    StreamableHttp,
}

impl Metrics {
    /// Counts a finished tool call.
    pub fn tool_call(&self, tool: &str, outcome: Outcome) {
        let mut map = self.tool_calls.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((tool.to_owned(), outcome)).or_default() += 1;
    }

    /// Records one upstream request's latency.
    pub fn upstream(&self, cluster: &str, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut map = self.upstream.lock().unwrap_or_else(|e| e.into_inner());
        let h = map.entry(cluster.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    fn gauge(&self, t: Transport) -> &AtomicI64 {
        match t {
            Transport::Sse => &self.sse_sessions,
            Transport::StreamableHttp => &self.http_sessions,
        }
    }

    /// A session opened.
    pub fn session_opened(&self, t: Transport) {
        self.gauge(t).fetch_add(1, Ordering::Relaxed);
    }

    /// A session closed.
    pub fn session_closed(&self, t: Transport) {
        self.gauge(t).fetch_sub(1, Ordering::Relaxed);
    }

    /// Open sessions of a transport.
    pub fn open_sessions(&self, t: Transport) -> i64 {
        self.gauge(t).load(Ordering::Relaxed)
    }

    /// Sets the Streamable HTTP session count (read from rmcp's session manager).
    pub fn set_http_sessions(&self, n: usize) {
        self.http_sessions.store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP mcp_tool_calls_total Tool calls by tool and outcome.\n# TYPE mcp_tool_calls_total counter\n",
        );
        for ((tool, outcome), n) in self.tool_calls.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ =
                writeln!(out, "mcp_tool_calls_total{{tool=\"{}\",outcome=\"{}\"}} {n}", escape(tool), outcome.label());
        }
        out.push_str("# HELP pve_upstream_request_duration_seconds Latency of requests to Proxmox VE, by cluster.\n# TYPE pve_upstream_request_duration_seconds histogram\n");
        for (cluster, h) in self.upstream.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let c = escape(cluster);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ =
                    writeln!(out, "pve_upstream_request_duration_seconds_bucket{{cluster=\"{c}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "pve_upstream_request_duration_seconds_bucket{{cluster=\"{c}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "pve_upstream_request_duration_seconds_sum{{cluster=\"{c}\"}} {}", h.sum);
            let _ = writeln!(out, "pve_upstream_request_duration_seconds_count{{cluster=\"{c}\"}} {}", h.count);
        }
        out.push_str("# HELP mcp_open_sessions Open MCP sessions by transport.\n# TYPE mcp_open_sessions gauge\n");
        let _ = writeln!(out, "mcp_open_sessions{{transport=\"sse\"}} {}", self.open_sessions(Transport::Sse));
        let _ = writeln!(
            out,
            "mcp_open_sessions{{transport=\"streamable_http\"}} {}",
            self.open_sessions(Transport::StreamableHttp)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.tool_call("list_nodes", Outcome::Ok);
        m.tool_call("list_nodes", Outcome::Ok);
        m.tool_call("proxmox_api_call", Outcome::ToolError);
        m.upstream("lab", Duration::from_millis(3));
        m.upstream("lab", Duration::from_millis(300));
        m.session_opened(Transport::Sse);
        m.session_opened(Transport::Sse);
        m.session_closed(Transport::Sse);
        let text = m.render();
        assert!(text.contains("mcp_tool_calls_total{tool=\"list_nodes\",outcome=\"ok\"} 2\n"), "{text}");
        assert!(text.contains("mcp_tool_calls_total{tool=\"proxmox_api_call\",outcome=\"tool_error\"} 1\n"));
        assert!(text.contains("pve_upstream_request_duration_seconds_bucket{cluster=\"lab\",le=\"0.005\"} 1\n"));
        assert!(text.contains("pve_upstream_request_duration_seconds_bucket{cluster=\"lab\",le=\"0.5\"} 2\n"));
        assert!(text.contains("pve_upstream_request_duration_seconds_count{cluster=\"lab\"} 2\n"));
        assert!(text.contains("mcp_open_sessions{transport=\"sse\"} 1\n"));
        assert_eq!(escape("a\"b"), "a\\\"b");
    }
}
