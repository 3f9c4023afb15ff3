//! The token endpoint's procedure (RFC 6749 §3.2): authenticate the client, check that it may
//! use the grant it asks for, then run the grant, with independent store calls at once.

use std::future::Future;

use super::authenticate::Candidate;
use super::client_auth::{authenticate_client, authenticate_client_then, Callers, PresentedClient};
use super::session::TokenResponse;
use super::{
    authorization_code_grant, client_credentials_grant, password_grant, refresh_grant, Grant,
};
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, SourceAddress};
use crate::error::ApiError;
use crate::store::StoreError;

/// Authenticates the client, checks that it may use `grant`, and runs the grant. The grant's
/// first read (the account a password grant names, the record of a refresh token or of a
/// code) depends on nothing the client proves, so it runs beside the client's authentication: one round trip
/// instead of two. What it found is used only once the client is accepted.
pub async fn exchange(
    state: &AppState,
    presented: &PresentedClient,
    grant: &Grant,
    source: &SourceAddress,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let client = async {
        let client = authenticate_client(state, presented, Callers::Any, source, now).await?;
        allowed(&client, grant)?;
        Ok(client)
    };
    match grant {
        Grant::Password(grant) => {
            let (client, candidate) = beside(
                client,
                Candidate::read(state.store.as_ref(), &grant.username),
            )
            .await?;
            password_grant::sign_in(state, &client, grant, candidate, source, issuer_url, now).await
        }
        Grant::RefreshToken(grant) => {
            let (client, record) = beside(client, refresh_grant::read(state, grant)).await?;
            refresh_grant::refresh(state, &client, grant, record, issuer_url, now).await
        }
        Grant::ClientCredentials(credentials) => {
            // Signed while the client's sign-in counters settle.
            let issue = async |client: &Client| {
                allowed(client, grant)?;
                client_credentials_grant::issue(state, client, credentials, issuer_url, now).await
            };
            let (_, issued) =
                authenticate_client_then(state, presented, Callers::Any, source, now, issue)
                    .await?;
            issued
        }
        Grant::AuthorizationCode(grant) => {
            // The code is read beside the client's authentication; it is spent by a write,
            // only once the client is known.
            let (client, found) =
                beside(client, authorization_code_grant::find(state, grant, now)).await?;
            authorization_code_grant::exchange(state, &client, grant, found, issuer_url, now).await
        }
    }
}

/// Whether `client` may use the grant it asks for (RFC 6749 §5.2 `unauthorized_client`).
fn allowed(client: &Client, grant: &Grant) -> Result<(), ApiError> {
    let grant_type = grant.grant_type();
    if client.may_use(grant_type) {
        return Ok(());
    }
    tracing::warn!(
        client_id = %client.client_id,
        grant_type = grant_type.as_str(),
        "grant type not allowed for the client"
    );
    Err(ApiError::UnauthorizedClient(format!(
        "this client may not use grant_type `{}`",
        grant_type.as_str()
    )))
}

/// The client's authentication and a read, at the same time. A refused client's answer wins
/// over whatever the read found (or failed with): the read's result is not looked at.
async fn beside<T>(
    client: impl Future<Output = Result<Client, ApiError>>,
    read: impl Future<Output = Result<T, StoreError>>,
) -> Result<(Client, T), ApiError> {
    let (client, read) = tokio::join!(client, read);
    Ok((client?, read?))
}
