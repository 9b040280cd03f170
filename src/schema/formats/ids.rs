//! Identifiers: nodes, guests, storages, users and groups, HA and SDN objects (pve-common,
//! pve-access-control, pve-ha-manager, pve-network, pve-guest-common, pve-manager).

use super::Verdict;
use super::perl::{numify, perl_re, split_list, valid_if};

pub(super) fn is_node(value: &str) -> bool {
    perl_re!(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?").is_match(value)
}

pub(super) fn node(value: &str) -> Verdict {
    valid_if(is_node(value), "a valid node name (letters, digits and inner '-')")
}

pub(super) fn vmid(value: &str) -> Verdict {
    valid_if(
        perl_re!("[1-9][0-9]{2,8}").is_match(value),
        "a valid VM ID (a number from 100 to 999999999 without leading zeros or sign)",
    )
}

pub(super) fn configid(value: &str) -> Verdict {
    valid_if(
        perl_re!("(?i:[a-z][a-z0-9_-]+)").is_match(value),
        "a valid ID (a letter, then at least one letter, digit, '_' or '-')",
    )
}

pub(super) fn is_storage_id(value: &str) -> bool {
    perl_re!(r"(?i:[a-z][a-z0-9\-_.]*[a-z0-9])").is_match(value)
}

const STORAGE_ID: &str =
    "a valid storage ID (a letter, then letters, digits, '-', '_' or '.', ending with a letter or digit)";

pub(super) fn storage_id(value: &str) -> Verdict {
    valid_if(is_storage_id(value), STORAGE_ID)
}

fn is_bridge_id(value: &str) -> bool {
    perl_re!(r"[-_.\w]+").is_match(value)
}

pub(super) fn bridge_id(value: &str) -> Verdict {
    valid_if(is_bridge_id(value), "a valid bridge name (letters, digits, '-', '_' and '.')")
}

/// One item of a storage or bridge map: `1` (identity), `ID` (default target) or
/// `SOURCE:TARGET`, as `PVE::JSONSchema::parse_idmap` reads it.
fn id_pair(value: &str, id_ok: fn(&str) -> bool) -> bool {
    let entries = split_list(value);
    let mut identity = false;
    let mut others = false;
    for entry in &entries {
        if *entry == "1" {
            identity = true;
        } else if let Some(c) = perl_re!("([^:]+):([^:]+)").captures(entry) {
            if !(id_ok(&c[1]) && id_ok(&c[2])) {
                return false;
            }
            others = true;
        } else if id_ok(entry) {
            others = true;
        } else {
            return false;
        }
    }
    !(entries.is_empty() || identity && others)
}

pub(super) fn storage_pair(value: &str) -> Verdict {
    valid_if(id_pair(value, is_storage_id), "'1', a storage ID or 'source:target' with two storage IDs")
}

pub(super) fn bridge_pair(value: &str) -> Verdict {
    valid_if(id_pair(value, is_bridge_id), "'1', a bridge name or 'source:target' with two bridge names")
}

/// PVE's `$realm_regex`.
const REALM: &str = r"[A-Za-z][A-Za-z0-9.\-_]+";

pub(super) fn realm(value: &str) -> Verdict {
    valid_if(
        perl_re!(REALM).is_match(value),
        "a valid realm (a letter, then at least one letter, digit, '.', '-' or '_')",
    )
}

pub(super) fn userid(value: &str) -> Verdict {
    let len = value.chars().count();
    valid_if(
        (3..=64).contains(&len) && perl_re!(&format!(r"[^\s:/]+@{REALM}")).is_match(value),
        "a valid user ID 'name@realm' of 3 to 64 characters (the name without white space, ':' or '/')",
    )
}

pub(super) fn tokenid(value: &str) -> Verdict {
    valid_if(perl_re!(&format!(r"[^\s:/]+@{REALM}!{REALM}")).is_match(value), "a valid API token ID 'name@realm!token'")
}

const GROUP_CHARS: &str = r"[A-Za-z0-9.\-_]+";

pub(super) fn groupid(value: &str) -> Verdict {
    valid_if(perl_re!(GROUP_CHARS).is_match(value), "a valid group name (letters, digits, '.', '-' and '_')")
}

pub(super) fn roleid(value: &str) -> Verdict {
    valid_if(perl_re!(GROUP_CHARS).is_match(value), "a valid role name (letters, digits, '.', '-' and '_')")
}

pub(super) fn poolid(value: &str) -> Verdict {
    valid_if(
        perl_re!(&format!("{GROUP_CHARS}(?:/{GROUP_CHARS}){{0,2}}")).is_match(value),
        "a valid pool name (letters, digits, '.', '-' and '_', up to three levels separated by '/')",
    )
}

/// Every privilege of PVE 9 (`VM.Monitor` is kept: older nodes still know it).
const PRIVILEGES: &[&str] = &[
    "Datastore.Allocate",
    "Datastore.AllocateSpace",
    "Datastore.AllocateTemplate",
    "Datastore.Audit",
    "Group.Allocate",
    "Mapping.Audit",
    "Mapping.Modify",
    "Mapping.Use",
    "Permissions.Modify",
    "Pool.Allocate",
    "Pool.Audit",
    "Realm.Allocate",
    "Realm.AllocateUser",
    "SDN.Allocate",
    "SDN.Audit",
    "SDN.Use",
    "Sys.AccessNetwork",
    "Sys.Audit",
    "Sys.Console",
    "Sys.Incoming",
    "Sys.Modify",
    "Sys.PowerMgmt",
    "Sys.Syslog",
    "User.Modify",
    "VM.Allocate",
    "VM.Audit",
    "VM.Backup",
    "VM.Clone",
    "VM.Config.CDROM",
    "VM.Config.CPU",
    "VM.Config.Cloudinit",
    "VM.Config.Disk",
    "VM.Config.HWType",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.Console",
    "VM.GuestAgent.Audit",
    "VM.GuestAgent.FileRead",
    "VM.GuestAgent.FileSystemMgmt",
    "VM.GuestAgent.FileWrite",
    "VM.GuestAgent.Unrestricted",
    "VM.Migrate",
    "VM.Monitor",
    "VM.PowerMgmt",
    "VM.Replicate",
    "VM.Snapshot",
    "VM.Snapshot.Rollback",
];

pub(super) fn privilege(value: &str) -> Verdict {
    valid_if(PRIVILEGES.contains(&value), "a known privilege such as VM.Audit or Datastore.Allocate")
}

pub(super) fn tag(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"(?i:[a-z0-9_][a-z0-9_\-+.]*)").is_match(value),
        "a valid tag (letters, digits, '_', '-', '+' and '.', not starting with '-', '+' or '.')",
    )
}

