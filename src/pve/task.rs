//! PVE tasks: UPIDs and waiting for a task to end.

use super::client::{ApiRequest, PveClient};
use super::error::Error;
use crate::schema::path::encode_segment;
use crate::schema::types::Method;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// A task ID: `UPID:node:pid:pstart:starttime:type:id:user@realm:` (numbers in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upid {
    /// The node the task runs on.
    pub node: String,
    /// The worker's process ID.
    pub pid: u32,
    /// The worker's process start time (clock ticks since boot).
    pub pstart: u64,
    /// When the task started (Unix time).
    pub starttime: i64,
    /// The task type, e.g. `qmstart`.
    pub worker_type: String,
    /// The object it acts on, e.g. a VM ID; may be empty.
    pub id: String,
    /// Who started it, `user@realm` (or `user@realm!token`).
    pub user: String,
    text: String,
}

/// Why a UPID could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid task ID '{upid}': {reason} (expected UPID:node:pid:pstart:starttime:type:id:user@realm:)")]
pub struct UpidError {
    /// The text given (truncated).
    pub upid: String,
    /// What is wrong.
    pub reason: String,
}

impl Upid {
    /// The UPID as PVE writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Upid {
    type Err = UpidError;

    fn from_str(s: &str) -> Result<Upid, UpidError> {
        let text = s.trim();
        let err = |reason: String| UpidError { upid: text.chars().take(200).collect(), reason };
        let Some(rest) = text.strip_prefix("UPID:") else { return Err(err("does not start with 'UPID:'".into())) };
        let Some(rest) = rest.strip_suffix(':') else { return Err(err("does not end with ':'".into())) };
        let fields: Vec<&str> = rest.split(':').collect();
        if fields.len() != 7 {
            return Err(err(format!("has {} fields between 'UPID:' and the final ':', expected 7", fields.len())));
        }
        let node = fields[0];
        if node.is_empty() || !node.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
            return Err(err(format!("'{node}' is not a node name")));
        }
        let hex = |name: &str, v: &str, max: usize| -> Result<u64, UpidError> {
            if v.is_empty() || v.len() > max || !v.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(err(format!("{name} '{v}' is not a hex number of at most {max} digits")));
            }
            u64::from_str_radix(v, 16).map_err(|e| err(format!("{name}: {e}")))
        };
        let pid = hex("pid", fields[1], 8)? as u32;
        let pstart = hex("pstart", fields[2], 9)?;
        let starttime = hex("starttime", fields[3], 8)? as i64;
        let worker_type = fields[4];
        if worker_type.is_empty() || worker_type.chars().any(char::is_whitespace) {
            return Err(err("the task type is empty".into()));
        }
        let id = fields[5];
        let user = fields[6];
        if !user.contains('@') || user.chars().any(char::is_whitespace) {
            return Err(err(format!("'{user}' is not user@realm")));
        }
        Ok(Upid {
            node: node.to_owned(),
            pid,
            pstart,
            starttime,
            worker_type: worker_type.to_owned(),
            id: id.to_owned(),
            user: user.to_owned(),
            text: text.to_owned(),
        })
    }
}

/// What a poll saw, for progress notifications.
#[derive(Debug, Clone)]
pub struct TaskProgress<'a> {
    /// Time since waiting started.
    pub elapsed: Duration,
    /// PVE's task status: `running` or `stopped`.
    pub status: &'a str,
    /// Polls so far, this one included.
    pub polls: u32,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    /// The task ended; `exit_status` is `OK`, `WARNINGS: n`, or the error text.
    Finished {
        /// PVE's exit status.
        exit_status: String,
    },
    /// The wait timed out; the task is still running (this is not a failure of the task).
    StillRunning,
}

/// The result of [`wait_for_task`].
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    /// The task.
    pub upid: Upid,
    /// How the wait ended.
    pub state: TaskState,
    /// The last lines of the task log.
    pub log: Vec<String>,
    /// How long the wait took.
    pub elapsed: Duration,
}

impl TaskOutcome {
    /// The task ended successfully (`OK`, or `WARNINGS`).
    pub fn succeeded(&self) -> bool {
        matches!(&self.state, TaskState::Finished { exit_status } if exit_status == "OK" || exit_status.starts_with("WARNINGS"))
    }
}

impl fmt::Display for TaskOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            TaskState::Finished { exit_status } if self.succeeded() => {
                write!(f, "task {} finished: {exit_status}", self.upid)?
            }
            TaskState::Finished { exit_status } => write!(f, "task {} failed: {exit_status}", self.upid)?,
            TaskState::StillRunning => write!(
                f,
                "task {} is still running after {:.1} s (waiting stopped, the task goes on)",
                self.upid,
                self.elapsed.as_secs_f64()
            )?,
        }
        if !self.log.is_empty() {
            write!(f, "\nlast log lines:\n{}", self.log.join("\n"))?;
        }
        Ok(())
    }
}

