//! Named formats: the `format: "pve-node"` of a parameter, checked as PVE checks it.
//!
//! PVE knows two kinds of named formats. Most are Perl functions registered with
//! `PVE::JSONSchema::register_format` (node names, VM IDs, IP addresses, calendar events, ...);
//! this module implements each of them with PVE's rules. The others are property-string
//! schemas registered by name (`pve-qm-boot`, `prune-backups`, ...); their keys live in
//! `apidoc/formats.json` and are compiled into [`crate::schema::REGISTERED_FORMATS`], and
//! [`check`] hands them back to the caller to parse. Two of those run extra rules after parsing,
//! provided by [`extra_rules`].
//!
//! Names ending in `-list` or `-opt` follow PVE's convention: a `-list` value is split at
//! commas, semicolons, white space or NUL and each item is checked by the base format (an
//! empty list is valid); an `-opt` value may be empty.
//!
//! The first rule is that a value PVE accepts is never refused: where PVE needs cluster or
//! host state to judge a value, the verdict is [`Verdict::NotChecked`].

mod calendar;
mod catalog;
mod firewall;
mod guest;
mod ids;
mod net;
mod netbase;
mod netip;
mod perl;
mod storage;
mod timezones;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_schema;

pub use catalog::catalog;

use crate::schema::types::Object;

/// How a named format judged a value.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The value is valid for the format.
    Valid,
    /// Invalid. The text says what was expected, as a phrase that completes
    /// "expected ...", e.g. "a valid node name (letters, digits and '-', starting with a letter)"
    /// or "a comma-separated list of VM IDs; 'abc' is not a VM ID". Lower-case, no trailing period.
    Invalid(String),
    /// A registered property-string format: the caller parses the value as a property string
    /// against these keys, then calls [`extra_rules`].
    PropertyString(&'static Object),
    /// Accepted without a local check: only the cluster can judge (the text says why).
    NotChecked(&'static str),
}

impl PartialEq for Verdict {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Verdict::Valid, Verdict::Valid) => true,
            (Verdict::Invalid(a), Verdict::Invalid(b)) => a == b,
            (Verdict::PropertyString(a), Verdict::PropertyString(b)) => std::ptr::eq(*a, *b),
            (Verdict::NotChecked(a), Verdict::NotChecked(b)) => a == b,
            _ => false,
        }
    }
}

impl Verdict {
    /// Whether PVE would accept the value as far as this format is concerned (everything but
    /// [`Verdict::Invalid`]).
    pub fn is_accepted(&self) -> bool {
        !matches!(self, Verdict::Invalid(_))
    }
}

/// How a format is checked, for `describe` and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// By code in this module, with PVE's rules.
    Locally,
    /// As a property string against the keys in `apidoc/formats.json`.
    PropertyString,
    /// Not at all: only the cluster can judge.
    ByCluster,
}

/// One named format of the vendored schema.
#[derive(Debug, Clone, Copy)]
pub struct FormatInfo {
    /// The name, as the schema writes it.
    pub name: &'static str,
    /// How values are checked.
    pub checked: Checked,
    /// What a valid value looks like, in one sentence.
    pub summary: &'static str,
}

/// The phrase used when a value is not checked because the format is unknown.
const UNKNOWN: &str = "unknown format";

/// How a base format is checked.
#[derive(Clone, Copy)]
enum Rule {
    /// By a function of the value.
    Code(fn(&str) -> Verdict),
    /// As a registered property string.
    Registered,
}

