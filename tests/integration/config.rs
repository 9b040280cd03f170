//! Configuration: the original format, every extension, every common mistake, discovery.

use crate::support::empty_env;
use proxmox_mcp::config::{Config, ConfigError, Credentials, Env, TlsMode};
use proxmox_mcp::schema::types::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

fn parse(v: Value) -> Result<Config, ConfigError> {
    Config::from_json(&v.to_string(), Path::new("/"), "clusters.json", &empty_env())
}

fn one(cluster: Value) -> Result<Config, ConfigError> {
    parse(json!({ "clusters": { "pve": cluster } }))
}

/// The problems of an invalid cluster, as displayed.
fn problems(cluster: Value) -> Vec<String> {
    match one(cluster) {
        Ok(_) => panic!("expected problems"),
        Err(e) => e.problems().iter().map(ToString::to_string).collect(),
    }
}

fn base() -> Value {
    json!({ "url": "pve:8006", "user": "root@pam", "token_id": "mcp", "token_secret": "0aa9e0c4-1111-2222-3333-444455556666" })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

#[test]
fn the_original_format_is_valid() {
    let text = r#"{"clusters": {"homelab": {"url": "192.168.1.10:8006", "user": "root@pam", "token_id": "mcp",
        "token_secret": "0aa9e0c4-1111-2222-3333-444455556666", "verify_ssl": false}}}"#;
    let config = Config::from_json(text, Path::new("/"), "clusters.json", &empty_env()).unwrap();
    let c = config.cluster("homelab").unwrap();
    assert_eq!(c.nodes[0].to_string(), "192.168.1.10:8006");
    assert!(matches!(c.tls, TlsMode::Insecure));
    match &c.credentials {
        Credentials::Token { user, token_id, secret } => {
            assert_eq!((user.as_str(), token_id.as_str()), ("root@pam", "mcp"));
            assert_eq!(secret.expose(), "0aa9e0c4-1111-2222-3333-444455556666");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(config.default_cluster(), Some("homelab"), "a single cluster is the default");
    assert_eq!(c.timeout, proxmox_mcp::config::DEFAULT_TIMEOUT);
    assert!(!c.read_only && c.allow.is_empty() && c.deny.is_empty());
    assert!(!format!("{config:?}").contains("0aa9e0c4"), "Debug never shows the secret");
}

#[test]
fn urls_may_be_full_or_bare() {
    let port = |url: &str| one(with(base(), "url", json!(url))).unwrap().cluster("pve").unwrap().nodes[0].to_string();
    assert_eq!(port("https://pve.example.com:8006"), "pve.example.com:8006");
    assert_eq!(port("https://pve.example.com"), "pve.example.com:8006");
    assert_eq!(port("pve.example.com"), "pve.example.com:8006");
    assert_eq!(port("pve.example.com:443"), "pve.example.com:443");
    let c = one(with(without(base(), "url"), "urls", json!(["a:8006", "https://b", "c:9000"]))).unwrap();
    let nodes: Vec<String> = c.cluster("pve").unwrap().nodes.iter().map(ToString::to_string).collect();
    assert_eq!(nodes, ["a:8006", "b:8006", "c:9000"]);
}

#[test]
fn every_extension_parses() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "file-secret-1\n").unwrap();
    std::fs::write(dir.path().join("pw.txt"), "file-password\n").unwrap();
    let fake_ca = rcgen_free_ca_pem();
    std::fs::write(dir.path().join("ca.pem"), &fake_ca).unwrap();
    let env = Env::new(dir.path(), [("MY_SECRET", "env-secret-1"), ("MY_PW", "env-password")]);
    let fp = "ab:".repeat(31) + "cd";
    let text = json!({
        "default": "b",
        "clusters": {
            "a": { "urls": ["n1", "n2:8007"], "user": "mcp@pve", "token_id": "t", "token_secret_env": "MY_SECRET",
                   "ca_file": "ca.pem", "timeout_s": 2.5, "read_only": true,
                   "allow": ["GET /nodes/*", "* /cluster/**"], "deny": ["DELETE /nodes/*/qemu/*"] },
            "b": { "url": "b", "user": "mcp@pve", "token_id": "t", "token_secret_file": "secret.txt", "fingerprint": fp },
            "c": { "url": "c", "user": "root@pam", "password_env": "MY_PW", "fingerprint": [fp.replace(':', ""), fp.to_uppercase()] },
            "d": { "url": "d", "user": "root@pam", "password_file": "pw.txt", "verify_ssl": true },
            "e": { "url": "e", "user": "root@pam", "password": "inline-pw" }
        }
    })
    .to_string();
    let config = Config::from_json(&text, dir.path(), "clusters.json", &env).unwrap();
    assert_eq!(config.names(), ["a", "b", "c", "d", "e"]);
    assert_eq!(config.default_cluster(), Some("b"));
    let a = config.cluster("a").unwrap();
    assert_eq!(a.nodes.len(), 2);
    assert_eq!(a.timeout, Duration::from_millis(2500));
    assert!(a.read_only);
    assert!(matches!(&a.credentials, Credentials::Token { secret, .. } if secret.expose() == "env-secret-1"));
    assert!(matches!(&a.tls, TlsMode::Verified { extra_roots, ca_file: Some(_) } if extra_roots.len() == 1));
    assert!(a.allow[0].matches(Method::Get, "/nodes/pve1"));
    assert!(a.allow[1].matches(Method::Post, "/cluster/ha/groups"));
    assert!(a.deny[0].matches(Method::Delete, "/nodes/pve1/qemu/100"));
    let b = config.cluster("b").unwrap();
    assert!(matches!(&b.credentials, Credentials::Token { secret, .. } if secret.expose() == "file-secret-1"));
    assert!(matches!(&b.tls, TlsMode::Pinned(p) if p.len() == 1 && p[0].to_string() == fp.to_uppercase()));
    let c = config.cluster("c").unwrap();
    assert!(matches!(&c.credentials, Credentials::Password { password, .. } if password.expose() == "env-password"));
    assert!(matches!(&c.tls, TlsMode::Pinned(p) if p.len() == 2));
    let d = config.cluster("d").unwrap();
    assert!(matches!(&d.credentials, Credentials::Password { password, .. } if password.expose() == "file-password"));
    assert!(matches!(&d.tls, TlsMode::Verified { ca_file: None, .. }));
    assert!(matches!(&config.cluster("e").unwrap().credentials, Credentials::Password { .. }));
}

