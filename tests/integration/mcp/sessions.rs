//! Session lifecycle: many SSE clients come and go; limits; idle sessions close.

use proxmox_mcp::server::HttpOptions;
use std::time::Duration;

use super::sse_client::SseClient;
use super::{Harness, Setup};

async fn gauge(h: &Harness, transport: &str) -> i64 {
    let text = reqwest::get(h.url("/metrics")).await.unwrap().text().await.unwrap();
    let key = format!("mcp_open_sessions{{transport=\"{transport}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&key)).unwrap().parse().unwrap()
}

async fn wait_for_gauge(h: &Harness, transport: &str, want: i64) {
    for _ in 0..100 {
        if gauge(h, transport).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{transport} sessions: {} open, expected {want}", gauge(h, transport).await);
}

#[tokio::test]
async fn two_hundred_sse_clients_connect_and_drop() {
    let h = Harness::start().await;
    let mut clients = Vec::new();
    for _ in 0..200 {
        clients.push(SseClient::connect(&h.url(""), &[]).await.unwrap());
    }
    assert_eq!(gauge(&h, "sse").await, 200);
    drop(clients);
    wait_for_gauge(&h, "sse", 0).await;
    // Posting to a closed session is a 404.
    let c = SseClient::connect(&h.url(""), &[]).await.unwrap();
    let endpoint = c.endpoint.clone();
    drop(c);
    wait_for_gauge(&h, "sse", 0).await;
    let r = reqwest::Client::new().post(h.url(&endpoint)).body("{}").send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn session_limits_and_idle_timeout() {
    let http = HttpOptions { max_sessions: 2, idle_timeout: Duration::from_millis(300), ..HttpOptions::default() };
    let h = Harness::start_with(Setup { http, ..Setup::default() }).await;
    let a = SseClient::connect(&h.url(""), &[]).await.unwrap();
    let _b = SseClient::connect(&h.url(""), &[]).await.unwrap();
    let err = SseClient::connect(&h.url(""), &[]).await.err().unwrap();
    assert!(err.starts_with("503"), "{err}");
    // Idle sessions are closed: the gauge goes back to zero and posting is refused.
    wait_for_gauge(&h, "sse", 0).await;
    assert_eq!(a.post_raw("{}".to_owned()).await, reqwest::StatusCode::NOT_FOUND);
    let _c = SseClient::connect(&h.url(""), &[]).await.unwrap();
}
