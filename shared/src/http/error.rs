//! The one place an [`ApiError`] becomes an HTTP response: status, RFC 6749 / 6750 error
//! code, `WWW-Authenticate` challenge and JSON body. Refusals are logged here too, once.

use axum::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::response::json_response;
use crate::domain::ScopeSet;
use crate::error::ApiError;

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

/// The RFC 6749 §5.2 code of a token endpoint error.
fn token_error_code(err: &ApiError) -> Option<&'static str> {
    match err {
        ApiError::InvalidRequest(_) => Some("invalid_request"),
        ApiError::InvalidGrant | ApiError::InvalidRefreshToken => Some("invalid_grant"),
        ApiError::InvalidScope(_) => Some("invalid_scope"),
        ApiError::UnsupportedGrantType(_) => Some("unsupported_grant_type"),
        _ => None,
    }
}

/// The response for `err`. The router adds `Allow` to 405s.
pub fn error_response(err: &ApiError) -> Response {
    let detail = err.to_string();
    let (status, code, description, challenge) = match err {
        // RFC 6749 §5.2: the token endpoint's errors are all 400s, told apart by `error`.
        ApiError::InvalidRequest(_)
        | ApiError::InvalidGrant
        | ApiError::InvalidRefreshToken
        | ApiError::InvalidScope(_)
        | ApiError::UnsupportedGrantType(_) => (
            StatusCode::BAD_REQUEST,
            token_error_code(err),
            Some(detail.clone()),
            None,
        ),
        // RFC 6750 §3.1: a malformed request to a protected resource is a 400 with a challenge.
        ApiError::InvalidAuthorization(_) => (
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
            Some(detail.clone()),
            Some(bearer_challenge(
                Some("invalid_request"),
                &ScopeSet::empty(),
            )),
        ),
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
        ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, None, None, None),
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
    if let Some(challenge) = challenge {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).expect("challenges are ASCII"),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // A store or KMS outage is brief or it is an incident: clients may retry soon.
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Unavailable { reason } => {
                tracing::error!(event = "service_unavailable", %reason, "service unavailable")
            }
            ApiError::InvalidToken { reason, .. } => tracing::info!(%reason, "token refused"),
            other => tracing::info!(error = %other, "request refused"),
        }
        error_response(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
