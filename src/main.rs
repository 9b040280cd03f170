//! The proxmox-mcp command line. Everything it runs lives in the library.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use proxmox_mcp::cli::{self, Output};
use proxmox_mcp::server::HttpOptions;
use proxmox_mcp::server::run::{self, ServeOptions};

#[derive(Parser)]
#[command(
    name = "proxmox-mcp",
    version,
    about = "An MCP server for Proxmox VE, with every call validated against the real API schema"
)]
struct Cli {
    /// The clusters file (otherwise CLUSTERS_FILE, ./clusters.json, or PROXMOX_* variables).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, env = "MCP_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on (HTTP transports).
    #[arg(long, env = "MCP_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Serve one session on stdin/stdout instead of HTTP.
    #[arg(long)]
    stdio: bool,
    /// Refuse every write (any method but GET) on every cluster.
    #[arg(long, env = "MCP_READ_ONLY")]
    read_only: bool,
    /// Streamable HTTP without sessions (for replicas behind a load balancer).
    #[arg(long, env = "MCP_STATELESS")]
    stateless: bool,
    /// Allowed Host headers, comma-separated (`host`, `host:port`, `host:*`); default loopback names.
    #[arg(long, env = "MCP_ALLOWED_HOSTS")]
    allowed_hosts: Option<String>,
    /// Allowed Origin headers, comma-separated (`https://host`, `http://host:*`, `null`).
    #[arg(long, env = "MCP_ALLOWED_ORIGINS")]
    allowed_origins: Option<String>,
    /// A bearer token clients must send (`Authorization: Bearer ...`).
    #[arg(long, env = "MCP_AUTH_TOKEN", hide_env_values = true)]
    auth_token: Option<String>,
    /// A file of bearer tokens, one per line.
    #[arg(long, env = "MCP_AUTH_TOKENS_FILE", value_name = "FILE")]
    auth_tokens_file: Option<PathBuf>,
    /// Listen on a non-loopback address without bearer tokens (only behind an
    /// authenticating proxy).
    #[arg(long, env = "MCP_ALLOW_UNAUTHENTICATED")]
    allow_unauthenticated: bool,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MCP_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Open sessions at most, per transport.
    #[arg(long, env = "MCP_MAX_SESSIONS", default_value_t = 1000)]
    max_sessions: usize,
    /// Queued messages per session.
    #[arg(long, env = "MCP_SESSION_QUEUE", default_value_t = 64)]
    session_queue: usize,
    /// Close sessions idle this many seconds.
    #[arg(long, env = "MCP_IDLE_TIMEOUT_S", default_value_t = 3600)]
    idle_timeout_s: u64,
    /// Threads that run requests. One keeps each request's hand-offs (HTTP connection,
    /// session, tool, upstream connection) on one thread, which is what a model's mostly
    /// sequential calls need (see BENCHMARKS.md); raise it for many concurrent heavy calls.
    #[arg(long, env = "MCP_WORKER_THREADS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    worker_threads: u16,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over HTTP (legacy SSE at /sse, Streamable HTTP at /mcp) or stdio (the default).
    Serve(ServeArgs),
    /// Validate the cluster configuration; with --probe also log in and show each PVE version.
    CheckConfig {
        /// Log in to each cluster and read its version.
        #[arg(long)]
        probe: bool,
    },
    /// Ask a running server's /healthz (for container health checks); exit 0 when healthy.
    Healthcheck {
        /// The server's address.
        #[arg(long, env = "MCP_LISTEN", default_value = "127.0.0.1:8000")]
        listen: SocketAddr,
        /// Allowed hosts, to send an accepted Host header.
        #[arg(long, env = "MCP_ALLOWED_HOSTS")]
        allowed_hosts: Option<String>,
    },
    /// Print the tool definitions (tools/list) as JSON.
    Tools,
    /// Work with the embedded Proxmox VE API schema, offline.
    #[command(subcommand)]
    Api(ApiCommand),
}

