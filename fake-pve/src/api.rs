//! The HTTP side: PVE's envelope, authentication, a few endpoints, and the fault knobs.

use crate::state::{FaultAction, Seen, State, TaskInfo, TicketInfo, lock};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Lets a handler close its connection without answering.
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

/// The request's parameters (query for GET/DELETE, form body for POST/PUT), in order.
#[derive(Clone)]
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Who is calling.
#[derive(Clone)]
struct Caller(String);

type App = Arc<State>;

/// The longest a hanging request is held.
const HANG: Duration = Duration::from_secs(60);

pub(crate) fn router(state: App) -> Router {
    Router::new()
        .route("/api2/json/access/ticket", post(login))
        .route("/api2/json/version", get(version))
        .route("/api2/json/nodes", get(nodes))
        .route("/api2/json/cluster/resources", get(resources))
        .route("/api2/json/cluster/status", get(cluster_status))
        .route("/api2/json/cluster/tasks", get(cluster_tasks))
        .route("/api2/json/nodes/{node}/qemu/{vmid}/status/start", post(start_guest))
        .route("/api2/json/nodes/{node}/qemu/{vmid}/config", get(echo).put(echo).post(echo))
        .route("/api2/json/nodes/{node}/qemu/{vmid}", axum::routing::delete(echo))
        .route("/api2/json/nodes/{node}/tasks/{upid}/status", get(task_status))
        .route("/api2/json/nodes/{node}/tasks/{upid}/log", get(task_log))
        .route("/pve-docs/api-viewer/apidoc.js", get(api_viewer))
        .fallback(not_implemented)
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(from_fn_with_state(state.clone(), front))
        .with_state(state)
}

/// PVE's success envelope.
fn data(value: Value) -> Response {
    axum::Json(json!({ "data": value })).into_response()
}

/// A PVE-shaped error: the message as the reason phrase, and a JSON body.
pub(crate) fn pve_error(status: u16, message: &str, errors: &[(String, String)], in_body: bool) -> Response {
    let mut body = json!({ "data": null });
    if in_body {
        body["message"] = json!(format!("{message}\n"));
    }
    if !errors.is_empty() {
        body["errors"] = errors.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>().into();
    }
    let mut response = axum::Json(body).into_response();
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(reason) = hyper::ext::ReasonPhrase::try_from(message.trim().to_owned()) {
        response.extensions_mut().insert(reason);
    }
    response
}

/// Counts and records the request, reads its parameters, and applies faults.
async fn front(Shared(app): Shared<App>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let full_path = req.uri().path().to_owned();
    let path = full_path.strip_prefix("/api2/json").unwrap_or(&full_path).to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return pve_error(400, "request body too large or unreadable", &[], true);
    };
    let source: &[u8] = if method == "POST" || method == "PUT" { &bytes } else { query.as_bytes() };
    let params: Vec<(String, String)> = form_urlencoded::parse(source).into_owned().collect();
    let cookie = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let credentials = parts.headers.contains_key(header::AUTHORIZATION)
        || cookie.contains("PVEAuthCookie=")
        || (path == "/access/ticket" && params.iter().any(|(k, _)| k == "password"));
    let csrf = parts.headers.contains_key("csrfpreventiontoken");
    {
        let mut c = lock(&app.counters);
        *c.requests.entry(format!("{method} {path}")).or_default() += 1;
        if credentials {
            c.credentials_seen += 1;
        }
        if c.log.len() >= 1000 {
            c.log.remove(0);
        }
        c.log.push(Seen { method: method.clone(), path: path.clone(), params: params.clone(), credentials, csrf });
    }
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(Params(params));
    match app.take_fault(&method, &path) {
        None => next.run(req).await,
        Some(FaultAction::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(FaultAction::Hang) => {
            tokio::time::sleep(HANG).await;
            pve_error(504, "hung request released", &[], true)
        }
        Some(FaultAction::Drop) => {
            if let Some(kill) = req.extensions().get::<ConnKill>() {
                kill.0.notify_one();
            }
            tokio::time::sleep(HANG).await;
            pve_error(500, "connection should have been dropped", &[], true)
        }
        Some(FaultAction::Error { status, message, errors, in_body }) => pve_error(status, &message, &errors, in_body),
        Some(FaultAction::Html { status, body }) => {
            let mut r = ([(header::CONTENT_TYPE, "text/html")], body).into_response();
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            r
        }
    }
}

fn unauthorized(app: &State, message: &str) -> Response {
    lock(&app.counters).unauthorized += 1;
    // PVE puts the reason only in the status line.
    pve_error(401, message, &[], false)
}

