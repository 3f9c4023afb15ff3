//! The HS256 signing key, in a type that never prints it.

/// HS256 key material. At least 32 bytes (RFC 8725 §3.5, RFC 7518 §3.2); never printed.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    pub const MIN_BYTES: usize = 32;

    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ShortSecret> {
        let bytes = bytes.into();
        if bytes.len() < Self::MIN_BYTES {
            return Err(ShortSecret(bytes.len()));
        }
        Ok(SigningSecret(bytes))
    }

    /// The key bytes, for building the signing and verifying keys. Never for logs.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }

    /// A fresh random secret, for the zero-setup local run (tokens die with the process).
    pub fn random() -> Self {
        let mut bytes = Vec::with_capacity(64);
        for _ in 0..4 {
            bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        }
        SigningSecret(bytes)
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningSecret({} bytes, redacted)", self.0.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the JWT signing secret has {0} bytes; at least {min} are required", min = SigningSecret::MIN_BYTES)]
pub struct ShortSecret(pub usize);
