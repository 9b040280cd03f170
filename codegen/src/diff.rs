//! A Markdown changelog between two schemas: what a maintainer reads when Proxmox releases
//! a new API version.
//!
//! Reported: endpoints added and removed; per endpoint, parameters added and removed, and
//! for each parameter (recursing into property-string keys, array items and object
//! properties) optional/required, type, enum values, ranges, lengths, pattern, format,
//! default and `requires`; `returns` changes (type, properties added or removed); and the
//! flags that change how a call may be made (`protected`, `allowtoken`, permissions).
//! Descriptions are not compared: their wording changes every release and says nothing a
//! client must act on.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::{Api, Endpoint, Format, Object, Schema};

/// The changes between two schemas.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changelog {
    /// Endpoints only in the new schema, as (`METHOD /path`, description).
    pub added: Vec<(String, String)>,
    /// Endpoints only in the old schema, as (`METHOD /path`, description).
    pub removed: Vec<(String, String)>,
    /// Endpoints in both whose contract changed, as (`METHOD /path`, changes).
    pub changed: Vec<(String, Vec<String>)>,
}

impl Changelog {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The changelog as Markdown, titled with the two schemas' names.
    pub fn to_markdown(&self, old_name: &str, new_name: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Proxmox VE API changes: {old_name} -> {new_name}\n");
        let changes: usize = self.changed.iter().map(|(_, c)| c.len()).sum();
        let _ = writeln!(
            md,
            "{} added, {} removed, {} changed ({}).\n",
            count(self.added.len(), "endpoint"),
            self.removed.len(),
            self.changed.len(),
            count(changes, "change")
        );
        if self.is_empty() {
            md.push_str("No changes to endpoints, parameters or return types.\n");
            return md;
        }
        for (title, list) in [("Endpoints added", &self.added), ("Endpoints removed", &self.removed)] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "## {title} ({})\n", list.len());
            for (id, description) in list {
                let first = first_line(description);
                if first.is_empty() {
                    let _ = writeln!(md, "- `{id}`");
                } else {
                    let _ = writeln!(md, "- `{id}`: {first}");
                }
            }
            md.push('\n');
        }
        if !self.changed.is_empty() {
            let _ = writeln!(md, "## Endpoints changed ({})\n", self.changed.len());
            for (id, changes) in &self.changed {
                let _ = writeln!(md, "### `{id}`\n");
                for c in changes {
                    let _ = writeln!(md, "- {c}");
                }
                md.push('\n');
            }
        }
        md
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn first_line(s: &str) -> String {
    let line = s.trim().lines().next().unwrap_or_default().trim();
    let short: String = line.chars().take(140).collect();
    if short.len() < line.len() { format!("{short}...") } else { short }
}

/// Compares two schemas.
pub fn diff(old: &Api, new: &Api) -> Changelog {
    let index = |api: &Api| -> BTreeMap<(String, usize), usize> {
        api.endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.path.clone(), crate::model::method_rank(&e.method)), i))
            .collect()
    };
    let (oi, ni) = (index(old), index(new));
    let mut log = Changelog::default();
    for (key, &i) in &ni {
        if !oi.contains_key(key) {
            let e = &new.endpoints[i];
            log.added.push((e.id(), e.description.clone()));
        }
    }
    for (key, &i) in &oi {
        match ni.get(key) {
            None => {
                let e = &old.endpoints[i];
                log.removed.push((e.id(), e.description.clone()));
            }
            Some(&j) => {
                let changes = endpoint_changes(&old.endpoints[i], &new.endpoints[j]);
                if !changes.is_empty() {
                    log.changed.push((new.endpoints[j].id(), changes));
                }
            }
        }
    }
    log
}

fn endpoint_changes(old: &Endpoint, new: &Endpoint) -> Vec<String> {
    let mut out = Vec::new();
    object_changes(&old.parameters, &new.parameters, "", "parameter", &mut out);
    for (what, o, n) in [("protected", old.protected, new.protected), ("allowtoken", old.allowtoken, new.allowtoken)] {
        if o != n {
            out.push(format!("`{what}`: {} -> {}", u8::from(o), u8::from(n)));
        }
    }
    if old.permissions != new.permissions {
        out.push(format!(
            "permissions: {} -> {}",
            compact(old.permissions.as_ref()),
            compact(new.permissions.as_ref())
        ));
    }
    returns_changes(&old.returns, &new.returns, "returns", &mut out);
    out
}

