//! Attempt counters in a process-local map.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{AttemptStore, Change, Counter, CounterState, CounterUpdate, KnownSource};
use crate::clock::UnixSeconds;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy)]
struct Entry {
    count: i64,
    last_failure: Option<UnixSeconds>,
    expires_at: UnixSeconds,
}

/// Counters in memory: unit tests, benchmarks and the zero-setup local run. Expired counters
/// are dropped once the map grows, so a flood of sources cannot grow it without bound.
#[derive(Default)]
pub struct MemoryAttemptStore {
    counters: Mutex<HashMap<String, Entry>>,
}

/// Size at which expired counters are swept.
const SWEEP_AT: usize = 10_000;

impl MemoryAttemptStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> T {
        f(&mut self.counters.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn entry<'a>(map: &'a mut HashMap<String, Entry>, counter: &Counter) -> &'a mut Entry {
        map.entry(counter.key.clone()).or_insert(Entry {
            count: 0,
            last_failure: None,
            expires_at: counter.expires_at,
        })
    }
}

#[async_trait::async_trait]
impl AttemptStore for MemoryAttemptStore {
    async fn count(&self, counter: &Counter, now: UnixSeconds) -> Result<bool, StoreError> {
        Ok(self.with(|map| {
            if map.len() >= SWEEP_AT {
                map.retain(|_, entry| entry.expires_at > now);
            }
            let entry = Self::entry(map, counter);
            let under = (entry.count.max(0) as u64) < counter.limit;
            if under {
                entry.count += 1;
            }
            under
        }))
    }

    async fn settle(
        &self,
        updates: &[CounterUpdate<'_>],
        known: Option<&KnownSource>,
    ) -> Result<(), StoreError> {
        self.with(|map| {
            if let Some(known) = known {
                map.insert(
                    known.key.clone(),
                    Entry {
                        count: 0,
                        last_failure: None,
                        expires_at: known.expires_at,
                    },
                );
            }
            for update in updates {
                match update.change {
                    Change::Clear => {
                        map.remove(&update.counter.key);
                    }
                    Change::Keep { refund, failure_at } => {
                        let entry = Self::entry(map, update.counter);
                        if refund && entry.count > 0 {
                            entry.count -= 1;
                        }
                        if failure_at.is_some() {
                            entry.last_failure = failure_at;
                        }
                    }
                }
            }
        });
        Ok(())
    }

    async fn is_known(&self, source: &KnownSource, now: UnixSeconds) -> Result<bool, StoreError> {
        Ok(self.with(|map| {
            map.get(&source.key)
                .is_some_and(|entry| entry.expires_at > now)
        }))
    }

    async fn read(&self, counter: &Counter) -> Result<CounterState, StoreError> {
        Ok(self.with(|map| {
            map.get(&counter.key)
                .map(|entry| CounterState {
                    count: entry.count.max(0) as u64,
                    last_failure: entry.last_failure,
                })
                .unwrap_or_default()
        }))
    }
}
