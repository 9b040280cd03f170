//! No secret (token secret, password, ticket, CSRF token) appears in any error text or log
//! line, on every error path.

use crate::support::{capture_logs, empty_env, options, options_with_tickets};
use fake_pve::{FakeConfig, FakePve, Fault, FaultAction, SilentListener, closed_port};
use proxmox_mcp::config::{ClusterConfig, Config};
use proxmox_mcp::pve::{ApiRequest, ClusterManager, Error, PveClient};
use proxmox_mcp::schema::types::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const TOKEN: &str = "tok-SECRET-9f8e7d6c";
const PASSWORD: &str = "pw-SECRET-5a4b3c2d";
/// The fake puts this in every ticket and CSRF token it issues.
const MARKER: &str = "tkSECRETmark";
const START: &str = "/nodes/pve1/qemu/100/status/start";

fn parse(clusters: Value) -> Result<Config, proxmox_mcp::config::ConfigError> {
    Config::from_json(&json!({ "clusters": clusters }).to_string(), Path::new("/"), "test", &empty_env())
}

fn cluster(v: Value) -> ClusterConfig {
    parse(json!({ "c": v })).unwrap().cluster("c").unwrap().clone()
}

fn token(fake: &FakePve, secret: &str) -> Value {
    json!({ "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": secret, "fingerprint": fake.fingerprint(), "timeout_s": 0.4 })
}

fn password(fake: &FakePve, password: &str) -> Value {
    json!({ "url": fake.url(), "user": "root@pam", "password": password, "fingerprint": fake.fingerprint(), "timeout_s": 0.4 })
}

fn client(v: Value) -> PveClient {
    PveClient::with_options(&cluster(v), options()).unwrap()
}

fn fake_config(ticket_lifetime: Duration) -> FakeConfig {
    FakeConfig {
        users: vec![("root@pam".into(), PASSWORD.into())],
        tokens: vec![("root@pam".into(), "mcp".into(), TOKEN.into())],
        ticket_marker: MARKER.into(),
        ticket_lifetime,
        ..FakeConfig::default()
    }
}

