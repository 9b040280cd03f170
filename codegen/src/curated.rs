//! Curated tools: the declarative list, their MCP definitions, and typed Rust for each.
//!
//! The list (`apidoc/curated-tools.txt`) has one line per tool:
//!
//! ```text
//! name | METHOD /path | hints | parameters the handler relies on | description
//! ```
//!
//! `hints` is a comma list of `read-only`, `destructive`, `idempotent`, `open-world` (the MCP
//! tool annotations that are true); the parameter list is `-` or a comma list, and each must
//! exist in the schema, so a new PVE release that drops one fails the build naming it.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::json_schema;
use crate::model::{Api, Endpoint, Schema, Type};

/// The MCP annotations a curated tool may declare.
const HINTS: [(&str, &str); 4] = [
    ("read-only", "readOnlyHint"),
    ("destructive", "destructiveHint"),
    ("idempotent", "idempotentHint"),
    ("open-world", "openWorldHint"),
];

/// One line of the curated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CuratedTool {
    /// The MCP tool name.
    pub name: String,
    /// The PVE method.
    pub method: String,
    /// The PVE path template.
    pub path: String,
    /// Annotation names that are true (`read-only`, ...).
    pub hints: Vec<String>,
    /// Parameters the hand-written handler relies on.
    pub uses: Vec<String>,
    /// The tool description.
    pub description: String,
    /// 1-based line in the list.
    pub line: usize,
}

/// Parses the curated list.
pub fn parse_list(text: &str) -> Result<Vec<CuratedTool>> {
    let mut tools: Vec<CuratedTool> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let err = |message: String| Error::Curated { line, message };
        let fields: Vec<&str> = trimmed.splitn(5, '|').map(str::trim).collect();
        let [name, endpoint, hints, uses, description] = fields[..] else {
            return Err(err(format!(
                "expected 5 fields 'name | METHOD /path | hints | parameters | description', found {}",
                fields.len()
            )));
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(err(format!("tool name '{name}' must be lower_snake_case")));
        }
        if tools.iter().any(|t| t.name == name) {
            return Err(err(format!("tool '{name}' is listed twice")));
        }
        let (method, path) = endpoint
            .split_once(' ')
            .map(|(m, p)| (m.trim(), p.trim()))
            .ok_or_else(|| err(format!("expected 'METHOD /path', found '{endpoint}'")))?;
        let hints: Vec<String> = split_list(hints);
        for h in &hints {
            if !HINTS.iter().any(|(k, _)| k == h) {
                let known: Vec<&str> = HINTS.iter().map(|(k, _)| *k).collect();
                return Err(err(format!("unknown hint '{h}' (expected any of {})", known.join(", "))));
            }
        }
        if description.is_empty() {
            return Err(err(format!("tool '{name}' has no description")));
        }
        tools.push(CuratedTool {
            name: name.to_owned(),
            method: method.to_uppercase(),
            path: path.to_owned(),
            hints,
            uses: split_list(uses),
            description: description.to_owned(),
            line,
        });
    }
    Ok(tools)
}

fn split_list(s: &str) -> Vec<String> {
    if s == "-" {
        return Vec::new();
    }
    s.split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

/// Finds the endpoint of a curated tool and checks the parameters it relies on.
pub fn resolve<'a>(tool: &CuratedTool, api: &'a Api) -> Result<&'a Endpoint> {
    let err = |message: String| Error::Curated { line: tool.line, message };
    let ep = api.endpoint(&tool.method, &tool.path).ok_or_else(|| {
        err(format!("curated tool '{}': {} {} is not in the schema", tool.name, tool.method, tool.path))
    })?;
    for p in &tool.uses {
        if !ep.parameters.properties.iter().any(|(n, _)| n == p) {
            return Err(err(format!(
                "curated tool '{}': parameter '{p}' of {} {} is not in the schema",
                tool.name, tool.method, tool.path
            )));
        }
    }
    if ep.parameters.properties.iter().any(|(n, _)| n == "cluster") {
        return Err(err(format!("curated tool '{}': the endpoint has its own 'cluster' parameter", tool.name)));
    }
    Ok(ep)
}

