//! Success bodies: JSON that no cache may keep, since nearly every answer here is about
//! credentials or a user; and the public documents (JWKS, discovery) that caches should keep.

use axum::body::Body;
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use crate::oauth::TokenResponse;

/// A JSON response with `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).expect("response bodies are plain data and serialize");
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// A public JSON document any cache may keep for `max_age` seconds (the JWKS, discovery).
pub fn public_json_response<T: Serialize>(body: &T, max_age: u32) -> Response {
    let bytes = serde_json::to_vec(body).expect("documents are plain data and serialize");
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, cache_for(max_age));
    response
}

/// A public file built into the binary (the OpenAPI document, the docs page's files), which
/// any cache may keep for `max_age` seconds.
pub(super) fn public_static_response(
    content_type: &'static str,
    bytes: &'static [u8],
    max_age: u32,
) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, cache_for(max_age));
    response
}

fn cache_for(max_age: u32) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .expect("digits are a valid header value")
}

/// RFC 6749 §5.1 success body.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Token)]
pub(super) struct TokenBody<'a> {
    /// An RS256 JWT access token (RFC 9068).
    access_token: &'a str,
    #[schema(pattern = "^bearer$")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// The scopes granted, space-separated; left out when none was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    /// Exchanged at `/token` with `grant_type=refresh_token` for a new pair. Not issued to
    /// clients that may not use the refresh grant (client credentials among them).
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

pub fn token_response(issued: &TokenResponse) -> Response {
    json_response(
        StatusCode::OK,
        &TokenBody {
            access_token: &issued.access.access_token,
            token_type: "bearer",
            expires_in: issued.access.expires_in,
            scope: (!issued.access.scope.is_empty()).then(|| issued.access.scope.to_string()),
            refresh_token: issued.refresh_token.as_ref().map(|token| token.expose()),
        },
    )
}
