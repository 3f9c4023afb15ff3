//! The client credentials grant (RFC 6749 §4.4): a confidential client's token for itself.
//! Its `sub` is the client id (RFC 9068 §2.2); it has no user, no session and no refresh
//! token (§4.4.3).

use super::session::{sign, TokenResponse};
use super::token_request::{optional_scope, TokenRequest};
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ScopeSet};
use crate::error::ApiError;
use crate::tokens::{AccessGrant, TokenSubject};

/// A client credentials grant that has passed every syntactic check.
#[derive(Debug)]
pub struct ClientCredentialsGrant {
    /// `None`: everything the client is allowed.
    pub scope: Option<ScopeSet>,
}

impl ClientCredentialsGrant {
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        Ok(ClientCredentialsGrant {
            scope: optional_scope(request.scope)?,
        })
    }
}

/// Issues `client` (authenticated, and allowed the grant) a token for itself: the scopes it
/// asked for that it is allowed, or all it is allowed when it asked for none.
pub async fn issue(
    state: &AppState,
    client: &Client,
    grant: &ClientCredentialsGrant,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    if !client.is_confidential() {
        // Public clients cannot be allowed the grant (the CLI refuses it); never serve one.
        return Err(ApiError::UnauthorizedClient(
            "only confidential clients may use client_credentials".into(),
        ));
    }
    let granted = match &grant.scope {
        Some(requested) => requested.intersection(&client.allowed_scopes),
        None => client.allowed_scopes.clone(),
    };
    let subject = TokenSubject::Client(client.client_id.clone());
    let access = sign(
        state,
        &AccessGrant {
            subject: &subject,
            scope: &granted,
            client_id: Some(client.client_id.as_str()),
            session: None,
            token_version: 0,
        },
        issuer_url,
        now,
    )
    .await?;
    tracing::info!(event = "token_issued", client_id = %client.client_id, granted = %granted, "client token issued");
    Ok(TokenResponse {
        access,
        refresh_token: None,
    })
}
