//! Which strings Perl's `Net::IP->new` accepts, as the firewall formats use it.
//!
//! PVE's firewall checks addresses, networks and ranges by constructing a `Net::IP` object.
//! `Net::IP` (1.26, as shipped by Debian) accepts more than the usual notations: short IPv4
//! addresses (`10/8`, `10.1`), ranges (`a - b`), additions (`a + n`) and prefixes whose host bits
//! are zero. This module reproduces its decision, not its results.

use std::sync::LazyLock;

use regex::Regex;

use super::perl::{chomp, numify, perl_re, perl_split};

/// One `/LEN` step of a prefix, followed by a comma or the end (`s!^/(\d+)(\,|$)!!`).
static PREFIX_STEP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A/([0-9]+)(,|\z)").unwrap_or_else(|e| panic!("{e}")));

/// Whether `Net::IP->new(data)` returns an object.
pub(super) fn accepts(data: &str) -> bool {
    ip_version(data).is_some()
}

/// The IP version (4 or 6) of the object `Net::IP->new(data)` returns, if it returns one.
pub(super) fn ip_version(data: &str) -> Option<u8> {
    let (begin, end) = normalize(data)?;
    if range_ok(&begin, end.as_ref()) { version(&begin) } else { None }
}

/// The end of a normalised range: an address text to validate, or a computed binary value.
enum End {
    Text(String),
    Bin(u128),
}

/// `ip_normalize`: the first address (expanded) and the end of the range, if any.
fn normalize(data: &str) -> Option<(String, Option<End>)> {
    if let Some(c) = perl_re!(r"(\S+?)(/\S+)").captures(data) {
        let version = version(&c[1])?;
        let ip = expand(&c[1], version)?;
        let mut bin = to_bin(&ip, version)?;
        let bits = bit_len(version);
        let mut rest: &str = &c[2];
        while let Some(p) = PREFIX_STEP.captures(rest) {
            let len = numify(&p[1]);
            // `ip_check_prefix`: the length fits and the host bits are zero.
            if len > u64::from(bits) || bin & host_mask(len as u32, bits) != 0 {
                return None;
            }
            bin |= host_mask(len as u32, bits);
            if !p[2].is_empty() {
                match bin.checked_add(1).filter(|b| bits == 128 || *b <= u128::from(u32::MAX)) {
                    Some(next) => bin = next,
                    // Past the last address, `Net::IP` loses the end and keeps a single address.
                    None => return Some((ip, None)),
                }
            }
            rest = &rest[p.get(0).map_or(rest.len(), |m| m.end())..];
        }
        return Some((ip, Some(End::Bin(bin))));
    }
    if let Some(c) = perl_re!(r"(.+?)\s*-\s*(.+)").captures(data) {
        let version = version(&c[1])?;
        let ip = expand(&c[1], version)?;
        let ip2 = expand(&c[2], version)?;
        return Some((ip, Some(End::Text(ip2))));
    }
    if let Some(c) = perl_re!(r"(.+?)\s+\+\s+(.+)").captures(data) {
        // An address plus a number: the sum is not checked here, so any such value is accepted.
        let version = version(&c[1])?;
        let ip = expand(&c[1], version)?;
        return Some((ip, None));
    }
    let version = version(data)?;
    let ip = expand(data, version)?;
    Some((ip, None))
}

/// The checks of `Net::IP::set` on a normalised range.
fn range_ok(begin: &str, end: Option<&End>) -> bool {
    let Some(version) = version(begin) else {
        return false;
    };
    let Some(first) = to_bin(begin, version) else {
        return false;
    };
    let last = match end {
        None => first,
        Some(End::Bin(b)) => *b,
        Some(End::Text(t)) => match version_of_end(t, version) {
            Some(b) => b,
            None => return false,
        },
    };
    first <= last
}

fn version_of_end(end: &str, version: u8) -> Option<u128> {
    if self::version(end)? != version {
        return None;
    }
    to_bin(end, version)
}

fn bit_len(version: u8) -> u32 {
    if version == 4 { 32 } else { 128 }
}

/// The bits after the first `len` of a `bits`-bit address.
fn host_mask(len: u32, bits: u32) -> u128 {
    if len >= bits {
        0
    } else if bits - len == 128 {
        u128::MAX
    } else {
        (1u128 << (bits - len)) - 1
    }
}

/// `ip_get_version`.
fn version(ip: &str) -> Option<u8> {
    if !ip.contains(':') && is_ipv4(ip) {
        Some(4)
    } else if is_ipv6(ip) {
        Some(6)
    } else {
        None
    }
}

