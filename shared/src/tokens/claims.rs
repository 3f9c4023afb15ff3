//! What an access token says (RFC 9068 §2.2), and what the token endpoint hands back.

use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, Username};

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: Username,
    pub aud: String,
    pub exp: UnixSeconds,
    pub iat: UnixSeconds,
    /// Not before (RFC 7519 §4.1.5); never issued here, checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<UnixSeconds>,
    pub jti: String,
    pub scope: ScopeSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The session (refresh-token family) the token belongs to: revoking the token at
    /// `/revoke` ends the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's token version at issue (see `User::token_version`); absent means 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub token_version: u64,
}

fn is_zero(version: &u64) -> bool {
    *version == 0
}

/// What the token endpoint hands back.
#[derive(Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: ScopeSet,
}

/// The token itself stays out of `Debug` output: it is a credential.
impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}
