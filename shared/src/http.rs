//! HTTP shapes: JSON bodies, the token response, and the single mapping of [`ApiError`] to
//! status, headers and body.

use lambda_http::http::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE,
};
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::errors::ApiError;
use crate::scopes::ScopeSet;
use crate::tokens::IssuedToken;

/// A JSON response that no cache may keep: every answer here is about credentials or a user.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(body).expect("response bodies serialize");
    let mut response = Response::new(Body::Text(
        String::from_utf8(bytes).expect("serde_json writes UTF-8"),
    ));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// RFC 6749 §5.1 success body.
#[derive(Debug, Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: String,
}

pub fn token_response(issued: &IssuedToken) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &TokenBody {
            access_token: &issued.access_token,
            token_type: "bearer",
            expires_in: issued.expires_in,
            scope: issued.scope.to_string(),
        },
    )
}

/// Error body: `detail` for FastAPI clients, `error`/`error_description` where an RFC names one.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

/// `Bearer error="…", scope="…"` per RFC 6750 §3.
fn bearer_challenge(error: Option<&str>, required: &ScopeSet) -> String {
    let mut challenge = String::from("Bearer");
    let mut params = Vec::new();
    if let Some(error) = error {
        params.push(format!("error=\"{error}\""));
    }
    if !required.is_empty() {
        params.push(format!("scope=\"{required}\""));
    }
    if !params.is_empty() {
        challenge.push(' ');
        challenge.push_str(&params.join(", "));
    }
    challenge
}

/// The one place an [`ApiError`] becomes an HTTP response.
pub fn error_response(err: &ApiError) -> Response<Body> {
    let detail = err.to_string();
    let (status, code, description, challenge) = match err {
        // RFC 6749 §5.2: the token endpoint's errors are all 400s, told apart by `error`.
        ApiError::InvalidRequest(_)
        | ApiError::InvalidGrant
        | ApiError::InvalidScope(_)
        | ApiError::UnsupportedGrantType(_) => {
            let code = match err {
                ApiError::InvalidRequest(_) => "invalid_request",
                ApiError::InvalidGrant => "invalid_grant",
                ApiError::InvalidScope(_) => "invalid_scope",
                _ => "unsupported_grant_type",
            };
            (
                StatusCode::BAD_REQUEST,
                Some(code),
                Some(detail.clone()),
                None,
            )
        }
        ApiError::NotAuthenticated => (
            StatusCode::UNAUTHORIZED,
            None,
            None,
            Some(bearer_challenge(None, &ScopeSet::empty())),
        ),
        ApiError::InvalidToken { required, .. } | ApiError::InactiveUser { required } => (
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            Some(detail.clone()),
            Some(bearer_challenge(Some("invalid_token"), required)),
        ),
        ApiError::InsufficientScope { required } => (
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            Some(format!("This resource needs the scopes: {required}")),
            Some(bearer_challenge(Some("insufficient_scope"), required)),
        ),
        ApiError::NotFound => (StatusCode::NOT_FOUND, None, None, None),
        ApiError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, None, None, None),
        ApiError::Unavailable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("temporarily_unavailable"),
            Some(detail.clone()),
            None,
        ),
    };
    let mut response = json_response(
        status,
        &ErrorBody {
            detail,
            error: code,
            error_description: description,
        },
    );
    let headers = response.headers_mut();
    if let Some(challenge) = challenge {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).expect("challenges are ASCII"),
        );
    }
    if let ApiError::MethodNotAllowed { allow } = err {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// True when the request says its body is `application/x-www-form-urlencoded` (any charset
/// parameter, any case).
pub fn is_form_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The credential of an `Authorization: Bearer <token>` header (scheme case-insensitive).
/// `None` when there is no such header or it is not a Bearer credential.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(lambda_http::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    lambda_http::http::HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn form_content_type_detection() {
        for ok in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        ] {
            assert!(
                is_form_urlencoded(&headers(&[("content-type", ok)])),
                "{ok}"
            );
        }
        for bad in [
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
        ] {
            assert!(
                !is_form_urlencoded(&headers(&[("content-type", bad)])),
                "{bad}"
            );
        }
        assert!(!is_form_urlencoded(&HeaderMap::new()));
    }

    #[test]
    fn bearer_extraction() {
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer")])),
            Some("")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Basic abc")])),
            None
        );
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn challenges_follow_rfc6750() {
        assert_eq!(bearer_challenge(None, &ScopeSet::empty()), "Bearer");
        let me_items = ScopeSet::parse("items me").unwrap();
        assert_eq!(
            bearer_challenge(Some("insufficient_scope"), &me_items),
            "Bearer error=\"insufficient_scope\", scope=\"me items\""
        );
        assert_eq!(
            bearer_challenge(Some("invalid_token"), &ScopeSet::empty()),
            "Bearer error=\"invalid_token\""
        );
    }
}
