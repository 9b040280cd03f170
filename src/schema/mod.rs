//! The Proxmox VE API schema, compiled in.
//!
//! The tables come from `apidoc/apidoc.json` through `codegen` (see `build.rs`); this module
//! and its children are the hand-written behaviour over them.

pub mod describe;
pub mod formats;
pub mod path;
pub mod propstring;
pub mod search;
pub mod types;
pub mod validate;
pub mod value;

/// The generated tables: every endpoint and pattern of the vendored schema.
mod tables {
    #![allow(missing_docs, clippy::all)]
    use super::types::*;
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

/// Typed definitions for the curated tools (`apidoc/curated-tools.txt`).
pub mod curated {
    #![allow(missing_docs, clippy::all)]
    #[allow(unused_imports)]
    use super::path::encode_segment;
    use super::types::Method;
    include!(concat!(env!("OUT_DIR"), "/curated.rs"));
}

pub use tables::{ENDPOINTS, PATTERNS, REGISTERED_FORMAT_DOCS, REGISTERED_FORMATS};

/// The Proxmox VE release the vendored schema describes.
pub const PVE_VERSION: &str = "9.2";

#[cfg(test)]
mod tests {
    use super::types::*;
    use super::*;
    use std::collections::BTreeSet;

    /// Every (method, path) of the vendored apidoc, read independently of codegen.
    fn vendored_methods() -> BTreeSet<(String, String)> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/apidoc/apidoc.json")).unwrap();
        let tree: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut out = BTreeSet::new();
        let mut stack: Vec<&serde_json::Value> = tree.as_array().unwrap().iter().collect();
        while let Some(node) = stack.pop() {
            let path = node["path"].as_str().unwrap().to_owned();
            if let Some(info) = node.get("info").and_then(|i| i.as_object()) {
                for method in info.keys() {
                    out.insert((method.clone(), path.clone()));
                }
            }
            if let Some(children) = node.get("children").and_then(|c| c.as_array()) {
                stack.extend(children);
            }
        }
        out
    }

    #[test]
    fn every_vendored_method_is_in_the_tables() {
        let vendored = vendored_methods();
        let tables: BTreeSet<(String, String)> =
            ENDPOINTS.iter().map(|e| (e.method.as_str().to_owned(), e.path.to_owned())).collect();
        assert_eq!(vendored.len(), 675, "PVE 9.2 has 675 methods");
        assert_eq!(tables, vendored);
        assert_eq!(ENDPOINTS.len(), tables.len(), "no endpoint is listed twice");
    }

    #[test]
    fn every_pattern_compiles() {
        for (i, p) in PATTERNS.iter().enumerate() {
            assert_eq!(p.index, i);
            regex::Regex::new(p.regex).unwrap_or_else(|e| panic!("pattern {i} /{}/: {e}", p.perl));
            // PVE matches `m/^$pattern$/`: every translation is anchored at both ends.
            assert!(p.regex.starts_with(r"\A(?:") && p.regex.ends_with(r")\n?\z"), "/{}/", p.regex);
        }
        assert!(PATTERNS.len() > 60, "the schema uses ~70 distinct patterns, got {}", PATTERNS.len());
    }

