//! `POST /token` with `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6), on
//! both stores. Codes are issued by the procedures the sign-in page ends with
//! (`authorization::validate`, then `authorization::issue_code` for the signed-in user): a
//! code redeems once, for its client and redirect URI, within its minute, only with its PKCE
//! verifier; a second use ends the session the first one started.

use token_service::clients::ClientSecret;
use token_service::codes::{AuthorizationCode, CODE_LIFETIME_SECONDS};
use token_service::domain::{ClientType, CodeChallenge, GrantType, RedirectUri};
use token_service::oauth::authorization::{issue_code, validate, AuthorizationParams};
use token_service::sessions::{Family, RefreshRecord, SessionStore};
use token_service::store::AccountChange;
use token_service::store::StoreError;

use crate::for_each_backend;
use crate::support::{
    basic, client, username, Backend, HookedSessions, SessionHooks, TestApp, NOW, SERVICE_SECRET,
};

for_each_backend!(
    a_code_and_its_verifier_get_tokens_that_work,
    a_missing_or_wrong_verifier_is_refused_and_spends_the_code,
    a_second_use_revokes_the_session_the_first_one_started,
    of_parallel_exchanges_at_most_one_succeeds_and_no_session_survives,
    a_code_is_bound_to_its_client_and_redirect_uri,
    a_code_lives_one_minute,
    a_user_disabled_or_revoked_since_sign_in_gets_nothing,
    a_confidential_client_authenticates_and_others_need_the_grant,
    malformed_exchanges_are_refused_before_any_lookup,
    a_replay_during_the_exchange_leaves_no_session,
);

pub(crate) const SPA_CALLBACK: &str = "http://127.0.0.1/callback";
pub(crate) const WEB_CALLBACK: &str = "https://web.example/cb";
pub(crate) const INVALID_CODE: &str = "Authorization code is invalid, expired or already used, or the code_verifier or redirect_uri does not match";

/// The app with three clients of the code flow: public `spa` (loopback callback, refresh
/// tokens), public `spa-two` (the same callback) and confidential `web` (secret
/// [`SERVICE_SECRET`]).
pub(crate) async fn app(backend: Backend) -> TestApp {
    let app = TestApp::start(backend).await;
    let with = |id: &str, kind: ClientType, callback: &str| {
        let mut c = client(
            id,
            kind,
            &[GrantType::AuthorizationCode, GrantType::RefreshToken],
            "me items",
        );
        c.redirect_uris = vec![RedirectUri::parse(callback).unwrap()];
        c
    };
    let mut web = with("web", ClientType::Confidential, WEB_CALLBACK);
    web.secrets = vec![ClientSecret::parse(SERVICE_SECRET)
        .unwrap()
        .hash_blocking(NOW)
        .unwrap()];
    for c in [
        with("spa", ClientType::Public, SPA_CALLBACK),
        with("spa-two", ClientType::Public, SPA_CALLBACK),
        web,
    ] {
        app.clients.insert(&c).await.unwrap();
    }
    app
}

/// A code for `user` through `client_id`, as the sign-in page would issue it, and its verifier.
async fn code_for(
    app: &TestApp,
    client_id: &str,
    redirect_uri: Option<&str>,
    user: &str,
) -> (String, String) {
    let verifier = AuthorizationCode::generate().expose().to_owned() + "-verifier";
    let params = AuthorizationParams {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: redirect_uri.map(str::to_owned),
        scope: Some("me items".into()),
        state: Some("s".into()),
        code_challenge: Some(CodeChallenge::of(&verifier).as_str().to_owned()),
        code_challenge_method: Some("S256".into()),
        prompt: None,
    };
    let request = validate(app.clients.as_ref(), params).await.unwrap();
    let user = app.store.get(&username(user)).await.unwrap().unwrap();
    let code = issue_code(app.state.codes.as_ref(), &request, &user, app.now())
        .await
        .unwrap();
    (code.expose().to_owned(), verifier)
}

