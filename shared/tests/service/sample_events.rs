//! Every file in `events/` parsed by `lambda_http` and fed to the router of the function it
//! is for, exactly as the function's `main` hands it to `lambda_http::run`, as
//! `sam local invoke -e` and `cargo lambda invoke --data-file` would, configured by
//! `events/env.json`. And every event fed to every other function, which must answer with
//! the JSON 404/405 without running any endpoint's code.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::Method;
use http_body_util::BodyExt as _;
use serde_json::{json, Value};
use token_service::app::Duty;
use token_service::config::{Config, Environment, Mode, SignerChoice};
use token_service::store::{demo_users, MemoryUserStore, UserStore as _};
use token_service::{http, AppParts, AppState, Endpoint};
use tower::ServiceExt as _;

use crate::support::{self, CountingStore};

mod expectations;

use expectations::{expectations, issuer};

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

/// The function a sample event is for, from its file name (`<function>-<case>.json`).
fn endpoint_for(name: &str) -> Endpoint {
    [
        ("users-me-items-", Endpoint::UsersMeItems),
        ("users-me-", Endpoint::UsersMe),
        ("status-", Endpoint::Status),
        ("token-", Endpoint::Token),
        ("revoke-", Endpoint::Revoke),
        ("introspect-", Endpoint::Introspect),
        ("oauth-authorization-server-", Endpoint::OpenIdConfiguration),
        ("jwks-", Endpoint::Jwks),
        ("openid-configuration-", Endpoint::OpenIdConfiguration),
        ("openapi-", Endpoint::OpenApi),
        ("docs-", Endpoint::Docs),
        ("authorize-", Endpoint::Authorize),
    ]
    .into_iter()
    .find(|(prefix, _)| name.starts_with(prefix))
    .unwrap_or_else(|| panic!("{name}: no function for this event name"))
    .1
}

/// Objects must contain `expected`'s fields; a page (not JSON) must contain `expected`'s
/// text; anything else must equal it.
fn assert_matches(name: &str, actual: &Value, expected: &Value) {
    match (expected, actual) {
        (Value::Object(fields), _) => {
            for (key, value) in fields {
                assert_eq!(&actual[key], value, "{name}: field {key} of {actual}");
            }
        }
        (Value::String(part), Value::String(page)) => {
            assert!(page.contains(part.as_str()), "{name}: {part} not in {page}");
        }
        _ => assert_eq!(actual, expected, "{name}"),
    }
}