/// Token or ticket authentication, with the CSRF check on writes for tickets.
/// The API viewer's script, as a node serves it.
async fn api_viewer(Shared(app): Shared<App>) -> Response {
    let text = lock(&app.config).apidoc_js.clone();
    ([(header::CONTENT_TYPE, "application/javascript")], text).into_response()
}

async fn authenticate(Shared(app): Shared<App>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path == "/api2/json/access/ticket" || !path.starts_with("/api2/") {
        return next.run(req).await;
    }
    let user = match caller(&app, req.method().as_str(), req.headers()) {
        Ok(user) => user,
        Err(message) => return unauthorized(&app, &message),
    };
    req.extensions_mut().insert(Caller(user));
    next.run(req).await
}

fn caller(app: &State, method: &str, headers: &HeaderMap) -> Result<String, String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let auth = auth.to_str().map_err(|_| "invalid authorization header".to_owned())?;
        let Some(rest) = auth.strip_prefix("PVEAPIToken=") else { return Err("invalid authorization header".into()) };
        let (ident, secret) = rest.split_once('=').ok_or("invalid API token format")?;
        let (user, token) = ident.split_once('!').ok_or("invalid API token format")?;
        let config = lock(&app.config);
        let Some((_, _, expected)) = config.tokens.iter().find(|(u, t, _)| u == user && t == token) else {
            return Err(format!("no such token '{token}' for user '{user}'"));
        };
        if expected != secret {
            return Err("invalid token value!".into());
        }
        return Ok(format!("{user}!{token}"));
    }
    let cookie = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(ticket) = cookie.split(';').find_map(|c| c.trim().strip_prefix("PVEAuthCookie=")) else {
        return Err("No ticket".into());
    };
    let lifetime = lock(&app.config).ticket_lifetime;
    let tickets = lock(&app.tickets);
    let info = tickets
        .get(ticket)
        .filter(|t| t.issued.elapsed() < lifetime)
        .ok_or("permission denied - invalid PVE ticket")?;
    if method != "GET" {
        let sent = headers.get("csrfpreventiontoken").and_then(|v| v.to_str().ok());
        if sent != Some(info.csrf.as_str()) {
            return Err("Permission denied - invalid csrf token".into());
        }
    }
    Ok(info.user.clone())
}

async fn login(Shared(app): Shared<App>, axum::Extension(params): axum::Extension<Params>) -> Response {
    lock(&app.counters).logins += 1;
    let (Some(user), Some(password)) = (params.get("username"), params.get("password")) else {
        return pve_error(
            400,
            "Parameter verification failed.",
            &[("username".into(), "property is missing and it is not optional".into())],
            true,
        );
    };
    let (known, marker) = {
        let config = lock(&app.config);
        (config.users.iter().any(|(u, p)| u == user && p == password), config.ticket_marker.clone())
    };
    if !known {
        return unauthorized(&app, "authentication failure");
    }
    let serial = app.next_serial();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let ticket = format!("PVE:{user}:{:08X}::{marker}{serial:04}x{:09}", now.as_secs(), now.subsec_nanos());
    let csrf = format!("{:08X}:{marker}csrf{serial:04}", now.as_secs());
    lock(&app.tickets)
        .insert(ticket.clone(), TicketInfo { user: user.to_owned(), csrf: csrf.clone(), issued: Instant::now() });
    lock(&app.counters).successful_logins += 1;
    data(json!({ "username": user, "ticket": ticket, "CSRFPreventionToken": csrf, "cap": {} }))
}

async fn version(Shared(app): Shared<App>) -> Response {
    let v = lock(&app.config).version.clone();
    let release: String = v.split('.').take(2).collect::<Vec<_>>().join(".");
    data(json!({ "version": v, "release": release, "repoid": "fakepve0" }))
}

async fn nodes(Shared(app): Shared<App>) -> Response {
    let nodes = lock(&app.config).nodes.clone();
    data(
        nodes
            .iter()
            .map(|n| json!({ "node": n, "status": "online", "type": "node", "maxcpu": 4, "maxmem": 8_589_934_592u64 }))
            .collect(),
    )
}

async fn resources(Shared(app): Shared<App>) -> Response {
    let nodes = lock(&app.config).nodes.clone();
    let mut list: Vec<Value> = nodes
        .iter()
        .map(|n| json!({ "id": format!("node/{n}"), "type": "node", "node": n, "status": "online" }))
        .collect();
    if let Some(first) = nodes.first() {
        list.push(json!({ "id": "qemu/100", "type": "qemu", "vmid": 100, "node": first, "name": "vm100", "status": "stopped" }));
    }
    data(list.into())
}

