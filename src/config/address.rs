//! Node addresses: `host`, `host:port` or `https://host[:port]`.

use super::parse::{Ctx, get_str};
use super::{DEFAULT_PORT, NodeAddr};
use serde_json::{Map, Value};

pub(super) fn parse_nodes(obj: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Vec<NodeAddr> {
    let mut list: Vec<(String, String)> = Vec::new();
    match (obj.get("url"), obj.get("urls")) {
        (Some(_), Some(_)) => {
            ctx.problem("urls", "set either \"url\" or \"urls\", not both (put every node in \"urls\")")
        }
        (None, None) => ctx.problem("url", "missing: write the node's address, e.g. \"pve.example.com:8006\""),
        (Some(_), None) => {
            if let Some(u) = get_str(obj, "url", ctx) {
                list.push(("url".into(), u));
            }
        }
        (None, Some(Value::Array(items))) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => list.push((format!("urls[{i}]"), s.trim().to_owned())),
                    _ => ctx.problem("urls", format!("item {i} must be a string")),
                }
            }
        }
        (None, Some(_)) => ctx.problem("urls", "must be a non-empty list of node addresses"),
    }
    let mut nodes = Vec::new();
    for (field, text) in list {
        match parse_node_addr(&text) {
            Ok(n) if nodes.contains(&n) => ctx.problem(&field, format!("{n} is listed twice")),
            Ok(n) => nodes.push(n),
            Err(m) => {
                let field = if ctx.from_env { "url".to_owned() } else { field };
                ctx.problem(&field, m);
            }
        }
    }
    nodes
}

/// Parses `host`, `host:port` or `https://host[:port][/]` (port 8006 when absent).
pub(crate) fn parse_node_addr(text: &str) -> Result<NodeAddr, String> {
    if text.is_empty() {
        return Err("is empty: write the node's address, e.g. \"pve.example.com:8006\"".into());
    }
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => {
            return Err(format!("'{text}': PVE's API is served over https only: write \"https://{rest}\""));
        }
        Some((scheme, _)) => {
            return Err(format!("'{text}': unsupported scheme '{scheme}': use https:// or just host:port"));
        }
        None => text,
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path_trimmed = path.trim_end_matches('/');
    if path_trimmed.starts_with("/api2") {
        let fixed = format!("{}{}", if text.contains("://") { "https://" } else { "" }, authority);
        return Err(format!("'{text}': drop the API path; the client adds /api2/json itself: write \"{fixed}\""));
    }
    if !path_trimmed.is_empty() {
        return Err(format!("'{text}': only a host and port are expected, not a path, query or fragment ('{path}')"));
    }
    if authority.contains('@') {
        return Err(format!(
            "'{text}': credentials do not belong in the URL: use \"user\" and \"token_id\"/\"token_secret\""
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else {
            return Err(format!("'{text}': unclosed '[' in an IPv6 address"));
        };
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{text}': '{h}' is not an IPv6 address"));
        }
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("'{text}': unexpected '{after}' after the IPv6 address")),
        };
        (format!("[{h}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(format!("'{text}': write an IPv6 address in brackets, e.g. \"[{authority}]:8006\""));
            }
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\\' | '%')) {
        return Err(format!("'{text}': '{host}' is not a host name or address"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("'{text}': '{p}' is not a port number")),
        },
    };
    Ok(NodeAddr { host: host.to_ascii_lowercase(), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses() {
        let ok = |s: &str| parse_node_addr(s).unwrap().to_string();
        assert_eq!(ok("pve"), "pve:8006");
        assert_eq!(ok("PVE.example.com:8443"), "pve.example.com:8443");
        assert_eq!(ok("https://10.0.0.1:8006/"), "10.0.0.1:8006");
        assert_eq!(ok("https://pve:443"), "pve:443");
        assert_eq!(ok("[::1]:9000"), "[::1]:9000");
        assert_eq!(ok("https://[fe80::1]"), "[fe80::1]:8006");
        let err = |s: &str| parse_node_addr(s).unwrap_err();
        assert!(err("https://pve:8006/api2/json").contains("write \"https://pve:8006\""));
        assert!(err("pve:8006/api2/json/").contains("write \"pve:8006\""));
        assert!(err("http://pve:8006").contains("https only"));
        assert!(err("pve:80x").contains("not a port"));
        assert!(err("fe80::1").contains("brackets"));
        assert!(err("https://pve/ui").contains("not a path"));
        assert!(err("https://root:pw@pve").contains("credentials do not belong"));
    }
}
