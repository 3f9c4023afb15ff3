//! Test support: the real router over a real user store, called directly (`oneshot`) or
//! through a real local server on a random port, plus what a test needs to forge tokens and
//! move time. Backends: the in-memory store, and DynamoDB through the server named by
//! `AWS_ENDPOINT_URL_DYNAMODB` (started by `scripts/test.sh`), one fresh table per test.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use token_service::attempts::AttemptStore;
use token_service::clients::{ClientSecret, ClientStore};
use token_service::clock::{Clock as _, ManualClock, UnixSeconds};
use token_service::config::SessionSettings;
use token_service::domain::lockout::LockoutPolicy;
use token_service::domain::{
    Client as OAuthClient, ClientId, ClientType, GrantType, Scope, ScopeSet, User, Username,
};
use token_service::keys::{CachePolicy, KeySetCache};
use token_service::passwords::{hash_password_blocking, Password};
use token_service::sessions::SessionStore;
use token_service::store::{demo_users, UserStore};
use token_service::tokens::{LocalRsaSigner, TokenIssuer, TokenSettings, TokenVerifier};
use token_service::{http, AppState};

mod budgets;
pub mod documented;
mod forge;
mod requests;
mod response;
mod stores;
pub mod template;

pub use forge::forge_with;
pub use requests::basic;
pub use response::TestResponse;
pub use stores::*;

pub const ISSUER: &str = "urn:test:issuer";
pub const AUDIENCE: &str = "urn:test:api";
/// Where every test app's clock starts: a fixed instant, so no test depends on the wall clock.
pub const NOW: UnixSeconds = 1_800_000_000;

/// Which user store a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The in-memory store; requests go straight into the router.
    Memory,
    /// DynamoDB (moto); requests go straight into the router.
    DynamoDb,
    /// The in-memory store behind a real local server (`http::serve`) on a random port.
    MemoryOverSocket,
}

/// How requests reach the router.
enum Transport {
    Router(Router),
    Socket {
        address: SocketAddr,
        client: Box<Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>>,
        shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    },
}

/// A running app and what a test needs to talk to it, forge tokens for it and move its time.
pub struct TestApp {
    pub state: AppState,
    pub store: Arc<dyn UserStore>,
    pub clients: Arc<dyn ClientStore>,
    pub issuer: Arc<TokenIssuer>,
    /// The app's local signing key, published in its key set: for forging near misses.
    pub signer: Arc<LocalRsaSigner>,
    pub keys: Arc<KeySetCache>,
    pub sessions: Arc<dyn SessionStore>,
    pub attempts: Arc<dyn AttemptStore>,
    pub clock: Arc<ManualClock>,
    transport: Transport,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Transport::Socket { shutdown, .. } = &mut self.transport {
            if let Some(tx) = shutdown.take() {
                let _ = tx.send(());
            }
        }
    }
}

pub fn token_settings() -> TokenSettings {
    TokenSettings {
        issuer: token_service::tokens::IssuerUrl::Fixed(ISSUER.into()),
        audience: AUDIENCE.into(),
        ttl: Duration::from_secs(1800),
        max_lifetime: Some(Duration::from_secs(1800)),
    }
}

/// A signer with a fresh local key published in `keys` at [`NOW`], and its issuer.
pub async fn local_issuer(keys: &KeySetCache) -> (Arc<LocalRsaSigner>, TokenIssuer) {
    let signer = Arc::new(LocalRsaSigner::generate().unwrap());
    signer.publish(keys, NOW, 1800 + 5).await.unwrap();
    let issuer = TokenIssuer::new(&token_settings(), signer.clone());
    (signer, issuer)
}

pub fn username(name: &str) -> Username {
    Username::parse(name).unwrap()
}

pub fn password(text: &str) -> Password {
    Password::parse(text).unwrap()
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
    bob.password_hash = hash_password_blocking(&password("bobpassword")).unwrap();
    users.push(bob);
    users
}

/// The secret of the confidential test client `service` (and of `service-two`'s first).
pub const SERVICE_SECRET: &str = "service-secret-0123456789";
/// The second live secret of `service-two`, mid-rotation.
pub const SERVICE_SECRET_NEXT: &str = "service-secret-next-9876543210";

/// A client id the tests name.
pub fn client_id(text: &str) -> ClientId {
    ClientId::parse(text).unwrap()
}

/// A client as the tests register it.
pub fn client(id: &str, kind: ClientType, grants: &[GrantType], scopes: &str) -> OAuthClient {
    OAuthClient {
        client_id: ClientId::parse(id).unwrap(),
        client_type: kind,
        grant_types: grants.iter().copied().collect(),
        allowed_scopes: ScopeSet::parse(scopes).unwrap(),
        redirect_uris: Vec::new(),
        secrets: Vec::new(),
        disabled: false,
        created_at: NOW,
        revision: 0,
    }
}

