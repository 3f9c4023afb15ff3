//! The resource owner password credentials grant (RFC 6749 §4.3): checking the request's
//! parameters, and signing in.

use secrecy::ExposeSecret as _;

use super::authenticate::{authenticate, Authenticated, Candidate, SignInStores};
use super::session::{start_session, TokenResponse};
use super::token_request::TokenRequest;

use crate::app::AppState;
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

/// Signs in through `client` (already authenticated) as the `candidate` account (read beside
/// the client): the one sign-in procedure ([`authenticate`]: budgets counted before the
/// password is checked, uniform cost), then a session with the scopes asked for that the user
/// and the client both hold, started while the sign-in settles its counters.
pub async fn sign_in(
    state: &AppState,
    client: &Client,
    grant: &PasswordGrant,
    candidate: Candidate,
    source: &SourceAddress,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let start = async |user: &User| {
        let granted = grant
            .scope
            .intersection(&user.allowed_scopes)
            .intersection(&client.allowed_scopes);
        let issued = start_session(state, user, &granted, client, issuer_url, now).await;
        (granted, issued)
    };
    let (signed_in, (granted, issued)) = authenticate(
        SignInStores::of(state),
        candidate,
        &grant.password,
        source,
        now,
        start,
    )
    .await?;
    let issued = issued?;
    let Authenticated { user, known_source } = signed_in;
    tracing::info!(
        event = "token_issued",
        username = %user.username,
        client_id = %client.client_id,
        %source,
        known_source,
        requested = %grant.scope,
        granted = %granted,
        "token issued"
    );
    Ok(issued)
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
            scope: get("scope"),
            ..TokenRequest::default()
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
        let err = parse(request(&[("grant_type", "implicit")]));
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
