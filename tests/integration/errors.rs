//! PVE's errors, mapped: status, message, parameter errors, and what to do.

use crate::support::*;
use fake_pve::{FakePve, Fault, FaultAction};
use proxmox_mcp::pve::{ApiRequest, Error};
use proxmox_mcp::schema::types::Method;

const START: &str = "/nodes/pve1/qemu/100/status/start";

#[tokio::test]
async fn bad_request_keeps_message_and_sorted_parameter_errors() {
    let fake = FakePve::start().await;
    fake.fault(Fault::new(
        START,
        FaultAction::Error {
            status: 400,
            message: "Parameter verification failed.".into(),
            errors: vec![
                ("timeout".into(), "value must be at least 0".into()),
                ("skiplock".into(), "only root may use this option".into()),
            ],
            in_body: true,
        },
    ));
    let e = client(token_json(&fake)).call(&ApiRequest::new(Method::Post, START)).await.unwrap_err();
    match &e {
        Error::Api { status: 400, message, errors, .. } => {
            assert_eq!(message, "Parameter verification failed.");
            assert_eq!(errors[0].0, "skiplock");
            assert_eq!(errors[1].0, "timeout");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "cluster 'c': POST /nodes/pve1/qemu/100/status/start failed (400 Parameter verification failed.): \
         'skiplock': only root may use this option; 'timeout': value must be at least 0"
    );
    assert!(e.retry_safe(), "PVE refused before acting");
    assert_eq!(e.status(), Some(400));
}

#[tokio::test]
async fn the_reason_phrase_is_the_fallback_message() {
    let fake = FakePve::start().await;
    let body_and_reason =
        FaultAction::Error { status: 500, message: "from the body".into(), errors: vec![], in_body: true };
    fake.fault(Fault::new("/nodes", body_and_reason).times(1));
    fake.fault(Fault::new(
        "/nodes",
        FaultAction::Error { status: 500, message: "only in the status line".into(), errors: vec![], in_body: false },
    ));
    let client = client(token_json(&fake));
    let e = client.get("/nodes").await.unwrap_err();
    assert!(matches!(&e, Error::Api { status: 500, message, .. } if message == "from the body"), "{e:?}");
    assert!(e.retry_safe(), "a failed GET may be repeated");
    let e = client.get("/nodes").await.unwrap_err();
    assert!(matches!(&e, Error::Api { status: 500, message, .. } if message == "only in the status line"), "{e:?}");
    fake.fault(Fault::new(START, FaultAction::error(500, "VM 100 qmp command failed")));
    let e = client.call(&ApiRequest::new(Method::Post, START)).await.unwrap_err();
    assert!(!e.retry_safe(), "a write that failed on the server may have done something");
}

#[tokio::test]
async fn forbidden_names_the_required_privilege() {
    let fake = FakePve::start().await;
    fake.fault(Fault::new(START, FaultAction::error(403, "Permission check failed (/vms/100, VM.PowerMgmt)")));
    let permissions = r#"{"check":["perm","/vms/{vmid}",["VM.PowerMgmt"]]}"#;
    let e = client(token_json(&fake))
        .call(&ApiRequest::new(Method::Post, START).permissions(permissions))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    assert!(text.contains("403 Permission check failed (/vms/100, VM.PowerMgmt)"), "{text}");
    assert!(text.contains("this call requires VM.PowerMgmt on /vms/{vmid}"), "{text}");
    assert!(text.contains("privilege separation"), "tokens get the privsep hint: {text}");
    // Password users get no token hint.
    let fake = FakePve::start().await;
    fake.fault(Fault::new(START, FaultAction::error(403, "Permission check failed")));
    let e = client(password_json(&fake))
        .call(&ApiRequest::new(Method::Post, START).permissions(permissions))
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("privilege separation"), "{e}");
}

#[tokio::test]
async fn not_implemented_shows_the_server_version() {
    let fake = FakePve::start().await;
    let e = client(token_json(&fake)).get("/nodes/pve1/brand-new-feature").await.unwrap_err();
    assert!(matches!(&e, Error::NotImplemented { version: Some(v), .. } if v == "PVE 9.2.1"), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cluster 'c': GET /nodes/pve1/brand-new-feature is not implemented by this PVE version (PVE 9.2.1): \
         Method 'GET /nodes/pve1/brand-new-feature' not implemented"
    );
}

#[tokio::test]
async fn unreachable_target_nodes_are_named() {
    let fake = FakePve::start().await;
    let client = client(token_json(&fake));
    // The fake answers 595 for a node it does not know, as PVE does when it cannot proxy.
    let e = client.call(&ApiRequest::new(Method::Post, "/nodes/pve9/qemu/100/status/start")).await.unwrap_err();
    assert!(matches!(&e, Error::NodeUnreachable { status: 595, node, .. } if node == "pve9"), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("node 'pve9' could not be reached through") && text.contains("595 No route to host"),
        "{text}"
    );
    assert!(e.retry_safe(), "595: the call never reached the node");
    fake.fault(Fault::new(
        "/cluster/status",
        FaultAction::Error { status: 596, message: "Broken pipe".into(), errors: vec![], in_body: false },
    ));
    let e = client.get("/cluster/status").await.unwrap_err();
    let host = fake.host_port().rsplit_once(':').unwrap().0.to_owned();
    assert!(matches!(&e, Error::NodeUnreachable { status: 596, node, .. } if *node == host), "{e:?}");
}

#[tokio::test]
async fn html_pages_are_summarised_not_dumped() {
    let fake = FakePve::start().await;
    let page = format!(
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>{}</body></html>",
        "<p>filler</p>".repeat(500)
    );
    fake.fault(Fault::new("/version", FaultAction::Html { status: 502, body: page }));
    let e = client(token_json(&fake)).get("/version").await.unwrap_err();
    assert!(matches!(&e, Error::InvalidResponse { status: 502, summary, .. } if summary == "502 Bad Gateway"), "{e:?}");
    assert!(!e.to_string().contains("filler"));
    assert!(e.to_string().len() < 300, "{e}");
}
