//! `POST /introspect` (RFC 7662) over HTTP, on every backend: only confidential clients may
//! ask; an active token says what it grants; anything not good now is `{"active": false}`
//! alone, revocation included the moment it happens. And `/revoke` refuses another client's
//! tokens.

use serde_json::{json, Value};
use token_service::clients::ClientChange;
use token_service::domain::ClientId;
use token_service::store::AccountChange;

use crate::for_each_backend;
use crate::support::{self, basic, Backend, TestApp, TestResponse, SERVICE_SECRET};

for_each_backend!(
    over_socket:
    only_confidential_clients_may_introspect,
    an_active_access_token_says_what_it_grants,
    an_active_refresh_token_says_what_it_grants,
    a_client_token_is_active_while_its_client_is,
    anything_not_good_now_is_inactive_and_nothing_else,
    a_revocation_shows_at_once,
    revocation_takes_only_the_callers_own_tokens,
);

/// Introspects `token` as the confidential client `service`.
async fn introspect(app: &TestApp, token: &str) -> TestResponse {
    let authorization = basic("service", SERVICE_SECRET);
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .finish();
    let response = app
        .introspect(&[("authorization", &authorization)], &form)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    response
}

async fn assert_inactive(app: &TestApp, token: &str, case: &str) {
    let response = introspect(app, token).await;
    assert_eq!(response.json(), json!({"active": false}), "{case}");
}

async fn only_confidential_clients_may_introspect(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.sign_in("johndoe", "secret", "me").await;
    let form = format!("token={token}");
    let refused = [
        ("no client", app.introspect(&[], &form).await),
        (
            "a public client",
            app.introspect(&[], &format!("{form}&client_id=my-cli"))
                .await,
        ),
        (
            "a wrong secret",
            app.introspect(&[("authorization", &basic("service", "wrong"))], &form)
                .await,
        ),
        (
            "a wrong posted secret",
            app.introspect(&[], &format!("{form}&client_id=service&client_secret=x"))
                .await,
        ),
    ];
    for (case, response) in refused {
        // RFC 7662 §2.3: a 401, whatever the method.
        response.assert_error(401, "Client authentication failed", Some("invalid_client"));
        assert_eq!(
            response.header("www-authenticate"),
            Some("Basic realm=\"token-service\""),
            "{case}"
        );
        assert!(response.json().get("active").is_none(), "{case}");
    }
    // Posted credentials work as well as Basic.
    let posted = app
        .introspect(
            &[],
            &format!("{form}&client_id=service&client_secret={SERVICE_SECRET}"),
        )
        .await;
    assert_eq!(posted.json()["active"], true, "{}", posted.text);
    // The caller first, then the request.
    let missing = app
        .introspect(&[("authorization", &basic("service", SERVICE_SECRET))], "")
        .await;
    missing.assert_error(
        400,
        "missing required field: token",
        Some("invalid_request"),
    );
}

async fn an_active_access_token_says_what_it_grants(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app
        .sign_in_with("johndoe", "secret", "me items", "app-one")
        .await;
    let claims = app.verify(&token).await;
    let answer = introspect(&app, &token).await.json();
    assert_eq!(
        answer,
        json!({
            "active": true,
            "scope": "me items",
            "client_id": "app-one",
            "sub": "johndoe",
            "username": "johndoe",
            "token_type": "Bearer",
            "exp": claims.exp,
            "iat": claims.iat,
            "iss": support::ISSUER,
            "aud": support::AUDIENCE,
            "jti": claims.jti,
        })
    );
    // A scope withdrawn from the user since is no longer reported.
    app.change_account(
        "johndoe",
        &AccountChange {
            allowed_scopes: Some(token_service::domain::ScopeSet::parse("me").unwrap()),
            ..AccountChange::default()
        },
    )
    .await;
    assert_eq!(introspect(&app, &token).await.json()["scope"], "me");
}

async fn an_active_refresh_token_says_what_it_grants(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let answer = introspect(&app, &refresh).await.json();
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["token_type"], "refresh_token");
    assert_eq!(answer["username"], "johndoe");
    assert_eq!(answer["sub"], "johndoe");
    assert_eq!(answer["client_id"], "default");
    assert_eq!(answer["scope"], "me");
    assert_eq!(answer["iat"], app.now());
    assert_eq!(answer["exp"], app.now() + 30 * 24 * 3600);
    assert!(answer.get("aud").is_none() && answer.get("jti").is_none());
    // Spent by a refresh, it is no longer good (its successor is).
    let rotated = app.refresh(&refresh, "").await;
    let next = rotated.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_inactive(&app, &refresh, "spent refresh token").await;
    assert_eq!(introspect(&app, &next).await.json()["active"], true);
}

