//! Criterion benchmarks of the per-request work around a tool call: finding a tool and
//! serving the tools list, reading a JSON-RPC request, and encoding replies as SSE frames.
//!
//! `cargo bench --bench server`; the figures are recorded in BENCHMARKS.md by `bench/run`.

use criterion::{Criterion, criterion_group, criterion_main};
use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ContentBlock, ListToolsResult, NumberOrString, ServerJsonRpcMessage,
    ServerResult,
};
use serde_json::json;
use std::hint::black_box;

use proxmox_mcp::schema::curated;
use proxmox_mcp::server::sse::message_event;
use proxmox_mcp::tools::TOOLS;

/// What `proxmox_api_call` answers for one guest's status: PVE's data as text.
const GUEST_STATUS: &str = r#"{"vmid":100,"name":"vm100","status":"running","qmpstatus":"running","cpus":2,"cpu":0.0123,"maxmem":4294967296,"mem":1073741824,"maxdisk":34359738368,"disk":0,"uptime":86400,"netin":123456789,"netout":98765432,"diskread":1234567890,"diskwrite":987654321,"pid":10000,"ha":{"managed":0},"agent":1,"tags":"stub;bench","running-machine":"pc-i440fx-9.2+pve1","running-qemu":"9.2.0"}"#;

fn tools_list() -> ListToolsResult {
    ListToolsResult { tools: TOOLS.clone(), ..Default::default() }
}

fn bench(c: &mut Criterion) {
    let _ = &*TOOLS;
    c.bench_function("tool lookup: find proxmox_api_call by name", |b| {
        b.iter(|| TOOLS.iter().find(|t| t.name == black_box("proxmox_api_call")).is_some())
    });
    c.bench_function("tool lookup: prepare get_cluster_resources arguments", |b| {
        b.iter(|| curated::prepare(black_box("get_cluster_resources"), json!({"type": "vm"})))
    });
    c.bench_function("tools/list: build the result", |b| b.iter(tools_list));
    c.bench_function("tools/list: build and encode as an SSE frame", |b| {
        b.iter(|| {
            message_event(&ServerJsonRpcMessage::response(
                ServerResult::ListToolsResult(tools_list()),
                NumberOrString::Number(2),
            ))
        })
    });
    let request = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "proxmox_api_call",
        "arguments": {"method": "GET", "path": "/nodes/pve1/qemu/100/status/current"}}})
    .to_string();
    c.bench_function("JSON-RPC: read a tools/call request", |b| {
        b.iter(|| serde_json::from_str::<ClientJsonRpcMessage>(black_box(&request)).unwrap())
    });
    c.bench_function("SSE frame: encode a proxmox_api_call result", |b| {
        b.iter(|| {
            let result = CallToolResult::success(vec![ContentBlock::text(black_box(GUEST_STATUS).to_owned())]);
            message_event(&ServerJsonRpcMessage::response(
                ServerResult::CallToolResult(result),
                NumberOrString::Number(7),
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
