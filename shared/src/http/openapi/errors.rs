//! The error answers of each operation, rendered by the one error mapping: every refusal an
//! endpoint can give becomes a named example of its status, with the headers it really
//! carries (`WWW-Authenticate`, `Retry-After`).

use std::collections::BTreeMap;

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderName, StatusCode};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr};

use super::schema_name;
use crate::domain::ScopeSet;
use crate::error::ApiError;
use crate::http::error::{error_answer, ErrorAnswer, ErrorBody};
use crate::http::{Endpoint, MAX_BODY_BYTES};

/// The headers an error answer may carry: name, name as documented, meaning.
const HEADERS: [(HeaderName, &str, &str); 2] = [
    (
        WWW_AUTHENTICATE,
        "WWW-Authenticate",
        "RFC 6750 §3 Bearer challenge (the error code and the scopes the resource needs), or \
         the Basic challenge of a client that failed to authenticate (RFC 6749 §5.2).",
    ),
    (
        RETRY_AFTER,
        "Retry-After",
        "Seconds after which a retry may succeed.",
    ),
];

/// Every refusal `endpoint` can answer, with a name for its example.
pub(super) fn refusals(endpoint: Endpoint) -> Vec<(&'static str, ApiError)> {
    let unavailable = (
        "unavailable",
        ApiError::Unavailable {
            reason: String::new(),
        },
    );
    let mut refusals = match endpoint {
        Endpoint::Token => vec![
            (
                "invalid_request",
                ApiError::invalid_request("missing required field: password"),
            ),
            ("invalid_grant", ApiError::InvalidGrant),
            ("invalid_refresh_token", ApiError::InvalidRefreshToken),
            (
                "invalid_authorization_code",
                ApiError::InvalidAuthorizationCode,
            ),
            (
                "invalid_scope",
                ApiError::InvalidScope("unknown scope `admin`".into()),
            ),
            (
                "unsupported_grant_type",
                ApiError::UnsupportedGrantType("implicit".into()),
            ),
            (
                "unauthorized_client",
                ApiError::UnauthorizedClient(
                    "this client may not use grant_type `password`".into(),
                ),
            ),
            ("invalid_client", ApiError::invalid_client("", false)),
            ("invalid_client_basic", ApiError::invalid_client("", true)),
        ],
        Endpoint::Revoke => vec![
            (
                "invalid_request",
                ApiError::invalid_request("missing required field: token"),
            ),
            (
                "unauthorized_client",
                ApiError::UnauthorizedClient("the token was issued to another client".into()),
            ),
            ("invalid_client", ApiError::invalid_client("", false)),
            ("invalid_client_basic", ApiError::invalid_client("", true)),
        ],
        Endpoint::Introspect => vec![
            (
                "invalid_request",
                ApiError::invalid_request("missing required field: token"),
            ),
            ("invalid_client", ApiError::invalid_client("", true)),
        ],
        _ if endpoint.takes_bearer_token() => {
            bearer_refusals(endpoint.required_scopes(), endpoint.needs_user())
        }
        _ => Vec::new(),
    };
    // Every route refuses a body over the limit before any handler runs.
    if !refusals.iter().any(|(name, _)| *name == "invalid_request") {
        refusals.push(("body_too_large", ApiError::body_too_large(MAX_BODY_BYTES)));
    }
    refusals.push(unavailable);
    refusals
}

/// What a protected resource answers: RFC 6750 §3.1.
fn bearer_refusals(required: ScopeSet, needs_user: bool) -> Vec<(&'static str, ApiError)> {
    let mut refusals = vec![
        (
            "two_credentials",
            ApiError::InvalidAuthorization("more than one Authorization header".into()),
        ),
        ("no_token", ApiError::NotAuthenticated),
        (
            "invalid_token",
            ApiError::InvalidToken {
                required: required.clone(),
                reason: String::new(),
            },
        ),
        (
            "inactive_user",
            ApiError::InactiveUser {
                required: required.clone(),
            },
        ),
    ];
    if !required.is_empty() {
        refusals.push((
            "insufficient_scope",
            ApiError::InsufficientScope {
                required: required.clone(),
            },
        ));
    }
    if needs_user {
        refusals.push(("client_token", ApiError::UserTokenRequired { required }));
    }
    refusals
}

/// The error responses of `endpoint`, by status: each refusal rendered by the error mapping
/// and shown as an example; a header is required where every refusal of the status has it.
pub(super) fn error_responses(endpoint: Endpoint) -> BTreeMap<String, Response> {
    let mut by_status: BTreeMap<StatusCode, Vec<(&str, ErrorAnswer)>> = BTreeMap::new();
    for (name, refusal) in refusals(endpoint) {
        let answer = error_answer(&refusal);
        by_status
            .entry(answer.status)
            .or_default()
            .push((name, answer));
    }
    by_status
        .into_iter()
        .map(|(status, answers)| (status.as_str().to_owned(), response(status, &answers)))
        .collect()
}

fn response(status: StatusCode, answers: &[(&str, ErrorAnswer)]) -> Response {
    let examples = answers.iter().map(|(name, answer)| {
        let body = serde_json::to_value(&answer.body).expect("error bodies serialize");
        (*name, ExampleBuilder::new().value(Some(body)).build())
    });
    let content = ContentBuilder::new()
        .schema(Some(RefOr::Ref(Ref::from_schema_name(schema_name::<
            ErrorBody,
        >()))))
        .examples_from_iter(examples)
        .build();
    let reason = status.canonical_reason().unwrap_or("Error");
    let names: Vec<&str> = answers.iter().map(|(name, _)| *name).collect();
    let mut response = ResponseBuilder::new()
        .description(format!("{reason}: {}", names.join(", ")))
        .content("application/json", content);
    for (header, documented_name, meaning) in &HEADERS {
        let values: Vec<&str> = answers
            .iter()
            .filter_map(|(_, answer)| {
                answer
                    .headers
                    .iter()
                    .find(|(name, _)| name == header)
                    .map(|(_, value)| value.as_str())
            })
            .collect();
        let Some(first) = values.first() else {
            continue;
        };
        // utoipa's Header has no `required` (OpenAPI 3.1 §4.8.21.1 has): set it through the
        // map its fields are flattened with.
        let required = values.len() == answers.len();
        let extensions = Extensions::from_iter([("required", required)]);
        let schema = ObjectBuilder::new().schema_type(Type::String);
        response = response.header(
            *documented_name,
            HeaderBuilder::new()
                .schema(Some(schema))
                .description(Some(*meaning))
                .example(Some(serde_json::Value::String((*first).to_owned())))
                .extensions(Some(extensions))
                .build(),
        );
    }
    response.build()
}
