//! `GET /.well-known/openid-configuration`: discovery metadata (OpenID Connect Discovery 1.0
//! §3, RFC 8414 §2), which is how API Gateway's JWT authorizer and other verifiers find the
//! JWKS. The service is an OAuth 2.0 token service, not an OpenID provider: it has no
//! authorization endpoint and issues no ID tokens; the README lists what is not implemented.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use serde::Serialize;

use super::issuer::RequestIssuer;
use super::{jwks, public_json_response, Endpoint};
use crate::app::AppState;
use crate::domain::Scope;

pub(super) const PATH: &str = "/.well-known/openid-configuration";
const MAX_AGE_SECONDS: u32 = 3600;

/// Discovery metadata (RFC 8414 §2).
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Discovery {
    issuer: String,
    jwks_uri: String,
    token_endpoint: String,
    revocation_endpoint: String,
    scopes_supported: Vec<&'static str>,
    #[schema(value_type = Vec<String>)]
    grant_types_supported: &'static [&'static str],
    /// Required by discovery; empty because there is no authorization endpoint.
    #[schema(value_type = Vec<String>)]
    response_types_supported: &'static [&'static str],
    #[schema(value_type = Vec<String>)]
    subject_types_supported: &'static [&'static str],
    /// Required by OpenID discovery; the service issues no ID tokens, and this is the
    /// algorithm of its access tokens.
    #[schema(value_type = Vec<String>)]
    id_token_signing_alg_values_supported: [&'static str; 1],
    #[schema(value_type = Vec<String>)]
    token_endpoint_auth_methods_supported: &'static [&'static str],
    #[schema(value_type = Vec<String>)]
    revocation_endpoint_auth_methods_supported: &'static [&'static str],
    #[schema(value_type = Vec<String>)]
    claims_supported: &'static [&'static str],
}

pub(super) fn routes() -> MethodRouter<AppState> {
    get(discovery)
}

async fn discovery(
    State(state): State<AppState>,
    RequestIssuer(issuer): RequestIssuer,
) -> Response {
    // The access tokens' algorithm: RS256, or HS256 in the local opt-in (whose key the JWKS
    // never shows).
    let algorithm = match state.verifier.algorithm() {
        jsonwebtoken::Algorithm::HS256 => "HS256",
        _ => "RS256",
    };
    let document = Discovery {
        jwks_uri: format!("{issuer}{}", jwks::PATH),
        token_endpoint: format!("{issuer}{}", Endpoint::Token.path()),
        revocation_endpoint: format!("{issuer}{}", Endpoint::Revoke.path()),
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        grant_types_supported: &["password", "refresh_token"],
        response_types_supported: &[],
        subject_types_supported: &["public"],
        id_token_signing_alg_values_supported: [algorithm],
        // Public clients: there are no client secrets to present.
        token_endpoint_auth_methods_supported: &["none"],
        revocation_endpoint_auth_methods_supported: &["none"],
        claims_supported: &[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "scope",
            "client_id",
            "sid",
            "token_version",
        ],
        issuer,
    };
    public_json_response(&document, MAX_AGE_SECONDS)
}
