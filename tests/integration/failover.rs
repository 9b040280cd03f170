//! Failover between nodes and the retry rules.

use crate::support::*;
use fake_pve::{FakePve, Fault, FaultAction, SilentListener, closed_port};
use proxmox_mcp::pve::{ApiRequest, Error, PveClient};
use proxmox_mcp::schema::types::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const START: &str = "/nodes/pve1/qemu/100/status/start";

fn two_nodes(first: &str, fake: &FakePve, timeout_s: f64) -> PveClient {
    let mut v = token_json(fake);
    v.as_object_mut().unwrap().remove("url");
    v["urls"] = json!([first, fake.url()]);
    v["timeout_s"] = json!(timeout_s);
    client(v)
}

#[tokio::test]
async fn a_refused_node_is_skipped_and_the_healthy_one_remembered() {
    let fake = FakePve::start().await;
    let dead = closed_port();
    let client = two_nodes(&dead, &fake, 3.0);
    client.get("/version").await.unwrap();
    assert_eq!(client.current_node().to_string(), fake.host_port());
    // A write may move on too: nothing was sent to the refused node.
    let upid = client.call(&ApiRequest::new(Method::Post, START)).await.unwrap();
    assert!(upid.as_str().unwrap().starts_with("UPID:"));
}

#[tokio::test]
async fn a_hanging_node_is_skipped_after_the_connect_timeout() {
    let fake = FakePve::start().await;
    let silent = SilentListener::start().await;
    let client = two_nodes(&silent.host_port(), &fake, 3.0);
    let started = Instant::now();
    client.get("/version").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "connect timeout (0.5 s), not the request timeout");
    assert_eq!(silent.accepted(), 1);
    // The healthy node is remembered: the hanging one is not tried again.
    client.get("/nodes").await.unwrap();
    client.call(&ApiRequest::new(Method::Post, START)).await.unwrap();
    assert_eq!(silent.accepted(), 1);
}

#[tokio::test]
async fn every_node_down_names_each_node() {
    let (a, b) = (closed_port(), closed_port());
    let v = json!({ "urls": [a, b], "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET, "verify_ssl": false });
    let e = client(v).call(&ApiRequest::new(Method::Post, START)).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(&e, Error::Unreachable { attempts, .. } if attempts.len() == 2), "{e:?}");
    assert!(text.contains(&a) && text.contains(&b) && text.contains("connection refused"), "{text}");
    assert!(e.retry_safe());
}

#[tokio::test]
async fn a_write_is_not_repeated_after_a_dropped_response() {
    let fake = FakePve::start().await;
    let other = FakePve::start().await;
    fake.fault(Fault::new(START, FaultAction::Drop).times(1));
    // Two nodes: the write must not go to the other one either.
    let mut v = token_json(&fake);
    v.as_object_mut().unwrap().remove("url");
    v.as_object_mut().unwrap().remove("fingerprint");
    v["urls"] = json!([fake.url(), other.url()]);
    v["verify_ssl"] = json!(false);
    let e = client(v).call(&ApiRequest::new(Method::Post, START)).await.unwrap_err();
    assert!(matches!(&e, Error::Interrupted { method: Method::Post, timed_out: false, .. }), "{e:?}");
    assert!(!e.retry_safe());
    assert!(e.to_string().contains("may have been carried out"), "{e}");
    assert_eq!(fake.counters().requests_to("POST", START), 1);
    assert_eq!(other.counters().requests_to("POST", START), 0);
}

#[tokio::test]
async fn a_get_is_retried_once_after_a_dropped_response() {
    let fake = FakePve::start().await;
    fake.fault(Fault::new("/version", FaultAction::Drop).times(1));
    let client = client(token_json(&fake));
    client.get("/version").await.unwrap();
    assert_eq!(fake.counters().requests_to("GET", "/version"), 2);
    // Dropped every time: exactly one retry, then an error that says a retry is safe.
    fake.fault(Fault::new("/nodes", FaultAction::Drop));
    let e = client.get("/nodes").await.unwrap_err();
    assert!(matches!(&e, Error::Interrupted { method: Method::Get, .. }), "{e:?}");
    assert!(e.retry_safe());
    assert_eq!(fake.counters().requests_to("GET", "/nodes"), 2);
}

#[tokio::test]
async fn a_hanging_answer_times_out_and_a_write_is_not_repeated() {
    let fake = FakePve::start().await;
    fake.fault(Fault::new(START, FaultAction::Hang));
    fake.fault(Fault::new("/nodes", FaultAction::Hang));
    let mut v = token_json(&fake);
    v["timeout_s"] = json!(0.3);
    let client = client(v);
    let e = client.call(&ApiRequest::new(Method::Post, START)).await.unwrap_err();
    assert!(matches!(&e, Error::Interrupted { timed_out: true, .. }), "{e:?}");
    assert!(e.to_string().contains("timed out"), "{e}");
    assert_eq!(fake.counters().requests_to("POST", START), 1);
    let e = client.get("/nodes").await.unwrap_err();
    assert!(matches!(&e, Error::Interrupted { timed_out: true, method: Method::Get, .. }), "{e:?}");
    assert_eq!(
        fake.counters().requests_to("GET", "/nodes"),
        1,
        "a timed-out GET is not repeated on the same hanging node"
    );
}

#[tokio::test]
async fn a_get_that_hangs_on_one_node_is_answered_by_the_next() {
    let slow = FakePve::start().await;
    let fast = FakePve::start().await;
    slow.fault(Fault::new("/version", FaultAction::Hang));
    let v = json!({ "urls": [slow.url(), fast.url()], "user": "root@pam", "token_id": "mcp",
                    "token_secret": TOKEN_SECRET, "verify_ssl": false, "timeout_s": 0.3 });
    let client = client(v);
    client.get("/version").await.unwrap();
    assert_eq!(fast.counters().requests_to("GET", "/version"), 1);
}

#[tokio::test]
async fn a_node_silent_during_the_handshake_is_unreachable_even_with_a_short_timeout() {
    // The connect timeout stays below the request timeout, so a write still moves on.
    let fake = FakePve::start().await;
    let silent = SilentListener::start().await;
    let client = two_nodes(&silent.host_port(), &fake, 0.4);
    client.call(&ApiRequest::new(Method::Post, START)).await.unwrap();
    assert_eq!((silent.accepted(), fake.counters().requests_to("POST", START)), (1, 1));
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_awaited() {
    let fake = FakePve::start().await;
    fake.fault(Fault::new("/version", FaultAction::Delay(Duration::from_millis(150))).method("GET").times(1));
    let client = client(token_json(&fake));
    let started = Instant::now();
    client.get("/version").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(fake.counters().requests_to("GET", "/version"), 1, "not repeated");
}
