//! Validation of `clusters.json` and the `PROXMOX_*` variables into [`Config`].
//!
//! Every check records a [`Problem`] and goes on, so the user sees all mistakes at once.
//! Messages name the field and say what to write; they never contain a secret.

use super::address::parse_nodes;
use super::credentials::parse_credentials;
use super::*;
use serde_json::{Map, Value};

/// The keys a cluster object may have.
const CLUSTER_KEYS: &[&str] = &[
    "url",
    "urls",
    "user",
    "token_id",
    "token_secret",
    "token_secret_env",
    "token_secret_file",
    "password",
    "password_env",
    "password_file",
    "verify_ssl",
    "ca_file",
    "fingerprint",
    "timeout_s",
    "default",
    "read_only",
    "allow",
    "deny",
];

/// The environment variables of a cluster from the environment, by the key they stand for.
const ENV_KEYS: &[(&str, &str)] = &[
    ("url", "PROXMOX_URL"),
    ("urls", "PROXMOX_URL"),
    ("user", "PROXMOX_USER"),
    ("token_id", "PROXMOX_TOKEN_ID"),
    ("token_secret", "PROXMOX_TOKEN_SECRET"),
    ("password", "PROXMOX_PASSWORD"),
    ("verify_ssl", "PROXMOX_VERIFY_SSL"),
    ("ca_file", "PROXMOX_CA_FILE"),
    ("fingerprint", "PROXMOX_FINGERPRINT"),
    ("timeout_s", "PROXMOX_TIMEOUT"),
    ("read_only", "PROXMOX_READ_ONLY"),
];

pub(super) struct Ctx<'a> {
    pub env: &'a Env,
    pub base_dir: &'a Path,
    pub scope: String,
    pub from_env: bool,
    pub problems: Vec<Problem>,
}

impl Ctx<'_> {
    pub fn label(&self, key: &str) -> String {
        if self.from_env
            && let Some((_, var)) = ENV_KEYS.iter().find(|(k, _)| *k == key)
        {
            return (*var).to_owned();
        }
        key.to_owned()
    }

    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        let field = if key.is_empty() { String::new() } else { self.label(key) };
        self.problems.push(Problem { scope: self.scope.clone(), field, message: message.into() });
    }
}

