//! The sign-in page's browser sessions: which user a browser's cookie still signs in, and
//! starting one after a sign-in on the page.

use axum::http::HeaderMap;

use super::cookies::{cookie, SESSION_COOKIE};
use crate::app::AppState;
use crate::browser_sessions::{BrowserSession, BrowserSessionSecret};

/// The user a browser session cookie still signs in, if the browser sent one.
pub(super) async fn signed_in_browser(
    state: &AppState,
    headers: &HeaderMap,
    secure: bool,
) -> Result<Option<crate::domain::User>, crate::store::StoreError> {
    if state.session_settings.browser_ttl.is_zero() {
        return Ok(None);
    }
    let secret = cookie(headers, SESSION_COOKIE, secure).and_then(BrowserSessionSecret::parse);
    let Some(secret) = secret else {
        return Ok(None);
    };
    let now = state.now();
    let Some(session) = state.browser_sessions.get(&secret.hash(), now).await? else {
        return Ok(None);
    };
    let user = state.store.get(&session.username).await?;
    Ok(user.filter(|user| session.signs_in(user, now)))
}

/// Starts a browser session for `user`, returning its cookie's secret; `None` when browser
/// sessions are off or could not be stored (the sign-in stands either way).
pub(super) async fn start_browser_session(
    state: &AppState,
    user: &crate::domain::User,
) -> Option<(BrowserSessionSecret, u64)> {
    let ttl = state.session_settings.browser_ttl.as_secs();
    if ttl == 0 {
        return None;
    }
    let now = state.now();
    let secret = BrowserSessionSecret::generate();
    let session = BrowserSession {
        username: user.username.clone(),
        token_version: user.token_version,
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
    };
    match state.browser_sessions.start(&secret.hash(), &session).await {
        Ok(()) => Some((secret, ttl)),
        Err(err) => {
            tracing::error!(error = %err, "could not store a browser session");
            None
        }
    }
}
