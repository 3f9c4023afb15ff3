//! Client secrets: 256 random bits, handed to the operator once, kept only as an Argon2id hash
//! (like passwords) with a short lookup hint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::clock::UnixSeconds;
use crate::domain::SecretHash;
use crate::passwords::{Password, PasswordError, PasswordHasher};

/// A client secret as presented or generated. Its `Debug` never shows it.
#[derive(Clone)]
pub struct ClientSecret(Password);

impl ClientSecret {
    /// 256 random bits ([`crate::random`]).
    pub fn generate() -> Self {
        ClientSecret(Password::parse(crate::random::base64url_256_bits()).expect("43 characters"))
    }

    /// A presented secret: non-empty, at most the longest password.
    pub fn parse(text: &str) -> Result<Self, PasswordError> {
        Password::parse(text).map(ClientSecret)
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn as_password(&self) -> &Password {
        &self.0
    }

    /// The hint that picks this secret's hash among a client's.
    pub fn hint(&self) -> String {
        secret_hint(self.expose())
    }

    /// The stored form: hint and Argon2id hash, at `now`.
    pub async fn hash(
        &self,
        hasher: &PasswordHasher,
        now: UnixSeconds,
    ) -> Result<SecretHash, PasswordError> {
        Ok(SecretHash {
            hint: self.hint(),
            phc: hasher.hash(&self.0).await?,
            created_at: now,
        })
    }

    /// [`Self::hash`] from a blocking context (seeding the demo clients).
    pub fn hash_blocking(&self, now: UnixSeconds) -> Result<SecretHash, PasswordError> {
        Ok(SecretHash {
            hint: self.hint(),
            phc: crate::passwords::hash_password_blocking(&self.0)?,
            created_at: now,
        })
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// The first 8 bytes of the secret's SHA-256, base64url.
pub fn secret_hint(secret: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_random_and_hidden() {
        let a = ClientSecret::generate();
        let b = ClientSecret::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
        assert_eq!(a.hint().len(), 11);
        assert_ne!(a.hint(), b.hint());
    }
}
