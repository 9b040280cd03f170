//! Authentication and requests: tokens, tickets, CSRF, renewal, one login for many calls.

use crate::support::*;
use fake_pve::{FakeConfig, FakePve};
use proxmox_mcp::pve::{ApiRequest, AuthFailure, Error, PveClient};
use proxmox_mcp::schema::types::Method;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn token_auth_sends_the_token_header() {
    let fake = FakePve::start().await;
    let client = client(token_json(&fake));
    let version = client.get("/version").await.unwrap();
    assert_eq!(version["version"], "9.2.1");
    let nodes = client.get("/nodes").await.unwrap();
    assert_eq!(nodes[0]["node"], "pve1");
    let c = fake.counters();
    assert_eq!(c.requests_to("GET", "/version"), 1);
    assert_eq!(c.credentials_seen, 2);
    assert_eq!(c.logins, 0, "tokens need no login");
    assert!(c.log.iter().all(|s| !s.csrf), "tokens send no CSRF token");
}

#[tokio::test]
async fn wrong_token_secret_and_unknown_token_are_told_apart() {
    let fake = FakePve::start().await;
    let mut bad_secret = token_json(&fake);
    bad_secret["token_secret"] = json!("11111111-2222-3333-4444-555555555555");
    let e = client(bad_secret).get("/version").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { failure: AuthFailure::TokenSecret, .. }), "{e:?}");
    assert!(e.to_string().contains("invalid token value!") && e.to_string().contains("check token_secret"), "{e}");
    let mut unknown = token_json(&fake);
    unknown["token_id"] = json!("nope");
    let e = client(unknown).get("/version").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { failure: AuthFailure::TokenUnknown, .. }), "{e:?}");
    assert!(
        e.to_string().contains("no such token 'nope' for user 'root@pam'") && e.to_string().contains("check user"),
        "{e}"
    );
    assert!(e.retry_safe());
}

#[tokio::test]
async fn ticket_auth_logs_in_and_sends_csrf_on_writes_only() {
    let fake = FakePve::start().await;
    let client = client(password_json(&fake));
    client.get("/version").await.unwrap();
    let upid = client.call(&ApiRequest::new(Method::Post, "/nodes/pve1/qemu/100/status/start")).await.unwrap();
    assert!(upid.as_str().unwrap().starts_with("UPID:pve1:"), "{upid}");
    let params = vec![("memory".to_owned(), "2048".to_owned())];
    client.call(&ApiRequest::new(Method::Put, "/nodes/pve1/qemu/100/config").params(&params)).await.unwrap();
    client.call(&ApiRequest::new(Method::Delete, "/nodes/pve1/qemu/100")).await.unwrap();
    let c = fake.counters();
    assert_eq!((c.logins, c.successful_logins), (1, 1));
    assert_eq!(c.unauthorized, 0, "the fake checks the CSRF token on every write");
    let csrf: Vec<(String, bool)> =
        c.log.iter().filter(|s| s.path != "/access/ticket").map(|s| (s.method.clone(), s.csrf)).collect();
    assert_eq!(csrf, [("GET".into(), false), ("POST".into(), true), ("PUT".into(), true), ("DELETE".into(), true)]);
}

#[tokio::test]
async fn the_fake_refuses_a_write_without_csrf() {
    // Guards the test above: a ticket write without the header is refused.
    let fake = FakePve::start().await;
    let http = reqwest_client_for(&fake);
    let login = http
        .post(format!("{}/api2/json/access/ticket", fake.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=root%40pam&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&login.bytes().await.unwrap()).unwrap();
    let ticket = v["data"]["ticket"].as_str().unwrap().to_owned();
    let write = http
        .post(format!("{}/api2/json/nodes/pve1/qemu/100/status/start", fake.url()))
        .header("cookie", format!("PVEAuthCookie={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 401);
}

fn reqwest_client_for(_fake: &FakePve) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().tls_backend_rustls().danger_accept_invalid_certs(true).build().unwrap()
}

#[tokio::test]
async fn wrong_password_says_to_check_user_and_password() {
    let fake = FakePve::start().await;
    let mut v = password_json(&fake);
    v["password"] = json!("wrong");
    let e = client(v).get("/version").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { failure: AuthFailure::Password, .. }), "{e:?}");
    assert!(
        e.to_string().contains("authentication failure") && e.to_string().contains("check user (with its realm"),
        "{e}"
    );
    assert_eq!(fake.counters().logins, 1, "a refused login is not repeated");
}

