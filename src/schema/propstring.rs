//! Property strings: `virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0,firewall=1`.
//!
//! Parsing follows PVE's `parse_property_string`: parts are separated by commas (a value in
//! double quotes may contain commas); blank parts are skipped; `key=value` sets a key (the
//! value must not be empty); a part without `=` sets the format's default key; `alias` keys
//! stand for another key, and a `keyAlias` key also sets the aliased key to its own name
//! (`e1000=MAC` means `model=e1000,macaddr=MAC`); unknown and duplicate keys are errors.
//! Then every key is checked against its schema, with property-string boolean spellings.

use serde_json::Value;
use std::borrow::Cow;

use super::formats;
use super::types::{Object, Prop, Type};
use super::value::{self, Level, Name, Problem, closest};

/// Parses and checks `text` against the property-string `keys`; problems are named
/// `name.key` (or `name` for syntax errors). `format` names a registered format, whose
/// extra rules are applied too.
pub fn check(name: &str, keys: &'static Object, format: Option<&str>, text: &str, out: &mut Vec<Problem>) {
    let pairs = match parse(name, keys, text) {
        Ok(pairs) => pairs,
        Err(problem) => return out.push(problem),
    };
    for (prop, v) in &pairs {
        value::check(Name::nested(name, prop.name), prop.schema, v, Level::PropertyString, out);
        if let Some(required) = prop.schema.requires
            && !pairs.iter().any(|(p, _)| p.name == required)
        {
            out.push(Problem::new(format!("{name}.{required}"), format!("is required when '{}' is given", prop.name)));
        }
    }
    for prop in keys.props {
        if !prop.schema.optional && prop.schema.alias.is_none() && !pairs.iter().any(|(p, _)| std::ptr::eq(*p, prop)) {
            out.push(Problem::new(format!("{name}.{}", prop.name), "is required but missing".to_owned()));
        }
    }
    if let Some(format) = format {
        let flat: Vec<(&str, &str)> = pairs.iter().map(|(p, v)| (p.name, v.as_ref())).collect();
        for (key, expected) in formats::extra_rules(format, &flat) {
            let message = match flat.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => format!("expected {expected}, got {}", value::show(&key, v)),
                None => format!("expected {expected}"),
            };
            out.push(Problem::new(format!("{name}.{key}"), message));
        }
    }
}

/// Splits a property string into (key, value) pairs resolved through aliases.
pub fn parse<'a>(
    name: &str,
    keys: &'static Object,
    text: &'a str,
) -> Result<Vec<(&'static Prop, Cow<'a, str>)>, Problem> {
    let mut pairs: Vec<(&'static Prop, Cow<'a, str>)> = Vec::with_capacity(8);
    let err = |msg: String| Err(Problem::new(name, msg));
    for part in split_parts(text).map_err(|m| Problem::new(name, m))? {
        if part.trim().is_empty() {
            continue;
        }
        match part.split_once('=') {
            Some((k, v)) => {
                if k.is_empty() {
                    return err(format!("expected key=value, got '{part}' (missing key)"));
                }
                if v.is_empty() {
                    return err(format!("expected a value for key '{k}' (write {k}=<value> or leave it out)"));
                }
                let Some(mut prop) = keys.get(k) else {
                    return err(unknown_key(keys, k));
                };
                if let Some(target) = prop.schema.alias {
                    if let Some(key_alias) = prop.schema.key_alias {
                        let Some(alias_prop) = keys.get(key_alias) else { return err(unknown_key(keys, key_alias)) };
                        if pairs.iter().any(|(p, _)| std::ptr::eq(*p, alias_prop)) {
                            return err(format!("duplicate key '{key_alias}' (set by '{k}')"));
                        }
                        pairs.push((alias_prop, Cow::Borrowed(k)));
                    }
                    let Some(target_prop) = keys.get(target) else { return err(unknown_key(keys, target)) };
                    prop = target_prop;
                }
                if pairs.iter().any(|(p, _)| std::ptr::eq(*p, prop)) {
                    return err(format!("duplicate key '{}'", prop.name));
                }
                let mut v = unquote(v);
                if prop.schema.ty == Type::Boolean
                    && let Some(b) = value::parse_boolean(&v)
                {
                    v = Cow::Borrowed(if b { "1" } else { "0" });
                }
                pairs.push((prop, v));
            }
            None => {
                let Some(default) = keys.props.iter().find(|p| p.schema.default_key) else {
                    return err(format!(
                        "'{}' has no key, and this format has no default key (write key=value; keys: {})",
                        part,
                        key_list(keys)
                    ));
                };
                if pairs.iter().any(|(p, _)| std::ptr::eq(*p, default)) {
                    return err(format!(
                        "duplicate key '{}' ('{part}' has no key, so it sets the default key)",
                        default.name
                    ));
                }
                pairs.push((default, unquote(part)));
            }
        }
    }
    Ok(pairs)
}

