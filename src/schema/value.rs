//! Checking one value, as the string PVE receives, against one schema.
//!
//! PVE (PVE::JSONSchema) checks a value in this order and reports the first failure: type,
//! named format, minLength, maxLength, minimum, maximum, enum, pattern. Values arrive
//! form-encoded, so every value is a string here: the caller has already turned JSON values
//! into the text that goes on the wire.

use std::sync::OnceLock;

use regex::Regex;

use super::PATTERNS;
use super::formats::{self, Verdict};
use super::propstring;
use super::types::{Format, Pattern, Schema, Type};

/// One problem with one value: the dotted name (`net0.tag`) and the message completing
/// `'name': ...`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The parameter, or `param.key` inside a property string.
    pub name: String,
    /// What was expected and what arrived.
    pub message: String,
}

impl Problem {
    /// A problem with `name`.
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { name: name.into(), message: message.into() }
    }
}

/// The name of a value in problems: a parameter, or a key inside a parameter's property
/// string (`net0.tag`). Cheap to pass around; formatted only when a problem is reported.
#[derive(Debug, Clone, Copy)]
pub struct Name<'a> {
    /// The parameter holding the property string, for keys.
    pub parent: Option<&'a str>,
    /// The parameter or key.
    pub key: &'a str,
}

impl<'a> Name<'a> {
    /// A parameter.
    pub fn top(key: &'a str) -> Self {
        Name { parent: None, key }
    }

    /// A key inside a parameter's property string.
    pub fn nested(parent: &'a str, key: &'a str) -> Self {
        Name { parent: Some(parent), key }
    }

    /// The dotted text, borrowed for parameters.
    pub fn text(&self) -> std::borrow::Cow<'a, str> {
        match self.parent {
            None => std::borrow::Cow::Borrowed(self.key),
            Some(p) => std::borrow::Cow::Owned(format!("{p}.{}", self.key)),
        }
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parent {
            Some(p) => write!(f, "{p}.{}", self.key),
            None => f.write_str(self.key),
        }
    }
}

/// Where a value sits: at the top level booleans are only `0`/`1`; inside property strings
/// PVE also accepts yes/no, on/off, true/false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A method parameter.
    Top,
    /// A key inside a property string.
    PropertyString,
}

/// Checks `value` against `schema`; `name` is used in problems, `secret` hides the value.
pub fn check(name: Name<'_>, schema: &'static Schema, value: &str, level: Level, out: &mut Vec<Problem>) {
    let shown = || show(name.key, value);
    let fail = |out: &mut Vec<Problem>, expected: String| {
        out.push(Problem::new(name.to_string(), format!("expected {expected}, got {}", shown())));
    };
    // Type.
    let number = match schema.ty {
        Type::Boolean => {
            let ok = match level {
                Level::Top => value == "0" || value == "1",
                Level::PropertyString => parse_boolean(value).is_some(),
            };
            if !ok {
                let expected = match level {
                    Level::Top => "a boolean (true/false, or 1/0 in a string)",
                    Level::PropertyString => "a boolean (1/0, yes/no, on/off, true/false)",
                };
                return fail(out, expected.to_owned());
            }
            None
        }
        Type::Integer => match is_integer(value).then(|| parse_number(value)).flatten() {
            Some(n) => Some(n),
            None => return fail(out, "an integer".to_owned()),
        },
        Type::Number => match is_number(value).then(|| parse_number(value)).flatten() {
            Some(n) => Some(n),
            None => return fail(out, "a number".to_owned()),
        },
        Type::Array | Type::Object => {
            // The caller validates arrays item by item and objects as property strings;
            // a plain string for them is a single item / left to PVE.
            None
        }
        Type::String | Type::Null | Type::Any | Type::Unspecified => None,
    };
    // Named format or property string.
    match schema.format {
        Format::None => {}
        Format::Named(format) => match formats::check(format, value) {
            Verdict::Valid | Verdict::NotChecked(_) => {}
            Verdict::Invalid(expected) => return fail(out, format!("{expected} (format {format})")),
            Verdict::PropertyString(keys) => {
                let before = out.len();
                propstring::check(&name.text(), keys, Some(format), value, out);
                if out.len() > before {
                    return;
                }
            }
        },
        Format::PropertyString(keys) => {
            let before = out.len();
            propstring::check(&name.text(), keys, None, value, out);
            if out.len() > before {
                return;
            }
        }
    }
    // Lengths: PVE counts characters of the decoded text; bytes are never fewer, so the
    // minimum is checked on bytes and the maximum on characters, which can only accept more.
    if let Some(min) = schema.min_length
        && value.len() < min as usize
    {
        return fail(out, format!("at least {min} characters"));
    }
    if let Some(max) = schema.max_length
        && value.chars().count() > max as usize
    {
        return out.push(Problem::new(
            name.to_string(),
            format!("expected at most {max} characters, got {} characters", value.chars().count()),
        ));
    }
    // Range.
    if let Some(n) = number {
        let kind = if schema.ty == Type::Integer { "an integer" } else { "a number" };
        if let Some(min) = schema.minimum
            && n < min
        {
            return fail(out, format!("{kind} of at least {}", fmt_number(min)));
        }
        if let Some(max) = schema.maximum
            && n > max
        {
            return fail(out, format!("{kind} of at most {}", fmt_number(max)));
        }
    }
    // Enum.
    if let Some(values) = schema.enum_values
        && !values.contains(&value)
    {
        let mut expected = format!("one of {}", values.join(", "));
        if let Some(close) = closest(value, values.iter().copied()) {
            expected.push_str(&format!(" (did you mean '{close}'?)"));
        }
        return fail(out, expected);
    }
    // Pattern.
    if let Some(p) = schema.pattern
        && !pattern_matches(p, value)
    {
        fail(out, format!("a value matching /{}/", p.perl));
    }
}

