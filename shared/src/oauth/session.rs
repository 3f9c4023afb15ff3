//! Sessions as the grants use them: starting one at sign-in (a family and its first refresh
//! token), and issuing access tokens that name their session (`sid`).

use super::super::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, User};
use crate::error::ApiError;
use crate::sessions::{Family, FamilyId, RefreshRecord, RefreshToken};
use crate::tokens::{AccessGrant, IssuedToken};

/// What the token endpoint hands back: an access token and the refresh token that continues
/// its session.
#[derive(Debug)]
pub struct TokenResponse {
    pub access: IssuedToken,
    pub refresh_token: RefreshToken,
}

/// Starts a session for `user` at sign-in and issues its first pair.
pub(super) async fn start_session(
    state: &AppState,
    user: &User,
    granted: &ScopeSet,
    client_id: Option<&str>,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let lifetime = i64::try_from(state.session_settings.refresh_ttl.as_secs()).unwrap_or(i64::MAX);
    let family = Family {
        id: FamilyId::generate(),
        username: user.username.clone(),
        created_at: now,
        expires_at: now.saturating_add(lifetime),
        revoked_at: None,
        token_version: user.token_version,
        generation: 0,
    };
    let refresh_token = RefreshToken::generate();
    let first = RefreshRecord {
        hash: refresh_token.hash(),
        family: family.id.clone(),
        username: user.username.clone(),
        scope: granted.clone(),
        client_id: client_id.map(str::to_owned),
        issued_at: now,
        expires_at: family.expires_at,
        spent_at: None,
        generation: 0,
    };
    state.sessions.start(&family, &first).await?;
    let access = issue_access(state, user, granted, client_id, &family.id, issuer_url, now).await?;
    Ok(TokenResponse {
        access,
        refresh_token,
    })
}

/// An access token for `user` in session `family`.
pub(super) async fn issue_access(
    state: &AppState,
    user: &User,
    scope: &ScopeSet,
    client_id: Option<&str>,
    family: &FamilyId,
    issuer_url: &str,
    issued_at: UnixSeconds,
) -> Result<IssuedToken, ApiError> {
    let issuer = state.issuer.as_ref().ok_or_else(|| ApiError::Unavailable {
        reason: "this process does not issue tokens".into(),
    })?;
    let grant = AccessGrant {
        subject: &user.username,
        scope,
        client_id,
        session: Some(family.as_str()),
        token_version: user.token_version,
    };
    issuer
        .issue_grant(issuer_url, &grant, issued_at)
        .await
        .map_err(|e| ApiError::Unavailable {
            reason: format!("signing failed: {e}"),
        })
}
