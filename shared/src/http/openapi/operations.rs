//! One operation per endpoint and method: summary, request body, success answer, the error
//! answers of [`super::errors`], and the scopes the endpoint requires.

use axum::http::Method;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Ref, RefOr, Required};

use super::errors::error_responses;
use super::{schema_name, CLIENT_SCHEME, SECURITY_SCHEME};
use crate::domain::{OwnedItem, Scope, UserProfile, Username};
use crate::http::introspect::IntrospectionBody;
use crate::http::openid_configuration::Discovery;
use crate::http::response::TokenBody;
use crate::http::status::StatusBody;
use crate::http::Endpoint;
use crate::passwords::MAX_PASSWORD_BYTES;
use crate::tokens::MAX_CLIENT_ID_LEN;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

pub(super) fn http_method(method: &Method) -> HttpMethod {
    match *method {
        Method::POST => HttpMethod::Post,
        Method::GET => HttpMethod::Get,
        _ => unreachable!("the API answers GET and POST only: {method}"),
    }
}

/// The operation of `endpoint` (each answers one method).
pub(super) fn operation(endpoint: Endpoint) -> Operation {
    let (id, tag, summary, description) = about(endpoint);
    let mut operation = OperationBuilder::new()
        .operation_id(Some(id))
        .tag(tag)
        .summary(Some(summary))
        .description(Some(description));
    if let Some(body) = request_body(endpoint) {
        operation = operation.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(FORM, ContentBuilder::new().schema(Some(body)).build())
                .build(),
        ));
    }
    operation = operation.response("200", success(endpoint));
    for (status, response) in error_responses(endpoint) {
        operation = operation.response(status.as_str(), response);
    }
    if endpoint.takes_bearer_token() {
        let scopes: Vec<&str> = endpoint
            .required_scopes()
            .iter()
            .map(|scope| scope.as_str())
            .collect();
        operation = operation.security(SecurityRequirement::new(SECURITY_SCHEME, scopes));
    }
    if endpoint.takes_client_credentials() {
        // HTTP Basic, or the form's fields (which an empty requirement stands for).
        operation = operation
            .security(SecurityRequirement::new(
                CLIENT_SCHEME,
                Vec::<String>::new(),
            ))
            .security(SecurityRequirement::default());
    }
    operation.build()
}

