//! The key set as a function sees it: read lazily (never while the function starts), kept in
//! memory, re-read when it is old, and re-read early for a `kid` it does not know, but at most
//! once per `min_refetch`: a flood of made-up `kid`s costs one read per interval, not one per
//! request. A set that cannot be re-read stays in use only until it is `max_stale` old: after
//! that a key retired meanwhile could still verify, so the answer is an outage (503) instead.
//!
//! A local run may trust extra public keys (`TRUSTED_KEYS`, the sample events' key): they
//! are laid over every set read here, published and never signing, and never written back.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::signature::ParsedPublicKey;
use tokio::sync::Mutex;

use super::store::{KeySetStore, KeyStoreError};
use super::{JwkSet, KeyId, KeyLocation, KeyRecord, KeySet};
use crate::clock::UnixSeconds;

/// How long a key set is trusted before it is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// A set older than this is re-read before use (picks up retirements and rotations).
    pub max_age: i64,
    /// Reads for unknown `kid`s are at least this far apart.
    pub min_refetch: i64,
    /// A set this old is not used any more, even when it cannot be re-read.
    pub max_stale: i64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            max_age: 300,
            min_refetch: 10,
            max_stale: 900,
        }
    }
}

/// A published key ready to verify with, parsed once per read of the set (or why it cannot
/// be parsed: a broken key in the store is an outage, not a bad token).
pub type VerificationKey = Result<Arc<ParsedPublicKey>, String>;

struct Cached {
    set: Option<Arc<KeySet>>,
    /// The verification key of every key in `set`, by `kid`.
    prepared: HashMap<KeyId, VerificationKey>,
    /// When the cached set was read.
    fetched_at: UnixSeconds,
    /// When a read was last attempted, successful or not.
    attempted_at: Option<UnixSeconds>,
}

pub struct KeySetCache {
    store: Arc<dyn KeySetStore>,
    policy: CachePolicy,
    /// Keys laid over every set read (a local run's `TRUSTED_KEYS`).
    trusted: Vec<KeyRecord>,
    cached: Mutex<Cached>,
}

impl KeySetCache {
    pub fn new(store: Arc<dyn KeySetStore>, policy: CachePolicy) -> Self {
        Self {
            store,
            policy,
            trusted: Vec::new(),
            cached: Mutex::new(Cached {
                set: None,
                prepared: HashMap::new(),
                fetched_at: 0,
                attempted_at: None,
            }),
        }
    }

    /// The same cache, also trusting the public keys of `trusted` (published, never signing).
    /// They live here only: the store never sees them.
    pub fn trusting(mut self, trusted: &JwkSet, now: UnixSeconds) -> Self {
        self.trusted = trusted
            .keys
            .iter()
            .filter_map(|jwk| jwk.to_key().ok())
            .map(|public| KeyRecord {
                signs_until: Some(0),
                ..KeyRecord::new(&public, KeyLocation::Local, 0, now)
            })
            .collect();
        self
    }

    pub fn store(&self) -> &Arc<dyn KeySetStore> {
        &self.store
    }

    /// The key set at `now`, read from the store if there is none yet or it is too old. A store
    /// that fails while an older set is at hand leaves that set in use (and is retried after
    /// `min_refetch`); with no set at all, the failure is the answer.
    pub async fn current(&self, now: UnixSeconds) -> Result<Arc<KeySet>, KeyStoreError> {
        let mut cached = self.cached.lock().await;
        self.fresh(&mut cached, now).await
    }

    /// [`Self::current`] under the caller's lock.
    async fn fresh(
        &self,
        cached: &mut Cached,
        now: UnixSeconds,
    ) -> Result<Arc<KeySet>, KeyStoreError> {
        let stale = cached.set.is_none()
            || now < cached.fetched_at
            || now.saturating_sub(cached.fetched_at) >= self.policy.max_age;
        if stale && self.may_read(cached, now) {
            self.read(cached, now).await?;
        }
        self.usable(cached, now)
            .ok_or_else(|| KeyStoreError::Unavailable("the key set could not be read".into()))
    }

