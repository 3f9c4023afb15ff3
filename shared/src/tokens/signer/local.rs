//! RS256 with a key pair held in this process: local runs and tests.

use std::path::Path;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine as _;
use jsonwebtoken::Algorithm;

use super::{SignError, Signer, SigningKey};
use crate::clock::UnixSeconds;
use crate::keys::store::update_key_set;
use crate::keys::{
    KeyId, KeyLocation, KeyRecord, KeySetCache, KeySetError, KeyStoreError, RotationPolicy,
    RsaPublicKey,
};

/// RS256 with a key pair held in this process.
pub struct LocalRsaSigner {
    pair: KeyPair,
    public: RsaPublicKey,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalKeyError {
    #[error("could not read or write the signing key file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{path} is not a PEM RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`): {reason}")]
    Unreadable { path: String, reason: String },
    #[error("could not generate an RSA key: {0}")]
    Generate(String),
}

const PKCS8_LABEL: &str = "PRIVATE KEY";
const PKCS1_LABEL: &str = "RSA PRIVATE KEY";

impl LocalRsaSigner {
    /// A fresh RSA-2048 key: tokens it signs die with the process.
    pub fn generate() -> Result<Self, LocalKeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|e| LocalKeyError::Generate(e.to_string()))?;
        Self::from_pair(pair).map_err(LocalKeyError::Generate)
    }

    fn from_pair(pair: KeyPair) -> Result<Self, String> {
        let public = RsaPublicKey::of_key_pair(&pair).map_err(|e| e.to_string())?;
        Ok(Self { pair, public })
    }

    /// Reads the PEM key at `path`; if there is no file, generates a key and writes it there
    /// (mode 0600), so every local process pointed at the file signs with the same key.
    pub fn load_or_create(path: &Path) -> Result<Self, LocalKeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(pem) => Self::from_pem(&pem).map_err(|reason| LocalKeyError::Unreadable {
                path: shown,
                reason,
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let signer = Self::generate()?;
                signer.write_pem(path).map_err(|reason| LocalKeyError::Io {
                    path: shown,
                    reason,
                })?;
                tracing::info!(path = %path.display(), kid = %signer.kid(), "generated a local signing key");
                Ok(signer)
            }
            Err(err) => Err(LocalKeyError::Io {
                path: shown,
                reason: err.to_string(),
            }),
        }
    }

    /// A key from PEM text: PKCS#8 (`openssl genpkey -algorithm RSA`) or PKCS#1.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let (label, der) = pem_decode(pem)?;
        let pair = match label.as_str() {
            PKCS8_LABEL => KeyPair::from_pkcs8(&der),
            PKCS1_LABEL => KeyPair::from_der(&der),
            other => return Err(format!("unexpected PEM label `{other}`")),
        }
        .map_err(|e| e.to_string())?;
        Self::from_pair(pair)
    }

    fn write_pem(&self, path: &Path) -> Result<(), String> {
        use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
        let der: Pkcs8V1Der = self.pair.as_der().map_err(|e| e.to_string())?;
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut pem = format!("-----BEGIN {PKCS8_LABEL}-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {PKCS8_LABEL}-----\n"));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| e.to_string())?;
        std::io::Write::write_all(&mut file, pem.as_bytes()).map_err(|e| e.to_string())
    }

    pub fn kid(&self) -> KeyId {
        self.public.kid()
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Adds this key to the key set the verifiers read, as the one that signs from `now`.
    /// Earlier local keys stop signing and stay published `keep_published` seconds, so a
    /// restarted local run does not grow the set for ever. A set holding KMS keys is a
    /// deployment's: a key whose private half sits in a local file is never published there.
    pub async fn publish(
        &self,
        keys: &KeySetCache,
        now: UnixSeconds,
        keep_published: i64,
    ) -> Result<(), PublishError> {
        let record = KeyRecord::new(&self.public, KeyLocation::Local, now, now);
        let kid = record.kid.clone();
        let published = update_key_set(keys.store().as_ref(), |set| {
            if set
                .keys
                .iter()
                .any(|k| matches!(k.location, KeyLocation::Kms { .. }))
            {
                return Err(PublishError::DeployedKeySet);
            }
            if set
                .find_published(&kid, now)
                .is_some_and(|k| k.can_sign(now))
            {
                return Ok(());
            }
            set.prune(now);
            // A restarted process with a key file: its earlier record goes, a fresh one comes.
            set.keys.retain(|k| k.kid != kid);
            set.rotate(
                record.clone(),
                now,
                RotationPolicy {
                    publish_lead: 0,
                    keep_published,
                },
            )
            .map_err(PublishError::Refused)
        })
        .await;
        published.map_err(crate::keys::store::UpdateError::into_error::<PublishError>)?;
        keys.reload(now).await?;
        Ok(())
    }
}

