//! `pve::Error`: everything that can go wrong between the server and a PVE cluster.
//!
//! Each variant says, in its doc and through [`Error::retry_safe`], whether repeating the
//! same call is safe: "safe" means the call cannot have been carried out (nothing was sent,
//! or PVE refused it before acting), or it only reads. No variant ever holds a secret.

use crate::schema::types::Method;
use std::fmt;

/// A failure to reach one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFailure {
    /// `host:port`.
    pub node: String,
    /// What happened (connection refused, timed out, ...).
    pub reason: String,
}

/// An error of the PVE client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No node of the cluster could be connected to (refused, unresolvable, connect timeout).
    /// Nothing was sent. Retry safe: yes; check the addresses, the nodes and the network.
    #[error("cluster '{cluster}': cannot reach {}", list_failures(attempts))]
    Unreachable {
        /// The cluster.
        cluster: String,
        /// One entry per node tried.
        attempts: Vec<NodeFailure>,
    },

    /// The node's TLS certificate was rejected, so the connection was closed before any
    /// request or credential was sent. Retry safe: yes, but it fails until the certificate
    /// or the `ca_file`/`fingerprint` configuration is fixed.
    #[error("cluster '{cluster}': TLS with {node} failed: {reason}")]
    Certificate {
        /// The cluster.
        cluster: String,
        /// `host:port`.
        node: String,
        /// What was wrong and what to configure.
        reason: String,
    },

    /// The connection broke or timed out after the request may have been sent. Retry safe:
    /// only for reads (`GET`); a write may have been carried out, so check its effect (for
    /// example the task list) before repeating it.
    #[error(
        "cluster '{cluster}': {method} {path} on {node} {}: {reason}{}",
        if *timed_out { "timed out" } else { "was interrupted" },
        if *method == Method::Get { "" } else { " (the request may have been carried out; it was not repeated: check before retrying)" }
    )]
    Interrupted {
        /// The cluster.
        cluster: String,
        /// `host:port` of the node last tried.
        node: String,
        /// The method.
        method: Method,
        /// The API path.
        path: String,
        /// Whether it was the request timeout.
        timed_out: bool,
        /// What happened.
        reason: String,
    },

    /// HTTP 401: PVE rejected the credentials. Retry safe: yes (nothing was carried out),
    /// but it fails until the credentials are fixed; the message says which to check.
    #[error("cluster '{cluster}': authentication failed (401 {message}): {failure}")]
    Unauthorized {
        /// The cluster.
        cluster: String,
        /// What failed, as far as PVE's message tells.
        failure: AuthFailure,
        /// PVE's message.
        message: String,
    },

    /// HTTP 403: the user or token lacks a privilege. Retry safe: yes (nothing was carried
    /// out); grant the privilege named in the message first.
    #[error("cluster '{cluster}': permission denied (403 {message}){}", required_text(required.as_deref(), *token))]
    Forbidden {
        /// The cluster.
        cluster: String,
        /// PVE's message.
        message: String,
        /// The endpoint's requirement, rendered from its schema `permissions`.
        required: Option<String>,
        /// Whether the call used an API token (privilege-separated tokens need their own ACLs).
        token: bool,
    },

    /// HTTP 501: this PVE version does not implement the method. Retry safe: yes; it will
    /// fail the same way until PVE is upgraded.
    #[error("cluster '{cluster}': {method} {path} is not implemented by this PVE version{}: {message}", version.as_ref().map(|v| format!(" ({v})")).unwrap_or_default())]
    NotImplemented {
        /// The cluster.
        cluster: String,
        /// The method.
        method: Method,
        /// The API path.
        path: String,
        /// PVE's message.
        message: String,
        /// The server's version (`GET /version`), when it could be read.
        version: Option<String>,
    },

    /// HTTP 595/596: the node answering could not reach the node the call is for (PVE
    /// proxies calls to the node that owns the resource). Retry safe: for 595 (connection
    /// not made) and reads yes; a 596 write may have been carried out.
    #[error("cluster '{cluster}': node '{node}' could not be reached through {via} ({status} {message})")]
    NodeUnreachable {
        /// The cluster.
        cluster: String,
        /// 595 or 596.
        status: u16,
        /// The node that could not be reached.
        node: String,
        /// `host:port` of the node that answered.
        via: String,
        /// The method.
        method: Method,
        /// PVE's message.
        message: String,
    },

    /// Any other PVE error status, with its message and per-parameter errors. Retry safe:
    /// 4xx yes (PVE refused before acting); 5xx only for reads.
    #[error("cluster '{cluster}': {method} {path} failed ({status} {message}){}", params_text(errors))]
    Api {
        /// The cluster.
        cluster: String,
        /// The HTTP status.
        status: u16,
        /// The method.
        method: Method,
        /// The API path.
        path: String,
        /// PVE's message.
        message: String,
        /// Per-parameter errors, sorted by parameter.
        errors: Vec<(String, String)>,
    },

    /// The answer was not PVE's JSON (an HTML error page from a proxy, say); it is
    /// summarised, not reproduced. Retry safe: only for reads.
    #[error("cluster '{cluster}': {node} answered {status} with something that is not PVE's JSON: {summary}")]
    InvalidResponse {
        /// The cluster.
        cluster: String,
        /// `host:port`.
        node: String,
        /// The method.
        method: Method,
        /// The HTTP status.
        status: u16,
        /// Status and first line or title, truncated.
        summary: String,
    },

    /// The call named a cluster that is not configured. Retry safe: yes (nothing was sent).
    #[error("unknown cluster '{name}'; configured: {}", configured.join(", "))]
    UnknownCluster {
        /// The name given.
        name: String,
        /// The configured names.
        configured: Vec<String>,
    },

    /// The call named no cluster and none is the default. Retry safe: yes (nothing was sent).
    #[error("no cluster given and several are configured without a default: pass one of {} as \"cluster\"", configured.join(", "))]
    NoDefaultCluster {
        /// The configured names.
        configured: Vec<String>,
    },

    /// The client for a cluster could not be set up (TLS roots, HTTP client). Retry safe:
    /// yes (nothing was sent).
    #[error("cluster '{cluster}': cannot set up the client: {reason}")]
    Setup {
        /// The cluster.
        cluster: String,
        /// Why.
        reason: String,
    },

    /// The request path cannot form a URL. Retry safe: yes (nothing was sent).
    #[error("cluster '{cluster}': invalid API path '{path}': {reason}")]
    InvalidPath {
        /// The cluster.
        cluster: String,
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },

    /// A task ID (UPID) could not be parsed. Retry safe: yes (nothing was sent).
    #[error(transparent)]
    InvalidUpid(#[from] super::task::UpidError),
}

