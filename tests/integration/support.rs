//! Helpers shared by the tests.

use fake_pve::FakePve;
use proxmox_mcp::config::{ClusterConfig, Config, Env};
use proxmox_mcp::pve::{ClientOptions, PveClient, TicketPolicy};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};
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

/// Log output of the current thread. The subscriber is global (a scoped one misses events
/// whose callsites other test threads registered first), and writes into the buffer of the
/// thread that logs; threads without a buffer discard. Tests here run on one thread
/// (`current_thread` runtime), fake server included.
struct ThreadCapture;

thread_local! {
    static BUFFER: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

impl std::io::Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        BUFFER.with(|b| {
            if let Some(b) = b.borrow().as_ref() {
                b.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing this thread's log lines (every level, every target).
pub fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        tracing_subscriber::fmt()
            .with_writer(|| ThreadCapture)
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .init();
    });
    let buffer = Arc::new(Mutex::new(Vec::new()));
    BUFFER.with(|b| *b.borrow_mut() = Some(buffer.clone()));
    buffer
}
