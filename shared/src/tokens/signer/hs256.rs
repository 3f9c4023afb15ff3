//! HS256 with a shared secret: the explicit local opt-in.

use jsonwebtoken::Algorithm;

use super::{SignError, Signer, SigningKey};
use crate::clock::UnixSeconds;
use crate::keys::{KeyId, KeyLocation};
use crate::tokens::secret::SigningSecret;

/// The local opt-in: HS256 with a shared secret. Its `kid` names the mode, not the key.
pub struct Hs256Signer {
    key: aws_lc_rs::hmac::Key,
}

/// The `kid` of HS256 tokens.
pub const HS256_KID: &str = "local-hs256";

impl Hs256Signer {
    pub fn new(secret: &SigningSecret) -> Self {
        Self {
            key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.expose()),
        }
    }
}

#[async_trait::async_trait]
impl Signer for Hs256Signer {
    async fn signing_key(&self, _now: UnixSeconds) -> Result<SigningKey, SignError> {
        Ok(SigningKey {
            alg: Algorithm::HS256,
            kid: KeyId::new(HS256_KID),
            location: KeyLocation::Local,
        })
    }

    async fn sign(&self, _key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, SignError> {
        Ok(aws_lc_rs::hmac::sign(&self.key, message).as_ref().to_vec())
    }
}
