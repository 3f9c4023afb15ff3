//! `GET /users/me/`, `/users/me/items/` and `/status/` over HTTP: RFC 6750 behaviour, scopes,
//! and bodies, on every backend.

use std::time::Duration;

use crate::for_each_backend;
use crate::support::{self, Backend, TestApp};
use serde_json::json;
use token_service::tokens::{Hs256Signer, LocalRsaSigner, SigningSecret};

for_each_backend!(
    over_socket:
    users_me_returns_the_profile_without_the_hash,
    users_me_items_returns_the_users_items,
    status_accepts_any_valid_token,
    every_path_answers_with_and_without_trailing_slash,
    no_credentials_is_not_authenticated,
    invalid_tokens_are_refused_with_invalid_token,
    unknown_and_disabled_users_are_refused,
    missing_scopes_are_forbidden,
    scopes_the_user_lost_stop_working,
    other_methods_are_refused,
);

async fn users_me_returns_the_profile_without_the_hash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.sign_in("johndoe", "secret", "me").await;
    let response = app.get("/users/me/", Some(&token)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.json(),
        json!({"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe", "disabled": false})
    );
    assert!(!response.text.contains("argon2"));
}

async fn users_me_items_returns_the_users_items(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.sign_in("johndoe", "secret", "me items").await;
    let response = app.get("/users/me/items/", Some(&token)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json(),
        json!([{"item_id": "Foo", "owner": "johndoe"}])
    );

    let bob = app.mint("bob", "me items").await;
    // bob may not hold `items`, so even a token claiming it is not enough.
    assert_eq!(app.get("/users/me/items/", Some(&bob)).await.status, 403);
}

async fn status_accepts_any_valid_token(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.sign_in("johndoe", "secret", "").await;
    let response = app.get("/status/", Some(&token)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json(), json!({"status": "ok"}));
    let response = app.get("/status/", None).await;
    response.assert_error(401, "Not authenticated", None);
}

async fn every_path_answers_with_and_without_trailing_slash(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.sign_in("johndoe", "secret", "me items").await;
    for path in [
        "/users/me/",
        "/users/me",
        "/users/me/items/",
        "/users/me/items",
        "/status/",
        "/status",
    ] {
        let response = app.get(path, Some(&token)).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text);
    }
}

async fn no_credentials_is_not_authenticated(backend: Backend) {
    let app = TestApp::start(backend).await;
    for path in ["/users/me/", "/users/me/items/", "/status/"] {
        for auth in [
            None,
            Some("Basic am9objpzZWNyZXQ="),
            Some("Token abc"),
            Some(""),
        ] {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
            let response = app.request("GET", path, &headers, "").await;
            response.assert_error(401, "Not authenticated", None);
            assert_eq!(
                response.header("www-authenticate"),
                Some("Bearer"),
                "{path} {auth:?}"
            );
        }
    }
}

