//! Validating a call (method, path, parameters) the way PVE would, and encoding it for the
//! wire.
//!
//! Values may arrive as JSON types or as the strings a form carries. Each JSON value is
//! first turned into the text PVE would receive (`true` -> `1`, `4.0` -> `4`, an object for
//! a property-string parameter -> `key=value,...`, an array for a `-list` format -> items
//! joined by commas), and that text is checked with PVE's rules ([`super::value`]). What is
//! accepted is exactly what is sent, so the verdict is the one PVE would give on it.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use super::path::{self, PathError, Resolved};
use super::propstring;
use super::types::{Additional, Endpoint, Format, Method, Prop, Schema, Type};
use super::value::{self, Level, Name, Problem, closest};

/// Methods whose apidoc says "no parameters" (`additionalProperties: 0` and no properties)
/// but which PVE lets take any parameter (see PVE-SEMANTICS.md).
const ACCEPTS_ANY: [(Method, &str); 5] = [
    (Method::Get, "/access/ticket"),
    (Method::Get, "/cluster/firewall"),
    (Method::Get, "/cluster/firewall/options"),
    (Method::Get, "/cluster/firewall/macros"),
    (Method::Get, "/cluster/notifications/matcher-field-values"),
];

/// The indices PVE defines for indexed parameters (`net[n]` is `net0`..`net31`).
const INDEX_RANGES: [(&str, u32); 17] = [
    ("acmedomain", 5),
    ("dev", 255),
    ("hostpci", 15),
    ("ide", 3),
    ("ipconfig", 31),
    ("link", 7),
    ("mp", 255),
    ("net", 31),
    ("numa", 7),
    ("parallel", 2),
    ("sata", 5),
    ("scsi", 30),
    ("serial", 3),
    ("unused", 255),
    ("usb", 13),
    ("virtio", 15),
    ("virtiofs", 9),
];

/// The highest index of an indexed parameter stem (255 for stems PVE-SEMANTICS.md does not
/// list, the most any has).
pub fn max_index(stem: &str) -> u32 {
    INDEX_RANGES.iter().find(|(s, _)| *s == stem).map_or(255, |(_, n)| *n)
}

/// A call that passed validation, ready to send.
#[derive(Debug, Clone)]
pub struct ValidCall {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// The concrete path, each placeholder percent-encoded.
    pub path: String,
    /// The parameters as wire pairs (query for GET/DELETE, form body for POST/PUT), sorted
    /// by name; array items as repeated keys.
    pub params: Vec<(String, String)>,
    /// Each path placeholder's decoded value (`vmid` -> `100`).
    pub placeholders: Vec<(&'static str, String)>,
}

impl ValidCall {
    /// The endpoint's `permissions` JSON with this call's placeholder values filled in
    /// (`/vms/{vmid}` -> `/vms/100`), so a 403 names the concrete object.
    pub fn permissions(&self) -> Option<String> {
        let mut text = self.endpoint.permissions_json?.to_owned();
        for (name, value) in &self.placeholders {
            let escaped = serde_json::to_string(value).unwrap_or_default();
            text = text.replace(&format!("{{{name}}}"), escaped.trim_matches('"'));
        }
        Some(text)
    }
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The path or method did not resolve.
    Path(PathError),
    /// The parameters are not an object.
    BadData(String),
    /// One or more parameters are invalid.
    Params(ParamErrors),
}

/// Every problem with a call's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamErrors {
    /// `METHOD /path/template`.
    pub endpoint: String,
    /// The problems, sorted by name.
    pub problems: Vec<Problem>,
    /// How to write each parameter that had a problem: (parameter, typetext or format
    /// description), sorted.
    pub hints: Vec<(String, String)>,
}

