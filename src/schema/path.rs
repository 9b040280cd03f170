//! API paths: normalisation, safety checks, resolution to an endpoint, and encoding.
//!
//! A raw path is an API path, never a URL. It may start with `/` and `api2/json/`, and end
//! with one `/`. It is refused if it contains `..` or `.` segments, empty segments, `?`, `#`,
//! backslashes, control characters, a scheme or host, or a percent-escape of `/` or `\`
//! (or a double escape). The one exception: the placeholders PVE lets take the rest of the
//! path (storage volume IDs and ipset CIDRs) accept `/`, raw or as `%2F`.
//!
//! Resolution walks a tree of the endpoints' segments; literal segments win over
//! placeholders, as in PVE's router.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use super::ENDPOINTS;
use super::types::{Endpoint, Method, Segment};

/// The placeholders that take the rest of the path (see PVE-SEMANTICS.md).
const REST_PLACEHOLDERS: [(&str, &str); 4] = [
    ("/nodes/{node}/storage/{storage}/content/{volume}", "volume"),
    ("/cluster/firewall/ipset/{name}/{cidr}", "cidr"),
    ("/nodes/{node}/qemu/{vmid}/firewall/ipset/{name}/{cidr}", "cidr"),
    ("/nodes/{node}/lxc/{vmid}/firewall/ipset/{name}/{cidr}", "cidr"),
];

/// Why a path could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The path is malformed or tries to leave the API; the text says what was found.
    Refused(String),
    /// No endpoint has this path; the closest known path templates are listed.
    NotFound {
        /// The normalised path that was asked for.
        path: String,
        /// Up to five similar path templates.
        suggestions: Vec<&'static str>,
    },
    /// The path exists but not with this method.
    MethodNotAllowed {
        /// The path template.
        template: &'static str,
        /// The method asked for.
        method: String,
        /// The methods the path has.
        allowed: Vec<Method>,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Refused(why) => write!(f, "path refused: {why}"),
            PathError::NotFound { path, suggestions } => {
                write!(f, "no API endpoint has the path '{path}'")?;
                if !suggestions.is_empty() {
                    write!(f, "; closest known paths: {}", suggestions.join(", "))?;
                }
                write!(f, " (use proxmox_api_search to find endpoints)")
            }
            PathError::MethodNotAllowed { template, method, allowed } => {
                let list: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
                write!(f, "{template} has no {method} method; allowed: {}", list.join(", "))
            }
        }
    }
}

impl std::error::Error for PathError {}

/// One segment of a normalised path, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSegment<'a> {
    /// The decoded text (borrowed when nothing needed decoding).
    pub value: Cow<'a, str>,
    /// Whether the text held `%2F` (a `/` inside the segment).
    pub encoded_slash: bool,
}

/// A path resolved to one endpoint.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// Each placeholder's decoded value, in path order.
    pub placeholders: Vec<(&'static str, String)>,
}

impl Resolved {
    /// The concrete path to send: each placeholder value percent-encoded (a rest-of-path
    /// value's `/` as `%2F`).
    pub fn concrete_path(&self) -> String {
        let mut out = String::with_capacity(self.endpoint.path.len() + 16);
        let mut values = self.placeholders.iter();
        for seg in self.endpoint.segments {
            out.push('/');
            match seg {
                Segment::Literal(l) => out.push_str(l),
                Segment::Placeholder(_) => {
                    if let Some((_, v)) = values.next() {
                        out.push_str(&encode_segment(v));
                    }
                }
            }
        }
        out
    }
}

