//! The issuer URL a request is answered as: the configured one, or (deployed without a custom
//! domain) `https://` plus the domain API Gateway received the request on. That domain comes
//! from API Gateway's request context, never from a client's `Host` header.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

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
            .resolve(api_domain(parts))
            .map(RequestIssuer)
            .ok_or_else(|| ApiError::Unavailable {
                reason: "no configured issuer and no API Gateway domain in the request".into(),
            })
    }
}

/// The domain of the API Gateway request context, when the request came through Lambda.
fn api_domain(parts: &Parts) -> Option<&str> {
    match parts
        .extensions
        .get::<lambda_http::request::RequestContext>()?
    {
        lambda_http::request::RequestContext::ApiGatewayV2(context) => {
            context.domain_name.as_deref()
        }
        // The enum is non-exhaustive; the functions receive HTTP API (v2) events only.
        _ => None,
    }
}
