//! Describing an endpoint: what a model needs to write a valid call in one step.
//!
//! For a path (a template like `/nodes/{node}/qemu/{vmid}/config` or a concrete path) and
//! optionally a method, the answer gives each method's description, its parameters as JSON
//! Schema (descriptions, typetext, index ranges), what it returns, the permissions it needs,
//! whether it is protected, whether API tokens may call it, and which checks this server
//! makes locally. Property-string keys are listed when one parameter is asked for, which
//! keeps the answer for the big qemu and lxc methods readable.

use serde_json::{Map, Value, json};

use super::formats::{self, Checked};
use super::path::{self, PathError};
use super::types::{Endpoint, Format, Method, Prop};
use super::validate::max_index;
use super::{PVE_VERSION, REGISTERED_FORMAT_DOCS};

/// Describes the methods of `path` (all, or only `method`), or one parameter of them.
pub fn describe(path: &str, method: Option<&str>, parameter: Option<&str>) -> Result<Value, String> {
    let mut endpoints = path::find_template(path);
    if endpoints.is_empty() {
        // Let the resolver explain (refusal or closest paths).
        return Err(match path::resolve("GET", path) {
            Err(e @ (PathError::Refused(_) | PathError::NotFound { .. })) => e.to_string(),
            _ => format!("no API endpoint has the path '{path}'"),
        });
    }
    if let Some(m) = method {
        let wanted =
            Method::parse(m).ok_or_else(|| format!("unknown method '{m}' (expected GET, POST, PUT or DELETE)"))?;
        let allowed: Vec<&str> = endpoints.iter().map(|e| e.method.as_str()).collect();
        endpoints.retain(|e| e.method == wanted);
        if endpoints.is_empty() {
            return Err(format!("{} has no {wanted} method; allowed: {}", path.trim(), allowed.join(", ")));
        }
    }
    let template = endpoints[0].path;
    let methods: Result<Vec<Value>, String> = endpoints.iter().map(|ep| describe_method(ep, parameter)).collect();
    Ok(json!({
        "path": template,
        "schema": format!("Proxmox VE {PVE_VERSION}"),
        "methods": methods?,
    }))
}

fn describe_method(ep: &'static Endpoint, parameter: Option<&str>) -> Result<Value, String> {
    let params: Value = serde_json::from_str(ep.params_json).unwrap_or(Value::Null);
    if let Some(name) = parameter {
        return describe_parameter(ep, &params, name);
    }
    let mut out = Map::new();
    out.insert("method".into(), Value::from(ep.method.as_str()));
    out.insert("description".into(), Value::from(ep.description.trim()));
    out.insert("parameters".into(), compact_parameters(ep, params));
    let property_strings: Vec<String> =
        ep.params.props.iter().filter(|p| is_property_string(p)).map(display_name).collect();
    if !property_strings.is_empty() {
        out.insert(
            "property_strings".into(),
            json!({
                "parameters": property_strings,
                "note": "These take 'key=value,...' strings (or a JSON object of the keys). Call proxmox_api_describe with 'parameter' set to one of them for its keys.",
            }),
        );
    }
    out.insert("returns".into(), serde_json::from_str(ep.returns_json).unwrap_or(Value::Null));
    out.insert(
        "permissions".into(),
        ep.permissions_json.and_then(|p| serde_json::from_str(p).ok()).unwrap_or(Value::Null),
    );
    out.insert("protected".into(), Value::Bool(ep.protected));
    out.insert("allowtoken".into(), Value::Bool(ep.allowtoken));
    out.insert("local_checks".into(), local_checks(ep));
    Ok(Value::Object(out))
}

/// The parameters without property-string keys, with index ranges for `name[n]`.
fn compact_parameters(ep: &Endpoint, mut params: Value) -> Value {
    if let Some(props) = params.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, schema) in props.iter_mut() {
            if let Some(obj) = schema.as_object_mut() {
                obj.remove("x-property-string");
                if let Some(stem) = name.strip_suffix("[n]")
                    && ep.params.get_indexed(stem).is_some()
                {
                    obj.insert("x-indices".into(), Value::from(format!("{stem}0 to {stem}{}", max_index(stem))));
                }
            }
        }
    }
    params
}

fn describe_parameter(ep: &'static Endpoint, params: &Value, name: &str) -> Result<Value, String> {
    let stem = name.trim_end_matches("[n]").trim_end_matches(|c: char| c.is_ascii_digit());
    let prop = ep.params.get(name).or_else(|| ep.params.get_indexed(stem)).ok_or_else(|| {
        let names: Vec<String> = ep.params.props.iter().map(display_name).collect();
        format!("{} has no parameter '{name}' (it has: {})", ep.id(), names.join(", "))
    })?;
    let key = display_name(prop);
    let mut schema = params["properties"][&key].clone();
    if let (Format::Named(format), Some(obj)) = (&prop.schema.format, schema.as_object_mut()) {
        if let Some((_, docs)) = REGISTERED_FORMAT_DOCS.iter().find(|(n, _)| n == format) {
            obj.insert("x-property-string".into(), serde_json::from_str(docs).unwrap_or(Value::Null));
        }
        obj.insert("x-format".into(), Value::from(*format));
        obj.insert("x-format-check".into(), Value::from(format_check(format)));
    }
    if prop.indexed
        && let Some(obj) = schema.as_object_mut()
    {
        obj.insert("x-indices".into(), Value::from(format!("{0}0 to {0}{1}", prop.name, max_index(prop.name))));
    }
    if let Some(p) = prop.schema.pattern
        && let Some(obj) = schema.as_object_mut()
    {
        obj.insert("x-pattern".into(), Value::from(p.perl));
    }
    Ok(json!({
        "method": ep.method.as_str(),
        "parameter": key,
        "schema": schema,
        "typetext": prop.schema.typetext,
        "format_description": prop.schema.format_description,
    }))
}

