//! The resource owner password credentials grant (RFC 6749 §4.3): checking the request's
//! parameters, and signing in.

use secrecy::ExposeSecret as _;

use super::session::{start_session, TokenResponse};
use super::token_request::TokenRequest;

use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{lockout, ScopeSet, User, Username};
use crate::error::ApiError;
use crate::passwords::Password;

/// A password grant that has passed every syntactic check.
#[derive(Debug)]
pub struct PasswordGrant {
    pub username: Username,
    pub password: Password,
    pub scope: ScopeSet,
    pub client_id: Option<String>,
}

impl PasswordGrant {
    /// Checks the parameters in the order a client can fix them: username, password, scope,
    /// client id (the grant type was checked by [`super::Grant::parse`]).
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        let given = |value: Option<String>| value.filter(|v| !v.is_empty());
        let username = match given(request.username) {
            None => {
                return Err(ApiError::invalid_request(
                    "missing required field: username",
                ))
            }
            Some(name) => {
                Username::parse(&name).map_err(|e| ApiError::invalid_request(e.to_string()))?
            }
        };
        let password = match request.password.filter(|p| !p.expose_secret().is_empty()) {
            None => {
                return Err(ApiError::invalid_request(
                    "missing required field: password",
                ))
            }
            Some(password) => Password::parse(password.expose_secret())
                .map_err(|e| ApiError::invalid_request(e.to_string()))?,
        };
        let scope = ScopeSet::parse(given(request.scope).as_deref().unwrap_or(""))
            .map_err(|e| ApiError::InvalidScope(e.to_string()))?;
        let client_id = super::token_request::client_id(request.client_id)?;
        Ok(PasswordGrant {
            username,
            password,
            scope,
            client_id,
        })
    }
}

/// Signs in: every well-formed grant costs the same work whether the user exists, is disabled
/// or is locked: one read, one Argon2 verification (against a dummy hash when there is nothing
/// real to check) and one write (clearing or counting failures; for an unknown user a
/// conditional write that creates nothing), so neither the answer nor its timing says which
/// usernames exist.
pub async fn sign_in(
    state: &AppState,
    grant: &PasswordGrant,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let user = state.store.get(&grant.username).await?;

    let locked = user
        .as_ref()
        .is_some_and(|u| lockout::is_locked(u.failed_logins, u.last_failed_login, now));
    let stored_hash = user
        .as_ref()
        .filter(|_| !locked)
        .map(|u| u.password_hash.clone());
    let password_ok = state.passwords.verify(&grant.password, stored_hash).await;

    match user {
        Some(user) if password_ok && !user.disabled => {
            after_successful_sign_in(state, &user, &grant.password).await;
            let granted = grant.scope.intersection(&user.allowed_scopes);
            let issued = start_session(
                state,
                &user,
                &granted,
                grant.client_id.as_deref(),
                issuer_url,
                now,
            )
            .await?;
            tracing::info!(username = %user.username, requested = %grant.scope, granted = %granted, "token issued");
            Ok(issued)
        }
        user => {
            let reason = match &user {
                None => "unknown user",
                Some(_) if locked => "account locked",
                Some(_) if password_ok => "user disabled",
                Some(_) => "wrong password",
            };
            // A failed write must not change the answer, or it would tell users apart.
            let failures = state
                .store
                .record_login_failure(&grant.username, now)
                .await
                .unwrap_or_else(|err| {
                    tracing::error!(error = %err, "could not count a failed sign-in");
                    None
                });
            match user {
                Some(user) => {
                    tracing::warn!(username = %user.username, failures, reason, "sign-in refused")
                }
                // Not the name itself: people type passwords into the username field.
                None => tracing::warn!(
                    username_len = grant.username.as_str().len(),
                    reason,
                    "sign-in refused"
                ),
            }
            Err(ApiError::InvalidGrant)
        }
    }
}

/// Clears the failure count (always, so success costs the same write as failure) and upgrades
/// a hash made at other parameters. Neither may cost the user their token, so failures are
/// logged, not returned.
async fn after_successful_sign_in(state: &AppState, user: &User, password: &Password) {
    if let Err(err) = state.store.clear_login_failures(&user.username).await {
        tracing::error!(username = %user.username, error = %err, "could not clear failed sign-ins");
    }
    if crate::passwords::needs_rehash(&user.password_hash) {
        let rehashed = match state.passwords.hash(password).await {
            Ok(hash) => state
                .store
                .set_password_hash(&user.username, &hash)
                .await
                .map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        };
        match rehashed {
            Ok(()) => {
                tracing::info!(username = %user.username, "password re-hashed at current parameters")
            }
            Err(error) => {
                tracing::error!(username = %user.username, %error, "password re-hash failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    /// The password grant a request asks for, as the token endpoint parses it.
    fn parse(request: TokenRequest) -> Result<PasswordGrant, ApiError> {
        match crate::oauth::Grant::parse(request)? {
            crate::oauth::Grant::Password(grant) => Ok(grant),
            other => panic!("not a password grant: {other:?}"),
        }
    }

    fn request(pairs: &[(&str, &str)]) -> TokenRequest {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        TokenRequest {
            grant_type: get("grant_type"),
            username: get("username"),
            password: get("password").map(SecretString::from),
            refresh_token: None,
            scope: get("scope"),
            client_id: get("client_id"),
        }
    }

    #[test]
    fn a_complete_grant_parses() {
        let grant = parse(request(&[
            ("grant_type", "password"),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", "items me"),
            ("client_id", "cli"),
        ]))
        .unwrap();
        assert_eq!(grant.username.as_str(), "johndoe");
        assert_eq!(grant.password.expose(), "secret");
        assert_eq!(grant.scope.to_string(), "me items");
        assert_eq!(grant.client_id.as_deref(), Some("cli"));
    }

    #[test]
    fn empty_parameters_count_as_omitted() {
        let grant = parse(request(&[
            ("grant_type", ""),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", ""),
            ("client_id", ""),
        ]))
        .unwrap();
        assert!(grant.scope.is_empty());
        assert_eq!(grant.client_id, None);
        let err = parse(request(&[("username", "johndoe"), ("password", "")]));
        assert_eq!(
            err.unwrap_err(),
            ApiError::invalid_request("missing required field: password")
        );
    }

    #[test]
    fn errors_come_in_the_order_a_client_can_fix_them() {
        let err = parse(request(&[("grant_type", "client_credentials")]));
        assert!(matches!(err, Err(ApiError::UnsupportedGrantType(_))));
        let err = parse(request(&[("scope", "admin")]));
        assert_eq!(
            err.unwrap_err(),
            ApiError::invalid_request("missing required field: username")
        );
        let err = parse(request(&[
            ("username", "a"),
            ("password", "b"),
            ("scope", "admin"),
        ]));
        assert!(matches!(err, Err(ApiError::InvalidScope(_))));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let raw = request(&[
            ("username", "hunter2-typed-here"),
            ("password", "hunter2-secret"),
        ]);
        assert!(!format!("{raw:?}").contains("hunter2"), "{raw:?}");
        let raw = request(&[("username", "johndoe"), ("password", "hunter2-secret")]);
        let grant = parse(raw).unwrap();
        assert!(!format!("{grant:?}").contains("hunter2"));
    }
}