/// A syntactically valid PEM certificate (from the fake's generator, via a throwaway CA).
fn rcgen_free_ca_pem() -> String {
    // The fake generates one at start; reuse its CA text without running a server.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { fake_pve::FakePve::start().await.ca_pem().to_owned() })
}

#[test]
fn per_cluster_default_and_conflicts() {
    let two = |a: Value, b: Value| parse(json!({ "clusters": { "a": a, "b": b } }));
    let marked = with(base(), "default", json!(true));
    assert_eq!(two(base(), marked.clone()).unwrap().default_cluster(), Some("b"));
    assert_eq!(two(base(), base()).unwrap().default_cluster(), None, "several clusters and no default");
    let e = two(marked.clone(), marked).unwrap_err().to_string();
    assert!(e.contains("several clusters are marked \"default\": a, b"), "{e}");
    let e = parse(json!({ "default": "x", "clusters": { "a": base() } })).unwrap_err().to_string();
    assert!(e.contains("default: no cluster named 'x' (configured: a)"), "{e}");
}

#[test]
fn user_with_token_name_says_what_to_write() {
    let p = problems(with(without(base(), "token_id"), "user", json!("root@pam!mcp")));
    assert!(
        p.iter().any(|m| m.contains("cluster 'pve': user: 'root@pam!mcp' contains the token name: write \"user\": \"root@pam\", \"token_id\": \"mcp\"")),
        "{p:#?}"
    );
}