fn compact(v: Option<&Value>) -> String {
    match v {
        None => "none".to_owned(),
        Some(v) => format!("`{}`", serde_json::to_string(v).unwrap_or_default()),
    }
}

fn object_changes(old: &Object, new: &Object, prefix: &str, noun: &str, out: &mut Vec<String>) {
    let o: BTreeMap<&str, &Schema> = old.properties.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let n: BTreeMap<&str, &Schema> = new.properties.iter().map(|(k, v)| (k.as_str(), v)).collect();
    for (name, s) in &n {
        if !o.contains_key(name) {
            out.push(format!("{noun} `{prefix}{name}` added ({})", summary(s)));
        }
    }
    for (name, s) in &o {
        match n.get(name) {
            None => out.push(format!("{noun} `{prefix}{name}` removed (was {})", summary(s))),
            Some(ns) => schema_changes(s, ns, &format!("{prefix}{name}"), out),
        }
    }
    if old.additional_properties != new.additional_properties {
        let label =
            if prefix.is_empty() { "parameters".to_owned() } else { format!("`{}`", prefix.trim_end_matches('.')) };
        out.push(format!(
            "{label}: additional properties {} -> {}",
            additional(old.additional_properties),
            additional(new.additional_properties)
        ));
    }
}

fn additional(a: Option<bool>) -> &'static str {
    match a {
        Some(false) => "refused",
        Some(true) => "allowed",
        None => "unspecified",
    }
}

/// One line describing a schema: `optional, string, format pve-node`.
fn summary(s: &Schema) -> String {
    let mut parts = vec![if s.optional { "optional" } else { "required" }.to_owned()];
    if let Some(t) = s.ty {
        parts.push(t.as_str().to_owned());
    }
    match &s.format {
        Some(Format::Named(f)) => parts.push(format!("format {f}")),
        Some(Format::PropertyString(_)) => parts.push("property string".to_owned()),
        None => {}
    }
    if let Some(e) = &s.enum_values {
        parts.push(format!("one of {}", e.join(", ")));
    }
    if s.minimum.is_some() || s.maximum.is_some() {
        parts.push(format!("range {}", range(s.minimum, s.maximum)));
    }
    if let Some(a) = &s.alias {
        parts.push(format!("alias of {a}"));
    }
    parts.join(", ")
}

fn range(lo: Option<f64>, hi: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("N".to_owned(), |v| v.to_string());
    format!("{} - {}", f(lo), f(hi))
}

