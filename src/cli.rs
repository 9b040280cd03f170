//! The offline `api` commands over the embedded schema: validate, search, describe.
//!
//! They call the same functions the MCP tools do, and write to any `Write`, so they are
//! tested without a process.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

use crate::schema::{describe, search, validate};

/// Output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// For people.
    Text,
    /// One JSON document.
    Json,
}

/// `api validate METHOD PATH [JSON]`: returns the exit code (0 valid, 1 invalid, 2 bad input).
pub fn validate(
    method: &str,
    path: &str,
    data: Option<&str>,
    output: Output,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    let parsed = match data.map(serde_json::from_str::<Value>) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            let msg = format!("the parameters are not valid JSON: {e}");
            match output {
                Output::Text => writeln!(out, "error: {msg}")?,
                Output::Json => writeln!(out, "{}", json!({"ok": false, "errors": {"(data)": msg}}))?,
            }
            return Ok(2);
        }
    };
    let verdict = validate::validate_call(method, path, parsed.as_ref());
    match (&verdict, output) {
        (Ok(call), Output::Text) => {
            writeln!(out, "valid: {} {}", call.endpoint.method, call.path)?;
            for (k, v) in &call.params {
                writeln!(out, "  {k}={}", crate::schema::value::show(k, v).trim_matches('\''))?;
            }
        }
        (Ok(call), Output::Json) => {
            let params: Vec<Value> = call.params.iter().map(|(k, v)| json!([k, v])).collect();
            writeln!(
                out,
                "{}",
                json!({"ok": true, "endpoint": call.endpoint.id(), "path": call.path, "params": params})
            )?;
        }
        (Err(e), Output::Text) => writeln!(out, "invalid: {e}")?,
        (Err(e), Output::Json) => writeln!(out, "{}", json!({"ok": false, "errors": e.to_map()}))?,
    }
    Ok(i32::from(verdict.is_err()))
}

/// `api validate --jsonl`: one call per input line (`{"method", "path", "params"}`), one
/// verdict per output line (`{"ok": true}` or `{"ok": false, "errors": {...}}`). Blank lines
/// are skipped. Returns the number of lines judged.
pub fn validate_jsonl(input: &mut dyn BufRead, out: &mut dyn Write) -> std::io::Result<usize> {
    let mut n = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(n);
        }
        if line.trim().is_empty() {
            continue;
        }
        n += 1;
        let verdict = match serde_json::from_str::<Value>(&line) {
            Err(e) => json!({"ok": false, "errors": {"(line)": format!("not a JSON object: {e}")}}),
            Ok(call) => match (call.get("method").and_then(Value::as_str), call.get("path").and_then(Value::as_str)) {
                (Some(m), Some(p)) => match validate::validate_call(m, p, call.get("params")) {
                    Ok(_) => json!({"ok": true}),
                    Err(e) => json!({"ok": false, "errors": e.to_map()}),
                },
                _ => {
                    json!({"ok": false, "errors": {"(line)": "expected {\"method\": ..., \"path\": ..., \"params\": {...}}"}})
                }
            },
        };
        writeln!(out, "{verdict}")?;
    }
}

/// `api search QUERY`.
pub fn search(query: &str, limit: usize, output: Output, out: &mut dyn Write) -> std::io::Result<i32> {
    let hits = search::search(query, limit);
    match output {
        Output::Json => writeln!(out, "{}", serde_json::to_string(&hits).unwrap_or_default())?,
        Output::Text if hits.is_empty() => writeln!(out, "no endpoint matches '{query}'")?,
        Output::Text => {
            for h in &hits {
                writeln!(out, "{:<6} {}  {}", h.method, h.path, h.description)?;
            }
        }
    }
    Ok(i32::from(hits.is_empty()))
}

