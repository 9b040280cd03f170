//! Translation of PVE's Perl patterns into Rust `regex` syntax.
//!
//! PVE checks a pattern as `$value =~ m/^$pattern$/`: anchored at both ends, where Perl's
//! `$` (without `/m`) also matches before one final newline. The translation keeps that
//! meaning. The constructs PVE's schemas use are mapped one by one; a construct the Rust
//! engine cannot express and that would change what matches (backreferences, lookaround) is
//! an error, so no pattern is ever silently weakened or dropped.
//!
//! Two constructs are translated into a superset, which can only accept more, never refuse a
//! value PVE accepts: atomic groups `(?>...)` and possessive quantifiers (`a++`) become
//! ordinary groups and quantifiers (Rust's engine never backtracks, so it has neither).

/// A translated pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// Anchored Rust `regex` syntax.
    pub regex: String,
    /// When set, the value's length in characters (not counting one final newline) must
    /// also lie in this inclusive range; see [`translate_pattern`].
    pub chars: Option<(u32, u32)>,
}

/// Repetition bounds above this are split into `*` plus a length check, when the shape
/// allows it exactly (see [`translate_pattern`]).
const MAX_INLINE_REPEAT: u32 = 64;

/// Translates a Perl pattern into an anchored Rust `regex` pattern with PVE's semantics.
///
/// A whole pattern of the form `C{m,n}`, where `C` matches one character and `n` is large,
/// is rewritten exactly as `C*` plus a character-count check in `m..=n`: the automaton for
/// 256 copies of a Unicode class such as `\w` takes tens of megabytes, the split form a few
/// kilobytes.
pub fn translate_pattern(perl: &str) -> Result<Translated, String> {
    let body = translate_body(perl)?;
    let (body, chars) = split_long_repeat(&body);
    let rust = format!(r"\A(?:{body})\n?\z");
    match regex::Regex::new(&rust) {
        Ok(_) => Ok(Translated { regex: rust, chars }),
        Err(e) => Err(format!("pattern /{perl}/ translates to /{rust}/, which does not compile: {e}")),
    }
}

fn split_long_repeat(body: &str) -> (String, Option<(u32, u32)>) {
    use regex_syntax::hir::{Hir, HirKind, Repetition};
    let Ok(hir) = regex_syntax::Parser::new().parse(body) else { return (body.to_owned(), None) };
    let mut node = &hir;
    // Groups around the repetition do not change what it matches.
    while let HirKind::Capture(c) = node.kind() {
        node = &c.sub;
    }
    if let HirKind::Repetition(rep) = node.kind() {
        let one_char = matches!(rep.sub.kind(), HirKind::Class(_))
            || matches!(rep.sub.kind(), HirKind::Literal(l) if std::str::from_utf8(&l.0).is_ok_and(|s| s.chars().count() == 1));
        if let (true, Some(max)) = (one_char, rep.max)
            && max > MAX_INLINE_REPEAT
        {
            let star = Hir::repetition(Repetition { min: 0, max: None, greedy: true, sub: rep.sub.clone() });
            return (star.to_string(), Some((rep.min, max)));
        }
    }
    (body.to_owned(), None)
}

/// Perl flags the translation understands inside `(?^flags:`.
const FLAGS: &str = "imsxu";

fn translate_body(perl: &str) -> Result<String, String> {
    let chars: Vec<char> = perl.chars().collect();
    let mut out = String::with_capacity(perl.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&next) = chars.get(i + 1) else {
                    return Err(format!("pattern /{perl}/ ends with a lone backslash"));
                };
                i += 2;
                out.push_str(&translate_escape(next, &chars, &mut i, in_class, perl)?);
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A ']' right after '[' or '[^' is a literal in both dialects; keep it literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '[' if in_class => {
                // POSIX classes `[:alpha:]` are the only nested brackets Perl knows.
                if chars.get(i + 1) == Some(&':') {
                    let end = chars[i..].iter().collect::<String>().find(":]").map(|e| i + e + 2);
                    let Some(end) = end else {
                        return Err(format!("pattern /{perl}/ has an unterminated POSIX class"));
                    };
                    out.extend(&chars[i..end]);
                    i = end;
                    continue;
                }
                out.push_str(r"\[");
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' | '-' if in_class => {
                // Rust treats `&&`, `~~` and `--` in classes as set operations; Perl does not.
                if c != '-' && chars.get(i + 1) == Some(&c) {
                    out.push('\\');
                }
                if c == '-' && chars.get(i + 1) == Some(&'-') {
                    out.push_str(r"\-");
                    i += 1;
                    continue;
                }
                out.push(c);
            }
            '$' if !in_class => out.push_str(r"(?:\n?\z)"),
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                i += 2;
                out.push_str(&translate_group_start(&chars, &mut i, perl)?);
                continue;
            }
            '{' if !in_class => {
                let (text, len) = translate_brace(&chars[i..]);
                out.push_str(&text);
                i += len;
                continue;
            }
            '+' if !in_class && i > 0 && is_quantifier_end(&chars, i) => {
                // Possessive quantifier: drop the `+` (see the module docs).
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err(format!("pattern /{perl}/ has an unterminated character class"));
    }
    Ok(out)
}

