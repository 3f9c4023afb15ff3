//! A user as stored, and the two views of it the API returns.

use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use super::username::Username;

/// A user as stored: profile, credentials, permissions, items and lockout epoch.
/// Its `Debug` leaves the password hash out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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
    /// Raised by one by each operator unlock: the account's sign-in counters are kept under
    /// it, so a new epoch starts them all afresh, whichever addresses they were kept for.
    #[serde(default)]
    pub lockout_epoch: u64,
    /// Raised by one each time the user's tokens are revoked (disabled, password changed,
    /// operator's revocation). Access tokens and sessions carry the version they were issued
    /// at and die when it is no longer the user's: a counter, so neither the clocks of the
    /// machines involved nor two changes within one second can blur the line.
    #[serde(default)]
    pub token_version: u64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("full_name", &self.full_name)
            .field("disabled", &self.disabled)
            .field("password_hash", &"<redacted>")
            .field("allowed_scopes", &self.allowed_scopes)
            .field("items", &self.items)
            .field("lockout_epoch", &self.lockout_epoch)
            .field("token_version", &self.token_version)
            .finish()
    }
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserProfile {
    pub username: String,
    /// Always present; `null` when unknown.
    #[schema(required = true)]
    pub email: Option<String>,
    /// Always present; `null` when unknown.
    #[schema(required = true)]
    pub full_name: Option<String>,
    pub disabled: bool,
}

/// One element of the `GET /users/me/items/` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Item)]
pub struct OwnedItem {
    pub item_id: String,
    pub owner: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_leaves_the_hash_out() {
        let user = User {
            username: Username::parse("carol").unwrap(),
            email: None,
            full_name: None,
            disabled: false,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            allowed_scopes: ScopeSet::empty(),
            items: Vec::new(),
            lockout_epoch: 0,
            token_version: 0,
        };
        let shown = format!("{user:?}");
        assert!(!shown.contains("argon2"), "{shown}");
        assert!(shown.contains("carol"), "{shown}");
    }
}
