//! The credential of an `Authorization: Bearer` header (RFC 6750 §2.1), read our way: a
//! missing or non-Bearer header is "not authenticated", not a 400 from a typed-header
//! extractor. Written over `HeaderMap` so that it can be fuzzed.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;

use super::issuer::RequestIssuer;
use super::Endpoint;
use crate::app::AppState;
use crate::domain::User;
use crate::error::ApiError;
use crate::oauth::authorize;

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
/// `None` when there is no such header or it is not a Bearer credential.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The user a request's bearer token speaks for, authorized for `endpoint` now.
pub(super) async fn authorized_user(
    state: &AppState,
    issuer: &RequestIssuer,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<User, ApiError> {
    let required = endpoint.required_scopes();
    authorize(
        state,
        bearer_token(headers),
        &required,
        &issuer.0,
        state.now(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_extraction() {
        assert_eq!(bearer_token(&authorization("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&authorization("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&authorization("Bearer")), Some(""));
        assert_eq!(bearer_token(&authorization("Basic abc")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
