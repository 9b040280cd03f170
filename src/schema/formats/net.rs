//! Network formats: addresses, networks, names, interfaces (pve-common, pve-storage,
//! pve-container, pve-manager, pve-network).

use super::Verdict;
use super::perl::{numify, perl_re, valid_if};

/// One IPv4 octet, as PVE writes it: no leading zeros.
const IPV4_OCTET: &str = "(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])";
/// One IPv6 group of up to four hex digits.
const IPV6_H16: &str = "(?:[0-9a-fA-F]{1,4})";

/// PVE's `$IPV4RE`.
pub(super) fn ipv4_re() -> String {
    format!(r"(?:(?:{o}\.){{3}}{o})", o = IPV4_OCTET)
}

/// PVE's `$IPV6RE` (RFC 4291 text forms, with an embedded IPv4 address in the last 32 bits).
pub(super) fn ipv6_re() -> String {
    let h = IPV6_H16;
    let ls32 = format!("(?:(?:{}|{h}:{h}))", ipv4_re());
    [
        format!("(?:(?:(?:{h}:){{6}}){ls32})"),
        format!("(?:(?:::(?:{h}:){{5}}){ls32})"),
        format!("(?:(?:(?:{h})?::(?:{h}:){{4}}){ls32})"),
        format!("(?:(?:(?:(?:{h}:){{0,1}}{h})?::(?:{h}:){{3}}){ls32})"),
        format!("(?:(?:(?:(?:{h}:){{0,2}}{h})?::(?:{h}:){{2}}){ls32})"),
        format!("(?:(?:(?:(?:{h}:){{0,3}}{h})?::(?:{h}:){{1}}){ls32})"),
        format!("(?:(?:(?:(?:{h}:){{0,4}}{h})?::){ls32})"),
        format!("(?:(?:(?:(?:{h}:){{0,5}}{h})?::){h})"),
        format!("(?:(?:(?:(?:{h}:){{0,6}}{h})?::))"),
    ]
    .join("|")
}

const IPV4: &str = "a valid IPv4 address (four decimal numbers 0-255 without leading zeros, e.g. 192.0.2.1)";
const IPV6: &str = "a valid IPv6 address (e.g. 2001:db8::1)";
const IP: &str = "a valid IPv4 or IPv6 address";

pub(super) fn is_ipv4(value: &str) -> bool {
    perl_re!(&ipv4_re()).is_match(value)
}

pub(super) fn is_ipv6(value: &str) -> bool {
    perl_re!(&ipv6_re()).is_match(value)
}

pub(super) fn is_ip(value: &str) -> bool {
    is_ipv4(value) || is_ipv6(value)
}

pub(super) fn ipv4(value: &str) -> Verdict {
    valid_if(is_ipv4(value), IPV4)
}

pub(super) fn ipv6(value: &str) -> Verdict {
    valid_if(is_ipv6(value), IPV6)
}

pub(super) fn ip(value: &str) -> Verdict {
    valid_if(is_ip(value), IP)
}

/// The netmasks PVE knows, from /0 to /32 (an exact lookup: no trailing newline).
const IPV4_MASKS: [&str; 33] = [
    "0.0.0.0",
    "128.0.0.0",
    "192.0.0.0",
    "224.0.0.0",
    "240.0.0.0",
    "248.0.0.0",
    "252.0.0.0",
    "254.0.0.0",
    "255.0.0.0",
    "255.128.0.0",
    "255.192.0.0",
    "255.224.0.0",
    "255.240.0.0",
    "255.248.0.0",
    "255.252.0.0",
    "255.254.0.0",
    "255.255.0.0",
    "255.255.128.0",
    "255.255.192.0",
    "255.255.224.0",
    "255.255.240.0",
    "255.255.248.0",
    "255.255.252.0",
    "255.255.254.0",
    "255.255.255.0",
    "255.255.255.128",
    "255.255.255.192",
    "255.255.255.224",
    "255.255.255.240",
    "255.255.255.248",
    "255.255.255.252",
    "255.255.255.254",
    "255.255.255.255",
];

pub(super) fn ipv4_mask(value: &str) -> Verdict {
    valid_if(IPV4_MASKS.contains(&value), "a valid IPv4 netmask such as 255.255.255.0")
}

/// An IPv4 network with a prefix length from 8 to 32, as `pve_verify_cidrv4`.
pub(super) fn is_cidr_v4(value: &str) -> bool {
    perl_re!(&format!("{}/([0-9]+)", ipv4_re())).captures(value).is_some_and(|c| (8..=32).contains(&numify(&c[1])))
}