#[tokio::test]
async fn no_secret_in_any_error_or_log_line() {
    let captured = capture_logs();

    let mut texts: Vec<String> = Vec::new();
    let mut errors = 0;
    let mut record = |r: Result<Value, Error>| {
        let e = r.expect_err("every call here fails");
        texts.push(format!("{e}\n{e:?}"));
        errors += 1;
    };

    let fake = FakePve::start_with(fake_config(Duration::from_secs(3600))).await;
    let tok = client(token(&fake, TOKEN));
    let pw = client(password(&fake, PASSWORD));
    let get = |path: &'static str| ApiRequest::new(Method::Get, path);
    let post = ApiRequest::new(Method::Post, START).permissions(r#"{"check":["perm","/vms/{vmid}",["VM.PowerMgmt"]]}"#);

    // 401s: wrong secret (containing the real one), unknown token, wrong password.
    record(client(token(&fake, &format!("{TOKEN}x"))).call(&get("/version")).await);
    record(client(json!({ "url": fake.url(), "user": "root@pam", "token_id": "other", "token_secret": TOKEN, "verify_ssl": false })).call(&get("/version")).await);
    record(client(password(&fake, &format!("{PASSWORD}x"))).call(&get("/version")).await);

    // PVE errors, for both kinds of credentials.
    for c in [&tok, &pw] {
        fake.clear_faults();
        fake.fault(
            Fault::new(
                START,
                FaultAction::Error {
                    status: 400,
                    message: "Parameter verification failed.".into(),
                    errors: vec![("x".into(), "bad".into())],
                    in_body: true,
                },
            )
            .times(1),
        );
        record(c.call(&post).await);
        fake.fault(Fault::new(START, FaultAction::error(403, "Permission check failed")).times(1));
        record(c.call(&post).await);
        fake.fault(Fault::new(START, FaultAction::error(500, "internal error")).times(1));
        record(c.call(&post).await);
        record(c.call(&get("/no/such/path")).await);
        record(c.call(&ApiRequest::new(Method::Post, "/nodes/pve9/qemu/100/status/start")).await);
        fake.fault(Fault::new("/cluster/status", FaultAction::error(596, "Broken pipe")).times(2));
        record(c.call(&get("/cluster/status")).await);
        fake.fault(
            Fault::new("/version", FaultAction::Html { status: 502, body: "<title>Bad Gateway</title>".into() })
                .times(2),
        );
        record(c.call(&get("/version")).await);
        fake.fault(Fault::new(START, FaultAction::Drop).times(1));
        record(c.call(&post).await);
        fake.fault(Fault::new("/nodes", FaultAction::Drop).times(2));
        record(c.call(&get("/nodes")).await);
        fake.fault(Fault::new(START, FaultAction::Hang).times(1));
        record(c.call(&post).await);
    }

    // A CSRF refusal (after one new login), a login whose connection drops, a login answered by HTML.
    fake.clear_faults();
    fake.fault(Fault::new(
        START,
        FaultAction::Error {
            status: 401,
            message: "Permission denied - invalid csrf token".into(),
            errors: vec![],
            in_body: false,
        },
    ));
    record(pw.call(&post).await);
    fake.clear_faults();
    fake.fault(Fault::new("/access/ticket", FaultAction::Drop).times(1));
    record(client(password(&fake, PASSWORD)).call(&get("/version")).await);
    fake.fault(Fault::new("/access/ticket", FaultAction::Html { status: 500, body: "<h1>oops</h1>".into() }).times(1));
    record(client(password(&fake, PASSWORD)).call(&get("/version")).await);

    // Tickets that expire (renewed, then refused twice), with a short-lived fake.
    let short = FakePve::start_with(fake_config(Duration::from_millis(100))).await;
    let renewing = PveClient::with_options(
        &cluster(password(&short, PASSWORD)),
        options_with_tickets(Duration::from_millis(100), Duration::from_millis(50)),
    )
    .unwrap();
    renewing.call(&get("/version")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    renewing.call(&get("/version")).await.unwrap();
    let expired = client(password(&short, PASSWORD));
    expired.call(&get("/version")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    expired.call(&post).await.unwrap();
    let never = FakePve::start_with(fake_config(Duration::ZERO)).await;
    record(client(password(&never, PASSWORD)).call(&get("/version")).await);

    // Connection-level failures: refused, hanging, wrong fingerprint, unknown CA, unverified.
    let dead = closed_port();
    let silent = SilentListener::start().await;
    for v in [
        json!({ "urls": [dead, silent.host_port()], "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN, "verify_ssl": false, "timeout_s": 0.4 }),
        json!({ "urls": [dead, silent.host_port()], "user": "root@pam", "password": PASSWORD, "verify_ssl": false, "timeout_s": 0.4 }),
        json!({ "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN, "fingerprint": "00".repeat(32) }),
        json!({ "url": fake.url(), "user": "root@pam", "password": PASSWORD, "fingerprint": "00".repeat(32) }),
        json!({ "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN }),
        json!({ "url": fake.url(), "user": "root@pam", "password": PASSWORD }),
    ] {
        record(client(v).call(&post).await);
    }
    client(json!({ "url": fake.url(), "user": "root@pam", "password": PASSWORD, "verify_ssl": false }))
        .call(&get("/version"))
        .await
        .unwrap();

    // Manager errors and the Debug output of everything holding a secret.
    let config = parse(json!({ "a": token(&fake, TOKEN), "b": password(&fake, PASSWORD) })).unwrap();
    let manager = ClusterManager::with_options(config.clone(), options());
    texts.push(manager.resolve(None).unwrap_err().to_string());
    texts.push(manager.resolve(Some("x")).unwrap_err().to_string());
    texts.push(format!(
        "{config:?} {:?} {:?} {:?}",
        manager.resolve(Some("a")).unwrap(),
        manager.resolve(Some("b")).unwrap(),
        manager.clusters()
    ));

    // Configuration errors around secrets.
    for bad in [
        json!({ "url": "a", "user": "root@pam", "token_id": "mcp", "token_secret": format!("PVEAPIToken=root@pam!mcp={TOKEN}") }),
        json!({ "url": "a", "user": "root@pam", "token_id": "mcp", "token_secret": format!("{TOKEN} {TOKEN}") }),
        json!({ "url": "a", "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN, "password": PASSWORD }),
        json!({ "url": "a", "user": format!("root@pam!mcp={TOKEN}"), "password": PASSWORD }),
        json!({ "url": "a", "user": "root@pam", "token_id": format!("root@pam!mcp={TOKEN}") }),
        json!({ "url": "a", "user": format!("root@pam={TOKEN}"), "token_id": "mcp", "token_secret": TOKEN }),
    ] {
        let e = parse(json!({ "c": bad })).unwrap_err();
        texts.push(format!("{e}\n{e:?}"));
    }

    let log = String::from_utf8(captured.lock().unwrap().clone()).unwrap();
    assert!(errors >= 30, "drove {errors} error paths");
    assert!(log.contains("not verified"), "the capture works: the unverified warning is there");
    assert!(log.contains("logging in again"), "the capture works: the re-login is logged");
    assert!(log.contains("cannot connect to node") && log.contains("request interrupted"), "{log}");
    // The user-chosen token name above proves user names are echoed, so the checks are real.
    assert!(texts.iter().any(|t| t.contains("root@pam")));
    for secret in [TOKEN, PASSWORD, MARKER] {
        for t in &texts {
            assert!(!t.contains(secret), "{secret} in error text:\n{t}");
        }
        for line in log.lines() {
            assert!(!line.contains(secret), "{secret} in log line:\n{line}");
        }
    }
    // The fake did issue tickets carrying the marker, so a leak would have been seen.
    assert!(fake.counters().successful_logins >= 2 && short.counters().successful_logins >= 3);
}