#[test]
fn a_whole_token_pasted_as_user_or_token_id_is_masked() {
    let p = problems(with(
        with(without(base(), "token_id"), "user", json!("root@pam!mcp=aaaa-SECRET")),
        "token_secret",
        json!("x"),
    ));
    assert!(p.iter().any(|m| m.contains("user: 'root@pam!mcp=***' contains the token name: write \"user\": \"root@pam\", \"token_id\": \"mcp\" and move the part after '=' to \"token_secret\"")), "{p:#?}");
    let p = problems(with(base(), "token_id", json!("root@pam!mcp=aaaa-SECRET")));
    assert!(p.iter().any(|m| m.contains("token_id: 'root@pam!mcp=***' is the full token ID")), "{p:#?}");
    assert!(
        p.iter().chain(&problems(with(base(), "user", json!("root@pam=aaaa-SECRET")))).all(|m| !m.contains("SECRET"))
    );
}

#[test]
fn full_token_id_says_what_to_write() {
    let p = problems(with(base(), "token_id", json!("root@pam!mcp")));
    assert!(
        p.iter().any(|m| m.contains(
            "cluster 'pve': token_id: 'root@pam!mcp' is the full token ID: write only its name, \"token_id\": \"mcp\""
        )),
        "{p:#?}"
    );
}

#[test]
fn pasted_header_prefix_is_caught_without_echoing_the_secret() {
    for pasted in [
        "PVEAPIToken=root@pam!mcp=aaaa-SECRET-bbbb",
        "Authorization: PVEAPIToken=root@pam!mcp=aaaa-SECRET-bbbb",
        "pveapitoken=root@pam!mcp=aaaa-SECRET-bbbb",
    ] {
        let err = one(with(base(), "token_secret", json!(pasted))).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("token_secret: contains the 'PVEAPIToken=' header, not just the secret"), "{text}");
        assert!(text.contains("\"user\": \"root@pam\", \"token_id\": \"mcp\""), "{text}");
        assert!(!text.contains("SECRET"), "the secret must not be echoed: {text}");
    }
}

#[test]
fn api_path_in_url_is_caught() {
    let p = problems(with(base(), "url", json!("https://pve.example.com:8006/api2/json")));
    assert!(
        p.iter().any(|m| m.contains("url: 'https://pve.example.com:8006/api2/json': drop the API path")
            && m.contains("write \"https://pve.example.com:8006\"")),
        "{p:#?}"
    );
    let p = problems(with(without(base(), "url"), "urls", json!(["ok", "http://x:8006"])));
    assert!(p.iter().any(|m| m.contains("urls[1]: 'http://x:8006': PVE's API is served over https only")), "{p:#?}");
}

#[test]
fn user_without_realm_is_caught() {
    let p = problems(with(base(), "user", json!("root")));
    assert!(
        p.iter().any(|m| m.contains("user: 'root' has no realm: write it as user@realm, e.g. \"root@pam\"")),
        "{p:#?}"
    );
}

#[test]
fn token_and_password_together_or_neither() {
    let p = problems(with(base(), "password", json!("pw")));
    assert!(
        p.iter().any(|m| m.contains("cluster 'pve': both an API token and a password are set: keep one")),
        "{p:#?}"
    );
    let p = problems(json!({ "url": "pve", "user": "root@pam" }));
    assert!(
        p.iter().any(|m| m.contains("cluster 'pve': no credentials: set \"token_id\" and \"token_secret\"")),
        "{p:#?}"
    );
    let p = problems(without(base(), "token_secret"));
    assert!(p.iter().any(|m| m.contains("token_secret: missing")), "{p:#?}");
    let p = problems(without(base(), "token_id"));
    assert!(p.iter().any(|m| m.contains("token_id: missing")), "{p:#?}");
    let p = problems(with(with(base(), "token_secret_env", json!("X")), "token_secret_file", json!("y")));
    assert!(
        p.iter().any(|m| m.contains("set only one of token_secret, token_secret_env, token_secret_file")),
        "{p:#?}"
    );
}