/// An IPv6 network with a prefix length from 8 to 128, as `pve_verify_cidrv6`.
pub(super) fn is_cidr_v6(value: &str) -> bool {
    perl_re!(&format!("(?:{})/([0-9]+)", ipv6_re())).captures(value).is_some_and(|c| (8..=128).contains(&numify(&c[1])))
}

const CIDR_V4: &str = "an IPv4 network in CIDR notation with a prefix length from 8 to 32 (e.g. 192.0.2.0/24)";
const CIDR_V6: &str = "an IPv6 network in CIDR notation with a prefix length from 8 to 128 (e.g. 2001:db8::/64)";

pub(super) fn cidr_v4(value: &str) -> Verdict {
    valid_if(is_cidr_v4(value), CIDR_V4)
}

pub(super) fn cidr_v6(value: &str) -> Verdict {
    valid_if(is_cidr_v6(value), CIDR_V6)
}

pub(super) fn cidr(value: &str) -> Verdict {
    valid_if(
        is_cidr_v4(value) || is_cidr_v6(value),
        "a network in CIDR notation (IPv4 with a prefix length from 8 to 32 or IPv6 from 8 to 128)",
    )
}

/// A network of any prefix length (`0.0.0.0/0` included), used by SDN prefix lists and
/// WireGuard allowed IPs. A bare address is accepted as well.
pub(super) fn full_range_cidr(value: &str) -> Verdict {
    let v4 = perl_re!(&format!("{}(?:/([0-9]+))?", ipv4_re()))
        .captures(value)
        .is_some_and(|c| c.get(1).is_none_or(|len| numify(len.as_str()) <= 32));
    let v6 = perl_re!(&format!("(?:{})(?:/([0-9]+))?", ipv6_re()))
        .captures(value)
        .is_some_and(|c| c.get(1).is_none_or(|len| numify(len.as_str()) <= 128));
    valid_if(v4 || v6, "an IPv4 or IPv6 network in CIDR notation (prefix length 0-32 or 0-128, e.g. 0.0.0.0/0)")
}

pub(super) fn ipv4_config(value: &str) -> Verdict {
    valid_if(
        perl_re!("dhcp|manual").is_match(value) || is_cidr_v4(value),
        "'dhcp', 'manual' or an IPv4 address in CIDR notation (e.g. 192.0.2.10/24)",
    )
}

pub(super) fn ipv6_config(value: &str) -> Verdict {
    valid_if(
        perl_re!("auto|dhcp|manual").is_match(value) || is_cidr_v6(value),
        "'auto', 'dhcp', 'manual' or an IPv6 address in CIDR notation (e.g. 2001:db8::10/64)",
    )
}

/// PVE's `$EMAIL_USER_RE`.
const EMAIL_USER: &str = r"[\w+\-~]+(?:\.[\w+\-~]+)*";

fn is_email(value: &str) -> bool {
    perl_re!(&format!(r"{EMAIL_USER}@[a-zA-Z0-9\-]+(?:\.[a-zA-Z0-9\-]+)*")).is_match(value)
}

pub(super) fn email(value: &str) -> Verdict {
    valid_if(is_email(value), "a valid email address (user@domain)")
}

pub(super) fn email_or_username(value: &str) -> Verdict {
    valid_if(
        is_email(value) || perl_re!(EMAIL_USER).is_match(value),
        "a valid email address or user name (letters, digits, '_', '+', '-', '~' and inner dots)",
    )
}

/// A DNS label as PVE's `dns-name` allows it.
const DNS_LABEL: &str = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)";

pub(super) fn is_dns_name(value: &str) -> bool {
    perl_re!(&format!(r"(?:{DNS_LABEL}\.)*{DNS_LABEL}")).is_match(value)
}

const DNS_NAME: &str = "a valid DNS name (dot-separated labels of letters, digits and inner '-')";

pub(super) fn dns_name(value: &str) -> Verdict {
    valid_if(is_dns_name(value), DNS_NAME)
}

pub(super) fn graphite_path(value: &str) -> Verdict {
    valid_if(is_dns_name(value), "a valid graphite path (dot-separated parts of letters, digits and inner '-')")
}

pub(super) fn address(value: &str) -> Verdict {
    valid_if(is_ip(value) || is_dns_name(value), "a valid IP address or DNS name")
}

pub(super) fn storage_server(value: &str) -> Verdict {
    valid_if(is_ip(value) || is_dns_name(value), "a valid server name or IP address")
}

pub(super) fn is_iface(value: &str) -> bool {
    perl_re!(r"(?i:[a-z][a-z0-9_]{1,20}(?:[:.]\d+)?)").is_match(value)
}

pub(super) fn iface(value: &str) -> Verdict {
    valid_if(
        is_iface(value),
        "a valid network interface name (a letter, then 1 to 20 letters, digits or '_', optionally ':N' or '.N')",
    )
}

