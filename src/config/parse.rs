//! Validation of `clusters.json` and the `PROXMOX_*` variables into [`Config`].
//!
//! Every check records a [`Problem`] and goes on, so the user sees all mistakes at once.
//! Messages name the field and say what to write; they never contain a secret.

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

struct Ctx<'a> {
    env: &'a Env,
    base_dir: &'a Path,
    scope: String,
    from_env: bool,
    problems: Vec<Problem>,
}

impl Ctx<'_> {
    fn label(&self, key: &str) -> String {
        if self.from_env
            && let Some((_, var)) = ENV_KEYS.iter().find(|(k, _)| *k == key) {
                return (*var).to_owned();
            }
        key.to_owned()
    }

    fn problem(&mut self, key: &str, message: impl Into<String>) {
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
            problems.push(top(format!("unknown key '{key}'{hint} (the file holds \"clusters\" and, optionally, \"default\")")));
        }
    }
    let mut clusters = Vec::new();
    let mut marked_default = Vec::new();
    match root.get("clusters") {
        Some(Value::Object(map)) if !map.is_empty() => {
            for (name, value) in map {
                let mut ctx = Ctx { env, base_dir, scope: format!("cluster '{name}'"), from_env: false, problems: Vec::new() };
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
                    _ => ctx.problem("", "expected an object with \"url\", \"user\", \"token_id\", \"token_secret\", ..."),
                }
                problems.extend(ctx.problems);
            }
        }
        Some(Value::Object(_)) => problems.push(top("\"clusters\" is empty: add at least one cluster".into())),
        Some(_) => problems.push(top("\"clusters\" must be an object of named clusters".into())),
        None => problems.push(top("missing \"clusters\": write {\"clusters\": {\"<name>\": {\"url\": ..., ...}}}".into())),
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

fn get_str(obj: &Map<String, Value>, key: &str, ctx: &mut Ctx<'_>) -> Option<String> {
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

fn parse_nodes(obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Vec<NodeAddr> {
    let mut list: Vec<(String, String)> = Vec::new();
    match (obj.get("url"), obj.get("urls")) {
        (Some(_), Some(_)) => ctx.problem("urls", "set either \"url\" or \"urls\", not both (put every node in \"urls\")"),
        (None, None) => ctx.problem("url", "missing: write the node's address, e.g. \"pve.example.com:8006\""),
        (Some(_), None) => {
            if let Some(u) = get_str(obj, "url", ctx) {
                list.push(("url".into(), u));
            }
        }
        (None, Some(Value::Array(items))) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => list.push((format!("urls[{i}]"), s.trim().to_owned())),
                    _ => ctx.problem("urls", format!("item {i} must be a string")),
                }
            }
        }
        (None, Some(_)) => ctx.problem("urls", "must be a non-empty list of node addresses"),
    }
    let mut nodes = Vec::new();
    for (field, text) in list {
        match parse_node_addr(&text) {
            Ok(n) if nodes.contains(&n) => ctx.problem(&field, format!("{n} is listed twice")),
            Ok(n) => nodes.push(n),
            Err(m) => {
                let field = if ctx.from_env { "url".to_owned() } else { field };
                ctx.problem(&field, m);
            }
        }
    }
    nodes
}

/// Parses `host`, `host:port` or `https://host[:port][/]` (port 8006 when absent).
pub(crate) fn parse_node_addr(text: &str) -> Result<NodeAddr, String> {
    if text.is_empty() {
        return Err("is empty: write the node's address, e.g. \"pve.example.com:8006\"".into());
    }
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => {
            return Err(format!("'{text}': PVE's API is served over https only: write \"https://{rest}\""));
        }
        Some((scheme, _)) => return Err(format!("'{text}': unsupported scheme '{scheme}': use https:// or just host:port")),
        None => text,
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path_trimmed = path.trim_end_matches('/');
    if path_trimmed.starts_with("/api2") {
        let fixed = format!("{}{}", if text.contains("://") { "https://" } else { "" }, authority);
        return Err(format!("'{text}': drop the API path; the client adds /api2/json itself: write \"{fixed}\""));
    }
    if !path_trimmed.is_empty() {
        return Err(format!("'{text}': only a host and port are expected, not a path, query or fragment ('{path}')"));
    }
    if authority.contains('@') {
        return Err(format!("'{text}': credentials do not belong in the URL: use \"user\" and \"token_id\"/\"token_secret\""));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else { return Err(format!("'{text}': unclosed '[' in an IPv6 address")) };
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{text}': '{h}' is not an IPv6 address"));
        }
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("'{text}': unexpected '{after}' after the IPv6 address")),
        };
        (format!("[{h}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(format!("'{text}': write an IPv6 address in brackets, e.g. \"[{authority}]:8006\""));
            }
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '%')) {
        return Err(format!("'{text}': '{host}' is not a host name or address"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("'{text}': '{p}' is not a port number")),
        },
    };
    Ok(NodeAddr { host: host.to_ascii_lowercase(), port })
}