pub(crate) fn exchange_form(
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> String {
    format!(
        "grant_type=authorization_code&client_id={client_id}&code={code}&redirect_uri={}&code_verifier={verifier}",
        urlencode(redirect_uri)
    )
}

fn urlencode(text: &str) -> String {
    text.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('&', "%26")
}

async fn a_code_and_its_verifier_get_tokens_that_work(backend: Backend) {
    let app = app(backend).await;
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    let response = app
        .token(&exchange_form("spa", &code, SPA_CALLBACK, &verifier))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "me items");
    let access = body["access_token"].as_str().unwrap();
    let me = app.get("/users/me/", Some(access)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["username"], "johndoe");
    assert_eq!(app.get("/users/me/items/", Some(access)).await.status, 200);
    // The session goes on with the refresh token, bound to the client.
    let refresh = body["refresh_token"].as_str().unwrap();
    let refreshed = app.refresh(refresh, "&client_id=spa").await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    // A user's own scopes narrow the code: bob holds `me` only.
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "bob").await;
    let response = app
        .token(&exchange_form("spa", &code, SPA_CALLBACK, &verifier))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()["scope"], "me");
}

async fn a_missing_or_wrong_verifier_is_refused_and_spends_the_code(backend: Backend) {
    let app = app(backend).await;
    for wrong in [
        "",
        "&code_verifier=",
        "&code_verifier=short",
        "&code_verifier=WRONG",
    ] {
        let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
        let other = format!("{verifier}x");
        let form = format!(
            "grant_type=authorization_code&client_id=spa&code={code}&redirect_uri={}{}",
            urlencode(SPA_CALLBACK),
            wrong.replace("WRONG", &other)
        );
        app.token(&form)
            .await
            .assert_error(400, INVALID_CODE, Some("invalid_grant"));
        // The code is used up: the right verifier now gets nothing either.
        app.token(&exchange_form("spa", &code, SPA_CALLBACK, &verifier))
            .await
            .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    }
}

async fn a_second_use_revokes_the_session_the_first_one_started(backend: Backend) {
    let app = app(backend).await;
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    let form = exchange_form("spa", &code, SPA_CALLBACK, &verifier);
    let first = app.token(&form).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let refresh = first.json()["refresh_token"].as_str().unwrap().to_owned();
    app.clock.advance(5);
    app.token(&form)
        .await
        .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    app.refresh(&refresh, "&client_id=spa").await.assert_error(
        400,
        "Refresh token is invalid, expired or revoked",
        Some("invalid_grant"),
    );
    // Long after the code expired, a replay still finds nothing to start.
    app.clock.advance(3600);
    app.token(&form)
        .await
        .assert_error(400, INVALID_CODE, Some("invalid_grant"));
}

