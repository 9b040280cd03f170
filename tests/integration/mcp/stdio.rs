//! stdio: the real binary launched as a child process, driven by rmcp's client.

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::json;

use super::{Harness, seen, text_of};

#[tokio::test]
async fn stdio_serves_the_same_tools() {
    let h = Harness::start().await;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_proxmox-mcp"));
    command.args(["serve", "--stdio", "--config"]).arg(&h.config_path).env("RUST_LOG", "warn");
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("the stdio server initialises");
    let info = client.peer().peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("proxmox-mcp"));
    let tools = client.peer().list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 9);
    let args = json!({"cluster": "prod"}).as_object().cloned().unwrap();
    let r = client.peer().call_tool(CallToolRequestParams::new("list_nodes").with_arguments(args)).await.unwrap();
    assert_ne!(r.is_error, Some(true), "{}", text_of(&r));
    assert_eq!(seen(&h.prod, "GET /nodes"), 1);
    let args = json!({"path": "/nodes/pve1/qemu/100/config", "method": "POST", "data": {"cores": 0}})
        .as_object()
        .cloned()
        .unwrap();
    let r = client.peer().call_tool(CallToolRequestParams::new("proxmox_api_call").with_arguments(args)).await.unwrap();
    assert_eq!(r.is_error, Some(true));
    assert!(text_of(&r).contains("'cores'"));
    client.cancel().await.unwrap();
}
