//! `POST /token` over HTTP: every line of the token endpoint's contract, on every backend.

use crate::for_each_backend;
use std::sync::Arc;

use token_service::store::AccountChange;

use crate::support::{self, Backend, TestApp};
use crate::support::{empty_store, OperatorBetweenReadAndRehash};

for_each_backend!(
    over_socket:
    issues_a_bearer_token_with_the_granted_scopes,
    answers_with_and_without_trailing_slash,
    grants_only_the_scopes_the_user_is_allowed,
    grants_no_scope_when_none_is_asked,
    refuses_unknown_scopes,
    refuses_wrong_password_unknown_and_disabled_users_alike,
    refuses_missing_fields_and_bad_bodies,
    checks_grant_type_when_present,
    carries_client_id_into_the_token,
    failures_of_unknown_users_create_nothing,
    upgrades_old_password_hashes_at_sign_in,
    a_new_password_set_during_a_sign_in_is_not_undone_by_its_rehash,
    refuses_other_methods_and_paths,
);

async fn issues_a_bearer_token_with_the_granted_scopes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("grant_type=password&username=johndoe&password=secret&scope=me+items")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert_eq!(body["scope"], "me items");
    let token = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let claims = app.verify(token).await;
    assert_eq!(claims.sub.as_str(), "johndoe");
    assert_eq!(claims.scope.to_string(), "me items");
    assert_eq!(claims.iss, support::ISSUER);
    assert_eq!(claims.aud, support::AUDIENCE);
    assert_eq!(claims.exp - claims.iat, 1800);
    // A request that names no client is the built-in public client's (RFC 9068 §2.2).
    assert_eq!(claims.client_id.as_deref(), Some("default"));
}

async fn answers_with_and_without_trailing_slash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .request(
            "POST",
            "/token/",
            &[("content-type", "application/x-www-form-urlencoded")],
            "username=johndoe&password=secret",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

async fn grants_only_the_scopes_the_user_is_allowed(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=bob&password=bobpassword&scope=me%20items")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()["scope"], "me");
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.verify(&token).await.scope.to_string(), "me");

    let response = app
        .token("username=johndoe&password=secret&scope=items")
        .await;
    assert_eq!(response.json()["scope"], "items");
}

async fn grants_no_scope_when_none_is_asked(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app.token("username=johndoe&password=secret").await;
    assert_eq!(response.status, 200, "{}", response.text);
    // RFC 6749 §3.3 has no empty scope: none granted, none said (in the token either).
    assert!(response.json().get("scope").is_none(), "{}", response.text);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    assert!(app.verify(&token).await.scope.is_empty());
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert!(claims.get("scope").is_none(), "{claims}");
}

async fn refuses_unknown_scopes(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me+admin")
        .await;
    response.assert_error(400, "unknown scope `admin`", Some("invalid_scope"));
    // Case matters (RFC 6749 §3.3).
    let response = app.token("username=johndoe&password=secret&scope=ME").await;
    assert_eq!(response.json()["error"], "invalid_scope");
}

async fn refuses_wrong_password_unknown_and_disabled_users_alike(backend: Backend) {
    let app = TestApp::start(backend).await;
    let answers = [
        app.token("username=johndoe&password=wrong").await,
        app.token("username=nobody&password=secret").await,
        app.token("username=alice&password=secretalice").await,
    ];
    for response in &answers {
        response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
    assert_eq!(answers[0].text, answers[1].text);
    assert_eq!(answers[1].text, answers[2].text);
}

async fn refuses_missing_fields_and_bad_bodies(backend: Backend) {
    let app = TestApp::start(backend).await;
    let form = "application/x-www-form-urlencoded";
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<u8>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "missing username",
            vec![("content-type", form)],
            b"password=secret".to_vec(),
            "missing required field: username",
        ),
        (
            "missing password",
            vec![("content-type", form)],
            b"username=johndoe".to_vec(),
            "missing required field: password",
        ),
        (
            "empty body",
            vec![("content-type", form)],
            Vec::new(),
            "missing required field: username",
        ),
        (
            "empty password",
            vec![("content-type", form)],
            b"username=johndoe&password=".to_vec(),
            "missing required field: password",
        ),
        (
            "empty username",
            vec![("content-type", form)],
            b"username=&password=secret".to_vec(),
            "missing required field: username",
        ),
        (
            "bad username",
            vec![("content-type", form)],
            b"username=john%20doe&password=x".to_vec(),
            "username may only contain letters, digits and . _ @ + -",
        ),
        (
            "json body",
            vec![("content-type", "application/json")],
            br#"{"username":"johndoe","password":"secret"}"#.to_vec(),
            "Content-Type must be application/x-www-form-urlencoded",
        ),
        (
            "no content type",
            vec![],
            b"username=johndoe&password=secret".to_vec(),
            "Content-Type must be application/x-www-form-urlencoded",
        ),
        (
            "not UTF-8",
            vec![("content-type", form)],
            b"username=john\xff&password=secret".to_vec(),
            "request body is not valid UTF-8",
        ),
    ];
    for (name, headers, body, detail) in cases {
        let response = app.request("POST", "/token", &headers, body).await;
        assert_eq!(response.status, 400, "{name}: {}", response.text);
        response.assert_error(400, detail, Some("invalid_request"));
    }

    let repeated = app
        .token("username=johndoe&username=alice&password=secret")
        .await;
    assert_eq!(
        repeated.json()["error"],
        "invalid_request",
        "{}",
        repeated.text
    );
    assert!(repeated.json()["detail"]
        .as_str()
        .unwrap()
        .contains("duplicate field"));

    let huge = format!("username=johndoe&password={}", "x".repeat(20_000));
    let response = app.token(&huge).await;
    response.assert_error(
        400,
        "request body must be at most 8192 bytes",
        Some("invalid_request"),
    );

    let long_password = format!("username=johndoe&password={}", "x".repeat(1025));
    let response = app.token(&long_password).await;
    response.assert_error(
        400,
        "password must be at most 1024 bytes",
        Some("invalid_request"),
    );

    // Nothing stored was harmed: the user still signs in.
    app.sign_in("johndoe", "secret", "me").await;
}

