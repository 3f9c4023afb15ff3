//! RS256 by an AWS KMS key: the deployed signer.

use std::sync::Arc;

use jsonwebtoken::Algorithm;

use super::{SignError, Signer, SigningKey, KMS_MAX_MESSAGE_BYTES};
use crate::clock::UnixSeconds;
use crate::keys::{KeyLocation, KeySetCache, RsaPublicKey};

/// RS256 by the AWS KMS key the key set names as signing at the time. It never writes the key
/// set: with no key signing (an empty set before the operator has published the first key),
/// [`SignError::NoSigningKey`] makes the token endpoint answer 503.
pub struct KmsSigner {
    client: aws_sdk_kms::Client,
    keys: Arc<KeySetCache>,
}

impl KmsSigner {
    pub fn new(client: aws_sdk_kms::Client, keys: Arc<KeySetCache>) -> Self {
        Self { client, keys }
    }
}

/// The public key of a KMS key (SPKI DER from `GetPublicKey`), if the key can make RS256
/// signatures: `SIGN_VERIFY` with `RSASSA_PKCS1_V1_5_SHA_256`.
pub async fn kms_public_key(
    client: &aws_sdk_kms::Client,
    key_id: &str,
) -> Result<RsaPublicKey, SignError> {
    use aws_sdk_kms::types::{KeyUsageType, SigningAlgorithmSpec};
    let output = client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|e| SignError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()))?;
    if output.key_usage() != Some(&KeyUsageType::SignVerify)
        || !output
            .signing_algorithms()
            .contains(&SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
    {
        return Err(SignError::Kms(format!(
            "{key_id} is not an RSA SIGN_VERIFY key offering RSASSA_PKCS1_V1_5_SHA_256"
        )));
    }
    let der = output
        .public_key()
        .ok_or_else(|| SignError::Kms("GetPublicKey returned no key".into()))?;
    RsaPublicKey::from_der(der.as_ref()).map_err(|e| SignError::Kms(e.to_string()))
}

#[async_trait::async_trait]
impl Signer for KmsSigner {
    async fn signing_key(&self, now: UnixSeconds) -> Result<SigningKey, SignError> {
        let set = self.keys.current(now).await?;
        let key = set.signing_key(now).ok_or(SignError::NoSigningKey)?;
        match &key.location {
            KeyLocation::Kms { .. } => Ok(SigningKey {
                alg: Algorithm::RS256,
                kid: key.kid.clone(),
                location: key.location.clone(),
            }),
            KeyLocation::Local => Err(SignError::Kms(format!(
                "the signing key {} is a local key, which KMS cannot use",
                key.kid
            ))),
        }
    }

    async fn sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let KeyLocation::Kms { key_id } = &key.location else {
            return Err(SignError::Kms(format!("key {} is not a KMS key", key.kid)));
        };
        if message.len() > KMS_MAX_MESSAGE_BYTES {
            return Err(SignError::MessageTooLong(message.len()));
        }
        let output = self
            .client
            .sign()
            .key_id(key_id)
            .message(aws_sdk_kms::primitives::Blob::new(message))
            .message_type(aws_sdk_kms::types::MessageType::Raw)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
            .send()
            .await
            .map_err(|e| SignError::Kms(aws_sdk_kms::error::DisplayErrorContext(e).to_string()))?;
        output
            .signature()
            .map(|s| s.as_ref().to_vec())
            .ok_or_else(|| SignError::Kms("Sign returned no signature".into()))
    }
}
