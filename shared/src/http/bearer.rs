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
use crate::oauth::bearer::user_of;
use crate::oauth::{authorize, Principal};

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC
/// 7235 §2.1). `None` when there is no such header or it is not a Bearer credential.
///
/// More than one credential is a malformed request (RFC 6750 §3.1 `invalid_request`): several
/// `Authorization` headers, or one holding a comma-separated list (API Gateway joins repeated
/// headers with commas, and a token68 never contains one).
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::InvalidAuthorization(
            "more than one Authorization header".into(),
        ));
    }
    let Ok(value) = value.to_str() else {
        return Ok(None);
    };
    if value.contains(',') {
        return Err(ApiError::InvalidAuthorization(
            "more than one credential in the Authorization header".into(),
        ));
    }
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    Ok(scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()))
}

/// Whom a request's bearer token speaks for (a user, or a client for itself), authorized
/// for `endpoint` now.
pub(super) async fn authorized_principal(
    state: &AppState,
    issuer: &RequestIssuer,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<Principal, ApiError> {
    let required = endpoint.required_scopes();
    authorize(
        state,
        bearer_token(headers)?,
        &required,
        &issuer.0,
        state.now(),
    )
    .await
}

/// The user a request's bearer token speaks for, authorized for `endpoint` now: a client's
/// own token is refused (403 `insufficient_scope`: there is no user to answer about).
pub(super) async fn authorized_user(
    state: &AppState,
    issuer: &RequestIssuer,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<User, ApiError> {
    let principal = authorized_principal(state, issuer, headers, endpoint).await?;
    user_of(principal, &endpoint.required_scopes())
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
        let token = |value: &str| {
            bearer_token(&authorization(value))
                .unwrap()
                .map(str::to_owned)
        };
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("bEaReR abc").as_deref(), Some("abc"));
        assert_eq!(token("Bearer").as_deref(), Some(""));
        assert_eq!(token("Basic abc"), None);
        assert_eq!(bearer_token(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn more_than_one_credential_is_an_invalid_request() {
        assert!(matches!(
            bearer_token(&authorization("Bearer abc, Bearer def")),
            Err(ApiError::InvalidAuthorization(_))
        ));
        let mut headers = authorization("Bearer abc");
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer def"));
        assert!(matches!(
            bearer_token(&headers),
            Err(ApiError::InvalidAuthorization(_))
        ));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any visible header value: an answer, never a panic.
            #[test]
            fn any_authorization_value_is_handled(value in "[ -~]{0,300}") {
                if let Ok(header) = HeaderValue::from_str(&value) {
                    let mut headers = HeaderMap::new();
                    headers.insert(AUTHORIZATION, header);
                    let _ = bearer_token(&headers);
                }
            }

            /// `Bearer <token68>` in any letter case gives the token back.
            #[test]
            fn a_bearer_token68_is_extracted(
                scheme in "[bB][eE][aA][rR][eE][rR]",
                token in "[A-Za-z0-9._~+/-]{1,200}=*",
            ) {
                let headers = authorization(&format!("{scheme} {token}"));
                prop_assert_eq!(bearer_token(&headers).unwrap(), Some(token.as_str()));
            }
        }
    }
}
