//! What Linux tells about another process: resident memory (`/proc/PID/status`) and CPU
//! time used (`/proc/PID/stat`).

/// Clock ticks per second of `/proc/PID/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_S: f64 = 100.0;

/// `VmRSS` of the process, in KiB; `None` where there is no such process or no `/proc`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

/// User plus system CPU time the process has used, in milliseconds (10 ms resolution).
pub fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|t| t as f64 * 1000.0 / TICKS_PER_S)
}

/// utime + stime: fields 14 and 15, counted after the command name, which is in
/// parentheses and may itself hold spaces.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
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

    #[test]
    fn reads_user_plus_system_ticks() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1830 0 0 0 157 23 0 0 20 0 3 0 5938 1000 2000";
        assert_eq!(parse_cpu_ticks(stat), Some(180));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        #[cfg(target_os = "linux")]
        assert!(cpu_ms(std::process::id()).is_some());
    }
}