pub(super) fn ha_node(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?(?::\d+)?").is_match(value),
        "a node name with an optional priority, 'node[:priority]'",
    )
}

pub(super) fn ha_resource_id(value: &str) -> Verdict {
    valid_if(perl_re!(r"[a-z]+:\S+").is_match(value), "an HA resource ID 'type:name' (e.g. vm:100 or ct:101)")
}

pub(super) fn ha_resource_or_vm_id(value: &str) -> Verdict {
    valid_if(perl_re!(r"[a-z]+:\S+|\d+").is_match(value), "an HA resource ID 'type:name' (e.g. vm:100) or a guest ID")
}

pub(super) fn sdn_fabric_id(value: &str) -> Verdict {
    valid_if(
        perl_re!("(?i:[a-zA-Z0-9][a-zA-Z0-9-]{0,6}[a-zA-Z0-9]?)").is_match(value),
        "a fabric ID of up to 8 letters, digits and inner '-'",
    )
}

pub(super) fn sdn_wireguard_iface_name(value: &str) -> Verdict {
    valid_if(
        perl_re!("[a-zA-Z0-9][a-zA-Z0-9-]{0,6}[a-zA-Z0-9]?").is_match(value),
        "a WireGuard interface name of up to 8 letters, digits and inner '-'",
    )
}

const SDN_ID: &str = "(?i:[a-zA-Z0-9][a-zA-Z0-9_-]{0,30}[a-zA-Z0-9]?)";

pub(super) fn sdn_prefix_list_id(value: &str) -> Verdict {
    if perl_re!("only_default|only_default_v6|loopbacks_ips").is_match(value) {
        return Verdict::Invalid(
            "a prefix list ID that is not reserved (only_default, only_default_v6 and loopbacks_ips are)".to_owned(),
        );
    }
    valid_if(perl_re!(SDN_ID).is_match(value), "a prefix list ID of up to 32 letters, digits, '-' and '_'")
}

pub(super) fn sdn_route_map_id(value: &str) -> Verdict {
    if perl_re!("pve_.*|MAP_VTEP_IN|MAP_VTEP_OUT|correct_src").is_match(value) {
        return Verdict::Invalid(
            "a route map ID that is not reserved (pve_*, MAP_VTEP_IN, MAP_VTEP_OUT and correct_src are)".to_owned(),
        );
    }
    valid_if(perl_re!(SDN_ID).is_match(value), "a route map ID of up to 32 letters, digits, '-' and '_'")
}

pub(super) fn replication_job_id(value: &str) -> Verdict {
    let ok = perl_re!(r"(\d+)-(\d+)").captures(value).is_some_and(|c| numify(&c[1]) >= 100);
    valid_if(ok, "a replication job ID 'GUEST-JOBNUM' with a guest ID of at least 100 (e.g. 100-0)")
}

pub(super) fn ldap_simple_attr(value: &str) -> Verdict {
    valid_if(perl_re!("[a-zA-Z0-9]+").is_match(value), "a simple LDAP attribute name (letters and digits)")
}

pub(super) fn task_status_type(value: &str) -> Verdict {
    valid_if(perl_re!("(?i:ok|error|warning|unknown)").is_match(value), "one of ok, error, warning, unknown")
}

pub(super) fn day_of_week(value: &str) -> Verdict {
    valid_if(
        perl_re!("mon|tue|wed|thu|fri|sat|sun").is_match(value),
        "a day of the week: mon, tue, wed, thu, fri, sat or sun",
    )
}

pub(super) fn urlencoded(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"[-%a-zA-Z0-9_.!~*'()]*").is_match(value),
        "a URL-encoded string (letters, digits and -_.!~*'() with other bytes as %XX)",
    )
}
