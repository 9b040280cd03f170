//! Helpers shared by the tests.

use fake_pve::FakePve;
use proxmox_mcp::config::{ClusterConfig, Config, Env};
use proxmox_mcp::pve::{ClientOptions, PveClient, TicketPolicy};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// The default fake's token secret.
pub const TOKEN_SECRET: &str = "00000000-0000-0000-0000-000000000000";
/// The default fake's root password.
pub const PASSWORD: &str = "fake-password";

/// An environment with no variables and an empty working directory.
pub fn empty_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    Env::new(dir.path(), Vec::<(String, String)>::new())
}

/// Parses one cluster object named `c`.
pub fn cluster(value: Value) -> ClusterConfig {
    let text = json!({ "clusters": { "c": value } }).to_string();
    match Config::from_json(&text, Path::new("/"), "test", &empty_env()) {
        Ok(config) => config.cluster("c").unwrap().clone(),
        Err(e) => panic!("{e}"),
    }
}

/// A token cluster pinned to the fake.
pub fn token_json(fake: &FakePve) -> Value {
    json!({
        "url": fake.url(), "user": "root@pam", "token_id": "mcp", "token_secret": TOKEN_SECRET,
        "fingerprint": fake.fingerprint(), "timeout_s": 3
    })
}

/// A password cluster pinned to the fake.
pub fn password_json(fake: &FakePve) -> Value {
    json!({ "url": fake.url(), "user": "root@pam", "password": PASSWORD, "fingerprint": fake.fingerprint(), "timeout_s": 3 })
}

/// Options for tests: short connect timeout.
pub fn options() -> ClientOptions {
    ClientOptions { connect_timeout: Some(Duration::from_millis(500)), ..ClientOptions::default() }
}

/// Options with a ticket policy.
pub fn options_with_tickets(lifetime: Duration, renew_margin: Duration) -> ClientOptions {
    ClientOptions { ticket: TicketPolicy { lifetime, renew_margin }, ..options() }
}

/// A client for one cluster object.
pub fn client(value: Value) -> PveClient {
    PveClient::with_options(&cluster(value), options()).unwrap()
}