async fn cluster_status(Shared(app): Shared<App>) -> Response {
    let nodes = lock(&app.config).nodes.clone();
    let mut list =
        vec![json!({ "type": "cluster", "id": "cluster", "name": "fake", "nodes": nodes.len(), "quorate": 1 })];
    list.extend(
        nodes.iter().enumerate().map(
            |(i, n)| json!({ "type": "node", "id": format!("node/{n}"), "name": n, "nodeid": i + 1, "online": 1 }),
        ),
    );
    data(list.into())
}

/// The tasks started on the fake, newest first, in PVE's `/cluster/tasks` shape.
async fn cluster_tasks(Shared(app): Shared<App>) -> Response {
    let tasks = lock(&app.tasks);
    let mut list: Vec<Value> = tasks
        .iter()
        .map(|(upid, task)| {
            let parts: Vec<&str> = upid.split(':').collect();
            let mut v = json!({
                "upid": upid,
                "node": parts.get(1).copied().unwrap_or_default(),
                "type": parts.get(5).copied().unwrap_or_default(),
                "id": parts.get(6).copied().unwrap_or_default(),
                "user": parts.get(7).copied().unwrap_or_default(),
                "starttime": parts.get(4).and_then(|h| i64::from_str_radix(h, 16).ok()).unwrap_or_default(),
            });
            if task.polls > task.plan.running_polls {
                v["status"] = json!(task.plan.exit_status);
            }
            v
        })
        .collect();
    list.sort_by(|a, b| b["upid"].as_str().cmp(&a["upid"].as_str()));
    data(list.into())
}

async fn start_guest(
    Shared(app): Shared<App>,
    Path((node, vmid)): Path<(String, String)>,
    axum::Extension(Caller(user)): axum::Extension<Caller>,
) -> Response {
    let plan = {
        let config = lock(&app.config);
        if !config.nodes.contains(&node) {
            return pve_error(595, "No route to host", &[], false);
        }
        config.task.clone()
    };
    let serial = app.next_serial();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let upid = format!("UPID:{node}:{:08X}:{:08X}:{now:08X}:qmstart:{vmid}:{user}:", 1000 + serial, 5000 + serial);
    lock(&app.tasks).insert(upid.clone(), TaskInfo { plan, polls: 0 });
    data(json!(upid))
}

async fn task_status(Shared(app): Shared<App>, Path((node, upid)): Path<(String, String)>) -> Response {
    let mut tasks = lock(&app.tasks);
    let Some(task) = tasks.get_mut(&upid) else { return pve_error(500, &format!("no such task '{upid}'"), &[], true) };
    task.polls += 1;
    let mut v = json!({ "upid": upid, "node": node, "type": "qmstart", "status": "running" });
    if task.polls > task.plan.running_polls {
        v["status"] = json!("stopped");
        v["exitstatus"] = json!(task.plan.exit_status);
    }
    data(v)
}

async fn task_log(
    Shared(app): Shared<App>,
    Path((_node, upid)): Path<(String, String)>,
    axum::Extension(params): axum::Extension<Params>,
) -> Response {
    let tasks = lock(&app.tasks);
    let Some(task) = tasks.get(&upid) else { return pve_error(500, &format!("no such task '{upid}'"), &[], true) };
    let mut lines = task.plan.log.clone();
    if task.polls > task.plan.running_polls {
        lines.push(if task.plan.exit_status == "OK" {
            "TASK OK".to_owned()
        } else {
            format!("TASK ERROR: {}", task.plan.exit_status)
        });
    }
    let start: usize = params.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
    let limit: usize = params.get("limit").and_then(|s| s.parse().ok()).unwrap_or(50);
    let page: Vec<Value> =
        lines.iter().enumerate().skip(start).take(limit).map(|(i, t)| json!({ "n": i + 1, "t": t })).collect();
    axum::Json(json!({ "data": page, "total": lines.len() })).into_response()
}

/// Answers with what it received: `{"method", "params": [[k, v], ...]}`.
async fn echo(req: Request) -> Response {
    let method = req.method().as_str().to_owned();
    let params = req.extensions().get::<Params>().map(|p| p.0.clone()).unwrap_or_default();
    data(json!({ "method": method, "params": params }))
}

async fn not_implemented(req: Request) -> Response {
    let path = req.uri().path().strip_prefix("/api2/json").unwrap_or(req.uri().path()).to_owned();
    pve_error(501, &format!("Method '{} {path}' not implemented", req.method()), &[], false)
}
