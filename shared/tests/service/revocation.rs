//! Revocation (RFC 7009), and access tokens and sessions that die as soon as their user is
//! disabled, changes password or is revoked by an operator: on every backend.

use token_service::store::AccountChange;

use crate::for_each_backend;
use crate::support::{Backend, TestApp};

for_each_backend!(
    over_socket:
    revoking_a_refresh_token_ends_its_session,
    revoking_an_access_token_ends_its_session_but_not_the_token,
    revocation_answers_200_for_anything_well_formed,
    disabling_a_user_kills_tokens_and_sessions_at_once,
    a_password_change_kills_tokens_and_sessions_at_once,
    an_operator_revocation_kills_earlier_tokens_not_later_ones,
);

async fn revoking_a_refresh_token_ends_its_session(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let rotated = app.refresh(&refresh, "").await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .revoke(&format!("token={refresh}&token_type_hint=refresh_token"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json(), serde_json::json!({}));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        app.refresh(&rotated, "").await.status,
        400,
        "the session is over"
    );
    // Revoking again is still a 200.
    assert_eq!(app.revoke(&format!("token={rotated}")).await.status, 200);
}

async fn revoking_an_access_token_ends_its_session_but_not_the_token(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let response = app
        .revoke(&format!("token={access}&token_type_hint=access_token"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    // Stateless access tokens cannot be revoked one by one: it works until it expires...
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 200);
    // ...but its session is over.
    assert_eq!(app.refresh(&refresh, "").await.status, 400);
    // An access token past its expiry still ends its session.
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    app.clock.advance(3600);
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 401);
    assert_eq!(app.revoke(&format!("token={access}")).await.status, 200);
    assert_eq!(app.refresh(&refresh, "").await.status, 400);
}

async fn revocation_answers_200_for_anything_well_formed(backend: Backend) {
    let app = TestApp::start(backend).await;
    for token in [
        "unknown".to_owned(),
        "A".repeat(43),
        "not.a.jwt".to_owned(),
        "x".repeat(8100),
    ] {
        let response = app
            .revoke(&format!("token={token}&token_type_hint=whatever"))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    let missing = app.revoke("token_type_hint=refresh_token").await;
    missing.assert_error(
        400,
        "missing required field: token",
        Some("invalid_request"),
    );
    let json = app
        .request(
            "POST",
            "/revoke",
            &[("content-type", "application/json")],
            r#"{"token":"x"}"#,
        )
        .await;
    assert_eq!(json.status, 400);
    assert_eq!(json.json()["error"], "invalid_request");
    let get = app.get("/revoke", None).await;
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
}

async fn disabling_a_user_kills_tokens_and_sessions_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    // Used once first, so that the verifier remembers it: what it remembers is the
    // signature, never the account's state.
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 200);
    let change = AccountChange {
        disabled: Some(true),
        revoke_tokens: true,
        ..AccountChange::default()
    };
    app.change_account("johndoe", &change).await;
    let response = app.get("/users/me/", Some(&access)).await;
    response.assert_error(401, "Inactive user", Some("invalid_token"));
    assert_eq!(app.refresh(&refresh, "").await.status, 400);
    // Enabled again, the old token and session stay dead: they predate the revocation.
    let enable = AccountChange {
        disabled: Some(false),
        ..AccountChange::default()
    };
    app.clock.advance(5);
    app.change_account("johndoe", &enable).await;
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 401);
    assert_eq!(app.refresh(&refresh, "").await.status, 400);
}

async fn a_password_change_kills_tokens_and_sessions_at_once(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let hash = tokio::task::spawn_blocking(|| {
        token_service::passwords::hash_password_blocking(
            &token_service::passwords::Password::parse("new-secret").unwrap(),
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 200);
    let change = AccountChange {
        password_hash: Some(hash),
        revoke_tokens: true,
        ..AccountChange::default()
    };
    app.change_account("johndoe", &change).await;
    let response = app.get("/users/me/", Some(&access)).await;
    response.assert_error(401, "Could not validate credentials", Some("invalid_token"));
    assert_eq!(app.refresh(&refresh, "").await.status, 400);
    assert_eq!(
        app.token("username=johndoe&password=secret").await.status,
        400
    );
    let (access, _) = app.sign_in_pair("johndoe", "new-secret", "me").await;
    assert_eq!(app.get("/users/me/", Some(&access)).await.status, 200);
}

async fn an_operator_revocation_kills_earlier_tokens_not_later_ones(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (before, before_refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let revoke = AccountChange {
        revoke_tokens: true,
        ..AccountChange::default()
    };
    app.change_account("johndoe", &revoke).await;
    assert_eq!(app.get("/users/me/", Some(&before)).await.status, 401);
    assert_eq!(app.refresh(&before_refresh, "").await.status, 400);
    // Signed in again within the same second as the revocation: the new token is not
    // mistaken for an old one, nor the old one for a new one (versions, not times).
    let (after, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    assert_eq!(app.verify(&after).await.iat, app.now());
    assert_eq!(app.verify(&after).await.token_version, 1);
    assert_eq!(app.get("/users/me/", Some(&after)).await.status, 200);
    assert_eq!(app.get("/users/me/", Some(&before)).await.status, 401);
    assert_eq!(app.refresh(&refresh, "").await.status, 200);
    // A second revocation in that same second ends the new token too.
    app.change_account("johndoe", &revoke).await;
    assert_eq!(app.get("/users/me/", Some(&after)).await.status, 401);
    // Other users are untouched.
    let (bob, _) = app.sign_in_pair("bob", "bobpassword", "me").await;
    assert_eq!(app.get("/users/me/", Some(&bob)).await.status, 200);
}
