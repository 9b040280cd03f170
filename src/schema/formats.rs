//! Named formats (placeholder until the formats branch lands; it has the same API).

use super::types::Object;

/// How a named format judged a value.
pub enum Verdict {
    /// Valid for the format.
    Valid,
    /// Invalid: completes "expected ...".
    Invalid(String),
    /// A registered property-string format with these keys.
    PropertyString(&'static Object),
    /// Accepted without a local check.
    NotChecked(&'static str),
}

/// Checks `value` against the named format.
pub fn check(format: &str, _value: &str) -> Verdict {
    match super::REGISTERED_FORMATS.iter().find(|(n, _)| *n == format) {
        Some((_, obj)) => Verdict::PropertyString(obj),
        None => Verdict::NotChecked("unknown format"),
    }
}

/// Extra rules of registered property-string formats.
pub fn extra_rules(_format: &str, _pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    Vec::new()
}

/// How a format is checked.
pub enum Checked {
    /// By code here.
    Locally,
    /// As a property string.
    PropertyString,
    /// Only by the cluster.
    ByCluster,
}

/// A catalogue entry.
pub struct FormatInfo {
    /// The name.
    pub name: &'static str,
    /// How it is checked.
    pub checked: Checked,
    /// One line.
    pub summary: &'static str,
}

/// Every format name the vendored schema uses.
pub fn catalog() -> &'static [FormatInfo] {
    &[]
}