async fn a_client_token_is_active_while_its_client_is(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app
        .client_token("service-two", SERVICE_SECRET, "items")
        .await;
    let answer = introspect(&app, &token).await.json();
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], "service-two");
    assert_eq!(answer["client_id"], "service-two");
    assert_eq!(answer["scope"], "items");
    assert!(answer.get("username").is_none(), "{answer}");
    let disable = ClientChange {
        disabled: Some(true),
        ..ClientChange::default()
    };
    let id = ClientId::parse("service-two").unwrap();
    app.clients.update(&id, &disable, None).await.unwrap();
    assert_inactive(&app, &token, "disabled client").await;
    app.clients.remove(&id).await.unwrap();
    assert_inactive(&app, &token, "removed client").await;
}

async fn anything_not_good_now_is_inactive_and_nothing_else(backend: Backend) {
    let app = TestApp::start(backend).await;
    let now = app.now();
    let claims: Value = json!({
        "iss": support::ISSUER, "sub": "johndoe", "aud": support::AUDIENCE,
        "exp": now + 600, "iat": now, "jti": "x", "scope": "me",
    });
    let unknown_key = app
        .forge(
            &json!({"alg": "RS256", "typ": "at+jwt", "kid": "no-such-key"}),
            &claims,
        )
        .await;
    for (case, token) in [
        ("garbage", "not-a-token".to_owned()),
        ("unknown refresh token", "A".repeat(43)),
        ("unknown key", unknown_key),
    ] {
        assert_inactive(&app, &token, case).await;
    }
    // A disabled user's tokens.
    let alice = app.mint("alice", "me").await;
    assert_inactive(&app, &alice, "disabled user").await;
    // A user that no longer exists.
    let ghost = app.mint("ghost", "me").await;
    assert_inactive(&app, &ghost, "unknown user").await;
    // Expired (past the leeway).
    let token = app.sign_in("johndoe", "secret", "me").await;
    app.clock.advance(1800 + 6);
    assert_inactive(&app, &token, "expired").await;
}

async fn a_revocation_shows_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    // The session revoked at /revoke: its access token is still a valid JWT, but inactive.
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    assert_eq!(introspect(&app, &access).await.json()["active"], true);
    assert_eq!(app.revoke(&format!("token={refresh}")).await.status, 200);
    assert_inactive(&app, &access, "revoked session").await;
    assert_inactive(&app, &refresh, "revoked session's refresh token").await;
    // The user's tokens revoked by an operator a moment ago (no time passes).
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    assert_eq!(introspect(&app, &access).await.json()["active"], true);
    app.change_account(
        "johndoe",
        &AccountChange {
            revoke_tokens: true,
            ..AccountChange::default()
        },
    )
    .await;
    assert_inactive(&app, &access, "user revoked").await;
    assert_inactive(&app, &refresh, "user revoked, refresh token").await;
    // Disabled.
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    app.change_account(
        "johndoe",
        &AccountChange {
            disabled: Some(true),
            ..AccountChange::default()
        },
    )
    .await;
    assert_inactive(&app, &access, "user disabled").await;
    assert_inactive(&app, &refresh, "user disabled, refresh token").await;
    // A disabled client's refresh token.
    app.change_account(
        "johndoe",
        &AccountChange {
            disabled: Some(false),
            ..AccountChange::default()
        },
    )
    .await;
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=app-one")
        .await;
    let refresh = response.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(introspect(&app, &refresh).await.json()["active"], true);
    let disable = ClientChange {
        disabled: Some(true),
        ..ClientChange::default()
    };
    app.clients
        .update(&ClientId::parse("app-one").unwrap(), &disable, None)
        .await
        .unwrap();
    assert_inactive(&app, &refresh, "disabled client's refresh token").await;
}

async fn revocation_takes_only_the_callers_own_tokens(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=app-one")
        .await;
    let body = response.json();
    let (access, refresh) = (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    );
    for token in [&access, &refresh] {
        for other in ["", "&client_id=someone-else"] {
            let response = app.revoke(&format!("token={token}{other}")).await;
            response.assert_error(
                400,
                "the token was issued to another client",
                Some("unauthorized_client"),
            );
        }
    }
    // Nothing was revoked by those.
    assert_eq!(introspect(&app, &refresh).await.json()["active"], true);
    let own = app
        .revoke(&format!("token={refresh}&client_id=app-one"))
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_inactive(&app, &refresh, "revoked by its client").await;
    // A confidential client revokes with its secret.
    let token = app.client_token("service", SERVICE_SECRET, "items").await;
    let response = app
        .revoke_with(
            &[("authorization", &basic("service", SERVICE_SECRET))],
            &format!("token={token}"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}