/// Whether the `+` at `i` follows a quantifier, making it possessive (`a++`, `a*+`, `a?+`,
/// `a{2}+`).
fn is_quantifier_end(chars: &[char], i: usize) -> bool {
    let prev = chars[i - 1];
    let escaped = i >= 2 && chars[i - 2] == '\\';
    !escaped && matches!(prev, '+' | '*' | '?' | '}') && !(prev == '?' && i >= 2 && chars[i - 2] == '(')
}

fn translate_escape(next: char, chars: &[char], i: &mut usize, in_class: bool, perl: &str) -> Result<String, String> {
    Ok(match next {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' => format!("\\{next}"),
        'b' | 'B' | 'A' | 'z' if !in_class => format!("\\{next}"),
        'Z' if !in_class => r"(?:\n?\z)".to_owned(),
        'e' => r"\x1B".to_owned(),
        'a' => r"\x07".to_owned(),
        '0' => {
            // `\0` is NUL, optionally followed by up to two more octal digits.
            let mut value = 0u32;
            let mut taken = 0;
            while taken < 2 && chars.get(*i).is_some_and(|c| ('0'..='7').contains(c)) {
                value = value * 8 + chars[*i].to_digit(8).unwrap_or(0);
                *i += 1;
                taken += 1;
            }
            format!(r"\x{{{value:02X}}}")
        }
        'x' => {
            // `\xHH` or `\x{HHHH}`: the same in both dialects.
            let mut s = String::from(r"\x");
            if chars.get(*i) == Some(&'{') {
                let end = chars[*i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or_else(|| format!("pattern /{perl}/ has an unterminated \\x{{"))?;
                s.extend(&chars[*i..*i + end + 1]);
                *i += end + 1;
            } else {
                let hex: String = chars[*i..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).collect();
                *i += hex.len();
                s.push_str(&format!("{{{}}}", if hex.is_empty() { "0".to_owned() } else { hex }));
            }
            s
        }
        'p' | 'P' => {
            // Unicode properties: `\pL` or `\p{...}`, the same in both dialects.
            let mut s = format!("\\{next}");
            if chars.get(*i) == Some(&'{') {
                let end = chars[*i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or_else(|| format!("pattern /{perl}/ has an unterminated \\p{{"))?;
                s.extend(&chars[*i..*i + end + 1]);
                *i += end + 1;
            } else if let Some(c) = chars.get(*i) {
                s.push(*c);
                *i += 1;
            }
            s
        }
        c if c.is_ascii_digit() => {
            return Err(format!("pattern /{perl}/ uses a backreference (\\{c}), which Rust's regex cannot express"));
        }
        c if c.is_ascii_alphanumeric() => {
            return Err(format!("pattern /{perl}/ uses the escape \\{c}, which the translation does not know"));
        }
        // Escaped punctuation (and any other character) is that literal character.
        c => format!(r"\x{{{:X}}}", c as u32),
    })
}

/// Translates what follows `(?`; `i` points just past the `?`.
fn translate_group_start(chars: &[char], i: &mut usize, perl: &str) -> Result<String, String> {
    let rest: String = chars[*i..].iter().take(3).collect();
    match chars.get(*i) {
        Some(':') => {
            *i += 1;
            Ok("(?:".to_owned())
        }
        Some('>') => {
            *i += 1;
            Ok("(?:".to_owned())
        }
        Some('<') if rest.starts_with("<=") || rest.starts_with("<!") => {
            Err(format!("pattern /{perl}/ uses lookbehind, which Rust's regex cannot express"))
        }
        Some('=') | Some('!') => Err(format!("pattern /{perl}/ uses lookahead, which Rust's regex cannot express")),
        Some('<') | Some('P') => {
            // Named group `(?<name>` / `(?P<name>`: Rust knows both spellings.
            Ok("(?".to_owned())
        }
        Some('#') => {
            let end = chars[*i..]
                .iter()
                .position(|c| *c == ')')
                .ok_or_else(|| format!("pattern /{perl}/ has an unterminated comment"))?;
            *i += end + 1;
            Ok(String::new())
        }
        _ => {
            // Flags: `(?^flags:`, `(?flags-flags:`, `(?flags)`.
            let mut caret = false;
            let mut on = String::new();
            let mut off = String::new();
            let mut negate = false;
            loop {
                match chars.get(*i) {
                    Some('^') if !caret && on.is_empty() && !negate => caret = true,
                    Some('-') if !negate => negate = true,
                    Some(&f) if FLAGS.contains(f) => {
                        // `u` (Unicode rules) is always on in Rust for text patterns.
                        if f != 'u' {
                            if negate { off.push(f) } else { on.push(f) }
                        }
                    }
                    Some(&c @ (':' | ')')) => {
                        *i += 1;
                        // `(?^...)` resets flags to Perl's defaults: all of ours off.
                        if caret {
                            for f in "imsx".chars() {
                                if !on.contains(f) && !off.contains(f) {
                                    off.push(f);
                                }
                            }
                        }
                        let flags = if off.is_empty() { on } else { format!("{on}-{off}") };
                        return Ok(match (c, flags.is_empty()) {
                            (':', true) => "(?:".to_owned(),
                            (':', false) => format!("(?{flags}:"),
                            (_, true) => String::new(),
                            (_, false) => format!("(?{flags})"),
                        });
                    }
                    Some(c) => {
                        return Err(format!(
                            "pattern /{perl}/ uses the group flag '{c}', which the translation does not know"
                        ));
                    }
                    None => return Err(format!("pattern /{perl}/ has an unterminated group")),
                }
                *i += 1;
            }
        }
    }
}

/// Translates a `{` outside a class: a quantifier, or a literal brace.
///
/// Returns the text and how many characters were consumed. Perl 5.34 and later (PVE 8 and
/// 9 ship 5.36 and 5.40) read `{,n}` as `{0,n}`; anything not of a quantifier's shape is a
/// literal `{`.
fn translate_brace(chars: &[char]) -> (String, usize) {
    let end = chars.iter().position(|c| *c == '}');
    if let Some(end) = end {
        let inner: String = chars[1..end].iter().collect();
        let inner_trim: String = inner.chars().filter(|c| !c.is_whitespace()).collect();
        let (lo, hi) = match inner_trim.split_once(',') {
            Some((lo, hi)) => (lo.to_owned(), Some(hi.to_owned())),
            None => (inner_trim.clone(), None),
        };
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        let ok = match &hi {
            None => digits(&lo),
            Some(hi) => {
                (digits(&lo) || lo.is_empty()) && (digits(hi) || hi.is_empty()) && !(lo.is_empty() && hi.is_empty())
            }
        };
        if ok {
            let text = match hi {
                None => format!("{{{lo}}}"),
                Some(hi) => format!("{{{},{hi}}}", if lo.is_empty() { "0" } else { &lo }),
            };
            return (text, end + 1);
        }
    }
    (r"\{".to_owned(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(perl: &str, value: &str) -> bool {
        let t = translate_pattern(perl).unwrap();
        let len = value.strip_suffix('\n').unwrap_or(value).chars().count() as u32;
        regex::Regex::new(&t.regex).unwrap().is_match(value) && t.chars.is_none_or(|(lo, hi)| (lo..=hi).contains(&len))
    }

    #[test]
    fn anchoring_follows_perl() {
        assert!(matches(r"[a-z]+", "abc"));
        assert!(!matches(r"[a-z]+", "abc1"));
        assert!(!matches(r"[a-z]+", "1abc"));
        // Perl's `$` matches before a final newline.
        assert!(matches(r"[a-z]+", "abc\n"));
        assert!(!matches(r"[a-z]+", "abc\n\n"));
        assert!(matches(r"^https?://.*", "https://x"));
        assert!(matches(r"(?^:^[^:/\s]+$)", "node1"));
    }

    #[test]
    fn perl_group_flags() {
        assert!(matches(r"(?^i:[a-z0-9_][a-z0-9_\-\+\.]*)", "ABC"));
        assert!(!matches(r"(?^:[a-z]+)", "ABC"));
        assert!(matches(r"(?^u:[a-zA-Z0-9]{1,12})", "abc"));
        // `(?^:...)` turns off an outer `i`.
        assert!(!matches(r"(?i:(?^:a))", "A"));
        assert_eq!(translate_body(r"(?^i:x)").unwrap(), "(?i-msx:x)");
    }

    #[test]
    fn perl_brace_forms() {
        assert!(matches(r"[A-Za-z0-9\-_\s]{,8}", ""));
        assert!(matches(r"[A-Za-z0-9\-_\s]{,8}", "abcdefgh"));
        assert!(!matches(r"[A-Za-z0-9\-_\s]{,8}", "abcdefghi"));
        assert!(matches(r"a{", "a{"));
        assert!(matches(r"a{x}", "a{x}"));
        assert!(matches(r"a{2,}", "aaa"));
    }

    #[test]
    fn escapes() {
        assert!(matches(r"(?:\w+=[^\x00-\x08\x0a-\x1F\x7F]*)(?:\0\w+=[^\x00-\x08\x0a-\x1F\x7F]*)*", "a=1\0b=2"));
        assert!(matches(r"[\(\)-_.\w\d\s]{0,256}", "A:B"), "\\)-_ is a range from ')' to '_'");
        assert!(!matches(r"[\(\)-_.\w\d\s]{0,256}", "a\x01"));
        assert!(matches(r"[1-9][0-9]*\/(second|minute)", "5/second"));
        assert!(matches(r"\+?\d+(\.\d+)?[KMGT]?", "+1.5G"));
        assert!(matches(r"a\@b", "a@b"));
    }

    #[test]
    fn long_repeats_of_one_class_are_split_exactly() {
        let t = translate_pattern(r"(?^i:[\(\)-_.\w\d\s]{0,256})").unwrap();
        assert_eq!(t.chars, Some((0, 256)));
        assert!(matches(r"(?^i:[\(\)-_.\w\d\s]{0,256})", &"é".repeat(256)));
        assert!(!matches(r"(?^i:[\(\)-_.\w\d\s]{0,256})", &"é".repeat(257)));
        assert!(matches(r"(?^i:[\(\)-_.\w\d\s]{0,256})", &format!("{}\n", "a".repeat(256))));
        assert!(!matches(r"[a-z]{2,100}", "a"));
        // Short repeats and other shapes are left alone.
        assert_eq!(translate_pattern(r"[0-9a-zA-Z!=]{0,4096}x").unwrap().chars, None);
        assert_eq!(translate_pattern(r"[a-z]{1,12}").unwrap().chars, None);
    }

    #[test]
    fn atomic_and_possessive_become_plain() {
        assert!(matches(r"(?^u:^((?>[+-]?[\w\-\._=]+,?)+)$)", "+a,-b,c=d"));
        assert!(!matches(r"(?^u:^((?>[+-]?[\w\-\._=]+,?)+)$)", "a b"));
        assert!(matches(r"a++b", "aab"));
    }

    #[test]
    fn unsupported_constructs_are_errors() {
        assert!(translate_pattern(r"(a)\1").unwrap_err().contains("backreference"));
        assert!(translate_pattern(r"a(?=b)").unwrap_err().contains("lookahead"));
        assert!(translate_pattern(r"(?<!a)b").unwrap_err().contains("lookbehind"));
        assert!(translate_pattern(r"[abc").unwrap_err().contains("unterminated character class"));
        assert!(translate_pattern(r"\K").unwrap_err().contains("\\K"));
    }

    #[test]
    fn class_set_operators_are_literal() {
        assert!(matches(r"[a&&b]+", "a&b"));
        assert!(matches(r"[a~~b]+", "~"));
        assert!(matches(r"[]a]+", "]a"));
        assert!(matches(r"[[:alpha:]]+", "abc"));
    }
}
