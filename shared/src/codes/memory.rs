//! Codes in process memory: unit tests, benchmarks and the zero-setup local run.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{CodeGrant, CodeHash, CodeStore, Redemption};
use crate::clock::UnixSeconds;
use crate::store::StoreError;

#[derive(Default)]
pub struct MemoryCodeStore {
    codes: Mutex<HashMap<CodeHash, (CodeGrant, Option<UnixSeconds>)>>,
}

impl MemoryCodeStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl CodeStore for MemoryCodeStore {
    async fn issue(&self, hash: &CodeHash, grant: &CodeGrant) -> Result<(), StoreError> {
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        if codes.contains_key(hash) {
            return Err(StoreError::Unavailable("code hash already stored".into()));
        }
        codes.insert(hash.clone(), (grant.clone(), None));
        Ok(())
    }

    async fn redeem(&self, hash: &CodeHash, now: UnixSeconds) -> Result<Redemption, StoreError> {
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        Ok(match codes.get_mut(hash) {
            // Forgotten, as DynamoDB's TTL would (the code checks time itself there too).
            Some((grant, _)) if now >= grant.forget_at() => Redemption::Unknown,
            Some((grant, Some(at))) => Redemption::Replayed {
                grant: grant.clone(),
                at: *at,
            },
            Some((grant, redeemed)) => {
                *redeemed = Some(now);
                Redemption::First(grant.clone())
            }
            None => Redemption::Unknown,
        })
    }

    async fn find(
        &self,
        hash: &CodeHash,
        now: UnixSeconds,
    ) -> Result<Option<CodeGrant>, StoreError> {
        let codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        Ok(codes
            .get(hash)
            .filter(|(grant, _)| now < grant.forget_at())
            .map(|(grant, _)| grant.clone()))
    }
}
