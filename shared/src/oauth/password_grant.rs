//! The resource owner password credentials grant (RFC 6749 §4.3): checking the request's
//! parameters, and signing in.

use secrecy::{ExposeSecret as _, SecretString};

use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::domain::{lockout, ScopeSet, User, Username};
use crate::error::ApiError;
use crate::passwords::Password;
use crate::tokens::{IssuedToken, MAX_CLIENT_ID_LEN};

/// The parameters of a token request (RFC 6749 §4.3.2), as the client sent them. A parameter
/// sent without a value counts as omitted (§3.1). `Debug` shows neither the password nor the
/// unchecked username (people type passwords into the username field).
#[derive(Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |value: &Option<String>| value.as_ref().map(|_| "<given>");
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("username", &given(&self.username))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl TokenRequest {
    /// The parameter names a token request may carry; others are ignored (§3.2).
    pub const PARAMETERS: [&'static str; 5] =
        ["grant_type", "username", "password", "scope", "client_id"];
}

/// A password grant that has passed every syntactic check.
#[derive(Debug)]
pub struct PasswordGrant {
    pub username: Username,
    pub password: Password,
    pub scope: ScopeSet,
    pub client_id: Option<String>,
}

impl PasswordGrant {
    /// Checks the parameters in the order a client can fix them: grant type, username,
    /// password, scope, client id.
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        let given = |value: Option<String>| value.filter(|v| !v.is_empty());
        match given(request.grant_type).as_deref() {
            None | Some("password") => {}
            Some(other) => {
                let shown: String = other.chars().take(64).collect();
                return Err(ApiError::UnsupportedGrantType(shown));
            }
        }
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
        let client_id = match given(request.client_id) {
            None => None,
            Some(id)
                if id.len() <= MAX_CLIENT_ID_LEN && id.chars().all(|c| c.is_ascii_graphic()) =>
            {
                Some(id)
            }
            Some(_) => {
                return Err(ApiError::invalid_request(format!(
                    "client_id must be 1 to {MAX_CLIENT_ID_LEN} visible ASCII characters"
                )))
            }
        };
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
) -> Result<IssuedToken, ApiError> {
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
            let issuer = state.issuer.as_ref().ok_or_else(|| ApiError::Unavailable {
                reason: "this process does not issue tokens".into(),
            })?;
            let issued = issuer
                .issue(
                    issuer_url,
                    &user.username,
                    &granted,
                    grant.client_id.as_deref(),
                    now,
                )
                .await
                .map_err(|e| ApiError::Unavailable {
                    reason: format!("signing failed: {e}"),
                })?;
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
            scope: get("scope"),
            client_id: get("client_id"),
        }
    }

    #[test]
    fn a_complete_grant_parses() {
        let grant = PasswordGrant::parse(request(&[
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
        let grant = PasswordGrant::parse(request(&[
            ("grant_type", ""),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", ""),
            ("client_id", ""),
        ]))
        .unwrap();
        assert!(grant.scope.is_empty());
        assert_eq!(grant.client_id, None);
        let err = PasswordGrant::parse(request(&[("username", "johndoe"), ("password", "")]));
        assert_eq!(
            err.unwrap_err(),
            ApiError::invalid_request("missing required field: password")
        );
    }

    #[test]
    fn errors_come_in_the_order_a_client_can_fix_them() {
        let err = PasswordGrant::parse(request(&[("grant_type", "client_credentials")]));
        assert!(matches!(err, Err(ApiError::UnsupportedGrantType(_))));
        let err = PasswordGrant::parse(request(&[("scope", "admin")]));
        assert_eq!(
            err.unwrap_err(),
            ApiError::invalid_request("missing required field: username")
        );
        let err = PasswordGrant::parse(request(&[
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
        let grant = PasswordGrant::parse(raw).unwrap();
        assert!(!format!("{grant:?}").contains("hunter2"));
    }
}
