//! The one place an [`ApiError`] becomes an HTTP response: status, RFC 6749 / 6750 error
//! code, `WWW-Authenticate` challenge and JSON body. Refusals are logged here too, once.

use axum::http::header::{HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::response::json_response;
use crate::domain::ScopeSet;
use crate::error::ApiError;

/// The error codes RFC 6749 §5.2, RFC 6750 §3.1 and RFC 6749 §4.1.2.1 name, as this service
/// answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    InvalidScope,
    UnsupportedGrantType,
    InvalidToken,
    InsufficientScope,
    TemporarilyUnavailable,
}

impl ErrorCode {
    #[cfg(test)]
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnauthorizedClient,
        ErrorCode::InvalidScope,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::TemporarilyUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// Error body: `detail` for FastAPI clients, `error`/`error_description` where an RFC names one.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub(super) struct ErrorBody {
    /// What went wrong, for people (FastAPI's `detail`).
    detail: String,
    /// The RFC's error code, where one applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorCode>,
    /// The same explanation, where the RFC names the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

/// `Bearer error="…", scope="…"` per RFC 6750 §3.
fn bearer_challenge(error: Option<ErrorCode>, required: &ScopeSet) -> String {
    let mut challenge = String::from("Bearer");
    let mut params = Vec::new();
    if let Some(error) = error {
        params.push(format!("error=\"{}\"", error.as_str()));
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

/// The realm of the Basic challenge of a failed client authentication.
pub const CLIENT_REALM: &str = "token-service";

/// The RFC 6749 §5.2 code of a token endpoint error.
fn token_error_code(err: &ApiError) -> Option<ErrorCode> {
    match err {
        ApiError::InvalidRequest(_) => Some(ErrorCode::InvalidRequest),
        ApiError::InvalidClient { .. } => Some(ErrorCode::InvalidClient),
        ApiError::UnauthorizedClient(_) => Some(ErrorCode::UnauthorizedClient),
        ApiError::InvalidGrant
        | ApiError::InvalidRefreshToken
        | ApiError::InvalidAuthorizationCode => Some(ErrorCode::InvalidGrant),
        ApiError::InvalidScope(_) => Some(ErrorCode::InvalidScope),
        ApiError::UnsupportedGrantType(_) => Some(ErrorCode::UnsupportedGrantType),
        _ => None,
    }
}

/// What the client is told about an error: status, headers and body. [`error_response`] sends
/// it; the OpenAPI document shows it.
pub(super) struct ErrorAnswer {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: ErrorBody,
}

/// The response for `err`. The router adds `Allow` to 405s.
pub fn error_response(err: &ApiError) -> Response {
    let answer = error_answer(err);
    let mut response = json_response(answer.status, &answer.body);
    for (name, value) in answer.headers {
        let value = HeaderValue::from_str(&value).expect("error headers are ASCII");
        response.headers_mut().insert(name, value);
    }
    response
}

pub(super) fn error_answer(err: &ApiError) -> ErrorAnswer {
    let detail = err.to_string();
    let (status, code, description, challenge) = match err {
        // RFC 6749 §5.2: the token endpoint's errors are all 400s, told apart by `error`.
        ApiError::InvalidRequest(_)
        | ApiError::InvalidGrant
        | ApiError::InvalidRefreshToken
        | ApiError::InvalidAuthorizationCode
        | ApiError::UnauthorizedClient(_)
        | ApiError::InvalidScope(_)
        | ApiError::UnsupportedGrantType(_)
        | ApiError::InvalidClient {
            challenge: false, ..
        } => (
            StatusCode::BAD_REQUEST,
            token_error_code(err),
            Some(detail.clone()),
            None,
        ),
        // RFC 6749 §5.2: a client that authenticated with Basic gets a 401 and a challenge
        // (as does every caller of introspection, RFC 7662 §2.3).
        ApiError::InvalidClient {
            challenge: true, ..
        } => (
            StatusCode::UNAUTHORIZED,
            token_error_code(err),
            Some(detail.clone()),
            Some(format!("Basic realm=\"{CLIENT_REALM}\"")),
        ),
        // RFC 6750 §3.1: a malformed request to a protected resource is a 400 with a challenge.
        ApiError::InvalidAuthorization(_) => (
            StatusCode::BAD_REQUEST,
            Some(ErrorCode::InvalidRequest),
            Some(detail.clone()),
            Some(bearer_challenge(
                Some(ErrorCode::InvalidRequest),
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
            Some(ErrorCode::InvalidToken),
            Some(detail.clone()),
            Some(bearer_challenge(Some(ErrorCode::InvalidToken), required)),
        ),
        ApiError::InsufficientScope { required } => (
            StatusCode::FORBIDDEN,
            Some(ErrorCode::InsufficientScope),
            Some(format!("This resource needs the scopes: {required}")),
            Some(bearer_challenge(
                Some(ErrorCode::InsufficientScope),
                required,
            )),
        ),
        ApiError::UserTokenRequired { required } => (
            StatusCode::FORBIDDEN,
            Some(ErrorCode::InsufficientScope),
            Some(format!(
                "This resource needs a user's token (not a client's own) with the scopes: {required}"
            )),
            Some(bearer_challenge(
                Some(ErrorCode::InsufficientScope),
                required,
            )),
        ),
        ApiError::NotFound => (StatusCode::NOT_FOUND, None, None, None),
        ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, None, None, None),
        ApiError::Unavailable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(ErrorCode::TemporarilyUnavailable),
            Some(detail.clone()),
            None,
        ),
    };
    let mut headers = Vec::new();
    if let Some(challenge) = challenge {
        headers.push((WWW_AUTHENTICATE, challenge));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // A store or KMS outage is brief or it is an incident: clients may retry soon.
        headers.push((RETRY_AFTER, "1".to_owned()));
    }
    ErrorAnswer {
        status,
        headers,
        body: ErrorBody {
            detail,
            error: code,
            error_description: description,
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Unavailable { reason } => {
                tracing::error!(event = "service_unavailable", %reason, "service unavailable")
            }
            ApiError::InvalidToken { reason, .. } => tracing::info!(%reason, "token refused"),
            ApiError::InvalidClient { reason, .. } => {
                tracing::info!(%reason, "client authentication refused")
            }
            other => tracing::info!(error = %other, "request refused"),
        }
        error_response(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialize_as_the_rfcs_spell_them() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
        }
    }

    #[test]
    fn challenges_follow_rfc6750() {
        assert_eq!(bearer_challenge(None, &ScopeSet::empty()), "Bearer");
        let me_items = ScopeSet::parse("items me").unwrap();
        assert_eq!(
            bearer_challenge(Some(ErrorCode::InsufficientScope), &me_items),
            "Bearer error=\"insufficient_scope\", scope=\"me items\""
        );
        assert_eq!(
            bearer_challenge(Some(ErrorCode::InvalidToken), &ScopeSet::empty()),
            "Bearer error=\"invalid_token\""
        );
    }
}