/// `api describe PATH [METHOD] [--parameter NAME]`: always JSON (pretty for people).
pub fn describe(
    path: &str,
    method: Option<&str>,
    parameter: Option<&str>,
    output: Output,
    out: &mut dyn Write,
) -> std::io::Result<i32> {
    match describe::describe(path, method, parameter) {
        Ok(v) => {
            let text = match output {
                Output::Text => serde_json::to_string_pretty(&v),
                Output::Json => serde_json::to_string(&v),
            };
            writeln!(out, "{}", text.unwrap_or_default())?;
            Ok(0)
        }
        Err(e) => {
            match output {
                Output::Text => writeln!(out, "error: {e}")?,
                Output::Json => writeln!(out, "{}", json!({"error": e}))?,
            }
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<i32>) -> (i32, String) {
        let mut buf = Vec::new();
        let code = f(&mut buf).unwrap();
        (code, String::from_utf8(buf).unwrap())
    }

    #[test]
    fn validate_exit_codes_and_output() {
        let path = "/nodes/pve1/qemu/100/config";
        let (code, text) =
            run(|o| validate("POST", path, Some(r#"{"net0":"virtio,bridge=vmbr0","cores":"4"}"#), Output::Text, o));
        assert_eq!(code, 0, "{text}");
        assert_eq!(text, "valid: POST /nodes/pve1/qemu/100/config\n  cores=4\n  net0=virtio,bridge=vmbr0\n");
        let (code, text) = run(|o| validate("POST", path, Some(r#"{"cores":0}"#), Output::Text, o));
        assert_eq!(code, 1);
        assert!(text.contains("'cores': expected an integer of at least 1, got '0'"), "{text}");
        let (code, text) = run(|o| validate("POST", path, Some(r#"{"net0":"virtio,brige=vmbr0"}"#), Output::Json, o));
        assert_eq!(code, 1);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["errors"]["net0"].as_str().unwrap().contains("unknown key 'brige'"), "{text}");
        let (code, text) = run(|o| validate("POST", path, Some("{cores"), Output::Text, o));
        assert_eq!(code, 2);
        assert!(text.starts_with("error: the parameters are not valid JSON"), "{text}");
    }

    #[test]
    fn jsonl_judges_line_by_line() {
        let input = concat!(
            r#"{"method":"GET","path":"/nodes","params":{}}"#,
            "\n",
            "\n",
            r#"{"method":"POST","path":"/nodes/pve/qemu/100/config","params":{"cores":0}}"#,
            "\n",
            "not json\n",
            r#"{"path":"/nodes"}"#,
            "\n",
        );
        let mut out = Vec::new();
        let n = validate_jsonl(&mut input.as_bytes(), &mut out).unwrap();
        assert_eq!(n, 4);
        let lines: Vec<Value> =
            String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines[0], json!({"ok": true}));
        assert_eq!(lines[1], json!({"ok": false, "errors": {"cores": "expected an integer of at least 1, got '0'"}}));
        assert!(lines[2]["errors"]["(line)"].as_str().unwrap().starts_with("not a JSON object"));
        assert!(lines[3]["errors"]["(line)"].as_str().unwrap().contains("\"method\""));
    }

    #[test]
    fn search_and_describe_commands() {
        let (code, text) = run(|o| search("start vm", 3, Output::Text, o));
        assert_eq!(code, 0);
        assert!(text.contains("POST   /nodes/{node}/qemu/{vmid}/status/start"), "{text}");
        let (code, _) = run(|o| search("zzqqxx", 3, Output::Text, o));
        assert_eq!(code, 1);
        let (code, text) = run(|o| describe("/cluster/resources", Some("GET"), None, Output::Json, o));
        assert_eq!(code, 0);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["methods"][0]["parameters"]["properties"]["type"]["enum"][0], "vm");
        let (code, text) = run(|o| describe("/nope", None, None, Output::Text, o));
        assert_eq!(code, 1);
        assert!(text.starts_with("error: no API endpoint has the path '/nope'"), "{text}");
    }
}
