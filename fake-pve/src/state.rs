//! What the fake knows: users, tokens, tickets, tasks, fault knobs and counters.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the fake behaves; `Default` gives one node, one user and one token.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// `(user@realm, password)` pairs accepted by `POST /access/ticket`.
    pub users: Vec<(String, String)>,
    /// `(user@realm, token name, secret)` triples accepted as API tokens.
    pub tokens: Vec<(String, String, String)>,
    /// How long a ticket is accepted.
    pub ticket_lifetime: Duration,
    /// Put at the start of every ticket's and CSRF token's random part, so tests can look
    /// for them in logs and errors.
    pub ticket_marker: String,
    /// What `GET /version` reports.
    pub version: String,
    /// The cluster's node names.
    pub nodes: Vec<String>,
    /// How tasks started on the fake end.
    pub task: TaskPlan,
    /// What `GET /pve-docs/api-viewer/apidoc.js` serves (no login needed, as on a node).
    pub apidoc_js: String,
}

impl Default for FakeConfig {
    fn default() -> FakeConfig {
        FakeConfig {
            users: vec![("root@pam".into(), "fake-password".into())],
            tokens: vec![("root@pam".into(), "mcp".into(), "00000000-0000-0000-0000-000000000000".into())],
            ticket_lifetime: Duration::from_secs(7200),
            ticket_marker: "faketicket".into(),
            version: "9.2.1".into(),
            nodes: vec!["pve1".into()],
            task: TaskPlan::default(),
            apidoc_js: "const apiSchema = [];\n".into(),
        }
    }
}

/// How a task ends.
#[derive(Debug, Clone)]
pub struct TaskPlan {
    /// Status polls answered `running` before it is `stopped`.
    pub running_polls: u32,
    /// The exit status: `OK` or an error text.
    pub exit_status: String,
    /// Log lines before the final `TASK OK` / `TASK ERROR: ...` line.
    pub log: Vec<String>,
}

impl Default for TaskPlan {
    fn default() -> TaskPlan {
        TaskPlan { running_polls: 1, exit_status: "OK".into(), log: vec!["starting".into()] }
    }
}

/// A fault to inject.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `GET`, `POST`, ... or `None` for any.
    pub method: Option<String>,
    /// The API path (after `/api2/json`); a trailing `*` matches any rest.
    pub path: String,
    /// What to do.
    pub action: FaultAction,
    /// How many requests it applies to; `None` for all.
    pub times: Option<u32>,
}

impl Fault {
    /// A fault on every method of `path`, for every request.
    pub fn new(path: impl Into<String>, action: FaultAction) -> Fault {
        Fault { method: None, path: path.into(), action, times: None }
    }

    /// Only for this method.
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only for the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && match self.path.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == self.path,
            }
    }
}

/// What a fault does.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// Wait, then answer normally.
    Delay(Duration),
    /// Read the request and never answer (for at most 60 s).
    Hang,
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer a PVE-shaped error: the message in the reason phrase and (if `in_body`) in the
    /// JSON body, with per-parameter `errors`.
    Error {
        /// The HTTP status.
        status: u16,
        /// PVE's message.
        message: String,
        /// Per-parameter errors.
        errors: Vec<(String, String)>,
        /// Also put `message` in the JSON body (otherwise only in the reason phrase).
        in_body: bool,
    },
    /// Answer with this status and an HTML body (a proxy's error page, say).
    Html {
        /// The HTTP status.
        status: u16,
        /// The page.
        body: String,
    },
}

impl FaultAction {
    /// A PVE error with the message in both the reason phrase and the body.
    pub fn error(status: u16, message: &str) -> FaultAction {
        FaultAction::Error { status, message: message.into(), errors: Vec::new(), in_body: true }
    }
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path after `/api2/json`.
    pub path: String,
    /// Query or form parameters, in order.
    pub params: Vec<(String, String)>,
    /// Whether it carried credentials (a token, a ticket cookie, or a login password).
    pub credentials: bool,
    /// Whether it carried a `CSRFPreventionToken` header.
    pub csrf: bool,
}

/// Counters, for assertions.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// TCP connections accepted.
    pub connections: u64,
    /// TLS handshakes completed.
    pub handshakes: u64,
    /// Login attempts (`POST /access/ticket`).
    pub logins: u64,
    /// Successful logins.
    pub successful_logins: u64,
    /// Requests by `METHOD /path`.
    pub requests: BTreeMap<String, u64>,
    /// Requests that carried any credential.
    pub credentials_seen: u64,
    /// Requests refused with 401.
    pub unauthorized: u64,
    /// The last requests (at most 1000).
    pub log: Vec<Seen>,
}

impl Counters {
    /// Requests seen for `METHOD /path`.
    pub fn requests_to(&self, method: &str, path: &str) -> u64 {
        self.requests.get(&format!("{method} {path}")).copied().unwrap_or(0)
    }
}

pub(crate) struct TicketInfo {
    pub user: String,
    pub csrf: String,
    pub issued: Instant,
}

pub(crate) struct TaskInfo {
    pub plan: TaskPlan,
    pub polls: u32,
}

pub(crate) struct State {
    pub config: Mutex<FakeConfig>,
    pub counters: Mutex<Counters>,
    pub faults: Mutex<Vec<Fault>>,
    pub tickets: Mutex<HashMap<String, TicketInfo>>,
    pub tasks: Mutex<HashMap<String, TaskInfo>>,
    pub serial: Mutex<u64>,
}

/// Locks, ignoring poisoning (a panicking test must not hide the fake's state).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    pub fn new(config: FakeConfig) -> State {
        State {
            config: Mutex::new(config),
            counters: Mutex::new(Counters::default()),
            faults: Mutex::new(Vec::new()),
            tickets: Mutex::new(HashMap::new()),
            tasks: Mutex::new(HashMap::new()),
            serial: Mutex::new(0),
        }
    }

    pub fn next_serial(&self) -> u64 {
        let mut s = lock(&self.serial);
        *s += 1;
        *s
    }

    /// The action of the first matching fault, using up one of its times.
    pub fn take_fault(&self, method: &str, path: &str) -> Option<FaultAction> {
        let mut faults = lock(&self.faults);
        let i = faults.iter().position(|f| f.matches(method, path) && f.times != Some(0))?;
        let fault = &mut faults[i];
        if let Some(n) = fault.times.as_mut() {
            *n -= 1;
        }
        Some(fault.action.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_match_method_and_path_and_run_out() {
        let state = State::new(FakeConfig::default());
        state.faults.lock().unwrap().push(Fault::new("/nodes/*", FaultAction::Hang).method("post").times(2));
        assert!(state.take_fault("GET", "/nodes/pve1").is_none(), "other method");
        assert!(state.take_fault("POST", "/cluster").is_none(), "other path");
        assert!(state.take_fault("POST", "/nodes/pve1/qemu").is_some());
        assert!(state.take_fault("POST", "/nodes/pve1").is_some());
        assert!(state.take_fault("POST", "/nodes/pve1").is_none(), "used up");
        state.faults.lock().unwrap().push(Fault::new("/version", FaultAction::Drop));
        assert!((0..5).all(|_| state.take_fault("GET", "/version").is_some()), "no limit");
        assert!(state.take_fault("GET", "/versionx").is_none(), "exact path");
    }
}
