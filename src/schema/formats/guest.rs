//! Guest formats: QEMU and LXC settings, startup order, time zones, PEM data, command
//! batches, and the extra rules of the property-string formats `prune-backups` and
//! `pve-vm-cpu-conf` (qemu-server, pve-container, pve-common, pve-manager, pve-storage).

use std::sync::LazyLock;

use regex::Regex;

use super::Verdict;
use super::perl::{is_true, numify, perl_re, perl_split, split_list, valid_if};

pub(super) fn cpuset(value: &str) -> Verdict {
    let ok = perl_split(value, ',').iter().all(|part| {
        perl_re!(r"\s*(\d+)(?:-(\d+))?\s*")
            .captures(part)
            .is_some_and(|c| c.get(2).is_none_or(|to| numify(to.as_str()) >= numify(&c[1])))
    });
    valid_if(ok, "a list of host CPU numbers and ranges separated by commas (e.g. 0,5,8-11)")
}

pub(super) fn hotplug_features(value: &str) -> Verdict {
    let ok = value == "0"
        || value == "1"
        || split_list(value).iter().all(|f| perl_re!("network|disk|cpu|memory|usb|cloudinit").is_match(f));
    valid_if(ok, "'0', '1' or a comma-separated list of hotplug features: network, disk, cpu, memory, usb, cloudinit")
}

/// A disk slot of a VM: `ide0`-`ide3`, `sata0`-`sata5`, `scsi0`-`scsi30`, `virtio0`-`virtio15`,
/// `efidisk0`, `tpmstate0`.
fn is_drive_name(value: &str) -> bool {
    indexed(value, "ide", 4)
        || indexed(value, "sata", 6)
        || indexed(value, "scsi", 31)
        || indexed(value, "virtio", 16)
        || value == "efidisk0"
        || value == "tpmstate0"
}

/// Whether `value` is `stem` followed by an index below `count`, written without leading zeros.
fn indexed(value: &str, stem: &str, count: u32) -> bool {
    value.strip_prefix(stem).is_some_and(|n| {
        !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
            && (n == "0" || !n.starts_with('0'))
            && n.parse::<u32>().is_ok_and(|i| i < count)
    })
}

pub(super) fn bootdisk(value: &str) -> Verdict {
    valid_if(is_drive_name(value), "a disk slot such as scsi0, virtio0, sata0 or ide0")
}

pub(super) fn bootdev(value: &str) -> Verdict {
    let disk = is_drive_name(value) && !value.starts_with("efidisk") && !value.starts_with("tpmstate");
    valid_if(
        disk || indexed(value, "net", 32) || indexed(value, "usb", 14) || indexed(value, "hostpci", 16),
        "a boot device: a disk slot (e.g. scsi0), a network device (net0) or a passed-through device (usb0, hostpci0)",
    )
}

pub(super) fn phys_bits(value: &str) -> Verdict {
    let ok = perl_re!(r"host|(\d{1,2})")
        .captures(value)
        .is_some_and(|c| c.get(1).is_none_or(|n| (8..=64).contains(&numify(n.as_str()))));
    valid_if(ok, "a number of bits from 8 to 64 or 'host'")
}

static MP_DOT_SEGMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/\.\.?(?:/|\n?\z)|\A\.\./").unwrap_or_else(|e| panic!("{e}")));
static DEV_DOT_SEGMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/\.\.?(?:/|\n?\z)").unwrap_or_else(|e| panic!("{e}")));

pub(super) fn lxc_mp_string(value: &str) -> Verdict {
    valid_if(!MP_DOT_SEGMENT.is_match(value), "a path without '.' or '..' segments")
}

pub(super) fn lxc_dev_string(value: &str) -> Verdict {
    valid_if(
        value.starts_with("/dev/") && !DEV_DOT_SEGMENT.is_match(value),
        "a device path below /dev/ without '.' or '..' segments",
    )
}

pub(super) fn startup_order(value: &str) -> Verdict {
    let ok = is_true(value)
        && perl_split(value, ',')
            .iter()
            .all(|part| perl_re!(r"\s*").is_match(part) || perl_re!(r"(?:order=)?\d+|up=\d+|down=\d+").is_match(part));
    valid_if(ok, "startup options '[order=]N[,up=N][,down=N]' with non-negative numbers")
}

pub(super) fn ct_timezone(value: &str) -> Verdict {
    let ok = value == "host" || value == "UTC" || super::timezones::ZONE_TAB.binary_search(&value).is_ok();
    valid_if(ok, "'host', 'UTC' or a time zone name from zone.tab (e.g. Europe/Vienna)")
}

