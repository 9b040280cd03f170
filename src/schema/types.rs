//! The types of the generated schema tables.
//!
//! `codegen` emits static data of these types from the vendored PVE schema (see
//! `apidoc/README.md`). Everything here is plain data; behaviour lives in the other modules
//! of `schema`, which are hand-written and tested with hand-written tables.

use std::fmt;

/// An HTTP method of the PVE API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// Read.
    Get,
    /// Create or act.
    Post,
    /// Update.
    Put,
    /// Remove.
    Delete,
}

impl Method {
    /// Every method, in the order PVE lists them.
    pub const ALL: [Method; 4] = [Method::Get, Method::Post, Method::Put, Method::Delete];

    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Parses a method name, case-insensitively.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One segment of a path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// A fixed segment (`nodes`).
    Literal(&'static str),
    /// A placeholder (`{node}`), by name.
    Placeholder(&'static str),
}

/// One method on one path.
#[derive(Debug)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path template, e.g. `/nodes/{node}/qemu/{vmid}/config`.
    pub path: &'static str,
    /// The template split into segments.
    pub segments: &'static [Segment],
    /// PVE's handler name.
    pub name: &'static str,
    /// What the method does.
    pub description: &'static str,
    /// The parameters, path placeholders included.
    pub params: &'static Object,
    /// The parameters as JSON Schema text (with descriptions), for `describe`.
    pub params_json: &'static str,
    /// PVE's `returns` schema as JSON text.
    pub returns_json: &'static str,
    /// PVE's `permissions` object as JSON text, when stated.
    pub permissions_json: Option<&'static str>,
    /// Runs in PVE's privileged daemon.
    pub protected: bool,
    /// API tokens may call it.
    pub allowtoken: bool,
    /// The parameter naming the node PVE proxies the call to.
    pub proxyto: Option<&'static str>,
    /// May return credentials.
    pub expose_credentials: bool,
    /// Serves file downloads.
    pub download_allowed: bool,
}

impl Endpoint {
    /// `METHOD /path`.
    pub fn id(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// An object schema: properties and the rule for others.
#[derive(Debug)]
pub struct Object {
    /// Properties sorted by (name, indexed).
    pub props: &'static [Prop],
    /// What happens to keys that are not listed.
    pub additional: Additional,
}

impl Object {
    /// The plain (not indexed) property of this name.
    pub fn get(&self, name: &str) -> Option<&'static Prop> {
        self.find(name, false)
    }

    /// The indexed property with this stem (`net` for `net[n]`).
    pub fn get_indexed(&self, stem: &str) -> Option<&'static Prop> {
        self.find(stem, true)
    }

    fn find(&self, name: &str, indexed: bool) -> Option<&'static Prop> {
        let key = name.as_bytes();
        self.props
            .binary_search_by(|p| {
                let probe = p.name.as_bytes();
                // Most probes differ in the first byte: decide those without a memcmp call.
                match (probe.first(), key.first()) {
                    (Some(a), Some(b)) if a != b => a.cmp(b),
                    _ => probe.cmp(key).then(p.indexed.cmp(&indexed)),
                }
            })
            .ok()
            .map(|i| &self.props[i])
    }
}

/// `additionalProperties` of an object schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Additional {
    /// `additionalProperties: 0`: unknown keys are refused.
    Denied,
    /// `additionalProperties: 1`: unknown keys are accepted.
    Allowed,
    /// The schema does not say.
    Unspecified,
}

/// A named property.
#[derive(Debug)]
pub struct Prop {
    /// The name; for indexed properties the stem (`net` for `net[n]`).
    pub name: &'static str,
    /// Whether the schema names it `name[n]`: `net0`, `net1`, ... are meant.
    pub indexed: bool,
    /// Its schema.
    pub schema: &'static Schema,
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
    /// The schema states no type (alias-only property-string keys).
    Unspecified,
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
            Type::Unspecified => "unspecified",
        }
    }
}

/// A string format.
#[derive(Debug)]
pub enum Format {
    /// No format.
    None,
    /// A named format (`pve-node`, `pve-vmid-list`, `ipv4`, ...).
    Named(&'static str),
    /// A property string (`key=value,...`) with these keys.
    PropertyString(&'static Object),
}

/// A pattern: PVE's Perl source and its anchored Rust translation.
#[derive(Debug)]
pub struct Pattern {
    /// Index into [`super::PATTERNS`], for the compiled-regex cache.
    pub index: usize,
    /// As written in the schema.
    pub perl: &'static str,
    /// Rust `regex` syntax with PVE's `m/^...$/` semantics.
    pub regex: &'static str,
    /// When set, the value's length in characters (without one final newline) must also
    /// lie in this inclusive range: long repeats of one class are checked this way.
    pub chars: Option<(u32, u32)>,
}

/// The schema of one value (without descriptions: those live in [`Endpoint::params_json`]).
#[derive(Debug)]
pub struct Schema {
    /// The declared type.
    pub ty: Type,
    /// Whether the value may be omitted.
    pub optional: bool,
    /// The default as JSON text.
    pub default: Option<&'static str>,
    /// Allowed values.
    pub enum_values: Option<&'static [&'static str]>,
    /// Inclusive lower bound.
    pub minimum: Option<f64>,
    /// Inclusive upper bound.
    pub maximum: Option<f64>,
    /// Minimum string length.
    pub min_length: Option<u32>,
    /// Maximum string length.
    pub max_length: Option<u32>,
    /// Pattern the whole value must match.
    pub pattern: Option<&'static Pattern>,
    /// Named format or property-string keys.
    pub format: Format,
    /// How the property string is written.
    pub format_description: Option<&'static str>,
    /// PVE's short type text.
    pub typetext: Option<&'static str>,
    /// In a property string: may be written without `key=`.
    pub default_key: bool,
    /// In a property string: another name for this key.
    pub alias: Option<&'static str>,
    /// In a property string: writing this key sets the named key to this key's name.
    pub key_alias: Option<&'static str>,
    /// A parameter that must be present when this one is.
    pub requires: Option<&'static str>,
    /// Values of `type_property` for which this schema applies.
    pub instance_types: &'static [&'static str],
    /// The parameter whose value selects the instance schema.
    pub type_property: Option<&'static str>,
    /// Schema of array items.
    pub items: Option<&'static Schema>,
    /// Properties of an object value.
    pub properties: Option<&'static Object>,
    /// Alternatives selected by `type_property`.
    pub one_of: &'static [&'static Schema],
    /// Keys PVE carries but does not check (`min`, `max`), as (key, JSON text).
    pub unchecked: &'static [(&'static str, &'static str)],
}