#[test]
fn unreadable_files_and_unset_variables_are_named() {
    let p = problems(with(without(base(), "token_secret"), "token_secret_file", json!("/nonexistent/pve-secret")));
    assert!(p.iter().any(|m| m.contains("token_secret_file: cannot read /nonexistent/pve-secret")), "{p:#?}");
    let p = problems(with(without(base(), "token_secret"), "token_secret_env", json!("PVE_SECRET_UNSET")));
    assert!(
        p.iter().any(|m| m.contains("token_secret_env: environment variable PVE_SECRET_UNSET is not set")),
        "{p:#?}"
    );
    let p = problems(json!({ "url": "pve", "user": "root@pam", "password_file": "/nonexistent/pw" }));
    assert!(p.iter().any(|m| m.contains("password_file: cannot read /nonexistent/pw")), "{p:#?}");
    let p = problems(with(base(), "ca_file", json!("/nonexistent/ca.pem")));
    assert!(p.iter().any(|m| m.contains("ca_file: cannot read /nonexistent/ca.pem")), "{p:#?}");
}

#[test]
fn unknown_keys_are_named_with_a_suggestion() {
    let p = problems(with(base(), "verify_tls", json!(false)));
    assert_eq!(p, ["cluster 'pve': verify_tls: unknown key (did you mean 'verify_ssl'?)"]);
    let e = parse(json!({ "cluster": {} })).unwrap_err().to_string();
    assert!(e.contains("unknown key 'cluster' (did you mean 'clusters'?)"), "{e}");
}

#[test]
fn tls_and_rule_mistakes() {
    let p = problems(with(base(), "fingerprint", json!("AB:CD")));
    assert!(p.iter().any(|m| m.contains("fingerprint: 'AB:CD': expected a SHA-256 fingerprint")), "{p:#?}");
    let p = problems(with(with(base(), "verify_ssl", json!(false)), "ca_file", json!("/etc/hostname")));
    assert!(p.iter().any(|m| m.contains("ca_file: has no effect with verify_ssl false")), "{p:#?}");
    let p = problems(with(base(), "verify_ssl", json!("false")));
    assert!(p.iter().any(|m| m.contains("verify_ssl: must be true or false without quotes")), "{p:#?}");
    let p = problems(with(base(), "deny", json!(["DELETE /nodes/*/qemu/*", "/nodes", "PATCH /x"])));
    assert!(p.iter().any(|m| m.contains("deny[1]: '/nodes' has no method")), "{p:#?}");
    assert!(p.iter().any(|m| m.contains("deny[2]: 'PATCH /x': unknown method 'PATCH'")), "{p:#?}");
    let p = problems(with(base(), "timeout_s", json!(0)));
    assert!(p.iter().any(|m| m.contains("timeout_s: must be a number of seconds")), "{p:#?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = parse(json!({ "clusters": {
        "a": { "url": "https://a:8006/api2/json", "user": "root", "token_id": "root@pam!x", "token_secret": "s", "verify_tls": true },
        "b": { "url": "b", "user": "root@pam" }
    }}))
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("clusters.json: 5 problems:"), "{text}");
    for needle in [
        "cluster 'a': url:",
        "cluster 'a': user:",
        "cluster 'a': token_id:",
        "cluster 'a': verify_tls:",
        "cluster 'b': no credentials",
    ] {
        assert!(text.contains(needle), "missing {needle}: {text}");
    }
}

