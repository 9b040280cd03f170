//! Resident memory of a process, from `/proc/PID/status`.

/// `VmRSS` of the process, in KiB; `None` where there is no such process or no `/proc`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_in_kib() {
        assert_eq!(parse_vm_rss("Name:\tx\nVmPeak:\t 9 kB\nVmRSS:\t   12345 kB\nThreads: 3\n"), Some(12345));
        assert_eq!(parse_vm_rss("Name:\tkthread\n"), None);
        #[cfg(target_os = "linux")]
        assert!(rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }
}
