//! A user as stored, and the two views of it the API returns.

use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use super::username::Username;

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
