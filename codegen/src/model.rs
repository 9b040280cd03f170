//! A typed, quirk-tolerant model of the Proxmox VE API schema.
//!
//! The apidoc is JSON dumped from Perl data, so it carries Perl's looseness: booleans as `1`
//! or `"1"`, numbers as strings, `default: null`, `enum: null`. This module reads those into
//! plain Rust types. A key it does not know is an error naming the endpoint and property: a
//! new construct in a new PVE release must be taught here, never dropped silently.

use serde_json::{Map, Value};

use crate::apidoc::ApiTree;
use crate::error::{Error, Result};
use crate::regex::translate_pattern;

/// The whole API: every method of every path, sorted by path then method.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// All endpoints.
    pub endpoints: Vec<Endpoint>,
}

/// One HTTP method on one path.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The path template, e.g. `/nodes/{node}/qemu/{vmid}/config`.
    pub path: String,
    /// PVE's handler name (`vm_config`).
    pub name: String,
    /// What the method does.
    pub description: String,
    /// The parameters (path placeholders included, as in PVE).
    pub parameters: Object,
    /// The `returns` schema, verbatim.
    pub returns: Value,
    /// The `permissions` object, verbatim, when present.
    pub permissions: Option<Value>,
    /// Whether PVE runs the method in its privileged daemon.
    pub protected: bool,
    /// Whether API tokens may call the method.
    pub allowtoken: bool,
    /// The node the call is proxied to (`{node}`), when stated.
    pub proxyto: Option<String>,
    /// Whether the method may return credentials.
    pub expose_credentials: bool,
    /// Whether the method serves file downloads.
    pub download_allowed: bool,
}

impl Endpoint {
    /// `METHOD /path`, for messages.
    pub fn id(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The placeholder names in the path, in order.
    pub fn placeholders(&self) -> Vec<&str> {
        self.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
    }
}

/// An object schema: named properties plus the additional-properties rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    /// Properties sorted by name. Indexed names keep the apidoc spelling (`net[n]`).
    pub properties: Vec<(String, Schema)>,
    /// `additionalProperties`: `Some(false)` when unknown keys are refused, `Some(true)` when
    /// allowed, `None` when the schema does not say.
    pub additional_properties: Option<bool>,
}

/// The JSON type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `string`.
    String,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `boolean`.
    Boolean,
    /// `array`.
    Array,
    /// `object`.
    Object,
    /// `null`.
    Null,
    /// `any`.
    Any,
}

impl Type {
    /// The apidoc spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Integer => "integer",
            Type::Number => "number",
            Type::Boolean => "boolean",
            Type::Array => "array",
            Type::Object => "object",
            Type::Null => "null",
            Type::Any => "any",
        }
    }

    fn parse(s: &str) -> Option<Type> {
        Some(match s {
            "string" => Type::String,
            "integer" => Type::Integer,
            "number" => Type::Number,
            "boolean" => Type::Boolean,
            "array" => Type::Array,
            "object" => Type::Object,
            "null" => Type::Null,
            "any" => Type::Any,
            _ => return None,
        })
    }
}

/// A string format: a registered name or an inline property-string schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A named format (`pve-node`, `pve-vmid-list`, `ipv4`, ...).
    Named(String),
    /// A property string (`key=value,...`) with these keys.
    PropertyString(Object),
}

/// A compiled-ready pattern: PVE's Perl source and its Rust `regex` translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// As written in the schema (Perl syntax).
    pub perl: String,
    /// Anchored Rust `regex` syntax with PVE's `m/^...$/` semantics.
    pub rust: String,
    /// An extra character-count range the value must lie in (see
    /// [`crate::regex::translate_pattern`]).
    pub chars: Option<(u32, u32)>,
}

