//! Where users live: the [`UserStore`] trait, DynamoDB in the cloud, memory for unit tests,
//! benchmarks and the zero-setup local run.

mod demo;
mod dynamodb;
mod memory;

use crate::clock::UnixSeconds;
use crate::domain::{User, Username};

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
}