/// (operation id, tag, summary, description).
fn about(endpoint: Endpoint) -> (&'static str, &'static str, &'static str, &'static str) {
    match endpoint {
        Endpoint::Token => (
            "issue_token",
            "OAuth2",
            "Sign in, refresh a token, or get a client's own token",
            "The password grant (RFC 6749 §4.3), the refresh token grant (§6) or the client \
             credentials grant (§4.4). The scopes granted are those asked for that the user \
             (if any) and the client may have. Wrong credentials, unknown users, disabled or \
             locked accounts all get the same `invalid_grant`. Requests that name no client \
             are the built-in public client `default`'s; a confidential client authenticates \
             with HTTP Basic or `client_secret` (RFC 6749 §2.3.1), and any failure to is \
             `invalid_client`.",
        ),
        Endpoint::Revoke => (
            "revoke_token",
            "OAuth2",
            "Revoke a token (RFC 7009)",
            "A refresh token ends its session family; an access token ends its session. \
             Unknown tokens get the same `200 {}`. The caller authenticates as at `/token` \
             and may revoke only tokens issued to it.",
        ),
        Endpoint::Introspect => (
            "introspect_token",
            "OAuth2",
            "Introspect a token (RFC 7662)",
            "For confidential clients (HTTP Basic or `client_secret`). Whether an access or \
             refresh token is good now, seeing revocation, disabled users and disabled \
             clients at once: `{\"active\": false}` alone for anything that is not.",
        ),
        Endpoint::UsersMe => (
            "read_users_me",
            "Users",
            "The signed-in user",
            "Needs scope `me`, in a user's token.",
        ),
        Endpoint::UsersMeItems => (
            "read_own_items",
            "Users",
            "The signed-in user's items",
            "Needs scopes `me` and `items`, in a user's token.",
        ),
        Endpoint::Status => (
            "read_system_status",
            "Users",
            "Service status",
            "Needs any valid token, a client's own (client credentials) included.",
        ),
        Endpoint::Jwks => (
            "read_jwks",
            "Discovery",
            "Public signing keys (RFC 7517)",
            "The keys that verify access tokens. Cacheable.",
        ),
        Endpoint::OpenIdConfiguration => (
            "read_openid_configuration",
            "Discovery",
            "Discovery metadata",
            "Issuer, JWKS URL, endpoints and scopes (RFC 8414); also served at \
             `/.well-known/oauth-authorization-server`. Cacheable.",
        ),
        Endpoint::OpenApi | Endpoint::Docs | Endpoint::Authorize => {
            unreachable!("not in the document")
        }
    }
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The form of `endpoint`, if it takes one. Its fields are the parameters the endpoint's
/// parser reads; a unit test holds the two lists together.
fn request_body(endpoint: Endpoint) -> Option<RefOr<Schema>> {
    match endpoint {
        Endpoint::Token => Some(reference("TokenRequest")),
        Endpoint::Revoke => Some(reference("RevocationRequest")),
        Endpoint::Introspect => Some(reference("IntrospectionRequest")),
        _ => None,
    }
}

/// The schemas the operations refer to by name, besides the `ToSchema` types.
pub(super) fn schemas() -> Vec<(String, RefOr<Schema>)> {
    // One form for both grants, as FastAPI's OAuth2PasswordRequestForm is one: Swagger UI
    // renders an object as form fields (a `oneOf` would become a JSON text box). Which fields
    // each grant needs is an `if`/`then`/`else` (JSON Schema 2020-12, which OpenAPI 3.1
    // uses); a request without them gets `invalid_request`. An empty field counts as omitted
    // (RFC 6749 §3.1), hence no `minLength`.
    let names: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
    let scope_name = format!("({})", names.join("|"));
    let token_request = ObjectBuilder::new()
        .description(Some(
            "RFC 6749 §4.3.2 (password), §4.4.2 (client_credentials), §6 (refresh_token) or \
             §4.1.3 with RFC 7636 §4.5 (authorization_code). Parameters the service does not \
             know are ignored.",
        ))
        .property(
            "grant_type",
            string()
                .enum_values(Some([
                    "password",
                    "refresh_token",
                    "client_credentials",
                    "authorization_code",
                ]))
                .default(Some("password".into()))
                .description(Some("`password` when omitted (or empty).")),
        )
        .property(
            "username",
            string()
                .max_length(Some(Username::MAX_LEN))
                .pattern(Some(format!("^[A-Za-z0-9{}]*$", Username::SYMBOLS)))
                .description(Some("Password grant: required."))
                .examples(["johndoe"]),
        )
        .property(
            "password",
            string()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
                .max_length(Some(MAX_PASSWORD_BYTES))
                .description(Some(format!(
                    "Password grant: required; at most {MAX_PASSWORD_BYTES} bytes."
                )))
                .examples([""]),
        )
        .property(
            "refresh_token",
            string()
                .description(Some("Refresh token grant: required."))
                .examples([""]),
        )
        .property(
            "code",
            string()
                .description(Some(
                    "Authorization code grant: required; the code the redirect carried.",
                ))
                .examples([""]),
        )
        .property(
            "redirect_uri",
            string()
                .description(Some(
                    "Authorization code grant: the authorization request's `redirect_uri`, \
                     exactly, if it sent one.",
                ))
                .examples([""]),
        )
        .property(
            "code_verifier",
            string()
                .description(Some(
                    "Authorization code grant: the PKCE verifier (RFC 7636) the \
                     `code_challenge` was made from (S256).",
                ))
                .examples([""]),
        )
        .property(
            "scope",
            string()
                .pattern(Some(format!("^ *({scope_name}( +{scope_name})*)? *$")))
                .description(Some(
                    "Space-separated: `me`, `items`. A refresh may ask for the same or fewer; \
                     client credentials without one get all the client may have.",
                ))
                .examples(["me items"]),
        );
    let token_request =
        with_client_credentials(token_request).extensions(Some(Extensions::from_iter([
            (
                "if",
                serde_json::json!({
                    "properties": {"grant_type": {"const": "refresh_token"}},
                    "required": ["grant_type"],
                }),
            ),
            ("then", serde_json::json!({"required": ["refresh_token"]})),
            (
                "else",
                serde_json::json!({
                    "if": {
                        "properties": {"grant_type": {"const": "client_credentials"}},
                        "required": ["grant_type"],
                    },
                    "then": {},
                    "else": {
                        "if": {
                            "properties": {"grant_type": {"const": "authorization_code"}},
                            "required": ["grant_type"],
                        },
                        "then": {"required": ["code"]},
                        "else": {"required": ["username", "password"]},
                    },
                }),
            ),
        ])));
    let token_to_look_at = |what: &str| {
        ObjectBuilder::new()
            .property(
                "token",
                string()
                    .min_length(Some(1))
                    .description(Some(format!("An access token or a refresh token {what}."))),
            )
            .required("token")
            .property(
                "token_type_hint",
                string().description(Some("Ignored: the two kinds are told apart by shape.")),
            )
    };
    let revocation_request = with_client_credentials(token_to_look_at("to revoke"));
    let introspection_request = with_client_credentials(token_to_look_at("to look at"));
    let empty = ObjectBuilder::new()
        .description(Some("An empty object."))
        .max_properties(Some(0));
    let jwk = ObjectBuilder::new()
        .property("kty", string())
        .required("kty")
        .property("kid", string())
        .property("use", string())
        .property("alg", string())
        .property("n", string())
        .property("e", string());
    let jwks = ObjectBuilder::new()
        .property("keys", ArrayBuilder::new().items(jwk))
        .required("keys");
    vec![
        ("TokenRequest".into(), token_request.into()),
        ("RevocationRequest".into(), revocation_request.into()),
        ("IntrospectionRequest".into(), introspection_request.into()),
        ("Empty".into(), empty.into()),
        // jsonwebtoken's JwkSet, which has no schema of its own: what RFC 7517 §5 requires
        // and the RSA members this service publishes (schemathesis checks real answers).
        ("JsonWebKeySet".into(), jwks.into()),
    ]
}

/// A form with the client's own credentials (RFC 6749 §2.3.1) added: `client_id`, and
/// `client_secret` for `client_secret_post` (or HTTP Basic instead, which the document
/// declares as the `ClientSecretBasic` scheme).
fn with_client_credentials(form: ObjectBuilder) -> ObjectBuilder {
    form.property(
        "client_id",
        string()
            .max_length(Some(MAX_CLIENT_ID_LEN))
            .pattern(Some("^[!-~]*$"))
            .description(Some(
                "The client (RFC 6749 §2.2): omitted, the built-in public client `default`.",
            ))
            .examples([""]),
    )
    .property(
        "client_secret",
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
            .max_length(Some(MAX_PASSWORD_BYTES))
            .description(Some(
                "A confidential client's secret (`client_secret_post`); or send both in HTTP \
                 Basic (`client_secret_basic`), never both ways.",
            ))
            .examples([""]),
    )
}

/// The `200` answer of `endpoint`.
fn success(endpoint: Endpoint) -> Response {
    let (description, schema): (&str, RefOr<Schema>) = match endpoint {
        Endpoint::Token => (
            "Tokens issued (RFC 6749 §5.1)",
            reference(&schema_name::<TokenBody>()),
        ),
        Endpoint::Revoke => (
            "Revoked, or not a token of this service",
            reference("Empty"),
        ),
        Endpoint::Introspect => (
            "Whether the token is active, and if so what it grants",
            reference(&schema_name::<IntrospectionBody>()),
        ),
        Endpoint::UsersMe => ("The user", reference(&schema_name::<UserProfile>())),
        Endpoint::UsersMeItems => (
            "The user's items",
            ArrayBuilder::new()
                .items(reference(&schema_name::<OwnedItem>()))
                .into(),
        ),
        Endpoint::Status => (
            "The service answers",
            reference(&schema_name::<StatusBody>()),
        ),
        Endpoint::Jwks => ("The public keys", reference("JsonWebKeySet")),
        Endpoint::OpenIdConfiguration => ("The metadata", reference(&schema_name::<Discovery>())),
        Endpoint::OpenApi | Endpoint::Docs | Endpoint::Authorize => {
            unreachable!("not in the document")
        }
    };
    ResponseBuilder::new()
        .description(description)
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}
