//! Legacy SSE with the small client: protocol versions, the golden tools/list, tools on
//! both clusters in one session.

use serde_json::{Value, json};

use super::sse_client::SseClient;
use super::{Harness, seen};

/// Every protocol version rmcp supports that has an `initialize` handshake.
pub const VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// `initialize` over Streamable HTTP with raw HTTP; returns the result object.
async fn initialize_streamable(h: &Harness, version: &str) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let response = reqwest::Client::new()
        .post(h.url("/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert!(response.headers().get("mcp-session-id").is_some(), "a stateful session id");
    let text = response.text().await.unwrap();
    // The answer may be JSON, or an event stream that starts with an empty priming event.
    let json_text = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| d.starts_with('{'))
        .unwrap_or(&text)
        .to_owned();
    let v: Value = serde_json::from_str(&json_text).unwrap_or_else(|e| panic!("{e}: {text}"));
    v["result"].clone()
}

#[tokio::test]
async fn initialize_with_each_protocol_version() {
    let h = Harness::start().await;
    for version in VERSIONS {
        let mut c = SseClient::connect(&h.url(""), &[]).await.unwrap();
        let result = c.initialize(version).await;
        assert_eq!(result["protocolVersion"], version, "SSE");
        assert_eq!(result["serverInfo"]["name"], "proxmox-mcp");
        assert!(result["instructions"].as_str().unwrap().contains("proxmox_api_search"));
        let result = initialize_streamable(&h, version).await;
        assert_eq!(result["protocolVersion"], version, "Streamable HTTP");
    }
}

#[tokio::test]
async fn tools_list_equals_the_golden_file() {
    let h = Harness::start().await;
    let mut c = SseClient::connect(&h.url(""), &[]).await.unwrap();
    c.initialize("2024-11-05").await;
    let listed = c.request("tools/list", json!({})).await.unwrap();
    let got = serde_json::to_string_pretty(&json!({"tools": listed["tools"]})).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/tools_list.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let golden = std::fs::read_to_string(path).expect("tests/golden/tools_list.json (write it with UPDATE_GOLDEN=1)");
    assert_eq!(got, golden, "tools/list changed: review, then UPDATE_GOLDEN=1 cargo test tools_list");
    // The curated tools' definitions are the codegen golden files, verbatim.
    for t in listed["tools"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let file = format!("{}/tests/golden/curated/{name}.json", env!("CARGO_MANIFEST_DIR"));
        if let Ok(text) = std::fs::read_to_string(&file) {
            assert_eq!(t, &serde_json::from_str::<Value>(&text).unwrap(), "{name}");
        }
    }
}

#[tokio::test]
async fn tools_on_both_clusters_in_one_session() {
    let h = Harness::start().await;
    let mut c = SseClient::connect(&h.url(""), &[]).await.unwrap();
    c.initialize("2024-11-05").await;
    let lab = c.call("get_cluster_resources", json!({"cluster": "lab", "type": "vm"})).await;
    assert_eq!(lab["isError"], false, "{lab}");
    assert!(lab["structuredContent"]["data"].is_array());
    let prod = c.call("list_nodes", json!({"cluster": "prod"})).await;
    assert_eq!(prod["isError"], false, "{prod}");
    assert_eq!((seen(&h.lab, "GET /cluster/resources"), seen(&h.prod, "GET /nodes")), (1, 1));
    let raw = c
        .call(
            "proxmox_api_call",
            json!({"path": "/api2/json/cluster/resources", "method": "get", "data": {"type": "vm"}}),
        )
        .await;
    assert_eq!(raw["isError"], false, "{raw}");
    let bad = c
        .call(
            "proxmox_api_call",
            json!({"path": "/nodes/pve1/qemu/100/config", "method": "POST", "data": {"memory": 8}}),
        )
        .await;
    assert_eq!(bad["isError"], true);
    assert!(
        bad["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("'memory.current': expected an integer of at least 16, got '8'"),
        "{bad}"
    );
}

#[tokio::test]
async fn progress_notifications_carry_the_clients_token() {
    let h = Harness::start().await;
    let mut c = SseClient::connect(&h.url(""), &[]).await.unwrap();
    c.initialize("2025-03-26").await;
    let started =
        c.call("proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/status/start", "method": "POST"})).await;
    let text = started["content"][0]["text"].as_str().unwrap().to_owned();
    let upid = text.split('"').nth(1).unwrap().to_owned();
    h.lab.set_task_plan(fake_pve::TaskPlan { running_polls: 2, exit_status: "OK".into(), log: vec![] });
    let waited = c
        .request(
            "tools/call",
            json!({"name": "wait_for_task", "arguments": {"upid": upid}, "_meta": {"progressToken": "tok-7"}}),
        )
        .await
        .unwrap();
    assert_eq!(waited["isError"], false, "{waited}");
    let progress: Vec<&Value> = c.notifications.iter().filter(|n| n["method"] == "notifications/progress").collect();
    assert!(!progress.is_empty(), "{:?}", c.notifications);
    assert!(progress.iter().all(|n| n["params"]["progressToken"] == "tok-7"), "{progress:?}");
    // Without a token, no progress notifications are sent.
    let before = c.notifications.len();
    let started =
        c.call("proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/status/start", "method": "POST"})).await;
    let upid = started["content"][0]["text"].as_str().unwrap().split('"').nth(1).unwrap().to_owned();
    c.call("wait_for_task", json!({"upid": upid})).await;
    assert_eq!(c.notifications.len(), before);
}
