//! SHA-256 certificate fingerprints, as PVE shows them (`AA:BB:...`).

use std::fmt;
use std::str::FromStr;

/// The SHA-256 digest of a certificate (its DER bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Fingerprint {
        use sha2::Digest;
        Fingerprint(sha2::Sha256::digest(der).into())
    }
}

impl fmt::Display for Fingerprint {
    /// Upper-case hex bytes joined by `:`, as PVE's GUI and `pvenode cert info` show them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Fingerprint {
    type Err = String;

    /// Accepts 64 hex digits, any case, with or without `:` between the bytes.
    fn from_str(s: &str) -> Result<Fingerprint, String> {
        let s = s.trim();
        let s = s.strip_prefix("sha256:").or_else(|| s.strip_prefix("SHA256:")).unwrap_or(s);
        let hex: String = s.chars().filter(|c| *c != ':').collect();
        if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("'{c}' is not a hex digit; expected 32 hex bytes like \"AB:CD:...\" (SHA-256)"));
        }
        if hex.len() != 64 {
            let hint = if hex.len() == 40 {
                " (that is a SHA-1 fingerprint; use the SHA-256 one PVE shows under Certificates)"
            } else {
                ""
            };
            return Err(format!(
                "expected a SHA-256 fingerprint of 32 bytes (64 hex digits), got {} hex digits{hint}",
                hex.len()
            ));
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Fingerprint(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pve_form_any_case_with_or_without_colons() {
        let upper = "AB:".repeat(31) + "CD";
        let fp: Fingerprint = upper.parse().unwrap();
        assert_eq!(fp.to_string(), upper);
        assert_eq!(upper.to_lowercase().parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(upper.replace(':', "").parse::<Fingerprint>().unwrap(), fp);
    }

    #[test]
    fn wrong_lengths_and_digits_are_named() {
        assert!("AB:CD".parse::<Fingerprint>().unwrap_err().contains("got 4 hex digits"));
        assert!("ab".repeat(20).parse::<Fingerprint>().unwrap_err().contains("SHA-1"));
        assert!("zz".repeat(32).parse::<Fingerprint>().unwrap_err().contains("'z' is not a hex digit"));
    }

    #[test]
    fn digest_of_der() {
        // SHA-256 of the empty input.
        assert!(Fingerprint::of_der(b"").to_string().starts_with("E3:B0:C4:42"));
    }
}