#[test]
fn discovery_order_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, cluster: &str| {
        let v = json!({ "clusters": { cluster: base() } });
        std::fs::write(dir.path().join(name), v.to_string()).unwrap();
    };
    let no_vars = Vec::<(String, String)>::new;
    // Nothing at all.
    assert!(matches!(Config::load_with(None, &Env::new(dir.path(), no_vars())), Err(ConfigError::NotFound)));
    // The environment, with .env filling in what the process does not set.
    std::fs::write(
        dir.path().join(".env"),
        "PROXMOX_USER=root@pam\nPROXMOX_TOKEN_ID=mcp\nPROXMOX_TOKEN_SECRET=from-dotenv\n",
    )
    .unwrap();
    let env = Env::new(
        dir.path(),
        [("PROXMOX_URL", "https://a:8006,b"), ("PROXMOX_VERIFY_SSL", "false"), ("PROXMOX_TOKEN_ID", "proc")],
    );
    let c = Config::load_with(None, &env).unwrap();
    assert_eq!(c.origin(), "environment");
    let d = c.cluster("default").unwrap();
    assert_eq!(d.nodes.len(), 2);
    assert!(matches!(d.tls, TlsMode::Insecure));
    assert!(
        matches!(&d.credentials, Credentials::Token { token_id, secret, .. } if token_id == "proc" && secret.expose() == "from-dotenv")
    );
    // Environment mistakes name the variable.
    let env = Env::new(
        dir.path(),
        [("PROXMOX_URL", "a/api2/json"), ("PROXMOX_USER", "root@pam!mcp"), ("PROXMOX_VERIFY_SSL", "maybe")],
    );
    let e = Config::load_with(None, &env).unwrap_err().to_string();
    assert!(e.contains("environment: PROXMOX_URL: 'a/api2/json': drop the API path"), "{e}");
    assert!(e.contains("environment: PROXMOX_USER: 'root@pam!mcp' contains the token name: write \"PROXMOX_USER\": \"root@pam\", \"PROXMOX_TOKEN_ID\": \"mcp\""), "{e}");
    assert!(e.contains("environment: PROXMOX_VERIFY_SSL: expected true or false"), "{e}");
    // ./clusters.json wins over the environment.
    write("clusters.json", "local");
    assert_eq!(Config::load_with(None, &Env::new(dir.path(), [("PROXMOX_URL", "x")])).unwrap().names(), ["local"]);
    // CLUSTERS_FILE wins over ./clusters.json.
    write("other.json", "other");
    let env = Env::new(dir.path(), [("CLUSTERS_FILE", "other.json")]);
    assert_eq!(Config::load_with(None, &env).unwrap().names(), ["other"]);
    // An explicit path wins over everything.
    write("explicit.json", "explicit");
    assert_eq!(Config::load_with(Some(Path::new("explicit.json")), &env).unwrap().names(), ["explicit"]);
    let e = Config::load_with(Some(Path::new("missing.json")), &env).unwrap_err();
    assert!(matches!(&e, ConfigError::Read { path, .. } if path.ends_with("missing.json")), "{e}");
    let e = Config::load_with(None, &Env::new(dir.path(), [("CLUSTERS_FILE", "gone.json")])).unwrap_err();
    assert!(e.to_string().contains("gone.json"), "{e}");
}

#[test]
fn the_shipped_example_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("clusters.example.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pve-root-ca.pem"), rcgen_free_ca_pem()).unwrap();
    std::fs::write(dir.path().join("homelab.secret"), "0aa9e0c4-1111-2222-3333-444455556666\n").unwrap();
    let env = Env::new(dir.path(), [("PVE_DC_PASSWORD", "pw")]);
    let config = Config::from_json(&text, dir.path(), "clusters.example.json", &env).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.names().len() >= 2);
    assert!(config.default_cluster().is_some());
}

#[test]
fn the_readme_example_is_what_users_see() {
    let cluster = json!({ "url": "https://pve:8006/api2/json", "user": "root@pam!mcp", "token_id": "mcp",
                          "token_secret": "0aa9e0c4-1111-2222-3333-444455556666", "verify_tls": false });
    let text = one(cluster).unwrap_err().to_string();
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(&text), "README.md should show:\n{text}");
}

/// `serve` with a configuration file that is not there: exit 1, and the file named once, in
/// the log's format (a plain line for people, one JSON object for log pipelines).
#[test]
fn a_missing_configuration_file_is_named_once_in_the_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_proxmox-mcp"))
            .args(["--config", "absent.json", "--log-format", format, "serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        String::from_utf8(out.stderr).unwrap()
    };
    let text = run("text");
    assert_eq!(text.matches("absent.json").count(), 1, "{text}");
    assert!(text.starts_with("proxmox-mcp: cannot read the configuration file "), "{text}");
    let json = run("json");
    let lines: Vec<Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let errors: Vec<&Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "{json}");
    assert!(errors[0]["fields"]["message"].as_str().unwrap().contains("absent.json"), "{json}");
    assert_eq!(json.matches("absent.json").count(), 1, "{json}");
}