/// Splits on commas outside double quotes.
fn split_parts(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut start, mut in_quote, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match (in_quote, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, _, '"') => in_quote = !in_quote,
            (false, _, ',') => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quote {
        return Err("has an unterminated double quote".to_owned());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn unquote(v: &str) -> Cow<'_, str> {
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if v.len() >= 2 => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(v),
    }
}

fn key_list(keys: &Object) -> String {
    let names: Vec<&str> = keys.props.iter().map(|p| p.name).collect();
    names.join(", ")
}

fn unknown_key(keys: &Object, k: &str) -> String {
    let mut msg = format!("unknown key '{k}' (expected one of {})", key_list(keys));
    if let Some(close) = closest(k, keys.props.iter().map(|p| p.name)) {
        msg.push_str(&format!("; did you mean '{close}'?"));
    }
    msg
}

/// Writes a JSON object as a property string: the default key first, then the other keys
/// in schema order, each as `key=value`. Booleans become `1`/`0`, arrays are joined with
/// `;` (PVE's list separator inside property strings), and a value with a comma or quote
/// is quoted. Unknown keys and nested objects are problems named `name.key`.
pub fn from_object(
    name: &str,
    keys: &'static Object,
    obj: &serde_json::Map<String, Value>,
) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parts: Vec<(bool, usize, String)> = Vec::new();
    for (k, v) in obj {
        let Some(prop) = keys.get(k) else {
            problems.push(Problem::new(format!("{name}.{k}"), unknown_key(keys, k)));
            continue;
        };
        let text = match v {
            Value::Null => continue,
            Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            Value::Array(items) => {
                let mut texts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => texts.push(s.clone()),
                        Value::Number(n) => texts.push(n.to_string()),
                        _ => {
                            problems.push(Problem::new(
                                format!("{name}.{k}"),
                                "expected a list of strings or numbers".to_owned(),
                            ));
                            break;
                        }
                    }
                }
                texts.join(";")
            }
            Value::Object(_) => {
                problems.push(Problem::new(
                    format!("{name}.{k}"),
                    "expected a string, number or boolean, got an object".to_owned(),
                ));
                continue;
            }
        };
        let position = keys.props.iter().position(|p| std::ptr::eq(p, prop)).unwrap_or(usize::MAX);
        parts.push((!prop.schema.default_key, position, format!("{k}={}", quote(&text))));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    parts.sort();
    Ok(parts.into_iter().map(|(_, _, p)| p).collect::<Vec<_>>().join(","))
}

