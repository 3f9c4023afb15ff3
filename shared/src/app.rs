//! The service's state: built once per process (cold start) from configuration, then shared
//! by every request. Nothing here knows HTTP.
//!
//! Building it makes no network call in a verifying function: the key set is read on first
//! use. Only a process that issues tokens gets a signer.

use std::sync::Arc;

use crate::attempts::{AttemptStore, DynamoAttemptStore, MemoryAttemptStore};
use crate::aws::load_config;
use crate::browser_sessions::{
    BrowserSessionStore, DynamoBrowserSessionStore, MemoryBrowserSessionStore,
};
use crate::clients::{demo_clients, ClientStore, DynamoClientStore, MemoryClientStore};
use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::codes::{CodeStore, DynamoCodeStore, MemoryCodeStore};
use crate::config::{Config, KeySetChoice, SessionSettings, SignerChoice, StoreChoice};
use crate::domain::lockout::LockoutPolicy;
use crate::keys::store::{DynamoKeySetStore, FileKeySetStore, MemoryKeySetStore};
use crate::keys::{CachePolicy, KeySetCache, KeySetStore, KeyStoreError};
use crate::passwords::{PasswordError, PasswordHasher};
use crate::sessions::{DynamoSessionStore, MemorySessionStore, SessionStore};
use crate::store::{demo_users, dynamodb_client, DynamoUserStore, MemoryUserStore, UserStore};
use crate::tokens::signer::LocalKeyError;
use crate::tokens::{
    Hs256Signer, KmsSigner, LocalRsaSigner, Signer, TokenIssuer, TokenVerifier, LEEWAY_SECONDS,
};

/// Everything a request borrows, behind one reference count: axum clones the state for the
/// router, every handler and every extractor of every request, and one count to move is
/// cheaper than one per part (3 % of the warm path's CPU under load, by `perf`). Its parts
/// are read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl From<AppParts> for AppState {
    fn from(parts: AppParts) -> Self {
        AppState(Arc::new(parts))
    }
}

/// The parts of an [`AppState`]. Cloning is cheap: every part is shared.
#[derive(Clone)]
pub struct AppParts {
    /// Present only where tokens are issued (the token function, `authctl serve`).
    pub issuer: Option<Arc<TokenIssuer>>,
    pub verifier: Arc<TokenVerifier>,
    /// The published key set (the JWKS endpoint's source, and the verifier's).
    pub keys: Arc<KeySetCache>,
    pub store: Arc<dyn UserStore>,
    /// Registered clients.
    pub clients: Arc<dyn ClientStore>,
    /// Whether requests naming no client are served as the built-in `default` client.
    pub anonymous_client: bool,
    /// Refresh-token sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Authorization codes waiting for their exchange.
    pub codes: Arc<dyn CodeStore>,
    /// Browsers signed in to the sign-in page.
    pub browser_sessions: Arc<dyn BrowserSessionStore>,
    pub session_settings: SessionSettings,
    /// Sign-in attempt counters, and the budgets they are held to.
    pub attempts: Arc<dyn AttemptStore>,
    pub lockout: LockoutPolicy,
    /// The trusted proxy header naming the client's address, if one is configured.
    pub source_header: Option<axum::http::HeaderName>,
    pub passwords: Arc<PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    /// The hosted sign-in page's heading.
    pub sign_in_title: Arc<str>,
}

