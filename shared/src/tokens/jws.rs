//! A presented token's compact JWS serialisation (RFC 7515 §7.1), read once.
//!
//! Ours rather than `jsonwebtoken::decode`, for speed on a token's first sight: `decode`
//! rebuilds the RSA key from its components on every call (its verifier factory gets no
//! parsed key), decodes the header three times and the claims twice. Here the header is
//! decoded once, the signature is checked with a key parsed when the key set was read
//! (`aws-lc-rs`), and only then are the claims decoded, once. It refuses what `decode` refused
//! (a property test compares the two over generated near misses), and more: the header
//! parameters the verifier refuses, a negative `exp`, and nesting past serde_json's limit.

use aws_lc_rs::hmac;
use aws_lc_rs::signature::ParsedPublicKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use super::TokenError;

/// The parameters of a JOSE header this service reads. Any other is ignored (RFC 7515 §4),
/// except those it refuses.
#[derive(Debug, Deserialize)]
pub(super) struct JoseHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
    /// Extensions the verifier would have to understand (RFC 7515 §4.1.11): it understands
    /// none.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    /// Keys named or carried by the token itself: keys come from the published set only.
    #[serde(default, deserialize_with = "present")]
    jku: bool,
    #[serde(default, deserialize_with = "present")]
    x5u: bool,
    #[serde(default, deserialize_with = "present")]
    jwk: bool,
    #[serde(default, deserialize_with = "present")]
    x5c: bool,
    /// Registered parameters read for their type only: a string, or the header is malformed
    /// (as `jsonwebtoken` held, so no answer changed when this module replaced it).
    #[serde(default, rename = "cty")]
    _cty: Option<Text>,
    #[serde(default, rename = "x5t")]
    _x5t: Option<Text>,
    #[serde(default, rename = "x5t#S256")]
    _x5t_s256: Option<Text>,
    #[serde(default, rename = "enc")]
    _enc: Option<Text>,
    #[serde(default, rename = "zip")]
    _zip: Option<Text>,
    #[serde(default, rename = "url")]
    _url: Option<Text>,
    #[serde(default, rename = "nonce")]
    _nonce: Option<Text>,
}

/// A JSON string, checked and not kept.
#[derive(Debug)]
struct Text;

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(value: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Text, E> {
                Ok(Text)
            }
        }
        value.deserialize_str(Visitor)
    }
}

/// A parameter that is there, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(value).map(|_| true)
}

impl JoseHeader {
    /// The first refused parameter the header carries.
    fn refused(&self) -> Option<&'static str> {
        [
            (self.crit, "crit"),
            (self.jku, "jku"),
            (self.x5u, "x5u"),
            (self.jwk, "jwk"),
            (self.x5c, "x5c"),
        ]
        .into_iter()
        .find_map(|(carried, name)| carried.then_some(name))
    }
}

/// The key a signature is checked with: the published set's RS256 keys, or the HS256
/// opt-in's shared secret.
pub(super) enum SignatureKey<'k> {
    Rsa(&'k ParsedPublicKey),
    Hmac(&'k hmac::Key),
}

/// A token split into its parts, its header decoded; its payload still unread.
pub(super) struct CompactJws<'t> {
    pub header: JoseHeader,
    /// `BASE64URL(header) . BASE64URL(payload)`: what the signature covers.
    signing_input: &'t str,
    payload: &'t str,
    signature: &'t str,
}

impl<'t> CompactJws<'t> {
    /// Three base64url parts, and a header that is a JSON object carrying `alg` and no
    /// refused parameter.
    pub fn parse(token: &'t str) -> Result<Self, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("not three parts".into()));
        };
        let header: JoseHeader = object(header, "header")?;
        if let Some(name) = header.refused() {
            return Err(TokenError::UnsupportedHeader(name.to_owned()));
        }
        Ok(Self {
            header,
            signing_input: &token[..header_and_payload_len(token, signature)],
            payload,
            signature,
        })
    }

    /// Checks the signature over the signing input with `key`.
    pub fn verify_signature(&self, key: SignatureKey<'_>) -> Result<(), TokenError> {
        let signature = URL_SAFE_NO_PAD
            .decode(self.signature)
            .map_err(|_| TokenError::Malformed("signature is not base64url".into()))?;
        let message = self.signing_input.as_bytes();
        let verified = match key {
            SignatureKey::Rsa(key) => key.verify_sig(message, &signature),
            SignatureKey::Hmac(key) => hmac::verify(key, message, &signature),
        };
        verified.map_err(|_| TokenError::BadSignature)
    }

    /// The payload, decoded into `T`. Read only once the signature checked out.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, TokenError> {
        object(self.payload, "payload")
    }
}

