//! Streamable HTTP with rmcp's client: every tool, progress notifications, errors as tool
//! results, and no delayed-ACK stall.

use fake_pve::{Fault, FaultAction};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ProgressNotificationParam};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Harness, seen, text_of};

/// A client that records progress notifications.
#[derive(Clone, Default)]
pub struct Recorder {
    pub progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for Recorder {
    async fn on_progress(&self, params: ProgressNotificationParam, _context: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::default()
    }
}

pub async fn connect(h: &Harness) -> (RunningService<RoleClient, Recorder>, Recorder) {
    let recorder = Recorder::default();
    let transport = StreamableHttpClientTransport::from_uri(h.url("/mcp"));
    let client = recorder.clone().serve(transport).await.expect("the client initialises");
    (client, recorder)
}

pub async fn call(client: &RunningService<RoleClient, Recorder>, tool: &str, args: Value) -> CallToolResult {
    let params =
        CallToolRequestParams::new(tool.to_owned()).with_arguments(args.as_object().cloned().unwrap_or_default());
    client.peer().call_tool(params).await.unwrap_or_else(|e| panic!("{tool}: {e}"))
}

fn json_text(result: &CallToolResult) -> Value {
    serde_json::from_str(&text_of(result)).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text_of(result)))
}

#[tokio::test]
async fn every_tool_works() {
    let h = Harness::start().await;
    let (client, recorder) = connect(&h).await;
    assert_eq!(client.peer().list_all_tools().await.unwrap().len(), 9);

    let clusters = call(&client, "list_clusters", json!({})).await;
    let list = clusters.structured_content.clone().expect("structured");
    let names: Vec<&str> = list["clusters"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lab", "prod"]);
    assert!(
        list["clusters"].as_array().unwrap().iter().all(|c| c["reachable"] == true && c["version"].is_string()),
        "{list}"
    );
    assert_eq!(list["clusters"][1]["read_only"], true);
    assert!(
        !text_of(&clusters).contains(crate::support::TOKEN_SECRET)
            && !text_of(&clusters).contains(crate::support::PASSWORD)
    );

    let nodes = call(&client, "list_nodes", json!({})).await;
    assert_ne!(nodes.is_error, Some(true), "{}", text_of(&nodes));
    assert!(
        nodes.structured_content.as_ref().unwrap()["data"].as_array().unwrap().iter().any(|n| n["node"].is_string())
    );

    let resources = call(&client, "get_cluster_resources", json!({"type": "vm"})).await;
    assert_ne!(resources.is_error, Some(true), "{}", text_of(&resources));
    assert!(resources.structured_content.unwrap()["data"].is_array());
    assert_eq!(seen(&h.lab, "GET /cluster/resources"), 1);

    let status = call(&client, "get_cluster_status", json!({"cluster": "prod"})).await;
    assert_eq!(status.structured_content.unwrap()["data"][0]["quorate"], 1);
    assert_eq!(seen(&h.prod, "GET /cluster/status"), 1, "the named cluster answered");

    let search = call(&client, "proxmox_api_search", json!({"query": "start vm", "limit": 3})).await;
    assert_eq!(json_text(&search)[0]["path"], "/nodes/{node}/qemu/{vmid}/status/start");
    let describe =
        call(&client, "proxmox_api_describe", json!({"path": "/nodes/pve1/qemu/100/status/start", "method": "POST"}))
            .await;
    assert_eq!(json_text(&describe)["methods"][0]["method"], "POST");

    let get = call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/config", "method": "GET"})).await;
    assert_ne!(get.is_error, Some(true), "{}", text_of(&get));
    assert_eq!(seen(&h.lab, "GET /nodes/pve1/qemu/100/config"), 1);

    // A raw POST that starts a guest, then wait_for_task with a progress token.
    let started =
        call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/status/start", "method": "POST"})).await;
    let text = text_of(&started);
    assert!(text.contains("Follow it with wait_for_task"), "{text}");
    let upid = text.split('"').nth(1).unwrap().to_owned();
    assert!(upid.starts_with("UPID:pve1:"), "{upid}");
    let tasks = call(&client, "list_cluster_tasks", json!({})).await;
    assert_eq!(tasks.structured_content.unwrap()["data"][0]["upid"], upid.as_str());
    // rmcp's client puts its own progress token on every request; the server must echo it.
    let params = CallToolRequestParams::new("wait_for_task")
        .with_arguments(json!({"upid": upid, "timeout_s": 30}).as_object().cloned().unwrap());
    let waited = client.peer().call_tool(params).await.unwrap();
    assert_ne!(waited.is_error, Some(true), "{}", text_of(&waited));
    assert!(text_of(&waited).contains("finished: OK"), "{}", text_of(&waited));
    let progress = recorder.progress.lock().unwrap().clone();
    assert!(!progress.is_empty(), "progress notifications arrive during wait_for_task");
    assert!(
        progress.windows(2).all(|w| w[0].progress_token == w[1].progress_token && w[0].progress <= w[1].progress),
        "{progress:?}"
    );
    assert!(progress.last().unwrap().message.as_deref().unwrap_or("").contains("task"), "{progress:?}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_failing_task_is_a_tool_error_with_its_log() {
    let h = Harness::start().await;
    h.lab.set_task_plan(fake_pve::TaskPlan {
        running_polls: 1,
        exit_status: "start failed: no such bridge 'vmbr9'".into(),
        log: vec!["trying".into()],
    });
    let (client, _) = connect(&h).await;
    let started =
        call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/status/start", "method": "POST"})).await;
    let upid = text_of(&started).split('"').nth(1).unwrap().to_owned();
    let waited = call(&client, "wait_for_task", json!({"upid": upid, "cluster": "lab"})).await;
    assert_eq!(waited.is_error, Some(true));
    let text = text_of(&waited);
    assert!(text.contains("failed: start failed: no such bridge 'vmbr9'") && text.contains("trying"), "{text}");
}

#[tokio::test]
async fn validation_errors_are_tool_errors_and_nothing_is_sent() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    let r = call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100/config", "method": "POST", "data": {"cores": 0, "net0": "virtio,brige=vmbr0"}})).await;
    assert_eq!(r.is_error, Some(true));
    let text = text_of(&r);
    assert!(text.starts_with("not sent: POST /nodes/{node}/qemu/{vmid}/config: 2 invalid parameters"), "{text}");
    assert!(
        text.contains("'cores': expected an integer of at least 1, got '0'") && text.contains("did you mean 'bridge'?"),
        "{text}"
    );
    let r = call(&client, "proxmox_api_call", json!({"path": "/nodes/../access/users", "method": "GET"})).await;
    assert!(r.is_error == Some(true) && text_of(&r).contains("path refused"), "{}", text_of(&r));
    let r = call(&client, "proxmox_api_call", json!({"path": "/nodes", "method": "FETCH"})).await;
    assert!(
        r.is_error == Some(true) && text_of(&r).starts_with("invalid arguments for proxmox_api_call"),
        "{}",
        text_of(&r)
    );
    let r = call(&client, "get_cluster_resources", json!({"type": "vms"})).await;
    assert!(r.is_error == Some(true) && text_of(&r).contains("unknown variant `vms`"), "{}", text_of(&r));
    // Data sent as a JSON string is understood.
    let r = call(
        &client,
        "proxmox_api_call",
        json!({"path": "/nodes/pve1/qemu/100/config", "method": "PUT", "data": "{\"cores\": 2}"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let requests = h.lab.counters().requests;
    assert_eq!(
        requests.keys().filter(|k| k.contains("/qemu/100/config") && k.starts_with("POST")).count(),
        0,
        "{requests:?}"
    );
}

#[tokio::test]
async fn policy_refusals_name_the_rule_and_nothing_is_sent() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    let r = call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/100", "method": "DELETE"})).await;
    assert_eq!(r.is_error, Some(true));
    assert_eq!(text_of(&r), "refused by policy: cluster 'lab' denies \"DELETE /nodes/*/qemu/*\"");
    let r = call(
        &client,
        "proxmox_api_call",
        json!({"cluster": "prod", "path": "/nodes/pve1/qemu/100/status/start", "method": "POST"}),
    )
    .await;
    assert_eq!(
        text_of(&r),
        "refused by policy: cluster 'prod' is read-only (\"read_only\": true); only GET calls are allowed"
    );
    assert_eq!(seen(&h.lab, "DELETE /nodes/pve1/qemu/100"), 0);
    assert_eq!(seen(&h.prod, "POST /nodes/pve1/qemu/100/status/start"), 0);
    // Reads on the read-only cluster still work, and unknown clusters are named.
    let r = call(&client, "proxmox_api_call", json!({"cluster": "prod", "path": "/version", "method": "GET"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    let r = call(&client, "list_nodes", json!({"cluster": "staging"})).await;
    assert!(
        r.is_error == Some(true) && text_of(&r).contains("staging") && text_of(&r).contains("lab"),
        "{}",
        text_of(&r)
    );
}

#[tokio::test]
async fn pve_errors_are_tool_errors() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    h.lab.fault(Fault::new(
        "/cluster/resources",
        FaultAction::Error { status: 500, message: "cfs-lock timeout".into(), errors: vec![], in_body: true },
    ));
    let r = call(&client, "get_cluster_resources", json!({})).await;
    assert!(r.is_error == Some(true) && text_of(&r).contains("cfs-lock timeout"), "{}", text_of(&r));
    h.lab.clear_faults();
    h.lab.fault(Fault::new(
        "/nodes",
        FaultAction::Error { status: 595, message: "No route to host".into(), errors: vec![], in_body: false },
    ));
    let r = call(&client, "list_nodes", json!({})).await;
    assert_eq!(r.is_error, Some(true), "{}", text_of(&r));
    // The other cluster is unaffected.
    let r = call(&client, "list_nodes", json!({"cluster": "prod"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
}

#[tokio::test]
async fn unknown_tools_are_protocol_errors() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    let err = client.peer().call_tool(CallToolRequestParams::new("format_disk")).await.unwrap_err();
    assert!(err.to_string().contains("unknown tool 'format_disk'"), "{err}");
    let metrics = reqwest::get(h.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("mcp_tool_calls_total{tool=\"format_disk\",outcome=\"protocol_error\"} 1"), "{metrics}");
}

/// Replies split in two writes stall ~40 ms on the client's delayed ACK unless the server
/// sets TCP_NODELAY. Sequential calls then take at least 40 ms each; without the stall a
/// call here takes a few milliseconds.
#[tokio::test]
async fn no_delayed_ack_stall() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let r = call(&client, "proxmox_api_search", json!({"query": "vm config", "limit": 1})).await;
        assert_ne!(r.is_error, Some(true));
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    assert!(median < Duration::from_millis(30), "median tool call took {median:?}: a delayed-ACK stall?");
}

#[tokio::test]
async fn a_403_names_the_privilege_on_the_concrete_object() {
    let h = Harness::start().await;
    let (client, _) = connect(&h).await;
    h.lab.fault(Fault::new(
        "/nodes/pve1/qemu/101/status/start",
        FaultAction::Error { status: 403, message: "Permission check failed".into(), errors: vec![], in_body: true },
    ));
    let r =
        call(&client, "proxmox_api_call", json!({"path": "/nodes/pve1/qemu/101/status/start", "method": "POST"})).await;
    assert_eq!(r.is_error, Some(true));
    let text = text_of(&r);
    assert!(text.contains("VM.PowerMgmt") && text.contains("/vms/101"), "{text}");
}
