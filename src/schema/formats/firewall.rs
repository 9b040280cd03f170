//! Firewall formats: address specifications, ports, protocols, ICMP types and conntrack
//! helpers (pve-firewall).

use super::Verdict;
use super::net::{ipv4_re, ipv6_re};
use super::netbase::{PROTOCOLS, SERVICES};
use super::netip;
use super::perl::{perl_re, perl_split, valid_if};

/// Why a service or protocol name outside the embedded lists is accepted.
const NODE_FILES: &str = "names outside Debian's /etc/services and /etc/protocols depend on the node's own files";

/// An IP alias name, optionally scoped to the datacenter or the guest (`dc/name`).
const ALIAS: &str = r"(?:(?:dc|guest)/)?[A-Za-z][A-Za-z0-9\-_]+";
const MAX_NAME: usize = 64;

pub(super) fn ip_or_cidr(value: &str) -> Verdict {
    let syntax = perl_re!(&format!(r"(?:{}|{})(?:/\d+)?", ipv6_re(), ipv4_re())).is_match(value);
    valid_if(
        syntax && netip::accepts(value),
        "an IP address or a network in CIDR notation with the host bits zero (e.g. 192.0.2.0/24)",
    )
}

pub(super) fn ip_or_cidr_or_alias(value: &str) -> Verdict {
    if perl_re!(ALIAS).is_match(value) {
        return Verdict::Valid;
    }
    valid_if(
        ip_or_cidr(value) == Verdict::Valid,
        "an IP address, a network in CIDR notation with the host bits zero, or an alias name",
    )
}

/// The length of a name without its scope prefix.
fn unscoped_len(name: &str) -> usize {
    let name = ["dc/", "guest/", "sdn/"].iter().find_map(|p| name.strip_prefix(p)).unwrap_or(name);
    name.chars().count()
}

pub(super) fn addr_spec(value: &str) -> Verdict {
    const EXPECTED: &str = "an IP address, network or range, a comma-separated list of addresses and networks of one IP version, an IP set '+name' or an alias name";
    if let Some(c) = perl_re!(r"\+(\S+)").captures(value) {
        return valid_if(unscoped_len(&c[1]) <= MAX_NAME, "an IP set name of at most 64 characters");
    }
    if perl_re!(ALIAS).is_match(value) {
        return valid_if(
            unscoped_len(value.trim_end_matches('\n')) <= MAX_NAME,
            "an alias name of at most 64 characters",
        );
    }
    let elements = perl_split(value, ',');
    if elements.join(",") != value {
        return Verdict::Invalid(EXPECTED.to_owned());
    }
    let mut version = None;
    let mut range = false;
    for element in &elements {
        let Some(v) = netip::ip_version(element) else {
            return Verdict::Invalid(EXPECTED.to_owned());
        };
        range |= element.contains('-');
        if version.is_some_and(|old| old != v) {
            return Verdict::Invalid("addresses of one IP version only (IPv4 and IPv6 are mixed)".to_owned());
        }
        version = Some(v);
    }
    valid_if(!(range && elements.len() > 1), "a single address range, not a range inside a list")
}

/// ICMP type names of `iptables -p icmp -h`.
const ICMP_TYPES: &[&str] = &[
    "TOS-host-redirect",
    "TOS-host-unreachable",
    "TOS-network-redirect",
    "TOS-network-unreachable",
    "address-mask-reply",
    "address-mask-request",
    "any",
    "communication-prohibited",
    "destination-unreachable",
    "echo-reply",
    "echo-request",
    "fragmentation-needed",
    "host-precedence-violation",
    "host-prohibited",
    "host-redirect",
    "host-unknown",
    "host-unreachable",
    "ip-header-bad",
    "network-prohibited",
    "network-redirect",
    "network-unknown",
    "network-unreachable",
    "parameter-problem",
    "port-unreachable",
    "precedence-cutoff",
    "protocol-unreachable",
    "redirect",
    "required-option-missing",
    "router-advertisement",
    "router-solicitation",
    "source-quench",
    "source-route-failed",
    "time-exceeded",
    "timestamp-reply",
    "timestamp-request",
    "ttl-zero-during-reassembly",
    "ttl-zero-during-transit",
];

