//! PVE schemas as JSON Schema, for MCP clients and for `describe`.
//!
//! The output uses a conservative keyword subset (`type`, `description`, `enum`, `minimum`,
//! `maximum`, `minLength`, `maxLength`, `default`, `items`, `properties`, `required`,
//! `additionalProperties`) because strict clients reject what they do not know: a Perl
//! `pattern` is not ECMA-262 and a PVE format name is not a JSON Schema format. What those
//! carry goes into the description instead (`Format: pve-node`, the `typetext`), where the
//! model reads it. The server validates against the full PVE schema in any case.

use serde_json::{Map, Value, json};

use crate::model::{Format, Object, Schema, Type};

/// How much a schema carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// For MCP clients: the conservative keyword subset only.
    Tool,
    /// For `describe`: also the keys of every property string, under `x-property-string`.
    Describe,
}

/// The JSON Schema of a method's parameters (an object schema), for MCP clients.
pub fn parameters(params: &Object) -> Value {
    object(params, Dialect::Tool)
}

/// The JSON Schema of a method's parameters with property-string keys spelled out.
pub fn parameters_detailed(params: &Object) -> Value {
    object(params, Dialect::Describe)
}

/// The JSON Schema of one PVE schema, for MCP clients.
pub fn schema(s: &Schema) -> Value {
    schema_in(s, Dialect::Tool)
}

/// The keys of a property string as a map of JSON Schemas (aliases say what they stand for).
pub fn property_string_keys(keys: &Object) -> Value {
    let map: Map<String, Value> =
        keys.properties.iter().map(|(k, s)| (k.clone(), schema_in(s, Dialect::Describe))).collect();
    Value::Object(map)
}

fn schema_in(s: &Schema, dialect: Dialect) -> Value {
    let mut out = Map::new();
    match s.ty {
        Some(Type::Any) | None => {}
        Some(t) => {
            out.insert("type".into(), Value::from(t.as_str()));
        }
    }
    let description = describe(s);
    if !description.is_empty() {
        out.insert("description".into(), Value::String(description));
    }
    if let Some(values) = &s.enum_values {
        out.insert("enum".into(), Value::from(values.clone()));
    }
    if let Some(d) = &s.default {
        out.insert("default".into(), typed_default(s.ty, d));
    }
    let numeric = matches!(s.ty, Some(Type::Integer | Type::Number));
    if numeric {
        if let Some(m) = s.minimum {
            out.insert("minimum".into(), number(m));
        }
        if let Some(m) = s.maximum {
            out.insert("maximum".into(), number(m));
        }
    }
    if s.ty == Some(Type::String) {
        if let Some(n) = s.min_length {
            out.insert("minLength".into(), Value::from(n));
        }
        if let Some(n) = s.max_length {
            out.insert("maxLength".into(), Value::from(n));
        }
    }
    if let Some(items) = &s.items {
        out.insert("items".into(), schema_in(items, dialect));
    } else if s.ty == Some(Type::Array) && !s.one_of.is_empty() {
        // The variants differ only in their items; any of them may apply.
        let variants: Vec<Value> =
            s.one_of.iter().filter_map(|v| v.items.as_deref()).map(|i| schema_in(i, dialect)).collect();
        if !variants.is_empty() {
            out.insert("items".into(), json!({ "anyOf": variants }));
        }
    }
    if let (Dialect::Describe, Some(Format::PropertyString(keys))) = (dialect, &s.format) {
        out.insert("x-property-string".into(), property_string_keys(keys));
    }
    if let Some(obj) = &s.properties
        && let Value::Object(o) = object(obj, dialect)
    {
        for (k, v) in o {
            if k != "type" {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

fn object(obj: &Object, dialect: Dialect) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, s) in &obj.properties {
        props.insert(name.clone(), schema_in(s, dialect));
        if !s.optional {
            required.push(Value::String(name.clone()));
        }
    }
    let mut out = Map::new();
    out.insert("type".into(), Value::from("object"));
    out.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    if obj.additional_properties == Some(false) {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Description plus what the model needs to write a valid value.
fn describe(s: &Schema) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = s.description.as_deref().or(s.verbose_description.as_deref()) {
        parts.push(d.trim().to_owned());
    }
    match &s.format {
        Some(Format::Named(name)) => parts.push(format!("Format: {name}.")),
        Some(Format::PropertyString(_)) => {
            if let Some(fd) = s.format_description.as_deref().or(s.typetext.as_deref()) {
                parts.push(format!("Property string: {fd}"));
            }
        }
        None => {}
    }
    if !matches!(s.format, Some(Format::PropertyString(_)))
        && let Some(fd) = &s.format_description
    {
        parts.push(format!("Format: {fd}"));
    }
    if let Some(alias) = &s.alias {
        parts.push(format!("Alias for '{alias}'."));
    }
    if let Some(r) = &s.requires {
        parts.push(format!("Requires '{r}'."));
    }
    if let (Some(tp), false) = (&s.type_property, s.instance_types.is_empty()) {
        parts.push(format!("Only when '{tp}' is {}.", s.instance_types.join(" or ")));
    }
    parts.join(" ")
}

fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 { Value::from(f as i64) } else { Value::from(f) }
}

/// A default written in the schema's type (`"1"` for a boolean becomes `true`).
fn typed_default(ty: Option<Type>, d: &Value) -> Value {
    let as_text = match d {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match ty {
        Some(Type::Boolean) => match as_text.as_str() {
            "1" | "true" => Value::Bool(true),
            "0" | "false" | "" => Value::Bool(false),
            _ => d.clone(),
        },
        Some(Type::Integer) => as_text.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| d.clone()),
        Some(Type::Number) => as_text.trim().parse::<f64>().map(number).unwrap_or_else(|_| d.clone()),
        Some(Type::String) => Value::String(as_text),
        _ => d.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Api;

    #[test]
    fn parameters_become_a_strict_subset_schema() {
        let api = Api::parse(
            br#"[{"path":"/x","info":{"GET":{"parameters":{"additionalProperties":0,"properties":{
            "type":{"type":"string","enum":["vm","node"],"optional":1,"description":"Kind."},
            "node":{"type":"string","format":"pve-node","pattern":"(?^:x)","description":"Node."},
            "flag":{"type":"boolean","optional":"1","default":"1"},
            "count":{"type":"integer","minimum":"1","maximum":10,"optional":1,"default":"4"}}},"returns":{}}}}]"#,
        )
        .unwrap();
        let js = parameters(&api.endpoints[0].parameters);
        assert_eq!(
            js,
            json!({"type":"object","properties":{
                "count":{"type":"integer","default":4,"minimum":1,"maximum":10},
                "flag":{"type":"boolean","default":true},
                "node":{"type":"string","description":"Node. Format: pve-node."},
                "type":{"type":"string","description":"Kind.","enum":["vm","node"]}},
              "required":["node"],"additionalProperties":false})
        );
    }
}
