//! `POST /token`: the authorization code grant (RFC 6749 §4.1.3, with PKCE), the password
//! grant (§4.3), the client credentials grant (§4.4) and the refresh token grant (§6) over
//! HTTP.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use secrecy::SecretString;

use super::browser::NotFromAnotherSite;
use super::client_auth::presented_client;
use super::context::ClientSource;
use super::form::read_form;
use super::issuer::RequestIssuer;
use super::response::token_response;
use crate::app::AppState;
use crate::error::ApiError;
use crate::oauth::token_endpoint::exchange;
use crate::oauth::{Grant, TokenRequest};

pub(super) fn routes() -> MethodRouter<AppState> {
    post(issue_token)
}

async fn issue_token(
    State(state): State<AppState>,
    _: NotFromAnotherSite,
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
        code: fields.take("code").map(SecretString::from),
        redirect_uri: fields.take("redirect_uri"),
        code_verifier: fields.take("code_verifier").map(SecretString::from),
    };
    let grant = Grant::parse(request)?;
    let client = presented_client(&headers, &mut fields)?;
    let issued = exchange(&state, &client, &grant, &source, &issuer, state.now()).await?;
    Ok(token_response(&issued))
}
