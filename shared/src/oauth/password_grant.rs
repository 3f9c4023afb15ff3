//! The resource owner password credentials grant (RFC 6749 §4.3): checking the request's
//! parameters, and signing in.

use secrecy::ExposeSecret as _;

use super::session::{start_session, TokenResponse};
use super::token_request::TokenRequest;

use crate::app::AppState;
use crate::attempts::SignInCounters;
use crate::clock::UnixSeconds;
use crate::domain::{Client, ScopeSet, SourceAddress, User, Username};
use crate::error::ApiError;
use crate::passwords::Password;

/// A password grant that has passed every syntactic check.
#[derive(Debug)]
pub struct PasswordGrant {
    pub username: Username,
    pub password: Password,
    pub scope: ScopeSet,
}

impl PasswordGrant {
    /// Checks the parameters in the order a client can fix them: username, password, scope
    /// (the grant type was checked by [`super::Grant::parse`]).
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
        Ok(PasswordGrant {
            username,
            password,
            scope,
        })
    }
}

/// Signs in through `client` (already authenticated). The attempt is counted against the sign-in budgets before the password is looked
/// at ([`SignInCounters::count`]): parallel guesses each see a different count, so no more of
/// them are checked than the budgets allow, and a store that cannot count refuses (503) rather
/// than check unguarded.
///
/// Every well-formed grant then costs the same work whether the user exists, is disabled or
/// is locked out: one read, three counts and a known-source read, one Argon2 verification (against a dummy hash when
/// there is nothing real to check) and one settlement of all three counters (a success's clears and refunds, a
/// refusal's refunds, a failure's note), so neither the answer nor its
/// timing says which usernames exist or which budget is spent.
pub async fn sign_in(
    state: &AppState,
    client: &Client,
    grant: &PasswordGrant,
    source: &SourceAddress,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let user = state.store.get(&grant.username).await?;
    let counters = SignInCounters::new(
        &state.lockout,
        user.as_ref().map(|u| (&u.username, u.lockout_epoch)),
        source,
        now,
    );
    let counted = counters
        .count(state.attempts.as_ref(), &state.lockout, now)
        .await?;
    let exhausted = counted.exhausted;

    let stored_hash = user
        .as_ref()
        .filter(|_| exhausted.is_none())
        .map(|u| u.password_hash.clone());
    let password_ok = state.passwords.verify(&grant.password, stored_hash).await;

    match user {
        Some(user) if password_ok && !user.disabled => {
            // A failed write must not cost the user the token: the attempt then simply stays
            // counted, which errs on the safe side.
            if let Err(err) = counters
                .settle_success(state.attempts.as_ref(), &counted)
                .await
            {
                tracing::error!(error = %err, "could not settle a successful sign-in");
            }
            rehash_if_outdated(state, &user, &grant.password).await;
            let granted = grant
                .scope
                .intersection(&user.allowed_scopes)
                .intersection(&client.allowed_scopes);
            let issued = start_session(state, &user, &granted, client, issuer_url, now).await?;
            tracing::info!(
                event = "token_issued",
                username = %user.username,
                client_id = %client.client_id,
                %source,
                known_source = counted.known,
                requested = %grant.scope,
                granted = %granted,
                "token issued"
            );
            Ok(issued)
        }
        user => {
            let reason = match (&user, exhausted) {
                (_, Some(exhausted)) => exhausted.as_str(),
                (None, None) => "unknown user",
                (Some(_), None) if password_ok => "user disabled",
                (Some(_), None) => "wrong password",
            };
            // A failed write must not change the answer, or it would tell outcomes apart.
            if let Err(err) = counters
                .settle_failure(state.attempts.as_ref(), &counted, now)
                .await
            {
                tracing::error!(error = %err, "could not settle a failed sign-in");
            }
            let locked_out = exhausted.is_some();
            match user {
                Some(user) => tracing::warn!(
                    event = "sign_in_refused",
                    username = %user.username,
                    %source,
                    reason,
                    locked_out,
                    "sign-in refused"
                ),
                // Not the name itself: people type passwords into the username field.
                None => tracing::warn!(
                    event = "sign_in_refused",
                    username_len = grant.username.as_str().len(),
                    %source,
                    reason,
                    locked_out,
                    "sign-in refused"
                ),
            }
            Err(ApiError::InvalidGrant)
        }
    }
}

/// Upgrades a hash made at other parameters, only if it is still the hash this sign-in read
/// (an operator's new password may have landed meanwhile). It may not cost the user their
/// token, so a failure is logged, not returned.
async fn rehash_if_outdated(state: &AppState, user: &User, password: &Password) {
    if !crate::passwords::needs_rehash(&user.password_hash) {
        return;
    }
    let rehashed = match state.passwords.hash(password).await {
        Ok(hash) => state
            .store
            .upgrade_password_hash(&user.username, &user.password_hash, &hash)
            .await
            .map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match rehashed {
        Ok(true) => {
            tracing::info!(username = %user.username, "password re-hashed at current parameters")
        }
        Ok(false) => tracing::info!(
            username = %user.username,
            "password changed during sign-in; the new one is kept as it is"
        ),
        Err(error) => {
            tracing::error!(username = %user.username, %error, "password re-hash failed")
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
        }
    }

    #[test]
    fn a_complete_grant_parses() {
        let grant = parse(request(&[
            ("grant_type", "password"),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", "items me"),
        ]))
        .unwrap();
        assert_eq!(grant.username.as_str(), "johndoe");
        assert_eq!(grant.password.expose(), "secret");
        assert_eq!(grant.scope.to_string(), "me items");
    }

    #[test]
    fn empty_parameters_count_as_omitted() {
        let grant = parse(request(&[
            ("grant_type", ""),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", ""),
        ]))
        .unwrap();
        assert!(grant.scope.is_empty());
        let err = parse(request(&[("username", "johndoe"), ("password", "")]));
        assert_eq!(
            err.unwrap_err(),
            ApiError::invalid_request("missing required field: password")
        );
    }

    #[test]
    fn errors_come_in_the_order_a_client_can_fix_them() {
        let err = parse(request(&[("grant_type", "authorization_code")]));
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
