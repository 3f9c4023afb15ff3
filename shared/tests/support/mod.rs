//! Test support: the real app on a random local port, over a real user store, plus a small
//! HTTP client. Backends: the in-memory store, and DynamoDB through the server named by
//! `AWS_ENDPOINT_URL_DYNAMODB` (started by `scripts/test.sh`), one fresh table per test.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use shared::scopes::{Scope, ScopeSet};
use shared::tokens::{SigningSecret, TokenService};
use shared::users::{demo_users, DynamoUserStore, MemoryUserStore, User, UserStore, Username};
use shared::AppState;

pub const ISSUER: &str = "urn:test:issuer";
pub const AUDIENCE: &str = "urn:test:api";
pub const SECRET: &[u8] = b"test-only-signing-key-0123456789abcdef";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Memory,
    DynamoDb,
}

/// A running app and what a test needs to talk to it and to forge tokens for it.
pub struct TestApp {
    pub address: SocketAddr,
    pub store: Arc<dyn UserStore>,
    pub tokens: TokenService,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn token_service() -> TokenService {
    TokenService::new(
        &SigningSecret::new(SECRET.to_vec()).unwrap(),
        ISSUER,
        AUDIENCE,
        Duration::from_secs(1800),
    )
}

pub fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

/// The demo users plus `bob`/`bobpassword`, who may only be granted `me`.
pub fn test_users() -> Vec<User> {
    let mut users = demo_users().unwrap();
    let mut bob = users[0].clone();
    bob.username = username("bob");
    bob.full_name = Some("Bob".into());
    bob.email = None;
    bob.allowed_scopes = ScopeSet::from([Scope::Me]);
    bob.items = Vec::new();
    bob.password_hash = shared::passwords::hash_password_blocking("bobpassword").unwrap();
    users.push(bob);
    users
}

/// A fresh DynamoDB table with a unique name on the test server.
pub async fn dynamodb_store() -> DynamoUserStore {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "DynamoDB tests need a DynamoDB-compatible server: run scripts/test.sh"
    );
    let table = format!("users-test-{}", uuid_like());
    let store = DynamoUserStore::from_env(table).await;
    store.create_table().await.expect("create test table");
    store
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// An empty store of the given kind.
pub async fn empty_store(backend: Backend) -> Arc<dyn UserStore> {
    match backend {
        Backend::Memory => Arc::new(MemoryUserStore::new()),
        Backend::DynamoDb => Arc::new(dynamodb_store().await),
    }
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        let store = empty_store(backend).await;
        let users = tokio::task::spawn_blocking(test_users).await.unwrap();
        for user in &users {
            store.insert(user).await.unwrap();
        }
        Self::start_with(store).await
    }

    pub async fn start_with(store: Arc<dyn UserStore>) -> TestApp {
        let state = Arc::new(AppState::new(token_service(), Arc::clone(&store)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(shared::server::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestApp {
            address,
            store,
            tokens: token_service(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            shutdown: Some(tx),
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> TestResponse {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{}", self.address, path));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body.into())).unwrap();
        let response = tokio::time::timeout(Duration::from_secs(30), self.client.request(request))
            .await
            .expect("the server answered within 30 s")
            .expect("the request went through");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        TestResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            text: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
        }
    }

    /// `POST /token` with a form body.
    pub async fn token(&self, form: &str) -> TestResponse {
        self.request(
            "POST",
            "/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form.to_owned(),
        )
        .await
    }

    /// Signs in and returns the access token, asserting success.
    pub async fn sign_in(&self, user: &str, password: &str, scope: &str) -> String {
        let response = self
            .token(&format!(
                "username={user}&password={password}&scope={scope}"
            ))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> TestResponse {
        let auth = bearer.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|value| vec![("authorization", value)])
            .unwrap_or_default();
        self.request("GET", path, &headers, Bytes::new()).await
    }

    /// A valid token for `user` with `scope`, without signing in.
    pub fn mint(&self, user: &str, scope: &str) -> String {
        self.tokens
            .issue(&username(user), &ScopeSet::parse(scope).unwrap(), None)
            .unwrap()
            .access_token
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub text: String,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a JSON error body with this status, `detail` and (optionally) RFC `error`.
    pub fn assert_error(&self, status: u16, detail: &str, error: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["detail"], detail, "{}", self.text);
        match error {
            Some(code) => {
                assert_eq!(body["error"], code, "{}", self.text);
                assert!(body["error_description"].is_string(), "{}", self.text);
            }
            None => assert!(body.get("error").is_none(), "{}", self.text),
        }
    }
}

/// Runs each scenario against every backend: `memory::name` always, `dynamodb::name` when
/// ignored tests are included (scripts/test.sh starts the server they need).
#[macro_export]
macro_rules! for_each_backend {
    ($($scenario:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::support::Backend::Memory).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
                async fn $scenario() {
                    super::$scenario($crate::support::Backend::DynamoDb).await
                }
            )*
        }
    };
}
