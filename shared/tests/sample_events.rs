//! Every file in `events/` fed to the real handler, exactly as the function's `main` does, as `sam local invoke -e` and
//! `cargo lambda invoke --data-file` would, configured by `events/env.json`.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use shared::config::{Config, Mode, SecretSource};
use shared::tokens::TokenService;
use shared::users::{demo_users, UserStore};
use shared::{handle_lambda, AppState, Route};

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// `events/env.json` as sam's `--env-vars` file gives it to every function.
fn env_vars() -> HashMap<String, String> {
    let text = std::fs::read_to_string(events_dir().join("env.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    file["Parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn config() -> Config {
    let vars = env_vars();
    Config::from_lookup(Mode::Function, |name| vars.get(name).cloned()).unwrap()
}

/// What each sample event must produce: status, and the body or its `detail`.
fn expectations() -> HashMap<&'static str, (u16, Value)> {
    let invalid_grant = json!({"detail": "Incorrect username or password"});
    HashMap::from([
        (
            "token-success",
            (
                200,
                json!({"token_type": "bearer", "scope": "me items", "expires_in": 1800}),
            ),
        ),
        (
            "token-success-base64",
            (200, json!({"token_type": "bearer", "scope": "me"})),
        ),
        (
            "token-wrong-password",
            (400, json!({"error": "invalid_grant"})),
        ),
        ("token-disabled-user", (400, invalid_grant)),
        (
            "token-invalid-scope",
            (400, json!({"error": "invalid_scope"})),
        ),
        (
            "token-unsupported-grant-type",
            (400, json!({"error": "unsupported_grant_type"})),
        ),
        (
            "token-missing-password",
            (
                400,
                json!({"error": "invalid_request", "detail": "missing required field: password"}),
            ),
        ),
        (
            "token-json-body",
            (400, json!({"error": "invalid_request"})),
        ),
        (
            "users-me-success",
            (
                200,
                json!({"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe", "disabled": false}),
            ),
        ),
        (
            "users-me-no-token",
            (401, json!({"detail": "Not authenticated"})),
        ),
        (
            "users-me-expired-token",
            (
                401,
                json!({"detail": "Could not validate credentials", "error": "invalid_token"}),
            ),
        ),
        (
            "users-me-insufficient-scope",
            (
                403,
                json!({"detail": "Not enough permissions", "error": "insufficient_scope"}),
            ),
        ),
        (
            "users-me-items-success",
            (200, json!([{"item_id": "Foo", "owner": "johndoe"}])),
        ),
        (
            "users-me-items-insufficient-scope",
            (403, json!({"detail": "Not enough permissions"})),
        ),
        ("status-success", (200, json!({"status": "ok"}))),
        (
            "status-invalid-token",
            (401, json!({"detail": "Could not validate credentials"})),
        ),
        (
            "status-inactive-user",
            (
                401,
                json!({"detail": "Inactive user", "error": "invalid_token"}),
            ),
        ),
        (
            "status-default-route-unknown-path",
            (404, json!({"detail": "Not Found"})),
        ),
        (
            "status-default-route-wrong-method",
            (405, json!({"detail": "Method Not Allowed"})),
        ),
    ])
}

/// The function a sample event is for, from its file name (`<function>-<case>.json`).
fn route_for(name: &str) -> Route {
    [
        ("users-me-items-", Route::UsersMeItems),
        ("users-me-", Route::UsersMe),
        ("status-", Route::Status),
        ("token-", Route::Token),
    ]
    .into_iter()
    .find(|(prefix, _)| name.starts_with(prefix))
    .unwrap_or_else(|| panic!("{name}: no function for this event name"))
    .1
}

/// Objects must contain `expected`'s fields; anything else must equal it.
fn assert_matches(name: &str, actual: &Value, expected: &Value) {
    match expected.as_object() {
        Some(fields) => {
            for (key, value) in fields {
                assert_eq!(&actual[key], value, "{name}: field {key} of {actual}");
            }
        }
        None => assert_eq!(actual, expected, "{name}"),
    }
}

async fn run_every_event(state: &AppState) {
    let expectations = expectations();
    let mut seen = 0;
    let mut files: Vec<_> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| {
            !path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("env")
        })
        .collect();
    files.sort();
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (status, body) = expectations
            .get(name.as_str())
            .unwrap_or_else(|| panic!("events/{name}.json has no expectation in this test"));
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
        let route = route_for(&name);
        let event: Value = serde_json::from_str(&text).unwrap();
        if event["routeKey"] != "$default" {
            let path = request.uri().path();
            assert_eq!(Route::from_path(path), Some(route), "{name}: path");
            assert_eq!(request.method().as_str(), route.method(), "{name}: method");
        }

        let response = handle_lambda(route, state, request).await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            *status,
            "{name}: {:?}",
            response.body()
        );
        let actual: Value = serde_json::from_slice(response.body()).unwrap();
        assert_matches(&name, &actual, body);
        if *status == 200 && route == Route::Token {
            let token = actual["access_token"].as_str().unwrap();
            assert!(
                state.tokens.verify(token).is_ok(),
                "{name}: issued token verifies"
            );
        }
        seen += 1;
    }
    assert_eq!(
        seen,
        expectations.len(),
        "every expectation has its event file"
    );
}

#[tokio::test]
async fn every_sample_event_gets_its_answer_from_the_in_memory_demo_store() {
    let config = config();
    assert!(matches!(config.secret, SecretSource::Value(_)));
    let state = AppState::from_config(&config).await.unwrap();
    run_every_event(&state).await;
}

#[tokio::test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn every_sample_event_gets_its_answer_from_dynamodb() {
    let config = config();
    let SecretSource::Value(secret) = &config.secret else {
        panic!("env.json carries the fixture secret")
    };
    let store = Arc::new(support::dynamodb_store().await);
    for user in tokio::task::spawn_blocking(demo_users)
        .await
        .unwrap()
        .unwrap()
    {
        store.insert(&user).await.unwrap();
    }
    let tokens = TokenService::new(secret, &config.issuer, &config.audience, config.token_ttl);
    run_every_event(&AppState::new(tokens, store)).await;
}
