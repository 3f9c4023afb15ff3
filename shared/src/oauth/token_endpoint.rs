//! The token endpoint's procedure (RFC 6749 §3.2): authenticate the client, check that it may
//! use the grant it asks for, then run the grant.

use super::client_auth::{authenticate_client, Callers, PresentedClient};
use super::session::TokenResponse;
use super::{
    authorization_code_grant, client_credentials_grant, password_grant, refresh_grant, Grant,
};
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::SourceAddress;
use crate::error::ApiError;

pub async fn exchange(
    state: &AppState,
    presented: &PresentedClient,
    grant: &Grant,
    source: &SourceAddress,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let client = authenticate_client(state, presented, Callers::Any, source, now).await?;
    let grant_type = grant.grant_type();
    if !client.may_use(grant_type) {
        tracing::warn!(client_id = %client.client_id, grant_type = grant_type.as_str(), "grant type not allowed for the client");
        return Err(ApiError::UnauthorizedClient(format!(
            "this client may not use grant_type `{}`",
            grant_type.as_str()
        )));
    }
    match grant {
        Grant::Password(grant) => {
            password_grant::sign_in(state, &client, grant, source, issuer_url, now).await
        }
        Grant::RefreshToken(grant) => {
            refresh_grant::refresh(state, &client, grant, issuer_url, now).await
        }
        Grant::ClientCredentials(grant) => {
            client_credentials_grant::issue(state, &client, grant, issuer_url, now).await
        }
        Grant::AuthorizationCode(grant) => {
            authorization_code_grant::exchange(state, &client, grant, issuer_url, now).await
        }
    }
}
