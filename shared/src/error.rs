//! Every way a request can fail, as one type. `http::error` is the only place these become
//! status codes, headers and bodies.

use crate::domain::ScopeSet;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// RFC 6749 §5.2 `invalid_request`: missing or repeated field, wrong content type, bad body.
    #[error("{0}")]
    InvalidRequest(String),
    /// RFC 6749 §5.2 `invalid_grant`: one answer for unknown user, wrong password, disabled or
    /// locked account, so none of them can be told apart.
    #[error("Incorrect username or password")]
    InvalidGrant,
    /// RFC 6749 §5.2 `invalid_grant` for a refresh token that is unknown, expired, spent,
    /// or whose session or user was revoked.
    #[error("Refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    /// RFC 6749 §5.2 `invalid_grant` for an authorization code that is unknown, expired,
    /// used before, issued to another client or redirect URI, or whose PKCE verifier does
    /// not match (RFC 7636 §4.6). One answer for all of them; the reason is logged.
    #[error("Authorization code is invalid, expired or already used, or the code_verifier or redirect_uri does not match")]
    InvalidAuthorizationCode,
    /// RFC 6749 §5.2 `invalid_client`: an unknown or disabled client, a wrong or missing
    /// secret, two authentication methods at once. One answer for all of them; `reason` is
    /// for logs. `challenge`: answer 401 with a Basic challenge (the client used Basic, or
    /// the endpoint is introspection, RFC 7662 §2.3), else 400.
    #[error("Client authentication failed")]
    InvalidClient { reason: String, challenge: bool },
    /// RFC 6749 §5.2 `unauthorized_client`: the client may not use this grant type (or
    /// revoke a token issued to another client).
    #[error("{0}")]
    UnauthorizedClient(String),
    /// RFC 6749 §5.2 `invalid_scope`: a scope name the service does not know.
    #[error("{0}")]
    InvalidScope(String),
    /// RFC 6749 §5.2 `unsupported_grant_type`.
    #[error("grant_type `{0}` is not supported; use `authorization_code`, `password`, `refresh_token` or `client_credentials`")]
    UnsupportedGrantType(String),
    /// RFC 6750 §3.1 `invalid_request` on a protected resource: more than one credential.
    #[error("{0}")]
    InvalidAuthorization(String),
    /// RFC 6750 §3.1: no credentials, or not Bearer ones. No `error` attribute.
    #[error("Not authenticated")]
    NotAuthenticated,
    /// RFC 6750 `invalid_token`: bad signature, expired, malformed, wrong claims, unknown user.
    /// `reason` is for logs; clients see the generic detail.
    #[error("Could not validate credentials")]
    InvalidToken { required: ScopeSet, reason: String },
    /// `invalid_token` for a valid token whose user is disabled.
    #[error("Inactive user")]
    InactiveUser { required: ScopeSet },
    /// RFC 6750 `insufficient_scope`.
    #[error("Not enough permissions")]
    InsufficientScope { required: ScopeSet },
    /// RFC 6750 `insufficient_scope` for a client's own token (client credentials) at a
    /// resource that needs a user.
    #[error("Not enough permissions")]
    UserTokenRequired { required: ScopeSet },
    /// No route for the path, or a route this function does not serve.
    #[error("Not Found")]
    NotFound,
    /// The path exists but not with this method; the router adds `Allow`.
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    /// The user store (or the signer) failed. `reason` is for logs.
    #[error("Service temporarily unavailable")]
    Unavailable { reason: String },
}

impl ApiError {
    pub fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::InvalidRequest(message.into())
    }

    pub fn invalid_client(reason: impl Into<String>, challenge: bool) -> Self {
        ApiError::InvalidClient {
            reason: reason.into(),
            challenge,
        }
    }

    pub fn body_too_large(limit: usize) -> Self {
        ApiError::InvalidRequest(format!("request body must be at most {limit} bytes"))
    }
}

/// A store failure is never an answer about credentials: it is a 503.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::Unavailable {
            reason: err.to_string(),
        }
    }
}

/// A key set that cannot be read is a 503, like any store.
impl From<crate::keys::KeyStoreError> for ApiError {
    fn from(err: crate::keys::KeyStoreError) -> Self {
        ApiError::Unavailable {
            reason: err.to_string(),
        }
    }
}