pub(super) fn ip_with_ll_iface(value: &str) -> Verdict {
    if let Some(c) = perl_re!("(fe80:[^%]+)%(.*)").captures(value)
        && is_ip(&c[1])
        && is_iface(&c[2])
    {
        return Verdict::Valid;
    }
    valid_if(is_ip(value), "a valid IP address, optionally a link-local IPv6 address with '%interface'")
}

pub(super) fn vlan_id_or_range(value: &str) -> Verdict {
    const EXPECTED: &str = "a VLAN ID from 2 to 4094 or a range 'low-high' of such IDs";
    let Some(c) = perl_re!(r"(\d+)(?:-(\d+))?").captures(value) else {
        return Verdict::Invalid(EXPECTED.to_owned());
    };
    let start = numify(&c[1]);
    if !(2..=4094).contains(&start) {
        return Verdict::Invalid(EXPECTED.to_owned());
    }
    // PVE checks the end only when it is a true value, so `5-0` passes.
    if let Some(end) = c.get(2).map(|m| m.as_str()).filter(|e| super::perl::is_true(e)) {
        let end = numify(end);
        if !(2..=4094).contains(&end) || start >= end {
            return Verdict::Invalid(EXPECTED.to_owned());
        }
    }
    Verdict::Valid
}

pub(super) fn mac_addr(value: &str) -> Verdict {
    valid_if(
        perl_re!("(?i:[a-f0-9][02468ace](?::[a-f0-9]{2}){5})").is_match(value),
        "a unicast MAC address XX:XX:XX:XX:XX:XX (the second hex digit even)",
    )
}

pub(super) fn mac_prefix(value: &str) -> Verdict {
    valid_if(
        perl_re!("(?i:[a-f0-9][02468ace](?::[a-f0-9]{2}){0,2}:?)").is_match(value),
        "a unicast MAC address prefix of one to three bytes (e.g. BC:24:11, the second hex digit even)",
    )
}

/// `PVE::Tools::parse_host_and_port`: a host name or IP, optionally with a port.
pub(super) fn portal_dns(value: &str) -> Verdict {
    // `[[:alnum:]]` in Perl covers Unicode letters and digits.
    let ok = perl_re!(&format!(r"(?:{}|[\p{{Alphabetic}}\p{{Nd}}\-.]+)(?::\d+)?", ipv4_re())).is_match(value)
        || perl_re!(&format!(r"\[(?:{}|{}|[\p{{Alphabetic}}\p{{Nd}}\-.]+)\](?::\d+)?", ipv6_re(), ipv4_re()))
            .is_match(value)
        || perl_re!(&format!(r"(?:{})(?:\.\d+)?", ipv6_re())).is_match(value);
    valid_if(ok, "a host name or IP address with an optional port (host:port, [IPv6]:port)")
}

pub(super) fn acme_domain(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"(?i:[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+)").is_match(value),
        "a valid domain name with at least two labels (e.g. pve.example.com)",
    )
}

pub(super) fn acme_alias(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"(?i:[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_][a-z0-9_-]*)+)").is_match(value),
        "a valid alias domain name with at least two labels (e.g. _acme.example.com)",
    )
}

pub(super) fn sdn_bgp_rt(value: &str) -> Verdict {
    const MAX: u64 = 4_294_967_295;
    let ok = perl_re!(r"(\d+):(\d+)").captures(value).is_some_and(|c| numify(&c[1]) <= MAX && numify(&c[2]) <= MAX);
    valid_if(ok, "a BGP route target 'ASN:NUMBER' with both numbers from 0 to 4294967295")
}

pub(super) fn sdn_isis_net(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"[a-fA-F0-9]{2}(?:\.[a-fA-F0-9]{4}){3,9}\.[a-fA-F0-9]{2}").is_match(value),
        "an IS-IS network entity title such as 49.0001.1921.6800.1001.00",
    )
}

/// An SDN subnet ID: a CIDR, or `zone-address-prefixlength` as PVE stores it.
pub(super) fn sdn_subnet_id(value: &str) -> Verdict {
    let cidr = if value.contains('/') {
        value.to_owned()
    } else {
        let parts = super::perl::perl_split(value, '-');
        let ip = parts.get(1).copied().unwrap_or("");
        let mask = parts.get(2).copied().unwrap_or("");
        format!("{ip}/{mask}")
    };
    valid_if(
        is_cidr_v4(&cidr) || is_cidr_v6(&cidr),
        "a subnet in CIDR notation or as 'zone-address-prefixlength' (e.g. myzone-10.0.0.0-24)",
    )
}
