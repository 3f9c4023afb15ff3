//! A store that fails answers 503 with `Retry-After` and the JSON error body, within the
//! bounded timeouts (2.8 s per store call), never a wrong answer about credentials and never
//! a hang: DynamoDB unreachable (connection refused) and DynamoDB hanging (accepts, never
//! answers).

use std::sync::Arc;
use std::time::{Duration, Instant};

use token_service::store::{dynamodb_client_for_endpoint, DynamoUserStore};

use crate::support::{Backend, TestApp};

/// An address where nothing listens.
fn refusing() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// An address that accepts connections and never answers.
async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

/// The app with its users in a DynamoDB at `endpoint` (keys and sessions in memory).
async fn app_with_users_at(endpoint: &str) -> TestApp {
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let store = DynamoUserStore::new(dynamodb_client_for_endpoint(&aws, endpoint), "users");
    TestApp::start_with(Arc::new(store), Backend::Memory).await
}

async fn assert_unavailable_quickly(app: &TestApp, what: &str) {
    let token = app.mint("johndoe", "me").await;
    let started = Instant::now();
    let me = app.get("/users/me/", Some(&token)).await;
    let read_took = started.elapsed();
    let started = Instant::now();
    let sign_in = app.token("username=johndoe&password=secret").await;
    let sign_in_took = started.elapsed();
    for (name, response, took) in [
        ("GET /users/me/", &me, read_took),
        ("POST /token", &sign_in, sign_in_took),
    ] {
        response.assert_error(
            503,
            "Service temporarily unavailable",
            Some("temporarily_unavailable"),
        );
        assert_eq!(response.header("retry-after"), Some("1"), "{what}: {name}");
        println!("{what}: {name} answered 503 after {took:.2?}");
        // The store calls are bounded at 2.8 s; the rest is scheduling.
        assert!(
            took < Duration::from_millis(3500),
            "{what}: {name} took {took:?}"
        );
    }
    // Nothing was decided about the credentials: no password was even checked.
    assert_eq!(app.state.passwords.verifications(), 0, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_a_quick_503() {
    let app = app_with_users_at(&refusing()).await;
    assert_unavailable_quickly(&app, "connection refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_store_is_a_bounded_503() {
    let app = app_with_users_at(&hanging().await).await;
    assert_unavailable_quickly(&app, "store hangs").await;
}
