//! The physical-limit baseline: plain HTTPS GETs straight to the upstream, with the same
//! credentials and TLS settings the server uses for that cluster.

use proxmox_mcp::config::{ClusterConfig, Credentials};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use std::time::{Duration, Instant};

/// GETs of one API path on a cluster's first node.
pub struct Direct {
    client: reqwest::Client,
    url: reqwest::Url,
    authorization: HeaderValue,
}

impl Direct {
    /// A baseline for `path` (with or without `/api2/json`) on `cluster`, whose client keeps
    /// up to `pool` idle connections. The cluster must use an API token.
    pub fn new(cluster: &ClusterConfig, path: &str, pool: usize) -> Result<Direct, String> {
        let Credentials::Token { user, token_id, secret } = &cluster.credentials else {
            return Err(format!(
                "cluster '{}' logs in with a password; the direct baseline needs an API token",
                cluster.name
            ));
        };
        let mut authorization = HeaderValue::from_str(&format!("PVEAPIToken={user}!{token_id}={}", secret.expose()))
            .map_err(|_| "the token is not a valid header value".to_owned())?;
        authorization.set_sensitive(true);
        let node = cluster.nodes.first().ok_or("the cluster has no node")?;
        let path = path.strip_prefix("/api2/json").unwrap_or(path);
        let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
        let url = reqwest::Url::parse(&format!("{}/api2/json{path}", node.base_url()))
            .map_err(|e| format!("bad path '{path}': {e}"))?;
        let tls = proxmox_mcp::pve::tls_config(cluster)?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .http1_only()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(pool.max(1))
            .pool_idle_timeout(Duration::from_secs(50))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Direct { client, url, authorization })
    }

    /// The URL requested.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// One GET; returns when the whole answer was read. A status other than 200 is an error.
    pub async fn get(&self) -> Result<Instant, String> {
        let response = self
            .client
            .get(self.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .send()
            .await
            .map_err(|e| crate::mcp::describe_error("GET", &e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| crate::mcp::describe_error("GET", &e))?;
        let arrived = Instant::now();
        if status != reqwest::StatusCode::OK {
            return Err(format!("GET {}: HTTP {status} ({} bytes)", self.url.path(), body.len()));
        }
        Ok(arrived)
    }
}