fn display_name(p: &Prop) -> String {
    if p.indexed { format!("{}[n]", p.name) } else { p.name.to_owned() }
}

fn is_property_string(p: &Prop) -> bool {
    match p.schema.format {
        Format::PropertyString(_) => true,
        Format::Named(f) => REGISTERED_FORMAT_DOCS.iter().any(|(n, _)| *n == f),
        Format::None => false,
    }
}

fn format_check(format: &str) -> &'static str {
    match formats::catalog().iter().find(|f| f.name == format).map(|f| &f.checked) {
        Some(Checked::Locally) => "checked locally",
        Some(Checked::PropertyString) => "checked locally, as a property string",
        Some(Checked::ByCluster) => "accepted locally; only the cluster can check it",
        None => "accepted locally; not known to this server",
    }
}

/// What this server checks before sending, for this method.
fn local_checks(ep: &Endpoint) -> Value {
    let mut formats_used: Map<String, Value> = Map::new();
    fn collect(props: &[Prop], out: &mut Map<String, Value>) {
        for p in props {
            match p.schema.format {
                Format::Named(f) => {
                    out.insert(f.to_owned(), Value::from(format_check(f)));
                }
                Format::PropertyString(o) => collect(o.props, out),
                Format::None => {}
            }
            if let Some(items) = p.schema.items
                && let Format::Named(f) = items.format
            {
                out.insert(f.to_owned(), Value::from(format_check(f)));
            }
        }
    }
    collect(ep.params.props, &mut formats_used);
    json!({
        "summary": "Before sending, this server checks the path, the method, unknown and missing parameters, types, enums, ranges, lengths, patterns, 'requires', index ranges and property-string keys, exactly as Proxmox VE validates them.",
        "formats": formats_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_a_template_or_a_concrete_path() {
        let by_template = describe("/nodes/{node}/qemu/{vmid}/config", None, None).unwrap();
        let by_path = describe("/nodes/pve1/qemu/100/config", None, None).unwrap();
        assert_eq!(by_template, by_path);
        let methods: Vec<&str> =
            by_template["methods"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap()).collect();
        assert_eq!(methods, ["GET", "POST", "PUT"]);
        assert_eq!(by_template["schema"], "Proxmox VE 9.2");
    }

    #[test]
    fn one_method_in_full() {
        let d = describe("/nodes/{node}/qemu/{vmid}/config", Some("post"), None).unwrap();
        let m = &d["methods"][0];
        assert_eq!(m["method"], "POST");
        assert_eq!(m["permissions"]["check"][0], "perm");
        assert_eq!(m["allowtoken"], true);
        let net = &m["parameters"]["properties"]["net[n]"];
        assert_eq!(net["x-indices"], "net0 to net31");
        assert!(net.get("x-property-string").is_none(), "keys only on request");
        assert!(m["property_strings"]["parameters"].as_array().unwrap().iter().any(|p| p == "net[n]"));
        assert!(m["local_checks"]["formats"].as_object().unwrap().contains_key("pve-node"));
        assert!(serde_json::to_string(&d).unwrap().len() < 40_000);
    }

    #[test]
    fn one_parameter_with_its_keys() {
        for name in ["net0", "net[n]", "net"] {
            let d = describe("/nodes/{node}/qemu/{vmid}/config", Some("PUT"), Some(name)).unwrap();
            let p = &d["methods"][0];
            assert_eq!(p["parameter"], "net[n]");
            let keys = p["schema"]["x-property-string"].as_object().unwrap();
            assert!(keys.contains_key("bridge") && keys.contains_key("tag"), "{keys:?}");
            assert!(keys["bridge"]["description"].as_str().unwrap().len() > 10);
        }
        let err = describe("/nodes/{node}/qemu/{vmid}/config", Some("PUT"), Some("nope")).unwrap_err();
        assert!(err.starts_with("PUT /nodes/{node}/qemu/{vmid}/config has no parameter 'nope' (it has: "), "{err}");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(describe("/nodes", Some("DELETE"), None).unwrap_err(), "/nodes has no DELETE method; allowed: GET");
        assert!(describe("/nodez", None, None).unwrap_err().contains("closest known paths: /nodes"));
        assert!(describe("/nodes/../x", None, None).unwrap_err().starts_with("path refused"));
        assert!(describe("/nodes", Some("FETCH"), None).unwrap_err().contains("unknown method 'FETCH'"));
    }
}