/// Every base format, sorted by name for binary search.
///
/// `-list` and `-opt` variants are derived from these, as PVE derives them.
const RULES: &[(&str, Rule)] = &[
    ("CIDR", Rule::Code(net::cidr)),
    ("CIDRv4", Rule::Code(net::cidr_v4)),
    ("CIDRv6", Rule::Code(net::cidr_v6)),
    ("FullRangeCIDR", Rule::Code(net::full_range_cidr)),
    ("IPorCIDR", Rule::Code(firewall::ip_or_cidr)),
    ("IPorCIDRorAlias", Rule::Code(firewall::ip_or_cidr_or_alias)),
    ("address", Rule::Code(net::address)),
    ("backup-fleecing", Rule::Registered),
    ("backup-performance", Rule::Registered),
    ("bridge-pair", Rule::Code(ids::bridge_pair)),
    ("disk-size", Rule::Code(storage::disk_size)),
    ("dns-name", Rule::Code(net::dns_name)),
    ("email", Rule::Code(net::email)),
    ("email-or-username", Rule::Code(net::email_or_username)),
    ("graphite-path", Rule::Code(net::graphite_path)),
    ("ip", Rule::Code(net::ip)),
    ("ipv4", Rule::Code(net::ipv4)),
    ("ipv4mask", Rule::Code(net::ipv4_mask)),
    ("ipv6", Rule::Code(net::ipv6)),
    ("ldap-simple-attr", Rule::Code(ids::ldap_simple_attr)),
    ("lxc-ip-with-ll-iface", Rule::Code(net::ip_with_ll_iface)),
    ("mac-addr", Rule::Code(net::mac_addr)),
    ("mac-prefix", Rule::Code(net::mac_prefix)),
    ("pem-certificate", Rule::Code(guest::pem_certificate)),
    ("pem-certificate-chain", Rule::Code(guest::pem_certificate_chain)),
    ("pem-string", Rule::Code(guest::pem_string)),
    ("proxmox-remote", Rule::Registered),
    ("prune-backups", Rule::Registered),
    ("pve-acme-alias", Rule::Code(net::acme_alias)),
    ("pve-acme-domain", Rule::Code(net::acme_domain)),
    ("pve-bridge-id", Rule::Code(ids::bridge_id)),
    ("pve-calendar-event", Rule::Code(calendar::calendar_event)),
    ("pve-command-batch", Rule::Code(guest::command_batch)),
    ("pve-configid", Rule::Code(ids::configid)),
    ("pve-cpuset", Rule::Code(guest::cpuset)),
    ("pve-ct-timezone", Rule::Code(guest::ct_timezone)),
    ("pve-day-of-week", Rule::Code(ids::day_of_week)),
    ("pve-dir-override", Rule::Code(storage::dir_override)),
    ("pve-fw-addr-spec", Rule::Code(firewall::addr_spec)),
    ("pve-fw-conntrack-helper", Rule::Code(firewall::conntrack_helper)),
    ("pve-fw-dport-spec", Rule::Code(firewall::dport_spec)),
    ("pve-fw-icmp-type-spec", Rule::Code(firewall::icmp_type_spec)),
    ("pve-fw-protocol-spec", Rule::Code(firewall::protocol_spec)),
    ("pve-fw-sport-spec", Rule::Code(firewall::sport_spec)),
    ("pve-groupid", Rule::Code(ids::groupid)),
    ("pve-ha-node", Rule::Code(ids::ha_node)),
    ("pve-ha-resource-id", Rule::Code(ids::ha_resource_id)),
    ("pve-ha-resource-or-vm-id", Rule::Code(ids::ha_resource_or_vm_id)),
    ("pve-hotplug-features", Rule::Code(guest::hotplug_features)),
    ("pve-iface", Rule::Code(net::iface)),
    ("pve-ipv4-config", Rule::Code(net::ipv4_config)),
    ("pve-ipv6-config", Rule::Code(net::ipv6_config)),
    ("pve-lxc-dev-string", Rule::Code(guest::lxc_dev_string)),
    ("pve-lxc-mp-string", Rule::Code(guest::lxc_mp_string)),
    ("pve-node", Rule::Code(ids::node)),
    ("pve-phys-bits", Rule::Code(guest::phys_bits)),
    ("pve-poolid", Rule::Code(ids::poolid)),
    ("pve-priv", Rule::Code(ids::privilege)),
    ("pve-qemu-sev-fmt", Rule::Registered),
    ("pve-qemu-tdx-fmt", Rule::Registered),
    ("pve-qm-boot", Rule::Registered),
    ("pve-qm-bootdev", Rule::Code(guest::bootdev)),
    ("pve-qm-bootdisk", Rule::Code(guest::bootdisk)),
    ("pve-qm-cicustom", Rule::Registered),
    ("pve-qm-hostpci", Rule::Registered),
    ("pve-qm-ide", Rule::Registered),
    ("pve-qm-ipconfig", Rule::Registered),
    ("pve-qm-rng", Rule::Registered),
    ("pve-qm-smbios1", Rule::Registered),
    ("pve-qm-watchdog", Rule::Registered),
    ("pve-realm", Rule::Code(ids::realm)),
    ("pve-replication-job-id", Rule::Code(ids::replication_job_id)),
    ("pve-roleid", Rule::Code(ids::roleid)),
    ("pve-sdn-bgp-rt", Rule::Code(net::sdn_bgp_rt)),
    ("pve-sdn-dhcp-range", Rule::Registered),
    ("pve-sdn-fabric-id", Rule::Code(ids::sdn_fabric_id)),
    ("pve-sdn-fabric-wireguard-interface", Rule::Registered),
    ("pve-sdn-isis-net", Rule::Code(net::sdn_isis_net)),
    ("pve-sdn-prefix-list-id", Rule::Code(ids::sdn_prefix_list_id)),
    ("pve-sdn-route-map-id", Rule::Code(ids::sdn_route_map_id)),
    ("pve-sdn-subnet-id", Rule::Code(net::sdn_subnet_id)),
    ("pve-sdn-wireguard-iface-name", Rule::Code(ids::sdn_wireguard_iface_name)),
    ("pve-startup-order", Rule::Code(guest::startup_order)),
    ("pve-storage-content", Rule::Code(storage::content)),
    ("pve-storage-id", Rule::Code(ids::storage_id)),
    ("pve-storage-options", Rule::Code(storage::options)),
    ("pve-storage-path", Rule::Code(storage::path)),
    ("pve-storage-path-in-property-string", Rule::Code(storage::path_in_property_string)),
    ("pve-storage-portal-dns", Rule::Code(net::portal_dns)),
    ("pve-storage-server", Rule::Code(net::storage_server)),
    ("pve-storage-vgname", Rule::Code(storage::vgname)),
    ("pve-storage-zfs-blocksize", Rule::Code(storage::zfs_blocksize)),
    ("pve-tag", Rule::Code(ids::tag)),
    ("pve-task-status-type", Rule::Code(ids::task_status_type)),
    ("pve-tfa-config", Rule::Registered),
    ("pve-tokenid", Rule::Code(ids::tokenid)),
    ("pve-userid", Rule::Code(ids::userid)),
    ("pve-vlan-id-or-range", Rule::Code(net::vlan_id_or_range)),
    ("pve-vm-cpu-conf", Rule::Registered),
    ("pve-vmid", Rule::Code(ids::vmid)),
    ("pve-volume-id", Rule::Code(storage::volume_id)),
    ("pve-volume-id-or-absolute-path", Rule::Code(storage::volume_id_or_absolute_path)),
    ("pve-volume-id-or-qm-path", Rule::Code(storage::volume_id_or_qm_path)),
    ("realm-sync-options", Rule::Registered),
    ("storage-pair", Rule::Code(ids::storage_pair)),
    ("string", Rule::Code(|_| Verdict::Valid)),
    ("urlencoded", Rule::Code(ids::urlencoded)),
];

