//! Tokens already verified, by their SHA-256, so that a resource server that sees the same
//! token hundreds of times checks its signature once. An entry holds only what stays true of
//! a token once it is verified (its key id and its claims); everything that depends on the
//! request or the time is checked again on every hit by the verifier: the issuer, the key
//! still being published, `exp`, `iat`, `nbf`. An entry is used no later than its token's
//! `exp` (plus the leeway), and the cache is bounded: a flood of distinct tokens evicts old
//! entries (S3-FIFO, `quick_cache`), never grows memory.

use std::sync::Arc;

use aws_lc_rs::digest::{digest, SHA256};
use quick_cache::sync::Cache;

use super::{AccessClaims, LEEWAY_SECONDS};
use crate::clock::UnixSeconds;
use crate::keys::KeyId;

/// What stays true of a token once verified.
#[derive(Debug)]
pub(super) struct Verified {
    /// The published key that verified it (none for the HS256 opt-in's shared secret).
    pub kid: Option<KeyId>,
    pub claims: AccessClaims,
}

impl Verified {
    /// Whether the entry may still answer at `now`: not past the token's `exp` and leeway.
    fn alive(&self, now: UnixSeconds) -> bool {
        now <= self.claims.exp.saturating_add(LEEWAY_SECONDS)
    }
}

/// The token's digest: the cache never holds the token itself.
pub(super) type TokenDigest = [u8; 32];

pub(super) struct VerificationCache {
    entries: Cache<TokenDigest, Arc<Verified>>,
}

impl VerificationCache {
    /// Entries at most: about 0.5 KiB each, so a full cache is a few MiB.
    pub const CAPACITY: usize = 8192;

    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Cache::new(capacity),
        }
    }

    pub fn digest(token: &str) -> TokenDigest {
        let mut out = [0; 32];
        out.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
        out
    }

    /// The entry for `token`, if it is still alive at `now`; a dead one is dropped.
    pub fn get(&self, token: &TokenDigest, now: UnixSeconds) -> Option<Arc<Verified>> {
        let entry = self.entries.get(token)?;
        if entry.alive(now) {
            Some(entry)
        } else {
            self.entries.remove(token);
            None
        }
    }

    /// Remembers a token that passed every check at `now` (unless it is dead already).
    pub fn insert(&self, token: TokenDigest, verified: Verified, now: UnixSeconds) {
        if verified.alive(now) {
            self.entries.insert(token, Arc::new(verified));
        }
    }

    pub fn remove(&self, token: &TokenDigest) {
        self.entries.remove(token);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