/// The registered test clients:
/// - public `my-cli`, `app-one`, `someone-else`: password and refresh, every scope;
/// - public `me-only`: password and refresh, scope `me` only;
/// - public `no-refresh`: the password grant only;
/// - confidential `service` (secret [`SERVICE_SECRET`]): client credentials, scope `items`;
/// - confidential `service-two`: client credentials and password, every scope, two live
///   secrets ([`SERVICE_SECRET`], [`SERVICE_SECRET_NEXT`]);
/// - confidential `disabled-service` (secret [`SERVICE_SECRET`]), disabled.
pub fn test_clients() -> Vec<OAuthClient> {
    use GrantType::*;
    let hashed = |secret: &str| {
        ClientSecret::parse(secret)
            .unwrap()
            .hash_blocking(NOW)
            .unwrap()
    };
    let public = |id: &str, grants: &[GrantType], scopes: &str| {
        client(id, ClientType::Public, grants, scopes)
    };
    let confidential =
        |id: &str, grants: &[GrantType], scopes: &str, secrets: &[&str]| OAuthClient {
            secrets: secrets.iter().map(|s| hashed(s)).collect(),
            ..client(id, ClientType::Confidential, grants, scopes)
        };
    vec![
        public("my-cli", &[Password, RefreshToken], "me items"),
        public("app-one", &[Password, RefreshToken], "me items"),
        public("someone-else", &[Password, RefreshToken], "me items"),
        public("me-only", &[Password, RefreshToken], "me"),
        public("no-refresh", &[Password], "me items"),
        confidential("service", &[ClientCredentials], "items", &[SERVICE_SECRET]),
        confidential(
            "service-two",
            &[ClientCredentials, Password, RefreshToken],
            "me items",
            &[SERVICE_SECRET, SERVICE_SECRET_NEXT],
        ),
        OAuthClient {
            disabled: true,
            ..confidential(
                "disabled-service",
                &[ClientCredentials, RefreshToken],
                "me items",
                &[SERVICE_SECRET],
            )
        },
    ]
}

impl TestApp {
    /// The app of all endpoints over `backend`, holding the test users.
    pub async fn start(backend: Backend) -> TestApp {
        let store = empty_store(backend).await;
        let users = tokio::task::spawn_blocking(test_users).await.unwrap();
        for user in &users {
            store.insert(user).await.unwrap();
        }
        Self::start_with(store, backend).await
    }

    /// [`Self::start`] with other session settings (the refresh reuse grace window).
    pub async fn start_with_sessions(backend: Backend, settings: SessionSettings) -> TestApp {
        let store = empty_store(backend).await;
        let users = tokio::task::spawn_blocking(test_users).await.unwrap();
        for user in &users {
            store.insert(user).await.unwrap();
        }
        Self::start_with_settings(store, backend, settings).await
    }

    /// The app of all endpoints over `store` and a key set of `backend`'s kind, called
    /// directly or (for [`Backend::MemoryOverSocket`]) through a local server.
    pub async fn start_with(store: Arc<dyn UserStore>, backend: Backend) -> TestApp {
        Self::start_with_settings(store, backend, SessionSettings::default()).await
    }

    /// [`Self::start_with`], counting sign-in attempts in `attempts`.
    pub async fn start_with_attempts(
        store: Arc<dyn UserStore>,
        attempts: Arc<dyn AttemptStore>,
        backend: Backend,
    ) -> TestApp {
        Self::start_with_parts(
            store,
            Some(attempts),
            backend,
            SessionSettings::default(),
            true,
        )
        .await
    }

    async fn start_with_settings(
        store: Arc<dyn UserStore>,
        backend: Backend,
        settings: SessionSettings,
    ) -> TestApp {
        Self::start_with_parts(store, None, backend, settings, true).await
    }

    /// [`Self::start`] with the built-in `default` client turned off (`ANONYMOUS_CLIENT=off`).
    pub async fn start_without_anonymous_client(backend: Backend) -> TestApp {
        let store = empty_store(backend).await;
        let users = tokio::task::spawn_blocking(test_users).await.unwrap();
        for user in &users {
            store.insert(user).await.unwrap();
        }
        Self::start_with_parts(store, None, backend, SessionSettings::default(), false).await
    }

