//! Who signs access tokens. One interface, three signers:
//! - [`KmsSigner`] (deployed): RS256 by an AWS KMS key; the private key never leaves KMS.
//! - [`LocalRsaSigner`] (local runs and tests): RS256 with an in-process key, generated at
//!   start or read from a PEM file the operator names.
//! - [`Hs256Signer`]: the explicit local opt-in for a shared secret. Configuration refuses it
//!   deployed, and its key is never published.
//!
//! Only the token function builds a signer; verifying functions hold public keys only.

mod hs256;
mod kms;
mod local;

use jsonwebtoken::Algorithm;

use crate::clock::UnixSeconds;
use crate::keys::{KeyId, KeyLocation, KeyStoreError};

pub use hs256::{Hs256Signer, HS256_KID};
pub use kms::{kms_public_key, KmsSigner};
pub use local::{LocalKeyError, LocalRsaSigner, PublishError};

/// KMS signs raw messages of at most this many bytes (`MessageType=RAW`).
pub const KMS_MAX_MESSAGE_BYTES: usize = 4096;

/// The key the next token is signed with: what goes into its header, and where the private
/// half is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub alg: Algorithm,
    pub kid: KeyId,
    location: KeyLocation,
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no key can sign at this time")]
    NoSigningKey,
    #[error("signing input of {0} bytes is over KMS's {KMS_MAX_MESSAGE_BYTES}-byte limit")]
    MessageTooLong(usize),
    #[error(transparent)]
    KeySet(#[from] KeyStoreError),
    #[error("KMS refused or failed: {0}")]
    Kms(String),
    #[error("the local key failed to sign: {0}")]
    Local(String),
}

#[async_trait::async_trait]
pub trait Signer: Send + Sync {
    /// The key tokens issued at `now` are signed with.
    async fn signing_key(&self, now: UnixSeconds) -> Result<SigningKey, SignError>;

    /// The JWS signature of `message` (the signing input) with `key`.
    async fn sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, SignError>;
}
