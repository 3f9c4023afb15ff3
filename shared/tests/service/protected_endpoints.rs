//! `GET /users/me/`, `/users/me/items/` and `/status/` over HTTP: RFC 6750 behaviour, scopes,
//! and bodies, on every backend.

use std::time::Duration;

use crate::for_each_backend;
use crate::support::{self, Backend, TestApp};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

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

    let bob = app.mint("bob", "me items");
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

fn forge(claims: serde_json::Value, typ: Option<&str>, key: &[u8]) -> String {
    let header = Header {
        typ: typ.map(str::to_owned),
        ..Header::new(Algorithm::HS256)
    };
    encode(&header, &claims, &EncodingKey::from_secret(key)).unwrap()
}

fn claims(overrides: serde_json::Value) -> serde_json::Value {
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
        .tokens
        .issue_with_ttl(
            &support::username("johndoe"),
            &token_service::domain::ScopeSet::parse("me items").unwrap(),
            None,
            now - 3600,
            Duration::from_secs(60),
        )
        .unwrap()
        .access_token;
    let valid = app.mint("johndoe", "me items");
    let tampered = {
        let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
        let other = app.mint("bob", "me items");
        parts[1] = other.split('.').nth(1).unwrap().to_owned();
        parts.join(".")
    };
    let bad_tokens = [
        ("expired", expired),
        (
            "wrong key",
            forge(
                claims(json!({})),
                Some("at+jwt"),
                b"another-key-another-key-another-key!",
            ),
        ),
        ("tampered payload", tampered),
        (
            "wrong issuer",
            forge(
                claims(json!({"iss": "urn:evil"})),
                Some("at+jwt"),
                support::SECRET,
            ),
        ),
        (
            "wrong audience",
            forge(
                claims(json!({"aud": "urn:evil"})),
                Some("at+jwt"),
                support::SECRET,
            ),
        ),
        (
            "wrong type",
            forge(claims(json!({})), Some("JWT"), support::SECRET),
        ),
        (
            "no exp",
            forge(
                claims(json!({"exp": null})),
                Some("at+jwt"),
                support::SECRET,
            ),
        ),
        (
            "unknown scope",
            forge(
                claims(json!({"scope": "me root"})),
                Some("at+jwt"),
                support::SECRET,
            ),
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
    let good_forgery = forge(claims(json!({})), Some("at+jwt"), support::SECRET);
    assert_eq!(app.get("/users/me/", Some(&good_forgery)).await.status, 200);
}

async fn unknown_and_disabled_users_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let ghost = app.mint("ghost", "me items");
    let response = app.get("/users/me/", Some(&ghost)).await;
    response.assert_error(401, "Could not validate credentials", Some("invalid_token"));

    let alice = app.mint("alice", "me items");
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
    let bob = app.mint("bob", "me items");
    assert_eq!(app.get("/users/me/", Some(&bob)).await.status, 200);
    let response = app.get("/users/me/items/", Some(&bob)).await;
    response.assert_error(403, "Not enough permissions", Some("insufficient_scope"));
}

async fn other_methods_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.mint("johndoe", "me items");
    let auth = format!("Bearer {token}");
    for path in ["/users/me/", "/users/me/items/", "/status/"] {
        let response = app
            .request("POST", path, &[("authorization", &auth)], "")
            .await;
        response.assert_error(405, "Method Not Allowed", None);
        assert_eq!(response.header("allow"), Some("GET"));
    }
}