    /// [`Self::start`] with the backend's sessions seen through `wrap` (a test's interleaving).
    pub async fn start_wrapping_sessions(
        backend: Backend,
        wrap: impl FnOnce(Arc<dyn SessionStore>) -> Arc<dyn SessionStore>,
    ) -> TestApp {
        let store = empty_store(backend).await;
        let users = tokio::task::spawn_blocking(test_users).await.unwrap();
        for user in &users {
            store.insert(user).await.unwrap();
        }
        let app = Self::start_with(store, backend).await;
        let sessions = wrap(app.sessions.clone());
        let state = app
            .state
            .clone()
            .with_sessions(sessions.clone(), app.state.session_settings);
        app.with_state(state, sessions)
    }

    async fn start_with_parts(
        store: Arc<dyn UserStore>,
        attempts: Option<Arc<dyn AttemptStore>>,
        backend: Backend,
        settings: SessionSettings,
        anonymous_client: bool,
    ) -> TestApp {
        let over_socket = backend == Backend::MemoryOverSocket;
        let clock = Arc::new(ManualClock::at(NOW));
        let keys = Arc::new(KeySetCache::new(
            key_set_store(backend).await,
            CachePolicy::default(),
        ));
        let (signer, issuer) = local_issuer(&keys).await;
        let verifier = TokenVerifier::published(&token_settings(), keys.clone());
        let tokens = token_stores(backend).await;
        let sessions = tokens.sessions;
        let attempts = attempts.unwrap_or(tokens.attempts);
        let clients = client_store(backend).await;
        let registered = tokio::task::spawn_blocking(test_clients).await.unwrap();
        for client in &registered {
            clients.insert(client).await.unwrap();
        }
        let state = AppState::new(Some(issuer), verifier, keys.clone(), Arc::clone(&store))
            .with_clients(clients.clone(), anonymous_client)
            .with_sessions(sessions.clone(), settings)
            .with_codes(tokens.codes)
            .with_browser_sessions(tokens.browser_sessions)
            .with_attempts(attempts.clone(), LockoutPolicy::default())
            .with_clock(clock.clone());
        let router = http::router_of_all(state.clone());
        let transport = if over_socket {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(http::serve(listener, router, async {
                let _ = rx.await;
            }));
            Transport::Socket {
                address,
                client: Box::new(Client::builder(TokioExecutor::new()).build_http()),
                shutdown: Some(tx),
            }
        } else {
            Transport::Router(router)
        };
        TestApp {
            issuer: state.issuer.clone().expect("the test app issues tokens"),
            signer,
            keys,
            sessions,
            attempts,
            state,
            store,
            clients,
            clock,
            transport,
        }
    }

    /// The same app serving `state` (whose sessions are `sessions`), called directly.
    fn with_state(mut self, state: AppState, sessions: Arc<dyn SessionStore>) -> TestApp {
        assert!(
            matches!(self.transport, Transport::Router(_)),
            "only a directly called app changes its state"
        );
        self.transport = Transport::Router(http::router_of_all(state.clone()));
        self.state = state;
        self.sessions = sessions;
        self
    }

    /// The app's current time.
    pub fn now(&self) -> UnixSeconds {
        self.clock.now()
    }

    /// A valid token for `user` with `scope`, issued now, without signing in.
    pub async fn mint(&self, user: &str, scope: &str) -> String {
        self.issuer
            .issue(
                ISSUER,
                &username(user),
                &ScopeSet::parse(scope).unwrap(),
                None,
                self.now(),
            )
            .await
            .unwrap()
            .access_token
    }

    /// An operator's `change` to `user`'s account, as `authctl user ...` makes it.
    pub async fn change_account(&self, user: &str, change: &token_service::store::AccountChange) {
        self.store
            .update_account(&username(user), change)
            .await
            .unwrap();
    }

    /// Verifies a token the app issued, at the app's time.
    pub async fn verify(&self, token: &str) -> token_service::tokens::AccessClaims {
        self.state
            .verifier
            .verify(token, ISSUER, self.now())
            .await
            .unwrap()
    }

    /// A token with any header and claims, signed by the app's own key (near misses).
    pub async fn forge(&self, header: &Value, claims: &Value) -> String {
        forge_with(self.signer.as_ref(), header, claims).await
    }
}

/// Runs each scenario on every backend: `memory::name` always, `dynamodb::name` when ignored
/// tests are included (scripts/test.sh starts the server they need). With `over_socket:` in
/// front, also `over_socket::name`: the memory store behind a real local server.
#[macro_export]
macro_rules! for_each_backend {
    (over_socket: $($scenario:ident),* $(,)?) => {
        $crate::for_each_backend!($($scenario),*);
        mod over_socket {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::support::Backend::MemoryOverSocket).await
                }
            )*
        }
    };
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