    #[test]
    fn segments_match_paths() {
        for e in &ENDPOINTS {
            let rebuilt: String = e
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => format!("/{l}"),
                    Segment::Placeholder(p) => format!("/{{{p}}}"),
                })
                .collect();
            assert_eq!(rebuilt, e.path);
        }
    }

    #[test]
    fn properties_are_sorted_for_lookup() {
        fn check(obj: &Object, at: &str) {
            for w in obj.props.windows(2) {
                assert!((w[0].name, w[0].indexed) < (w[1].name, w[1].indexed), "{at}: {} / {}", w[0].name, w[1].name);
            }
            for p in obj.props {
                if let Format::PropertyString(inner) = p.schema.format {
                    check(inner, &format!("{at}.{}", p.name));
                }
            }
        }
        for e in &ENDPOINTS {
            check(e.params, &e.id());
        }
        let config = ENDPOINTS.iter().find(|e| e.method == Method::Post && e.path == "/nodes/{node}/qemu").unwrap();
        assert!(config.params.get("numa").is_some_and(|p| p.schema.ty == Type::Boolean));
        assert!(
            config.params.get_indexed("numa").is_some_and(|p| matches!(p.schema.format, Format::PropertyString(_)))
        );
        assert!(config.params.get_indexed("net").is_some());
        assert!(config.params.get("net").is_none());
    }

    #[test]
    fn quirks_are_represented() {
        let get = |m: Method, p: &str| ENDPOINTS.iter().find(|e| e.method == m && e.path == p).unwrap();
        let sync = get(Method::Post, "/access/domains/{realm}/sync");
        // `optional: "1"` in the apidoc.
        assert!(sync.params.get("full").unwrap().schema.optional);
        // `maximum: "16777216"` and `default: "16777216"` as strings.
        let count = get(Method::Get, "/nodes/{node}/qemu/{vmid}/agent/file-read").params.get("count").unwrap();
        assert_eq!((count.schema.minimum, count.schema.maximum), (Some(1.0), Some(16777216.0)));
        // `enum: null`.
        let dl = get(Method::Post, "/nodes/{node}/storage/{storage}/download-url");
        assert!(dl.params.get("compression").unwrap().schema.enum_values.is_none());
        // The undeclared placeholder `{url_seq}` exists in a path.
        assert!(ENDPOINTS.iter().any(|e| e.segments.contains(&Segment::Placeholder("url_seq"))));
    }

    #[test]
    fn curated_tools_are_valid_json_and_typed() {
        for tool in curated::CURATED_TOOLS {
            let v: serde_json::Value = serde_json::from_str(tool).unwrap();
            assert_eq!(v["inputSchema"]["type"], "object");
            assert_eq!(v["outputSchema"]["type"], "object");
        }
        let args: curated::get_cluster_resources::Args = serde_json::from_str(r#"{"type":"vm"}"#).unwrap();
        assert_eq!(args.path(), "/cluster/resources");
        assert_eq!(args.params()["type"], "vm");
        assert!(serde_json::from_str::<curated::get_cluster_resources::Args>(r#"{"type":"vms"}"#).is_err());
        assert!(serde_json::from_str::<curated::list_nodes::Args>(r#"{"nodes":1}"#).is_err());
    }

    /// The codegen snapshot (a fixture covering each quirk) compiles against these types and
    /// says what the fixture says.
    mod fixture {
        #![allow(dead_code)]
        use crate::schema::types::*;
        include!("../../codegen/tests/snapshots/quirks_api.rs");

        #[test]
        fn fixture_tables_compile_and_read_right() {
            assert_eq!(ENDPOINTS.len(), 4);
            let create = &ENDPOINTS[1];
            assert_eq!((create.method, create.path, create.proxyto), (Method::Post, "/widgets", Some("node")));
            assert!(create.protected && create.allowtoken);
            let sync = create.params.get("sync").unwrap().schema;
            assert!(sync.optional && sync.ty == Type::Boolean);
            assert_eq!(sync.default, Some("\"1\""));
            let keyboard = create.params.get("keyboard").unwrap().schema;
            assert_eq!((keyboard.default, keyboard.enum_values.map(|e| e.len())), (None, Some(2)));
            let Format::PropertyString(net) = create.params.get_indexed("net").unwrap().schema.format else { panic!() };
            assert!(net.get("model").unwrap().schema.default_key);
            assert_eq!(net.get("e1000").unwrap().schema.key_alias, Some("model"));
            let comment = create.params.get("comment").unwrap().schema.pattern.unwrap();
            assert_eq!(comment.chars, Some((0, 256)));
            assert_eq!(ENDPOINTS[0].params.additional, Additional::Denied);
            assert_eq!(ENDPOINTS[2].params.additional, Additional::Unspecified);
            assert_eq!(ENDPOINTS[3].params.additional, Additional::Allowed);
            assert_eq!(ENDPOINTS[3].segments[3], Segment::Placeholder("url_seq"));
            let (name, boot) = REGISTERED_FORMATS[0];
            assert_eq!(name, "widget-boot");
            assert!(boot.get("legacy").unwrap().schema.default_key);
            assert_eq!(boot.additional, Additional::Denied);
        }
    }
}

#[cfg(test)]
mod proptests;