fn schema_changes(o: &Schema, n: &Schema, name: &str, out: &mut Vec<String>) {
    if o.optional != n.optional {
        let word = |b: bool| if b { "optional" } else { "required" };
        out.push(format!("`{name}`: {} -> {}", word(o.optional), word(n.optional)));
    }
    if o.ty != n.ty {
        let t = |t: Option<crate::model::Type>| t.map_or("unspecified", |t| t.as_str());
        out.push(format!("`{name}`: type {} -> {}", t(o.ty), t(n.ty)));
    }
    match (&o.enum_values, &n.enum_values) {
        (Some(a), Some(b)) if a != b => {
            let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
            let added: Vec<&str> = sb.difference(&sa).map(|s| s.as_str()).collect();
            let removed: Vec<&str> = sa.difference(&sb).map(|s| s.as_str()).collect();
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("added {}", quote_list(&added)));
            }
            if !removed.is_empty() {
                parts.push(format!("removed {}", quote_list(&removed)));
            }
            if parts.is_empty() {
                parts.push("reordered".to_owned());
            }
            out.push(format!("`{name}`: enum values {}", parts.join("; ")));
        }
        (None, Some(b)) => out.push(format!(
            "`{name}`: now restricted to {}",
            quote_list(&b.iter().map(String::as_str).collect::<Vec<_>>())
        )),
        (Some(_), None) => out.push(format!("`{name}`: no longer restricted to an enum")),
        _ => {}
    }
    if (o.minimum, o.maximum) != (n.minimum, n.maximum) {
        out.push(format!("`{name}`: range {} -> {}", range(o.minimum, o.maximum), range(n.minimum, n.maximum)));
    }
    if (o.min_length, o.max_length) != (n.min_length, n.max_length) {
        let r = |a: Option<u64>, b: Option<u64>| range(a.map(|v| v as f64), b.map(|v| v as f64));
        out.push(format!("`{name}`: length {} -> {}", r(o.min_length, o.max_length), r(n.min_length, n.max_length)));
    }
    let pat = |p: &Option<crate::model::Pattern>| p.as_ref().map_or("none".to_owned(), |p| format!("`{}`", p.perl));
    if pat(&o.pattern) != pat(&n.pattern) {
        out.push(format!("`{name}`: pattern {} -> {}", pat(&o.pattern), pat(&n.pattern)));
    }
    match (&o.format, &n.format) {
        (Some(Format::PropertyString(a)), Some(Format::PropertyString(b))) => {
            object_changes(a, b, &format!("{name}."), "key", out);
        }
        (a, b) if a != b => {
            let f = |f: &Option<Format>| match f {
                None => "none".to_owned(),
                Some(Format::Named(n)) => format!("`{n}`"),
                Some(Format::PropertyString(_)) => "a property string".to_owned(),
            };
            out.push(format!("`{name}`: format {} -> {}", f(a), f(b)));
        }
        _ => {}
    }
    if o.default != n.default {
        let d = |d: &Option<Value>| d.as_ref().map_or("none".to_owned(), |v| format!("`{v}`"));
        out.push(format!("`{name}`: default {} -> {}", d(&o.default), d(&n.default)));
    }
    if o.requires != n.requires {
        let r = |r: &Option<String>| r.as_ref().map_or("none".to_owned(), |v| format!("`{v}`"));
        out.push(format!("`{name}`: requires {} -> {}", r(&o.requires), r(&n.requires)));
    }
    if o.alias != n.alias {
        let r = |r: &Option<String>| r.as_ref().map_or("none".to_owned(), |v| format!("`{v}`"));
        out.push(format!("`{name}`: alias of {} -> {}", r(&o.alias), r(&n.alias)));
    }
    if o.instance_types != n.instance_types || o.type_property != n.type_property {
        out.push(format!(
            "`{name}`: applies when {} is {:?} -> when {} is {:?}",
            o.type_property.as_deref().unwrap_or("-"),
            o.instance_types,
            n.type_property.as_deref().unwrap_or("-"),
            n.instance_types
        ));
    }
    match (&o.items, &n.items) {
        (Some(a), Some(b)) => schema_changes(a, b, &format!("{name}[]"), out),
        (None, Some(b)) => out.push(format!("`{name}`: now has items ({})", summary(b))),
        (Some(_), None) => out.push(format!("`{name}`: no longer describes its items")),
        (None, None) => {}
    }
    match (&o.properties, &n.properties) {
        (Some(a), Some(b)) => object_changes(a, b, &format!("{name}."), "property", out),
        (None, Some(_)) => out.push(format!("`{name}`: now describes its properties")),
        (Some(_), None) => out.push(format!("`{name}`: no longer describes its properties")),
        (None, None) => {}
    }
    if o.one_of.len() != n.one_of.len() {
        out.push(format!("`{name}`: {} -> {} alternatives", o.one_of.len(), n.one_of.len()));
    } else {
        for (i, (a, b)) in o.one_of.iter().zip(&n.one_of).enumerate() {
            schema_changes(a, b, &format!("{name}|{i}"), out);
        }
    }
}

