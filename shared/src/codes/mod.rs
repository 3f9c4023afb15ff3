//! Authorization codes (RFC 6749 §4.1.2, OAuth 2.1 §4.1.2): 256 random bits handed to the app
//! through the browser, kept only as a SHA-256, valid for [`CODE_LIFETIME_SECONDS`], bound to
//! the client, the redirect URI, the PKCE challenge, the user and the granted scopes, and
//! redeemed at most once by a conditional write. The record outlives the code by
//! [`REMEMBER_REDEEMED_SECONDS`], so that a second use can still find, and end, the session
//! the first one started.

pub(crate) mod dynamodb;
mod memory;

use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::domain::{ClientId, CodeChallenge, ScopeSet, Username};
use crate::sessions::FamilyId;
use crate::store::StoreError;

pub use dynamodb::DynamoCodeStore;
pub use memory::MemoryCodeStore;

/// How long a code may wait for its exchange (RFC 6749 §4.1.2 recommends at most ten
/// minutes; an app exchanges it at once).
pub const CODE_LIFETIME_SECONDS: i64 = 60;
/// How long a code's record is kept after it expires, to answer a replay by revoking.
pub const REMEMBER_REDEEMED_SECONDS: i64 = 24 * 60 * 60;

/// An authorization code as the app holds it. Never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCode(String);

impl AuthorizationCode {
    pub fn generate() -> Self {
        AuthorizationCode(crate::random::base64url_256_bits())
    }

    /// A presented code, if it has the shape of one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        crate::random::is_base64url_256_bits(text).then(|| AuthorizationCode(text.to_owned()))
    }

    /// What the redirect carries.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The only form the store keeps.
    pub fn hash(&self) -> CodeHash {
        CodeHash(crate::random::sha256_base64url(&self.0))
    }
}

impl std::fmt::Debug for AuthorizationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizationCode(<redacted>)")
    }
}

/// SHA-256 of a code, base64url: the store's key for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeHash(String);

impl CodeHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a code stands for: everything the exchange must match, and the session it will start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: ClientId,
    /// The `redirect_uri` of the authorization request, as sent, if it was (the exchange must
    /// then send the same string, RFC 6749 §4.1.3).
    pub redirect_uri: Option<String>,
    pub challenge: CodeChallenge,
    pub username: Username,
    /// The user's token version at sign-in: a revocation since then refuses the exchange.
    pub token_version: u64,
    /// Requested ∩ the client's ∩ the user's.
    pub scope: ScopeSet,
    /// The session the exchange starts, named now so that a replay knows what to revoke even
    /// while the first exchange is still running.
    pub family: FamilyId,
    pub issued_at: UnixSeconds,
    /// The code is refused from this second on.
    pub valid_until: UnixSeconds,
}

impl CodeGrant {
    /// Whether the code may still be exchanged at `now`.
    pub fn is_valid_at(&self, now: UnixSeconds) -> bool {
        now < self.valid_until
    }

    /// When the store may forget the record.
    pub fn forget_at(&self) -> UnixSeconds {
        self.valid_until.saturating_add(REMEMBER_REDEEMED_SECONDS)
    }
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// This call redeemed it: the caller checks the grant and starts its session.
    First(CodeGrant),
    /// It was redeemed before, at `at`: the session it started must end.
    Replayed { grant: CodeGrant, at: UnixSeconds },
    /// There is no such code (never issued, or forgotten).
    Unknown,
}

/// Where codes live. Each method is one store operation.
#[async_trait::async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores a new code (a conditional write: a hash is never reused).
    async fn issue(&self, hash: &CodeHash, grant: &CodeGrant) -> Result<(), StoreError>;

    /// Marks the code redeemed at `now` unless it already is (a conditional write), so that
    /// exactly one of many concurrent exchanges gets [`Redemption::First`].
    async fn redeem(&self, hash: &CodeHash, now: UnixSeconds) -> Result<Redemption, StoreError>;

    /// What the code stands for, read without redeeming it (a strongly consistent read: the
    /// code was stored a moment ago), unless there is no such code. Only a read, so the token
    /// endpoint makes it beside the client's authentication, and reads the user the code names
    /// beside its redemption.
    async fn find(
        &self,
        hash: &CodeHash,
        now: UnixSeconds,
    ) -> Result<Option<CodeGrant>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_256_random_bits_stored_as_sha256() {
        let a = AuthorizationCode::generate();
        let b = AuthorizationCode::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(AuthorizationCode::parse(a.expose()), Some(a.clone()));
        assert_ne!(a.hash(), b.hash());
        assert_ne!(a.hash().as_str(), a.expose());
        assert_eq!(format!("{a:?}"), "AuthorizationCode(<redacted>)");
        for junk in ["", "short", &"A".repeat(44), &format!("{}=", a.expose())] {
            assert_eq!(AuthorizationCode::parse(junk), None, "{junk}");
        }
    }
}
