//! Configuration: which clusters to talk to, how to log in, and how to trust them.
//!
//! Sources, first found wins: an explicit file (`--config`), the file named by
//! `CLUSTERS_FILE`, `./clusters.json`, and otherwise a single cluster named `default` from
//! the `PROXMOX_*` environment variables. A `.env` file in the working directory fills in
//! variables the process environment does not set. Everything goes through one validation
//! that reports every problem at once, each naming the cluster and the field, and never a
//! secret. The file format is described in `clusters.example.json` and the README.

mod address;
mod credentials;
mod fingerprint;
mod parse;
mod rules;
mod secret;

pub use fingerprint::Fingerprint;
pub use rules::Rule;
pub use secret::Secret;

use rustls::pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// PVE's API port, used when an address names none.
pub const DEFAULT_PORT: u16 = 8006;
/// The total time one API request may take unless `timeout_s` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A validated configuration: one or more clusters.
#[derive(Debug, Clone)]
pub struct Config {
    clusters: BTreeMap<String, ClusterConfig>,
    default: Option<String>,
    origin: String,
}

/// One cluster, validated.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The name calls use to pick it.
    pub name: String,
    /// Its nodes' addresses, tried in order (failover).
    pub nodes: Vec<NodeAddr>,
    /// How to log in.
    pub credentials: Credentials,
    /// How to trust the nodes' certificates.
    pub tls: TlsMode,
    /// The total time one request may take.
    pub timeout: Duration,
    /// Refuse every write to this cluster (applied by the server).
    pub read_only: bool,
    /// Calls allowed (applied by the server; empty means everything not denied).
    pub allow: Vec<Rule>,
    /// Calls refused (applied by the server; deny wins over allow).
    pub deny: Vec<Rule>,
}

/// The address of one PVE node's API.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeAddr {
    /// Host name or IP address (IPv6 in brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl NodeAddr {
    /// `https://host:port`.
    pub fn base_url(&self) -> String {
        format!("https://{}:{}", self.host, self.port)
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An API token: `Authorization: PVEAPIToken=<user>!<token_id>=<secret>`.
    Token {
        /// `user@realm`.
        user: String,
        /// The token's name (without `user@realm!`).
        token_id: String,
        /// The token's secret.
        secret: Secret,
    },
    /// A password, exchanged for a ticket (`POST /access/ticket`).
    Password {
        /// `user@realm`.
        user: String,
        /// The password.
        password: Secret,
    },
}

impl Credentials {
    /// `user@realm`.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Token { user, .. } | Credentials::Password { user, .. } => user,
        }
    }
}

/// How a cluster's certificates are checked.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// The chain and host name are verified against the system's roots and `ca_file`'s.
    Verified {
        /// The private CA file, if any.
        ca_file: Option<PathBuf>,
        /// Its certificates, read at load time.
        extra_roots: Vec<CertificateDer<'static>>,
    },
    /// The node's certificate must have one of these SHA-256 fingerprints; chain and host
    /// name are not checked (as PVE's own tools do with a pinned fingerprint).
    Pinned(Vec<Fingerprint>),
    /// Nothing is checked (`verify_ssl: false`).
    Insecure,
}

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `cluster 'pve'`, `environment` or the file.
    pub scope: String,
    /// The field (file key or environment variable); empty for the whole scope.
    pub field: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.scope, self.message)
        } else {
            write!(f, "{}: {}: {}", self.scope, self.field, self.message)
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No file and no `PROXMOX_URL`.
    #[error(
        "no cluster configuration found: pass --config FILE, set CLUSTERS_FILE, create ./clusters.json \
         (see clusters.example.json), or set PROXMOX_URL, PROXMOX_USER and PROXMOX_TOKEN_ID + \
         PROXMOX_TOKEN_SECRET (or PROXMOX_PASSWORD)"
    )]
    NotFound,
    /// The file could not be read.
    #[error("cannot read the configuration file {}: {reason}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The configuration has problems; all of them are listed.
    #[error("{origin}: {} problem{}:\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, list(problems))]
    Invalid {
        /// The file or `environment`.
        origin: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

impl ConfigError {
    /// The problems, when the configuration was read but is invalid.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// The environment the configuration is read with: variables and the working directory.
///
/// [`Env::process`] snapshots the real process; tests build one with [`Env::new`] so that
/// nothing touches the process environment.
#[derive(Clone)]
pub struct Env {
    vars: BTreeMap<String, String>,
    cwd: PathBuf,
    dotenv_problem: Option<String>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Variable values may be secrets.
        f.debug_struct("Env").field("vars", &self.vars.keys().collect::<Vec<_>>()).field("cwd", &self.cwd).finish()
    }
}

impl Env {
    /// The process environment and working directory, plus `./.env`.
    pub fn process() -> Env {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Env::new(cwd, vars)
    }

    /// The given variables and working directory; `cwd/.env`, if present, fills in
    /// variables that are not given.
    pub fn new<K: Into<String>, V: Into<String>>(
        cwd: impl Into<PathBuf>,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        let cwd = cwd.into();
        let mut vars: BTreeMap<String, String> = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        let mut dotenv_problem = None;
        let path = cwd.join(".env");
        if path.is_file() {
            match dotenvy::from_path_iter(&path) {
                Ok(iter) => {
                    for item in iter {
                        match item {
                            Ok((k, v)) => {
                                vars.entry(k).or_insert(v);
                            }
                            Err(e) => {
                                // Never print the line: it may hold a secret.
                                let what = match e {
                                    dotenvy::Error::LineParse(_, index) => {
                                        format!("a line cannot be parsed (at character {index})")
                                    }
                                    dotenvy::Error::Io(e) => e.to_string(),
                                    _ => "a line cannot be parsed".to_owned(),
                                };
                                dotenv_problem = Some(format!("{}: {what}", path.display()));
                                break;
                            }
                        }
                    }
                }
                Err(e) => dotenv_problem = Some(format!("cannot read {}: {}", path.display(), io_reason(&e))),
            }
        }
        Env { vars, cwd, dotenv_problem }
    }

    /// A variable's value (`None` when unset).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The working directory.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }
}

fn io_reason(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::Io(e) => e.to_string(),
        _ => "invalid file".to_owned(),
    }
}

