//! PVE's response envelope: `{"data": ...}` on success; `message` and per-parameter
//! `errors` on failure, with the message also in the HTTP reason phrase.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// What a node answered, read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    /// The reason phrase, when the server sent a non-standard one (PVE puts its message there).
    pub reason: Option<String>,
    pub body: Vec<u8>,
}

/// The answer, decoded.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// 2xx with a JSON object: PVE's `data` as it came (`null` when absent), not parsed
    /// into a tree: most answers go back out as text.
    Data(Box<RawValue>),
    /// An error status: PVE's message and sorted per-parameter errors.
    Failure { message: String, errors: Vec<(String, String)> },
    /// Not PVE's JSON: a short summary of what came instead.
    NotJson { summary: String },
}

/// A success envelope: only `data` is kept, checked as JSON but not parsed into a tree.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

fn is_object(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

pub(crate) fn decode(answer: &Answer) -> Decoded {
    let success = (200..300).contains(&answer.status);
    if success {
        // A struct also deserializes from an array; PVE's envelope is an object.
        let envelope =
            if is_object(&answer.body) { serde_json::from_slice::<Envelope<'_>>(&answer.body).ok() } else { None };
        return match envelope {
            Some(Envelope { data: Some(raw) }) => Decoded::Data(raw.to_owned()),
            Some(Envelope { data: None }) => Decoded::Data(null()),
            None => Decoded::NotJson { summary: summarize(&answer.body) },
        };
    }
    let json: Option<Value> = serde_json::from_slice(&answer.body).ok().filter(Value::is_object);
    match json {
        Some(v) => {
            let message = v
                .get("message")
                .and_then(Value::as_str)
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty())
                .or_else(|| answer.reason.clone())
                .unwrap_or_else(|| canonical(answer.status));
            let mut errors: Vec<(String, String)> = v
                .get("errors")
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), |s| s.trim().to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            errors.sort();
            Decoded::Failure { message, errors }
        }
        None => match &answer.reason {
            // PVE's own errors carry the message in the reason phrase, whatever the body.
            Some(reason) => Decoded::Failure { message: reason.clone(), errors: Vec::new() },
            None if answer.body.iter().all(u8::is_ascii_whitespace) => {
                Decoded::Failure { message: canonical(answer.status), errors: Vec::new() }
            }
            None => Decoded::NotJson { summary: summarize(&answer.body) },
        },
    }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).unwrap_or_else(|_| unreachable!("null is JSON"))
}

/// The standard reason phrase of a status.
pub(crate) fn canonical(status: u16) -> String {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error").to_owned()
}

/// The title of an HTML page, or the first non-empty line, without tags, at most 120
/// characters.
pub(crate) fn summarize(body: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let picked = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => text[a + 7..b].to_owned(),
        _ => strip_tags(&text).lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_owned(),
    };
    let picked: String = picked.split_whitespace().collect::<Vec<_>>().join(" ");
    if picked.is_empty() {
        return format!("{} bytes without text", body.len());
    }
    if picked.chars().count() > MAX { format!("{}...", picked.chars().take(MAX).collect::<String>()) } else { picked }
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push('\n');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, reason: Option<&str>, body: &str) -> Answer {
        Answer { status, reason: reason.map(str::to_owned), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn data_is_unwrapped() {
        let data = |body: &str| match decode(&answer(200, None, body)) {
            Decoded::Data(v) => v.get().to_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(data(r#"{"data":{"version":"9.2"},"success":1}"#), r#"{"version":"9.2"}"#);
        assert_eq!(data(r#" {"data":null}"#), "null");
        assert_eq!(data(r#"{"total":0}"#), "null");
        assert!(matches!(decode(&answer(200, None, r#"[{"data":1}]"#)), Decoded::NotJson { .. }));
        assert!(matches!(decode(&answer(200, None, r#"{"data":{"unclosed":1}"#)), Decoded::NotJson { .. }));
    }

    #[test]
    fn body_message_wins_over_reason_and_errors_are_sorted() {
        let a = answer(
            400,
            Some("Parameter verification failed."),
            r#"{"message":"Parameter verification failed.\n","errors":{"vmid":"invalid","memory":"too small"},"data":null}"#,
        );
        match decode(&a) {
            Decoded::Failure { message, errors } => {
                assert_eq!(message, "Parameter verification failed.");
                assert_eq!(errors, vec![("memory".into(), "too small".into()), ("vmid".into(), "invalid".into())]);
            }
            other => panic!("{other:?}"),
        }
        match decode(&answer(401, Some("invalid token value!"), r#"{"data":null}"#)) {
            Decoded::Failure { message, .. } => assert_eq!(message, "invalid token value!"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn html_is_summarised() {
        let page = format!("<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>", "x".repeat(5000));
        match decode(&answer(502, None, &page)) {
            Decoded::NotJson { summary } => assert_eq!(summary, "502 Bad Gateway"),
            other => panic!("{other:?}"),
        }
        let long = format!("<h1>{}</h1>", "word ".repeat(100));
        let s = summarize(long.as_bytes());
        assert!(s.ends_with("...") && s.len() < 130, "{s}");
    }
}
