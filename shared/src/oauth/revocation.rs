//! Token revocation (RFC 7009). A refresh token revokes its whole session. An access token is
//! stateless and stays valid until it expires (revoking one alone is not possible: say so),
//! but its session is revoked, so the next refresh fails. Unknown, invalid or already revoked
//! tokens are answered like successes (§2.2). The caller is authenticated like at the token
//! endpoint, and may revoke only tokens issued to it (§2.1).

use super::super::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ClientId};
use crate::error::ApiError;
use crate::sessions::{FamilyId, RefreshToken};
use crate::tokens::VerifyError;

/// Refuses a token of another client. `issued_to` is `None` for access tokens from before
/// clients were registered: anyone holding one may end its session.
fn check_owner(caller: &Client, issued_to: Option<&str>) -> Result<(), ApiError> {
    match issued_to {
        Some(owner) if owner != caller.client_id.as_str() => {
            tracing::warn!(client_id = %caller.client_id, "revocation of another client's token refused");
            Err(ApiError::UnauthorizedClient(
                "the token was issued to another client".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// Longest token looked at.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub async fn revoke(
    state: &AppState,
    caller: &Client,
    token: &str,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<(), ApiError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Ok(());
    }
    // `token_type_hint` only speeds up a lookup (§2.1); both kinds are told apart by shape.
    if let Some(refresh) = RefreshToken::parse(token) {
        if let Some(record) = state.sessions.token(&refresh.hash()).await? {
            // Sessions from before clients were registered belong to the default client.
            check_owner(
                caller,
                Some(record.client_id.as_deref().unwrap_or(ClientId::DEFAULT)),
            )?;
            state.sessions.revoke_family(&record.family, now).await?;
            tracing::info!(username = %record.username, "session revoked by its refresh token");
        }
        return Ok(());
    }
    // An expired access token still names its session (and proves it was ours).
    match state
        .verifier
        .verify_ignoring_expiry(token, issuer_url, now)
        .await
    {
        Ok(claims) => {
            check_owner(caller, claims.client_id.as_deref())?;
            if let Some(sid) = claims.sid {
                state
                    .sessions
                    .revoke_family(&FamilyId::from(sid), now)
                    .await?;
                tracing::info!(username = %claims.sub, "session revoked by its access token");
            }
            Ok(())
        }
        Err(VerifyError::Invalid(_)) => Ok(()),
        // Keys that cannot be read say nothing about the token.
        Err(VerifyError::Unavailable(reason)) => Err(ApiError::Unavailable { reason }),
    }
}
