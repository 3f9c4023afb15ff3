//! The key set in a local file, for local runs whose functions are separate processes
//! (`cargo lambda watch`): the token function publishes its in-process key there, the others
//! read it. It holds public keys only. Never used deployed.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{KeySetStore, KeyStoreError};
use crate::keys::{KeyRecord, KeySet};

pub struct FileKeySetStore {
    path: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    version: u64,
    keys: Vec<KeyRecord>,
}

impl FileKeySetStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    fn unavailable(&self, err: impl std::fmt::Display) -> KeyStoreError {
        KeyStoreError::Unavailable(format!("{}: {err}", self.path.display()))
    }
}

#[async_trait::async_trait]
impl KeySetStore for FileKeySetStore {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        match tokio::fs::read(&self.path).await {
            Ok(bytes) => {
                let stored: Stored = serde_json::from_slice(&bytes)
                    .map_err(|e| KeyStoreError::Corrupt(format!("{}: {e}", self.path.display())))?;
                let keys = serde_json::to_string(&stored.keys).expect("records serialise");
                super::decode(&keys, stored.version)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(KeySet::default()),
            Err(err) => Err(self.unavailable(err)),
        }
    }

    /// Compare-and-swap by reading the version back, then an atomic rename: good enough for
    /// a few local processes, which is all this store serves.
    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError> {
        let current = self.load().await?;
        if current.version != set.version {
            return Err(KeyStoreError::Conflict(current.version));
        }
        let stored = Stored {
            version: set.version + 1,
            keys: set.keys.clone(),
        };
        let json = serde_json::to_vec_pretty(&stored).expect("a key set serialises");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| self.unavailable(e))?;
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, json)
            .await
            .map_err(|e| self.unavailable(e))?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .map_err(|e| self.unavailable(e))?;
        Ok(stored.version)
    }
}