/// PVE's `is_integer`: an optional sign and decimal digits (`+005` is fine, `4.0` is not).
pub fn is_integer(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let digits = body.strip_prefix(['+', '-']).unwrap_or(body);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// PVE's `is_number`: `[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?`.
pub fn is_number(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let body = body.strip_prefix(['+', '-']).unwrap_or(body);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => (!a.is_empty() || !b.is_empty()) && digits(a) && digits(b),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

fn parse_number(s: &str) -> Option<f64> {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let body = body.strip_prefix('+').unwrap_or(body);
    let body = body.strip_suffix('.').unwrap_or(body);
    body.parse::<f64>().ok()
}

/// PVE's `parse_boolean`, used inside property strings.
pub fn parse_boolean(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => Some(true),
        "0" | "no" | "off" | "false" => Some(false),
        _ => None,
    }
}

/// Whether `value` matches a schema pattern (compiled once, on first use).
pub fn pattern_matches(p: &'static Pattern, value: &str) -> bool {
    static COMPILED: [OnceLock<Regex>; PATTERNS.len()] = [const { OnceLock::new() }; PATTERNS.len()];
    let re = COMPILED[p.index].get_or_init(|| Regex::new(p.regex).expect("patterns are compiled at build time"));
    let counted = p.chars.is_none_or(|(lo, hi)| {
        let n = value.strip_suffix('\n').unwrap_or(value).chars().count() as u64;
        (u64::from(lo)..=u64::from(hi)).contains(&n)
    });
    counted && re.is_match(value)
}

fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

/// Parameter and key names whose values are never shown.
pub fn is_secret(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    ["password", "secret", "ticket", "apitoken", "token-secret", "private", "passphrase"]
        .iter()
        .any(|s| last.contains(s))
        || last == "key"
        || last == "value" && name.contains("token")
}

/// A value as shown in messages: quoted, shortened, or hidden for secret parameters.
pub fn show(name: &str, value: &str) -> String {
    if is_secret(name) {
        return format!("a value of {} characters (not shown)", value.chars().count());
    }
    let mut shown: String = value.chars().take(80).collect();
    if shown.len() < value.len() {
        shown.push_str("...");
    }
    format!("'{}'", shown.escape_debug())
}

/// The candidate closest to `value` by edit distance, when it is close enough to be a typo.
pub fn closest<'a>(value: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&value.to_ascii_lowercase(), &c.to_ascii_lowercase());
        let limit = (c.chars().count().max(value.chars().count()) / 3).clamp(1, 3);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions (the commonest typo) each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_pve() {
        for ok in ["0", "4", "+005", "-3", "123456789012", "7\n"] {
            assert!(is_integer(ok), "{ok:?}");
        }
        for bad in ["", "4.0", " 5", "5 ", "0x10", "1e3", "+", "٣"] {
            assert!(!is_integer(bad), "{bad:?}");
        }
    }

    #[test]
    fn numbers_follow_pve() {
        for ok in ["0", "0.5", ".5", "5.", "-1.25e3", "+2E-2", "10"] {
            assert!(is_number(ok), "{ok:?}");
        }
        for bad in ["", ".", "e3", "1e", "1.2.3", "0x1", " 1", "nan", "inf"] {
            assert!(!is_number(bad), "{bad:?}");
        }
        assert_eq!(parse_number("5."), Some(5.0));
        assert_eq!(parse_number("+2E-2"), Some(0.02));
    }

    #[test]
    fn booleans_in_property_strings() {
        for (s, b) in [
            ("1", true),
            ("YES", true),
            ("on", true),
            ("true", true),
            ("0", false),
            ("No", false),
            ("off", false),
            ("false", false),
        ] {
            assert_eq!(parse_boolean(s), Some(b), "{s}");
        }
        assert_eq!(parse_boolean("2"), None);
    }

    #[test]
    fn secrets_are_never_shown() {
        assert_eq!(show("password", "hunter2"), "a value of 7 characters (not shown)");
        assert_eq!(show("proxmox-remote.apitoken", "PVEAPIToken=x"), "a value of 13 characters (not shown)");
        assert_eq!(show("cores", "4"), "'4'");
        assert_eq!(show("name", &"x".repeat(100)).len(), 80 + 5);
    }

    #[test]
    fn typos_find_their_word() {
        let words = ["bridge", "model", "firewall", "tag"];
        assert_eq!(closest("brige", words.iter().copied()), Some("bridge"));
        assert_eq!(closest("firewal", words.iter().copied()), Some("firewall"));
        assert_eq!(closest("zzzzzz", words.iter().copied()), None);
        assert_eq!(closest("coers", ["cores", "sockets"].into_iter()), Some("cores"));
    }
}
