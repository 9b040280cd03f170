//! Request checks on every HTTP route: `Host` and `Origin` allowlists (DNS-rebinding
//! protection) and bearer-token authentication.
//!
//! - `MCP_ALLOWED_HOSTS` (comma-separated): `host` matches that host with no port in the
//!   `Host` header (the scheme's default port), `host:PORT` that port, `host:*` any port.
//!   Unset, only loopback names are allowed, on any port.
//! - `MCP_ALLOWED_ORIGINS` (comma-separated `scheme://host[:port|:*]`, or `null`): checked
//!   when a request carries `Origin`. Unset, an origin is allowed when it is http(s) and its
//!   host and port pass the host allowlist.
//! - Bearer tokens: compared as SHA-256 digests in constant time; every configured token is
//!   compared on every request.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// A port rule of an allowlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Port {
    /// No port written: the scheme's default (no port in the header).
    Default,
    /// `:*`.
    Any,
    /// An explicit port.
    Exact(u16),
}

/// One `MCP_ALLOWED_HOSTS` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    host: String,
    port: Port,
}

/// One `MCP_ALLOWED_ORIGINS` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginRule {
    /// `Origin: null` (sandboxed documents, files).
    Null,
    /// `scheme://host[:port|:*]`.
    Url {
        /// `http` or `https`.
        scheme: String,
        /// The host rule.
        host: HostRule,
    },
}

/// The checks applied to every request.
#[derive(Clone)]
pub struct Security {
    hosts: Vec<HostRule>,
    origins: Option<Vec<OriginRule>>,
    /// SHA-256 of each accepted bearer token.
    tokens: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("hosts", &self.hosts)
            .field("origins", &self.origins)
            .field("tokens", &format_args!("{} configured", self.tokens.len()))
            .finish()
    }
}

