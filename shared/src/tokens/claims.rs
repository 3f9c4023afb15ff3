//! What an access token says (RFC 9068 §2.2), and what the token endpoint hands back.

use serde::{Deserialize, Serialize};

use super::TokenError;
use crate::clock::UnixSeconds;
use crate::domain::{ClientId, ScopeSet, Username};

/// The `gty` of a token a client got for itself (client credentials): it has no user.
pub const CLIENT_CREDENTIALS_GTY: &str = "client_credentials";

/// The claims of an access token (RFC 9068 §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user's name, or for a client's own token the client id (RFC 9068 §2.2).
    pub sub: String,
    pub aud: String,
    pub exp: UnixSeconds,
    pub iat: UnixSeconds,
    /// Not before (RFC 7519 §4.1.5); never issued here, checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<UnixSeconds>,
    pub jti: String,
    /// Left out when nothing was granted (RFC 6749 §3.3 has no empty scope).
    #[serde(default, skip_serializing_if = "ScopeSet::is_empty")]
    pub scope: ScopeSet,
    /// Always issued now (RFC 9068 §2.2); tokens from before clients were registered lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// [`CLIENT_CREDENTIALS_GTY`] on a client's own token; absent on a user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gty: Option<String>,
    /// The session (refresh-token family) the token belongs to: revoking the token at
    /// `/revoke` ends the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's token version at issue (see `User::token_version`); absent means 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub token_version: u64,
}

/// Whom a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSubject {
    User(Username),
    /// A client's own token (client credentials): `sub` is the client id.
    Client(ClientId),
}

impl AccessClaims {
    /// Whom the token speaks for: a client's own token names itself in both `sub` and
    /// `client_id`; any other token's `sub` must be a username.
    pub fn subject(&self) -> Result<TokenSubject, TokenError> {
        match self.gty.as_deref() {
            None => Username::parse(&self.sub)
                .map(TokenSubject::User)
                .map_err(|_| TokenError::Malformed("sub is not a username".into())),
            Some(CLIENT_CREDENTIALS_GTY) if self.client_id.as_deref() == Some(&self.sub) => {
                ClientId::parse(&self.sub)
                    .map(TokenSubject::Client)
                    .map_err(|_| TokenError::Malformed("sub is not a client id".into()))
            }
            Some(_) => Err(TokenError::Malformed("unexpected gty".into())),
        }
    }
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