/// The description of the `cluster` argument every cluster-facing tool has.
pub const CLUSTER_ARG: &str = "Name of the configured cluster (see list_clusters). May be omitted when only one \
cluster is configured or a default is set.";

/// The MCP tool definition (`name`, `description`, `inputSchema`, `outputSchema`,
/// `annotations`) of a curated tool.
pub fn tool_definition(tool: &CuratedTool, ep: &Endpoint) -> Value {
    let mut input = json_schema::parameters(&ep.parameters);
    if let Value::Object(obj) = &mut input {
        let mut props = Map::new();
        props.insert("cluster".into(), json!({"type": "string", "description": CLUSTER_ARG}));
        if let Some(Value::Object(p)) = obj.remove("properties") {
            props.extend(p);
        }
        obj.insert("properties".into(), Value::Object(props));
        obj.insert("additionalProperties".into(), Value::Bool(false));
        // Keep the key order stable: type, properties, required, additionalProperties.
        let mut ordered = Map::new();
        for k in ["type", "properties", "required", "additionalProperties"] {
            if let Some(v) = obj.remove(k) {
                ordered.insert(k.into(), v);
            }
        }
        *obj = ordered;
    }
    let mut annotations = Map::new();
    for (hint, key) in HINTS {
        annotations.insert(key.into(), Value::Bool(tool.hints.iter().any(|h| h == hint)));
    }
    json!({
        "name": tool.name,
        "description": format!("{} (PVE: {} {})", tool.description, ep.method, ep.path),
        "inputSchema": input,
        "outputSchema": output_schema(&ep.returns),
        "annotations": annotations,
    })
}

/// The output schema: PVE's answer under `data`, described leniently (see
/// [`returns_schema`]).
pub fn output_schema(returns: &Value) -> Value {
    json!({
        "type": "object",
        "properties": { "data": returns_schema(returns) },
        "required": ["data"],
    })
}

/// A PVE `returns` schema as a lenient JSON Schema for `structuredContent`.
///
/// Clients validate structured content against it, and PVE's answers are looser than its
/// schema: numbers arrive as strings, booleans as `0`/`1`, optional fields as `null`. So
/// containers keep their type and properties (no `required`, extra keys allowed), and a
/// scalar keeps its description with the PVE type stated in words, not as a constraint.
pub fn returns_schema(returns: &Value) -> Value {
    let Some(obj) = returns.as_object() else { return json!({}) };
    let mut out = Map::new();
    let ty = obj.get("type").and_then(Value::as_str);
    let mut description = obj.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    match ty {
        Some("array") => {
            out.insert("type".into(), Value::from("array"));
            if let Some(items) = obj.get("items") {
                out.insert("items".into(), returns_schema(items));
            }
        }
        Some("object") => {
            out.insert("type".into(), Value::from("object"));
            if let Some(Value::Object(props)) = obj.get("properties") {
                let props: Map<String, Value> = props.iter().map(|(k, v)| (k.clone(), returns_schema(v))).collect();
                out.insert("properties".into(), Value::Object(props));
            }
        }
        Some(t @ ("integer" | "number" | "boolean" | "string")) => {
            let mut words = format!("PVE type: {t}");
            if let Some(Value::Array(values)) = obj.get("enum") {
                let vs: Vec<String> = values.iter().map(|v| v.as_str().map_or(v.to_string(), str::to_owned)).collect();
                words.push_str(&format!(", one of {}", vs.join(", ")));
            }
            if let Some(Value::String(f)) = obj.get("format") {
                words.push_str(&format!(", format {f}"));
            }
            description =
                if description.is_empty() { format!("{words}.") } else { format!("{description} ({words}.)") };
        }
        _ => {}
    }
    if !description.is_empty() {
        out.insert("description".into(), Value::String(description));
    }
    Value::Object(out)
}

