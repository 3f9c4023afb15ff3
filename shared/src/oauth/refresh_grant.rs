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
use crate::domain::{Client, ClientId, GrantType, ScopeSet, User};
use crate::error::ApiError;
use crate::sessions::{Family, RefreshRecord, RefreshToken, Spend};
use crate::store::StoreError;

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

/// The stored record of the presented token (`None`: not one of ours), read before the client
/// is known to be the one it was issued to (the token endpoint reads it beside the client's
/// authentication; [`refresh`] checks the binding before anything else).
pub async fn read(
    state: &AppState,
    grant: &RefreshGrant,
) -> Result<Option<RefreshRecord>, StoreError> {
    match &grant.token {
        Some(token) => state.sessions.token(&token.hash()).await,
        None => Ok(None),
    }
}

/// Exchanges a refresh token presented by `client`, whose stored `record` [`read`] found, for
/// a new access token and a new refresh token.
pub async fn refresh(
    state: &AppState,
    client: &Client,
    grant: &RefreshGrant,
    record: Option<RefreshRecord>,
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
    let record = record.ok_or_else(|| refused("unknown refresh token"))?;
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
    // The session and its user at once; the session's answers come first, as they would if
    // read one after the other.
    let (family, user) = tokio::join!(
        state.sessions.family(&record.family),
        state.store.get(&record.username),
    );
    let family = family?.ok_or_else(|| refused("no such session"))?;
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
    let user = user?.ok_or_else(|| refused("user no longer exists"))?;
    if user.disabled {
        return Err(refused("user disabled"));
    }
    if family.token_version != user.token_version {
        return Err(refused(
            "session predates a revocation of the user's tokens",
        ));
    }

    // Whether this token's rotation must move the family on.
    let advance = match state.sessions.spend(&hash, now).await? {
        Spend::Spent => true,
        // Within the window, a sibling of the first child. The retry moves the family on as
        // the rotation that spent the token does (or would have, had it not failed after the
        // spend), and the one conditional write decides: it lands if the family is still at
        // the token's generation, or finds its work done if this token's rotation moved it
        // (whichever of the two writes second); if another token's rotation moved it, this is
        // a second chain, which is reuse. A family moved before stores kept who moved it
        // (`moved_by` absent) is taken at its word, one generation ahead, as it was then.
        Spend::AlreadySpent { at }
            if now < at.saturating_add(grace(state))
                && family.generation <= record.generation + 1 =>
        {
            tracing::info!(username = %user.username, "spent refresh token presented within the grace window");
            family.moved_by.is_some() || family.generation == record.generation
        }
        Spend::Unknown => return Err(refused("unknown refresh token")),
        Spend::AlreadySpent { .. } => return Err(reuse(state, &family, &user, now).await),
    };

    // Moving the family on, storing the next token and signing, at once: the next token and
    // the access token are handed out only if the family moved (otherwise the next record
    // is left in a revoked session, unreachable: its token was never sent).
    let next = RefreshToken::generate();
    let next_record = RefreshRecord {
        hash: next.hash(),
        family: family.id.clone(),
        username: user.username.clone(),
        scope: record.scope.clone(),
        client_id: Some(client.client_id.to_string()),
        issued_at: now,
        expires_at: family.expires_at,
        spent_at: None,
        generation: record.generation + 1,
    };
    let granted = requested
        .intersection(&user.allowed_scopes)
        .intersection(&client.allowed_scopes);
    let (advanced, added, access) = tokio::join!(
        async {
            if advance {
                state
                    .sessions
                    .advance(&family.id, record.generation, &hash)
                    .await
            } else {
                Ok(true)
            }
        },
        state.sessions.add(&next_record),
        issue_access(state, &user, &granted, client, &family.id, issuer_url, now),
    );
    if !advanced? {
        return Err(reuse(state, &family, &user, now).await);
    }
    added?;
    let access = access?;
    tracing::info!(username = %user.username, client_id = %client.client_id, granted = %granted, "token refreshed");
    Ok(TokenResponse {
        access,
        refresh_token: client.may_use(GrantType::RefreshToken).then_some(next),
    })
}

/// A token presented again after its window, or a sibling's chain that already moved on:
/// the session is revoked (a 503 if that cannot be written, never a new pair).
async fn reuse(state: &AppState, family: &Family, user: &User, now: UnixSeconds) -> ApiError {
    if let Err(err) = state.sessions.revoke_family(&family.id, now).await {
        return err.into();
    }
    tracing::warn!(
        event = "refresh_token_reuse",
        username = %user.username,
        session = %family.id.as_str(),
        "refresh token reused: session revoked"
    );
    ApiError::InvalidRefreshToken
}

fn grace(state: &AppState) -> i64 {
    i64::try_from(state.session_settings.reuse_grace.as_secs()).unwrap_or(0)
}