    /// The set at hand, unless it is `max_stale` old (possible only while reads fail).
    fn usable(&self, cached: &Cached, now: UnixSeconds) -> Option<Arc<KeySet>> {
        // A clock that went back past the read proves nothing about the set's age.
        let age = now.saturating_sub(cached.fetched_at);
        cached
            .set
            .clone()
            .filter(|_| (0..self.policy.max_stale).contains(&age))
    }

    /// The published key `kid` at `now`. An unknown `kid` triggers one early re-read, unless
    /// the last read was less than `min_refetch` ago.
    pub async fn find(
        &self,
        kid: &KeyId,
        now: UnixSeconds,
    ) -> Result<Option<KeyRecord>, KeyStoreError> {
        self.published(kid, now, |_, key| key.clone()).await
    }

    /// The key `kid` ready to verify with, if it is published at `now` (found as
    /// [`Self::find`] finds it, without parsing it again).
    pub async fn verification_key(
        &self,
        kid: &KeyId,
        now: UnixSeconds,
    ) -> Result<Option<VerificationKey>, KeyStoreError> {
        self.published(kid, now, |cached, key| {
            cached
                .prepared
                .get(&key.kid)
                .cloned()
                .unwrap_or_else(|| Err("not prepared".into()))
        })
        .await
    }

    /// Whether `kid` is published at `now`: a verified token stays good only while its key is.
    pub async fn is_published(&self, kid: &KeyId, now: UnixSeconds) -> Result<bool, KeyStoreError> {
        Ok(self.published(kid, now, |_, _| ()).await?.is_some())
    }

    /// `pick` of the published key `kid` at `now`, under one lock. An unknown `kid` triggers
    /// one early re-read, unless the last read was less than `min_refetch` ago.
    async fn published<R>(
        &self,
        kid: &KeyId,
        now: UnixSeconds,
        pick: impl Fn(&Cached, &KeyRecord) -> R,
    ) -> Result<Option<R>, KeyStoreError> {
        let mut cached = self.cached.lock().await;
        let set = self.fresh(&mut cached, now).await?;
        if let Some(key) = set.find_published(kid, now) {
            return Ok(Some(pick(&cached, key)));
        }
        if self.may_read(&cached, now) {
            self.read(&mut cached, now).await?;
        }
        let set = self.usable(&cached, now);
        Ok(set.and_then(|set| set.find_published(kid, now).map(|key| pick(&cached, key))))
    }

    /// Reads the set now, whatever the policy says: after this process changed it.
    pub async fn reload(&self, now: UnixSeconds) -> Result<Arc<KeySet>, KeyStoreError> {
        let mut cached = self.cached.lock().await;
        self.read(&mut cached, now).await?;
        Ok(cached.set.clone().expect("read stores a set"))
    }

    /// Reads are at least `min_refetch` apart, with or without a set at hand: a store that is
    /// down is not asked once per request.
    fn may_read(&self, cached: &Cached, now: UnixSeconds) -> bool {
        cached
            .attempted_at
            .is_none_or(|at| now < at || now.saturating_sub(at) >= self.policy.min_refetch)
    }

    async fn read(&self, cached: &mut Cached, now: UnixSeconds) -> Result<(), KeyStoreError> {
        cached.attempted_at = Some(now);
        match self.store.load().await {
            Ok(mut set) => {
                for key in &self.trusted {
                    if set.find(&key.kid).is_none() {
                        set.keys.push(key.clone());
                    }
                }
                cached.prepared = set
                    .keys
                    .iter()
                    .map(|key| {
                        let prepared = key
                            .public_key()
                            .and_then(|public| public.verification_key())
                            .map(Arc::new)
                            .map_err(|e| format!("published key {}: {e}", key.kid));
                        (key.kid.clone(), prepared)
                    })
                    .collect();
                cached.set = Some(Arc::new(set));
                cached.fetched_at = now;
                Ok(())
            }
            Err(err) if self.usable(cached, now).is_some() => {
                tracing::warn!(error = %err, "could not re-read the key set; using the one at hand");
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests;
