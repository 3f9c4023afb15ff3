//! The signing key set as data: every key with the times it is published, signs and retires.
//!
//! Rotation never interrupts verification: a new key is published `publish_lead` before it
//! signs (caches such as API Gateway's, which keeps keys up to an hour, see it first); the key
//! it replaces stops signing at that instant and stays published until every token it signed
//! has expired. All of it is arithmetic on times passed in, so it is tested to the second.

use serde::{Deserialize, Serialize};

use super::jwk::{KeyError, KeyId, PublicJwk, RsaPublicKey};
use crate::clock::UnixSeconds;

/// Where a key's private half lives, so the token function knows how to sign with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyLocation {
    /// An AWS KMS asymmetric key (`RSA_2048`, `SIGN_VERIFY`), by key ARN or id.
    Kms { key_id: String },
    /// An in-process key of a local run (`authctl serve`, `cargo lambda watch`, `sam local`).
    Local,
}

/// One key of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub kid: KeyId,
    pub jwk: PublicJwk,
    pub location: KeyLocation,
    pub created_at: UnixSeconds,
    /// From this instant the key may sign (it is published from `created_at`).
    pub signs_from: UnixSeconds,
    /// From this instant the key signs no more (set when a successor takes over or the key is
    /// retired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signs_until: Option<UnixSeconds>,
    /// From this instant the key leaves the JWKS and verifies nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_until: Option<UnixSeconds>,
}

impl KeyRecord {
    /// A new key, published from `now`, signing from `signs_from`.
    pub fn new(
        public: &RsaPublicKey,
        location: KeyLocation,
        now: UnixSeconds,
        signs_from: UnixSeconds,
    ) -> Self {
        KeyRecord {
            kid: public.kid(),
            jwk: public.to_jwk(),
            location,
            created_at: now,
            signs_from,
            signs_until: None,
            published_until: None,
        }
    }

    pub fn is_published(&self, now: UnixSeconds) -> bool {
        self.created_at <= now && self.published_until.is_none_or(|until| now < until)
    }

    pub fn can_sign(&self, now: UnixSeconds) -> bool {
        self.is_published(now)
            && self.signs_from <= now
            && self.signs_until.is_none_or(|until| now < until)
    }

    /// What the key is doing at `now`, for operators.
    pub fn state(&self, now: UnixSeconds) -> KeyState {
        if !self.is_published(now) {
            KeyState::Removed
        } else if self.can_sign(now) {
            KeyState::Signing
        } else if self
            .signs_until
            .is_some_and(|until| until <= now.max(self.signs_from))
        {
            KeyState::Retired
        } else {
            KeyState::Pending
        }
    }

    pub fn public_key(&self) -> Result<RsaPublicKey, KeyError> {
        self.jwk.to_key()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not signing yet.
    Pending,
    /// Published and signing.
    Signing,
    /// Published so its tokens verify until they expire; signs no more.
    Retired,
    /// Out of the JWKS: verifies nothing.
    Removed,
}

/// How long the steps of a rotation last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// How long a new key is published before it signs.
    pub publish_lead: i64,
    /// How long a retired key stays published: the longest access token lifetime, plus the
    /// verifiers' clock leeway.
    pub keep_published: i64,
}

/// What retiring a key did besides retiring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retirement {
    Retired,
    /// The retired key was pending: its rotation is off, the old keys sign on.
    RotationAborted,
    /// The retired key was the one signing: its pending successor signs from now.
    SuccessorSignsNow(KeyId),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("key {0} is already in the key set")]
    AlreadyPresent(KeyId),
    #[error("key {0} is not in the key set")]
    UnknownKey(KeyId),
    #[error("a rotation is in progress: key {kid} starts signing at {signs_from}")]
    RotationInProgress { kid: KeyId, signs_from: UnixSeconds },
    #[error("key {0} is the only key that can sign and none is pending; rotate first, or retire it with --force")]
    LastSigningKey(KeyId),
}

/// Every key the service has published and not yet removed, with a version for optimistic
/// concurrency (each save must name the version it read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySet {
    pub version: u64,
    pub keys: Vec<KeyRecord>,
}

impl KeySet {
    /// The key tokens are signed with at `now`: of the keys that may sign, the newest.
    pub fn signing_key(&self, now: UnixSeconds) -> Option<&KeyRecord> {
        self.keys
            .iter()
            .filter(|key| key.can_sign(now))
            .max_by_key(|key| (key.signs_from, key.created_at))
    }

    /// The keys a verifier trusts at `now`: exactly the JWKS.
    pub fn published(&self, now: UnixSeconds) -> impl Iterator<Item = &KeyRecord> {
        self.keys.iter().filter(move |key| key.is_published(now))
    }

    pub fn find(&self, kid: &KeyId) -> Option<&KeyRecord> {
        self.keys.iter().find(|key| key.kid == *kid)
    }