impl CallError {
    /// The problems as `param -> message` (path problems under `(path)`).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        match self {
            CallError::Path(e) => BTreeMap::from([("(path)".to_owned(), e.to_string())]),
            CallError::BadData(m) => BTreeMap::from([("(data)".to_owned(), m.clone())]),
            CallError::Params(p) => {
                let mut map = BTreeMap::new();
                for pr in &p.problems {
                    map.entry(pr.name.clone())
                        .and_modify(|m: &mut String| {
                            m.push_str("; ");
                            m.push_str(&pr.message);
                        })
                        .or_insert_with(|| pr.message.clone());
                }
                map
            }
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Path(e) => write!(f, "{e}"),
            CallError::BadData(m) => write!(f, "{m}"),
            CallError::Params(p) => {
                let n = p.problems.len();
                write!(f, "{}: {n} invalid parameter{}", p.endpoint, if n == 1 { "" } else { "s" })?;
                for pr in &p.problems {
                    write!(f, "\n- '{}': {}", pr.name, pr.message)?;
                }
                if !p.hints.is_empty() {
                    write!(f, "\nHow to write them:")?;
                    for (name, hint) in &p.hints {
                        write!(f, "\n- {name}: {hint}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CallError {}

/// Resolves and validates a call. `data` is the parameters object (or `null`/absent).
pub fn validate_call(method: &str, raw_path: &str, data: Option<&Value>) -> Result<ValidCall, CallError> {
    let resolved = path::resolve(method, raw_path).map_err(CallError::Path)?;
    let empty = Map::new();
    let params = match data {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(CallError::BadData(format!(
                "'data' must be a JSON object of parameters, got {}",
                json_kind(other)
            )));
        }
    };
    validate_resolved(&resolved, params)
}

/// Validates the parameters of a resolved call.
pub fn validate_resolved(resolved: &Resolved, params: &Map<String, Value>) -> Result<ValidCall, CallError> {
    let ep = resolved.endpoint;
    let mut problems: Vec<Problem> = Vec::new();
    // Every parameter as PVE will see it: placeholders first (PVE merges them in).
    let mut given: Vec<Given<'_>> = Vec::with_capacity(resolved.placeholders.len() + params.len());
    for (name, v) in &resolved.placeholders {
        given.push(Given { name, prop: lookup(ep, name), wire: Wire::One(Cow::Borrowed(v)), placeholder: true });
    }
    for (name, v) in params {
        let prop = lookup(ep, name);
        let wire = match to_wire(name, prop, v) {
            Ok(Some(w)) => w,
            Ok(None) => continue,
            Err(p) => {
                problems.extend(p);
                continue;
            }
        };
        if let Some((_, pv)) = resolved.placeholders.iter().find(|(p, _)| p == name) {
            match &wire {
                Wire::One(s) if s == pv => {}
                _ => problems.push(Problem::new(
                    name.as_str(),
                    format!("the path gives {}, but data gives {}", value::show(name, pv), wire.show(name)),
                )),
            }
            continue;
        }
        given.push(Given { name, prop, wire, placeholder: false });
    }
    let additional =
        if ACCEPTS_ANY.contains(&(ep.method, ep.path)) { Additional::Allowed } else { ep.params.additional };
    let mut sent: Vec<(String, String)> = Vec::with_capacity(given.len());
    for g in &given {
        match g.prop {
            // An undeclared placeholder (`{url_seq}`) takes any value.
            None if g.placeholder => {}
            None if additional == Additional::Denied => problems.push(Problem::new(g.name, unknown_param(ep, g.name))),
            None => g.wire.push_to(g.name, &mut sent),
            Some(prop) => {
                let before = problems.len();
                check_param(g.name, prop.schema, &g.wire, &given, &mut problems);
                if problems.len() == before && !g.placeholder {
                    g.wire.push_to(g.name, &mut sent);
                }
            }
        }
    }
    for prop in ep.params.props {
        if !prop.schema.optional && !prop.indexed && !given.iter().any(|g| g.name == prop.name) {
            problems.push(Problem::new(prop.name, "is required but missing".to_owned()));
        }
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(CallError::Params(ParamErrors { endpoint: ep.id(), hints: hints(ep, &problems), problems }));
    }
    sent.sort();
    Ok(ValidCall {
        endpoint: ep,
        path: resolved.concrete_path(),
        params: sent,
        placeholders: resolved.placeholders.clone(),
    })
}

/// How to write each parameter that had a problem (typetext or format description).
fn hints(ep: &Endpoint, problems: &[Problem]) -> Vec<(String, String)> {
    let mut hints: Vec<(String, String)> = Vec::new();
    for p in problems {
        let top = p.name.split('.').next().unwrap_or(&p.name);
        if let Some(prop) = lookup(ep, top) {
            let hint = prop.schema.format_description.or(prop.schema.typetext);
            if let Some(h) = hint.filter(|h| *h != "<string>") {
                let entry = (top.to_owned(), h.to_owned());
                if !hints.contains(&entry) {
                    hints.push(entry);
                }
            }
        }
    }
    hints
}

/// One parameter of a call, as PVE will see it.
struct Given<'a> {
    name: &'a str,
    prop: Option<&'static Prop>,
    wire: Wire<'a>,
    /// It came from the path.
    placeholder: bool,
}

/// A parameter's wire form: one value, or several (an array, sent as repeated keys).
#[derive(Debug, Clone)]
enum Wire<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl Wire<'_> {
    fn push_to(&self, name: &str, out: &mut Vec<(String, String)>) {
        match self {
            Wire::One(s) => out.push((name.to_owned(), s.to_string())),
            Wire::Many(items) => out.extend(items.iter().map(|s| (name.to_owned(), s.to_string()))),
        }
    }

    fn show(&self, name: &str) -> String {
        match self {
            Wire::One(s) => value::show(name, s),
            Wire::Many(items) => format!("a list of {}", items.len()),
        }
    }
}

/// The schema of a parameter name, resolving indexed names (`net3` -> `net[n]`).
fn lookup(ep: &Endpoint, name: &str) -> Option<&'static Prop> {
    if let Some(p) = ep.params.get(name) {
        return Some(p);
    }
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem.len() == name.len() {
        return None;
    }
    let prop = ep.params.get_indexed(stem)?;
    index_of(stem, name).map(|_| prop)
}

/// The index of `name` for `stem` when it is a valid one (`net07` and `net32` are not).
fn index_of(stem: &str, name: &str) -> Option<u32> {
    let digits = name.strip_prefix(stem)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    (n <= max_index(stem)).then_some(n)
}

fn unknown_param(ep: &Endpoint, name: &str) -> String {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if stem != name && ep.params.get_indexed(stem).is_some() {
        return format!("is not a parameter of this method ({stem} takes {stem}0 to {stem}{})", max_index(stem));
    }
    let names: Vec<String> = ep
        .params
        .props
        .iter()
        .filter(|p| !ep.segments.iter().any(|s| matches!(s, super::types::Segment::Placeholder(x) if *x == p.name)))
        .map(|p| if p.indexed { format!("{}[n]", p.name) } else { p.name.to_owned() })
        .collect();
    if names.is_empty() {
        return "is not a parameter of this method (it takes none)".to_owned();
    }
    let mut msg = "is not a parameter of this method".to_owned();
    if let Some(close) = closest(name, names.iter().map(String::as_str)) {
        msg.push_str(&format!(" (did you mean '{close}'?)"));
    } else if names.len() <= 12 {
        msg.push_str(&format!(" (expected one of {})", names.join(", ")));
    } else {
        msg.push_str(" (see proxmox_api_describe for its parameters)");
    }
    msg
}

/// Turns a JSON value into what goes on the wire, or explains why it cannot.
fn to_wire<'a>(name: &str, prop: Option<&'static Prop>, v: &'a Value) -> Result<Option<Wire<'a>>, Vec<Problem>> {
    let schema = prop.map(|p| p.schema);
    let scalar = |v: &'a Value| -> Option<Cow<'a, str>> {
        match v {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
            Value::Number(n) => Some(Cow::Owned(number_text(n, schema.map(|s| s.ty)))),
            _ => None,
        }
    };
    match v {
        Value::Null => Ok(None),
        Value::String(_) | Value::Bool(_) | Value::Number(_) => Ok(scalar(v).map(Wire::One)),
        Value::Array(items) => {
            let is_array = schema.is_some_and(|s| s.ty == Type::Array);
            let is_list = schema.is_some_and(|s| matches!(s.format, Format::Named(f) if f.ends_with("-list")));
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                match scalar(item) {
                    Some(t) => texts.push(t),
                    None => {
                        return Err(vec![Problem::new(
                            name,
                            format!("expected a list of strings or numbers, got a list with {}", json_kind(item)),
                        )]);
                    }
                }
            }
            if is_array || schema.is_none() {
                Ok(Some(Wire::Many(texts)))
            } else if is_list {
                Ok(Some(Wire::One(Cow::Owned(texts.join(",")))))
            } else {
                Err(vec![Problem::new(name, format!("expected {}, got a list", describe_type(schema)))])
            }
        }
        Value::Object(obj) => {
            let keys = schema.and_then(|s| match s.format {
                Format::PropertyString(o) => Some(o),
                Format::Named(f) => match super::formats::check(f, "") {
                    super::formats::Verdict::PropertyString(o) => Some(o),
                    _ => None,
                },
                Format::None => None,
            });
            match keys {
                Some(keys) => propstring::from_object(name, keys, obj).map(|s| Some(Wire::One(Cow::Owned(s)))),
                None if schema.is_some_and(|s| matches!(s.ty, Type::Object | Type::Any)) || schema.is_none() => {
                    Ok(Some(Wire::One(Cow::Owned(Value::Object(obj.clone()).to_string()))))
                }
                None => Err(vec![Problem::new(name, format!("expected {}, got an object", describe_type(schema)))]),
            }
        }
    }
}

