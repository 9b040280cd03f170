//! Requests the server refuses, and that it keeps serving after each.

use proxmox_mcp::server::HttpOptions;
use reqwest::StatusCode;
use serde_json::json;

use super::sse_client::SseClient;
use super::{Harness, Setup};

const TOKEN: &str = "a-long-enough-bearer-token-for-tests";

async fn status(request: reqwest::RequestBuilder) -> (StatusCode, String) {
    let r = request.send().await.unwrap();
    (r.status(), r.text().await.unwrap_or_default())
}

/// The server still answers: /healthz and a tool call over SSE.
async fn still_serving(h: &Harness) {
    assert_eq!(reqwest::get(h.url("/healthz")).await.unwrap().status(), StatusCode::OK);
    let mut c = SseClient::connect(&h.url(""), &[("authorization", &format!("Bearer {TOKEN}"))]).await.unwrap();
    c.initialize("2025-06-18").await;
    let r = c.call("proxmox_api_search", json!({"query": "nodes"})).await;
    assert_eq!(r["isError"], false);
}

#[tokio::test]
async fn refused_requests_and_the_server_keeps_serving() {
    let h = Harness::start_with(Setup {
        tokens: vec![TOKEN.to_owned()],
        http: HttpOptions { max_body_bytes: 64 * 1024, ..HttpOptions::default() },
        origins: None,
    })
    .await;
    let http = reqwest::Client::new();
    let auth = format!("Bearer {TOKEN}");

    // Missing and wrong bearer tokens, on every transport route.
    for path in ["/sse", "/mcp", "/messages?sessionId=x", "/metrics"] {
        let (s, body) = status(http.get(h.url(path))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}: {body}");
        let (s, body) =
            status(http.get(h.url(path)).header("authorization", "Bearer wrong-token-of-some-length")).await;
        assert_eq!((s, body.as_str()), (StatusCode::UNAUTHORIZED, "invalid bearer token"), "{path}");
    }
    let r = http.get(h.url("/sse")).send().await.unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"proxmox-mcp\"");
    still_serving(&h).await;

    // Wrong Host and Origin, even with a good token; /healthz needs no token but a good Host.
    let (s, body) = status(http.get(h.url("/healthz")).header("host", "evil.example")).await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::FORBIDDEN, "Host header 'evil.example' is not allowed (see MCP_ALLOWED_HOSTS)")
    );
    let (s, body) = status(
        http.post(h.url("/mcp")).header("authorization", &auth).header("origin", "https://evil.example").body("{}"),
    )
    .await;
    assert_eq!(
        (s, body.as_str()),
        (StatusCode::FORBIDDEN, "Origin 'https://evil.example' is not allowed (see MCP_ALLOWED_ORIGINS)")
    );
    assert_eq!(status(http.get(h.url("/healthz"))).await.0, StatusCode::OK);
    still_serving(&h).await;

    // Oversized bodies.
    let big = format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(100 * 1024));
    let c = SseClient::connect(&h.url(""), &[("authorization", &auth)]).await.unwrap();
    assert_eq!(c.post_raw(big.clone()).await, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _) = status(
        http.post(h.url("/mcp"))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(big),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    still_serving(&h).await;

    // Malformed JSON-RPC and unknown sessions.
    assert_eq!(c.post_raw("{not json".to_owned()).await, StatusCode::BAD_REQUEST);
    assert_eq!(c.post_raw("{\"hello\": 1}".to_owned()).await, StatusCode::BAD_REQUEST);
    let (s, body) =
        status(http.post(h.url("/messages?sessionId=0123456789abcdef")).header("authorization", &auth).body("{}"))
            .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = status(http.post(h.url("/messages")).header("authorization", &auth).body("{}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string();
    let (s, _) = status(
        http.post(h.url("/mcp"))
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", "no-such-session")
            .body(ping),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    still_serving(&h).await;
}

#[tokio::test]
async fn configured_origins_are_honoured() {
    let h = Harness::start_with(Setup { origins: Some("https://app.example.com".into()), ..Setup::default() }).await;
    let c = SseClient::connect(&h.url(""), &[("origin", "https://app.example.com")]).await;
    assert!(c.is_ok());
    let err = SseClient::connect(&h.url(""), &[("origin", "http://localhost:3000")]).await.err().unwrap();
    assert!(err.starts_with("403"), "{err}");
}
