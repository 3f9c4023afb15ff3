//! Where the key set lives: the one record every function reads its keys from and the
//! operator's rotation writes. DynamoDB deployed; memory for tests and `authctl serve`; a file
//! for local runs whose functions are separate processes (`cargo lambda watch`).

mod dynamodb;
mod file;
mod memory;

pub use dynamodb::DynamoKeySetStore;
pub use file::FileKeySetStore;
pub use memory::MemoryKeySetStore;

use super::KeySet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyStoreError {
    /// Another writer saved first; read again and retry.
    #[error("the key set changed since it was read (version {0})")]
    Conflict(u64),
    #[error("the stored key set is unreadable: {0}")]
    Corrupt(String),
    #[error("key set store unavailable: {0}")]
    Unavailable(String),
}

/// The key set's storage. Each method is one store operation.
#[async_trait::async_trait]
pub trait KeySetStore: Send + Sync {
    /// The stored set (an empty set at version 0 when there is none).
    async fn load(&self) -> Result<KeySet, KeyStoreError>;

    /// Stores `set` as version `set.version + 1` if the stored version is still `set.version`;
    /// returns the new version.
    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError>;
}

/// Reads the set, applies `change`, saves if it changed anything; on a conflicting writer,
/// reads again and retries (a few times), so concurrent operators and cold starts never lose
/// each other's keys.
pub async fn update_key_set<T, E>(
    store: &dyn KeySetStore,
    mut change: impl FnMut(&mut KeySet) -> Result<T, E>,
) -> Result<(T, KeySet), UpdateError<E>> {
    const ATTEMPTS: usize = 5;
    for _ in 0..ATTEMPTS {
        let mut set = store.load().await.map_err(UpdateError::Store)?;
        let before = set.clone();
        let value = change(&mut set).map_err(UpdateError::Rejected)?;
        if set == before {
            return Ok((value, set));
        }
        match store.save(&set).await {
            Ok(version) => {
                set.version = version;
                return Ok((value, set));
            }
            Err(KeyStoreError::Conflict(_)) => continue,
            Err(err) => return Err(UpdateError::Store(err)),
        }
    }
    Err(UpdateError::Store(KeyStoreError::Unavailable(
        "the key set kept changing while it was being updated".into(),
    )))
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError<E> {
    #[error(transparent)]
    Store(KeyStoreError),
    #[error(transparent)]
    Rejected(E),
}

impl<E> UpdateError<E> {
    /// Either failure as the caller's error type.
    pub fn into_error<T: From<KeyStoreError> + From<E>>(self) -> T {
        match self {
            UpdateError::Store(err) => err.into(),
            UpdateError::Rejected(err) => err.into(),
        }
    }
}

/// The key set as stored: JSON of [`KeySet`] without its version (the store keeps that).
fn encode(set: &KeySet) -> String {
    serde_json::to_string(&set.keys).expect("a key set serialises")
}

/// The stored set, each record's `kid` checked against its key: a tampered record cannot make
/// kid X verify with key Y.
fn decode(json: &str, version: u64) -> Result<KeySet, KeyStoreError> {
    let keys: Vec<super::KeyRecord> =
        serde_json::from_str(json).map_err(|e| KeyStoreError::Corrupt(e.to_string()))?;
    for key in &keys {
        let public = key
            .public_key()
            .map_err(|e| KeyStoreError::Corrupt(format!("key {}: {e}", key.kid)))?;
        if public.kid() != key.kid {
            return Err(KeyStoreError::Corrupt(format!(
                "key {} is not the thumbprint of its JWK",
                key.kid
            )));
        }
    }
    Ok(KeySet { version, keys })
}
