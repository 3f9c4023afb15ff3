//! Sessions as the grants use them: starting one at sign-in (a family and its first refresh
//! token), and issuing access tokens that name their session (`sid`).

use super::super::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, GrantType, ScopeSet, User};
use crate::error::ApiError;
use crate::sessions::{Family, FamilyId, RefreshRecord, RefreshToken};
use crate::tokens::{AccessGrant, IssuedToken, TokenSubject};

/// What the token endpoint hands back: an access token and, for a client that may use the
/// refresh grant, the refresh token that continues its session.
#[derive(Debug)]
pub struct TokenResponse {
    pub access: IssuedToken,
    pub refresh_token: Option<RefreshToken>,
}

/// Starts a session for `user` through `client` at sign-in and issues its first pair (the
/// refresh token only if the client may use it; the session is kept either way, so that
/// revocation and introspection see it).
pub(super) async fn start_session(
    state: &AppState,
    user: &User,
    granted: &ScopeSet,
    client: &Client,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let started = start_named_session(
        state,
        FamilyId::generate(),
        user,
        granted,
        client,
        issuer_url,
        now,
    )
    .await?;
    started.ok_or_else(|| ApiError::Unavailable {
        reason: "a new session's random id was taken".into(),
    })
}

/// [`start_session`] under an id chosen before (an authorization code names the session its
/// exchange starts). `None`: the id was barred, by a replay of that code.
pub(super) async fn start_named_session(
    state: &AppState,
    id: FamilyId,
    user: &User,
    granted: &ScopeSet,
    client: &Client,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<Option<TokenResponse>, ApiError> {
    let lifetime = i64::try_from(state.session_settings.refresh_ttl.as_secs()).unwrap_or(i64::MAX);
    let family = Family {
        id,
        username: user.username.clone(),
        created_at: now,
        expires_at: now.saturating_add(lifetime),
        revoked_at: None,
        token_version: user.token_version,
        generation: 0,
        moved_by: None,
    };
    let refresh_token = RefreshToken::generate();
    let first = RefreshRecord {
        hash: refresh_token.hash(),
        family: family.id.clone(),
        username: user.username.clone(),
        scope: granted.clone(),
        client_id: Some(client.client_id.to_string()),
        issued_at: now,
        expires_at: family.expires_at,
        spent_at: None,
        generation: 0,
    };
    // Stored and signed at once; the token is handed out only if the session was stored.
    let (started, access) = tokio::join!(
        state.sessions.start(&family, &first),
        issue_access(state, user, granted, client, &family.id, issuer_url, now),
    );
    if !started? {
        return Ok(None);
    }
    let access = access?;
    Ok(Some(TokenResponse {
        access,
        refresh_token: client
            .may_use(GrantType::RefreshToken)
            .then_some(refresh_token),
    }))
}

/// An access token for `user` through `client` in session `family`.
pub(super) async fn issue_access(
    state: &AppState,
    user: &User,
    scope: &ScopeSet,
    client: &Client,
    family: &FamilyId,
    issuer_url: &str,
    issued_at: UnixSeconds,
) -> Result<IssuedToken, ApiError> {
    let subject = TokenSubject::User(user.username.clone());
    let grant = AccessGrant {
        subject: &subject,
        scope,
        client_id: Some(client.client_id.as_str()),
        session: Some(family.as_str()),
        token_version: user.token_version,
    };
    sign(state, &grant, issuer_url, issued_at).await
}

/// Signs `grant` with the process's issuer: a 503 where there is none or signing fails.
pub(super) async fn sign(
    state: &AppState,
    grant: &AccessGrant<'_>,
    issuer_url: &str,
    issued_at: UnixSeconds,
) -> Result<IssuedToken, ApiError> {
    let issuer = state.issuer.as_ref().ok_or_else(|| ApiError::Unavailable {
        reason: "this process does not issue tokens".into(),
    })?;
    issuer
        .issue_grant(issuer_url, grant, issued_at)
        .await
        .map_err(|e| ApiError::Unavailable {
            reason: format!("signing failed: {e}"),
        })
}
