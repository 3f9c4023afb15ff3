//! Where users live: the [`UserStore`] trait, DynamoDB in the cloud, memory for unit tests,
//! benchmarks and the zero-setup local run.

mod demo;
mod dynamodb;
mod memory;

use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, User, Username};

pub use demo::demo_users;
pub(crate) use dynamodb::create_table as create_dynamodb_table;
pub use dynamodb::{client as dynamodb_client, DynamoUserStore};
pub use memory::MemoryUserStore;

/// Failures of the backing store. They become 503s, never a wrong answer about credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("user `{0}` already exists")]
    AlreadyExists(Username),
    #[error("user `{0}` does not exist")]
    NotFound(Username),
    #[error("stored record for `{username}` is unreadable: {reason}")]
    Corrupt { username: String, reason: String },
    #[error("user store unavailable: {0}")]
    Unavailable(String),
}

/// An operator's change to an account, made in one write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub disabled: Option<bool>,
    pub allowed_scopes: Option<ScopeSet>,
    /// A new Argon2id PHC string (never printed: it is only ever a hash).
    pub password_hash: Option<String>,
    /// Also end every token and session begun at or before the change's time.
    pub revoke_tokens: bool,
    /// Clear the failed sign-in count (unlock).
    pub clear_failures: bool,
}

impl AccountChange {
    pub fn is_empty(&self) -> bool {
        *self == AccountChange::default()
    }
}

/// What the service does with users. Each method is one store operation (one DynamoDB call),
/// so a caller can count the I/O a request costs.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError>;

    /// Stores a new user; refuses to overwrite one that exists.
    async fn insert(&self, user: &User) -> Result<(), StoreError>;

    /// Replaces the password hash (operators' resets and re-hashing at stronger parameters).
    async fn set_password_hash(&self, username: &Username, hash: &str) -> Result<(), StoreError>;

    /// Counts one failed sign-in atomically and returns the new count; `None` when there is no
    /// such user (nothing is created), so unknown users cost the same write as known ones.
    async fn record_login_failure(
        &self,
        username: &Username,
        at: UnixSeconds,
    ) -> Result<Option<u32>, StoreError>;

    /// Clears the failure count after a successful sign-in.
    async fn clear_login_failures(&self, username: &Username) -> Result<(), StoreError>;

    /// Applies an operator's `change` to an existing user at `at`; `NotFound` otherwise.
    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
        at: UnixSeconds,
    ) -> Result<(), StoreError>;

    /// Every user, in username order (operators' listings; a scan in DynamoDB).
    async fn list(&self) -> Result<Vec<User>, StoreError>;
}

/// The second a revocation at `at` records, after an earlier one at `previous`. Tokens issued
/// after a revocation carry at least the second after it (`User::earliest_valid_issue`), so a
/// second revocation within that second must reach one second further to end them too: every
/// token issued before a revocation has an `iat` at or before the recorded second.
pub fn revocation_second(previous: Option<UnixSeconds>, at: UnixSeconds) -> UnixSeconds {
    match previous {
        Some(previous) if previous >= at => previous + 1,
        _ => at,
    }
}

impl AccountChange {
    /// `change` applied to `user` at `at`: the one definition every store follows.
    pub fn apply(&self, user: &mut User, at: UnixSeconds) {
        if let Some(disabled) = self.disabled {
            user.disabled = disabled;
        }
        if let Some(scopes) = &self.allowed_scopes {
            user.allowed_scopes = scopes.clone();
        }
        if let Some(hash) = &self.password_hash {
            user.password_hash = hash.clone();
        }
        if self.revoke_tokens {
            user.tokens_revoked_at = Some(revocation_second(user.tokens_revoked_at, at));
        }
        if self.clear_failures {
            user.failed_logins = 0;
            user.last_failed_login = None;
        }
    }
}