/// The sample events, sorted, as (name, file text).
fn sample_events() -> Vec<(String, String)> {
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
    files
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// What `lambda_http::run` does with one event: parse it, call the function's router.
async fn invoke(
    state: &AppState,
    endpoint: Endpoint,
    name: &str,
    event: &str,
) -> (u16, Option<String>, Value) {
    let request = lambda_http::request::from_str(event)
        .unwrap_or_else(|e| panic!("{name}: not an API Gateway event: {e}"));
    let path = request.uri().path().to_owned();
    let method = request.method().to_string();
    let response = http::function::router_of_function(endpoint, state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let html = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // An answer of the function that serves the path is one the OpenAPI document declares.
    if Endpoint::for_path(&path) == Some(endpoint) {
        let text = String::from_utf8_lossy(&bytes);
        support::documented::assert_documented(&method, &path, status, &headers, &text);
    }
    let body = if html {
        Value::String(String::from_utf8(bytes.to_vec()).expect("a UTF-8 page"))
    } else if let Some(location) = headers.get("location") {
        // A redirect: where to, as its text.
        assert!(bytes.is_empty(), "{name}: a redirect with a body");
        Value::String(location.to_str().unwrap().to_owned())
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{name} on {endpoint:?}: not JSON ({e}): {bytes:?}"))
    };
    (status, allow, body)
}

/// Runs every event through the state of the function it is for: the token function's state
/// issues; every other function's state only verifies.
async fn run_every_event(states: &States) {
    let expectations = expectations();
    let mut seen = 0;
    for (name, text) in sample_events() {
        let (status, body) = expectations
            .get(name.as_str())
            .unwrap_or_else(|| panic!("events/{name}.json has no expectation in this test"));
        let endpoint = endpoint_for(&name);
        let event: Value = serde_json::from_str(&text).unwrap();
        if event["routeKey"] != "$default" {
            let request = lambda_http::request::from_str(&text).unwrap();
            let path = request.uri().path();
            assert_eq!(Endpoint::for_path(path), Some(endpoint), "{name}: path");
            assert!(
                endpoint.methods().contains(request.method()),
                "{name}: method"
            );
        }

        let state = states.of(endpoint);
        let (actual_status, _, actual) = invoke(state, endpoint, &name, &text).await;
        assert_eq!(actual_status, *status, "{name}: {actual}");
        assert_matches(&name, &actual, body);
        if *status == 200 && endpoint == Endpoint::Token {
            let token = actual["access_token"].as_str().unwrap();
            assert!(
                state
                    .verifier
                    .verify(token, &issuer(), state.now())
                    .await
                    .is_ok(),
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

/// The states of the two kinds of function, built from events/env.json as the functions
/// build theirs.
struct States {
    issuing: AppState,
    verifying: AppState,
}

impl States {
    async fn from_env_json() -> States {
        let config = config();
        assert_eq!(config.environment, Environment::Local);
        assert!(matches!(config.signer, SignerChoice::LocalRsa { .. }));
        States {
            issuing: AppState::from_config(&config, Duty::IssueAndVerify)
                .await
                .unwrap(),
            verifying: AppState::from_config(&config, Duty::VerifyOnly)
                .await
                .unwrap(),
        }
    }

    fn of(&self, endpoint: Endpoint) -> &AppState {
        if endpoint == Endpoint::Token {
            &self.issuing
        } else {
            &self.verifying
        }
    }

    /// Both states over other user and client stores.
    fn with_stores(
        self,
        store: Arc<dyn token_service::store::UserStore>,
        clients: Arc<dyn token_service::clients::ClientStore>,
    ) -> States {
        States {
            issuing: AppState::from(AppParts {
                store: store.clone(),
                clients: clients.clone(),
                ..self.issuing.parts()
            }),
            verifying: AppState::from(AppParts {
                store,
                clients,
                ..self.verifying.parts()
            }),
        }
    }
}

#[tokio::test]
async fn every_sample_event_gets_its_answer_from_the_in_memory_demo_store() {
    run_every_event(&States::from_env_json().await).await;
}

#[tokio::test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn every_sample_event_gets_its_answer_from_dynamodb() {
    let store = Arc::new(support::dynamodb_store().await);
    for user in tokio::task::spawn_blocking(demo_users)
        .await
        .unwrap()
        .unwrap()
    {
        store.insert(&user).await.unwrap();
    }
    let clients = support::client_store(support::Backend::DynamoDb).await;
    for client in tokio::task::spawn_blocking(token_service::clients::demo_clients)
        .await
        .unwrap()
        .unwrap()
    {
        clients.insert(&client).await.unwrap();
    }
    run_every_event(&States::from_env_json().await.with_stores(store, clients)).await;
}

#[tokio::test]
async fn only_the_token_function_can_sign() {
    let states = States::from_env_json().await;
    assert!(states.issuing.issuer.is_some());
    assert!(states.verifying.issuer.is_none());
    // Deployed configuration, built without any network call: the verifying functions get
    // no signer (so no KMS client), only the key set.
    let deployed: HashMap<&str, &str> = HashMap::from([
        ("JWT_ISSUER", "https://auth.example.com"),
        ("AWS_REGION", "eu-west-1"),
    ]);
    let config = Config::from_lookup(Mode::Function, |name| {
        deployed.get(name).map(|v| v.to_string())
    })
    .unwrap();
    let state = AppState::from_config(&config, Duty::VerifyOnly)
        .await
        .unwrap();
    assert!(state.issuer.is_none());
}

/// The answer a function that does not serve the event's route owes it: the API's 405 when
/// the path is an endpoint's and the method is not one of its, otherwise a 404.
fn foreign_answer(event: &str) -> (u16, Option<String>) {
    let request = lambda_http::request::from_str(event).unwrap();
    match Endpoint::for_path(request.uri().path()) {
        Some(owner) if !owner.methods().contains(request.method()) => {
            let allow: Vec<&str> = owner.methods().iter().map(Method::as_str).collect();
            (405, Some(allow.join(", ")))
        }
        _ => (404, None),
    }
}

#[tokio::test]
async fn every_function_answers_only_its_own_events() {
    let config = config();
    let users = tokio::task::spawn_blocking(demo_users)
        .await
        .unwrap()
        .unwrap();
    let store = Arc::new(CountingStore::new(MemoryUserStore::with_users(users)));
    let state = AppState::from(AppParts {
        store: store.clone(),
        ..AppState::from_config(&config, Duty::IssueAndVerify)
            .await
            .unwrap()
            .parts()
    });
    let expectations = expectations();
    let mut foreign = 0;
    for (name, text) in sample_events() {
        for endpoint in Endpoint::ALL {
            store.take();
            let hashes = state.passwords.verifications();
            let (status, allow, body) = invoke(&state, endpoint, &name, &text).await;
            if endpoint == endpoint_for(&name) {
                assert_eq!(
                    status,
                    expectations[name.as_str()].0,
                    "{name} on its own function: {body}"
                );
                continue;
            }
            foreign += 1;
            let (want_status, want_allow) = foreign_answer(&text);
            let detail = if want_status == 404 {
                "Not Found"
            } else {
                "Method Not Allowed"
            };
            assert_eq!(
                (status, allow, body),
                (want_status, want_allow, json!({"detail": detail})),
                "{name} on the {endpoint:?} function"
            );
            assert_eq!(
                (store.take(), state.passwords.verifications()),
                ((0, 0), hashes),
                "{name} on the {endpoint:?} function touched the store or hashed a password"
            );
        }
    }
    // 19 events, each foreign to three functions; a test that saw none would prove nothing.
    assert!(foreign >= 3 * 19, "{foreign}");
}