    /// The published key with id `kid` at `now`.
    pub fn find_published(&self, kid: &KeyId, now: UnixSeconds) -> Option<&KeyRecord> {
        self.find(kid).filter(|key| key.is_published(now))
    }

    /// The RFC 7517 document of the keys published at `now`.
    pub fn jwks(&self, now: UnixSeconds) -> super::JwkSet {
        super::JwkSet {
            keys: self.published(now).map(|key| key.jwk.clone()).collect(),
        }
    }

    /// Adds the first key of an empty set (or of one with no key that can sign): it signs at
    /// once, as there is no earlier key whose tokens or caches it could disturb.
    pub fn bootstrap(&mut self, mut key: KeyRecord, now: UnixSeconds) -> Result<(), KeySetError> {
        if let Some(existing) = self.find(&key.kid) {
            return Err(KeySetError::AlreadyPresent(existing.kid.clone()));
        }
        key.signs_from = now;
        self.keys.push(key);
        Ok(())
    }

    /// Starts a rotation to `key`: it is published now and signs from `now + publish_lead`;
    /// every key signing today stops then and stays published `keep_published` longer.
    pub fn rotate(
        &mut self,
        mut key: KeyRecord,
        now: UnixSeconds,
        policy: RotationPolicy,
    ) -> Result<(), KeySetError> {
        if self.find(&key.kid).is_some() {
            return Err(KeySetError::AlreadyPresent(key.kid));
        }
        if let Some(pending) = self.keys.iter().find(|k| k.state(now) == KeyState::Pending) {
            return Err(KeySetError::RotationInProgress {
                kid: pending.kid.clone(),
                signs_from: pending.signs_from,
            });
        }
        let handover = now.saturating_add(policy.publish_lead.max(0));
        for old in self.keys.iter_mut().filter(|k| k.signs_until.is_none()) {
            old.signs_until = Some(handover.max(old.signs_from));
            let until = handover.saturating_add(policy.keep_published.max(0));
            old.published_until = Some(old.published_until.map_or(until, |u| u.min(until)));
        }
        key.created_at = now;
        key.signs_from = handover;
        key.signs_until = None;
        key.published_until = None;
        self.keys.push(key);
        Ok(())
    }

    /// Stops `kid` signing now. Its tokens keep verifying for `keep_published` seconds, or
    /// not at all with `immediately` (a compromised key).
    ///
    /// - Retiring the key that signs while a successor is pending brings the successor in now
    ///   (it is published already; verifiers fetch keys they do not know).
    /// - Retiring a pending key aborts its rotation: the keys it was to replace sign on.
    /// - Retiring the last key that can sign, with nothing pending, needs `force`: the token
    ///   endpoint answers 503 until a rotation adds one.
    pub fn retire(
        &mut self,
        kid: &KeyId,
        now: UnixSeconds,
        keep_published: i64,
        immediately: bool,
        force: bool,
    ) -> Result<Retirement, KeySetError> {
        let key = self
            .find(kid)
            .cloned()
            .ok_or_else(|| KeySetError::UnknownKey(kid.clone()))?;
        let mut outcome = Retirement::Retired;
        match key.state(now) {
            KeyState::Pending => {
                // Undo what `rotate` did to the keys this one was to replace.
                for old in self.keys.iter_mut().filter(|k| {
                    k.kid != *kid && k.signs_until == Some(key.signs_from) && now < key.signs_from
                }) {
                    old.signs_until = None;
                    old.published_until = None;
                }
                outcome = Retirement::RotationAborted;
            }
            KeyState::Signing => {
                let others_sign = self.keys.iter().any(|k| k.kid != *kid && k.can_sign(now));
                let successor = self
                    .keys
                    .iter_mut()
                    .filter(|k| k.kid != *kid && k.state(now) == KeyState::Pending)
                    .max_by_key(|k| k.signs_from);
                match successor {
                    _ if others_sign => {}
                    Some(successor) => {
                        successor.signs_from = now;
                        outcome = Retirement::SuccessorSignsNow(successor.kid.clone());
                    }
                    None if force => {}
                    None => return Err(KeySetError::LastSigningKey(kid.clone())),
                }
            }
            KeyState::Retired | KeyState::Removed => {}
        }
        let key = self
            .keys
            .iter_mut()
            .find(|k| k.kid == *kid)
            .expect("found above");
        key.signs_until = Some(key.signs_until.map_or(now, |u| u.min(now)));
        let until = if immediately {
            now
        } else {
            now.saturating_add(keep_published.max(0))
        };
        key.published_until = Some(key.published_until.map_or(until, |u| u.min(until)));
        Ok(outcome)
    }

    /// Drops the keys that left the JWKS before `now` and returns them (their KMS keys can
    /// then be scheduled for deletion).
    pub fn prune(&mut self, now: UnixSeconds) -> Vec<KeyRecord> {
        let (removed, kept) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|key| key.published_until.is_some_and(|until| until <= now));
        self.keys = kept;
        removed
    }
}

#[cfg(test)]
mod tests;