#[derive(Subcommand)]
enum ApiCommand {
    /// Validate a call: exit 0 when valid, 1 with the problems.
    Validate {
        /// HTTP method (GET, POST, PUT, DELETE). Not used with --jsonl.
        #[arg(required_unless_present = "jsonl")]
        method: Option<String>,
        /// API path, e.g. /nodes/pve1/qemu/100/config. Not used with --jsonl.
        #[arg(required_unless_present = "jsonl")]
        path: Option<String>,
        /// The parameters as a JSON object.
        #[arg(value_name = "JSON")]
        params: Option<String>,
        /// Read one call per line from stdin ({"method", "path", "params"}) and write one
        /// verdict per line.
        #[arg(long, conflicts_with_all = ["method", "path", "params"])]
        jsonl: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Search the API for endpoints.
    Search {
        /// Words to search for, e.g. "start vm" or "storage content".
        query: Vec<String>,
        /// How many results (at most 50).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Describe an endpoint: parameters, returns, permissions, local checks.
    Describe {
        /// A path template (/nodes/{node}/qemu/{vmid}/config) or a concrete path.
        path: String,
        /// Only this method.
        method: Option<String>,
        /// Only this parameter, with its property-string keys.
        #[arg(long)]
        parameter: Option<String>,
        /// Compact JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Parses the command line. The global options (`--config`, `--log-format`) go before or
/// after a subcommand; the serve options stand before one only when there is none
/// (`proxmox-mcp --listen ...` serves), since a subcommand would ignore them.
fn parse_cli<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut command = Cli::command();
    let matches = command.try_get_matches_from_mut(args)?;
    if let Some((name, _)) = matches.subcommand() {
        let serve = ServeArgs::augment_args(clap::Command::new("serve"));
        let misplaced: Vec<String> = serve
            .get_arguments()
            .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
            .map(|a| format!("--{}", a.get_long().unwrap_or(a.get_id().as_str())))
            .collect();
        if !misplaced.is_empty() {
            let hint = if name == "serve" { "write them after 'serve'" } else { "they only apply to serving" };
            return Err(command.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("{} cannot be used with the subcommand '{name}': {hint}", misplaced.join(", ")),
            ));
        }
    }
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

fn output(json: bool) -> Output {
    if json { Output::Json } else { Output::Text }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    // Colours only on a terminal: escape codes are noise in files and container logs, and
    // writing them costs a fifth of formatting a line.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn serve_options(config: Option<PathBuf>, a: ServeArgs) -> Result<ServeOptions, String> {
    Ok(ServeOptions {
        config,
        read_only: a.read_only,
        listen: a.listen,
        allowed_hosts: a.allowed_hosts,
        allowed_origins: a.allowed_origins,
        auth_tokens: run::read_tokens(a.auth_token.as_deref(), a.auth_tokens_file.as_deref())?,
        allow_unauthenticated: a.allow_unauthenticated,
        http: HttpOptions {
            max_body_bytes: a.max_body_bytes,
            max_sessions: a.max_sessions.max(1),
            queue: a.session_queue.max(1),
            idle_timeout: Duration::from_secs(a.idle_timeout_s.max(1)),
            stateless: a.stateless,
            ..HttpOptions::default()
        },
    })
}

fn runtime(worker_threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads)
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Serves until shutdown. Standard output is not locked here: the stdio transport writes
/// to it from another thread.
fn serve(config: Option<PathBuf>, log_format: LogFormat, args: ServeArgs) -> ExitCode {
    init_logging(log_format);
    let stdio = args.stdio;
    let workers = usize::from(args.worker_threads);
    let outcome = serve_options(config, args).and_then(|options| {
        runtime(workers).block_on(async {
            if stdio {
                run::serve_stdio(options).await
            } else {
                run::serve_http(options, tokio_util::sync::CancellationToken::new()).await
            }
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once, in the log's format: a JSON line for log pipelines, a plain line for people
            // (the text log would only repeat it).
            match log_format {
                LogFormat::Json => tracing::error!("{e}"),
                LogFormat::Text => eprintln!("proxmox-mcp: {e}"),
            }
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    // Every TLS client in the process uses ring (the PVE client also passes it explicitly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = parse_cli(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let command = match cli.command {
        None => return serve(cli.config, cli.log_format, cli.serve),
        Some(Command::Serve(args)) => return serve(cli.config, cli.log_format, args),
        Some(command) => command,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result: std::io::Result<i32> = match command {
        Command::Serve(_) => unreachable!("served above"),
        Command::CheckConfig { probe } => {
            if probe {
                init_logging(cli.log_format);
            }
            let (report, ok) = runtime(1).block_on(run::check_config(cli.config.as_deref(), probe));
            writeln!(out, "{}", report.trim_end()).map(|_| i32::from(!ok))
        }
        Command::Healthcheck { listen, allowed_hosts } => {
            match runtime(1).block_on(run::healthcheck(listen, allowed_hosts.as_deref())) {
                Ok(()) => writeln!(out, "healthy").map(|_| 0),
                Err(e) => {
                    eprintln!("proxmox-mcp: {e}");
                    Ok(1)
                }
            }
        }
        Command::Tools => {
            writeln!(out, "{}", serde_json::to_string_pretty(&proxmox_mcp::tools::tools_json()).unwrap_or_default())
                .map(|_| 0)
        }
        Command::Api(ApiCommand::Validate { jsonl: true, .. }) => {
            let stdin = std::io::stdin();
            cli::validate_jsonl(&mut stdin.lock(), &mut out).map(|_| 0)
        }
        Command::Api(ApiCommand::Validate { method, path, params, json, .. }) => cli::validate(
            method.as_deref().unwrap_or_default(),
            path.as_deref().unwrap_or_default(),
            params.as_deref(),
            output(json),
            &mut out,
        ),
        Command::Api(ApiCommand::Search { query, limit, json }) => {
            cli::search(&query.join(" "), limit, output(json), &mut out)
        }
        Command::Api(ApiCommand::Describe { path, method, parameter, json }) => {
            cli::describe(&path, method.as_deref(), parameter.as_deref(), output(json), &mut out)
        }
    };
    let _ = out.flush();
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxmox-mcp: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, String> {
        parse_cli(std::iter::once("proxmox-mcp").chain(args.iter().copied())).map_err(|e| e.to_string())
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        for args in [&["--config", "c.json", "check-config"][..], &["check-config", "--config", "c.json"][..]] {
            let cli = parse(args).unwrap();
            assert!(matches!(cli.command, Some(Command::CheckConfig { probe: false })), "{args:?}");
            assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("c.json")), "{args:?}");
        }
        let cli = parse(&["--config", "c.json", "--log-format", "json", "serve", "--stdio"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(ServeArgs { stdio: true, .. }))));
        assert!(matches!(cli.log_format, LogFormat::Json));
    }

    #[test]
    fn one_worker_thread_by_default_and_never_none() {
        assert_eq!(parse(&[]).unwrap().serve.worker_threads, 1);
        assert_eq!(
            parse(&["serve", "--worker-threads", "4"])
                .map(|c| matches!(c.command, Some(Command::Serve(ServeArgs { worker_threads: 4, .. })))),
            Ok(true)
        );
        assert!(parse(&["--worker-threads", "0"]).err().unwrap().contains("--worker-threads"));
    }

    #[test]
    fn serve_options_without_a_subcommand_serve() {
        let cli = parse(&["--config", "c.json", "--listen", "127.0.0.1:9", "--read-only"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.listen, "127.0.0.1:9".parse::<SocketAddr>().unwrap());
        assert!(cli.serve.read_only);
    }

    #[test]
    fn serve_options_before_a_subcommand_are_refused_by_name() {
        let e = parse(&["--listen", "127.0.0.1:9", "--stdio", "serve"]).err().expect("refused");
        assert!(e.contains("--listen, --stdio cannot be used with the subcommand 'serve'"), "{e}");
        let e = parse(&["--read-only", "tools"]).err().expect("refused");
        assert!(e.contains("--read-only cannot be used with the subcommand 'tools'"), "{e}");
    }
}
