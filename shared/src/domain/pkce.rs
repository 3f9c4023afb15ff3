//! Proof Key for Code Exchange (RFC 7636), S256 only: a code is bound to the challenge the
//! app sent to `/authorize`, and only the verifier it was made from redeems it. `plain` is
//! refused (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1: it protects nothing once the request is seen).

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Length of an S256 challenge: base64url of 32 bytes, unpadded.
const CHALLENGE_LEN: usize = 43;
/// RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters.
const VERIFIER_LEN: std::ops::RangeInclusive<usize> = 43..=128;

/// Why a PKCE parameter is refused; the text is the `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge is required (PKCE, S256)")]
    MissingChallenge,
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 base64url characters (S256)")]
    InvalidChallenge,
}

/// The S256 challenge of a pending authorization: base64url(SHA-256(verifier)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Reads `code_challenge` and `code_challenge_method` as `/authorize` receives them. The
    /// method defaults to `plain` in RFC 7636 §4.3, so an absent method is refused too.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, PkceError> {
        let challenge = challenge
            .filter(|c| !c.is_empty())
            .ok_or(PkceError::MissingChallenge)?;
        if method != Some("S256") {
            return Err(PkceError::UnsupportedMethod);
        }
        // 43 characters of base64url carry 258 bits: the last one must leave the extra two
        // bits zero to be the encoding of 32 bytes, which decoding checks.
        let decoded = URL_SAFE_NO_PAD.decode(challenge);
        if challenge.len() != CHALLENGE_LEN || !decoded.is_ok_and(|bytes| bytes.len() == 32) {
            return Err(PkceError::InvalidChallenge);
        }
        Ok(CodeChallenge(challenge.to_owned()))
    }

    /// The challenge a verifier makes.
    pub fn of(verifier: &str) -> Self {
        CodeChallenge(URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes())))
    }

    /// Whether `verifier` (the `code_verifier` of the token request) made this challenge. A
    /// verifier of the wrong shape never does.
    pub fn is_made_by(&self, verifier: &str) -> bool {
        let well_formed = VERIFIER_LEN.contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        well_formed
            && verify_slices_are_equal(Self::of(verifier).0.as_bytes(), self.0.as_bytes()).is_ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_example_verifies() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        assert_eq!(CodeChallenge::of(VERIFIER), challenge);
        assert!(challenge.is_made_by(VERIFIER));
    }

    #[test]
    fn a_wrong_or_malformed_verifier_does_not() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        let mut other = VERIFIER.to_owned();
        other.replace_range(0..1, "e");
        assert!(!challenge.is_made_by(&other));
        assert!(!challenge.is_made_by(""));
        // The challenge itself, or a verifier with characters RFC 7636 does not allow.
        assert!(!challenge.is_made_by(CHALLENGE));
        let short = "a".repeat(42);
        assert!(!CodeChallenge::of(&short).is_made_by(&short));
        let long = "a".repeat(129);
        assert!(!CodeChallenge::of(&long).is_made_by(&long));
        let spaced = format!("{VERIFIER} ");
        assert!(!CodeChallenge::of(&spaced).is_made_by(&spaced));
        for edge in ["a".repeat(43), "~".repeat(128)] {
            assert!(CodeChallenge::of(&edge).is_made_by(&edge), "{edge}");
        }
    }

    #[test]
    fn only_s256_challenges_of_the_right_shape_are_taken() {
        assert_eq!(
            CodeChallenge::parse(None, Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            CodeChallenge::parse(Some(""), Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        for method in [None, Some("plain"), Some("s256"), Some("")] {
            assert_eq!(
                CodeChallenge::parse(Some(CHALLENGE), method),
                Err(PkceError::UnsupportedMethod),
                "{method:?}"
            );
        }
        let last_bits_set = format!("{}d", &CHALLENGE[..42]);
        for bad in [
            &CHALLENGE[..42],
            &format!("{CHALLENGE}A"),
            &format!("{}=", &CHALLENGE[..42]),
            &format!("{}+", &CHALLENGE[..42]),
            // A plain verifier sent as the challenge is not 43 base64url characters here.
            &VERIFIER.replace('-', "%"),
            &last_bits_set,
        ] {
            assert_eq!(
                CodeChallenge::parse(Some(bad), Some("S256")),
                Err(PkceError::InvalidChallenge),
                "{bad}"
            );
        }
    }
}
