//! Refresh-token sessions: opaque refresh tokens stored only as SHA-256 hashes, in families
//! that start at sign-in. Rotation spends a token with a conditional write, so exactly one of
//! many concurrent refreshes with it performs the rotation; a spent token presented again
//! after the grace window revokes its whole family (RFC 9700 §4.14).

pub(crate) mod dynamodb;
mod memory;

use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, Username};
use crate::store::StoreError;

pub use dynamodb::DynamoSessionStore;
pub use memory::MemorySessionStore;

/// A refresh token as the client holds it. Never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// 256 random bits ([`crate::random`]).
    pub fn generate() -> Self {
        RefreshToken(crate::random::base64url_256_bits())
    }

    /// A presented token, if it has the shape of one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        crate::random::is_base64url_256_bits(text).then(|| RefreshToken(text.to_owned()))
    }

    /// What the client is handed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The only form the store keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash(crate::random::sha256_base64url(&self.0))
    }
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

/// SHA-256 of a refresh token, base64url: the store's key for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A family: every refresh token descending from one sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FamilyId(String);

impl From<String> for FamilyId {
    fn from(id: String) -> Self {
        FamilyId(id)
    }
}

impl FamilyId {
    pub fn generate() -> Self {
        FamilyId(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    pub id: FamilyId,
    pub username: Username,
    pub created_at: UnixSeconds,
    /// Absolute end of the session: no token of the family outlives it.
    pub expires_at: UnixSeconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<UnixSeconds>,
    /// The user's token version when the session began: a revocation ends the session.
    #[serde(default)]
    pub token_version: u64,
    /// How many rotations the session has had: only a child of the latest may rotate it
    /// further, so a spent token's grace-window siblings cannot grow a second chain.
    #[serde(default)]
    pub generation: u64,
    /// The token whose rotation moved the session to its generation (`None` at generation 0,
    /// and for sessions stored before this was kept): a retry of that rotation finds its
    /// work done rather than a sibling's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_by: Option<TokenHash>,
}

/// One refresh token of a family, as stored (by hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    pub hash: TokenHash,
    pub family: FamilyId,
    pub username: Username,
    /// The scope granted at sign-in: a refresh may narrow it, never widen it (RFC 6749 §6).
    pub scope: ScopeSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub issued_at: UnixSeconds,
    pub expires_at: UnixSeconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spent_at: Option<UnixSeconds>,
    /// The family's generation this token was issued at (0 for the sign-in's token).
    #[serde(default)]
    pub generation: u64,
}

/// What spending a refresh token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// This call spent it: the caller performs the rotation.
    Spent,
    /// Someone spent it before, at this time.
    AlreadySpent { at: UnixSeconds },
    /// There is no such token.
    Unknown,
}

/// Where sessions live. Each method is one store operation.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts `family` with its first token (one atomic write of both, only if no family of
    /// that id exists). `false`: the id is taken, which only a [`Self::bar_family`] makes
    /// happen (ids are random).
    async fn start(&self, family: &Family, first: &RefreshRecord) -> Result<bool, StoreError>;

    async fn token(&self, hash: &TokenHash) -> Result<Option<RefreshRecord>, StoreError>;

    async fn family(&self, id: &FamilyId) -> Result<Option<Family>, StoreError>;

    /// Marks the token spent at `now` unless it already is (a conditional write).
    async fn spend(&self, hash: &TokenHash, now: UnixSeconds) -> Result<Spend, StoreError>;

    /// Adds the next token of an existing family.
    async fn add(&self, record: &RefreshRecord) -> Result<(), StoreError>;

    /// Moves the family from generation `from` to `from + 1` on the rotation of the token
    /// `by`, if it is still at `from`, or says it is done if `by`'s rotation already moved it
    /// there (one conditional write); `false` when another token's rotation moved it first.
    async fn advance(&self, id: &FamilyId, from: u64, by: &TokenHash) -> Result<bool, StoreError>;

    /// Makes every token of the family unusable (idempotent; the first time is kept).
    async fn revoke_family(&self, id: &FamilyId, now: UnixSeconds) -> Result<(), StoreError>;

    /// Revokes the family, or, if it has not started yet, makes sure it never does (its id
    /// is held as revoked until `until`): a replayed authorization code ends the session the
    /// first exchange starts, even while that exchange is still running.
    async fn bar_family(
        &self,
        id: &FamilyId,
        now: UnixSeconds,
        until: UnixSeconds,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_256_random_bits_stored_as_sha256() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(RefreshToken::parse(a.expose()), Some(a.clone()));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash().as_str().len(), 43);
        assert!(!a.hash().as_str().contains(a.expose()));
        assert_eq!(format!("{a:?}"), "RefreshToken(<redacted>)");
        for junk in ["", "short", "eyJhbGciOi.x.y", &"A".repeat(44), "+/+/"] {
            assert_eq!(RefreshToken::parse(junk), None, "{junk}");
        }
    }
}
