//! pve-stub: a fast, fixed PVE upstream over TLS for load tests (see `fake_pve::stub`).
//!
//! Prints one JSON line when it listens (`url`, `fingerprint`, `user`, `token_id`; never the
//! secret) and serves until the time limit, SIGTERM or Ctrl-C. The token secret is taken
//! from `PVE_STUB_TOKEN_SECRET`.

use clap::Parser;
use fake_pve::stub::{Stub, StubConfig};
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pve-stub", about = "A fast fake Proxmox VE API (fixed answers, API tokens, TLS) for load tests")]
struct Cli {
    /// Where to listen (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 3600)]
    max_seconds: u64,
    /// Node names, comma-separated.
    #[arg(long, default_value = "pve1,pve2,pve3", value_delimiter = ',')]
    nodes: Vec<String>,
    /// Number of guests (VMIDs from 100), spread over the nodes.
    #[arg(long, default_value_t = 30)]
    guests: u32,
    /// The token's user.
    #[arg(long, default_value = "root@pam")]
    user: String,
    /// The token's name.
    #[arg(long, default_value = "mcp")]
    token_id: String,
    /// The token's secret.
    #[arg(
        long,
        env = "PVE_STUB_TOKEN_SECRET",
        hide_env_values = true,
        default_value = "00000000-0000-0000-0000-000000000000"
    )]
    secret: String,
    /// Write the CA certificate (PEM) here.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Write a clusters.json for proxmox-mcp here (cluster `stub`, pinned to the stub's
    /// certificate, with the token; readable by the owner only).
    #[arg(long)]
    clusters_out: Option<PathBuf>,
}

fn write_private(path: &PathBuf, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

async fn serve(cli: Cli) -> Result<(), String> {
    if cli.nodes.is_empty() {
        return Err("--nodes: at least one node".into());
    }
    let config = StubConfig {
        user: cli.user.clone(),
        token_id: cli.token_id.clone(),
        secret: cli.secret.clone(),
        nodes: cli.nodes.clone(),
        guests: cli.guests,
    };
    let stub = Stub::start_on(cli.listen, config).await.map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    if let Some(path) = &cli.ca_out {
        std::fs::write(path, stub.ca_pem()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &cli.clusters_out {
        let clusters = json!({ "clusters": { "stub": {
            "url": stub.url(), "user": cli.user, "token_id": cli.token_id, "token_secret": cli.secret,
            "fingerprint": stub.fingerprint(), "timeout_s": 10,
        }}});
        write_private(path, &serde_json::to_string_pretty(&clusters).unwrap_or_default())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "{}",
        json!({ "url": stub.url(), "fingerprint": stub.fingerprint(), "user": cli.user, "token_id": cli.token_id })
    );
    let term = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(cli.max_seconds)) => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    drop(stub);
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match loadgen::runtime(cli.threads) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pve-stub: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(serve(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pve-stub: {e}");
            ExitCode::from(2)
        }
    }
}