/// What an authentication failure points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// The token exists but its secret is wrong ("invalid token value").
    TokenSecret,
    /// PVE knows no such token ("no such token").
    TokenUnknown,
    /// The token has expired.
    TokenExpired,
    /// The user or token is disabled.
    Disabled,
    /// The password login was refused.
    Password,
    /// A ticket was refused even right after logging in.
    Ticket,
    /// The CSRF prevention token was refused.
    Csrf,
    /// The password was right but the user has a second factor, which an unattended client
    /// cannot provide.
    TwoFactor,
    /// PVE did not say; the token configuration should be checked.
    TokenOther,
    /// PVE did not say; the password configuration should be checked.
    PasswordOther,
}

impl AuthFailure {
    /// Classifies PVE's 401 message for the kind of credentials used.
    pub fn classify(message: &str, token: bool) -> AuthFailure {
        let m = message.to_ascii_lowercase();
        if m.contains("invalid token value") {
            AuthFailure::TokenSecret
        } else if m.contains("no such token") {
            AuthFailure::TokenUnknown
        } else if m.contains("token expired") || m.contains("token has expired") {
            AuthFailure::TokenExpired
        } else if m.contains("disabled") {
            AuthFailure::Disabled
        } else if m.contains("csrf") {
            AuthFailure::Csrf
        } else if token {
            AuthFailure::TokenOther
        } else if m.contains("ticket") {
            AuthFailure::Ticket
        } else if m.contains("authentication failure") || m.contains("login failed") {
            AuthFailure::Password
        } else {
            AuthFailure::PasswordOther
        }
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthFailure::TokenSecret => "the API token exists but its secret is wrong: check token_secret (paste only the UUID shown when the token was created)",
            AuthFailure::TokenUnknown => "PVE knows no such API token: check user (user@realm) and token_id (the token's name only); the token may have been removed",
            AuthFailure::TokenExpired => "the API token has expired: extend it or create a new one (Datacenter > Permissions > API Tokens)",
            AuthFailure::Disabled => "the user or API token is disabled in PVE",
            AuthFailure::Password => "the login was refused: check user (with its realm, e.g. root@pam) and password",
            AuthFailure::Ticket => "the login ticket was refused even right after logging in: check the nodes' clocks and the user's realm",
            AuthFailure::Csrf => "the CSRF prevention token was refused (the ticket and its token no longer match); try again",
            AuthFailure::TwoFactor => "the user has two-factor authentication, which this server cannot answer: use an API token instead",
            AuthFailure::TokenOther => "check user (user@realm), token_id (the token's name) and token_secret, and that the token exists and has not expired",
            AuthFailure::PasswordOther => "check user (user@realm) and password",
        })
    }
}

