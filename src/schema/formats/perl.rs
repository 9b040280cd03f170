//! Small helpers that reproduce how PVE's Perl code treats strings.

use regex::Regex;

/// A regular expression matched the way PVE's Perl code matches `m/^...$/`: anchored at the
/// start, and at the end or before one final newline.
///
/// The pattern is compiled once, at first use. Every pattern is a literal in this module tree and
/// is exercised by the unit tests, so the compilation cannot fail at run time.
macro_rules! perl_re {
    ($pattern:expr) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| crate::schema::formats::perl::anchored($pattern));
        &*RE
    }};
}
pub(super) use perl_re;

/// Compiles `pattern` with PVE's `m/^(?:pattern)$/` semantics.
pub(super) fn anchored(pattern: &str) -> Regex {
    // An invalid pattern here is a bug in this module, caught by every test that uses it.
    Regex::new(&format!(r"\A(?:{pattern})\n?\z")).unwrap_or_else(|e| panic!("format pattern /{pattern}/: {e}"))
}

/// Removes one final newline, as Perl's `$` ignores it.
pub(super) fn chomp(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

/// Splits a `-list` value as `PVE::Tools::split_list` does: at NUL if the value contains one,
/// otherwise at any run of commas, semicolons and white space. Leading and trailing separators
/// give no items; with NUL separators, empty items between two NULs are kept (and checked).
pub(super) fn split_list(value: &str) -> Vec<&str> {
    if value.contains('\0') {
        let mut items: Vec<&str> = value.split('\0').collect();
        // Perl's split drops trailing empty fields.
        while items.last().is_some_and(|s| s.is_empty()) {
            items.pop();
        }
        return items;
    }
    value.split(|c: char| c == ',' || c == ';' || c.is_whitespace()).filter(|s| !s.is_empty()).collect()
}

/// Splits at one character as Perl's `split(/c/, ...)` does: trailing empty fields are
/// dropped, leading and inner ones are kept.
pub(super) fn perl_split(value: &str, sep: char) -> Vec<&str> {
    let mut fields: Vec<&str> = value.split(sep).collect();
    while fields.last().is_some_and(|s| s.is_empty()) {
        fields.pop();
    }
    fields
}

/// The numeric value Perl gives a string of digits: its leading ASCII digits, saturating.
pub(super) fn numify(s: &str) -> u64 {
    s.trim_start()
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
}

/// Perl's idea of a true string: everything but the empty string and "0".
pub(super) fn is_true(s: &str) -> bool {
    !(s.is_empty() || s == "0")
}

/// A value quoted for a message: at most 40 characters, control characters escaped.
pub(super) fn quote(value: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::from("'");
    for (i, c) in value.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// A verdict from a condition.
pub(super) fn valid_if(ok: bool, expected: &str) -> super::Verdict {
    if ok { super::Verdict::Valid } else { super::Verdict::Invalid(expected.to_owned()) }
}
