//! A token request (RFC 6749 §4.3.2, §6) as the client sent it, and the grant it asks for.

use secrecy::{ExposeSecret as _, SecretString};

use super::password_grant::PasswordGrant;
use super::refresh_grant::RefreshGrant;
use crate::error::ApiError;
use crate::tokens::MAX_CLIENT_ID_LEN;

/// The parameters of a token request, as the client sent them. A parameter sent without a
/// value counts as omitted (§3.1). `Debug` shows neither the password, the refresh token nor
/// the unchecked username (people type passwords into the username field).
#[derive(Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |value: &Option<String>| value.as_ref().map(|_| "<given>");
        let secret = |value: &Option<SecretString>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("username", &given(&self.username))
            .field("password", &secret(&self.password))
            .field("refresh_token", &secret(&self.refresh_token))
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl TokenRequest {
    /// The parameter names a token request may carry; others are ignored (§3.2).
    pub const PARAMETERS: [&'static str; 6] = [
        "grant_type",
        "username",
        "password",
        "refresh_token",
        "scope",
        "client_id",
    ];
}

/// The grants the token endpoint supports, each parsed by its own file.
#[derive(Debug)]
pub enum Grant {
    /// `grant_type=password` (or none: FastAPI's form makes it optional).
    Password(PasswordGrant),
    /// `grant_type=refresh_token` (RFC 6749 §6).
    RefreshToken(RefreshGrant),
}

impl Grant {
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        match request.grant_type.as_deref().filter(|g| !g.is_empty()) {
            None | Some("password") => Ok(Grant::Password(PasswordGrant::parse(request)?)),
            Some("refresh_token") => Ok(Grant::RefreshToken(RefreshGrant::parse(request)?)),
            Some(other) => {
                let shown: String = other.chars().take(64).collect();
                Err(ApiError::UnsupportedGrantType(shown))
            }
        }
    }
}

/// A `client_id` carried into tokens: 1 to [`MAX_CLIENT_ID_LEN`] visible ASCII characters.
pub(super) fn client_id(value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(id) if id.len() <= MAX_CLIENT_ID_LEN && id.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(id))
        }
        Some(_) => Err(ApiError::invalid_request(format!(
            "client_id must be 1 to {MAX_CLIENT_ID_LEN} visible ASCII characters"
        ))),
    }
}

/// A secret parameter's value, `None` when omitted or empty.
pub(super) fn secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|v| !v.expose_secret().is_empty())
}