/// Why a local key could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "the key set holds KMS keys (a deployment's): a local signing key is never published there"
    )]
    DeployedKeySet,
    #[error(transparent)]
    Refused(KeySetError),
    #[error(transparent)]
    Store(#[from] KeyStoreError),
}

fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), String> {
    let mut lines = pem.lines().map(str::trim).filter(|l| !l.is_empty());
    let begin = lines.next().ok_or("empty file")?;
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.strip_suffix("-----"))
        .ok_or("no PEM BEGIN line")?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    for line in lines.by_ref() {
        if line == end {
            let der = base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map_err(|e| e.to_string())?;
            return Ok((label, der));
        }
        body.push_str(line);
    }
    Err("no PEM END line".into())
}

#[async_trait::async_trait]
impl Signer for LocalRsaSigner {
    async fn signing_key(&self, _now: UnixSeconds) -> Result<SigningKey, SignError> {
        Ok(SigningKey {
            alg: Algorithm::RS256,
            kid: self.kid(),
            location: KeyLocation::Local,
        })
    }

    async fn sign(&self, key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, SignError> {
        if key.kid != self.kid() {
            return Err(SignError::Local(format!(
                "key {} is not this process's key",
                key.kid
            )));
        }
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|e| SignError::Local(e.to_string()))?;
        Ok(signature)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn pem_files_round_trip_and_are_private() {
        let dir = std::env::temp_dir().join(format!("signer-test-{}", uuid::Uuid::new_v4()));
        let path = dir.join("key.pem");
        let created = LocalRsaSigner::load_or_create(&path).unwrap();
        let loaded = LocalRsaSigner::load_or_create(&path).unwrap();
        assert_eq!(created.kid(), loaded.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(matches!(
            LocalRsaSigner::load_or_create(&path),
            Err(LocalKeyError::Unreadable { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_local_key_is_never_published_into_a_deployments_key_set() {
        use crate::keys::store::MemoryKeySetStore;
        use crate::keys::{CachePolicy, KeySet, KeySetStore as _};
        let store = Arc::new(MemoryKeySetStore::new());
        let kms_key = LocalRsaSigner::generate().unwrap();
        let deployed = KeyRecord::new(
            kms_key.public_key(),
            KeyLocation::Kms {
                key_id: "arn:aws:kms:eu-west-1:1:key/k".into(),
            },
            0,
            0,
        );
        store
            .save(&KeySet {
                version: 0,
                keys: vec![deployed.clone()],
            })
            .await
            .unwrap();
        let keys = KeySetCache::new(store.clone(), CachePolicy::default());
        let local = LocalRsaSigner::generate().unwrap();
        assert!(matches!(
            local.publish(&keys, 100, 60).await,
            Err(PublishError::DeployedKeySet)
        ));
        assert_eq!(store.load().await.unwrap().keys, vec![deployed]);
    }

    #[tokio::test]
    async fn local_signatures_verify_with_the_public_key() {
        let signer = LocalRsaSigner::generate().unwrap();
        let key = signer.signing_key(0).await.unwrap();
        assert_eq!(key.alg, Algorithm::RS256);
        let signature = signer.sign(&key, b"header.claims").await.unwrap();
        assert_eq!(signature.len(), 256);
        let public = signer.public_key().to_jwk();
        let decoding =
            jsonwebtoken::DecodingKey::from_rsa_components(&public.n, &public.e).unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&signature);
        assert!(
            jsonwebtoken::crypto::verify(&b64, b"header.claims", &decoding, Algorithm::RS256)
                .unwrap()
        );
        assert!(
            !jsonwebtoken::crypto::verify(&b64, b"header.claimz", &decoding, Algorithm::RS256)
                .unwrap()
        );
    }
}