/// Where a secret came from, or why it could not be had.
enum Lookup {
    Absent,
    Found(Secret, String),
    Failed,
}

fn lookup_secret(obj: &Map<String, Value>, keys: [&str; 3], ctx: &mut Ctx<'_>) -> Lookup {
    let [direct, env_key, file_key] = keys;
    let present: Vec<&str> = keys.iter().copied().filter(|k| obj.contains_key(*k)).collect();
    if present.len() > 1 {
        ctx.problem(present[1], format!("set only one of {}", present.join(", ")));
        return Lookup::Failed;
    }
    let Some(&key) = present.first() else { return Lookup::Absent };
    let Some(value) = get_str(obj, key, ctx) else { return Lookup::Failed };
    if key == direct {
        if value.is_empty() {
            ctx.problem(key, "is empty");
            return Lookup::Failed;
        }
        return Lookup::Found(Secret::new(value), ctx.label(key));
    }
    if key == env_key {
        return match ctx.env.get(&value).map(str::trim) {
            None => {
                ctx.problem(key, format!("environment variable {value} is not set"));
                Lookup::Failed
            }
            Some("") => {
                ctx.problem(key, format!("environment variable {value} is empty"));
                Lookup::Failed
            }
            Some(s) => Lookup::Found(Secret::new(s), format!("{key} (variable {value})")),
        };
    }
    debug_assert_eq!(key, file_key);
    let path = ctx.base_dir.join(&value);
    match std::fs::read_to_string(&path) {
        Err(e) => {
            ctx.problem(key, format!("cannot read {}: {e}", path.display()));
            Lookup::Failed
        }
        Ok(s) if s.trim().is_empty() => {
            ctx.problem(key, format!("{} is empty", path.display()));
            Lookup::Failed
        }
        Ok(s) => Lookup::Found(Secret::new(s.trim()), format!("{key} ({})", path.display())),
    }
}

fn parse_credentials(obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Option<Credentials> {
    let before = ctx.problems.len();
    let user = get_str(obj, "user", ctx);
    let token_id = get_str(obj, "token_id", ctx);
    let token = lookup_secret(obj, ["token_secret", "token_secret_env", "token_secret_file"], ctx);
    let password = lookup_secret(obj, ["password", "password_env", "password_file"], ctx);
    let (u_label, t_label) = (ctx.label("user"), ctx.label("token_id"));

    // The user: `user@realm`, never with a token name.
    let mut user_ok = None;
    match user.as_deref() {
        None | Some("") => {
            let hint = match token_id.as_deref().and_then(|t| t.split_once('!')) {
                Some((u, t)) => format!(": write \"{u_label}\": \"{u}\", \"{t_label}\": \"{t}\""),
                None => ": write the PVE user with its realm, e.g. \"root@pam\"".into(),
            };
            ctx.problem("user", format!("missing{hint}"));
        }
        Some(u) if u.contains('!') => {
            let (plain, tok) = u.split_once('!').unwrap_or((u, ""));
            let (tok, secret_hint) = match tok.split_once('=') {
                Some((name, _)) => (name, format!(" and move the part after '=' to \"{}\"", ctx.label("token_secret"))),
                None => (tok, String::new()),
            };
            ctx.problem(
                "user",
                format!(
                    "'{}' contains the token name: write \"{u_label}\": \"{plain}\", \"{t_label}\": \"{tok}\"{secret_hint} \
                     (user is user@realm, token_id only the token's name)",
                    mask_secret(u)
                ),
            );
        }
        Some(u) if u.contains('=') => {
            ctx.problem("user", format!("'{}' contains '=': it must be only user@realm, e.g. \"root@pam\"", mask_secret(u)))
        }
        Some(u) if !u.contains('@') || u.ends_with('@') || u.starts_with('@') => ctx.problem(
            "user",
            format!("'{u}' has no realm: write it as user@realm, e.g. \"{}@pam\" (Linux PAM) or \"{}@pve\" (PVE's own users)", u.trim_matches('@'), u.trim_matches('@')),
        ),
        Some(u) if u.chars().any(|c| c.is_whitespace() || c.is_control() || c == ':') => {
            ctx.problem("user", format!("'{u}' contains a space or ':'; it must be user@realm"))
        }
        Some(u) => user_ok = Some(u.to_owned()),
    }

    // The token name, never `user@realm!name`.
    let mut token_ok = None;
    if let Some(t) = token_id.as_deref() {
        if let Some((u, name)) = t.split_once('!') {
            let u = user_ok.as_deref().unwrap_or(u);
            let (name, secret_hint) = match name.split_once('=') {
                Some((name, _)) => (name, format!(" and move the part after '=' to \"{}\"", ctx.label("token_secret"))),
                None => (name, String::new()),
            };
            ctx.problem(
                "token_id",
                format!("'{}' is the full token ID: write only its name, \"{t_label}\": \"{name}\" (with \"{u_label}\": \"{u}\"){secret_hint}", mask_secret(t)),
            );
        } else if t.is_empty() {
            ctx.problem("token_id", "is empty: write the token's name, e.g. \"mcp\"");
        } else if t.contains('@') || t.contains('=') || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            ctx.problem(
                "token_id",
                format!("'{}' is not a token name: write only the name given when the token was created, e.g. \"mcp\"", mask_secret(t)),
            );
        } else {
            token_ok = Some(t.to_owned());
        }
    }

    // The secret, without a pasted header.
    let mut secret_ok = None;
    if let Lookup::Found(secret, from) = &token {
        let s = secret.expose();
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("authorization:") || lower.contains("pveapitoken") {
            let mut hint = String::new();
            if let Some((_, rest)) = s.split_once('=')
                && let Some((ident, _)) = rest.split_once('=')
                    && let Some((u, t)) = ident.split_once('!') {
                        hint = format!(" (this header is for \"{u_label}\": \"{u}\", \"{t_label}\": \"{t}\")");
                    }
            ctx.problems.push(Problem {
                scope: ctx.scope.clone(),
                field: from.clone(),
                message: format!(
                    "contains the 'PVEAPIToken=' header, not just the secret: paste only the secret (the part after the last '=', a UUID){hint}"
                ),
            });
        } else if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            ctx.problems.push(Problem { scope: ctx.scope.clone(), field: from.clone(), message: "contains spaces or line breaks; paste only the secret".into() });
        } else {
            secret_ok = Some(secret.clone());
        }
    }

    let has_token = token_id.is_some() || !matches!(token, Lookup::Absent);
    let has_password = !matches!(password, Lookup::Absent);
    if has_token && has_password {
        ctx.problem("", "both an API token and a password are set: keep one (an API token is recommended)");
    } else if !has_token && !has_password {
        ctx.problem(
            "",
            format!(
                "no credentials: set \"{t_label}\" and \"{}\" (an API token, recommended) or \"{}\"",
                ctx.label("token_secret"),
                ctx.label("password")
            ),
        );
    } else if has_token {
        if token_id.is_none() {
            ctx.problem("token_id", "missing: a token secret is set, so write the token's name too, e.g. \"mcp\"");
        }
        if matches!(token, Lookup::Absent) {
            ctx.problem("token_secret", "missing: token_id is set, so set token_secret, token_secret_env or token_secret_file");
        }
    }
    if ctx.problems.len() > before {
        return None;
    }
    let user = user_ok?;
    if has_token {
        Some(Credentials::Token { user, token_id: token_ok?, secret: secret_ok? })
    } else {
        let Lookup::Found(password, _) = password else { return None };
        Some(Credentials::Password { user, password })
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
                    ctx.problem("ca_file", format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display()));
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