/// `pve-command-batch`: a JSON array of `{path, method, args}` objects.
pub(super) fn command_batch(value: &str) -> Verdict {
    const EXPECTED: &str = "a JSON array of objects with 'path' (string), 'method' (GET, POST, PUT or DELETE) and optional 'args' (object)";
    let parsed: serde_json::Value = match serde_json::from_str(value) {
        Ok(v) => v,
        // PVE's JSON decoder allows deeper nesting than serde_json; only `args` can nest.
        Err(e) if e.to_string().contains("recursion limit") => return Verdict::Valid,
        Err(_) => return Verdict::Invalid(EXPECTED.to_owned()),
    };
    let scalar = |v: &serde_json::Value| v.is_string() || v.is_number();
    let ok = parsed.as_array().is_some_and(|items| {
        items.iter().all(|item| {
            item.as_object().is_some_and(|o| {
                o.get("path").is_some_and(scalar)
                    && o.get("method")
                        .is_some_and(|m| scalar(m) && perl_re!("GET|POST|PUT|DELETE").is_match(&json_scalar_text(m)))
                    && o.get("args").is_none_or(|a| a.is_null() || a.is_object())
            })
        })
    });
    valid_if(ok, EXPECTED)
}

fn json_scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Base64 characters of a PEM body.
const B64: &str = "[0-9A-Za-z+/]";

fn pem_re(label: &str) -> String {
    format!(r"-----BEGIN {label}-----\s*(?:{B64}+\s*\n)*{B64}*(?:=\s*\n=|={{0,2}})?\s*\n-----END {label}-----\s*")
}

/// Drops any text before the first PEM header, as `PVE::Certificate::strip_leading_text`.
fn strip_leading_text(value: &str) -> &str {
    static HEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"-----BEGIN .*?-----").unwrap_or_else(|e| panic!("{e}")));
    HEADER.find(value).map_or(value, |m| &value[m.start()..])
}

pub(super) fn pem_certificate(value: &str) -> Verdict {
    valid_if(
        perl_re!(&pem_re("CERTIFICATE")).is_match(strip_leading_text(value)),
        "a PEM-encoded certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
    )
}

pub(super) fn pem_certificate_chain(value: &str) -> Verdict {
    valid_if(
        perl_re!(&format!(r"(?:{}\n+)*{}", pem_re("CERTIFICATE"), pem_re("CERTIFICATE")))
            .is_match(strip_leading_text(value)),
        "one or more PEM-encoded certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
    )
}

pub(super) fn pem_string(value: &str) -> Verdict {
    valid_if(
        perl_re!(&pem_re(".*?")).is_match(strip_leading_text(value)),
        "a PEM-encoded block (-----BEGIN ...----- ... -----END ...-----)",
    )
}

/// `prune-backups`: `keep-all=1` cannot be combined with another `keep-*` option above 0.
pub(super) fn prune_backups_rules(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let keep_all = pairs.iter().any(|(k, v)| *k == "keep-all" && perl_re!("(?i:1|on|yes|true)").is_match(v));
    let others_set = pairs.iter().any(|(k, v)| *k != "keep-all" && perl_number_positive(v));
    if keep_all && others_set {
        vec![("keep-all".to_owned(), "keep-all=1 alone, not together with other keep-* options".to_owned())]
    } else {
        Vec::new()
    }
}

/// Whether Perl's numeric value of an integer string is above zero.
fn perl_number_positive(value: &str) -> bool {
    let v = value.trim_start();
    let digits = v.strip_prefix('+').unwrap_or(v);
    !v.starts_with('-') && numify(digits) > 0
}

