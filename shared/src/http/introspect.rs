//! `POST /introspect` (RFC 7662): form `token` and optional `token_type_hint`, from a
//! confidential client authenticated as at `/token`. Answers `{"active": false}` alone for any
//! token that is not good now.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use serde::Serialize;

use super::browser::NotFromAnotherSite;
use super::client_auth::presented_client;
use super::context::ClientSource;
use super::form::{read_form, take_token, TOKEN_PARAMETERS};
use super::issuer::RequestIssuer;
use super::json_response;
use crate::app::AppState;
use crate::error::ApiError;
use crate::oauth::introspection::{introspect, ActiveToken};
use crate::oauth::{authenticate_client, Callers};

pub(crate) const PARAMETERS: [&str; 4] = TOKEN_PARAMETERS;

pub(super) fn routes() -> MethodRouter<AppState> {
    post(introspect_token)
}

async fn introspect_token(
    State(state): State<AppState>,
    _: NotFromAnotherSite,
    RequestIssuer(issuer): RequestIssuer,
    ClientSource(source): ClientSource,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut fields = read_form(&headers, body, &PARAMETERS)?;
    let presented = presented_client(&headers, &mut fields)?;
    let now = state.now();
    // The caller first: nothing about a token is said to an unauthenticated one.
    let caller =
        authenticate_client(&state, &presented, Callers::Confidential, &source, now).await?;
    let token = take_token(&mut fields)?;
    let answer = introspect(&state, &token, &issuer, now).await?;
    tracing::info!(caller = %caller.client_id, active = answer.is_some(), "token introspected");
    Ok(json_response(
        StatusCode::OK,
        &IntrospectionBody::from(answer),
    ))
}

/// RFC 7662 §2.2 response: `active`, and for an active token what it grants.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Introspection)]
pub(super) struct IntrospectionBody {
    /// Whether the token is good now; an inactive token gets nothing else.
    active: bool,
    /// The scopes the token still carries, space-separated; left out when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// The user's name, or a client's own token's client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    /// A user's token only.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// `Bearer` for access tokens, `refresh_token` for refresh tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    /// Access tokens only.
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    /// Access tokens only.
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

impl From<Option<ActiveToken>> for IntrospectionBody {
    fn from(answer: Option<ActiveToken>) -> Self {
        match answer {
            None => IntrospectionBody {
                active: false,
                scope: None,
                client_id: None,
                sub: None,
                username: None,
                token_type: None,
                exp: None,
                iat: None,
                iss: None,
                aud: None,
                jti: None,
            },
            Some(token) => IntrospectionBody {
                active: true,
                scope: (!token.scope.is_empty()).then(|| token.scope.to_string()),
                client_id: Some(token.client_id),
                sub: Some(token.sub),
                username: token.username,
                token_type: Some(token.kind.as_str()),
                exp: Some(token.exp),
                iat: Some(token.iat),
                iss: Some(token.iss),
                aud: token.aud,
                jti: token.jti,
            },
        }
    }
}
