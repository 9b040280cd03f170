//! Idle sessions: open many, complete their handshakes, and keep them open, to measure
//! what an idle session costs the server.

use crate::mcp::{Endpoint, Session, Transport};
use serde::Serialize;
use std::time::Duration;

/// How the opening went.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// Sessions open now.
    pub open: usize,
    /// Sessions that could not be opened.
    pub failed: usize,
    /// The first few distinct reasons.
    pub error_samples: Vec<String>,
    /// How long opening took, in seconds.
    pub elapsed_s: f64,
}

/// Opens `count` sessions, `parallel` at a time, each bounded by `timeout`.
pub async fn open_sessions(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    transport: Transport,
    count: usize,
    parallel: usize,
    timeout: Duration,
) -> (Vec<Session>, Opened) {
    let started = std::time::Instant::now();
    let mut sessions = Vec::with_capacity(count);
    let mut failed = 0;
    let mut samples: Vec<String> = Vec::new();
    let mut remaining = count;
    while remaining > 0 {
        let batch = remaining.min(parallel.max(1));
        remaining -= batch;
        let opening: Vec<_> = (0..batch)
            .map(|_| {
                let (client, endpoint) = (client.clone(), endpoint.clone());
                tokio::spawn(async move {
                    tokio::time::timeout(timeout, Session::open(&client, &endpoint, transport)).await
                })
            })
            .collect();
        for o in opening {
            match o.await {
                Ok(Ok(Ok(s))) => sessions.push(s),
                other => {
                    failed += 1;
                    let reason = match other {
                        Ok(Ok(Err(e))) => e,
                        Ok(Err(_)) => format!("no answer within {:.1} s", timeout.as_secs_f64()),
                        _ => "the opening task failed".to_owned(),
                    };
                    if samples.len() < 5 && !samples.contains(&reason) {
                        samples.push(reason);
                    }
                }
            }
        }
    }
    let open = sessions.len();
    (sessions, Opened { open, failed, error_samples: samples, elapsed_s: started.elapsed().as_secs_f64() })
}
