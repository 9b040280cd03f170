//! The released binary served over stdio, as desktop clients launch it: a JSON-RPC line in,
//! an answer line out.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Sends `lines` to `proxmox-mcp --config FILE serve --stdio` and returns the first `want`
/// lines it answers, waiting at most 20 s for them.
fn exchange(lines: &[&str], want: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("clusters.json");
    std::fs::write(
        &config,
        r#"{"clusters": {"pve": {"url": "127.0.0.1:9", "user": "root@pam", "token_id": "t", "token_secret": "s"}}}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxmox-mcp"))
        .args(["--config".as_ref(), config.as_os_str(), "serve".as_ref(), "--stdio".as_ref()])
        .current_dir(dir.path())
        .env_remove("CLUSTERS_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok).take(want) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut answers = Vec::new();
    while answers.len() < want {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => answers.push(line),
            Err(_) => break,
        }
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    answers
}

#[test]
fn stdio_answers_initialize_and_tools_list() {
    let answers = exchange(
        &[
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        ],
        2,
    );
    assert_eq!(answers.len(), 2, "answers over stdio: {answers:?}");
    assert!(answers[0].contains(r#""serverInfo":{"name":"proxmox-mcp""#), "{}", answers[0]);
    assert!(answers[1].contains(r#""name":"proxmox_api_call""#), "{}", answers[1]);
}
