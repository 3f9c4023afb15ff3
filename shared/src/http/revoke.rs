//! `POST /revoke` (RFC 7009): form `token` and optional `token_type_hint`, and the client's
//! credentials as at `/token`. Answers 200 with an empty JSON object for every well-formed
//! request from the token's client, whether the token was known or not.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{post, MethodRouter};

use super::browser::NotFromAnotherSite;
use super::client_auth::presented_client;
use super::context::ClientSource;
use super::form::{read_form, take_token, TOKEN_PARAMETERS};
use super::issuer::RequestIssuer;
use super::json_response;
use crate::app::AppState;
use crate::error::ApiError;
use crate::oauth::revocation::revoke;
use crate::oauth::{authenticate_client, Callers};

pub(crate) const PARAMETERS: [&str; 4] = TOKEN_PARAMETERS;

pub(super) fn routes() -> MethodRouter<AppState> {
    post(revoke_token)
}

async fn revoke_token(
    State(state): State<AppState>,
    _: NotFromAnotherSite,
    RequestIssuer(issuer): RequestIssuer,
    ClientSource(source): ClientSource,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut fields = read_form(&headers, body, &PARAMETERS)?;
    let token = take_token(&mut fields)?;
    let presented = presented_client(&headers, &mut fields)?;
    let now = state.now();
    let caller = authenticate_client(&state, &presented, Callers::Any, &source, now).await?;
    revoke(&state, &caller, &token, &issuer, now).await?;
    Ok(json_response(StatusCode::OK, &serde_json::json!({})))
}