pub(super) fn parse_file(text: &str, base_dir: &Path, origin: &str, env: &Env) -> Result<Config, ConfigError> {
    let invalid = |problems: Vec<Problem>| ConfigError::Invalid { origin: origin.to_owned(), problems };
    let top = |message: String| Problem { scope: origin.to_owned(), field: String::new(), message };
    let root: Value = serde_json::from_str(text).map_err(|e| invalid(vec![top(format!("not valid JSON: {e}"))]))?;
    let Value::Object(root) = root else {
        return Err(invalid(vec![top("expected a JSON object: {\"clusters\": {\"<name>\": {...}}}".into())]));
    };
    let mut problems = Vec::new();
    for key in root.keys() {
        if key != "clusters" && key != "default" {
            let hint = suggest(key, &["clusters", "default"]);
            problems.push(top(format!(
                "unknown key '{key}'{hint} (the file holds \"clusters\" and, optionally, \"default\")"
            )));
        }
    }
    let mut clusters = Vec::new();
    let mut marked_default = Vec::new();
    match root.get("clusters") {
        Some(Value::Object(map)) if !map.is_empty() => {
            for (name, value) in map {
                let mut ctx =
                    Ctx { env, base_dir, scope: format!("cluster '{name}'"), from_env: false, problems: Vec::new() };
                if name.trim().is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    ctx.problem("", "a cluster name must be non-empty and without spaces");
                }
                match value {
                    Value::Object(obj) => {
                        if let Some((cluster, is_default)) = parse_cluster(name, obj, &mut ctx) {
                            if is_default {
                                marked_default.push(name.clone());
                            }
                            clusters.push(cluster);
                        }
                    }
                    _ => ctx
                        .problem("", "expected an object with \"url\", \"user\", \"token_id\", \"token_secret\", ..."),
                }
                problems.extend(ctx.problems);
            }
        }
        Some(Value::Object(_)) => problems.push(top("\"clusters\" is empty: add at least one cluster".into())),
        Some(_) => problems.push(top("\"clusters\" must be an object of named clusters".into())),
        None => {
            problems.push(top("missing \"clusters\": write {\"clusters\": {\"<name>\": {\"url\": ..., ...}}}".into()))
        }
    }
    let names: Vec<&str> = match root.get("clusters") {
        Some(Value::Object(map)) => map.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    let mut default = None;
    match root.get("default") {
        None => {}
        Some(Value::String(d)) if names.contains(&d.as_str()) => default = Some(d.clone()),
        Some(Value::String(d)) => problems.push(Problem {
            scope: origin.to_owned(),
            field: "default".into(),
            message: format!("no cluster named '{d}' (configured: {})", names.join(", ")),
        }),
        Some(_) => problems.push(Problem {
            scope: origin.to_owned(),
            field: "default".into(),
            message: "expected the name of a cluster".into(),
        }),
    }
    if marked_default.len() > 1 {
        problems.push(top(format!("several clusters are marked \"default\": {}; mark one", marked_default.join(", "))));
    } else if let Some(marked) = marked_default.pop() {
        match &default {
            Some(d) if *d != marked => problems.push(top(format!(
                "\"default\" names '{d}' but cluster '{marked}' is marked \"default\": true; keep one"
            ))),
            _ => default = Some(marked),
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut config = Config::from_clusters(clusters, default.as_deref())?;
    config.origin = origin.to_owned();
    Ok(config)
}

pub(super) fn parse_env(env: &Env) -> Result<Config, ConfigError> {
    let mut ctx = Ctx { env, base_dir: env.cwd(), scope: "environment".into(), from_env: true, problems: Vec::new() };
    if let Some(p) = &env.dotenv_problem {
        ctx.problem("", p.clone());
    }
    let mut obj = Map::new();
    for (key, var) in ENV_KEYS {
        let Some(value) = env.get(var) else { continue };
        let value = value.trim();
        let json = match *key {
            "urls" => continue,
            "url" if value.contains(',') => {
                obj.insert("urls".into(), value.split(',').map(|s| Value::String(s.trim().to_owned())).collect());
                continue;
            }
            "verify_ssl" | "read_only" => match parse_env_bool(value) {
                Some(b) => Value::Bool(b),
                None => {
                    ctx.problem(key, format!("expected true or false, got '{value}'"));
                    continue;
                }
            },
            "timeout_s" => match value.parse::<f64>() {
                Ok(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                Err(_) => {
                    ctx.problem(key, format!("expected a number of seconds, got '{value}'"));
                    continue;
                }
            },
            _ => Value::String(value.to_owned()),
        };
        obj.insert((*key).to_owned(), json);
    }
    let parsed = parse_cluster("default", &obj, &mut ctx);
    if !ctx.problems.is_empty() {
        return Err(ConfigError::Invalid { origin: "environment".into(), problems: ctx.problems });
    }
    let (cluster, _) = parsed.expect("a cluster without problems parses");
    let mut config = Config::from_clusters(vec![cluster], None)?;
    config.origin = "environment".into();
    Ok(config)
}

fn parse_env_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Parses one cluster; `None` when it has problems (recorded in `ctx`). The flag is the
/// cluster's `default` marker.
fn parse_cluster(name: &str, obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Option<(ClusterConfig, bool)> {
    let before = ctx.problems.len();
    for key in obj.keys() {
        if !CLUSTER_KEYS.contains(&key.as_str()) {
            let hint = suggest(key, CLUSTER_KEYS);
            ctx.problem(key, format!("unknown key{hint}"));
        }
    }
    let nodes = parse_nodes(obj, ctx);
    let credentials = parse_credentials(obj, ctx);
    let tls = parse_tls(obj, ctx);
    let timeout = match obj.get("timeout_s") {
        None => DEFAULT_TIMEOUT,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s > 0.0 && s <= 3600.0 => Duration::from_secs_f64(s),
            _ => {
                ctx.problem("timeout_s", format!("must be a number of seconds between 0 and 3600, got {n}"));
                DEFAULT_TIMEOUT
            }
        },
        Some(_) => {
            ctx.problem("timeout_s", "must be a number of seconds, e.g. 30");
            DEFAULT_TIMEOUT
        }
    };
    let is_default = get_bool(obj, "default", ctx).unwrap_or(false);
    let read_only = get_bool(obj, "read_only", ctx).unwrap_or(false);
    let allow = parse_rules(obj, "allow", ctx);
    let deny = parse_rules(obj, "deny", ctx);
    if ctx.problems.len() > before {
        return None;
    }
    let cluster = ClusterConfig {
        name: name.to_owned(),
        nodes,
        credentials: credentials?,
        tls: tls?,
        timeout,
        read_only,
        allow,
        deny,
    };
    Some((cluster, is_default))
}

pub(super) fn get_str(obj: &Map<String, Value>, key: &str, ctx: &mut Ctx<'_>) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.trim().to_owned()),
        _ => {
            ctx.problem(key, "must be a string");
            None
        }
    }
}

fn get_bool(obj: &Map<String, Value>, key: &str, ctx: &mut Ctx<'_>) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if parse_env_bool(s).is_some() => {
            ctx.problem(key, format!("must be true or false without quotes, got \"{s}\""));
            None
        }
        _ => {
            ctx.problem(key, "must be true or false");
            None
        }
    }
}