/// The typed Rust for every curated tool: a module per tool with its constants, an `Args`
/// struct (serde; enums for enum-valued parameters) and a typed path builder.
pub fn rust_tokens(tools: &[(CuratedTool, Value)], api: &Api) -> Result<TokenStream> {
    let mut mods = Vec::new();
    let mut names = Vec::new();
    for (tool, def) in tools {
        let ep = resolve(tool, api)?;
        mods.push(tool_module(tool, ep, def)?);
        let m = format_ident!("{}", tool.name);
        names.push(quote! { #m::TOOL });
    }
    let n = names.len();
    let arms = tools.iter().map(|(tool, _)| {
        let m = format_ident!("{}", tool.name);
        quote! {
            #m::NAME => Some(::serde_json::from_value::<#m::Args>(arguments).map(|a| Prepared {
                path: a.path(),
                params: a.params(),
                cluster: a.cluster,
                method: #m::METHOD,
            })),
        }
    });
    Ok(quote! {
        /// Every curated tool's definition, as JSON text, in list order.
        pub static CURATED_TOOLS: [&str; #n] = [#(#names),*];

        /// A curated tool call turned into an API call.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Prepared {
            /// The cluster named in the arguments.
            pub cluster: Option<String>,
            /// The PVE method.
            pub method: Method,
            /// The concrete API path.
            pub path: String,
            /// The parameters that are not path placeholders.
            pub params: ::serde_json::Map<String, ::serde_json::Value>,
        }

        /// Parses a curated tool's arguments into an API call; `None` when `name` is not a
        /// curated tool.
        pub fn prepare(name: &str, arguments: ::serde_json::Value) -> Option<Result<Prepared, ::serde_json::Error>> {
            match name {
                #(#arms)*
                _ => None,
            }
        }

        #(#mods)*
    })
}

