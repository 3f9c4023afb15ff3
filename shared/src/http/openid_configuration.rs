//! `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`: one
//! discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2) at both paths. The first
//! is how API Gateway's JWT authorizer finds the JWKS; the second is RFC 8414's default, where
//! OAuth client libraries (oauth4webapi) look. The service is an OAuth 2.0 authorization
//! server (the code flow with PKCE, RFC 9207's `iss`), not an OpenID provider: it issues no ID
//! tokens; the README lists what is not implemented.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use serde::Serialize;

use super::issuer::RequestIssuer;
use super::{jwks, public_json_response, Endpoint};
use crate::app::AppState;
use crate::domain::{GrantType, Scope};
use crate::oauth::AuthMethod;

/// The OpenID path first (the one the template's authorizer and the tutorial's readers know),
/// then RFC 8414's.
pub(super) const PATHS: [&str; 2] = [
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
];
const MAX_AGE_SECONDS: u32 = 3600;

/// Discovery metadata (RFC 8414 §2).
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Discovery {
    issuer: String,
    jwks_uri: String,
    /// The hosted sign-in page (RFC 6749 §3.1).
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    scopes_supported: Vec<&'static str>,
    grant_types_supported: Vec<&'static str>,
    /// `code` only: no implicit flow (RFC 9700 §2.1.2).
    #[schema(value_type = Vec<String>)]
    response_types_supported: &'static [&'static str],
    #[schema(value_type = Vec<String>)]
    response_modes_supported: &'static [&'static str],
    /// `S256` only, required of every client (RFC 7636, RFC 9700 §2.1.1).
    #[schema(value_type = Vec<String>)]
    code_challenge_methods_supported: &'static [&'static str],
    /// Every authorization response carries `iss` (RFC 9207).
    authorization_response_iss_parameter_supported: bool,
    #[schema(value_type = Vec<String>)]
    subject_types_supported: &'static [&'static str],
    /// Required by OpenID discovery; the service issues no ID tokens, and this is the
    /// algorithm of its access tokens.
    #[schema(value_type = Vec<String>)]
    id_token_signing_alg_values_supported: [&'static str; 1],
    /// `client_secret_basic` and `client_secret_post` for confidential clients, `none` for
    /// public ones.
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Confidential clients only.
    introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    #[schema(value_type = Vec<String>)]
    claims_supported: &'static [&'static str],
}

/// The grant types the token endpoint serves.
const SERVED_GRANT_TYPES: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Password,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
];

/// The client authentication methods (RFC 7591 names), with `none` where public clients are
/// served.
fn auth_methods(public_clients: bool) -> Vec<&'static str> {
    let mut methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    if public_clients {
        methods.push("none");
    }
    methods
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
    let algorithm = state.verifier.algorithm_name();
    let document = Discovery {
        jwks_uri: format!("{issuer}{}", jwks::PATH),
        authorization_endpoint: format!("{issuer}{}", Endpoint::Authorize.path()),
        token_endpoint: format!("{issuer}{}", Endpoint::Token.path()),
        revocation_endpoint: format!("{issuer}{}", Endpoint::Revoke.path()),
        introspection_endpoint: format!("{issuer}{}", Endpoint::Introspect.path()),
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        grant_types_supported: SERVED_GRANT_TYPES.iter().map(|g| g.as_str()).collect(),
        response_types_supported: &["code"],
        response_modes_supported: &["query"],
        code_challenge_methods_supported: &["S256"],
        authorization_response_iss_parameter_supported: true,
        subject_types_supported: &["public"],
        id_token_signing_alg_values_supported: [algorithm],
        token_endpoint_auth_methods_supported: auth_methods(true),
        revocation_endpoint_auth_methods_supported: auth_methods(true),
        introspection_endpoint_auth_methods_supported: auth_methods(false),
        claims_supported: &[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "scope",
            "client_id",
            "gty",
            "sid",
            "token_version",
        ],
        issuer,
    };
    public_json_response(&document, MAX_AGE_SECONDS)
}
