//! Token revocation (RFC 7009). A refresh token revokes its whole session. An access token is
//! stateless and stays valid until it expires (revoking one alone is not possible: say so),
//! but its session is revoked, so the next refresh fails. Unknown, invalid or already revoked
//! tokens are answered like successes (§2.2).

use super::super::app::AppState;
use crate::clock::UnixSeconds;
use crate::error::ApiError;
use crate::sessions::{FamilyId, RefreshToken};
use crate::tokens::VerifyError;

/// Longest token looked at.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub async fn revoke(
    state: &AppState,
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