/// Splits `host[:port]` (IPv6 in brackets) into a lower-case host and an optional port.
fn split_authority(s: &str) -> Option<(String, Option<&str>)> {
    let s = s.trim();
    if s.is_empty() || s.contains(['/', '@', ' ']) {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = format!("[{}]", &rest[..end].to_ascii_lowercase());
        let after = &rest[end + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Some((host, Some(p))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && !h.is_empty() => Some((h.to_ascii_lowercase(), Some(p))),
        Some(_) => None,
        None => Some((s.to_ascii_lowercase(), None)),
    }
}

impl HostRule {
    /// Parses `host`, `host:PORT` or `host:*`.
    pub fn parse(s: &str) -> Result<HostRule, String> {
        let (host, port) = split_authority(s).ok_or_else(|| format!("'{s}' is not a host or host:port"))?;
        let port = match port {
            None => Port::Default,
            Some("*") => Port::Any,
            Some(p) => Port::Exact(p.parse().map_err(|_| format!("'{s}': the port must be a number or '*'"))?),
        };
        Ok(HostRule { host, port })
    }

    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        self.host == host
            && match self.port {
                Port::Any => true,
                Port::Default => port.is_none(),
                Port::Exact(p) => port == Some(p),
            }
    }
}

impl OriginRule {
    /// Parses `scheme://host[:port|:*]` or `null`.
    pub fn parse(s: &str) -> Result<OriginRule, String> {
        let s = s.trim();
        if s == "null" {
            return Ok(OriginRule::Null);
        }
        let (scheme, rest) =
            s.split_once("://").ok_or_else(|| format!("'{s}' is not an origin like https://host or http://host:*"))?;
        let rest = rest.trim_end_matches('/');
        Ok(OriginRule::Url { scheme: scheme.to_ascii_lowercase(), host: HostRule::parse(rest)? })
    }
}

/// The loopback names allowed when `MCP_ALLOWED_HOSTS` is unset.
pub fn loopback_hosts() -> Vec<HostRule> {
    ["localhost:*", "127.0.0.1:*", "[::1]:*"].iter().map(|h| HostRule::parse(h).expect("valid")).collect()
}

impl Security {
    /// Builds the checks. `hosts` empty means loopback names only; `origins` `None` means
    /// "derived from the hosts".
    pub fn new(hosts: Vec<HostRule>, origins: Option<Vec<OriginRule>>, tokens: &[String]) -> Security {
        let hosts = if hosts.is_empty() { loopback_hosts() } else { hosts };
        let tokens = tokens.iter().map(|t| Sha256::digest(t.as_bytes()).into()).collect();
        Security { hosts, origins, tokens }
    }

    /// Parses comma-separated allowlists as in `MCP_ALLOWED_HOSTS` / `MCP_ALLOWED_ORIGINS`.
    pub fn parse_lists(
        hosts: Option<&str>,
        origins: Option<&str>,
    ) -> Result<(Vec<HostRule>, Option<Vec<OriginRule>>), String> {
        let split =
            |s: &str| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let hosts = match hosts {
            None => Vec::new(),
            Some(h) => split(h)
                .iter()
                .map(|h| HostRule::parse(h).map_err(|e| format!("MCP_ALLOWED_HOSTS: {e}")))
                .collect::<Result<_, _>>()?,
        };
        let origins = match origins {
            None => None,
            Some(o) => Some(
                split(o)
                    .iter()
                    .map(|o| OriginRule::parse(o).map_err(|e| format!("MCP_ALLOWED_ORIGINS: {e}")))
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok((hosts, origins))
    }

    /// Whether any bearer token is configured.
    pub fn requires_auth(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// A `Host` header value the allowlist accepts for a server on `port`: what our own
    /// health check sends.
    pub fn accepted_host(&self, port: u16) -> String {
        match self.hosts.first() {
            None => format!("localhost:{port}"),
            Some(HostRule { host, port: Port::Default }) => host.clone(),
            Some(HostRule { host, port: Port::Exact(p) }) => format!("{host}:{p}"),
            Some(HostRule { host, port: Port::Any }) => format!("{host}:{port}"),
        }
    }

    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.hosts.iter().any(|r| r.matches(host, port))
    }

    /// Checks `Host` and `Origin`; the error is the response to send.
    pub fn check_headers(&self, headers: &HeaderMap, authority: Option<&str>) -> Result<(), (StatusCode, String)> {
        let host_value = match headers.get(header::HOST).map(|h| h.to_str()) {
            Some(Ok(h)) => h.to_owned(),
            Some(Err(_)) => return Err((StatusCode::BAD_REQUEST, "the Host header is not valid text".to_owned())),
            None => match authority {
                Some(a) => a.to_owned(),
                None => return Err((StatusCode::BAD_REQUEST, "the request has no Host header".to_owned())),
            },
        };
        let refuse_host = || {
            (
                StatusCode::FORBIDDEN,
                format!("Host header '{}' is not allowed (see MCP_ALLOWED_HOSTS)", printable(&host_value)),
            )
        };
        let (host, port) = split_authority(&host_value).ok_or_else(refuse_host)?;
        let port = match port {
            None => None,
            Some(p) => Some(p.parse::<u16>().map_err(|_| refuse_host())?),
        };
        if !self.host_allowed(&host, port) {
            return Err(refuse_host());
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !self.origin_allowed(origin) {
                return Err((
                    StatusCode::FORBIDDEN,
                    format!("Origin '{}' is not allowed (see MCP_ALLOWED_ORIGINS)", printable(origin)),
                ));
            }
        }
        Ok(())
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if origin == "null" {
            return self.origins.as_ref().is_some_and(|o| o.contains(&OriginRule::Null));
        }
        let Some((scheme, rest)) = origin.split_once("://") else { return false };
        let scheme = scheme.to_ascii_lowercase();
        let Some((host, port)) = split_authority(rest) else { return false };
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => return false,
            },
        };
        // An explicit default port is the same origin as none.
        let port = match (scheme.as_str(), port) {
            ("https", Some(443)) | ("http", Some(80)) => None,
            (_, p) => p,
        };
        match &self.origins {
            Some(rules) => rules.iter().any(|r| match r {
                OriginRule::Null => false,
                OriginRule::Url { scheme: s, host: h } => *s == scheme && h.matches(&host, port),
            }),
            None => (scheme == "http" || scheme == "https") && self.host_allowed(&host, port),
        }
    }

    /// Checks the bearer token, when tokens are configured.
    pub fn check_auth(&self, headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
        if self.tokens.is_empty() {
            return Ok(());
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(presented) = presented else {
            return Err((
                StatusCode::UNAUTHORIZED,
                "missing bearer token (send 'Authorization: Bearer <token>')".to_owned(),
            ));
        };
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut matched = subtle::Choice::from(0u8);
        for t in &self.tokens {
            matched |= t.ct_eq(&digest);
        }
        if bool::from(matched) { Ok(()) } else { Err((StatusCode::UNAUTHORIZED, "invalid bearer token".to_owned())) }
    }
}

/// A header value fit for an error message: printable ASCII, at most 100 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(100).collect()
}

/// The axum middleware: `Host`/`Origin` on every route, the bearer token on every route
/// but `/healthz`.
pub async fn guard(State(security): State<Arc<Security>>, request: Request, next: Next) -> Response {
    let authority = request.uri().authority().map(|a| a.as_str().to_owned());
    if let Err((status, message)) = security.check_headers(request.headers(), authority.as_deref()) {
        tracing::warn!(status = status.as_u16(), %message, path = request.uri().path(), "request refused");
        return (status, message).into_response();
    }
    if request.uri().path() != "/healthz"
        && let Err((status, message)) = security.check_auth(request.headers())
    {
        tracing::warn!(status = status.as_u16(), %message, path = request.uri().path(), "request refused");
        let mut response = (status, message).into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer realm=\"proxmox-mcp\""));
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn default_security() -> Security {
        Security::new(Vec::new(), None, &[])
    }

    #[test]
    fn loopback_hosts_by_default() {
        let s = default_security();
        for host in ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:8000", "LOCALHOST:9"] {
            assert!(s.check_headers(&headers(&[("host", host)]), None).is_ok(), "{host}");
        }
        for host in ["evil.example", "evil.example:8000", "127.0.0.2:8000", "localhost.evil.example", "localhost:x"] {
            let (status, msg) = s.check_headers(&headers(&[("host", host)]), None).unwrap_err();
            assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
            assert!(msg.starts_with("Host header"), "{msg}");
        }
        assert_eq!(s.check_headers(&HeaderMap::new(), None).unwrap_err().0, StatusCode::BAD_REQUEST);
        assert!(s.check_headers(&HeaderMap::new(), Some("localhost:8000")).is_ok());
    }

    #[test]
    fn configured_hosts_and_port_wildcards() {
        let (hosts, origins) =
            Security::parse_lists(Some("mcp.example.com, proxy.lan:*, 10.0.0.5:8000"), None).unwrap();
        let s = Security::new(hosts, origins, &[]);
        let ok = |h: &str| s.check_headers(&headers(&[("host", h)]), None).is_ok();
        assert!(ok("mcp.example.com"));
        assert!(!ok("mcp.example.com:8000"));
        assert!(ok("proxy.lan:1234") && ok("proxy.lan"));
        assert!(ok("10.0.0.5:8000") && !ok("10.0.0.5:8001"));
        assert!(!ok("localhost:8000"), "configured lists replace the loopback default");
        assert!(Security::parse_lists(Some("host:port"), None).unwrap_err().contains("MCP_ALLOWED_HOSTS"));
        // The health check's Host header passes its own allowlist, whatever the rule's port.
        for list in ["mcp.example.com", "proxy.lan:*", "10.0.0.5:8000"] {
            let (hosts, origins) = Security::parse_lists(Some(list), None).unwrap();
            let s = Security::new(hosts, origins, &[]);
            let host = s.accepted_host(8000);
            assert!(s.check_headers(&headers(&[("host", &host)]), None).is_ok(), "{list}: {host}");
        }
    }

    #[test]
    fn origins_derived_from_hosts_or_configured() {
        let s = default_security();
        let check = |s: &Security, origin: &str| {
            s.check_headers(&headers(&[("host", "localhost:8000"), ("origin", origin)]), None).is_ok()
        };
        assert!(check(&s, "http://localhost:3000"));
        assert!(check(&s, "https://127.0.0.1"));
        assert!(!check(&s, "http://evil.example"));
        assert!(!check(&s, "file://localhost"));
        assert!(!check(&s, "null"));
        let (hosts, origins) =
            Security::parse_lists(None, Some("https://app.example.com, http://localhost:*, null")).unwrap();
        let s = Security::new(hosts, origins, &[]);
        assert!(check(&s, "https://app.example.com") && check(&s, "https://app.example.com:443"));
        assert!(!check(&s, "https://app.example.com:8443"));
        assert!(check(&s, "http://localhost:5173") && check(&s, "null"));
        assert!(!check(&s, "http://127.0.0.1:5173"));
        let err =
            s.check_headers(&headers(&[("host", "localhost"), ("origin", "https://evil.example")]), None).unwrap_err();
        assert_eq!(err.1, "Origin 'https://evil.example' is not allowed (see MCP_ALLOWED_ORIGINS)");
    }

    #[test]
    fn bearer_tokens() {
        let s = Security::new(Vec::new(), None, &["s3cret-token".to_owned(), "second".to_owned()]);
        assert!(s.requires_auth());
        assert!(s.check_auth(&headers(&[("authorization", "Bearer s3cret-token")])).is_ok());
        assert!(s.check_auth(&headers(&[("authorization", "Bearer second")])).is_ok());
        let (status, msg) = s.check_auth(&headers(&[("authorization", "Bearer wrong")])).unwrap_err();
        assert_eq!((status, msg.as_str()), (StatusCode::UNAUTHORIZED, "invalid bearer token"));
        assert!(s.check_auth(&HeaderMap::new()).unwrap_err().1.starts_with("missing bearer token"));
        assert!(s.check_auth(&headers(&[("authorization", "Basic czNjcmV0")])).is_err());
        assert!(!format!("{s:?}").contains("s3cret"), "tokens never appear in Debug output");
        assert!(default_security().check_auth(&HeaderMap::new()).is_ok());
    }
}