/// `ip_is_ipv4`: one to four dot-separated decimal numbers below 256.
fn is_ipv4(ip: &str) -> bool {
    if !perl_re!(r"[0-9.]+").is_match(ip) {
        return false;
    }
    let ip = chomp(ip);
    if ip.starts_with('.') || ip.ends_with('.') {
        return false;
    }
    if ip.bytes().all(|b| b.is_ascii_digit()) && numify(ip) < 256 {
        return true;
    }
    ip.matches('.').count() < 4 && !ip.contains("..") && ip.split('.').all(|q| numify(q) < 256)
}

/// `ip_is_ipv6`.
fn is_ipv6(ip: &str) -> bool {
    let mut colons = ip.matches(':').count();
    if colons == 0 || colons >= 8 {
        return false;
    }
    for (k, part) in perl_split(ip, ':').iter().enumerate() {
        if part.is_empty() || perl_re!("[a-fA-F0-9]{1,4}").is_match(part) {
            continue;
        }
        if k + 1 == colons + 1 && is_ipv4(part) {
            colons += 1;
            continue;
        }
        return false;
    }
    let text = chomp(ip);
    if text.starts_with(':') && !text.starts_with("::") {
        return false;
    }
    if text.ends_with(':') && !text.ends_with("::") {
        return false;
    }
    let doubles = text.as_bytes().windows(2).filter(|w| w == b"::").count();
    if doubles > 1 {
        return false;
    }
    colons == 7 || text.contains("::")
}

/// `ip_expand_address`: the full text form of a short address, unchecked beyond its syntax.
fn expand(ip: &str, version: u8) -> Option<String> {
    if version == 4 {
        let quads = perl_split(ip, '.');
        if quads.len() > 4 {
            return None;
        }
        let mut out = [0u64; 4];
        for (i, q) in quads.iter().enumerate() {
            if !perl_re!("[0-9]{1,3}").is_match(q) {
                return None;
            }
            out[i] = numify(q);
        }
        return Some(format!("{}.{}.{}.{}", out[0], out[1], out[2], out[3]));
    }
    if ip.matches("::").count() > 1 {
        return None;
    }
    let marked = ip.replace("::", ":!:");
    let parts = perl_split(&marked, ':');
    let mut num = parts.len();
    let mut groups: Vec<String> = Vec::with_capacity(9);
    for part in &parts {
        if part.contains('.') {
            let v4 = expand(part, 4)?;
            let bin = to_bin(&v4, 4)?;
            groups.push(format!("{:04x}:{:04x}", bin >> 16, bin & 0xffff));
            num += 1;
        } else {
            groups.push(format!("{}{part}", "0".repeat(4usize.saturating_sub(part.chars().count()))));
        }
    }
    if let Some(pos) = groups.iter().position(|g| g == "000!") {
        let fill = 9usize.saturating_sub(num);
        groups[pos] = vec!["0000"; fill].join(":");
    }
    Some(groups.join(":").to_lowercase())
}

/// `ip_iptobin` as a number.
fn to_bin(ip: &str, version: u8) -> Option<u128> {
    if version == 4 {
        let mut bin = 0u128;
        let quads = ip.split('.').collect::<Vec<_>>();
        if quads.len() != 4 {
            return None;
        }
        for q in quads {
            bin = (bin << 8) | u128::from((numify(q) % 256) as u8);
        }
        return Some(bin);
    }
    let hex: String = ip.chars().filter(|c| *c != ':').collect();
    if hex.chars().count() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn net_ip_notations() {
        // Each case was compared with Net::IP 1.26 on Debian.
        let ok = [
            "10.0.0.1",
            "10.0.0.0/24",
            "10/8",
            "10.0.0",
            "10.1",
            "10",
            "10.0.0.1-10.0.0.5",
            "10.0.0.1 - 10.0.0.5",
            "10.0.0.1 + 5",
            "::1",
            "::1/128",
            "fe80::/10",
            "01.2.3.4",
            "::ffff:1.2.3.4",
            "2001:db8::-2001:db8::5",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "0.0.0.0/0",
            "10.0.0.1/32",
            "FE80::1",
            "10.0.0.0/24-10.0.1.0",
            "1.2.3",
        ];
        for v in ok {
            assert!(accepts(v), "{v:?} should be accepted");
        }
        let bad = [
            "10.0.0.1/24",
            "10.0.0.5-10.0.0.1",
            "10.0.0.0/33",
            "fe80::1/64",
            "1.2.3.4-::1",
            "a",
            "",
            "1.2.3.256",
            " 10.0.0.1",
            "10.0.0.1 ",
            "1.2.3.4/0",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "10.0.0.1/",
        ];
        for v in bad {
            assert!(!accepts(v), "{v:?} should be refused");
        }
    }
}
