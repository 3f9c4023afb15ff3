//! Token introspection (RFC 7662): whether a token is good now, as a resource server asks it.
//! Unlike a check against the JWKS it sees revocation at once: a revoked session, a disabled
//! or revoked user and a disabled client all make a token inactive.

use super::bearer::{resolve, Principal, MAX_TOKEN_BYTES};
use super::client_auth::find_client;
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{ClientId, ScopeSet};
use crate::error::ApiError;
use crate::sessions::{FamilyId, RefreshToken};
use crate::tokens::VerifyError;

/// What introspection tells about an active token (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveToken {
    pub scope: ScopeSet,
    pub client_id: String,
    /// The user's name, or a client's own token's client id.
    pub sub: String,
    /// A user's token only.
    pub username: Option<String>,
    pub kind: TokenKind,
    pub exp: UnixSeconds,
    pub iat: UnixSeconds,
    pub iss: String,
    /// Access tokens only.
    pub aud: Option<String>,
    pub jti: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    /// The `token_type` of RFC 7662 §2.2: how the token is used.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "Bearer",
            TokenKind::Refresh => "refresh_token",
        }
    }
}

/// Introspects `token`: `None` for anything not good now (expired, revoked, of a disabled or
/// revoked user or a disabled client, unknown key, garbage). A store that fails is a 503, never
/// an answer about the token.
pub async fn introspect(
    state: &AppState,
    token: &str,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<Option<ActiveToken>, ApiError> {
    let inactive = |reason: &str| {
        tracing::info!(reason, "introspection: inactive");
        Ok(None)
    };
    if token.len() > MAX_TOKEN_BYTES {
        return inactive("token too long");
    }
    // `token_type_hint` only speeds up a lookup (§2.1); both kinds are told apart by shape.
    if let Some(refresh) = RefreshToken::parse(token) {
        return introspect_refresh(state, &refresh, issuer_url, now).await;
    }
    let claims = match state.verifier.verify(token, issuer_url, now).await {
        Ok(claims) => claims,
        Err(VerifyError::Invalid(e)) => return inactive(&e.to_string()),
        Err(VerifyError::Unavailable(reason)) => return Err(ApiError::Unavailable { reason }),
    };
    let session = async {
        match &claims.sid {
            Some(sid) => state
                .sessions
                .family(&FamilyId::from(sid.clone()))
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let (authorized, session) = tokio::join!(resolve(state, &claims), session);
    let authorized = match authorized? {
        Ok(authorized) => authorized,
        Err(refusal) => return inactive(&format!("{refusal:?}")),
    };
    match session? {
        Some(None) => return inactive("no such session"),
        Some(Some(family)) if family.revoked_at.is_some() => return inactive("session revoked"),
        _ => {}
    }
    let (username, client_id) = match &authorized.principal {
        Principal::User { user, client } => (
            Some(user.username.to_string()),
            client
                .as_ref()
                .map(|c| c.client_id.to_string())
                .unwrap_or_else(|| ClientId::DEFAULT.to_owned()),
        ),
        Principal::Client(client) => (None, client.client_id.to_string()),
    };
    Ok(Some(ActiveToken {
        scope: authorized.scope,
        client_id,
        sub: claims.sub,
        username,
        kind: TokenKind::Access,
        exp: claims.exp,
        iat: claims.iat,
        iss: claims.iss,
        aud: Some(claims.aud),
        jti: Some(claims.jti),
    }))
}

/// A refresh token is active while it could be exchanged: unspent, unexpired, its session
/// alive, its user enabled and unrevoked, its client enabled.
async fn introspect_refresh(
    state: &AppState,
    token: &RefreshToken,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<Option<ActiveToken>, ApiError> {
    let inactive = |reason: &str| {
        tracing::info!(reason, "introspection: inactive refresh token");
        Ok(None)
    };
    let Some(record) = state.sessions.token(&token.hash()).await? else {
        return inactive("unknown refresh token");
    };
    if record.expires_at <= now || record.spent_at.is_some() {
        return inactive("refresh token expired or spent");
    }
    let client_id = record
        .client_id
        .as_deref()
        .and_then(|id| ClientId::parse(id).ok())
        .unwrap_or_else(ClientId::default_client);
    let (family, user, client) = tokio::join!(
        state.sessions.family(&record.family),
        state.store.get(&record.username),
        find_client(state, &client_id),
    );
    let (family, user, client) = (family?, user?, client?);
    let Some(family) = family.filter(|f| f.revoked_at.is_none()) else {
        return inactive("session revoked");
    };
    let Some(user) = user.filter(|u| !u.disabled && u.token_version == family.token_version) else {
        return inactive("user disabled, removed or revoked");
    };
    let Some(client) = client.filter(|c| !c.disabled) else {
        return inactive("client disabled or removed");
    };
    Ok(Some(ActiveToken {
        scope: record
            .scope
            .intersection(&user.allowed_scopes)
            .intersection(&client.allowed_scopes),
        client_id: client.client_id.to_string(),
        sub: user.username.to_string(),
        username: Some(user.username.to_string()),
        kind: TokenKind::Refresh,
        exp: record.expires_at,
        iat: record.issued_at,
        iss: issuer_url.to_owned(),
        aud: None,
        jti: None,
    }))
}
