//! Executing tools that talk to clusters: the raw call, the curated tools, `list_clusters`
//! and `wait_for_task`. A call always goes the same way: validate, check policy, send.

use rmcp::RoleServer;
use rmcp::model::{CallToolResult, ContentBlock, ProgressNotificationParam};
use rmcp::service::RequestContext;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::args::{ApiCallArgs, ClusterList, ClusterStatus, WaitArgs};
use super::{App, text_result};
use crate::policy;
use crate::pve::{ApiRequest, ClusterManager, PveClient, Upid, wait_for_task as wait};
use crate::schema::curated::Prepared;
use crate::schema::types::Method;
use crate::schema::validate::{ValidCall, validate_call};

/// Answers larger than this are cut, with a note, to spare the model's context.
const MAX_RESULT_BYTES: usize = 256 * 1024;
/// How long `list_clusters` trusts a reachability check.
const STATUS_TTL: Duration = Duration::from_secs(30);
/// How long `list_clusters` waits for a cluster to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn manager(app: &App) -> Result<&Arc<ClusterManager>, CallToolResult> {
    app.clusters.as_ref().ok_or_else(|| {
        text_result(
            "no clusters are configured: create clusters.json (see clusters.example.json) or set PROXMOX_URL, PROXMOX_USER, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET, then restart the server",
            true,
        )
    })
}

/// Resolves the cluster, checks policy and sends a validated call; `Ok` is PVE's `data`,
/// as the JSON text it came in.
async fn send(
    app: &App,
    cluster: Option<&str>,
    call: &ValidCall,
) -> Result<(Arc<PveClient>, Box<RawValue>), CallToolResult> {
    let client = manager(app)?.resolve(cluster).map_err(|e| text_result(e.to_string(), true))?;
    let method = call.endpoint.method;
    if let Err(refusal) = policy::check(app.read_only, client.cluster(), method, &call.path) {
        tracing::info!(target: "audit", cluster = client.name(), %method, path = %call.path, outcome = "refused", "{refusal}");
        return Err(text_result(refusal.to_string(), true));
    }
    let permissions = call.permissions();
    let mut request = ApiRequest::new(method, &call.path).params(&call.params);
    if let Some(p) = permissions.as_deref() {
        request = request.permissions(p);
    }
    let started = Instant::now();
    let result = client.call_raw(&request).await;
    app.metrics.upstream(client.name(), started.elapsed());
    if method != Method::Get {
        let names: Vec<&str> = call.params.iter().map(|(k, _)| k.as_str()).collect();
        let status = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.status().map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
        };
        tracing::info!(target: "audit", cluster = client.name(), %method, path = %call.path, params = %names.join(","), %status, "write sent");
    }
    match result {
        Ok(data) => Ok((client, data)),
        Err(e) => Err(text_result(e.to_string(), true)),
    }
}

/// PVE's data as text for the model, cut at `MAX_RESULT_BYTES` with a note.
fn limited_json(data: &RawValue) -> String {
    let text = data.get();
    if text.len() <= MAX_RESULT_BYTES {
        return text.to_owned();
    }
    let mut cut = MAX_RESULT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n[answer cut at {} KiB of {} KiB; narrow the request with parameters (e.g. type, node, limit)]",
        &text[..cut],
        MAX_RESULT_BYTES / 1024,
        text.len() / 1024
    )
}

/// `proxmox_api_call`.
pub async fn api_call(app: &App, args: ApiCallArgs) -> CallToolResult {
    // Models sometimes send the parameters as a JSON string; take it if it holds an object.
    let data = match args.data {
        Some(Value::String(s)) if s.trim_start().starts_with('{') => match serde_json::from_str::<Value>(&s) {
            Ok(v) => Some(v),
            Err(e) => return text_result(format!("'data' is a string that is not a JSON object: {e}"), true),
        },
        other => other,
    };
    let call = match validate_call(args.method.as_str(), &args.path, data.as_ref()) {
        Ok(c) => c,
        Err(e) => return text_result(format!("not sent: {e}"), true),
    };
    match send(app, args.cluster.as_deref(), &call).await {
        Ok((client, data)) => {
            let upid =
                if data.get().starts_with("\"UPID:") { serde_json::from_str::<String>(data.get()).ok() } else { None };
            if let Some(upid) = upid {
                text_result(
                    format!(
                        "{}\nThis started a task. Follow it with wait_for_task (cluster: \"{}\", upid: \"{upid}\").",
                        json!(upid),
                        client.name()
                    ),
                    false,
                )
            } else {
                text_result(limited_json(&data), false)
            }
        }
        Err(e) => e,
    }
}

