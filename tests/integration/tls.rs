//! TLS: fingerprint pinning, private CAs, unverified mode.

use crate::support::*;
use fake_pve::FakePve;
use proxmox_mcp::pve::Error;
use serde_json::json;

#[tokio::test]
async fn a_matching_fingerprint_connects_in_any_spelling() {
    let fake = FakePve::start().await;
    for spelling in
        [fake.fingerprint().to_owned(), fake.fingerprint().to_lowercase(), fake.fingerprint().replace(':', "")]
    {
        let mut v = token_json(&fake);
        v["fingerprint"] = json!(spelling);
        client(v).get("/version").await.unwrap();
    }
    // One of several pins (one per node) is enough.
    let mut v = token_json(&fake);
    v["fingerprint"] = json!(["00".repeat(32), fake.fingerprint()]);
    client(v).get("/version").await.unwrap();
}

#[tokio::test]
async fn a_fingerprint_mismatch_sends_no_credential() {
    let fake = FakePve::start().await;
    let wrong = "AB:".repeat(31) + "CD";
    for mut v in [token_json(&fake), password_json(&fake)] {
        v["fingerprint"] = json!(wrong);
        let e = client(v).get("/version").await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, Error::Certificate { .. }), "{e:?}");
        assert!(text.contains(fake.fingerprint()), "names the fingerprint the node presented: {text}");
        assert!(text.contains(&wrong) && text.contains("before anything was sent"), "{text}");
    }
    let c = fake.counters();
    assert!(c.connections >= 2, "the client did connect");
    assert_eq!(c.handshakes, 0, "but no handshake completed");
    assert_eq!((c.credentials_seen, c.logins), (0, 0));
    assert!(c.requests.is_empty());
}

#[tokio::test]
async fn a_private_ca_file_is_trusted() {
    let fake = FakePve::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("pve-root-ca.pem");
    std::fs::write(&ca, fake.ca_pem()).unwrap();
    let port = fake.host_port().rsplit_once(':').unwrap().1.to_owned();
    for host in ["127.0.0.1", "localhost"] {
        let v = json!({ "url": format!("https://{host}:{port}"), "user": "root@pam", "token_id": "mcp",
                        "token_secret": TOKEN_SECRET, "ca_file": ca.to_str().unwrap(), "timeout_s": 3 });
        client(v).get("/version").await.unwrap();
    }
}

#[tokio::test]
async fn an_unknown_ca_is_refused_with_advice() {
    let fake = FakePve::start().await;
    let v = json!({ "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET, "timeout_s": 3 });
    let e = client(v).get("/version").await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Certificate { .. }), "{e:?}");
    assert!(
        text.contains("unknown certificate authority") && text.contains("ca_file") && text.contains("fingerprint"),
        "{text}"
    );
    assert_eq!(fake.counters().credentials_seen, 0);
}

#[tokio::test]
async fn verify_ssl_false_accepts_any_certificate() {
    let fake = FakePve::start().await;
    let v = json!({ "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET, "verify_ssl": false });
    client(v).get("/version").await.unwrap();
}

#[tokio::test]
async fn a_node_with_an_unpinned_certificate_is_skipped_without_credentials() {
    let (stranger, known) = (FakePve::start().await, FakePve::start().await);
    let v = json!({ "urls": [stranger.url(), known.url()], "user": "root@pam", "password": PASSWORD,
                    "fingerprint": known.fingerprint(), "timeout_s": 3 });
    let client = client(v);
    client.get("/version").await.unwrap();
    client
        .call(&proxmox_mcp::pve::ApiRequest::new(
            proxmox_mcp::schema::types::Method::Post,
            "/nodes/pve1/qemu/100/status/start",
        ))
        .await
        .unwrap();
    let s = stranger.counters();
    assert_eq!((s.handshakes, s.credentials_seen, s.logins), (0, 0, 0));
    assert_eq!(known.counters().logins, 1);
    assert_eq!(client.current_node().to_string(), known.host_port());
}
