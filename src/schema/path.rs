//! API paths: encoding of path segments.

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters and `:`
/// and `@` (which PVE's own clients leave as they are, e.g. in UPIDs and user IDs).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'@') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("pve1"), "pve1");
        assert_eq!(encode_segment("UPID:pve:0001:root@pam:"), "UPID:pve:0001:root@pam:");
        assert_eq!(encode_segment("local:iso/a b.iso"), "local:iso%2Fa%20b.iso");
        assert_eq!(encode_segment("../x?y#z%"), "..%2Fx%3Fy%23z%25");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }
}