fn parse_tls(obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Option<TlsMode> {
    let before = ctx.problems.len();
    let verify = get_bool(obj, "verify_ssl", ctx);
    let ca_file = get_str(obj, "ca_file", ctx);
    let mut pins = Vec::new();
    let texts: Vec<String> = match obj.get("fingerprint") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        Some(_) => {
            ctx.problem("fingerprint", "must be a fingerprint string, or a list of them (one per node)");
            Vec::new()
        }
    };
    for t in &texts {
        match t.parse::<Fingerprint>() {
            Ok(f) => pins.push(f),
            Err(e) => ctx.problem("fingerprint", format!("'{t}': {e}")),
        }
    }
    if ca_file.is_some() && obj.contains_key("fingerprint") {
        ctx.problem("ca_file", "set either ca_file (verify the chain) or fingerprint (pin the certificate), not both");
    }
    if ca_file.is_some() && verify == Some(false) {
        ctx.problem("ca_file", "has no effect with verify_ssl false: remove one of them");
    }
    let mut roots = Vec::new();
    if let Some(file) = &ca_file {
        use rustls::pki_types::pem::PemObject;
        let path = ctx.base_dir.join(file);
        match std::fs::read(&path) {
            Err(e) => ctx.problem("ca_file", format!("cannot read {}: {e}", path.display())),
            Ok(bytes) => {
                for cert in CertificateDer::pem_slice_iter(&bytes) {
                    match cert {
                        Ok(c) => roots.push(c.into_owned()),
                        Err(e) => {
                            ctx.problem("ca_file", format!("{} is not a PEM certificate file: {e}", path.display()));
                            break;
                        }
                    }
                }
                if roots.is_empty() && ctx.problems.len() == before {
                    ctx.problem(
                        "ca_file",
                        format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()),
                    );
                }
            }
        }
    }
    if ctx.problems.len() > before {
        return None;
    }
    Some(if !pins.is_empty() {
        TlsMode::Pinned(pins)
    } else if verify == Some(false) {
        TlsMode::Insecure
    } else {
        TlsMode::Verified { ca_file: ca_file.map(|f| ctx.base_dir.join(f)), extra_roots: roots }
    })
}

fn parse_rules(obj: &Map<String, Value>, key: &str, ctx: &mut Ctx<'_>) -> Vec<Rule> {
    let mut rules = Vec::new();
    match obj.get(key) {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(str::parse::<Rule>) {
                    Some(Ok(r)) => rules.push(r),
                    Some(Err(e)) => ctx.problem(&format!("{key}[{i}]"), e),
                    None => ctx.problem(&format!("{key}[{i}]"), "must be a string like \"GET /nodes/*\""),
                }
            }
        }
        Some(_) => ctx.problem(key, "must be a list of rules like [\"DELETE /nodes/*/qemu/*\"]"),
    }
    rules
}

/// ` (did you mean 'x'?)` for a near miss, else nothing.
fn suggest(key: &str, known: &[&str]) -> String {
    let aliases: &[(&str, &str)] = &[
        ("verify_tls", "verify_ssl"),
        ("verify", "verify_ssl"),
        ("ssl_verify", "verify_ssl"),
        ("tls_verify", "verify_ssl"),
        ("insecure", "verify_ssl"),
        ("secret", "token_secret"),
        ("token", "token_id"),
        ("token_name", "token_id"),
        ("username", "user"),
        ("host", "url"),
        ("hosts", "urls"),
        ("nodes", "urls"),
        ("timeout", "timeout_s"),
        ("readonly", "read_only"),
        ("cafile", "ca_file"),
        ("ca_cert", "ca_file"),
    ];
    let lower = key.to_ascii_lowercase();
    let best = aliases.iter().find(|(a, k)| *a == lower && known.contains(k)).map(|(_, k)| *k).or_else(|| {
        known.iter().copied().filter(|k| edit_distance(&lower, k) <= 2).min_by_key(|k| edit_distance(&lower, k))
    });
    best.map_or_else(String::new, |k| format!(" (did you mean '{k}'?)"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(suggest("verify_tls", CLUSTER_KEYS), " (did you mean 'verify_ssl'?)");
        assert_eq!(suggest("tokn_id", CLUSTER_KEYS), " (did you mean 'token_id'?)");
        assert_eq!(suggest("flavour", CLUSTER_KEYS), "");
    }
}
