//! The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14).
//!
//! A refresh spends the presented token with a conditional write and hands out a new one in
//! the same family. Exactly one of several concurrent refreshes with a token spends it; within
//! the grace window after that, the token still yields a fresh pair (a client that lost the
//! response, several tabs). After the window, presenting it again is reuse: the session is
//! revoked, so no refresh token of it works any more (its access tokens live until they
//! expire).
//!
//! The family counts its rotations (`generation`) and only a token of the latest generation
//! may rotate it further (a second conditional write). The siblings a grace window hands out
//! therefore cannot grow into a second chain: once one of them has been used, using another
//! is reuse too, so a thief who replays a token within the window is still found out.

use secrecy::ExposeSecret as _;

use super::session::{issue_access, TokenResponse};
use super::token_request::{optional_scope, secret, TokenRequest};
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ClientId, GrantType, ScopeSet};
use crate::error::ApiError;
use crate::sessions::{RefreshRecord, RefreshToken, Spend};

/// A refresh token grant that has passed every syntactic check.
#[derive(Debug)]
pub struct RefreshGrant {
    /// `None` when the presented value cannot be one of ours: refused like an unknown one.
    pub token: Option<RefreshToken>,
    /// The narrower scope asked for; `None` keeps the session's.
    pub scope: Option<ScopeSet>,
}

impl RefreshGrant {
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        let presented = secret(request.refresh_token)
            .ok_or_else(|| ApiError::invalid_request("missing required field: refresh_token"))?;
        Ok(RefreshGrant {
            token: RefreshToken::parse(presented.expose_secret()),
            scope: optional_scope(request.scope)?,
        })
    }
}

/// Exchanges a refresh token presented by `client` for a new access token and a new refresh
/// token.
pub async fn refresh(
    state: &AppState,
    client: &Client,
    grant: &RefreshGrant,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let refused = |reason: &str| {
        tracing::warn!(reason, "refresh refused");
        ApiError::InvalidRefreshToken
    };
    let Some(token) = &grant.token else {
        return Err(refused("not a refresh token"));
    };
    let hash = token.hash();
    let record = state
        .sessions
        .token(&hash)
        .await?
        .ok_or_else(|| refused("unknown refresh token"))?;
    if record.expires_at <= now {
        return Err(refused("refresh token expired"));
    }
    // The token stays bound to the client it was issued to (RFC 6749 §6), checked first
    // so that another client learns nothing of the session (not even its scope), also when the
    // request names none (it is then the default client's request). A session from before
    // clients were registered belongs to the default client.
    let session_client = record.client_id.as_deref().unwrap_or(ClientId::DEFAULT);
    if session_client != client.client_id.as_str() {
        return Err(refused("the session belongs to another client"));
    }
    let family = state
        .sessions
        .family(&record.family)
        .await?
        .ok_or_else(|| refused("no such session"))?;
    if family.revoked_at.is_some() {
        return Err(refused("session revoked"));
    }
    let requested = grant.scope.clone().unwrap_or_else(|| record.scope.clone());
    if !record.scope.contains_all(&requested) {
        return Err(ApiError::InvalidScope(format!(
            "a refresh may narrow the scope `{}`, not widen it",
            record.scope
        )));
    }
    let user = state
        .store
        .get(&record.username)
        .await?
        .ok_or_else(|| refused("user no longer exists"))?;
    if user.disabled {
        return Err(refused("user disabled"));
    }
    if family.token_version != user.token_version {
        return Err(refused(
            "session predates a revocation of the user's tokens",
        ));
    }

    match state.sessions.spend(&hash, now).await? {
        // This token's chain moves the family on, unless a sibling's already did.
        Spend::Spent
            if state
                .sessions
                .advance(&family.id, record.generation)
                .await? => {}
        // Within the window, a sibling of the first child, while no child has rotated yet
        // (the family is at the token's generation or the one after).
        Spend::AlreadySpent { at }
            if now < at.saturating_add(grace(state))
                && family.generation <= record.generation + 1 =>
        {
            tracing::info!(username = %user.username, "spent refresh token presented within the grace window");
        }
        Spend::Unknown => return Err(refused("unknown refresh token")),
        Spend::Spent | Spend::AlreadySpent { .. } => {
            state.sessions.revoke_family(&family.id, now).await?;
            tracing::warn!(event = "refresh_token_reuse", username = %user.username, session = %family.id.as_str(), "refresh token reused: session revoked");
            return Err(ApiError::InvalidRefreshToken);
        }
    }

    let next = RefreshToken::generate();
    state
        .sessions
        .add(&RefreshRecord {
            hash: next.hash(),
            family: family.id.clone(),
            username: user.username.clone(),
            scope: record.scope.clone(),
            client_id: Some(client.client_id.to_string()),
            issued_at: now,
            expires_at: family.expires_at,
            spent_at: None,
            generation: record.generation + 1,
        })
        .await?;
    let granted = requested
        .intersection(&user.allowed_scopes)
        .intersection(&client.allowed_scopes);
    let access = issue_access(state, &user, &granted, client, &family.id, issuer_url, now).await?;
    tracing::info!(username = %user.username, client_id = %client.client_id, granted = %granted, "token refreshed");
    Ok(TokenResponse {
        access,
        refresh_token: client.may_use(GrantType::RefreshToken).then_some(next),
    })
}

fn grace(state: &AppState) -> i64 {
    i64::try_from(state.session_settings.reuse_grace.as_secs()).unwrap_or(0)
}
