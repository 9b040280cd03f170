//! Tasks: UPIDs from a guest start, followed to their end.

use crate::support::*;
use fake_pve::{FakePve, TaskPlan};
use proxmox_mcp::pve::{ApiRequest, TaskState, Upid, WaitOptions, wait_for_task_with};
use proxmox_mcp::schema::types::Method;
use std::time::Duration;

const FAST: WaitOptions =
    WaitOptions { first_delay: Duration::from_millis(10), max_delay: Duration::from_millis(40), log_lines: 3 };

async fn start(fake: &FakePve, plan: TaskPlan) -> (proxmox_mcp::pve::PveClient, Upid) {
    fake.set_task_plan(plan);
    let client = client(token_json(fake));
    let upid = client.call(&ApiRequest::new(Method::Post, "/nodes/pve1/qemu/100/status/start")).await.unwrap();
    let upid: Upid = upid.as_str().unwrap().parse().unwrap();
    assert_eq!((upid.node.as_str(), upid.worker_type.as_str(), upid.id.as_str()), ("pve1", "qmstart", "100"));
    assert_eq!(upid.user, "root@pam!mcp");
    (client, upid)
}

#[tokio::test]
async fn a_task_is_followed_to_ok_with_progress() {
    let fake = FakePve::start().await;
    let log: Vec<String> = (1..=5).map(|i| format!("line {i}")).collect();
    let (client, upid) = start(&fake, TaskPlan { running_polls: 3, exit_status: "OK".into(), log }).await;
    let mut seen = Vec::new();
    let outcome = wait_for_task_with(&client, &upid, Duration::from_secs(5), FAST, |p| {
        seen.push((p.polls, p.status.to_owned(), p.elapsed))
    })
    .await
    .unwrap();
    assert!(outcome.succeeded());
    assert_eq!(outcome.state, TaskState::Finished { exit_status: "OK".into() });
    assert_eq!(outcome.log, ["line 4", "line 5", "TASK OK"], "the last lines");
    let statuses: Vec<&str> = seen.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(statuses, ["running", "running", "running", "stopped"]);
    assert!(seen.windows(2).all(|w| w[0].0 + 1 == w[1].0 && w[0].2 <= w[1].2));
    assert!(outcome.to_string().contains("finished: OK"));
}

#[tokio::test]
async fn a_failed_task_reports_its_error_and_log() {
    let fake = FakePve::start().await;
    let plan = TaskPlan { running_polls: 1, exit_status: "VM 100 already running".into(), log: vec!["trying".into()] };
    let (client, upid) = start(&fake, plan).await;
    let outcome = wait_for_task_with(&client, &upid, Duration::from_secs(5), FAST, |_| {}).await.unwrap();
    assert!(!outcome.succeeded());
    assert_eq!(outcome.state, TaskState::Finished { exit_status: "VM 100 already running".into() });
    assert_eq!(outcome.log.last().unwrap(), "TASK ERROR: VM 100 already running");
    assert!(outcome.to_string().contains("failed: VM 100 already running"));
}

#[tokio::test]
async fn a_timeout_says_the_task_is_still_running() {
    let fake = FakePve::start().await;
    let (client, upid) =
        start(&fake, TaskPlan { running_polls: 1000, exit_status: "OK".into(), log: vec!["busy".into()] }).await;
    let started = std::time::Instant::now();
    let mut polls = 0;
    let outcome = wait_for_task_with(&client, &upid, Duration::from_millis(200), FAST, |_| polls += 1).await.unwrap();
    assert_eq!(outcome.state, TaskState::StillRunning);
    assert!(!outcome.succeeded());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(polls >= 3, "backoff capped at 40 ms gives several polls in 200 ms, got {polls}");
    assert_eq!(outcome.log, ["busy"]);
    assert!(outcome.to_string().contains("still running"), "{outcome}");
}

#[tokio::test]
async fn the_default_backoff_starts_at_250ms() {
    let fake = FakePve::start().await;
    let (client, upid) = start(&fake, TaskPlan { running_polls: 1, exit_status: "OK".into(), log: vec![] }).await;
    let started = std::time::Instant::now();
    let outcome = proxmox_mcp::pve::wait_for_task(&client, &upid, Duration::from_secs(5), |_| {}).await.unwrap();
    assert!(outcome.succeeded());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(240) && took < Duration::from_secs(2), "{took:?}");
}
