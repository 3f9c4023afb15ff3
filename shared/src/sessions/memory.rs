//! Sessions in process memory: unit tests, benchmarks and the zero-setup local run.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Family, FamilyId, RefreshRecord, SessionStore, Spend, TokenHash};
use crate::clock::UnixSeconds;
use crate::store::StoreError;

#[derive(Default)]
pub struct MemorySessionStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    families: HashMap<FamilyId, Family>,
    /// Ids barred before their family started.
    barred: std::collections::HashSet<FamilyId>,
    tokens: HashMap<TokenHash, RefreshRecord>,
}

impl MemorySessionStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessionStore {
    async fn start(&self, family: &Family, first: &RefreshRecord) -> Result<bool, StoreError> {
        Ok(self.with(|state| {
            if state.families.contains_key(&family.id) || state.barred.contains(&family.id) {
                return false;
            }
            state.families.insert(family.id.clone(), family.clone());
            state.tokens.insert(first.hash.clone(), first.clone());
            true
        }))
    }

    async fn token(&self, hash: &TokenHash) -> Result<Option<RefreshRecord>, StoreError> {
        Ok(self.with(|state| state.tokens.get(hash).cloned()))
    }

    async fn family(&self, id: &FamilyId) -> Result<Option<Family>, StoreError> {
        Ok(self.with(|state| state.families.get(id).cloned()))
    }

    async fn spend(&self, hash: &TokenHash, now: UnixSeconds) -> Result<Spend, StoreError> {
        Ok(self.with(|state| match state.tokens.get_mut(hash) {
            None => Spend::Unknown,
            Some(record) => match record.spent_at {
                Some(at) => Spend::AlreadySpent { at },
                None => {
                    record.spent_at = Some(now);
                    Spend::Spent
                }
            },
        }))
    }

    async fn add(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.with(|state| state.tokens.insert(record.hash.clone(), record.clone()));
        Ok(())
    }

    async fn advance(&self, id: &FamilyId, from: u64, by: &TokenHash) -> Result<bool, StoreError> {
        Ok(self.with(|state| match state.families.get_mut(id) {
            Some(family) if family.generation == from => {
                family.generation = from + 1;
                family.moved_by = Some(by.clone());
                true
            }
            Some(family) => family.generation == from + 1 && family.moved_by.as_ref() == Some(by),
            None => false,
        }))
    }

    async fn revoke_family(&self, id: &FamilyId, now: UnixSeconds) -> Result<(), StoreError> {
        self.with(|state| {
            if let Some(family) = state.families.get_mut(id) {
                family.revoked_at.get_or_insert(now);
            }
        });
        Ok(())
    }

    async fn bar_family(
        &self,
        id: &FamilyId,
        now: UnixSeconds,
        _until: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.with(|state| match state.families.get_mut(id) {
            Some(family) => {
                family.revoked_at.get_or_insert(now);
            }
            None => {
                state.barred.insert(id.clone());
            }
        });
        Ok(())
    }
}