async fn checks_grant_type_when_present(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("grant_type=urn:ietf:params:oauth:grant-type:device_code&username=johndoe&password=secret")
        .await;
    response.assert_error(
        400,
        "grant_type `urn:ietf:params:oauth:grant-type:device_code` is not supported; use `authorization_code`, `password`, `refresh_token` or `client_credentials`",
        Some("unsupported_grant_type"),
    );
    // RFC 6749 §3.1: a parameter without a value counts as omitted.
    let response = app
        .token("grant_type=&username=johndoe&password=secret&client_id=")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let response = app
        .token("grant_type=password&username=johndoe&password=secret")
        .await;
    assert_eq!(response.status, 200);
}

async fn carries_client_id_into_the_token(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me&client_id=my-cli")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.verify(&token).await.client_id.as_deref(),
        Some("my-cli")
    );

    let response = app
        .token("username=johndoe&password=secret&client_id=has%20space")
        .await;
    assert_eq!(response.json()["error"], "invalid_request");
}

async fn failures_of_unknown_users_create_nothing(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app.token("username=ghost&password=secret").await;
    response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
    assert_eq!(
        app.store.get(&support::username("ghost")).await.unwrap(),
        None
    );
}

/// bob's password hashed at parameters weaker than today's.
fn weak_hash(password: &str) -> String {
    use argon2::password_hash::PasswordHasher as _;
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8192, 1, 1, None).unwrap(),
    )
    .hash_password(password.as_bytes())
    .unwrap()
    .to_string()
}

fn new_hash(hash: String) -> AccountChange {
    AccountChange {
        password_hash: Some(hash),
        ..AccountChange::default()
    }
}

async fn upgrades_old_password_hashes_at_sign_in(backend: Backend) {
    let app = TestApp::start(backend).await;
    let bob = support::username("bob");
    app.store
        .update_account(&bob, &new_hash(weak_hash("bobpassword")))
        .await
        .unwrap();

    app.sign_in("bob", "bobpassword", "me").await;
    let upgraded = app.store.get(&bob).await.unwrap().unwrap().password_hash;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    assert!(!token_service::passwords::needs_rehash(&upgraded));
    app.sign_in("bob", "bobpassword", "me").await;
    assert_eq!(app.token("username=bob&password=wrong").await.status, 400);
}

async fn a_new_password_set_during_a_sign_in_is_not_undone_by_its_rehash(backend: Backend) {
    // bob signs in with his old password (hashed at old parameters); an operator's
    // `set-password` lands after the sign-in read that hash and before it re-hashes.
    let users = empty_store(backend).await;
    for user in tokio::task::spawn_blocking(support::test_users)
        .await
        .unwrap()
    {
        users.insert(&user).await.unwrap();
    }
    let bob = support::username("bob");
    users
        .update_account(&bob, &new_hash(weak_hash("bobpassword")))
        .await
        .unwrap();
    let operators = tokio::task::spawn_blocking(|| weak_hash("operators-choice"))
        .await
        .unwrap();
    let store = Arc::new(OperatorBetweenReadAndRehash {
        inner: users.clone(),
        change: new_hash(operators.clone()),
    });
    let app = TestApp::start_with(store, backend).await;

    // The sign-in that was under way still succeeds (its password was right when read) ...
    app.sign_in("bob", "bobpassword", "me").await;
    // ... but its re-hash does not bring the old password back.
    let stored = users.get(&bob).await.unwrap().unwrap().password_hash;
    assert_eq!(stored, operators);
    assert_eq!(
        app.token("username=bob&password=bobpassword").await.status,
        400
    );
}

async fn refuses_other_methods_and_paths(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app.get("/token", None).await;
    response.assert_error(405, "Method Not Allowed", None);
    assert_eq!(response.header("allow"), Some("POST"));
    let response = app.get("/nowhere", None).await;
    response.assert_error(404, "Not Found", None);
}
