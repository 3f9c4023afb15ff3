//! A user as stored, and the two views of it the API returns.

use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use super::username::Username;

/// A user as stored: profile, credentials, permissions, items and sign-in failure state.
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
    #[serde(default)]
    pub failed_logins: u32,
    /// Unix seconds of the last failed sign-in; with `failed_logins` it decides a lockout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_login: Option<i64>,
    /// Tokens and sessions from this second or earlier are dead: set when the user is
    /// disabled, changes password or is revoked by an operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_revoked_at: Option<i64>,
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
            .field("failed_logins", &self.failed_logins)
            .field("last_failed_login", &self.last_failed_login)
            .field("tokens_revoked_at", &self.tokens_revoked_at)
            .finish()
    }
}

impl User {
    /// Whether a token or session begun at `issued_at` predates a revocation of this user's
    /// tokens. A revocation in second T kills everything begun in T, since seconds cannot
    /// order events within one: issuers start new tokens after T (see
    /// [`Self::earliest_valid_issue`]).
    pub fn revoked_since(&self, issued_at: i64) -> bool {
        self.tokens_revoked_at.is_some_and(|at| issued_at <= at)
    }

    /// The `iat` a token issued `now` must carry to outlive the latest revocation: `now`, or
    /// the second after a revocation made in this very second.
    pub fn earliest_valid_issue(&self, now: i64) -> i64 {
        match self.tokens_revoked_at {
            Some(at) if at >= now => at + 1,
            _ => now,
        }
    }

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
            failed_logins: 0,
            last_failed_login: None,
            tokens_revoked_at: None,
        };
        let shown = format!("{user:?}");
        assert!(!shown.contains("argon2"), "{shown}");
        assert!(shown.contains("carol"), "{shown}");
    }
}