impl Config {
    /// Loads from `explicit`, `CLUSTERS_FILE`, `./clusters.json` or the environment,
    /// using the real process environment.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with(explicit, &Env::process())
    }

    /// Like [`Config::load`], with the given environment.
    pub fn load_with(explicit: Option<&Path>, env: &Env) -> Result<Config, ConfigError> {
        let file = match explicit {
            Some(p) => Some(env.cwd.join(p)),
            None => match env.get("CLUSTERS_FILE").filter(|v| !v.trim().is_empty()) {
                Some(p) => Some(env.cwd.join(p)),
                None => Some(env.cwd.join("clusters.json")).filter(|p| p.exists()),
            },
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::Read { path: path.clone(), reason: e.to_string() })?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_else(|| env.cwd.clone());
            return Config::from_json(&text, &base, &path.display().to_string(), env);
        }
        if env.get("PROXMOX_URL").is_some() {
            return Config::from_env(env);
        }
        if let Some(problem) = &env.dotenv_problem {
            return Err(ConfigError::Invalid {
                origin: "environment".into(),
                problems: vec![Problem { scope: ".env".into(), field: String::new(), message: problem.clone() }],
            });
        }
        Err(ConfigError::NotFound)
    }

    /// Parses a `clusters.json` text. Relative file paths in it are taken from `base_dir`;
    /// `origin` names the text in messages.
    pub fn from_json(text: &str, base_dir: &Path, origin: &str, env: &Env) -> Result<Config, ConfigError> {
        parse::parse_file(text, base_dir, origin, env)
    }

    /// One cluster named `default` from the `PROXMOX_*` variables.
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        parse::parse_env(env)
    }

    /// A configuration from clusters built in code. `default` must name one of them; a
    /// single cluster is the default anyway.
    pub fn from_clusters(clusters: Vec<ClusterConfig>, default: Option<&str>) -> Result<Config, ConfigError> {
        let origin = "configuration".to_owned();
        let map: BTreeMap<String, ClusterConfig> = clusters.into_iter().map(|c| (c.name.clone(), c)).collect();
        let default = match default {
            Some(d) if !map.contains_key(d) => {
                let problems = vec![Problem {
                    scope: origin.clone(),
                    field: "default".into(),
                    message: format!(
                        "no cluster named '{d}' (configured: {})",
                        map.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                }];
                return Err(ConfigError::Invalid { origin, problems });
            }
            Some(d) => Some(d.to_owned()),
            None if map.len() == 1 => map.keys().next().cloned(),
            None => None,
        };
        Ok(Config { clusters: map, default, origin })
    }

    /// The clusters, by name.
    pub fn clusters(&self) -> impl Iterator<Item = &ClusterConfig> {
        self.clusters.values()
    }

    /// The cluster of this name.
    pub fn cluster(&self, name: &str) -> Option<&ClusterConfig> {
        self.clusters.get(name)
    }

    /// The names of the clusters, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.clusters.keys().map(String::as_str).collect()
    }

    /// The cluster used when a call names none: the one marked `default`, or the only one.
    pub fn default_cluster(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Where the configuration came from (a file path or `environment`).
    pub fn origin(&self) -> &str {
        &self.origin
    }
}