/// The schema of one value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// The declared type; `None` where the schema omits it (alias-only keys).
    pub ty: Option<Type>,
    /// Whether the value may be omitted.
    pub optional: bool,
    /// The default, when one is stated (a `null` default counts as none).
    pub default: Option<Value>,
    /// Human description.
    pub description: Option<String>,
    /// Longer description.
    pub verbose_description: Option<String>,
    /// Display title.
    pub title: Option<String>,
    /// Allowed values (`enum: null` counts as none).
    pub enum_values: Option<Vec<String>>,
    /// Inclusive lower bound.
    pub minimum: Option<f64>,
    /// Inclusive upper bound.
    pub maximum: Option<f64>,
    /// Minimum string length.
    pub min_length: Option<u64>,
    /// Maximum string length.
    pub max_length: Option<u64>,
    /// Regular expression the whole value must match.
    pub pattern: Option<Pattern>,
    /// Named format or property-string schema.
    pub format: Option<Format>,
    /// How the property string is written (`[model=]<enum> [,bridge=<bridge>]...`).
    pub format_description: Option<String>,
    /// Short type text shown by PVE.
    pub typetext: Option<String>,
    /// In a property string: the key that may be written without `key=`.
    pub default_key: bool,
    /// In a property string: this key is another name for the key named here.
    pub alias: Option<String>,
    /// In a property string: writing this key sets the key named here to this key's name
    /// (`e1000=MAC` means `model=e1000,macaddr=MAC`).
    pub key_alias: Option<String>,
    /// Another parameter that must be present when this one is.
    pub requires: Option<String>,
    /// The values of `type_property` for which this schema applies.
    pub instance_types: Vec<String>,
    /// The parameter whose value selects between instance schemas.
    pub type_property: Option<String>,
    /// Schema of array items.
    pub items: Option<Box<Schema>>,
    /// Properties of an object value.
    pub properties: Option<Object>,
    /// Alternatives, selected by `type_property`.
    pub one_of: Vec<Schema>,
    /// Keys PVE carries but does not check (`min`, `max`), kept verbatim for describe.
    pub unchecked: Vec<(String, Value)>,
}

impl Api {
    /// Reads the model from a normalised tree.
    pub fn from_tree(tree: &ApiTree) -> Result<Api> {
        let mut endpoints = Vec::new();
        let mut stack: Vec<&Value> = tree.roots.iter().collect();
        while let Some(node) = stack.pop() {
            let path = node["path"].as_str().unwrap_or_default();
            if let Some(info) = node.get("info").and_then(Value::as_object) {
                for (method, body) in info {
                    endpoints.push(read_endpoint(path, method, body)?);
                }
            }
            if let Some(children) = node.get("children").and_then(Value::as_array) {
                stack.extend(children);
            }
        }
        endpoints
            .sort_by(|a, b| (a.path.as_str(), method_rank(&a.method)).cmp(&(b.path.as_str(), method_rank(&b.method))));
        Ok(Api { endpoints })
    }

    /// Reads any input format straight into the model.
    pub fn parse(input: &[u8]) -> Result<Api> {
        Api::from_tree(&crate::apidoc::read(input)?)
    }

    /// The endpoint for `method` and `path`, if present.
    pub fn endpoint(&self, method: &str, path: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.method == method && e.path == path)
    }
}