fn quote(v: &str) -> String {
    if v.contains([',', '"']) { format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")) } else { v.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ENDPOINTS;
    use crate::schema::types::{Endpoint, Format, Method};

    fn qemu_create() -> &'static Endpoint {
        ENDPOINTS.iter().find(|e| e.method == Method::Post && e.path == "/nodes/{node}/qemu").unwrap()
    }

    fn net() -> &'static Object {
        match qemu_create().params.get_indexed("net").unwrap().schema.format {
            Format::PropertyString(o) => o,
            _ => panic!("net is a property string"),
        }
    }

    fn problems(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        check("net0", net(), None, text, &mut out);
        out.sort();
        out.into_iter().map(|p| format!("'{}': {}", p.name, p.message)).collect()
    }

    #[test]
    fn default_key_alias_and_key_alias() {
        assert!(problems("virtio,bridge=vmbr0,firewall=1").is_empty());
        assert!(problems("model=virtio,bridge=vmbr0,firewall=yes,tag=100").is_empty());
        let pairs = parse("net0", net(), "e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr0").unwrap();
        let flat: Vec<(&str, &str)> = pairs.iter().map(|(p, v)| (p.name, v.as_ref())).collect();
        assert_eq!(flat, [("model", "e1000"), ("macaddr", "AA:BB:CC:DD:EE:FF"), ("bridge", "vmbr0")]);
        // Blank parts are skipped, as PVE does.
        assert!(problems("virtio,,bridge=vmbr0,").is_empty());
    }

    #[test]
    fn unknown_duplicate_and_missing_keys() {
        assert_eq!(
            problems("virtio,brige=vmbr0")[0],
            format!("'net0': unknown key 'brige' (expected one of {}); did you mean 'bridge'?", key_list(net()))
        );
        assert_eq!(problems("virtio,bridge=a,bridge=b"), ["'net0': duplicate key 'bridge'"]);
        assert_eq!(
            problems("virtio,e1000"),
            ["'net0': duplicate key 'model' ('e1000' has no key, so it sets the default key)"]
        );
        assert_eq!(problems("e1000=AA:BB:CC:DD:EE:FF,model=virtio"), ["'net0': duplicate key 'model'"]);
        assert_eq!(problems("bridge=vmbr0"), ["'net0.model': is required but missing"]);
        assert_eq!(
            problems("virtio,bridge="),
            ["'net0': expected a value for key 'bridge' (write bridge=<value> or leave it out)"]
        );
        assert_eq!(problems("virtio,=x"), ["'net0': expected key=value, got '=x' (missing key)"]);
    }

    #[test]
    fn values_are_checked_per_key() {
        assert_eq!(problems("virtio,tag=5000"), ["'net0.tag': expected an integer of at most 4094, got '5000'"]);
        assert_eq!(
            problems("virtio,firewall=maybe"),
            ["'net0.firewall': expected a boolean (1/0, yes/no, on/off, true/false), got 'maybe'"]
        );
        let p = problems("virtoi");
        assert!(p[0].starts_with("'net0.model': expected one of "), "{p:?}");
        assert!(p[0].ends_with("(did you mean 'virtio'?), got 'virtoi'"), "{p:?}");
        assert_eq!(problems("virtio,tag=0,firewall=2").len(), 2);
    }

    #[test]
    fn registered_formats_run_their_extra_rules() {
        let cpu = match qemu_create().params.get("cpu").unwrap().schema.format {
            Format::Named(f) => f,
            _ => panic!("cpu is a named format"),
        };
        let crate::schema::formats::Verdict::PropertyString(keys) = crate::schema::formats::check(cpu, "") else {
            panic!()
        };
        let mut out = Vec::new();
        check("cpu", keys, Some(cpu), "hots", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name, "cpu.cputype");
        assert!(
            out[0].message.starts_with("expected a built-in CPU type") && out[0].message.ends_with(", got 'hots'"),
            "{}",
            out[0].message
        );
        let mut out = Vec::new();
        check("cpu", keys, Some(cpu), "custom-mine,flags=+aes", &mut out);
        assert!(out.is_empty(), "custom models are for the cluster to judge: {out:?}");
    }

    #[test]
    fn quoting() {
        assert_eq!(split_parts(r#"a="x,y",b=2"#).unwrap(), [r#"a="x,y""#, "b=2"]);
        assert_eq!(unquote(r#""x,\"y\"""#), r#"x,"y""#);
        assert!(split_parts(r#"a="x"#).is_err());
        assert_eq!(quote("a,b"), r#""a,b""#);
        assert_eq!(quote("plain"), "plain");
    }

    #[test]
    fn objects_serialise_default_key_first() {
        let obj = serde_json::json!({"bridge": "vmbr0", "firewall": true, "model": "virtio", "tag": 10, "skip": null});
        let obj = obj.as_object().unwrap().clone();
        let mut obj = obj;
        obj.remove("skip");
        let text = from_object("net0", net(), &obj).unwrap();
        assert_eq!(text, "model=virtio,bridge=vmbr0,firewall=1,tag=10");
        assert!(problems(&text).is_empty());
        let bad = serde_json::json!({"model": "virtio", "brige": "x", "tag": {"a": 1}});
        let errs = from_object("net0", net(), bad.as_object().unwrap()).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().any(|p| p.name == "net0.brige" && p.message.contains("did you mean 'bridge'")));
    }
}