/// A curated tool: the same path as the raw call, answered with structured content.
pub async fn curated(app: &App, tool: &str, prepared: Prepared) -> CallToolResult {
    let call = match validate_call(prepared.method.as_str(), &prepared.path, Some(&Value::Object(prepared.params))) {
        Ok(c) => c,
        Err(e) => return text_result(format!("{tool}: not sent: {e}"), true),
    };
    match send(app, prepared.cluster.as_deref(), &call).await {
        Ok((client, raw)) => {
            let data: Value = match serde_json::from_str(raw.get()) {
                Ok(v) => v,
                Err(e) => {
                    return text_result(format!("{tool}: the answer of {} cannot be read: {e}", client.name()), true);
                }
            };
            let mut result = CallToolResult::success(vec![ContentBlock::text(limited_json(&raw))]);
            // Not `json!({"data": data})`: that serializes the tree into a copy of itself.
            result.structured_content = Some(Value::Object(serde_json::Map::from_iter([("data".to_owned(), data)])));
            result
        }
        Err(e) => e,
    }
}

/// `list_clusters`: the configuration, plus a cached reachability check.
pub async fn list_clusters(app: &App) -> CallToolResult {
    let manager = match manager(app) {
        Ok(m) => m.clone(),
        Err(e) => return e,
    };
    let infos = manager.clusters();
    let probes = infos.iter().map(|info| {
        let manager = manager.clone();
        let name = info.name.clone();
        async move {
            let client = match manager.resolve(Some(&name)) {
                Ok(c) => c,
                Err(e) => return (false, None, Some(e.to_string())),
            };
            match tokio::time::timeout(PROBE_TIMEOUT, client.get("/version")).await {
                Ok(Ok(v)) => (true, v.get("version").and_then(Value::as_str).map(str::to_owned), None),
                Ok(Err(e)) => (false, None, Some(e.to_string())),
                Err(_) => (false, None, Some(format!("no answer within {} s", PROBE_TIMEOUT.as_secs()))),
            }
        }
    });
    let cached: Vec<Option<ClusterStatus>> = {
        let cache = app.status_cache.lock().unwrap_or_else(|e| e.into_inner());
        infos
            .iter()
            .map(|i| cache.get(&i.name).filter(|(t, _)| t.elapsed() < STATUS_TTL).map(|(_, s)| s.clone()))
            .collect()
    };
    let fresh = if cached.iter().all(Option::is_some) { Vec::new() } else { futures::future::join_all(probes).await };
    let mut clusters = Vec::with_capacity(infos.len());
    for (i, info) in infos.iter().enumerate() {
        let status = match (&cached[i], fresh.get(i)) {
            (Some(s), _) => s.clone(),
            (None, Some((reachable, version, error))) => ClusterStatus {
                name: info.name.clone(),
                nodes: info.nodes.clone(),
                default: info.is_default,
                read_only: info.read_only || app.read_only,
                auth: info.auth.to_owned(),
                user: info.user.clone(),
                tls: info.tls.to_owned(),
                reachable: *reachable,
                version: version.clone(),
                error: error.clone(),
            },
            (None, None) => continue,
        };
        clusters.push(status);
    }
    {
        let mut cache = app.status_cache.lock().unwrap_or_else(|e| e.into_inner());
        for s in &clusters {
            cache.entry(s.name.clone()).or_insert_with(|| (Instant::now(), s.clone()));
        }
        cache.retain(|_, (t, _)| t.elapsed() < STATUS_TTL);
    }
    let list = ClusterList { clusters };
    let value = serde_json::to_value(&list).unwrap_or_default();
    CallToolResult::structured(value)
}

/// `wait_for_task`, with progress notifications when the client asked for them.
pub async fn wait_for_task(app: &App, args: WaitArgs, context: &RequestContext<RoleServer>) -> CallToolResult {
    let upid: Upid = match args.upid.trim().parse() {
        Ok(u) => u,
        Err(e) => return text_result(format!("invalid upid: {e}"), true),
    };
    let client = match manager(app)
        .and_then(|m| m.resolve(args.cluster.as_deref()).map_err(|e| text_result(e.to_string(), true)))
    {
        Ok(c) => c,
        Err(e) => return e,
    };
    let timeout = Duration::from_secs(args.timeout_s.unwrap_or(60).clamp(1, 900));
    let token = context.meta.get_progress_token();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(f64, String)>();
    let peer = context.peer.clone();
    let notifier = token.map(|token| {
        tokio::spawn(async move {
            while let Some((progress, message)) = rx.recv().await {
                let param = ProgressNotificationParam::new(token.clone(), progress)
                    .with_total(timeout.as_secs_f64())
                    .with_message(message);
                if peer.notify_progress(param).await.is_err() {
                    return;
                }
            }
        })
    });
    let waiting = wait(&client, &upid, timeout, |p| {
        let _ = tx.send((
            p.elapsed.as_secs_f64(),
            format!("task {} after {:.0} s (poll {})", p.status, p.elapsed.as_secs_f64(), p.polls),
        ));
    });
    let outcome = tokio::select! {
        o = waiting => o,
        _ = context.ct.cancelled() => {
            return text_result(format!("stopped waiting for {upid}: the request was cancelled (the task goes on)"), true);
        }
    };
    drop(tx);
    if let Some(n) = notifier {
        let _ = n.await;
    }
    let _ = &app.metrics;
    match outcome {
        Ok(outcome) => {
            let failed = matches!(outcome.state, crate::pve::TaskState::Finished { .. }) && !outcome.succeeded();
            text_result(outcome.to_string(), failed)
        }
        Err(e) => text_result(e.to_string(), true),
    }
}