fn tool_module(tool: &CuratedTool, ep: &Endpoint, def: &Value) -> Result<TokenStream> {
    let err = |message: String| Error::Curated { line: tool.line, message };
    let module = format_ident!("{}", tool.name);
    let name = &tool.name;
    let method = format_ident!("{}", tool.method.to_upper_camel_case());
    let path = &ep.path;
    let tool_json = serde_json::to_string(def).expect("JSON serialises");
    let placeholders = ep.placeholders();
    let mut fields = Vec::new();
    let mut enums = Vec::new();
    let mut param_inserts = Vec::new();
    let mut used_idents: Vec<String> = vec!["cluster".into()];
    for (pname, schema) in &ep.parameters.properties {
        if pname.ends_with("[n]") {
            return Err(err(format!(
                "curated tool '{}': indexed parameter '{pname}' cannot be typed; use proxmox_api_call",
                tool.name
            )));
        }
        let ident_text = pname.to_snake_case();
        if used_idents.contains(&ident_text) {
            return Err(err(format!("curated tool '{}': parameter '{pname}' collides with another field", tool.name)));
        }
        used_idents.push(ident_text.clone());
        let ident = field_ident(&ident_text);
        let (ty, enum_def) = rust_type(tool, pname, schema)?;
        if let Some(e) = enum_def {
            enums.push(e);
        }
        let doc = format!(" {}", schema.description.as_deref().unwrap_or(pname).trim());
        let is_placeholder = placeholders.contains(&pname.as_str());
        if schema.optional {
            fields.push(quote! {
                #[doc = #doc]
                #[serde(rename = #pname, default, skip_serializing_if = "Option::is_none")]
                pub #ident: Option<#ty>,
            });
        } else {
            fields.push(quote! {
                #[doc = #doc]
                #[serde(rename = #pname)]
                pub #ident: #ty,
            });
        }
        if !is_placeholder {
            let value = if schema.optional {
                quote! { if let Some(v) = &self.#ident { out.insert(#pname.to_owned(), ::serde_json::to_value(v).expect("serialises")); } }
            } else {
                quote! { out.insert(#pname.to_owned(), ::serde_json::to_value(&self.#ident).expect("serialises")); }
            };
            param_inserts.push(value);
        }
    }
    // The typed path builder: one argument per placeholder, in path order.
    let mut builder_args = Vec::new();
    let mut builder_call = Vec::new();
    let mut pieces = Vec::new();
    let mut literal = String::new();
    for seg in ep.path.trim_start_matches('/').split('/') {
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(ph) => {
                let schema =
                    ep.parameters.properties.iter().find(|(n, _)| n == ph).map(|(_, s)| s).ok_or_else(|| {
                        err(format!("curated tool '{}': placeholder '{{{ph}}}' has no parameter schema", tool.name))
                    })?;
                let ident = field_ident(&ph.to_snake_case());
                let arg_ty = match schema.ty {
                    Some(Type::Integer) => quote! { i64 },
                    _ => quote! { &str },
                };
                builder_args.push(quote! { #ident: #arg_ty });
                let call = match schema.ty {
                    Some(Type::Integer) => quote! { self.#ident },
                    _ => quote! { &self.#ident },
                };
                builder_call.push(call);
                literal.push('/');
                pieces.push(quote! { out.push_str(#literal); });
                literal.clear();
                pieces.push(quote! { out.push_str(&encode_segment(&#ident.to_string())); });
            }
            None => {
                literal.push('/');
                literal.push_str(seg);
            }
        }
    }
    if !literal.is_empty() {
        pieces.push(quote! { out.push_str(#literal); });
    }
    let hints_doc = format!(" `{} {}`: {}", ep.method, ep.path, ep.description.trim());
    Ok(quote! {
        #[doc = #hints_doc]
        pub mod #module {
            #[allow(unused_imports)]
            use super::*;
            /// The tool name.
            pub const NAME: &str = #name;
            /// The PVE method.
            pub const METHOD: Method = Method::#method;
            /// The PVE path template.
            pub const PATH: &str = #path;
            /// The MCP tool definition as JSON text.
            pub const TOOL: &str = #tool_json;

            /// The tool's arguments.
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            pub struct Args {
                #[doc = " The configured cluster to ask."]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub cluster: Option<String>,
                #(#fields)*
            }

            impl Args {
                /// The concrete API path for these arguments.
                pub fn path(&self) -> String {
                    path(#(#builder_call),*)
                }

                /// The parameters that are not path placeholders, as JSON.
                pub fn params(&self) -> ::serde_json::Map<String, ::serde_json::Value> {
                    #[allow(unused_mut)]
                    let mut out = ::serde_json::Map::new();
                    #(#param_inserts)*
                    out
                }
            }

            /// Builds the concrete API path; each placeholder value is percent-encoded.
            pub fn path(#(#builder_args),*) -> String {
                let mut out = String::new();
                #(#pieces)*
                out
            }

            #(#enums)*
        }
    })
}

fn field_ident(name: &str) -> Ident {
    let reserved = [
        "type", "match", "ref", "move", "loop", "use", "mod", "fn", "impl", "trait", "where", "self", "static",
        "const", "enum", "struct", "async", "await", "dyn", "box", "in", "for", "if", "else", "let", "return", "break",
        "continue", "crate", "super", "true", "false", "unsafe", "pub", "as", "extern", "while", "macro", "override",
        "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "abstract", "become", "do", "final",
    ];
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) { format!("p{name}") } else { name.to_owned() };
    if reserved.contains(&name.as_str()) {
        if matches!(name.as_str(), "self" | "super" | "crate") {
            return format_ident!("{}_", name);
        }
        Ident::new_raw(&name, Span::call_site())
    } else {
        Ident::new(&name, Span::call_site())
    }
}

fn rust_type(tool: &CuratedTool, pname: &str, s: &Schema) -> Result<(TokenStream, Option<TokenStream>)> {
    if let Some(values) = &s.enum_values {
        let ty = format_ident!("{}", pname.to_upper_camel_case());
        let mut variants = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for v in values {
            let mut variant = v.to_upper_camel_case();
            if variant.is_empty() || variant.starts_with(|c: char| c.is_ascii_digit()) {
                variant = format!("V{variant}");
            }
            if seen.contains(&variant) {
                return Err(Error::Curated {
                    line: tool.line,
                    message: format!("curated tool '{}': enum values of '{pname}' collide as '{variant}'", tool.name),
                });
            }
            seen.push(variant.clone());
            let id = format_ident!("{}", variant);
            let doc = format!(" `{v}`");
            variants.push(quote! { #[doc = #doc] #[serde(rename = #v)] #id, });
        }
        let doc = format!(
            " {}",
            s.description.as_deref().map_or_else(|| format!("Values of '{pname}'."), |d| d.trim().to_owned())
        );
        let def = quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
            pub enum #ty { #(#variants)* }
        };
        return Ok((quote! { #ty }, Some(def)));
    }
    let ty = match s.ty {
        Some(Type::Integer) => quote! { i64 },
        Some(Type::Number) => quote! { f64 },
        Some(Type::Boolean) => quote! { bool },
        Some(Type::String) => quote! { String },
        Some(Type::Array) => match s.items.as_deref().and_then(|i| i.ty) {
            Some(Type::Integer) => quote! { Vec<i64> },
            _ => quote! { Vec<String> },
        },
        _ => quote! { ::serde_json::Value },
    };
    Ok((ty, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_are_checked() {
        let tools =
            parse_list("# comment\n\nlist_nodes | GET /nodes | read-only, idempotent | - | List nodes.\n").unwrap();
        assert_eq!(tools[0].hints, ["read-only", "idempotent"]);
        assert_eq!(tools[0].line, 3);
        let err = parse_list("x | GET /nodes | fast | - | d").unwrap_err();
        assert_eq!(
            err.to_string(),
            "curated tool list, line 1: unknown hint 'fast' (expected any of read-only, destructive, idempotent, open-world)"
        );
        assert!(parse_list("x | GET /nodes | - | d").unwrap_err().to_string().contains("expected 5 fields"));
        assert!(parse_list("X | GET /a | - | - | d").unwrap_err().to_string().contains("lower_snake_case"));
    }

    #[test]
    fn vanished_endpoints_and_parameters_are_named() {
        let api = Api::parse(
            br#"[{"path":"/a","info":{"GET":{"parameters":{"properties":{"x":{"type":"string"}}},"returns":{}}}}]"#,
        )
        .unwrap();
        let tools = parse_list("t | GET /b | - | - | d\nu | GET /a | - | x, y | d").unwrap();
        assert_eq!(
            resolve(&tools[0], &api).unwrap_err().to_string(),
            "curated tool list, line 1: curated tool 't': GET /b is not in the schema"
        );
        assert_eq!(
            resolve(&tools[1], &api).unwrap_err().to_string(),
            "curated tool list, line 2: curated tool 'u': parameter 'y' of GET /a is not in the schema"
        );
    }

    #[test]
    fn output_schema_is_lenient() {
        let returns = json!({"type":"array","items":{"type":"object","properties":{
            "cpu":{"type":"number","optional":1,"description":"CPU."},
            "status":{"type":"string","enum":["online","offline"]}}}});
        assert_eq!(
            output_schema(&returns),
            json!({"type":"object","required":["data"],"properties":{"data":{"type":"array","items":{"type":"object","properties":{
                "cpu":{"description":"CPU. (PVE type: number.)"},
                "status":{"description":"PVE type: string, one of online, offline."}}}}}})
        );
    }
}
