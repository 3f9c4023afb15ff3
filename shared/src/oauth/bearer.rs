//! Bearer-token authorization of a protected resource (RFC 6750, RFC 9068 §4): who the token
//! speaks for, and whether they may use the resource now.

use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, User};
use crate::error::ApiError;
use crate::tokens::VerifyError;

/// Longest bearer token looked at; ours are well under 1 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Authenticates `token` (the credential of an `Authorization: Bearer` header, `None` when
/// there was none) and authorizes it for a resource needing `required`: the token must be
/// from `issuer_url` and valid at `now`, its user must exist and be enabled, and every required scope must be both
/// in the token and still allowed for the user (a scope withdrawn after issue stops working
/// at once).
pub async fn authorize(
    state: &AppState,
    token: Option<&str>,
    required: &ScopeSet,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<User, ApiError> {
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
    let user = state
        .store
        .get(&claims.sub)
        .await?
        .ok_or_else(|| invalid(format!("user `{}` no longer exists", claims.sub)))?;
    if user.disabled {
        return Err(ApiError::InactiveUser {
            required: required.clone(),
        });
    }
    // Disabling, a password change or an operator's revocation ends every earlier token.
    if claims.token_version != user.token_version {
        return Err(invalid(format!(
            "token of `{}` issued before its tokens were revoked",
            claims.sub
        )));
    }
    let effective = claims.scope.intersection(&user.allowed_scopes);
    if !effective.contains_all(required) {
        return Err(ApiError::InsufficientScope {
            required: required.clone(),
        });
    }
    Ok(user)
}