/// What a process does with tokens, which decides whether it gets a signer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// The token function and `authctl serve`.
    IssueAndVerify,
    /// Every other function: public keys only, no signing path.
    VerifyOnly,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    LocalKey(#[from] LocalKeyError),
    #[error("could not publish the local signing key: {0}")]
    PublishKey(#[from] crate::tokens::signer::PublishError),
    #[error(transparent)]
    KeySet(#[from] KeyStoreError),
    #[error("could not prepare the demo users and clients: {0}")]
    DemoUsers(#[from] PasswordError),
}

impl AppState {
    /// State over the machine's clock.
    pub fn new(
        issuer: Option<TokenIssuer>,
        verifier: TokenVerifier,
        keys: Arc<KeySetCache>,
        store: Arc<dyn UserStore>,
    ) -> Self {
        Self::from(AppParts {
            issuer: issuer.map(Arc::new),
            verifier: Arc::new(verifier),
            keys,
            store,
            clients: Arc::new(MemoryClientStore::new()),
            anonymous_client: true,
            sessions: Arc::new(MemorySessionStore::new()),
            codes: Arc::new(MemoryCodeStore::new()),
            browser_sessions: Arc::new(MemoryBrowserSessionStore::new()),
            session_settings: SessionSettings::default(),
            attempts: Arc::new(MemoryAttemptStore::new()),
            lockout: LockoutPolicy::default(),
            source_header: None,
            passwords: Arc::new(PasswordHasher::new()),
            clock: Arc::new(SystemClock),
            sign_in_title: Arc::from(crate::config::DEFAULT_SIGN_IN_TITLE),
        })
    }

    /// A copy of the parts, for a state that differs in some (`AppParts { .., ..state.parts() }`).
    pub fn parts(&self) -> AppParts {
        AppParts::clone(&self.0)
    }

    /// The same state with `change` made to its parts.
    fn with(self, change: impl FnOnce(&mut AppParts)) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        change(&mut parts);
        Self::from(parts)
    }

    /// The same state keeping sessions in `sessions`, with `settings`.
    pub fn with_sessions(self, sessions: Arc<dyn SessionStore>, settings: SessionSettings) -> Self {
        self.with(|parts| {
            parts.sessions = sessions;
            parts.session_settings = settings;
        })
    }

    /// The same state keeping authorization codes in `codes`.
    pub fn with_codes(self, codes: Arc<dyn CodeStore>) -> Self {
        self.with(|parts| parts.codes = codes)
    }

    /// The same state keeping browser sessions in `browser_sessions`.
    pub fn with_browser_sessions(self, browser_sessions: Arc<dyn BrowserSessionStore>) -> Self {
        self.with(|parts| parts.browser_sessions = browser_sessions)
    }

    /// The same state with the registered clients in `clients`, serving requests that name
    /// no client as the built-in `default` client if `anonymous_client`.
    pub fn with_clients(self, clients: Arc<dyn ClientStore>, anonymous_client: bool) -> Self {
        self.with(|parts| {
            parts.clients = clients;
            parts.anonymous_client = anonymous_client;
        })
    }

    /// The same state counting sign-in attempts in `attempts`, held to `lockout`.
    pub fn with_attempts(self, attempts: Arc<dyn AttemptStore>, lockout: LockoutPolicy) -> Self {
        self.with(|parts| {
            parts.attempts = attempts;
            parts.lockout = lockout;
        })
    }

    /// The same state taking client addresses from `header` (set by a trusted proxy).
    pub fn with_source_header(self, header: Option<axum::http::HeaderName>) -> Self {
        self.with(|parts| parts.source_header = header)
    }

    /// The same state reading time from `clock` (tests of expiry and lockout).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        self.with(|parts| parts.clock = clock)
    }

    /// The same state titling the sign-in page `title`.
    pub fn with_sign_in_title(self, title: &str) -> Self {
        self.with(|parts| parts.sign_in_title = Arc::from(title))
    }

    /// The time a request is judged at: read once per request.
    pub fn now(&self) -> UnixSeconds {
        self.clock.now()
    }

    /// Builds the state `config` describes for a process with `duty`: connects the stores,
    /// and builds a signer only if the process issues tokens.
    pub async fn from_config(config: &Config, duty: Duty) -> Result<Self, StartupError> {
        let signs = duty == Duty::IssueAndVerify;
        let needs_aws = config.store == StoreChoice::DynamoDb
            || matches!(config.key_set, KeySetChoice::DynamoDb { .. })
            || (signs && matches!(config.signer, SignerChoice::Kms));
        let aws = if needs_aws {
            Some(Aws::load(config).await)
        } else {
            None
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let now = clock.now();

        let keys = key_set(config, aws.as_ref(), now).await?;
        let verifier = match &config.signer {
            SignerChoice::Hs256(secret) => TokenVerifier::shared_secret(&config.tokens, secret),
            _ => TokenVerifier::published(&config.tokens, keys.clone()),
        };
        let issuer = if signs {
            Some(token_issuer(config, aws.as_ref(), &keys, now).await?)
        } else {
            None
        };

        let tokens = TokensTable::of(config, aws.as_ref());
        let (store, clients): (Arc<dyn UserStore>, Arc<dyn ClientStore>) = match (
            config.store,
            &aws,
        ) {
            (StoreChoice::DynamoDb, Some(aws)) => {
                let client = aws.dynamodb.clone();
                (
                    Arc::new(DynamoUserStore::new(client.clone(), &config.users_table)),
                    Arc::new(DynamoClientStore::new(client, &config.clients_table)),
                )
            }
            _ => {
                tracing::warn!(
                        "using the in-memory demo users (johndoe, alice) and clients (demo-service, demo-app, docs): not for production"
                    );
                let (users, clients) = tokio::task::spawn_blocking(|| {
                    Ok::<_, PasswordError>((demo_users()?, demo_clients()?))
                })
                .await
                .map_err(|e| PasswordError::Hashing(e.to_string()))??;
                (
                    Arc::new(MemoryUserStore::with_users(users)),
                    Arc::new(MemoryClientStore::with_clients(clients)),
                )
            }
        };
        Ok(Self::new(issuer, verifier, keys, store)
            .with_clients(clients, config.anonymous_client)
            .with_sessions(tokens.sessions, config.sessions)
            .with_codes(tokens.codes)
            .with_browser_sessions(tokens.browser_sessions)
            .with_attempts(tokens.attempts, LockoutPolicy::default())
            .with_source_header(config.source_header.clone())
            .with_clock(clock)
            .with_sign_in_title(&config.sign_in_title))
    }
}

/// The AWS configuration and the one DynamoDB client every store of a process shares: an SDK
/// client validates its configuration when made, building an HTTPS connector, so a process
/// makes it once.
pub struct Aws {
    config: aws_config::SdkConfig,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl Aws {
    async fn load(config: &Config) -> Self {
        let sdk = load_config(config.environment).await;
        Aws {
            dynamodb: dynamodb_client(&sdk),
            config: sdk,
        }
    }
}

/// What lives in the tokens table: sessions, authorization codes, browser sessions and the
/// sign-in attempt counters (in memory for the zero-setup run).
struct TokensTable {
    sessions: Arc<dyn SessionStore>,
    codes: Arc<dyn CodeStore>,
    browser_sessions: Arc<dyn BrowserSessionStore>,
    attempts: Arc<dyn AttemptStore>,
}

impl TokensTable {
    fn of(config: &Config, aws: Option<&Aws>) -> Self {
        match (config.store, aws) {
            (StoreChoice::DynamoDb, Some(aws)) => {
                let client = aws.dynamodb.clone();
                let table = &config.tokens_table;
                TokensTable {
                    sessions: Arc::new(DynamoSessionStore::new(client.clone(), table)),
                    codes: Arc::new(DynamoCodeStore::new(client.clone(), table)),
                    browser_sessions: Arc::new(DynamoBrowserSessionStore::new(
                        client.clone(),
                        table,
                    )),
                    attempts: Arc::new(DynamoAttemptStore::new(client, table)),
                }
            }
            _ => TokensTable {
                sessions: Arc::new(MemorySessionStore::new()),
                codes: Arc::new(MemoryCodeStore::new()),
                browser_sessions: Arc::new(MemoryBrowserSessionStore::new()),
                attempts: Arc::new(MemoryAttemptStore::new()),
            },
        }
    }
}

/// The key set `config` names, behind the cache every reader uses. Reads nothing yet.
pub async fn key_set(
    config: &Config,
    aws: Option<&Aws>,
    now: UnixSeconds,
) -> Result<Arc<KeySetCache>, StartupError> {
    let store: Arc<dyn KeySetStore> = match (&config.key_set, aws) {
        (KeySetChoice::DynamoDb { table }, Some(aws)) => {
            Arc::new(DynamoKeySetStore::new(aws.dynamodb.clone(), table))
        }
        (KeySetChoice::DynamoDb { table }, None) => Arc::new(DynamoKeySetStore::new(
            Aws::load(config).await.dynamodb,
            table,
        )),
        (KeySetChoice::File(path), _) => Arc::new(FileKeySetStore::new(path)),
        (KeySetChoice::Memory, _) => Arc::new(MemoryKeySetStore::new()),
    };
    let cache = KeySetCache::new(store, CachePolicy::default());
    Ok(Arc::new(match &config.trusted_keys {
        // Held in the cache only: trusted keys are never written to any key set.
        Some(trusted) => cache.trusting(trusted, now),
        None => cache,
    }))
}

/// The token issuer `config` describes, signing through `keys`: the one place a signer is
/// built from configuration. A local key is published into `keys` here.
pub async fn token_issuer(
    config: &Config,
    aws: Option<&Aws>,
    keys: &Arc<KeySetCache>,
    now: UnixSeconds,
) -> Result<TokenIssuer, StartupError> {
    let signer: Arc<dyn Signer> = match &config.signer {
        SignerChoice::Kms => {
            let loaded;
            let aws = match aws {
                Some(aws) => &aws.config,
                None => {
                    loaded = load_config(config.environment).await;
                    &loaded
                }
            };
            // The same bounded timeouts as DynamoDB: a slow KMS is a 503, not a hang.
            let client = aws_sdk_kms::Client::from_conf(
                aws_sdk_kms::config::Builder::from(aws)
                    .timeout_config(crate::store::aws_timeouts())
                    .retry_config(crate::store::aws_retries())
                    .build(),
            );
            Arc::new(KmsSigner::new(client, keys.clone()))
        }
        SignerChoice::LocalRsa { key_file } => {
            let signer = match key_file {
                Some(path) => LocalRsaSigner::load_or_create(path)?,
                None => LocalRsaSigner::generate()?,
            };
            let keep = i64::try_from(config.tokens.ttl.as_secs()).unwrap_or(i64::MAX);
            signer
                .publish(keys, now, keep.saturating_add(LEEWAY_SECONDS))
                .await?;
            tracing::warn!(kid = %signer.kid(), "signing with an in-process RSA key: local use only");
            Arc::new(signer)
        }
        SignerChoice::Hs256(secret) => {
            tracing::warn!("signing with HS256 and a shared secret: local use only");
            Arc::new(Hs256Signer::new(secret))
        }
    };
    Ok(TokenIssuer::new(&config.tokens, signer))
}