/// The length of `header.payload` in a token whose last part is `signature`.
fn header_and_payload_len(token: &str, signature: &str) -> usize {
    token.len() - signature.len() - 1
}

/// The deepest nesting a header or payload may have: what serde_json's own limit lets a
/// `Value` have (it refuses 128 levels).
const MAX_NESTING: usize = 127;

/// A base64url part holding a JSON object nested at most [`MAX_NESTING`] levels, decoded
/// into `T`. serde_json skips the values `T` does not name however deep they are, so the
/// limit is checked first: a token nested deeper is no token this service issued.
fn object<T: DeserializeOwned>(part: &str, name: &str) -> Result<T, TokenError> {
    let json = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed(format!("{name} is not base64url")))?;
    // A struct deserialises from a JSON array too: the JWS parts are objects only.
    if json.trim_ascii_start().first() != Some(&b'{') {
        return Err(TokenError::Malformed(format!(
            "{name} is not a JSON object"
        )));
    }
    if nesting(&json) > MAX_NESTING {
        return Err(TokenError::Malformed(format!(
            "{name} is nested too deeply"
        )));
    }
    // The error's category and column only: its message may quote the token's content.
    serde_json::from_slice(&json).map_err(|e| {
        TokenError::Malformed(format!(
            "{name} does not parse ({:?} error at column {})",
            e.classify(),
            e.column()
        ))
    })
}

/// How deeply the arrays and objects of `json` nest, strings skipped. Exact for valid JSON;
/// invalid JSON is refused by the parser anyway.
fn nesting(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    let mut bytes = json.iter();
    while let Some(byte) = bytes.next() {
        match byte {
            b'"' => {
                while let Some(byte) = bytes.next() {
                    match byte {
                        b'\\' => {
                            bytes.next();
                        }
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn parse(header: &str) -> Result<JoseHeader, TokenError> {
        let token = format!("{}.{}.c2ln", part(header), part("{}"));
        CompactJws::parse(&token).map(|jws| jws.header)
    }

    #[test]
    fn a_header_is_read_once_into_what_is_checked() {
        let header = parse(r#" {"alg":"RS256","kid":"k","typ":"at+jwt","cty":"x","ext":[[1]]}"#);
        let header = header.unwrap();
        assert_eq!(
            (
                header.alg.as_str(),
                header.kid.as_deref(),
                header.typ.as_deref()
            ),
            ("RS256", Some("k"), Some("at+jwt"))
        );
    }

    #[test]
    fn headers_that_could_confuse_are_malformed_or_refused() {
        // A second `alg` could mean one thing to us and another to someone else.
        assert!(matches!(
            parse(r#"{"alg":"none","alg":"RS256"}"#),
            Err(TokenError::Malformed(_))
        ));
        for header in [
            r#"["RS256"]"#,
            r#"{"kid":"k"}"#,
            r#"{"alg":1}"#,
            r#"{"alg":"RS256","cty":1}"#,
        ] {
            assert!(
                matches!(parse(header), Err(TokenError::Malformed(_))),
                "{header}"
            );
        }
        // A refused parameter is refused whatever its value, `null` included.
        assert_eq!(
            parse(r#"{"alg":"RS256","jku":null}"#).unwrap_err(),
            TokenError::UnsupportedHeader("jku".into())
        );
    }

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        assert_eq!(nesting(br#"{"a":[{"b":"[[[\"{{"}]}"#), 3);
        assert_eq!(nesting(b"{}"), 1);
        // 128 levels (the object and 127 arrays) are refused, as serde_json refuses them.
        let deep = format!(
            r#"{{"alg":"RS256","x":{}1{}}}"#,
            "[".repeat(127),
            "]".repeat(127)
        );
        assert!(matches!(parse(&deep), Err(TokenError::Malformed(_))));
        let deep = format!(
            r#"{{"alg":"RS256","x":{}1{}}}"#,
            "[".repeat(126),
            "]".repeat(126)
        );
        assert!(parse(&deep).is_ok());
    }

    #[test]
    fn the_signing_input_is_the_first_two_parts_and_claims_must_be_an_object() {
        let token = format!("{}.{}.c2ln", part(r#"{"alg":"RS256"}"#), part("[1]"));
        let jws = CompactJws::parse(&token).unwrap();
        assert_eq!(jws.signing_input, &token[..token.len() - 5]);
        assert!(matches!(
            jws.claims::<serde_json::Value>(),
            Err(TokenError::Malformed(_))
        ));
        assert!(matches!(
            CompactJws::parse(&format!("{token}.")),
            Err(TokenError::Malformed(_))
        ));
    }
}