fn quote_list(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

/// Compares `returns` schemas structurally: types, and properties added or removed.
fn returns_changes(old: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    let ty = |v: &Value| v.get("type").and_then(Value::as_str).unwrap_or("unspecified").to_owned();
    if ty(old) != ty(new) {
        out.push(format!("`{at}`: type {} -> {}", ty(old), ty(new)));
        return;
    }
    if let (Some(a), Some(b)) = (old.get("items"), new.get("items")) {
        returns_changes(a, b, &format!("{at}[]"), out);
    }
    let props = |v: &Value| v.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let (pa, pb) = (props(old), props(new));
    let added: Vec<&str> = pb.keys().filter(|k| !pa.contains_key(*k)).map(String::as_str).collect();
    let removed: Vec<&str> = pa.keys().filter(|k| !pb.contains_key(*k)).map(String::as_str).collect();
    if !added.is_empty() {
        out.push(format!("`{at}`: properties added {}", quote_list(&added)));
    }
    if !removed.is_empty() {
        out.push(format!("`{at}`: properties removed {}", quote_list(&removed)));
    }
    for (k, a) in &pa {
        if let Some(b) = pb.get(k) {
            returns_changes(a, b, &format!("{at}.{k}"), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(json: &str) -> Api {
        Api::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn reports_every_kind_of_change() {
        let old = api(r#"[{"path":"/a","info":{"GET":{"description":"Old.","parameters":{"properties":{
                "gone":{"type":"string"},
                "opt":{"type":"string","optional":1},
                "kind":{"type":"string","enum":["x","y"]},
                "n":{"type":"integer","minimum":1,"maximum":10},
                "f":{"type":"string","format":"pve-node"},
                "net":{"type":"string","format":{"bridge":{"type":"string"},"tag":{"type":"integer","maximum":4094}}}}},
                "returns":{"type":"array","items":{"type":"object","properties":{"a":{"type":"string"}}}}}}},
              {"path":"/old","info":{"DELETE":{"description":"Removed thing.","returns":{}}}}]"#);
        let new = api(
            r#"[{"path":"/a","info":{"GET":{"description":"New wording.","protected":1,"parameters":{"properties":{
                "new":{"type":"boolean","optional":1},
                "opt":{"type":"string"},
                "kind":{"type":"string","enum":["x","z"]},
                "n":{"type":"number","minimum":1,"maximum":20},
                "f":{"type":"string","format":"pve-node-list"},
                "net":{"type":"string","format":{"bridge":{"type":"string"},"mtu":{"type":"integer","optional":1}}}}},
                "returns":{"type":"array","items":{"type":"object","properties":{"b":{"type":"string"}}}}},
                "POST":{"description":"Create a thing.\nMore.","returns":{}}}}]"#,
        );
        let log = diff(&old, &new);
        assert_eq!(log.added, [("POST /a".to_owned(), "Create a thing.\nMore.".to_owned())]);
        assert_eq!(log.removed, [("DELETE /old".to_owned(), "Removed thing.".to_owned())]);
        assert_eq!(log.changed.len(), 1);
        let changes = &log.changed[0].1;
        let expect = [
            "parameter `new` added (optional, boolean)",
            "parameter `f`: format `pve-node` -> `pve-node-list`",
            "parameter `gone` removed (was required, string)",
            "`kind`: enum values added `z`; removed `y`",
            "`n`: type integer -> number",
            "`n`: range 1 - 10 -> 1 - 20",
            "key `net.mtu` added (optional, integer)",
            "key `net.tag` removed (was required, integer, range N - 4094)",
            "`opt`: optional -> required",
            "`protected`: 0 -> 1",
            "`returns[]`: properties added `b`",
            "`returns[]`: properties removed `a`",
        ];
        for e in expect {
            let e = e.replacen("parameter `f`: ", "`f`: ", 1);
            assert!(changes.contains(&e), "missing {e:?} in {changes:#?}");
        }
        let md = log.to_markdown("8.4", "9.1");
        assert!(
            md.starts_with(
                "# Proxmox VE API changes: 8.4 -> 9.1\n\n1 endpoint added, 1 removed, 1 changed (12 changes)."
            ),
            "{md}"
        );
        assert!(md.contains("## Endpoints added (1)\n\n- `POST /a`: Create a thing.\n"), "{md}");
        assert!(md.contains("### `GET /a`\n"), "{md}");
    }

    #[test]
    fn identical_schemas_have_an_empty_changelog() {
        let a = api(r#"[{"path":"/a","info":{"GET":{"description":"x","returns":{}}}}]"#);
        let b = api(r#"[{"path":"/a","info":{"GET":{"description":"reworded","returns":{}}}}]"#);
        let log = diff(&a, &b);
        assert!(log.is_empty());
        assert!(log.to_markdown("a", "b").contains("No changes"));
    }
}
