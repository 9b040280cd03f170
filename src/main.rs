//! The proxmox-mcp command line. Everything it runs lives in the library.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use proxmox_mcp::cli::{self, Output};

#[derive(Parser)]
#[command(name = "proxmox-mcp", version, about = "An MCP server for Proxmox VE, with every call validated against the real API schema")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

fn output(json: bool) -> Output {
    if json { Output::Json } else { Output::Text }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match cli.command {
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
        Command::Api(ApiCommand::Search { query, limit, json }) => cli::search(&query.join(" "), limit, output(json), &mut out),
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
