//! The authorization request's checks, in RFC 6749 §4.1.2.1's order, and the code a sign-in ends with.

use super::*;
use crate::clients::MemoryClientStore;
use crate::domain::{ClientType, GrantTypes, RedirectUri};
use AuthorizationErrorCode as Code;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const CALLBACK: &str = "https://app.example/callback";

fn client(id: &str, grants: &str, redirects: &[&str]) -> Client {
    Client {
        client_id: ClientId::parse(id).unwrap(),
        client_type: ClientType::Public,
        grant_types: GrantTypes::parse(grants).unwrap(),
        allowed_scopes: ScopeSet::parse("me items").unwrap(),
        redirect_uris: redirects
            .iter()
            .map(|r| RedirectUri::parse(r).unwrap())
            .collect(),
        ..Client::built_in_default()
    }
}

fn clients() -> MemoryClientStore {
    let mut disabled = client("off", "authorization_code", &[CALLBACK]);
    disabled.disabled = true;
    let mut narrow = client("narrow", "authorization_code", &[CALLBACK]);
    narrow.allowed_scopes = ScopeSet::parse("me").unwrap();
    MemoryClientStore::with_clients([
        client("spa", "authorization_code refresh_token", &[CALLBACK]),
        client(
            "cli",
            "authorization_code",
            &["http://127.0.0.1/cb", "https://app.example/other"],
        ),
        client("service", "client_credentials", &[CALLBACK]),
        disabled,
        narrow,
        client("none", "authorization_code", &[]),
    ])
}