/// Reads registered property-string formats: a JSON object mapping each format name to
/// the properties of its property string, in the apidoc's schema dialect. PVE registers
/// these formats by name and the apidoc only names them (`format: "pve-qm-boot"`), so their
/// keys are written down in `apidoc/formats.json`.
pub fn parse_registered_formats(input: &[u8]) -> Result<Vec<(String, Object)>> {
    let value: Value = serde_json::from_slice(input)
        .map_err(|source| Error::Json { what: "registered formats".to_owned(), source })?;
    let obj = value.as_object().ok_or_else(|| Error::schema("formats", "", "expected an object of formats"))?;
    let mut out = Vec::with_capacity(obj.len());
    for (name, props) in obj {
        let id = format!("format {name}");
        let cx = Cx { endpoint: &id };
        out.push((
            name.clone(),
            Object { properties: cx.properties(props, "format")?, additional_properties: Some(false) },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// GET, POST, PUT, DELETE: the order endpoints of one path are listed in.
pub fn method_rank(method: &str) -> usize {
    crate::apidoc::METHODS.iter().position(|m| *m == method).unwrap_or(usize::MAX)
}

const ENDPOINT_KEYS: [&str; 12] = [
    "allowtoken",
    "description",
    "download_allowed",
    "expose_credentials",
    "method",
    "name",
    "parameters",
    "permissions",
    "protected",
    "proxyto",
    "returns",
    "unstable",
];

fn read_endpoint(path: &str, method: &str, body: &Value) -> Result<Endpoint> {
    let id = format!("{method} {path}");
    let obj = body.as_object().ok_or_else(|| Error::schema(&id, "", "method is not an object"))?;
    for key in obj.keys() {
        if !ENDPOINT_KEYS.contains(&key.as_str()) {
            return Err(Error::schema(&id, key, "unknown key in a method object"));
        }
    }
    let cx = Cx { endpoint: &id };
    let parameters = match obj.get("parameters") {
        None | Some(Value::Null) => Object { properties: Vec::new(), additional_properties: None },
        Some(p) => cx.object_schema(p, "parameters")?,
    };
    let ep = Endpoint {
        method: method.to_owned(),
        path: path.to_owned(),
        name: cx.opt_string(obj, "name", "")?.unwrap_or_default(),
        description: cx.opt_string(obj, "description", "")?.unwrap_or_default(),
        parameters,
        returns: obj.get("returns").cloned().unwrap_or(Value::Null),
        permissions: obj.get("permissions").filter(|v| !v.is_null()).cloned(),
        protected: cx.flag(obj, "protected", "")?,
        allowtoken: cx.flag(obj, "allowtoken", "")?,
        proxyto: cx.opt_string(obj, "proxyto", "")?,
        expose_credentials: cx.flag(obj, "expose_credentials", "")?,
        download_allowed: cx.flag(obj, "download_allowed", "")?,
    };
    for name in ep.placeholders() {
        if name.is_empty() {
            return Err(Error::schema(&id, "path", "empty placeholder '{}'"));
        }
    }
    Ok(ep)
}

const SCHEMA_KEYS: [&str; 29] = [
    "additionalProperties",
    "alias",
    "default",
    "default_key",
    "description",
    "enum",
    "format",
    "format_description",
    "instance-types",
    "items",
    "keyAlias",
    "max",
    "maxLength",
    "maximum",
    "min",
    "minLength",
    "minimum",
    "oneOf",
    "optional",
    "pattern",
    "properties",
    "requires",
    "title",
    "type",
    "type-property",
    "typetext",
    "verbose_description",
    "renderer",
    "print_width",
];

/// Parsing context: the endpoint, for error messages.
struct Cx<'a> {
    endpoint: &'a str,
}

impl Cx<'_> {
    fn err(&self, prop: &str, message: impl Into<String>) -> Error {
        Error::schema(self.endpoint, prop, message)
    }

    fn object_schema(&self, value: &Value, at: &str) -> Result<Object> {
        let schema = self.schema(value, at)?;
        if schema.ty.is_some_and(|t| t != Type::Object) {
            return Err(self.err(at, "parameters must be an object schema"));
        }
        Ok(schema.properties.unwrap_or_default())
    }

    fn properties(&self, value: &Value, at: &str) -> Result<Vec<(String, Schema)>> {
        let obj = value.as_object().ok_or_else(|| self.err(at, "expected an object of properties"))?;
        let mut props = Vec::with_capacity(obj.len());
        for (name, schema) in obj {
            let here = format!("{at}.{name}");
            if name.is_empty() {
                return Err(self.err(&here, "empty property name"));
            }
            props.push((name.clone(), self.schema(schema, &here)?));
        }
        props.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(props)
    }

    fn schema(&self, value: &Value, at: &str) -> Result<Schema> {
        let obj = value.as_object().ok_or_else(|| self.err(at, format!("expected a schema object, got {value}")))?;
        for key in obj.keys() {
            if !SCHEMA_KEYS.contains(&key.as_str()) {
                return Err(self.err(&format!("{at}.{key}"), "unknown schema key"));
            }
        }
        let ty = match obj.get("type") {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) => Some(Type::parse(t).ok_or_else(|| self.err(at, format!("unknown type '{t}'")))?),
            Some(other) => return Err(self.err(at, format!("'type' must be a string, got {other}"))),
        };
        let enum_values = match obj.get("enum") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        other => Err(self.err(at, format!("enum value {other} is not a string or number"))),
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            Some(other) => return Err(self.err(at, format!("'enum' must be an array, got {other}"))),
        };
        let pattern = match self.opt_string(obj, "pattern", at)? {
            None => None,
            Some(perl) => {
                let t = translate_pattern(&perl).map_err(|m| self.err(&format!("{at}.pattern"), m))?;
                Some(Pattern { perl, rust: t.regex, chars: t.chars })
            }
        };
        let format = match obj.get("format") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(Format::Named(name.clone())),
            Some(v @ Value::Object(_)) => {
                let here = format!("{at}.format");
                Some(Format::PropertyString(Object {
                    properties: self.properties(v, &here)?,
                    additional_properties: Some(false),
                }))
            }
            Some(other) => return Err(self.err(at, format!("'format' must be a name or an object, got {other}"))),
        };
        let items = match obj.get("items") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Box::new(self.schema(v, &format!("{at}.items"))?)),
        };
        let additional_properties = self.opt_bool(obj, "additionalProperties", at)?;
        let properties = match obj.get("properties") {
            None | Some(Value::Null) if additional_properties.is_none() => None,
            None | Some(Value::Null) if ty.is_none() || ty == Some(Type::Object) => {
                Some(Object { properties: Vec::new(), additional_properties })
            }
            None | Some(Value::Null) => {
                return Err(self.err(at, "'additionalProperties' on a schema that is not an object"));
            }
            Some(v) => Some(Object { properties: self.properties(v, at)?, additional_properties }),
        };
        let one_of = match obj.get("oneOf") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(alts)) => alts
                .iter()
                .enumerate()
                .map(|(i, v)| self.schema(v, &format!("{at}.oneOf[{i}]")))
                .collect::<Result<_>>()?,
            Some(other) => return Err(self.err(at, format!("'oneOf' must be an array, got {other}"))),
        };
        let instance_types = match obj.get("instance-types") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| self.err(at, "instance-types must be strings")))
                .collect::<Result<_>>()?,
            Some(other) => return Err(self.err(at, format!("'instance-types' must be an array, got {other}"))),
        };
        let unchecked = ["max", "min", "renderer", "print_width"]
            .iter()
            .filter_map(|k| obj.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        Ok(Schema {
            ty,
            optional: self.flag(obj, "optional", at)?,
            default: obj.get("default").filter(|v| !v.is_null()).cloned(),
            description: self.opt_string(obj, "description", at)?,
            verbose_description: self.opt_string(obj, "verbose_description", at)?,
            title: self.opt_string(obj, "title", at)?,
            enum_values,
            minimum: self.opt_number(obj, "minimum", at)?,
            maximum: self.opt_number(obj, "maximum", at)?,
            min_length: self.opt_count(obj, "minLength", at)?,
            max_length: self.opt_count(obj, "maxLength", at)?,
            pattern,
            format,
            format_description: self.opt_string(obj, "format_description", at)?,
            typetext: self.opt_string(obj, "typetext", at)?,
            default_key: self.flag(obj, "default_key", at)?,
            alias: self.opt_string(obj, "alias", at)?,
            key_alias: self.opt_string(obj, "keyAlias", at)?,
            requires: self.opt_string(obj, "requires", at)?,
            instance_types,
            type_property: self.opt_string(obj, "type-property", at)?,
            items,
            properties,
            one_of,
            unchecked,
        })
    }

    fn opt_string(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<String>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.err(&join(at, key), format!("expected a string, got {other}"))),
        }
    }

    /// A Perl boolean: absent, `null`, `0`, `1`, `"0"`, `"1"`, `""`, `true`, `false`.
    fn opt_bool(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<bool>> {
        let v = match obj.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => v,
        };
        let b = match v {
            Value::Bool(b) => *b,
            Value::Number(n) if n.as_i64() == Some(0) => false,
            Value::Number(n) if n.as_i64() == Some(1) => true,
            Value::String(s) if s.is_empty() || s == "0" => false,
            Value::String(s) if s == "1" => true,
            other => return Err(self.err(&join(at, key), format!("expected a boolean (0 or 1), got {other}"))),
        };
        Ok(Some(b))
    }

    fn flag(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<bool> {
        Ok(self.opt_bool(obj, key, at)?.unwrap_or(false))
    }

    /// A number, possibly written as a string (`"16777216"`).
    fn opt_number(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<f64>> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| self.err(&join(at, key), format!("expected a number, got \"{s}\""))),
            Some(other) => Err(self.err(&join(at, key), format!("expected a number, got {other}"))),
        }
    }

    fn opt_count(&self, obj: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>> {
        match self.opt_number(obj, key, at)? {
            None => Ok(None),
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u32::MAX as f64 => Ok(Some(f as u64)),
            Some(f) => Err(self.err(&join(at, key), format!("expected a non-negative integer, got {f}"))),
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(params: &str) -> Result<Api> {
        let tree = format!(
            r#"[{{"path":"/t/{{id}}","info":{{"POST":{{"name":"t","description":"d","allowtoken":1,
            "protected":"1","parameters":{params},"returns":{{"type":"null"}}}}}}}}]"#
        );
        Api::parse(tree.as_bytes())
    }

    #[test]
    fn perl_quirks_are_read() {
        let a = api(r#"{"additionalProperties":0,"properties":{
                "id":{"type":"string"},
                "a":{"type":"boolean","optional":"1","default":"1"},
                "b":{"type":"integer","minimum":"1","maximum":"16777216","default":null},
                "c":{"type":"string","enum":null,"optional":1},
                "d":{"type":"number","minimum":0.5,"optional":1}}}"#)
        .unwrap();
        let ep = &a.endpoints[0];
        assert!(ep.protected && ep.allowtoken);
        assert_eq!(ep.parameters.additional_properties, Some(false));
        let p: std::collections::BTreeMap<_, _> = ep.parameters.properties.iter().cloned().collect();
        assert!(p["a"].optional);
        assert_eq!(p["a"].default, Some(Value::from("1")));
        assert_eq!((p["b"].minimum, p["b"].maximum, p["b"].default.clone()), (Some(1.0), Some(16777216.0), None));
        assert_eq!(p["c"].enum_values, None);
        assert_eq!(p["d"].minimum, Some(0.5));
        assert!(!p["id"].optional);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_place() {
        let err = api(r#"{"properties":{"x":{"type":"string","format":{"k":{"type":"string","frobnicate":1}}}}}"#)
            .unwrap_err();
        assert_eq!(err.to_string(), "POST /t/{id}, property 'parameters.x.format.k.frobnicate': unknown schema key");
        let err = api(r#"{"properties":{"x":{"type":"strnig"}}}"#).unwrap_err();
        assert_eq!(err.to_string(), "POST /t/{id}, property 'parameters.x': unknown type 'strnig'");
        let err = api(r#"{"properties":{"x":{"type":"integer","minimum":"lots"}}}"#).unwrap_err();
        assert!(err.to_string().contains("'parameters.x.minimum': expected a number, got \"lots\""), "{err}");
    }

    #[test]
    fn property_strings_and_one_of() {
        let a = api(r#"{"properties":{"net[n]":{"type":"string","format":{
                "model":{"type":"string","enum":["virtio","e1000"],"default_key":1},
                "e1000":{"alias":"macaddr","keyAlias":"model"},
                "macaddr":{"type":"string","optional":1}}},
              "delete":{"type":"array","type-property":"protocol","oneOf":[
                {"type":"array","instance-types":["bgp"],"items":{"type":"string","enum":["x"]}}]}}}"#)
        .unwrap();
        let props = &a.endpoints[0].parameters.properties;
        let Some(Format::PropertyString(obj)) = &props[1].1.format else { panic!("not a property string") };
        assert_eq!(obj.properties.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["e1000", "macaddr", "model"]);
        assert_eq!(obj.properties[0].1.key_alias.as_deref(), Some("model"));
        assert!(obj.properties[2].1.default_key);
        let del = &props[0].1;
        assert_eq!(del.type_property.as_deref(), Some("protocol"));
        assert_eq!(del.one_of[0].instance_types, ["bgp"]);
    }

    #[test]
    fn bad_patterns_name_the_place() {
        let err = api(r#"{"properties":{"x":{"type":"string","pattern":"(a)\\1"}}}"#).unwrap_err();
        assert!(err.to_string().starts_with("POST /t/{id}, property 'parameters.x.pattern': "), "{err}");
    }
}