#[tokio::test]
async fn tickets_are_renewed_before_they_expire() {
    let fake =
        FakePve::start_with(FakeConfig { ticket_lifetime: Duration::from_millis(600), ..FakeConfig::default() }).await;
    let client = PveClient::with_options(
        &cluster(password_json(&fake)),
        options_with_tickets(Duration::from_millis(600), Duration::from_millis(300)),
    )
    .unwrap();
    client.get("/version").await.unwrap();
    client.get("/version").await.unwrap();
    assert_eq!(fake.counters().logins, 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    client.get("/version").await.unwrap();
    let c = fake.counters();
    assert_eq!(c.logins, 2, "renewed once past lifetime minus margin");
    assert_eq!(c.unauthorized, 0, "renewed before PVE refused it");
}

#[tokio::test]
async fn an_expired_ticket_leads_to_one_new_login_and_one_retry() {
    let fake =
        FakePve::start_with(FakeConfig { ticket_lifetime: Duration::from_millis(150), ..FakeConfig::default() }).await;
    let client = client(password_json(&fake));
    client.get("/version").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A write too: PVE refused it before acting, so repeating it is safe.
    client.call(&ApiRequest::new(Method::Post, "/nodes/pve1/qemu/100/status/start")).await.unwrap();
    let c = fake.counters();
    assert_eq!((c.logins, c.unauthorized), (2, 1));
    assert_eq!(c.requests_to("POST", "/nodes/pve1/qemu/100/status/start"), 2);
}

#[tokio::test]
async fn a_ticket_refused_twice_is_an_error() {
    let fake = FakePve::start_with(FakeConfig { ticket_lifetime: Duration::ZERO, ..FakeConfig::default() }).await;
    let e = client(password_json(&fake)).get("/version").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized { failure: AuthFailure::Ticket, .. }), "{e:?}");
    assert_eq!(fake.counters().logins, 2, "one new login, not a loop");
}

#[tokio::test]
async fn fifty_concurrent_calls_share_one_login() {
    let fake = FakePve::start().await;
    let client = Arc::new(client(password_json(&fake)));
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get("/cluster/resources").await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let c = fake.counters();
    assert_eq!(c.logins, 1);
    assert_eq!(c.requests_to("GET", "/cluster/resources"), 50);
}

#[tokio::test]
async fn parameters_go_in_the_query_or_the_form_body() {
    let fake = FakePve::start().await;
    let client = client(token_json(&fake));
    let params = vec![
        ("net0".to_owned(), "virtio,bridge=vmbr0".to_owned()),
        ("delete".to_owned(), "a".to_owned()),
        ("delete".to_owned(), "b c&d".to_owned()),
    ];
    for method in [Method::Get, Method::Post, Method::Put] {
        let echo = client.call(&ApiRequest::new(method, "/nodes/pve1/qemu/100/config").params(&params)).await.unwrap();
        assert_eq!(echo["method"], method.as_str());
        assert_eq!(
            echo["params"],
            json!([["net0", "virtio,bridge=vmbr0"], ["delete", "a"], ["delete", "b c&d"]]),
            "{method}"
        );
    }
    let echo =
        client.call(&ApiRequest::new(Method::Delete, "/nodes/pve1/qemu/100").params(&params[1..])).await.unwrap();
    assert_eq!(echo["params"], json!([["delete", "a"], ["delete", "b c&d"]]));
}

#[tokio::test]
async fn cluster_endpoints_answer() {
    let fake =
        FakePve::start_with(FakeConfig { nodes: vec!["pve1".into(), "pve2".into()], ..FakeConfig::default() }).await;
    let client = client(token_json(&fake));
    let status = client.get("/cluster/status").await.unwrap();
    assert_eq!(status.as_array().unwrap().len(), 3);
    let resources = client.get("/cluster/resources").await.unwrap();
    assert!(resources.as_array().unwrap().iter().any(|r| r["type"] == "qemu"));
    assert_eq!(client.version().await.as_deref(), Some("PVE 9.2.1"));
}