fn params(pairs: &[(&str, &str)]) -> AuthorizationParams {
    let mut all = vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", CALLBACK),
        ("scope", "me"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in pairs {
        all.retain(|(n, _)| n != name);
        all.push((name, value));
    }
    let get = |name: &str| {
        all.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    AuthorizationParams {
        response_type: get("response_type"),
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        scope: get("scope"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        prompt: get("prompt"),
    }
}

async fn check(pairs: &[(&str, &str)]) -> Result<AuthorizationRequest, AuthorizationRefusal> {
    validate(&clients(), params(pairs)).await
}

#[tokio::test]
async fn a_complete_request_is_accepted() {
    let request = check(&[("scope", "items me")]).await.unwrap();
    assert_eq!(request.client.client_id.as_str(), "spa");
    assert_eq!(request.redirect_uri.as_deref(), Some(CALLBACK));
    assert_eq!(request.redirect_to, CALLBACK);
    assert_eq!(request.scope.to_string(), "me items");
    assert_eq!(request.state.as_deref(), Some("xyz"));
    assert_eq!(request.challenge.as_str(), CHALLENGE);
    assert!(!request.login_required);
    assert!(check(&[("prompt", "login")]).await.unwrap().login_required);
    // The client's scopes bound what it may ask for.
    let narrow = check(&[("client_id", "narrow"), ("scope", "me items")]).await;
    assert_eq!(narrow.unwrap().scope.to_string(), "me");
}

#[tokio::test]
async fn an_untrusted_client_or_redirect_uri_is_never_redirected_to() {
    for pairs in [
        &[("client_id", "")][..],
        &[("client_id", "nobody")],
        &[("client_id", "bad id")],
        &[("client_id", "off")],
        &[("client_id", "none")],
        &[("redirect_uri", "https://evil.example/callback")],
        &[("redirect_uri", "https://app.example/callback/")],
        &[("redirect_uri", "https://app.example/callback?x=1")],
        &[("redirect_uri", "https://APP.example/callback")],
        &[("redirect_uri", "https://app.example:8443/callback")],
        // Two registered: the request must say which.
        &[("client_id", "cli"), ("redirect_uri", "")],
        // Broken everything else too: the redirect URI still decides first.
        &[
            ("redirect_uri", "https://evil.example/"),
            ("response_type", "token"),
            ("code_challenge", ""),
        ],
    ] {
        let refusal = check(pairs).await.unwrap_err();
        assert!(
            matches!(refusal, AuthorizationRefusal::NotRedirectable(_)),
            "{pairs:?}: {refusal:?}"
        );
    }
}

#[tokio::test]
async fn a_loopback_redirect_may_change_its_port_and_a_single_registered_one_may_be_omitted() {
    let request = check(&[
        ("client_id", "cli"),
        ("redirect_uri", "http://127.0.0.1:51004/cb"),
    ])
    .await
    .unwrap();
    assert_eq!(request.redirect_to, "http://127.0.0.1:51004/cb");
    let request = check(&[("redirect_uri", "")]).await.unwrap();
    assert_eq!(request.redirect_uri, None);
    assert_eq!(request.redirect_to, CALLBACK);
}

#[tokio::test]
async fn every_other_error_goes_back_to_the_app_with_its_state() {
    let long_state = "s".repeat(MAX_STATE_LEN + 1);
    for (pairs, code, state) in [
        (
            &[("response_type", "")][..],
            Code::InvalidRequest,
            Some("xyz"),
        ),
        (
            &[("response_type", "token")],
            Code::UnsupportedResponseType,
            Some("xyz"),
        ),
        (
            &[("response_type", "code id_token")],
            Code::UnsupportedResponseType,
            Some("xyz"),
        ),
        (
            &[("client_id", "service")],
            Code::UnauthorizedClient,
            Some("xyz"),
        ),
        (&[("code_challenge", "")], Code::InvalidRequest, Some("xyz")),
        (
            &[("code_challenge_method", "plain")],
            Code::InvalidRequest,
            Some("xyz"),
        ),
        (
            &[("code_challenge_method", "")],
            Code::InvalidRequest,
            Some("xyz"),
        ),
        (
            &[("code_challenge", "short")],
            Code::InvalidRequest,
            Some("xyz"),
        ),
        (&[("scope", "admin")], Code::InvalidScope, Some("xyz")),
        (&[("prompt", "none")], Code::InvalidRequest, Some("xyz")),
        (
            &[("scope", "admin"), ("state", "")],
            Code::InvalidScope,
            None,
        ),
        (&[("state", &long_state)], Code::InvalidRequest, None),
        (&[("state", "a\nb")], Code::InvalidRequest, None),
        (&[("state", "caf\u{e9}")], Code::InvalidRequest, None),
        (
            &[("state", "a b ~"), ("scope", "admin")],
            Code::InvalidScope,
            Some("a b ~"),
        ),
    ] {
        match check(pairs).await.unwrap_err() {
            AuthorizationRefusal::Redirect {
                redirect_to,
                error,
                description,
                state: echoed,
            } => {
                assert_eq!(redirect_to, CALLBACK, "{pairs:?}");
                assert_eq!(error, code, "{pairs:?}");
                assert!(!description.is_empty());
                assert_eq!(echoed.as_deref(), state, "{pairs:?}");
            }
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_code_carries_what_client_and_user_both_hold() {
    let request = check(&[("scope", "me items")]).await.unwrap();
    let codes = crate::codes::MemoryCodeStore::new();
    let user = User {
        username: crate::domain::Username::parse("johndoe").unwrap(),
        email: None,
        full_name: None,
        disabled: false,
        password_hash: "hash".into(),
        allowed_scopes: ScopeSet::parse("me").unwrap(),
        items: Vec::new(),
        lockout_epoch: 0,
        token_version: 7,
    };
    let code = issue_code(&codes, &request, &user, 1_000).await.unwrap();
    match codes.redeem(&code.hash(), 1_001).await.unwrap() {
        crate::codes::Redemption::First(grant) => {
            assert_eq!(grant.client_id.as_str(), "spa");
            assert_eq!(grant.redirect_uri.as_deref(), Some(CALLBACK));
            assert_eq!(grant.challenge.as_str(), CHALLENGE);
            assert_eq!(grant.username.as_str(), "johndoe");
            assert_eq!(grant.token_version, 7);
            assert_eq!(grant.scope.to_string(), "me");
            assert_eq!(grant.valid_until, 1_000 + CODE_LIFETIME_SECONDS);
        }
        other => panic!("{other:?}"),
    }
}
