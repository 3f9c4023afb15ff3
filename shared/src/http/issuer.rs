//! The issuer URL a request is answered as: the configured one, or (deployed without a custom
//! domain) `https://` plus the domain API Gateway received the request on. That domain comes
//! from API Gateway's request context, never from a client's `Host` header.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::context::api_domain;
use crate::app::AppState;
use crate::error::ApiError;

/// The issuer URL of this request (`iss` of the tokens issued and accepted here).
pub(super) struct RequestIssuer(pub String);

impl FromRequestParts<AppState> for RequestIssuer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state
            .verifier
            .settings()
            .issuer
            .resolve(api_domain(&parts.extensions))
            .map(RequestIssuer)
            .ok_or_else(|| ApiError::Unavailable {
                reason: "no configured issuer and no API Gateway domain in the request".into(),
            })
    }
}
