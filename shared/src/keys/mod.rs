//! Signing keys as data: ids, public keys, the key set with its rotation times, where the set
//! is stored, and the cache through which every function reads it.
//!
//! Private keys are not here: they live in KMS (deployed) or inside the local signer
//! (`tokens::signer`). Everything in this module is public key material.

mod cache;
mod jwk;
mod policy;
mod set;
pub mod store;

pub use cache::{CachePolicy, KeySetCache, VerificationKey};
pub use jwk::{JwkSet, KeyError, KeyId, PublicJwk, RsaPublicKey};
pub use policy::{signing_key_policy, NotARoleArn, ONLY_THE_TOKEN_FUNCTION_SIGNS};
pub use set::{KeyLocation, KeyRecord, KeySet, KeySetError, KeyState, Retirement, RotationPolicy};
pub use store::{KeySetStore, KeyStoreError};

/// The tag every KMS signing key of a deployment carries; its value is the stack name. The
/// token function's IAM policy allows `kms:Sign` only on keys with this tag and value.
pub const KMS_TAG_KEY: &str = "token-service-signing-key";
