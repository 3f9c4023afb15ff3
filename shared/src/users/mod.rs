//! Users and where they live: the domain types, the store trait and its two implementations.

mod demo;
mod dynamodb;
mod memory;
mod username;

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::scopes::ScopeSet;

pub use demo::demo_users;
pub use dynamodb::{client as dynamodb_client, DynamoUserStore};
pub use memory::MemoryUserStore;
pub use username::{InvalidUsername, Username};

/// A user as stored: profile, credentials, permissions, items and sign-in failure state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: Username,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// Argon2id PHC string. Never leaves the service: responses use [`UserProfile`].
    pub password_hash: String,
    /// The most a token for this user may carry; requests are cut down to this.
    #[serde(default)]
    pub allowed_scopes: ScopeSet,
    #[serde(default)]
    pub items: Vec<StoredItem>,
    #[serde(default)]
    pub failed_logins: u32,
    /// Unix seconds of the last failed sign-in; with `failed_logins` it decides a lockout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_login: Option<i64>,
}

impl User {
    pub fn profile(&self) -> UserProfile {
        UserProfile {
            username: self.username.to_string(),
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            disabled: self.disabled,
        }
    }

    pub fn owned_items(&self) -> Vec<OwnedItem> {
        self.items
            .iter()
            .map(|item| OwnedItem {
                item_id: item.item_id.clone(),
                owner: self.username.to_string(),
            })
            .collect()
    }
}

/// An item as stored with its owner's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredItem {
    pub item_id: String,
}

/// `GET /users/me/` body: the FastAPI tutorial's `User` model, without the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub username: String,
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub disabled: bool,
}

/// One element of the `GET /users/me/items/` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedItem {
    pub item_id: String,
    pub owner: String,
}

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

/// Where users live. DynamoDB in the cloud; memory for unit tests, benchmarks and the local default.
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
        at: i64,
    ) -> Result<Option<u32>, StoreError>;

    /// Clears the failure count after a successful sign-in.
    async fn clear_login_failures(&self, username: &Username) -> Result<(), StoreError>;
}

/// Seconds since the Unix epoch, the unit of JWT times and of the lockout fields.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