/// Good claims for johndoe, with `overrides` (a `null` removes the claim).
pub(crate) fn claims(overrides: serde_json::Value) -> serde_json::Value {
    let now = support::NOW;
    let mut claims = json!({
        "iss": support::ISSUER, "aud": support::AUDIENCE, "sub": "johndoe",
        "iat": now, "exp": now + 600, "jti": "x", "scope": "me items"
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

async fn invalid_tokens_are_refused_with_invalid_token(backend: Backend) {
    let app = TestApp::start(backend).await;
    let now = app.now();
    let expired = app
        .issuer
        .issue_with_ttl(
            support::ISSUER,
            &support::username("johndoe"),
            &token_service::domain::ScopeSet::parse("me items").unwrap(),
            None,
            now - 3600,
            Duration::from_secs(60),
        )
        .await
        .unwrap()
        .access_token;
    let valid = app.mint("johndoe", "me items").await;
    let tampered = {
        let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
        let other = app.mint("bob", "me items").await;
        parts[1] = other.split('.').nth(1).unwrap().to_owned();
        parts.join(".")
    };
    let at_jwt = app.header(Some("at+jwt"));
    let stranger = LocalRsaSigner::generate().unwrap();
    let stranger_header = json!({"alg": "RS256", "typ": "at+jwt", "kid": stranger.kid().as_str()});
    // HS256 keyed with the published public key: the classic algorithm confusion.
    let public_as_secret = Hs256Signer::new(
        &SigningSecret::new(app.signer.public_key().to_jwk().n.into_bytes()).unwrap(),
    );
    let mut hs256_header = at_jwt.clone();
    hs256_header["alg"] = "HS256".into();
    let mut no_kid = at_jwt.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    let bad_tokens = [
        ("expired", expired),
        (
            "unpublished key",
            support::forge_with(&stranger, &stranger_header, &claims(json!({}))).await,
        ),
        (
            "published kid, other key",
            support::forge_with(&stranger, &at_jwt, &claims(json!({}))).await,
        ),
        (
            "HS256 with the public key",
            support::forge_with(&public_as_secret, &hs256_header, &claims(json!({}))).await,
        ),
        ("no kid", app.forge(&no_kid, &claims(json!({}))).await),
        ("tampered payload", tampered),
        (
            "wrong issuer",
            app.forge(&at_jwt, &claims(json!({"iss": "urn:evil"})))
                .await,
        ),
        (
            "wrong audience",
            app.forge(&at_jwt, &claims(json!({"aud": "urn:evil"})))
                .await,
        ),
        (
            "wrong type",
            app.forge(&app.header(Some("JWT")), &claims(json!({})))
                .await,
        ),
        (
            "no exp",
            app.forge(&at_jwt, &claims(json!({"exp": null}))).await,
        ),
        (
            "unknown scope",
            app.forge(&at_jwt, &claims(json!({"scope": "me root"})))
                .await,
        ),
        ("malformed", "not.a.jwt".to_owned()),
        ("empty", String::new()),
        ("huge", "a".repeat(10_000)),
    ];
    let routes = [
        ("/users/me/", "Bearer error=\"invalid_token\", scope=\"me\""),
        (
            "/users/me/items/",
            "Bearer error=\"invalid_token\", scope=\"me items\"",
        ),
        ("/status/", "Bearer error=\"invalid_token\""),
    ];
    for (name, token) in &bad_tokens {
        for (path, challenge) in routes {
            let response = app.get(path, Some(token)).await;
            assert_eq!(response.status, 401, "{name} on {path}: {}", response.text);
            response.assert_error(401, "Could not validate credentials", Some("invalid_token"));
            assert_eq!(
                response.header("www-authenticate"),
                Some(challenge),
                "{name} on {path}"
            );
        }
    }
    // The forging helper itself makes acceptable tokens, so the refusals above are real.
    let good_forgery = app.forge(&at_jwt, &claims(json!({}))).await;
    assert_eq!(app.get("/users/me/", Some(&good_forgery)).await.status, 200);
}

async fn unknown_and_disabled_users_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ghost = app.mint("ghost", "me items").await;
    let response = app.get("/users/me/", Some(&ghost)).await;
    response.assert_error(401, "Could not validate credentials", Some("invalid_token"));

    let alice = app.mint("alice", "me items").await;
    for (path, challenge) in [
        ("/users/me/", "Bearer error=\"invalid_token\", scope=\"me\""),
        (
            "/users/me/items/",
            "Bearer error=\"invalid_token\", scope=\"me items\"",
        ),
        ("/status/", "Bearer error=\"invalid_token\""),
    ] {
        let response = app.get(path, Some(&alice)).await;
        response.assert_error(401, "Inactive user", Some("invalid_token"));
        assert_eq!(response.header("www-authenticate"), Some(challenge));
    }
}

async fn missing_scopes_are_forbidden(backend: Backend) {
    let app = TestApp::start(backend).await;
    let me_only = app.sign_in("johndoe", "secret", "me").await;
    let response = app.get("/users/me/items/", Some(&me_only)).await;
    response.assert_error(403, "Not enough permissions", Some("insufficient_scope"));
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"me items\"")
    );

    let items_only = app.sign_in("johndoe", "secret", "items").await;
    for path in ["/users/me/", "/users/me/items/"] {
        let response = app.get(path, Some(&items_only)).await;
        response.assert_error(403, "Not enough permissions", Some("insufficient_scope"));
    }
    let response = app.get("/users/me/", Some(&items_only)).await;
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"me\"")
    );
}

async fn scopes_the_user_lost_stop_working(backend: Backend) {
    let app = TestApp::start(backend).await;
    // bob is allowed only `me`; a (validly signed) token claiming `items` does not widen that.
    let bob = app.mint("bob", "me items").await;
    assert_eq!(app.get("/users/me/", Some(&bob)).await.status, 200);
    let response = app.get("/users/me/items/", Some(&bob)).await;
    response.assert_error(403, "Not enough permissions", Some("insufficient_scope"));
}

async fn other_methods_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.mint("johndoe", "me items").await;
    let auth = format!("Bearer {token}");
    for path in ["/users/me/", "/users/me/items/", "/status/"] {
        let response = app
            .request("POST", path, &[("authorization", &auth)], "")
            .await;
        response.assert_error(405, "Method Not Allowed", None);
        assert_eq!(response.header("allow"), Some("GET"));
    }
}
