//! Browser sessions in process memory: unit tests and the zero-setup local run.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{BrowserSession, BrowserSessionStore};
use crate::clock::UnixSeconds;
use crate::store::StoreError;

#[derive(Default)]
pub struct MemoryBrowserSessionStore {
    sessions: Mutex<HashMap<String, BrowserSession>>,
}

impl MemoryBrowserSessionStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl BrowserSessionStore for MemoryBrowserSessionStore {
    async fn start(&self, hash: &str, session: &BrowserSession) -> Result<(), StoreError> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the expired ones on the way: the map would otherwise only grow.
        sessions.retain(|_, s| s.expires_at > session.created_at);
        sessions.insert(hash.to_owned(), session.clone());
        Ok(())
    }

    async fn get(
        &self,
        hash: &str,
        now: UnixSeconds,
    ) -> Result<Option<BrowserSession>, StoreError> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        Ok(sessions.get(hash).filter(|s| now < s.expires_at).cloned())
    }
}
