//! The key set in process memory: tests and `authctl serve`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{KeySetStore, KeyStoreError};
use crate::keys::KeySet;

#[derive(Default)]
pub struct MemoryKeySetStore {
    set: Mutex<KeySet>,
    loads: AtomicUsize,
}

impl MemoryKeySetStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times the set was read: tests of the verifiers' cache.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl KeySetStore for MemoryKeySetStore {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        Ok(self.set.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError> {
        let mut stored = self.set.lock().unwrap_or_else(|e| e.into_inner());
        if stored.version != set.version {
            return Err(KeyStoreError::Conflict(stored.version));
        }
        *stored = KeySet {
            version: set.version + 1,
            keys: set.keys.clone(),
        };
        Ok(stored.version)
    }
}