/// The text with everything after the first '=' replaced by `***`: a value pasted in the
/// wrong field may be `user@realm!token=SECRET`.
fn mask_secret(s: &str) -> String {
    match s.split_once('=') {
        Some((before, _)) => format!("{before}=***"),
        None => s.to_owned(),
    }
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
    let best = aliases
        .iter()
        .find(|(a, k)| *a == lower && known.contains(k))
        .map(|(_, k)| *k)
        .or_else(|| known.iter().copied().filter(|k| edit_distance(&lower, k) <= 2).min_by_key(|k| edit_distance(&lower, k)));
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
    fn node_addresses() {
        let ok = |s: &str| parse_node_addr(s).unwrap().to_string();
        assert_eq!(ok("pve"), "pve:8006");
        assert_eq!(ok("PVE.example.com:8443"), "pve.example.com:8443");
        assert_eq!(ok("https://10.0.0.1:8006/"), "10.0.0.1:8006");
        assert_eq!(ok("https://pve:443"), "pve:443");
        assert_eq!(ok("[::1]:9000"), "[::1]:9000");
        assert_eq!(ok("https://[fe80::1]"), "[fe80::1]:8006");
        let err = |s: &str| parse_node_addr(s).unwrap_err();
        assert!(err("https://pve:8006/api2/json").contains("write \"https://pve:8006\""));
        assert!(err("pve:8006/api2/json/").contains("write \"pve:8006\""));
        assert!(err("http://pve:8006").contains("https only"));
        assert!(err("pve:80x").contains("not a port"));
        assert!(err("fe80::1").contains("brackets"));
        assert!(err("https://pve/ui").contains("not a path"));
        assert!(err("https://root:pw@pve").contains("credentials do not belong"));
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(suggest("verify_tls", CLUSTER_KEYS), " (did you mean 'verify_ssl'?)");
        assert_eq!(suggest("tokn_id", CLUSTER_KEYS), " (did you mean 'token_id'?)");
        assert_eq!(suggest("flavour", CLUSTER_KEYS), "");
    }
}
