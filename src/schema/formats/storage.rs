//! Storage formats: volume IDs, paths, content types and storage options (pve-storage,
//! pve-common, qemu-server, pve-guest-common).

use std::sync::LazyLock;

use regex::Regex;

use super::Verdict;
use super::perl::{perl_re, perl_split, valid_if};

pub(super) fn disk_size(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"\d+(?:\.\d+)?[KMGT]?").is_match(value),
        "a size: a number with an optional K, M, G or T suffix (e.g. 32G)",
    )
}

pub(super) fn is_volume_id(value: &str) -> bool {
    perl_re!(r"(?i:[a-z][a-z0-9\-_.]*[a-z0-9]):.+").is_match(value)
}

const VOLUME_ID: &str = "a volume ID 'storage:volume' (e.g. local-lvm:vm-100-disk-0)";

pub(super) fn volume_id(value: &str) -> Verdict {
    valid_if(is_volume_id(value), VOLUME_ID)
}

pub(super) fn volume_id_or_absolute_path(value: &str) -> Verdict {
    valid_if(value.starts_with('/') || is_volume_id(value), "a volume ID 'storage:volume' or an absolute path")
}

pub(super) fn volume_id_or_qm_path(value: &str) -> Verdict {
    valid_if(
        value == "none" || value == "cdrom" || value.starts_with('/') || is_volume_id(value),
        "a volume ID 'storage:volume', an absolute path, 'none' or 'cdrom'",
    )
}

/// Matches at the start only, as PVE's path checks are not anchored at the end.
static PATH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A/[^;()]").unwrap_or_else(|e| panic!("{e}")));
static PATH_IN_PROPERTY_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A/[^;,=()]").unwrap_or_else(|e| panic!("{e}")));

pub(super) fn path(value: &str) -> Verdict {
    valid_if(PATH.is_match(value), "an absolute path (starting with '/', not followed by ';', '(' or ')')")
}

pub(super) fn path_in_property_string(value: &str) -> Verdict {
    valid_if(
        PATH_IN_PROPERTY_STRING.is_match(value),
        "an absolute path (starting with '/', not followed by ';', ',', '=', '(' or ')')",
    )
}

pub(super) fn vgname(value: &str) -> Verdict {
    valid_if(
        perl_re!(r"(?i:[a-z0-9][a-z0-9\-_.]*[a-z0-9])").is_match(value),
        "a valid LVM name (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
    )
}

pub(super) fn zfs_blocksize(value: &str) -> Verdict {
    if value.is_empty() {
        return Verdict::Valid;
    }
    let ok = perl_re!("(?i:([1-9][0-9]*)([km])?)").captures(value).is_some_and(|c| {
        let unit: u128 = match c.get(2).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
            Some("k") => 1024,
            Some("m") => 1024 * 1024,
            _ => 1,
        };
        c[1].parse::<u128>()
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .is_some_and(|n| (512..=16 * 1024 * 1024).contains(&n) && n.is_power_of_two())
    });
    valid_if(ok, "a power of 2 from 512 bytes to 16 MiB with an optional k or m suffix (e.g. 8k, 128k, 1m)")
}

pub(super) fn options(value: &str) -> Verdict {
    valid_if(perl_re!(r"\S+").is_match(value), "mount options without white space (e.g. vers=4.2,soft)")
}

/// The content types of a directory storage, which has them all.
const CONTENT_TYPES: [&str; 8] = ["backup", "images", "import", "iso", "none", "rootdir", "snippets", "vztmpl"];

fn is_content(value: &str) -> bool {
    CONTENT_TYPES.contains(&value)
}

pub(super) fn content(value: &str) -> Verdict {
    valid_if(is_content(value), "a content type: backup, images, import, iso, none, rootdir, snippets or vztmpl")
}

pub(super) fn dir_override(value: &str) -> Verdict {
    let ok = perl_re!(r"([a-z]+)=([^.]*(?:\.?[^.]+)+)").captures(value).is_some_and(|c| {
        let path = &c[2];
        is_content(&c[1])
            && path.chars().count() < 1023
            && perl_split(path, '/').iter().all(|part| part.chars().count() < 255)
    });
    valid_if(ok, "'content=relative/path' with a content type and a path without '..' (e.g. iso=isos/linux)")
}
