//! Where users live: the [`UserStore`] trait, DynamoDB in the cloud, memory for unit tests,
//! benchmarks and the zero-setup local run.

mod demo;
mod dynamodb;
mod memory;

use crate::domain::{ScopeSet, User, Username};

pub use demo::demo_users;
pub(crate) use dynamodb::create_table as create_dynamodb_table;
pub(crate) use dynamodb::scan_all as scan_dynamodb_table;
pub(crate) use dynamodb::{
    aws_retries, aws_timeouts, condition_failed as dynamodb_condition_failed,
    unavailable_error as dynamodb_unavailable,
};
pub use dynamodb::{
    client as dynamodb_client, client_for_endpoint as dynamodb_client_for_endpoint, DynamoUserStore,
};
pub use memory::MemoryUserStore;

/// Failures of the backing store. They become 503s, never a wrong answer about credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("user `{0}` already exists")]
    AlreadyExists(Username),
    #[error("user `{0}` does not exist")]
    NotFound(Username),
    #[error("client `{0}` already exists")]
    ClientExists(crate::domain::ClientId),
    #[error("client `{0}` does not exist")]
    ClientNotFound(crate::domain::ClientId),
    /// A conditional change found the record changed since it was read.
    #[error("{0}")]
    Conflict(String),
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
    /// Also end every access token and session of the user (raise its token version).
    pub revoke_tokens: bool,
    /// End every lockout of the account (raise its lockout epoch, which starts its
    /// sign-in counters afresh).
    pub unlock: bool,
}

/// What the service does with users. Each method is one store operation (one DynamoDB call),
/// so a caller can count the I/O a request costs.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError>;

    /// Stores a new user; refuses to overwrite one that exists.
    async fn insert(&self, user: &User) -> Result<(), StoreError>;

    /// Replaces the password hash `read` (at sign-in) by `upgraded`, the same password hashed
    /// at current parameters, only if it is still `read`: an operator's new password that
    /// landed meanwhile is never undone. Says whether it replaced it (not if the hash changed
    /// or the user is gone).
    async fn upgrade_password_hash(
        &self,
        username: &Username,
        read: &str,
        upgraded: &str,
    ) -> Result<bool, StoreError>;

    /// Applies an operator's `change` to an existing user in one write; `NotFound` otherwise.
    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
    ) -> Result<(), StoreError>;

    /// Every user, in username order (operators' listings; a scan in DynamoDB).
    async fn list(&self) -> Result<Vec<User>, StoreError>;
}

impl AccountChange {
    /// `change` applied to `user`: the one definition every store follows.
    pub fn apply(&self, user: &mut User) {
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
            user.token_version += 1;
        }
        if self.unlock {
            user.lockout_epoch += 1;
        }
    }
}
