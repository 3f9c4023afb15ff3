//! The authorization code grant's exchange (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3) with PKCE
//! (RFC 7636 §4.6): a code redeems once, for the client and redirect URI it was issued to, and
//! only with the verifier its challenge was made from. A second use of a code ends the session
//! the first one started (RFC 6749 §4.1.2), even if that first exchange is still running.

use secrecy::ExposeSecret as _;

use super::session::{start_named_session, TokenResponse};
use super::token_request::{secret, TokenRequest};
use crate::app::AppState;
use crate::clock::UnixSeconds;
use crate::codes::{AuthorizationCode, CodeGrant, Redemption};
use crate::domain::Client;
use crate::error::ApiError;
use crate::store::StoreError;

/// An authorization code grant that has passed every syntactic check.
#[derive(Debug)]
pub struct AuthorizationCodeGrant {
    /// `None` when the presented value cannot be one of ours: refused like an unknown one.
    pub code: Option<AuthorizationCode>,
    pub redirect_uri: Option<String>,
    /// Checked against the code's challenge; a missing one fails that check (`invalid_grant`,
    /// RFC 7636 §4.6), after the code is spent.
    pub code_verifier: Option<secrecy::SecretString>,
}

impl AuthorizationCodeGrant {
    pub fn parse(request: TokenRequest) -> Result<Self, ApiError> {
        let code = secret(request.code)
            .ok_or_else(|| ApiError::invalid_request("missing required field: code"))?;
        Ok(AuthorizationCodeGrant {
            code: AuthorizationCode::parse(code.expose_secret()),
            redirect_uri: request.redirect_uri.filter(|uri| !uri.is_empty()),
            code_verifier: secret(request.code_verifier),
        })
    }
}

/// What the presented code stands for, read without spending it, if it is one of ours.
pub async fn find(
    state: &AppState,
    grant: &AuthorizationCodeGrant,
    now: UnixSeconds,
) -> Result<Option<CodeGrant>, StoreError> {
    match &grant.code {
        Some(code) => state.codes.find(&code.hash(), now).await,
        None => Ok(None),
    }
}

/// Exchanges a code presented by `client` (already authenticated, and allowed this grant) for
/// an access token and, if the client may refresh, a refresh token. `found` must be what
/// [`find`] read for this grant, and nothing else: `None` is taken to mean that the store has
/// no such code, so nothing is spent (a replayed code is found, redeemed below and its session
/// ended). The code is spent while the user it names is read, so the exchange waits for one
/// round trip there, not two.
pub async fn exchange(
    state: &AppState,
    client: &Client,
    grant: &AuthorizationCodeGrant,
    found: Option<CodeGrant>,
    issuer_url: &str,
    now: UnixSeconds,
) -> Result<TokenResponse, ApiError> {
    let refused = |reason: &str| {
        tracing::warn!(
            event = "authorization_code_refused",
            client_id = %client.client_id,
            reason,
            "authorization code refused"
        );
        ApiError::InvalidAuthorizationCode
    };
    let Some(code) = &grant.code else {
        return Err(refused("not an authorization code"));
    };
    let Some(found) = found else {
        return Err(refused("unknown authorization code"));
    };
    // Spent first, checked after: whatever is wrong with this request, the code is used.
    let hash = code.hash();
    let (redemption, user) = tokio::join!(
        state.codes.redeem(&hash, now),
        state.store.get(&found.username)
    );
    let issued = match redemption? {
        Redemption::Unknown => return Err(refused("unknown authorization code")),
        Redemption::Replayed { grant: issued, at } => {
            state
                .sessions
                .bar_family(&issued.family, now, issued.forget_at())
                .await?;
            tracing::warn!(
                event = "authorization_code_replayed",
                client_id = %client.client_id,
                issued_to = %issued.client_id,
                username = %issued.username,
                first_used_at = at,
                "authorization code used twice: the session it started is revoked"
            );
            return Err(ApiError::InvalidAuthorizationCode);
        }
        Redemption::First(issued) => issued,
    };
    if let Some(reason) = mismatch(&issued, client, grant, now) {
        return Err(refused(reason));
    }
    // A code's record never changes but for its redemption: this is the user just read.
    let user = if issued.username == found.username {
        user?
    } else {
        state.store.get(&issued.username).await?
    };
    let user = match user {
        Some(user) if !user.disabled && user.token_version == issued.token_version => user,
        Some(user) if user.disabled => return Err(refused("user disabled")),
        Some(_) => return Err(refused("the user's tokens were revoked since sign-in")),
        None => return Err(refused("user no longer exists")),
    };
    // What the user and the client may have now, in case either changed since sign-in.
    let granted = issued
        .scope
        .intersection(&user.allowed_scopes)
        .intersection(&client.allowed_scopes);
    let started = start_named_session(
        state,
        issued.family.clone(),
        &user,
        &granted,
        client,
        issuer_url,
        now,
    )
    .await?;
    let Some(issued_tokens) = started else {
        return Err(refused("replayed while being exchanged"));
    };
    tracing::info!(
        event = "token_issued",
        grant_type = "authorization_code",
        username = %user.username,
        client_id = %client.client_id,
        granted = %granted,
        "token issued"
    );
    Ok(issued_tokens)
}

/// What makes this request not the one the code was issued for, if anything.
fn mismatch(
    issued: &CodeGrant,
    client: &Client,
    grant: &AuthorizationCodeGrant,
    now: UnixSeconds,
) -> Option<&'static str> {
    if !issued.is_valid_at(now) {
        return Some("authorization code expired");
    }
    if issued.client_id != client.client_id {
        return Some("authorization code issued to another client");
    }
    let redirect_ok = match (&issued.redirect_uri, &grant.redirect_uri) {
        // Sent with the authorization request: the same string again (RFC 6749 §4.1.3).
        (Some(sent), Some(presented)) => sent == presented,
        (Some(_), None) => false,
        // Not sent then: none now, or one the client registered.
        (None, None) => true,
        (None, Some(presented)) => client.redirect_uris.iter().any(|r| r.admits(presented)),
    };
    if !redirect_ok {
        return Some("redirect_uri differs from the authorization request's");
    }
    let verified = grant
        .code_verifier
        .as_ref()
        .is_some_and(|verifier| issued.challenge.is_made_by(verifier.expose_secret()));
    if !verified {
        return Some("code_verifier missing or does not match the code_challenge");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn request(pairs: &[(&str, &str)]) -> TokenRequest {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        TokenRequest {
            grant_type: Some("authorization_code".into()),
            code: get("code").map(SecretString::from),
            redirect_uri: get("redirect_uri"),
            code_verifier: get("code_verifier").map(SecretString::from),
            ..TokenRequest::default()
        }
    }

    #[test]
    fn a_code_is_required_and_a_malformed_one_is_kept_as_none() {
        for pairs in [&[][..], &[("code", "")][..]] {
            assert_eq!(
                AuthorizationCodeGrant::parse(request(pairs)).unwrap_err(),
                ApiError::invalid_request("missing required field: code")
            );
        }
        let grant =
            AuthorizationCodeGrant::parse(request(&[("code", "not-a-code"), ("redirect_uri", "")]))
                .unwrap();
        assert!(grant.code.is_none());
        assert!(grant.redirect_uri.is_none());
        assert!(grant.code_verifier.is_none());
        let code = AuthorizationCode::generate();
        let grant = AuthorizationCodeGrant::parse(request(&[
            ("code", code.expose()),
            ("code_verifier", "v"),
        ]))
        .unwrap();
        assert_eq!(grant.code, Some(code.clone()));
        assert!(!format!("{grant:?}").contains(code.expose()));
    }
}
