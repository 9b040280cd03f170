//! The hand-written tools' arguments. Their input schemas are generated from these types
//! (schemars), inlined and without `$schema`, which strict clients reject.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An HTTP method of the PVE API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum HttpMethod {
    /// Read.
    #[serde(alias = "get")]
    GET,
    /// Create or act.
    #[serde(alias = "post")]
    POST,
    /// Update.
    #[serde(alias = "put")]
    PUT,
    /// Remove.
    #[serde(alias = "delete")]
    DELETE,
}

impl HttpMethod {
    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::GET => "GET",
            HttpMethod::POST => "POST",
            HttpMethod::PUT => "PUT",
            HttpMethod::DELETE => "DELETE",
        }
    }
}

/// `proxmox_api_call`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiCallArgs {
    /// Name of the configured cluster (see list_clusters). May be omitted when only one
    /// cluster is configured or a default is set.
    #[serde(default)]
    pub cluster: Option<String>,
    /// API path, e.g. /nodes/pve1/qemu/100/config or /cluster/resources (no host; the
    /// /api2/json prefix is optional). Placeholders must be filled in.
    pub path: String,
    /// HTTP method: GET reads, POST creates or acts, PUT updates, DELETE removes.
    pub method: HttpMethod,
    /// Parameters as a JSON object: sent as the query for GET/DELETE and as the body for
    /// POST/PUT. Booleans may be true/false; property-string parameters (net0, scsi0, ...)
    /// take a 'key=value,...' string or an object of their keys.
    #[serde(default)]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub data: Option<Value>,
}

/// `proxmox_api_search`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for, in words or as a path: "start vm", "storage content", "snapshot
    /// rollback", "/nodes/{node}/lxc".
    pub query: String,
    /// How many results (default 10, at most 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<usize>,
}

/// `proxmox_api_describe`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeArgs {
    /// A path template (/nodes/{node}/qemu/{vmid}/config) or a concrete path
    /// (/nodes/pve1/qemu/100/config).
    pub path: String,
    /// Only this method (GET, POST, PUT, DELETE); all methods of the path when omitted.
    #[serde(default)]
    pub method: Option<String>,
    /// Only this parameter, with the keys of its property string (e.g. net0 or scsi[n]).
    #[serde(default)]
    pub parameter: Option<String>,
}

/// `wait_for_task`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitArgs {
    /// Name of the configured cluster the task runs on (may be omitted as for other tools).
    #[serde(default)]
    pub cluster: Option<String>,
    /// The task's UPID, as returned by the call that started it (UPID:node:...:).
    pub upid: String,
    /// How long to wait, in seconds (default 60, at most 900). When it passes, the task
    /// goes on; call again to keep waiting.
    #[serde(default)]
    #[schemars(range(min = 1, max = 900))]
    pub timeout_s: Option<u64>,
}

/// `list_clusters` takes no arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// One configured cluster, as `list_clusters` reports it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClusterStatus {
    /// The name tools take as 'cluster'.
    pub name: String,
    /// The node addresses the server talks to, in failover order.
    pub nodes: Vec<String>,
    /// Used when a call names no cluster.
    pub default: bool,
    /// Writes are refused (by the cluster's configuration or the server's --read-only).
    pub read_only: bool,
    /// 'token' or 'password'.
    pub auth: String,
    /// The PVE user (user@realm).
    pub user: String,
    /// 'verified', 'pinned' or 'unverified'.
    pub tls: String,
    /// Whether the cluster answered just now (cached for 30 seconds).
    pub reachable: bool,
    /// The PVE version it reports, when reachable.
    pub version: Option<String>,
    /// Why it is unreachable.
    pub error: Option<String>,
}

/// What `list_clusters` returns.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ClusterList {
    /// The configured clusters.
    pub clusters: Vec<ClusterStatus>,
}

/// The JSON Schema of `T` as a plain object schema, inlined.
pub fn schema_of<T: JsonSchema>() -> Map<String, Value> {
    let settings = schemars::generate::SchemaSettings::draft07().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        // The type's own doc comment describes the Rust type, not the tool's arguments.
        for key in ["title", "$schema", "definitions", "$defs", "description"] {
            obj.remove(key);
        }
        if obj.get("type").and_then(Value::as_str) == Some("object") && !obj.contains_key("properties") {
            obj.insert("properties".into(), Value::Object(Map::new()));
        }
    }
    match value {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}