/// Splits and decodes a raw API path, refusing anything unsafe.
pub fn split_path(raw: &str) -> Result<Vec<PathSegment<'_>>, PathError> {
    let refuse = |why: &str| Err(PathError::Refused(why.to_owned()));
    let path = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if path.is_empty() {
        return refuse("the path is empty (expected an API path like /nodes/{node}/qemu)");
    }
    if path.chars().any(char::is_control) {
        return refuse("the path contains control characters");
    }
    let scheme = |s: &str| path.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s));
    if path.contains("://") || path.starts_with("//") || scheme("http:") || scheme("https:") {
        return refuse(
            "expected an API path like /nodes/{node}/qemu, not a URL (the cluster's address comes from the configuration)",
        );
    }
    if path.contains('\\') {
        return refuse("the path contains a backslash");
    }
    if path.contains('?') || path.contains('#') {
        return refuse("the path contains '?' or '#': pass parameters in 'data', not in the path");
    }
    let mut rest = path.strip_prefix('/').unwrap_or(path);
    for prefix in ["api2/json/", "api2/json"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
            break;
        }
    }
    if rest.starts_with("api2/") {
        return refuse("only the api2/json prefix is understood (expected e.g. /nodes or /api2/json/nodes)");
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return refuse("the path names no endpoint (expected e.g. /nodes or /cluster/resources)");
    }
    rest.split('/').map(decode_segment).collect()
}