async fn of_parallel_exchanges_at_most_one_succeeds_and_no_session_survives(backend: Backend) {
    let app = app(backend).await;
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    let form = exchange_form("spa", &code, SPA_CALLBACK, &verifier);
    let responses = futures_util::future::join_all((0..10).map(|_| app.token(&form))).await;
    let successes: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
    assert!(
        successes.len() <= 1,
        "{} exchanges succeeded",
        successes.len()
    );
    for refused in responses.iter().filter(|r| r.status != 200) {
        refused.assert_error(400, INVALID_CODE, Some("invalid_grant"));
    }
    // Every other exchange was a replay: whatever the one started is over.
    for success in successes {
        let refresh = success.json()["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(app.refresh(&refresh, "&client_id=spa").await.status, 400);
    }
}

async fn a_code_is_bound_to_its_client_and_redirect_uri(backend: Backend) {
    let app = app(backend).await;
    for (client_id, redirect) in [
        ("spa-two", SPA_CALLBACK),
        ("spa", "http://127.0.0.1/callback/"),
        ("spa", "http://127.0.0.1:8080/callback"),
        ("spa", "http://127.0.0.1/Callback"),
        ("spa", ""),
    ] {
        let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
        app.token(&exchange_form(client_id, &code, redirect, &verifier))
            .await
            .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    }
    // A loopback port given with the request must come back the same.
    let (code, verifier) = code_for(
        &app,
        "spa",
        Some("http://127.0.0.1:51004/callback"),
        "johndoe",
    )
    .await;
    let response = app
        .token(&exchange_form(
            "spa",
            &code,
            "http://127.0.0.1:51004/callback",
            &verifier,
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    // Not sent with the request (one registered URI): none, or the registered one.
    for redirect in ["", SPA_CALLBACK] {
        let (code, verifier) = code_for(&app, "spa", None, "johndoe").await;
        let response = app
            .token(&exchange_form("spa", &code, redirect, &verifier))
            .await;
        assert_eq!(response.status, 200, "{redirect}: {}", response.text);
    }
    let (code, verifier) = code_for(&app, "spa", None, "johndoe").await;
    app.token(&exchange_form(
        "spa",
        &code,
        "https://evil.example/cb",
        &verifier,
    ))
    .await
    .assert_error(400, INVALID_CODE, Some("invalid_grant"));
}

async fn a_code_lives_one_minute(backend: Backend) {
    let app = app(backend).await;
    let (late, late_verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    let (in_time, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    app.clock.advance(CODE_LIFETIME_SECONDS - 1);
    let response = app
        .token(&exchange_form("spa", &in_time, SPA_CALLBACK, &verifier))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    app.clock.advance(1);
    app.token(&exchange_form("spa", &late, SPA_CALLBACK, &late_verifier))
        .await
        .assert_error(400, INVALID_CODE, Some("invalid_grant"));
}

async fn a_user_disabled_or_revoked_since_sign_in_gets_nothing(backend: Backend) {
    let app = app(backend).await;
    let (revoked, revoked_verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    app.change_account(
        "johndoe",
        &AccountChange {
            revoke_tokens: true,
            ..AccountChange::default()
        },
    )
    .await;
    app.token(&exchange_form(
        "spa",
        &revoked,
        SPA_CALLBACK,
        &revoked_verifier,
    ))
    .await
    .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    let (disabled, disabled_verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    app.change_account(
        "johndoe",
        &AccountChange {
            disabled: Some(true),
            ..AccountChange::default()
        },
    )
    .await;
    app.token(&exchange_form(
        "spa",
        &disabled,
        SPA_CALLBACK,
        &disabled_verifier,
    ))
    .await
    .assert_error(400, INVALID_CODE, Some("invalid_grant"));
}

async fn a_confidential_client_authenticates_and_others_need_the_grant(backend: Backend) {
    let app = app(backend).await;
    let (code, verifier) = code_for(&app, "web", Some(WEB_CALLBACK), "johndoe").await;
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}",
        urlencode(WEB_CALLBACK)
    );
    // Naming itself is not enough for a confidential client; the code stays unspent.
    app.token(&format!("{form}&client_id=web"))
        .await
        .assert_invalid_client(false);
    let response = app
        .token_with(&[("authorization", &basic("web", SERVICE_SECRET))], &form)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    // A client without the grant is told so before its code is spent (it is only read).
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    let response = app
        .token(&exchange_form("my-cli", &code, SPA_CALLBACK, &verifier))
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert_eq!(response.json()["error"], "unauthorized_client");
    let response = app
        .token(&exchange_form("spa", &code, SPA_CALLBACK, &verifier))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

async fn malformed_exchanges_are_refused_before_any_lookup(backend: Backend) {
    let app = app(backend).await;
    app.token("grant_type=authorization_code&client_id=spa")
        .await
        .assert_error(400, "missing required field: code", Some("invalid_request"));
    for code in ["x", "%00", &"A".repeat(5000)] {
        app.token(&format!(
            "grant_type=authorization_code&client_id=spa&code={code}&code_verifier=v"
        ))
        .await
        .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    }
    // The anonymous default client may not use the grant.
    let response = app.token("grant_type=authorization_code&code=x").await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"], "unauthorized_client");
}

/// Sessions where a replay of the code lands between the first exchange's redemption and
/// its session's start (what a replay sent at that instant does).
struct ReplayBeforeStart;

#[async_trait::async_trait]
impl SessionHooks for ReplayBeforeStart {
    async fn start(
        &self,
        inner: &dyn SessionStore,
        family: &Family,
        first: &RefreshRecord,
    ) -> Result<bool, StoreError> {
        inner
            .bar_family(&family.id, family.created_at, family.expires_at)
            .await?;
        inner.start(family, first).await
    }
}

async fn a_replay_during_the_exchange_leaves_no_session(backend: Backend) {
    let app =
        TestApp::start_wrapping_sessions(backend, HookedSessions::wrap(ReplayBeforeStart)).await;
    let spa = {
        let mut c = client(
            "spa",
            ClientType::Public,
            &[GrantType::AuthorizationCode, GrantType::RefreshToken],
            "me items",
        );
        c.redirect_uris = vec![RedirectUri::parse(SPA_CALLBACK).unwrap()];
        c
    };
    app.clients.insert(&spa).await.unwrap();
    let (code, verifier) = code_for(&app, "spa", Some(SPA_CALLBACK), "johndoe").await;
    app.token(&exchange_form("spa", &code, SPA_CALLBACK, &verifier))
        .await
        .assert_error(400, INVALID_CODE, Some("invalid_grant"));
    // This wrapper bars every id, so the password grant's fresh one too: a taken id is an
    // outage (503), never a token.
    assert_eq!(
        app.token("username=johndoe&password=secret").await.status,
        503
    );
}
