//! Public signing keys as JWKs (RFC 7517) with RFC 7638 thumbprints as key ids.
//!
//! Only RSA public keys exist here: the service never publishes, stores or parses a private or
//! symmetric key as a JWK.

use std::fmt;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Smallest and largest RSA modulus accepted, in bits (RFC 7518 §3.3 requires 2048 or more).
const MIN_MODULUS_BITS: usize = 2048;
const MAX_MODULUS_BITS: usize = 4096;

/// The `kid` of a signing key: the RFC 7638 SHA-256 thumbprint of its public JWK, so the same
/// key always has the same id wherever it is computed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// A key id as presented (in a token header or an operator's command line).
    pub fn new(id: impl Into<String>) -> Self {
        KeyId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an RSA public key: {0}")]
    NotRsa(String),
    #[error("RSA modulus of {0} bits; {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} are accepted")]
    ModulusSize(usize),
    #[error("JWK is not an RS256 signing key: {0}")]
    WrongUse(String),
    #[error("JWK `kid` {stated} is not the thumbprint of its key ({computed})")]
    KidMismatch { stated: String, computed: String },
}

/// An RSA public key: modulus and exponent as unsigned big-endian integers.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits, kid {})", self.bits(), self.kid())
    }
}

impl RsaPublicKey {
    fn new(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let key = RsaPublicKey {
            n: n.to_vec(),
            e: e.to_vec(),
        };
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&key.bits()) {
            return Err(KeyError::ModulusSize(key.bits()));
        }
        if e.is_empty() || e.len() > 8 {
            return Err(KeyError::NotRsa("exponent out of range".into()));
        }
        Ok(key)
    }

    /// The public key of a DER `SubjectPublicKeyInfo` (what KMS `GetPublicKey` returns) or an
    /// RFC 8017 `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = aws_lc_rs::rsa::PublicKey::from_der(der)
            .map_err(|e| KeyError::NotRsa(e.to_string()))?;
        Self::new(
            key.modulus().big_endian_without_leading_zero(),
            key.exponent().big_endian_without_leading_zero(),
        )
    }

    /// The public half of an in-process key pair.
    pub(crate) fn of_key_pair(pair: &aws_lc_rs::rsa::KeyPair) -> Result<Self, KeyError> {
        use aws_lc_rs::signature::KeyPair as _;
        let public = pair.public_key();
        Self::new(
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        )
    }

    fn bits(&self) -> usize {
        let Some(first) = self.n.first() else {
            return 0;
        };
        self.n.len() * 8 - first.leading_zeros() as usize
    }

    fn n_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.n)
    }

    fn e_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.e)
    }

    /// The RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
    pub fn kid(&self) -> KeyId {
        let canonical = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            self.e_b64(),
            self.n_b64()
        );
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        KeyId(URL_SAFE_NO_PAD.encode(digest.as_ref()))
    }

    /// The key as a published JWK: RS256 signatures only.
    pub fn to_jwk(&self) -> PublicJwk {
        PublicJwk {
            kty: "RSA".into(),
            key_use: Some("sig".into()),
            alg: Some("RS256".into()),
            kid: Some(self.kid()),
            n: self.n_b64(),
            e: self.e_b64(),
        }
    }

    /// The key RS256 signatures are checked with, parsed once (when the key set is read).
    pub fn verification_key(&self) -> Result<ParsedPublicKey, KeyError> {
        RsaPublicKeyComponents {
            n: &self.n,
            e: &self.e,
        }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|e| KeyError::NotRsa(e.to_string()))
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A public RSA JWK as published in the JWKS and kept in the key set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<KeyId>,
    pub n: String,
    pub e: String,
}

impl PublicJwk {
    /// The key this JWK describes, if it is an RSA signing key usable for RS256 whose `kid`
    /// (when present) is its thumbprint.
    pub fn to_key(&self) -> Result<RsaPublicKey, KeyError> {
        if self.kty != "RSA" {
            return Err(KeyError::NotRsa(format!("kty {}", self.kty)));
        }
        if self.key_use.as_deref().is_some_and(|u| u != "sig") {
            return Err(KeyError::WrongUse(format!("use {:?}", self.key_use)));
        }
        if self.alg.as_deref().is_some_and(|a| a != "RS256") {
            return Err(KeyError::WrongUse(format!("alg {:?}", self.alg)));
        }
        let decode = |field: &str, value: &str| {
            URL_SAFE_NO_PAD
                .decode(value)
                .map_err(|e| KeyError::NotRsa(format!("{field}: {e}")))
        };
        let key = RsaPublicKey::new(&decode("n", &self.n)?, &decode("e", &self.e)?)?;
        if let Some(stated) = &self.kid {
            let computed = key.kid();
            if *stated != computed {
                return Err(KeyError::KidMismatch {
                    stated: stated.to_string(),
                    computed: computed.to_string(),
                });
            }
        }
        Ok(key)
    }
}

/// A JWK Set document (RFC 7517 §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<PublicJwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1's example key and its thumbprint.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const RFC7638_KID: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    fn rfc7638_jwk() -> PublicJwk {
        PublicJwk {
            kty: "RSA".into(),
            key_use: None,
            alg: Some("RS256".into()),
            kid: None,
            n: RFC7638_N.into(),
            e: "AQAB".into(),
        }
    }

    #[test]
    fn key_ids_are_rfc7638_thumbprints() {
        let key = rfc7638_jwk().to_key().unwrap();
        assert_eq!(key.kid().as_str(), RFC7638_KID);
        let published = key.to_jwk();
        assert_eq!(published.kid.as_ref().unwrap().as_str(), RFC7638_KID);
        assert_eq!(published.n, RFC7638_N);
        assert_eq!(published.to_key().unwrap(), key);
    }

    #[test]
    fn jwks_of_other_kinds_or_wrong_kids_are_refused() {
        let mut oct = rfc7638_jwk();
        oct.kty = "oct".into();
        assert!(matches!(oct.to_key(), Err(KeyError::NotRsa(_))));
        let mut enc = rfc7638_jwk();
        enc.key_use = Some("enc".into());
        assert!(matches!(enc.to_key(), Err(KeyError::WrongUse(_))));
        let mut ps = rfc7638_jwk();
        ps.alg = Some("PS256".into());
        assert!(matches!(ps.to_key(), Err(KeyError::WrongUse(_))));
        let mut lying = rfc7638_jwk();
        lying.kid = Some(KeyId::new("someone-else"));
        assert!(matches!(lying.to_key(), Err(KeyError::KidMismatch { .. })));
        let mut small = rfc7638_jwk();
        small.n = URL_SAFE_NO_PAD.encode([0xffu8; 128]);
        assert_eq!(small.to_key(), Err(KeyError::ModulusSize(1024)));
    }

    #[test]
    fn spki_der_and_key_pairs_give_the_same_key() {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let spki: aws_lc_rs::encoding::PublicKeyX509Der = pair.public_key().as_der().unwrap();
        let from_der = RsaPublicKey::from_der(spki.as_ref()).unwrap();
        assert_eq!(from_der, RsaPublicKey::of_key_pair(&pair).unwrap());
        assert_eq!(from_der.bits(), 2048);
        assert!(RsaPublicKey::from_der(b"not der").is_err());
    }
}