/// Built-in CPU models: QEMU's named models PVE knows, and PVE's own x86-64 levels.
const CPU_MODELS: &[&str] = &[
    "486",
    "a64fx",
    "athlon",
    "Broadwell",
    "Broadwell-IBRS",
    "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS",
    "Cascadelake-Server",
    "Cascadelake-Server-noTSX",
    "Cascadelake-Server-v2",
    "Cascadelake-Server-v4",
    "Cascadelake-Server-v5",
    "ClearwaterForest",
    "ClearwaterForest-v2",
    "ClearwaterForest-v3",
    "Conroe",
    "Cooperlake",
    "Cooperlake-v2",
    "core2duo",
    "coreduo",
    "cortex-a35",
    "cortex-a53",
    "cortex-a55",
    "cortex-a57",
    "cortex-a710",
    "cortex-a72",
    "cortex-a76",
    "cortex-a78ae",
    "DiamondRapids",
    "EPYC",
    "EPYC-Genoa",
    "EPYC-Genoa-v2",
    "EPYC-IBPB",
    "EPYC-Milan",
    "EPYC-Milan-v2",
    "EPYC-Milan-v3",
    "EPYC-Rome",
    "EPYC-Rome-v2",
    "EPYC-Rome-v3",
    "EPYC-Rome-v4",
    "EPYC-Rome-v5",
    "EPYC-Turin",
    "EPYC-v3",
    "EPYC-v4",
    "EPYC-v5",
    "GraniteRapids",
    "GraniteRapids-v2",
    "GraniteRapids-v3",
    "GraniteRapids-v4",
    "GraniteRapids-v5",
    "Haswell",
    "Haswell-IBRS",
    "Haswell-noTSX",
    "Haswell-noTSX-IBRS",
    "host",
    "Icelake-Client",
    "Icelake-Client-noTSX",
    "Icelake-Server",
    "Icelake-Server-noTSX",
    "Icelake-Server-v3",
    "Icelake-Server-v4",
    "Icelake-Server-v5",
    "Icelake-Server-v6",
    "Icelake-Server-v7",
    "IvyBridge",
    "IvyBridge-IBRS",
    "KnightsMill",
    "kvm32",
    "kvm64",
    "max",
    "Nehalem",
    "Nehalem-IBRS",
    "neoverse-n1",
    "neoverse-n2",
    "neoverse-v1",
    "Opteron_G1",
    "Opteron_G2",
    "Opteron_G3",
    "Opteron_G4",
    "Opteron_G5",
    "Penryn",
    "pentium",
    "pentium2",
    "pentium3",
    "phenom",
    "qemu32",
    "qemu64",
    "SandyBridge",
    "SandyBridge-IBRS",
    "SapphireRapids",
    "SapphireRapids-v2",
    "SapphireRapids-v3",
    "SapphireRapids-v4",
    "SapphireRapids-v5",
    "SapphireRapids-v6",
    "SierraForest",
    "SierraForest-v2",
    "SierraForest-v3",
    "SierraForest-v4",
    "SierraForest-v5",
    "Skylake-Client",
    "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS",
    "Skylake-Client-v4",
    "Skylake-Server",
    "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS",
    "Skylake-Server-v4",
    "Skylake-Server-v5",
    "Westmere",
    "Westmere-IBRS",
    "x86-64-v2",
    "x86-64-v2-AES",
    "x86-64-v3",
    "x86-64-v4",
];

/// The CPU flags a VM's own CPU setting may toggle (custom models may use any flag).
const VM_CPU_FLAGS: &str =
    "nested-virt|md-clear|pcid|spec-ctrl|ssbd|ibpb|virt-ssbd|amd-ssbd|amd-no-ssb|pdpe1gb|hv-tlbflush|hv-evmcs|aes";

/// `pve-vm-cpu-conf`: the CPU type must exist (custom models are the cluster's to judge), the
/// flags must come from the VM-safe set, and `reported-model` is for custom models only.
pub(super) fn vm_cpu_conf_rules(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let mut errors = Vec::new();
    match get("cputype").filter(|t| is_true(t)) {
        None => errors.push(("cputype".to_owned(), "a CPU type (the cputype key is required)".to_owned())),
        Some(t) if t.starts_with("custom-") => {}
        Some(t) if CPU_MODELS.contains(&t) => {}
        Some(_) => errors.push((
            "cputype".to_owned(),
            "a built-in CPU type such as host, x86-64-v2-AES or kvm64 (custom models need the 'custom-' prefix)"
                .to_owned(),
        )),
    }
    if let Some(flags) = get("flags").filter(|f| is_true(f))
        && !perl_re!(&format!("[+-](?:{VM_CPU_FLAGS})(?:;[+-](?:{VM_CPU_FLAGS}))*")).is_match(flags)
    {
        errors.push((
            "flags".to_owned(),
            format!(
                "flags from the set allowed for VMs, as +FLAG or -FLAG separated by ';': {}",
                VM_CPU_FLAGS.replace('|', ", ")
            ),
        ));
    }
    if get("reported-model").is_some() {
        errors.push((
            "reported-model".to_owned(),
            "no reported-model in a VM's CPU setting (it is only valid for custom CPU models)".to_owned(),
        ));
    }
    errors.sort();
    errors
}
