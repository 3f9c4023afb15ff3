//! Opaque credentials the service hands out (refresh tokens, authorization codes, client
//! secrets): 256 random bits, base64url, kept by the service only as a SHA-256 (or an Argon2
//! hash, for client secrets).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Random bytes in every opaque credential: 256 bits.
const BYTES: usize = 32;

/// 256 random bits from the operating system's CSPRNG (`getrandom`), base64url (43
/// characters). Not AWS-LC's generator: seeding it costs about 20 ms on a process's first
/// use, which a token function would pay on every cold start's first sign-in.
pub fn base64url_256_bits() -> String {
    let mut bytes = [0u8; BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `text` has the shape [`base64url_256_bits`] gives (anything else cannot match a
/// stored hash, so it is refused without a store read).
pub fn is_base64url_256_bits(text: &str) -> bool {
    text.len() == 43 && URL_SAFE_NO_PAD.decode(text).is_ok_and(|b| b.len() == BYTES)
}

/// SHA-256 of `text`, base64url: the only form a store keeps of a credential.
pub fn sha256_base64url(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}
