//! Browser sessions of the hosted sign-in page: after a person signs in there, their browser
//! holds a cookie naming a server-side record, and a later authorization request from that
//! browser (another app, or the same one after its tokens expired) is answered without the
//! form until the record expires. The record names the user and their token version, so an
//! operator's revocation, a new password or disabling the account ends it at once. The cookie
//! holds 256 random bits; the store keeps only their SHA-256.

pub(crate) mod dynamodb;
mod memory;

use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::domain::{User, Username};
use crate::store::StoreError;

pub use dynamodb::DynamoBrowserSessionStore;
pub use memory::MemoryBrowserSessionStore;

/// The browser session cookie's value. Never stored, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserSessionSecret(String);

impl BrowserSessionSecret {
    pub fn generate() -> Self {
        BrowserSessionSecret(crate::random::base64url_256_bits())
    }

    /// A presented cookie value, if it has the shape of one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        crate::random::is_base64url_256_bits(text).then(|| BrowserSessionSecret(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The only form the store keeps.
    pub fn hash(&self) -> String {
        crate::random::sha256_base64url(&self.0)
    }
}

impl std::fmt::Debug for BrowserSessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserSessionSecret(<redacted>)")
    }
}

/// A signed-in browser, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserSession {
    pub username: Username,
    /// The user's token version at sign-in: a revocation (or a new password) ends the session.
    pub token_version: u64,
    pub created_at: UnixSeconds,
    pub expires_at: UnixSeconds,
}

impl BrowserSession {
    /// Whether the session still signs `user` in at `now`.
    pub fn signs_in(&self, user: &User, now: UnixSeconds) -> bool {
        now < self.expires_at
            && user.username == self.username
            && user.token_version == self.token_version
            && !user.disabled
    }
}

/// Where browser sessions live. Each method is one store operation.
#[async_trait::async_trait]
pub trait BrowserSessionStore: Send + Sync {
    /// Stores a new session under the hash of its secret.
    async fn start(&self, hash: &str, session: &BrowserSession) -> Result<(), StoreError>;

    /// The session stored under `hash`, unless it has expired at `now`.
    async fn get(&self, hash: &str, now: UnixSeconds)
        -> Result<Option<BrowserSession>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            username: Username::parse("johndoe").unwrap(),
            email: None,
            full_name: None,
            disabled: false,
            password_hash: String::new(),
            allowed_scopes: Default::default(),
            items: Vec::new(),
            lockout_epoch: 0,
            token_version: 2,
        }
    }

    #[test]
    fn a_session_ends_with_its_time_a_revocation_or_the_account() {
        let session = BrowserSession {
            username: Username::parse("johndoe").unwrap(),
            token_version: 2,
            created_at: 100,
            expires_at: 200,
        };
        assert!(session.signs_in(&user(), 199));
        assert!(!session.signs_in(&user(), 200));
        let revoked = User {
            token_version: 3,
            ..user()
        };
        assert!(!session.signs_in(&revoked, 150));
        let disabled = User {
            disabled: true,
            ..user()
        };
        assert!(!session.signs_in(&disabled, 150));
        let other = User {
            username: Username::parse("bob").unwrap(),
            ..user()
        };
        assert!(!session.signs_in(&other, 150));
    }

    #[test]
    fn secrets_are_256_random_bits_kept_as_sha256() {
        let secret = BrowserSessionSecret::generate();
        assert_eq!(
            BrowserSessionSecret::parse(secret.expose()),
            Some(secret.clone())
        );
        assert_ne!(secret.hash(), secret.expose());
        assert_eq!(format!("{secret:?}"), "BrowserSessionSecret(<redacted>)");
        assert_eq!(BrowserSessionSecret::parse("short"), None);
    }
}
