//! The binary serves MCP on stdin/stdout: it answers `initialize` and `tools/list`.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn the_stdio_transport_answers_tools_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxmox-mcp"))
        .arg("--stdio")
        .current_dir(dir.path())
        .env_remove("CLUSTERS_FILE")
        .env_remove("PROXMOX_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    writeln!(stdin, "{init}\n{initialized}\n{list}").unwrap();
    stdin.flush().unwrap();
    // Read on a thread so that a server that never answers fails the test instead of hanging it.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut tools = None;
    while tools.is_none() {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) else { break };
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 2 {
            tools = message["result"]["tools"].as_array().map(Vec::len);
        }
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    assert!(tools.is_some_and(|n| n >= 9), "tools/list over stdio: {tools:?}");
}