/// JSON number text; an integral float for an integer parameter is written as an integer.
fn number_text(n: &serde_json::Number, ty: Option<Type>) -> String {
    if ty == Some(Type::Integer)
        && let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15 && !n.is_i64() && !n.is_u64())
    {
        return format!("{}", f as i64);
    }
    n.to_string()
}

fn describe_type(schema: Option<&Schema>) -> String {
    match schema.map(|s| s.ty) {
        Some(Type::Integer) => "an integer".to_owned(),
        Some(Type::Number) => "a number".to_owned(),
        Some(Type::Boolean) => "a boolean".to_owned(),
        Some(Type::Array) => "a list".to_owned(),
        _ => "a string".to_owned(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Checks one given parameter: instance types, `requires`, then its value(s).
fn check_param(name: &str, schema: &'static Schema, wire: &Wire<'_>, given: &[Given<'_>], out: &mut Vec<Problem>) {
    let value_of = |param: &str| -> Option<&str> {
        given.iter().find(|g| g.name == param).and_then(|g| match &g.wire {
            Wire::One(s) => Some(s.as_ref()),
            Wire::Many(_) => None,
        })
    };
    if let (Some(tp), false) = (schema.type_property, schema.instance_types.is_empty())
        && let Some(t) = value_of(tp)
        && !schema.instance_types.contains(&t)
    {
        out.push(Problem::new(
            name,
            format!("is only allowed when '{tp}' is {}, and '{tp}' is '{t}'", schema.instance_types.join(" or ")),
        ));
        return;
    }
    if let Some(required) = schema.requires
        && !given.iter().any(|g| g.name == required)
    {
        out.push(Problem::new(required, format!("is required when '{name}' is given")));
    }
    if !schema.one_of.is_empty() {
        let chosen: Vec<&'static Schema> = match schema.type_property.and_then(value_of) {
            Some(t) => schema.one_of.iter().copied().filter(|s| s.instance_types.contains(&t)).collect(),
            None => schema.one_of.to_vec(),
        };
        // Valid when any applicable variant accepts it; otherwise report the first's problems.
        let mut first = None;
        for variant in &chosen {
            let mut probs = Vec::new();
            check_value(name, variant, wire, &mut probs);
            if probs.is_empty() {
                return;
            }
            first.get_or_insert(probs);
        }
        match first {
            Some(p) => out.extend(p),
            None => out.push(Problem::new(name, "is not allowed for this type".to_owned())),
        }
        return;
    }
    check_value(name, schema, wire, out);
}

fn check_value(name: &str, schema: &'static Schema, wire: &Wire<'_>, out: &mut Vec<Problem>) {
    let top = Name::top(name);
    match (schema.ty, wire) {
        (Type::Array, _) => {
            let items: Vec<&str> = match wire {
                Wire::One(s) => vec![s.as_ref()],
                Wire::Many(v) => v.iter().map(|s| s.as_ref()).collect(),
            };
            if let Some(item_schema) = schema.items {
                for (i, item) in items.into_iter().enumerate() {
                    let before = out.len();
                    value::check(top, item_schema, item, Level::Top, out);
                    for p in &mut out[before..] {
                        if p.name == name {
                            p.message = format!("item {}: {}", i + 1, p.message);
                        }
                    }
                }
            }
        }
        (_, Wire::One(s)) => value::check(top, schema, s, Level::Top, out),
        (_, Wire::Many(items)) => {
            // A list for a `-list` format was joined already; any other list is one value
            // per item, each checked.
            for item in items {
                value::check(top, schema, item, Level::Top, out);
            }
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
