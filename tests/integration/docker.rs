//! The Dockerfile's entrypoint, command, environment and health check, run against the
//! real binary (no container engine runs here; the image's build step is the CI build).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Image {
    env: BTreeMap<String, String>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    healthcheck: Vec<String>,
}

/// The JSON array after `keyword` on a Dockerfile line.
fn exec_form(line: &str, keyword: &str) -> Option<Vec<String>> {
    let rest = line.trim().strip_prefix(keyword)?.trim();
    serde_json::from_str(rest).ok()
}

fn read_dockerfile() -> Image {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    // Join continuation lines; only the runtime stage (after the last FROM) matters.
    let joined = text.replace("\\\n", " ");
    let runtime = joined.rsplit_once("\nFROM ").unwrap().1;
    let mut image = Image { env: BTreeMap::new(), entrypoint: vec![], cmd: vec![], healthcheck: vec![] };
    for line in runtime.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("ENV ") {
            for pair in rest.split_whitespace() {
                let (k, v) = pair.split_once('=').unwrap();
                image.env.insert(k.to_owned(), v.to_owned());
            }
        } else if let Some(e) = exec_form(line, "ENTRYPOINT") {
            image.entrypoint = e;
        } else if let Some(c) = exec_form(line, "CMD") {
            image.cmd = c;
        } else if line.starts_with("HEALTHCHECK") {
            let cmd = line.split_once("CMD").unwrap().1;
            image.healthcheck = serde_json::from_str(cmd.trim()).unwrap();
        }
    }
    image
}

fn binary(path_in_image: &str) -> &'static str {
    assert_eq!(path_in_image, "/usr/local/bin/proxmox-mcp", "the image runs the binary it copies");
    env!("CARGO_BIN_EXE_proxmox-mcp")
}

#[test]
fn the_image_listens_on_all_interfaces_and_refuses_to_run_without_auth() {
    let image = read_dockerfile();
    assert_eq!(image.env["MCP_LISTEN"], "0.0.0.0:8000");
    assert_eq!(image.entrypoint, ["/usr/local/bin/proxmox-mcp"]);
    assert_eq!(image.cmd, ["serve"]);
    // As built, without MCP_AUTH_TOKEN: the server refuses to expose itself (it exits before
    // binding anything).
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(binary(&image.entrypoint[0]))
        .args(&image.cmd)
        .env_clear()
        .envs(&image.env)
        .env("CLUSTERS_FILE", dir.path().join("missing.json"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to listen on 0.0.0.0:8000 without authentication"), "{stderr}");
    assert!(stderr.contains("\"level\":\"ERROR\""), "MCP_LOG_FORMAT=json gives JSON logs: {stderr}");
}

#[test]
fn the_image_serves_with_a_token_and_its_health_check_passes() {
    let image = read_dockerfile();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("clusters.json");
    std::fs::write(&config, r#"{"clusters": {"lab": {"url": "127.0.0.1:1", "user": "root@pam", "token_id": "mcp", "token_secret_env": "PVE_SECRET", "verify_ssl": false}}}"#).unwrap();
    let mut server = Command::new(binary(&image.entrypoint[0]))
        .args(&image.cmd)
        .env_clear()
        .envs(&image.env)
        .env("MCP_LISTEN", &listen)
        .env("CLUSTERS_FILE", &config)
        .env("MCP_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")
        .env("PVE_SECRET", "00000000-0000-0000-0000-000000000000")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The image's HEALTHCHECK command, in the image's environment.
    let healthcheck = || {
        let (program, args) = image.healthcheck.split_first().unwrap();
        Command::new(binary(program))
            .args(args)
            .env_clear()
            .envs(&image.env)
            .env("MCP_LISTEN", &listen)
            .output()
            .unwrap()
    };
    let health = |server: &mut std::process::Child| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = healthcheck();
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            assert!(server.try_wait().unwrap().is_none(), "the server exited");
            assert!(Instant::now() < deadline, "not healthy within 10 s: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert_eq!(health(&mut server).trim(), "healthy");
    // SIGTERM stops it gracefully.
    let pid = server.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(server.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("configuration loaded") && stderr.contains("\"message\":\"stopped\""), "{stderr}");
    assert!(
        !stderr.contains("00000000-0000-0000-0000-000000000000") && !stderr.contains("0123456789abcdef0123"),
        "no secret in the logs"
    );
    // The health check fails once the server is gone.
    assert!(!healthcheck().status.success());
}
