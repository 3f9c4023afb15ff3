//! A token request (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6) as the client sent it, and the parsing its
//! grants share. Which grant it asks for is [`super::Grant`]'s to say; the client's own
//! credentials (`client_id`, `client_secret`, HTTP Basic) are read apart, into a
//! [`super::PresentedClient`].

use secrecy::{ExposeSecret as _, SecretString};

use crate::domain::ScopeSet;
use crate::error::ApiError;

/// The grant parameters of a token request, as the client sent them. A parameter sent
/// without a value counts as omitted (§3.1). `Debug` shows neither the password, the refresh
/// token nor the unchecked username (people type passwords into the username field).
#[derive(Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub scope: Option<String>,
    /// Authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5).
    pub code: Option<SecretString>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<SecretString>,
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
            .field("code", &secret(&self.code))
            .field("redirect_uri", &self.redirect_uri)
            .field("code_verifier", &secret(&self.code_verifier))
            .finish()
    }
}

impl TokenRequest {
    /// The parameter names a token request may carry, the client's own included; others
    /// are ignored (§3.2).
    pub const PARAMETERS: [&'static str; 10] = [
        "grant_type",
        "username",
        "password",
        "refresh_token",
        "scope",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
        "client_secret",
    ];
}

/// A secret parameter's value, `None` when omitted or empty.
pub(super) fn secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|v| !v.expose_secret().is_empty())
}

/// An optional `scope` parameter: `None` when omitted or empty, else every name known.
pub(super) fn optional_scope(value: Option<String>) -> Result<Option<ScopeSet>, ApiError> {
    match value.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => ScopeSet::parse(&text)
            .map(Some)
            .map_err(|e| ApiError::InvalidScope(e.to_string())),
    }
}
