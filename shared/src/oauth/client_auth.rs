//! Client authentication (RFC 6749 §2.3): who is asking, proven where the client has a
//! secret. One procedure for the token, revocation and introspection endpoints.
//!
//! A secret is checked like a password: the attempt is counted against the sign-in budgets
//! first (the client's own, and the address's shared with password sign-ins), then exactly
//! one Argon2 verification runs whether the client exists or not, so an unknown client costs
//! what a wrong secret costs.

use crate::app::AppState;
use crate::attempts::SignInCounters;
use crate::clients::ClientSecret;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ClientId, SourceAddress};
use crate::error::ApiError;
use crate::store::StoreError;

/// How a request named its client, as the HTTP layer read it (header and form).
#[derive(Debug)]
pub enum PresentedClient {
    /// No client named: the built-in default client, if the operator keeps it on.
    Anonymous,
    /// `client_id` alone: a public client.
    Id(ClientId),
    /// `client_id` and `client_secret`, from HTTP Basic or the form.
    WithSecret {
        id: ClientId,
        secret: ClientSecret,
        method: AuthMethod,
    },
}

/// RFC 7591 names of the two ways a secret is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 2] = [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

/// Which clients an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// Public clients by id, confidential ones by secret (token, revocation).
    Any,
    /// Confidential clients only, by secret (introspection, RFC 7662 §2.1). Refusals there
    /// are 401s with a Basic challenge whatever the method (§2.3).
    Confidential,
}

impl PresentedClient {
    /// Whether a refusal must be a 401 with a Basic challenge (RFC 6749 §5.2).
    fn used_basic(&self) -> bool {
        matches!(
            self,
            PresentedClient::WithSecret {
                method: AuthMethod::ClientSecretBasic,
                ..
            }
        )
    }
}

/// The registered client `id` names, or the built-in default client (when it is on). `None`
/// for an unknown client.
pub async fn find_client(state: &AppState, id: &ClientId) -> Result<Option<Client>, StoreError> {
    if id.is_default() {
        return Ok(state.anonymous_client.then(Client::built_in_default));
    }
    state.clients.get(id).await
}

/// Authenticates the client a request presented, for an endpoint serving `callers`.
pub async fn authenticate_client(
    state: &AppState,
    presented: &PresentedClient,
    callers: Callers,
    source: &SourceAddress,
    now: UnixSeconds,
) -> Result<Client, ApiError> {
    let (client, ()) =
        authenticate_client_then(state, presented, callers, source, now, async |_| ()).await?;
    Ok(client)
}

/// [`authenticate_client`], then `then` with the client accepted. Where a secret was checked,
/// `then` runs while the sign-in counters settle, so the caller waits for one round of
/// writes, not two.
pub async fn authenticate_client_then<T>(
    state: &AppState,
    presented: &PresentedClient,
    callers: Callers,
    source: &SourceAddress,
    now: UnixSeconds,
    then: impl AsyncFnOnce(&Client) -> T,
) -> Result<(Client, T), ApiError> {
    let challenge = presented.used_basic() || callers == Callers::Confidential;
    let refuse = |reason: &str, client: Option<&ClientId>| {
        tracing::warn!(
            event = "client_authentication_failed",
            client_id = client.map(ClientId::as_str),
            %source,
            reason,
            "client authentication failed"
        );
        ApiError::invalid_client(reason, challenge)
    };
    let client = match presented {
        PresentedClient::Anonymous => {
            if callers == Callers::Confidential {
                return Err(refuse("no client credentials", None));
            }
            find_client(state, &ClientId::default_client())
                .await?
                .ok_or_else(|| refuse("no client named and the default client is off", None))?
        }
        PresentedClient::Id(id) => {
            let client = find_client(state, id)
                .await?
                .ok_or_else(|| refuse("unknown client", Some(id)))?;
            if client.is_confidential() || callers == Callers::Confidential {
                return Err(refuse("no client secret", Some(id)));
            }
            client
        }
        PresentedClient::WithSecret { id, secret, .. } => {
            let then = async |client: &Client| match client.disabled {
                true => None,
                false => Some(then(client).await),
            };
            return match check_secret(state, id, secret, source, now, then).await? {
                Some((client, Some(done))) => Ok((client, done)),
                Some((client, None)) => Err(refuse("client disabled", Some(&client.client_id))),
                None => Err(refuse(
                    "wrong secret, unknown or public client, or budget spent",
                    Some(id),
                )),
            };
        }
    };
    if client.disabled {
        return Err(refuse("client disabled", Some(&client.client_id)));
    }
    let done = then(&client).await;
    Ok((client, done))
}

/// Counts the attempt, then verifies `secret` against the hash its hint picks (the dummy
/// hash when there is none to check): one Argon2 verification in every case. `Some` only for
/// a confidential client whose secret matched while its budgets allowed checking, with what
/// `then` gave (run while the counters settle).
async fn check_secret<T>(
    state: &AppState,
    id: &ClientId,
    secret: &ClientSecret,
    source: &SourceAddress,
    now: UnixSeconds,
    then: impl AsyncFnOnce(&Client) -> T,
) -> Result<Option<(Client, T)>, ApiError> {
    let counters = SignInCounters::for_client(&state.lockout, id, source, now);
    let (client, counted) = tokio::join!(
        find_client(state, id),
        counters.count(state.attempts.as_ref(), &state.lockout, now),
    );
    let (client, counted) = (client?, counted?);
    let hint = secret.hint();
    let stored = client
        .as_ref()
        .filter(|c| c.is_confidential() && counted.exhausted.is_none())
        .and_then(|c| c.secrets.iter().find(|s| s.hint == hint))
        .map(|s| s.phc.clone());
    let matched = state.passwords.verify(secret.as_password(), stored).await;
    let attempts = state.attempts.as_ref();
    let (settled, accepted) = match client.filter(|_| matched) {
        Some(client) => {
            let (settled, done) =
                tokio::join!(counters.settle_success(attempts, &counted), then(&client));
            (settled, Some((client, done)))
        }
        None => (counters.settle_failure(attempts, &counted, now).await, None),
    };
    // A failed write must not change the answer, or it would tell outcomes apart.
    if let Err(err) = settled {
        tracing::error!(error = %err, "could not settle a client authentication");
    }
    if counted.exhausted.is_some() {
        tracing::warn!(client_id = %id, %source, locked_out = true, "client secret not checked: budget spent");
    }
    Ok(accepted)
}