/// ICMPv6 type names of `ip6tables -p icmpv6 -h`.
const ICMPV6_TYPES: &[&str] = &[
    "address-unreachable",
    "any",
    "bad-header",
    "beyond-scope",
    "communication-prohibited",
    "destination-unreachable",
    "echo-reply",
    "echo-request",
    "failed-policy",
    "neighbor-advertisement",
    "neighbor-solicitation",
    "neighbour-advertisement",
    "neighbour-solicitation",
    "no-route",
    "packet-too-big",
    "parameter-problem",
    "port-unreachable",
    "redirect",
    "reject-route",
    "router-advertisement",
    "router-solicitation",
    "time-exceeded",
    "ttl-zero-during-reassembly",
    "ttl-zero-during-transit",
    "unknown-header-type",
    "unknown-option",
];

fn is_icmp_type(value: &str) -> bool {
    ICMP_TYPES.contains(&value) || ICMPV6_TYPES.contains(&value)
}

/// A decimal number without sign or leading zeros, up to `max`.
fn canonical_number(value: &str, max: u32) -> Option<u32> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if !digits || (value.len() > 1 && value.starts_with('0')) {
        return None;
    }
    value.parse::<u32>().ok().filter(|n| *n <= max)
}

pub(super) fn icmp_type_spec(value: &str) -> Verdict {
    valid_if(
        value.is_empty() || is_icmp_type(value) || canonical_number(value, 255).is_some(),
        "an ICMP or ICMPv6 type name such as echo-request, or a type number from 0 to 255",
    )
}

pub(super) fn protocol_spec(value: &str) -> Verdict {
    // PVE skips the check for a false value.
    if !super::perl::is_true(value) || value == "icmpv6" || PROTOCOLS.iter().any(|(name, _)| *name == value) {
        return Verdict::Valid;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let known = canonical_number(value, 255).is_some() || PROTOCOLS.iter().any(|(_, n)| n.to_string() == value);
        return valid_if(known, "a protocol name such as tcp or udp, or a protocol number from 0 to 255");
    }
    if value.chars().any(char::is_whitespace) {
        return Verdict::Invalid("a protocol name without white space".to_owned());
    }
    Verdict::NotChecked(NODE_FILES)
}

pub(super) fn sport_spec(value: &str) -> Verdict {
    port_spec(value, false)
}

pub(super) fn dport_spec(value: &str) -> Verdict {
    port_spec(value, true)
}

/// `parse_port_name_number_or_range`: ports, `low:high` ranges and service names separated by
/// commas; a destination port may instead be an ICMP type.
fn port_spec(value: &str, dport: bool) -> Verdict {
    const EXPECTED: &str = "ports (0-65535), port ranges 'low:high' or service names, separated by commas";
    let items = perl_split(value, ',');
    if items.join(",") != value {
        return Verdict::Invalid(EXPECTED.to_owned());
    }
    let mut count = 0;
    let mut icmp = false;
    let mut unknown = false;
    for item in &items {
        if let Some(c) = perl_re!(r"(\d+):(\d+)").captures(item) {
            count += 2;
            if super::perl::numify(&c[1]) > 65535 || super::perl::numify(&c[2]) > 65535 {
                return Verdict::Invalid(EXPECTED.to_owned());
            }
        } else if let Some(c) = perl_re!(r"(\d+)").captures(item) {
            count += 1;
            if super::perl::numify(&c[1]) > 65535 {
                return Verdict::Invalid(EXPECTED.to_owned());
            }
        } else if dport && is_icmp_type(item) {
            icmp = true;
        } else if SERVICES.binary_search(item).is_err() {
            if item.is_empty() || item.chars().any(char::is_whitespace) {
                return Verdict::Invalid(EXPECTED.to_owned());
            }
            unknown = true;
        }
    }
    if icmp && count > 0 {
        return Verdict::Invalid("an ICMP type alone, not together with port numbers".to_owned());
    }
    if count > 15 {
        return Verdict::Invalid("at most 15 port numbers (a range counts as two)".to_owned());
    }
    if unknown { Verdict::NotChecked(NODE_FILES) } else { Verdict::Valid }
}

/// Conntrack helpers the firewall can enable.
const HELPERS: &[&str] = &["amanda", "ftp", "irc", "netbios-ns", "pptp", "sane", "sip", "snmp", "tftp"];

pub(super) fn conntrack_helper(value: &str) -> Verdict {
    valid_if(
        perl_split(value, ',').iter().all(|h| HELPERS.contains(h)),
        "a comma-separated list of conntrack helpers: amanda, ftp, irc, netbios-ns, pptp, sane, sip, snmp, tftp",
    )
}
