//! `POST /token`: the password grant (RFC 6749 §4.3) and the refresh token grant (§6) over
//! HTTP.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use secrecy::SecretString;

use super::context::ClientSource;
use super::form::read_form;
use super::issuer::RequestIssuer;
use super::response::token_response;
use crate::app::AppState;
use crate::error::ApiError;
use crate::oauth::password_grant::sign_in;
use crate::oauth::refresh_grant::refresh;
use crate::oauth::{Grant, TokenRequest};

pub(super) fn routes() -> MethodRouter<AppState> {
    post(issue_token)
}

async fn issue_token(
    State(state): State<AppState>,
    RequestIssuer(issuer): RequestIssuer,
    ClientSource(source): ClientSource,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut fields = read_form(&headers, body, &TokenRequest::PARAMETERS)?;
    let request = TokenRequest {
        grant_type: fields.take("grant_type"),
        username: fields.take("username"),
        password: fields.take("password").map(SecretString::from),
        refresh_token: fields.take("refresh_token").map(SecretString::from),
        scope: fields.take("scope"),
        client_id: fields.take("client_id"),
    };
    let now = state.now();
    let issued = match Grant::parse(request)? {
        Grant::Password(grant) => sign_in(&state, &grant, &source, &issuer, now).await?,
        Grant::RefreshToken(grant) => refresh(&state, &grant, &issuer, now).await?,
    };
    Ok(token_response(&issued))
}