impl Error {
    /// Whether repeating the same call cannot do harm: the call was not carried out, or it
    /// only reads. See each variant for whether it is also worth it.
    pub fn retry_safe(&self) -> bool {
        match self {
            Error::Unreachable { .. }
            | Error::Certificate { .. }
            | Error::Unauthorized { .. }
            | Error::Forbidden { .. }
            | Error::NotImplemented { .. }
            | Error::UnknownCluster { .. }
            | Error::NoDefaultCluster { .. }
            | Error::Setup { .. }
            | Error::InvalidPath { .. }
            | Error::InvalidUpid(_) => true,
            Error::Interrupted { method, .. } | Error::InvalidResponse { method, .. } => *method == Method::Get,
            Error::NodeUnreachable { status, method, .. } => *status == 595 || *method == Method::Get,
            Error::Api { status, method, .. } => *status < 500 || *method == Method::Get,
        }
    }

    /// The HTTP status PVE answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotImplemented { .. } => Some(501),
            Error::NodeUnreachable { status, .. }
            | Error::Api { status, .. }
            | Error::InvalidResponse { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn list_failures(attempts: &[NodeFailure]) -> String {
    attempts.iter().map(|a| format!("{} ({})", a.node, a.reason)).collect::<Vec<_>>().join(", then ")
}

fn params_text(errors: &[(String, String)]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let list: Vec<String> = errors.iter().map(|(k, v)| format!("'{k}': {v}")).collect();
    format!(": {}", list.join("; "))
}

fn required_text(required: Option<&str>, token: bool) -> String {
    let mut s = match required {
        Some(r) => format!("; this call requires {r}"),
        None => String::new(),
    };
    if token {
        s.push_str(
            "; an API token with privilege separation needs the privilege granted to the token itself, not only to its user",
        );
    }
    s
}

/// Renders an endpoint's `permissions` JSON (PVE's schema) as a sentence fragment, e.g.
/// `VM.Audit on /vms/{vmid}`. Unknown shapes fall back to the compact JSON.
pub fn render_permissions(json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    let obj = value.as_object()?;
    let mut out = match (obj.get("check"), obj.get("user").and_then(|u| u.as_str())) {
        (Some(check), _) => render_check(check),
        (None, Some("all")) => "any authenticated user".to_owned(),
        (None, Some("world")) => "nothing (anyone may call it)".to_owned(),
        (None, Some(other)) => format!("user '{other}'"),
        (None, None) => String::new(),
    };
    if let Some(d) = obj.get("description").and_then(|d| d.as_str()) {
        let d = d.trim();
        out = if out.is_empty() { d.to_owned() } else { format!("{out} ({d})") };
    }
    (!out.is_empty()).then_some(out)
}

fn render_check(check: &serde_json::Value) -> String {
    let compact = || check.to_string();
    let Some(items) = check.as_array() else { return compact() };
    let strs = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    match items.first().and_then(|k| k.as_str()) {
        Some("perm") => {
            let path = items.get(1).and_then(|p| p.as_str()).unwrap_or("?");
            let privs = strs(items.get(2).unwrap_or(&serde_json::Value::Null));
            let any = items.iter().skip(3).any(|v| v.as_str() == Some("any"));
            let privs = match privs.len() {
                0 => "a privilege".to_owned(),
                1 => privs[0].clone(),
                _ if any => format!("any of {}", privs.join(", ")),
                _ => format!("all of {}", privs.join(", ")),
            };
            format!("{privs} on {path}")
        }
        Some(op @ ("and" | "or")) => {
            let parts: Vec<String> = items[1..]
                .iter()
                .map(|c| {
                    let r = render_check(c);
                    if c.as_array()
                        .and_then(|a| a.first())
                        .and_then(|k| k.as_str())
                        .is_some_and(|k| k == "and" || k == "or")
                    {
                        format!("({r})")
                    } else {
                        r
                    }
                })
                .collect();
            parts.join(&format!(" {op} "))
        }
        Some("userid-param") => "that the call concern your own user".to_owned(),
        Some("userid-group") => {
            let privs = strs(items.get(1).unwrap_or(&serde_json::Value::Null));
            format!(
                "{} on the user's groups",
                if privs.is_empty() { "a privilege".to_owned() } else { privs.join(", ") }
            )
        }
        Some("perm-modify") => {
            format!("permission to modify permissions on {}", items.get(1).and_then(|p| p.as_str()).unwrap_or("?"))
        }
        _ => compact(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_render_readably() {
        let r = |s: &str| render_permissions(s).unwrap();
        assert_eq!(r(r#"{"check":["perm","/vms/{vmid}",["VM.Audit"]]}"#), "VM.Audit on /vms/{vmid}");
        assert_eq!(
            r(r#"{"check":["perm","/vms/{vmid}",["VM.Allocate","VM.Clone"],"any",1]}"#),
            "any of VM.Allocate, VM.Clone on /vms/{vmid}"
        );
        assert_eq!(
            r(r#"{"check":["and",["perm","/",["Sys.Audit"]],["or",["perm","/a",["X"]],["perm","/b",["Y"]]]]}"#),
            "Sys.Audit on / and (X on /a or Y on /b)"
        );
        assert_eq!(r(r#"{"user":"all"}"#), "any authenticated user");
        assert_eq!(r(r#"{"description":"Only root.","user":"root@pam"}"#), "user 'root@pam' (Only root.)");
        assert_eq!(r(r#"{"check":["weird",1]}"#), r#"["weird",1]"#);
        assert_eq!(render_permissions("not json"), None);
    }

    #[test]
    fn auth_messages_are_classified() {
        assert_eq!(AuthFailure::classify("invalid token value!", true), AuthFailure::TokenSecret);
        assert_eq!(AuthFailure::classify("no such token 'x' for user 'root@pam'", true), AuthFailure::TokenUnknown);
        assert_eq!(AuthFailure::classify("authentication failure", true), AuthFailure::TokenOther);
        assert_eq!(AuthFailure::classify("authentication failure", false), AuthFailure::Password);
        assert_eq!(AuthFailure::classify("permission denied - invalid PVE ticket", false), AuthFailure::Ticket);
        assert_eq!(AuthFailure::classify("Permission denied - invalid csrf token", false), AuthFailure::Csrf);
    }

    #[test]
    fn retry_safety_follows_what_may_have_happened() {
        let api = |status, method| Error::Api {
            cluster: "c".into(),
            status,
            method,
            path: "/x".into(),
            message: "m".into(),
            errors: vec![],
        };
        assert!(api(400, Method::Post).retry_safe());
        assert!(!api(500, Method::Post).retry_safe());
        assert!(api(500, Method::Get).retry_safe());
        let cut = |method| Error::Interrupted {
            cluster: "c".into(),
            node: "n".into(),
            method,
            path: "/x".into(),
            timed_out: false,
            reason: "r".into(),
        };
        assert!(cut(Method::Get).retry_safe());
        assert!(!cut(Method::Delete).retry_safe());
        assert!(cut(Method::Delete).to_string().contains("may have been carried out"));
    }
}