fn rule(name: &str) -> Option<Rule> {
    RULES.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| RULES[i].1)
}

fn registered(name: &str) -> Verdict {
    let formats = &crate::schema::REGISTERED_FORMATS;
    match formats.binary_search_by(|(n, _)| (*n).cmp(name)) {
        Ok(i) => Verdict::PropertyString(formats[i].1),
        Err(_) => Verdict::NotChecked("the keys of this property-string format are not known locally"),
    }
}

/// Checks `value` (the raw string as it would go on the wire) against the named format.
/// An unknown name gives `NotChecked("unknown format")`: never a false rejection.
pub fn check(format: &str, value: &str) -> Verdict {
    // PVE splits the name first (`m/^(.*?)(?:-(list|opt))?$/`), so `pve-vmid-list` is the
    // list form of `pve-vmid` even if a format of the full name existed.
    if let Some(base) = format.strip_suffix("-list").filter(|b| !b.is_empty()) {
        return match rule(base) {
            Some(Rule::Code(f)) => check_list(value, f),
            // PVE refuses `-list` of a property-string format as a schema error.
            Some(Rule::Registered) | None => Verdict::NotChecked(UNKNOWN),
        };
    }
    if let Some(base) = format.strip_suffix("-opt").filter(|b| !b.is_empty()) {
        return match rule(base) {
            // PVE skips the check for a false value: the empty string and "0".
            Some(Rule::Code(_)) if value.is_empty() || value == "0" => Verdict::Valid,
            Some(Rule::Code(f)) => f(value),
            Some(Rule::Registered) | None => Verdict::NotChecked(UNKNOWN),
        };
    }
    match rule(format) {
        Some(Rule::Code(f)) => f(value),
        Some(Rule::Registered) => registered(format),
        None => Verdict::NotChecked(UNKNOWN),
    }
}

/// Checks each item of a `-list` value with the base format.
fn check_list(value: &str, item_check: fn(&str) -> Verdict) -> Verdict {
    let mut not_checked = None;
    for item in perl::split_list(value) {
        match item_check(item) {
            Verdict::Valid | Verdict::PropertyString(_) => {}
            Verdict::NotChecked(why) => not_checked = not_checked.or(Some(why)),
            Verdict::Invalid(expected) => {
                return Verdict::Invalid(format!(
                    "a list separated by commas, semicolons or spaces; {} is not {expected}",
                    perl::quote(item)
                ));
            }
        }
    }
    not_checked.map_or(Verdict::Valid, Verdict::NotChecked)
}

/// Extra rules of registered property-string formats (prune-backups, pve-vm-cpu-conf),
/// given the parsed key/value pairs (keys already resolved through aliases).
/// Returns (key, expected-phrase) pairs; empty when fine.
pub fn extra_rules(format: &str, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    match format {
        "prune-backups" => guest::prune_backups_rules(pairs),
        "pve-vm-cpu-conf" => guest::vm_cpu_conf_rules(pairs),
        _ => Vec::new(),
    }
}