fn decode_segment(raw: &str) -> Result<PathSegment<'_>, PathError> {
    let refuse = |why: String| Err(PathError::Refused(why));
    if raw.is_empty() {
        return refuse("the path has an empty segment ('//')".to_owned());
    }
    if !raw.contains('%') {
        // Control characters and backslashes were refused for the whole path already.
        if raw == "." || raw == ".." {
            return refuse("the path contains a '.' or '..' segment".to_owned());
        }
        return Ok(PathSegment { value: Cow::Borrowed(raw), encoded_slash: false });
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut encoded_slash = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        let Some(b) = hex else {
            return refuse(format!("'{raw}' has an invalid percent-escape (expected %XX with two hex digits)"));
        };
        match b {
            b'/' => encoded_slash = true,
            b'\\' => return refuse(format!("'{raw}' contains an escaped backslash (%5C)")),
            b'%' => return refuse(format!("'{raw}' contains an escaped '%' (%25): double encoding is not accepted")),
            b'?' | b'#' => return refuse(format!("'{raw}' contains an escaped '?' or '#'")),
            _ => {}
        }
        out.push(b);
        i += 3;
    }
    let value =
        String::from_utf8(out).map_err(|_| PathError::Refused(format!("'{raw}' does not decode to UTF-8 text")))?;
    if value.chars().any(char::is_control) {
        return refuse(format!("'{raw}' decodes to control characters"));
    }
    if value == "." || value == ".." || value.split('/').any(|p| p == ".." || p == ".") {
        return refuse("the path contains a '.' or '..' segment".to_owned());
    }
    if value.contains('\\') {
        return refuse(format!("'{raw}' contains a backslash"));
    }
    Ok(PathSegment { value: Cow::Owned(value), encoded_slash })
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters and `:`
/// and `@` (which PVE's own clients leave as they are, e.g. in UPIDs and user IDs).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'@') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// A node of the routing tree.
#[derive(Default)]
struct Node {
    /// Literal children, sorted by text.
    literals: Vec<(&'static str, usize)>,
    /// Placeholder children: (name, node, takes the rest of the path).
    placeholders: Vec<(&'static str, usize, bool)>,
    /// The endpoints at this path, by method.
    methods: [Option<&'static Endpoint>; 4],
    /// The path template of this node, when it has methods.
    template: Option<&'static str>,
}

struct Router {
    nodes: Vec<Node>,
    /// Every distinct path template, for suggestions.
    templates: Vec<&'static str>,
}

static ROUTER: LazyLock<Router> = LazyLock::new(|| Router::build(&ENDPOINTS));

impl Router {
    fn build(endpoints: &'static [Endpoint]) -> Router {
        let mut nodes = vec![Node::default()];
        let mut templates = Vec::new();
        for ep in endpoints {
            let mut at = 0;
            for (i, seg) in ep.segments.iter().enumerate() {
                let last = i + 1 == ep.segments.len();
                at = match *seg {
                    Segment::Literal(l) => match nodes[at].literals.iter().find(|(t, _)| *t == l) {
                        Some(&(_, n)) => n,
                        None => {
                            nodes.push(Node::default());
                            let n = nodes.len() - 1;
                            nodes[at].literals.push((l, n));
                            n
                        }
                    },
                    Segment::Placeholder(p) => match nodes[at].placeholders.iter().find(|(name, _, _)| *name == p) {
                        Some(&(_, n, _)) => n,
                        None => {
                            let rest = last && REST_PLACEHOLDERS.contains(&(ep.path, p));
                            nodes.push(Node::default());
                            let n = nodes.len() - 1;
                            nodes[at].placeholders.push((p, n, rest));
                            n
                        }
                    },
                };
            }
            let slot = Method::ALL.iter().position(|m| *m == ep.method).unwrap_or(0);
            nodes[at].methods[slot] = Some(ep);
            if nodes[at].template.is_none() {
                nodes[at].template = Some(ep.path);
                templates.push(ep.path);
            }
        }
        for node in &mut nodes {
            node.literals.sort_by(|a, b| a.0.cmp(b.0));
        }
        Router { nodes, templates }
    }

    /// Depth-first, literal-first match; returns the node and the placeholder values.
    fn walk(&self, at: usize, segs: &[PathSegment<'_>], captured: &mut Vec<(&'static str, String)>) -> Option<usize> {
        let node = &self.nodes[at];
        let Some(seg) = segs.first() else {
            return node.template.is_some().then_some(at);
        };
        if !seg.encoded_slash
            && let Ok(i) = node.literals.binary_search_by(|(t, _)| (*t).cmp(seg.value.as_ref()))
            && let Some(found) = self.walk(node.literals[i].1, &segs[1..], captured)
        {
            return Some(found);
        }
        for &(name, child, rest) in &node.placeholders {
            if rest {
                if self.nodes[child].template.is_some() {
                    let value: Vec<&str> = segs.iter().map(|s| s.value.as_ref()).collect();
                    captured.push((name, value.join("/")));
                    return Some(child);
                }
                continue;
            }
            if seg.encoded_slash {
                continue;
            }
            captured.push((name, seg.value.to_string()));
            if let Some(found) = self.walk(child, &segs[1..], captured) {
                return Some(found);
            }
            captured.pop();
        }
        None
    }
}

/// Resolves a method name and a raw path to exactly one endpoint.
pub fn resolve(method: &str, raw_path: &str) -> Result<Resolved, PathError> {
    let segs = split_path(raw_path)?;
    let router = &*ROUTER;
    let mut captured = Vec::new();
    let display = || format!("/{}", segs.iter().map(|s| s.value.as_ref()).collect::<Vec<_>>().join("/"));
    let Some(at) = router.walk(0, &segs, &mut captured) else {
        if segs.iter().any(|s| s.encoded_slash) {
            return Err(PathError::Refused(
                "an encoded '/' (%2F) is only allowed in storage volume IDs and ipset CIDRs".to_owned(),
            ));
        }
        let path = display();
        return Err(PathError::NotFound { suggestions: suggest(router, &segs), path });
    };
    let node = &router.nodes[at];
    let template = node.template.unwrap_or_default();
    let allowed: Vec<Method> =
        Method::ALL.iter().zip(&node.methods).filter(|(_, e)| e.is_some()).map(|(m, _)| *m).collect();
    let Some(m) = Method::parse(method) else {
        return Err(PathError::MethodNotAllowed { template, method: method.to_owned(), allowed });
    };
    let slot = Method::ALL.iter().position(|x| *x == m).unwrap_or(0);
    match node.methods[slot] {
        Some(endpoint) => Ok(Resolved { endpoint, placeholders: captured }),
        None => Err(PathError::MethodNotAllowed { template, method: m.as_str().to_owned(), allowed }),
    }
}

/// Finds the endpoint of a path template (`/nodes/{node}/qemu`) or a concrete path.
pub fn find_template(template: &str) -> Vec<&'static Endpoint> {
    let t = template.trim();
    let t = t.strip_prefix("/api2/json").or_else(|| t.strip_prefix("api2/json")).unwrap_or(t);
    let t = format!("/{}", t.trim_matches('/'));
    let by_template: Vec<&'static Endpoint> = ENDPOINTS.iter().filter(|e| e.path == t).collect();
    if !by_template.is_empty() {
        return by_template;
    }
    let Ok(segs) = split_path(template) else { return Vec::new() };
    let mut captured = Vec::new();
    match ROUTER.walk(0, &segs, &mut captured) {
        Some(at) => ROUTER.nodes[at].methods.iter().flatten().copied().collect(),
        None => Vec::new(),
    }
}

/// Up to five templates closest to the segments asked for.
fn suggest(router: &Router, segs: &[PathSegment<'_>]) -> Vec<&'static str> {
    let asked: Vec<&str> = segs.iter().map(|s| s.value.as_ref()).collect();
    let mut scored: Vec<(u32, &'static str)> = router
        .templates
        .iter()
        .map(|t| {
            let tsegs: Vec<&str> = t.trim_start_matches('/').split('/').collect();
            (segment_distance(&asked, &tsegs), *t)
        })
        .collect();
    scored.sort();
    let best = scored.first().map_or(0, |s| s.0);
    scored.into_iter().take_while(|(d, _)| *d <= best + 150).take(5).map(|(_, t)| t).collect()
}

/// Edit distance over segments (cost x100): placeholders match anything; a literal costs its
/// normalised character distance; inserting or deleting a segment costs 100.
fn segment_distance(asked: &[&str], template: &[&str]) -> u32 {
    let mut prev: Vec<u32> = (0..=template.len() as u32).map(|j| j * 100).collect();
    for (i, a) in asked.iter().enumerate() {
        let mut cur = vec![(i as u32 + 1) * 100; template.len() + 1];
        for (j, t) in template.iter().enumerate() {
            let sub = if t.starts_with('{') {
                if a.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)) { 10 } else { 40 }
            } else {
                char_distance(a, t)
            };
            cur[j + 1] = (prev[j] + sub).min(prev[j + 1] + 100).min(cur[j] + 100);
        }
        prev = cur;
    }
    prev[template.len()]
}

fn char_distance(a: &str, b: &str) -> u32 {
    if a == b {
        return 0;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    let longest = a.len().max(b.len()).max(1);
    (prev[b.len()] * 100 / longest) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(method: &str, path: &str) -> Resolved {
        resolve(method, path).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    fn refused(path: &str) -> String {
        match resolve("GET", path) {
            Err(PathError::Refused(why)) => why,
            other => panic!("{path}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("pve1"), "pve1");
        assert_eq!(encode_segment("UPID:pve:0001:root@pam:"), "UPID:pve:0001:root@pam:");
        assert_eq!(encode_segment("local:iso/a b.iso"), "local:iso%2Fa%20b.iso");
        assert_eq!(encode_segment("../x?y#z%"), "..%2Fx%3Fy%23z%25");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }

    #[test]
    fn prefixes_and_slashes_are_normalised() {
        for p in ["/nodes", "nodes", "/nodes/", "/api2/json/nodes", "api2/json/nodes/", " /nodes "] {
            assert_eq!(ok("GET", p).endpoint.path, "/nodes", "{p}");
        }
        let r = ok("get", "/nodes/pve1/qemu/100/config");
        assert_eq!(r.endpoint.path, "/nodes/{node}/qemu/{vmid}/config");
        assert_eq!(r.placeholders, [("node", "pve1".to_owned()), ("vmid", "100".to_owned())]);
        assert_eq!(r.concrete_path(), "/nodes/pve1/qemu/100/config");
    }

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(refused("/nodes/../access").contains("'..'"));
        assert!(refused("/nodes/%2E%2E/x").contains("'..'"));
        assert!(refused("/nodes//qemu").contains("empty segment"));
        assert!(refused("/nodes?x=1").contains("'?'"));
        assert!(refused("/nodes#x").contains("'#'"));
        assert!(refused("/nodes/pve%2F..%2Fx/qemu").contains("'..'"));
        assert!(refused("/nodes/a%2Fb/qemu").contains("%2F"));
        assert!(refused("/nodes/a%5Cb").contains("%5C"));
        assert!(refused("/nodes/a%252Fb").contains("double encoding"));
        assert!(refused("/nodes/a\\b").contains("backslash"));
        assert!(refused("/nodes/a\u{7}").contains("control"));
        assert!(refused("/nodes/a%00").contains("control"));
        assert!(refused("https://evil.example/api2/json/nodes").contains("not a URL"));
        assert!(refused("//evil.example/nodes").contains("not a URL"));
        assert!(refused("/nodes/%zz").contains("invalid percent-escape"));
        assert!(refused("/nodes/%C0%AF").contains("UTF-8"));
        assert!(refused("").contains("empty"));
        assert!(refused("/api2/extjs/nodes").contains("api2/json"));
    }

    #[test]
    fn rest_placeholders_take_slashes() {
        for p in [
            "/nodes/pve/storage/local/content/local:iso/debian-12.iso",
            "/nodes/pve/storage/local/content/local:iso%2Fdebian-12.iso",
        ] {
            let r = ok("GET", p);
            assert_eq!(r.endpoint.path, "/nodes/{node}/storage/{storage}/content/{volume}");
            assert_eq!(r.placeholders[2], ("volume", "local:iso/debian-12.iso".to_owned()));
            assert_eq!(r.concrete_path(), "/nodes/pve/storage/local/content/local:iso%2Fdebian-12.iso");
        }
        let r = ok("DELETE", "/cluster/firewall/ipset/office/10.0.0.0/24");
        assert_eq!(r.placeholders[1], ("cidr", "10.0.0.0/24".to_owned()));
        let r = ok("GET", "/nodes/pve/lxc/101/firewall/ipset/x/fd00::%2F64");
        assert_eq!(r.placeholders.last().unwrap().1, "fd00::/64");
    }

    #[test]
    fn literals_win_over_placeholders() {
        // `/nodes/{node}/qemu` is a literal below a placeholder; `/cluster/ha/status/current`
        // is literal all the way.
        assert_eq!(ok("GET", "/nodes/qemu/qemu").endpoint.path, "/nodes/{node}/qemu");
        assert_eq!(ok("GET", "/cluster/ha/status/current").endpoint.path, "/cluster/ha/status/current");
        assert_eq!(
            ok("GET", "/access/users/root@pam/token/mcp").endpoint.path,
            "/access/users/{userid}/token/{tokenid}"
        );
    }

    #[test]
    fn unknown_paths_suggest_neighbours() {
        let Err(PathError::NotFound { path, suggestions }) = resolve("GET", "/nodes/pve/qemu/100/stats") else {
            panic!()
        };
        assert_eq!(path, "/nodes/pve/qemu/100/stats");
        assert!(suggestions.contains(&"/nodes/{node}/qemu/{vmid}/status"), "{suggestions:?}");
        let Err(PathError::NotFound { suggestions, .. }) = resolve("GET", "/cluster/resource") else { panic!() };
        assert_eq!(suggestions[0], "/cluster/resources");
        let text = resolve("GET", "/nodez").unwrap_err().to_string();
        assert!(text.starts_with("no API endpoint has the path '/nodez'; closest known paths: /nodes"), "{text}");
    }

    #[test]
    fn wrong_methods_list_the_allowed_ones() {
        let e = resolve("DELETE", "/nodes").unwrap_err();
        assert_eq!(e.to_string(), "/nodes has no DELETE method; allowed: GET");
        let e = resolve("PATCH", "/nodes/pve/qemu/100/config").unwrap_err();
        assert_eq!(e.to_string(), "/nodes/{node}/qemu/{vmid}/config has no PATCH method; allowed: GET, POST, PUT");
    }

    #[test]
    fn every_template_resolves_to_itself() {
        for ep in ENDPOINTS.iter() {
            let concrete: String = ep
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Literal(l) => format!("/{l}"),
                    Segment::Placeholder(p) => format!("/x{p}"),
                })
                .collect();
            let r = resolve(ep.method.as_str(), &concrete).unwrap_or_else(|e| panic!("{}: {e}", ep.id()));
            assert_eq!(r.endpoint.path, ep.path, "{concrete}");
        }
    }

    #[test]
    fn templates_are_found() {
        assert_eq!(find_template("/nodes/{node}/qemu/{vmid}/config").len(), 3);
        assert_eq!(find_template("/nodes/pve/qemu/100/config").len(), 3);
        assert!(find_template("/nope").is_empty());
    }
}