/// Polling and log options of [`wait_for_task_with`].
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// The first pause between polls.
    pub first_delay: Duration,
    /// The longest pause (the pause doubles up to this).
    pub max_delay: Duration,
    /// How many log lines to return.
    pub log_lines: usize,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions { first_delay: Duration::from_millis(250), max_delay: Duration::from_secs(2), log_lines: 50 }
    }
}

/// Waits until the task stops or `timeout` passes, polling its status with backoff
/// (250 ms doubling to 2 s) and calling `progress` after each poll. Returns the exit
/// status (or that it is still running) and the last lines of its log.
pub async fn wait_for_task(
    client: &PveClient,
    upid: &Upid,
    timeout: Duration,
    progress: impl FnMut(&TaskProgress<'_>),
) -> Result<TaskOutcome, Error> {
    wait_for_task_with(client, upid, timeout, WaitOptions::default(), progress).await
}

/// [`wait_for_task`] with explicit polling options.
pub async fn wait_for_task_with(
    client: &PveClient,
    upid: &Upid,
    timeout: Duration,
    options: WaitOptions,
    mut progress: impl FnMut(&TaskProgress<'_>),
) -> Result<TaskOutcome, Error> {
    let started = Instant::now();
    let base = format!("/nodes/{}/tasks/{}", encode_segment(&upid.node), encode_segment(upid.as_str()));
    let status_path = format!("{base}/status");
    let mut delay = options.first_delay;
    let mut polls = 0u32;
    let state = loop {
        let status = client.call(&ApiRequest::new(Method::Get, &status_path)).await?;
        polls += 1;
        let s = status.get("status").and_then(Value::as_str).unwrap_or("unknown");
        progress(&TaskProgress { elapsed: started.elapsed(), status: s, polls });
        if s == "stopped" {
            let exit_status = status.get("exitstatus").and_then(Value::as_str).unwrap_or("unknown").trim().to_owned();
            break TaskState::Finished { exit_status };
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            break TaskState::StillRunning;
        }
        tokio::time::sleep(delay.min(timeout - elapsed)).await;
        delay = (delay * 2).min(options.max_delay);
    };
    let log = tail_log(client, &base, options.log_lines).await?;
    Ok(TaskOutcome { upid: upid.clone(), state, log, elapsed: started.elapsed() })
}

/// The last `lines` lines of the task log, paging through it (at most 100 pages).
async fn tail_log(client: &PveClient, base: &str, lines: usize) -> Result<Vec<String>, Error> {
    if lines == 0 {
        return Ok(Vec::new());
    }
    const PAGE: usize = 500;
    let path = format!("{base}/log");
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut start = 0usize;
    for _ in 0..100 {
        let params = vec![("start".to_owned(), start.to_string()), ("limit".to_owned(), PAGE.to_string())];
        let page = client.call(&ApiRequest::new(Method::Get, &path).params(&params)).await?;
        let entries = page.as_array().cloned().unwrap_or_default();
        for e in &entries {
            let line = e.get("t").and_then(Value::as_str).unwrap_or_default();
            tail.push_back(line.to_owned());
            if tail.len() > lines {
                tail.pop_front();
            }
        }
        if entries.len() < PAGE {
            break;
        }
        start += entries.len();
    }
    Ok(tail.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upids_parse() {
        let u: Upid = "UPID:pve1:0000ABCD:00112233:65F0A1B2:qmstart:100:root@pam:".parse().unwrap();
        assert_eq!(u.node, "pve1");
        assert_eq!(u.pid, 0xABCD);
        assert_eq!(u.pstart, 0x112233);
        assert_eq!(u.starttime, 0x65F0A1B2);
        assert_eq!(u.worker_type, "qmstart");
        assert_eq!(u.id, "100");
        assert_eq!(u.user, "root@pam");
        assert_eq!(u.to_string(), "UPID:pve1:0000ABCD:00112233:65F0A1B2:qmstart:100:root@pam:");
        let t: Upid = "UPID:n-2:00000001:100000000:00000001:vzdump::mcp@pve!tok:".parse().unwrap();
        assert_eq!((t.id.as_str(), t.user.as_str(), t.pstart), ("", "mcp@pve!tok", 0x1_0000_0000));
    }

    #[test]
    fn upid_errors_say_what_is_wrong() {
        let e = |s: &str| s.parse::<Upid>().unwrap_err().to_string();
        assert!(e("pve1:1").contains("does not start with 'UPID:'"));
        assert!(e("UPID:pve1:1:2:3:qmstart:100:root@pam").contains("does not end with ':'"));
        assert!(e("UPID:pve1:1:2:qmstart:100:root@pam:").contains("has 6 fields"));
        assert!(e("UPID:pve1:XYZ:2:3:qmstart:100:root@pam:").contains("pid 'XYZ'"));
        assert!(e("UPID:pve1:1:2:3:qmstart:100:root:").contains("'root' is not user@realm"));
        assert!(e("UPID:pv e:1:2:3:qmstart:100:root@pam:").contains("not a node name"));
    }
}
