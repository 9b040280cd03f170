//! What a call may do: the global `--read-only` switch, each cluster's `read_only`, and its
//! `allow` / `deny` rules.
//!
//! Every method but GET counts as a write. Deny rules win over allow rules; when a cluster
//! has allow rules, a call must match one of them. A refusal names what refused it.

use crate::config::ClusterConfig;
use crate::schema::types::Method;

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server runs with `--read-only`.
    ServerReadOnly,
    /// The cluster is configured `read_only`.
    ClusterReadOnly {
        /// The cluster.
        cluster: String,
    },
    /// A deny rule matched.
    Denied {
        /// The cluster.
        cluster: String,
        /// The rule as written.
        rule: String,
    },
    /// The cluster has allow rules and none matched.
    NotAllowed {
        /// The cluster.
        cluster: String,
        /// The allow rules.
        rules: Vec<String>,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::ServerReadOnly => {
                write!(f, "refused by policy: the server runs read-only (--read-only); only GET calls are allowed")
            }
            Refusal::ClusterReadOnly { cluster } => {
                write!(
                    f,
                    "refused by policy: cluster '{cluster}' is read-only (\"read_only\": true); only GET calls are allowed"
                )
            }
            Refusal::Denied { cluster, rule } => write!(f, "refused by policy: cluster '{cluster}' denies \"{rule}\""),
            Refusal::NotAllowed { cluster, rules } => write!(
                f,
                "refused by policy: cluster '{cluster}' allows only {}",
                rules.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Checks a call (method and concrete, encoded API path) against the policy.
pub fn check(server_read_only: bool, cluster: &ClusterConfig, method: Method, path: &str) -> Result<(), Refusal> {
    if method != Method::Get {
        if server_read_only {
            return Err(Refusal::ServerReadOnly);
        }
        if cluster.read_only {
            return Err(Refusal::ClusterReadOnly { cluster: cluster.name.clone() });
        }
    }
    if let Some(rule) = cluster.deny.iter().find(|r| r.matches(method, path)) {
        return Err(Refusal::Denied { cluster: cluster.name.clone(), rule: rule.as_str().to_owned() });
    }
    if !cluster.allow.is_empty() && !cluster.allow.iter().any(|r| r.matches(method, path)) {
        return Err(Refusal::NotAllowed {
            cluster: cluster.name.clone(),
            rules: cluster.allow.iter().map(|r| r.as_str().to_owned()).collect(),
        });
    }
    Ok(())
}
