//! The cluster manager: resolving `cluster` arguments, sharing clients.

use crate::support::*;
use fake_pve::FakePve;
use proxmox_mcp::config::Config;
use proxmox_mcp::pve::{ClusterManager, Error};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

fn manager(clusters: serde_json::Value) -> ClusterManager {
    let text = json!({ "clusters": clusters }).to_string();
    ClusterManager::with_options(Config::from_json(&text, Path::new("/"), "test", &empty_env()).unwrap(), options())
}

#[tokio::test]
async fn names_resolve_to_shared_clients() {
    let (a, b) = (FakePve::start().await, FakePve::start().await);
    let m = manager(json!({ "a": token_json(&a), "b": password_json(&b) }));
    let first = m.resolve(Some("a")).unwrap();
    assert!(Arc::ptr_eq(&first, &m.resolve(Some("a")).unwrap()), "one client per cluster");
    first.get("/version").await.unwrap();
    m.resolve(Some("b")).unwrap().get("/version").await.unwrap();
    assert_eq!((a.counters().requests_to("GET", "/version"), b.counters().requests_to("GET", "/version")), (1, 1));
    let info = m.clusters();
    assert_eq!(
        info.iter().map(|c| (c.name.as_str(), c.auth, c.tls)).collect::<Vec<_>>(),
        [("a", "token", "pinned"), ("b", "password", "pinned")]
    );
}

#[test]
fn unknown_and_missing_cluster_names_list_the_configured_ones() {
    let m = manager(json!({
        "a": { "url": "a", "user": "root@pam", "token_id": "t", "token_secret": "s" },
        "b": { "url": "b", "user": "root@pam", "token_id": "t", "token_secret": "s" }
    }));
    let e = m.resolve(Some("c")).unwrap_err();
    assert!(matches!(e, Error::UnknownCluster { .. }));
    assert_eq!(e.to_string(), "unknown cluster 'c'; configured: a, b");
    let e = m.resolve(None).unwrap_err();
    assert!(matches!(e, Error::NoDefaultCluster { .. }));
    assert!(e.to_string().contains("several are configured without a default: pass one of a, b"), "{e}");
}

#[test]
fn the_default_or_only_cluster_is_used_when_none_is_named() {
    let single = manager(json!({ "only": { "url": "a", "user": "root@pam", "token_id": "t", "token_secret": "s" } }));
    assert_eq!(single.resolve(None).unwrap().name(), "only");
    let marked = manager(json!({
        "a": { "url": "a", "user": "root@pam", "token_id": "t", "token_secret": "s" },
        "b": { "url": "b", "user": "root@pam", "token_id": "t", "token_secret": "s", "default": true }
    }));
    assert_eq!(marked.resolve(None).unwrap().name(), "b");
    assert_eq!(marked.resolve(Some("  ")).unwrap().name(), "b", "a blank name means none");
    assert!(marked.clusters().iter().any(|c| c.name == "b" && c.is_default));
}

#[tokio::test]
async fn an_unverified_cluster_warns_once() {
    let logs = capture_logs();
    let fake = FakePve::start().await;
    let m = manager(
        json!({ "lab": { "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET, "verify_ssl": false } }),
    );
    for _ in 0..3 {
        m.resolve(Some("lab")).unwrap().get("/version").await.unwrap();
    }
    let log = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("TLS certificates are not verified").count(), 1, "{log}");
    assert!(log.contains("cluster=lab"), "{log}");
}
