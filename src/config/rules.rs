//! `allow` / `deny` rules: `METHOD /path/pattern`.
//!
//! The method is `GET`, `POST`, `PUT`, `DELETE` or `*` (any). The pattern is an API path
//! (without `/api2/json`) whose segments are literals, `*` (exactly one segment; a schema
//! placeholder such as `{vmid}` means the same) or, as the last segment only, `**` (any
//! number of segments, none included). A pattern matches a path with the same number of
//! segments (unless it ends in `**`); literals compare with the path's segments as sent,
//! that is percent-encoded.

use crate::schema::types::Method;
use std::fmt;
use std::str::FromStr;

/// One parsed `allow` or `deny` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    method: Option<Method>,
    segments: Vec<RuleSegment>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RuleSegment {
    Literal(String),
    One,
    Rest,
}

impl Rule {
    /// The method the rule applies to; `None` for `*`.
    pub fn method(&self) -> Option<Method> {
        self.method
    }

    /// The rule as written (normalised whitespace).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the rule covers `method` on `path` (an API path such as
    /// `/nodes/pve1/qemu/100`; a trailing `/` is ignored).
    pub fn matches(&self, method: Method, path: &str) -> bool {
        if self.method.is_some_and(|m| m != method) {
            return false;
        }
        let path = path.trim_end_matches('/');
        let segments: Vec<&str> =
            if path.is_empty() { Vec::new() } else { path.trim_start_matches('/').split('/').collect() };
        let mut i = 0;
        for seg in &self.segments {
            match seg {
                RuleSegment::Rest => return true,
                RuleSegment::One => {
                    if i >= segments.len() || segments[i].is_empty() {
                        return false;
                    }
                }
                RuleSegment::Literal(lit) => {
                    if segments.get(i) != Some(&lit.as_str()) {
                        return false;
                    }
                }
            }
            i += 1;
        }
        i == segments.len()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Rule {
    type Err = String;

    /// Parses `METHOD /path/pattern`; the error says what is wrong and what to write.
    fn from_str(s: &str) -> Result<Rule, String> {
        const EXAMPLE: &str = "write it as METHOD /path, e.g. \"DELETE /nodes/*/qemu/*\"";
        let parts: Vec<&str> = s.split_whitespace().collect();
        let (method_text, pattern) = match parts.as_slice() {
            [m, p] => (*m, *p),
            [] => return Err(format!("empty rule: {EXAMPLE}")),
            [p] if p.starts_with('/') => {
                return Err(format!("'{s}' has no method: {EXAMPLE} (or \"* {p}\" for any method)"));
            }
            _ => return Err(format!("'{s}' is not METHOD /path: {EXAMPLE}")),
        };
        let method = if method_text == "*" {
            None
        } else {
            Some(Method::parse(method_text).ok_or_else(|| {
                format!("'{s}': unknown method '{method_text}' (expected GET, POST, PUT, DELETE or *)")
            })?)
        };
        if !pattern.starts_with('/') {
            return Err(format!("'{s}': the path must start with '/', e.g. \"/nodes/*\""));
        }
        if pattern.starts_with("/api2/") {
            return Err(format!("'{s}': write the API path without the /api2/json prefix"));
        }
        let trimmed = pattern.trim_end_matches('/');
        let mut segments = Vec::new();
        if !trimmed.is_empty() {
            let raw: Vec<&str> = trimmed[1..].split('/').collect();
            for (i, seg) in raw.iter().enumerate() {
                let seg = *seg;
                if seg.is_empty() {
                    return Err(format!("'{s}': empty path segment ('//')"));
                }
                if seg.chars().any(|c| c.is_control() || matches!(c, '?' | '#' | '\\')) {
                    return Err(format!("'{s}': segment '{seg}' contains '?', '#', '\\' or a control character"));
                }
                if seg == "**" {
                    if i + 1 != raw.len() {
                        return Err(format!("'{s}': '**' may only be the last segment"));
                    }
                    segments.push(RuleSegment::Rest);
                } else if seg == "*" || (seg.starts_with('{') && seg.ends_with('}') && seg.len() > 2) {
                    segments.push(RuleSegment::One);
                } else if seg.contains('*') || seg.contains('{') || seg.contains('}') {
                    return Err(format!("'{s}': '*' must be a whole segment ('{seg}' mixes it with text)"));
                } else {
                    segments.push(RuleSegment::Literal(seg.to_owned()));
                }
            }
        }
        let text = format!("{} {}", method.map_or("*", Method::as_str), pattern);
        Ok(Rule { method, segments, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> Rule {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn wildcards_match_one_segment() {
        let r = rule("DELETE /nodes/*/qemu/*");
        assert!(r.matches(Method::Delete, "/nodes/pve1/qemu/100"));
        assert!(r.matches(Method::Delete, "/nodes/pve1/qemu/100/"));
        assert!(!r.matches(Method::Get, "/nodes/pve1/qemu/100"));
        assert!(!r.matches(Method::Delete, "/nodes/pve1/qemu"));
        assert!(!r.matches(Method::Delete, "/nodes/pve1/qemu/100/config"));
        assert!(!r.matches(Method::Delete, "/nodes/pve1/lxc/100"));
    }

    #[test]
    fn any_method_placeholders_and_rest() {
        let r = rule("* /nodes/{node}/qemu/{vmid}/config");
        assert_eq!(r.method(), None);
        assert!(r.matches(Method::Put, "/nodes/a/qemu/1/config"));
        let r = rule("post /access/**");
        assert_eq!(r.as_str(), "POST /access/**");
        assert!(r.matches(Method::Post, "/access"));
        assert!(r.matches(Method::Post, "/access/users/x@pve"));
        assert!(!r.matches(Method::Post, "/accessx"));
        assert!(rule("GET /").matches(Method::Get, "/"));
        assert!(!rule("GET /").matches(Method::Get, "/version"));
    }

    #[test]
    fn syntax_errors_say_what_to_write() {
        let err = |s: &str| s.parse::<Rule>().unwrap_err();
        assert!(err("/nodes/*").contains("has no method"), "{}", err("/nodes/*"));
        assert!(err("PATCH /nodes").contains("unknown method 'PATCH'"));
        assert!(err("GET nodes").contains("must start with '/'"));
        assert!(err("GET /nodes//qemu").contains("empty path segment"));
        assert!(err("GET /nodes/qemu*").contains("whole segment"));
        assert!(err("GET /**/x").contains("last segment"));
        assert!(err("GET /api2/json/nodes").contains("without the /api2/json prefix"));
        assert!(err("GET /a /b").contains("is not METHOD /path"));
        assert!(err("").contains("empty rule"));
    }
}
