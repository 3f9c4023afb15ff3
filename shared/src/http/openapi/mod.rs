//! `GET /openapi.json`: the OpenAPI 3.1 document of the API. It is built from what the router
//! is built from: the endpoint table (paths, methods, required scopes), the types the handlers
//! serialize (`ToSchema`), the parameter lists the form parsers accept, and the one error
//! mapping (each error an operation can answer is rendered by [`super::error_response`]). The
//! service tests check every answer they get against it; schemathesis checks it from outside.

mod errors;
mod operations;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use axum::response::Response;
use axum::routing::{get, MethodRouter};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{
    AuthorizationCode, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password,
    Scopes, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, RefOr,
};

use super::error::ErrorBody;
use super::introspect::IntrospectionBody;
use super::openid_configuration::Discovery;
use super::response::public_static_response;
use super::response::TokenBody;
use super::status::StatusBody;
use super::Endpoint;
use crate::app::AppState;
use crate::domain::{OwnedItem, Scope, UserProfile};

pub(super) const PATH: &str = "/openapi.json";
/// The document changes only with a deployment.
const MAX_AGE_SECONDS: u32 = 600;
/// The security scheme's name, as FastAPI's tutorial names it.
pub const SECURITY_SCHEME: &str = "OAuth2PasswordBearer";
/// The scheme of a confidential client's HTTP Basic credentials at `/token`, `/revoke` and
/// `/introspect` (`client_secret_basic`).
pub const CLIENT_SCHEME: &str = "ClientSecretBasic";

pub(super) fn routes() -> MethodRouter<AppState> {
    get(serve_document)
}

/// The document is the same for every request: built and serialized once per process.
async fn serve_document() -> Response {
    static DOCUMENT: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = DOCUMENT.get_or_init(|| {
        document()
            .to_json()
            .expect("the document is plain data and serializes")
            .into_bytes()
    });
    public_static_response("application/json", bytes, MAX_AGE_SECONDS)
}

/// The endpoints the document describes: the API, not the documentation itself (as FastAPI
/// leaves `/docs` and `/openapi.json` out of its own document), nor the sign-in page, which
/// is for people's browsers (discovery names it as `authorization_endpoint`).
pub fn documented(endpoint: Endpoint) -> bool {
    !matches!(
        endpoint,
        Endpoint::OpenApi | Endpoint::Docs | Endpoint::Authorize
    )
}

/// The OpenAPI 3.1 document of every documented endpoint, at its canonical path.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for endpoint in Endpoint::ALL.into_iter().filter(|e| documented(*e)) {
        let [method] = endpoint.methods() else {
            unreachable!("{endpoint:?}: one operation per endpoint")
        };
        let item = PathItem::new(
            operations::http_method(method),
            operations::operation(endpoint),
        );
        paths = paths.path(endpoint.path(), item);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("OAuth2 with scopes")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "FastAPI's \"OAuth2 with scopes\" as a serverless service: sign in with the \
                     password grant at `/token`, then call the resources with the bearer token. \
                     `/token`, `/revoke` and the resources also answer with the other form of \
                     their trailing slash.",
                ))
                .build(),
        )
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(SECURITY_SCHEME, security_scheme())
                .security_scheme(
                    CLIENT_SCHEME,
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Basic)
                            .description(Some(
                                "A confidential client's id and secret (RFC 6749 §2.3.1), \
                                 each form-urlencoded.",
                            ))
                            .build(),
                    ),
                )
                .schemas_from_iter(schema_with_dependencies::<ErrorBody>())
                .schemas_from_iter(schema_with_dependencies::<UserProfile>())
                .schemas_from_iter(schema_with_dependencies::<OwnedItem>())
                .schemas_from_iter(schema_with_dependencies::<TokenBody>())
                .schemas_from_iter(schema_with_dependencies::<StatusBody>())
                .schemas_from_iter(schema_with_dependencies::<Discovery>())
                .schemas_from_iter(schema_with_dependencies::<IntrospectionBody>())
                .schemas_from_iter(operations::schemas())
                .build(),
        ))
        .build()
}

/// The password flow and the client credentials flow at the token endpoint, with every scope
/// and what it allows: what Swagger UI's Authorize dialog offers.
fn security_scheme() -> SecurityScheme {
    let scopes = || {
        Scopes::from_iter(
            Scope::ALL
                .into_iter()
                .map(|scope| (scope.as_str(), scope.description())),
        )
    };
    // Relative: the page, the API and the token endpoint share one origin wherever the
    // service runs (127.0.0.1 or localhost, API Gateway's domain or a custom one).
    SecurityScheme::OAuth2(OAuth2::with_description(
        [
            Flow::AuthorizationCode(AuthorizationCode::new(
                Endpoint::Authorize.path(),
                Endpoint::Token.path(),
                scopes(),
            )),
            Flow::Password(Password::new(Endpoint::Token.path(), scopes())),
            Flow::ClientCredentials(ClientCredentials::new(Endpoint::Token.path(), scopes())),
        ],
        "The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) through the \
         service's sign-in page (in Swagger UI, client_id `docs`, the public client registered \
         for this page), the OAuth2 password grant (§4.3) for the tutorial's clients, or the client credentials grant \
         (§4.4) for a confidential client's own token; access tokens are RS256 JWTs (RFC 9068) \
         sent as `Authorization: Bearer <token>`.",
    ))
}

/// A serialized type's schema and those it refers to (the error body's `ErrorCode`).
fn schema_with_dependencies<T: utoipa::ToSchema>() -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = vec![(schema_name::<T>(), T::schema())];
    T::schemas(&mut schemas);
    schemas
}

/// The name components use for a `ToSchema` type, for `$ref`s.
fn schema_name<T: utoipa::ToSchema>() -> String {
    T::name().into_owned()
}
