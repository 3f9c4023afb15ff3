//! Tokens and headers bent the ways an attacker would bend them: every one answered with the
//! contract's 401 (or, for more than one credential, RFC 6750's 400 `invalid_request`), on
//! every backend.

use serde_json::json;

use crate::for_each_backend;
use crate::protected_endpoints::claims;
use crate::support::{self, Backend, TestApp};

for_each_backend!(
    over_socket:
    bent_tokens_are_refused,
    more_than_one_credential_is_an_invalid_request,
);

/// JSON nested `depth` levels deep.
fn nested(depth: usize) -> serde_json::Value {
    let mut value = json!(1);
    for _ in 0..depth {
        value = json!([value]);
    }
    value
}

async fn bent_tokens_are_refused(backend: Backend) {
    let app = TestApp::start(backend).await;
    let at_jwt = app.header(Some("at+jwt"));
    let with_header = |name: &str, value: serde_json::Value| {
        let mut header = at_jwt.clone();
        header[name] = value;
        header
    };
    let now = support::NOW;
    let mut cases = Vec::new();
    // Header parameters that would change how the token is checked or where its key comes
    // from (RFC 7515 §4.1.11 `crit`; keys only ever come from the published set).
    for (name, value) in [
        ("crit", json!(["exp"])),
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        (
            "jwk",
            serde_json::to_value(app.signer.public_key().to_jwk()).unwrap(),
        ),
        ("x5c", json!(["MIIB"])),
    ] {
        cases.push((
            format!("header {name}"),
            app.forge(&with_header(name, value), &claims(json!({})))
                .await,
        ));
    }
    let bent_claims = [
        ("nbf in the future", json!({"nbf": now + 3600})),
        (
            "iat in the future",
            json!({"iat": now + 3600, "exp": now + 4000}),
        ),
        (
            "exp - iat above the lifetime issued",
            json!({"iat": now, "exp": now + 1800 + 60}),
        ),
        ("exp as a string", json!({"exp": "soon"})),
        ("sub as a number", json!({"sub": 123})),
        ("scope as an array", json!({"scope": ["me", "items"]})),
        ("aud as a number", json!({"aud": 7})),
        ("deeply nested claim", json!({"extra": nested(200)})),
        ("oversized claim", json!({"extra": "x".repeat(9000)})),
    ];
    for (name, overrides) in bent_claims {
        cases.push((
            name.to_owned(),
            app.forge(&at_jwt, &claims(overrides)).await,
        ));
    }
    cases.push((
        "deeply nested header".into(),
        app.forge(&with_header("extra", nested(200)), &claims(json!({})))
            .await,
    ));
    cases.push((
        "kid path".into(),
        app.forge(
            &with_header("kid", json!("../../../etc/passwd")),
            &claims(json!({})),
        )
        .await,
    ));
    cases.push((
        "kid of the wrong type".into(),
        app.forge(&with_header("kid", json!(42)), &claims(json!({})))
            .await,
    ));
    for (name, token) in &cases {
        let response = app.get("/users/me/", Some(token)).await;
        assert_eq!(response.status, 401, "{name}: {}", response.text);
        response.assert_error(401, "Could not validate credentials", Some("invalid_token"));
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer error=\"invalid_token\", scope=\"me\""),
            "{name}"
        );
    }
    // The near misses are near: the same forgeries without the bend are accepted, and a
    // past `nbf` is fine.
    let fine = app.forge(&at_jwt, &claims(json!({"nbf": now - 10}))).await;
    assert_eq!(app.get("/users/me/", Some(&fine)).await.status, 200);
    // The scheme is case-insensitive (RFC 7235 §2.1).
    let response = app
        .request(
            "GET",
            "/users/me/",
            &[("authorization", &format!("bEaReR {fine}"))],
            "",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

async fn more_than_one_credential_is_an_invalid_request(backend: Backend) {
    let app = TestApp::start(backend).await;
    let token = app.mint("johndoe", "me").await;
    let bearer = format!("Bearer {token}");
    let joined = format!("Bearer {token}, Bearer {token}");
    for (name, headers) in [
        (
            "two headers",
            vec![
                ("authorization", bearer.as_str()),
                ("authorization", bearer.as_str()),
            ],
        ),
        (
            "a comma-joined list",
            vec![("authorization", joined.as_str())],
        ),
    ] {
        for path in ["/users/me/", "/users/me/items/", "/status/"] {
            let response = app.request("GET", path, &headers, "").await;
            assert_eq!(response.status, 400, "{name} on {path}: {}", response.text);
            assert_eq!(response.json()["error"], "invalid_request", "{name}");
            assert_eq!(
                response.header("www-authenticate"),
                Some("Bearer error=\"invalid_request\""),
                "{name}"
            );
        }
    }
}
