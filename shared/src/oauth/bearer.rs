//! Bearer-token authorization of a protected resource (RFC 6750, RFC 9068 §4): who the token
//! speaks for, and whether they may use the resource now.

use super::client_auth::find_client;
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ClientId, ScopeSet, User};
use crate::error::ApiError;
use crate::tokens::{AccessClaims, TokenSubject, VerifyError};

/// Longest bearer token looked at; ours are well under 1 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Whom a valid token speaks for, as they are now.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A user, through the client the token was issued to (`None` for tokens from before
    /// clients were registered).
    User { user: User, client: Option<Client> },
    /// A client, for itself (client credentials).
    Client(Client),
}

/// A token whose principal is valid now, and the scopes it still carries: those in the token
/// that its user and client are still allowed (a scope withdrawn after issue stops working at
/// once).
#[derive(Debug, Clone)]
pub struct Authorized {
    pub principal: Principal,
    pub scope: ScopeSet,
}

/// Why a verified token's principal is not valid now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The user is disabled (FastAPI's "Inactive user").
    InactiveUser,
    /// Anything else: reason for logs.
    Invalid(String),
}

/// Checks the principal of verified `claims` as it is now: the user exists, is enabled and
/// has not had its tokens revoked since; the client exists and is enabled. User and client
/// are read at once.
pub async fn resolve(
    state: &AppState,
    claims: &AccessClaims,
) -> Result<Result<Authorized, Refusal>, ApiError> {
    let invalid = |reason: String| Ok(Err(Refusal::Invalid(reason)));
    let subject = match claims.subject() {
        Ok(subject) => subject,
        Err(e) => return invalid(e.to_string()),
    };
    let client_id = match claims.client_id.as_deref().map(ClientId::parse) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return invalid("client_id is not a client id".into()),
    };
    let client_of = |id: Option<ClientId>| async move {
        match id {
            Some(id) => find_client(state, &id).await.map(|c| Some((id, c))),
            None => Ok(None),
        }
    };
    match subject {
        TokenSubject::User(username) => {
            let (user, client) = tokio::join!(state.store.get(&username), client_of(client_id));
            let Some(user) = user? else {
                return invalid(format!("user `{username}` no longer exists"));
            };
            let client = match client? {
                None => None,
                Some((id, None)) => return invalid(format!("client `{id}` no longer exists")),
                Some((id, Some(c))) if c.disabled => {
                    return invalid(format!("client `{id}` is disabled"))
                }
                Some((_, Some(c))) => Some(c),
            };
            if user.disabled {
                return Ok(Err(Refusal::InactiveUser));
            }
            // Disabling, a password change or an operator's revocation ends every earlier token.
            if claims.token_version != user.token_version {
                return invalid(format!(
                    "token of `{username}` issued before its tokens were revoked"
                ));
            }
            let mut scope = claims.scope.intersection(&user.allowed_scopes);
            if let Some(client) = &client {
                scope = scope.intersection(&client.allowed_scopes);
            }
            Ok(Ok(Authorized {
                principal: Principal::User { user, client },
                scope,
            }))
        }
        TokenSubject::Client(id) => match find_client(state, &id).await? {
            None => invalid(format!("client `{id}` no longer exists")),
            Some(c) if c.disabled => invalid(format!("client `{id}` is disabled")),
            Some(client) => Ok(Ok(Authorized {
                scope: claims.scope.intersection(&client.allowed_scopes),
                principal: Principal::Client(client),
            })),
        },
    }
}

/// Authenticates `token` (the credential of an `Authorization: Bearer` header, `None` when
/// there was none) and authorizes it for a resource needing `required`: the token must be
/// from `issuer_url` and valid at `now`, its principal valid now ([`resolve`]), and every
/// required scope still in it.
pub async fn authorize(
    state: &AppState,
    token: Option<&str>,
    required: &ScopeSet,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<Principal, ApiError> {
    let token = token.ok_or(ApiError::NotAuthenticated)?;
    let invalid = |reason: String| ApiError::InvalidToken {
        required: required.clone(),
        reason,
    };
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("token too long".into()));
    }
    let claims = state
        .verifier
        .verify(token, issuer_url, now)
        .await
        .map_err(|e| match e {
            VerifyError::Invalid(e) => invalid(e.to_string()),
            // Keys that cannot be read say nothing about the token: 503, not 401.
            VerifyError::Unavailable(reason) => ApiError::Unavailable { reason },
        })?;
    let authorized = resolve(state, &claims)
        .await?
        .map_err(|refusal| match refusal {
            Refusal::InactiveUser => ApiError::InactiveUser {
                required: required.clone(),
            },
            Refusal::Invalid(reason) => invalid(reason),
        })?;
    if !authorized.scope.contains_all(required) {
        return Err(ApiError::InsufficientScope {
            required: required.clone(),
        });
    }
    Ok(authorized.principal)
}

/// The user of an authorized principal, for resources about a user: a client's own token is
/// refused with `insufficient_scope` (it is valid, but there is no user to answer about).
pub fn user_of(principal: Principal, required: &ScopeSet) -> Result<User, ApiError> {
    match principal {
        Principal::User { user, .. } => Ok(user),
        Principal::Client(_) => Err(ApiError::UserTokenRequired {
            required: required.clone(),
        }),
    }
}
