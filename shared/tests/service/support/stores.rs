//! The stores a test app runs on: in memory, or fresh tables on the DynamoDB server; a user
//! store that counts the calls made through it; and session stores with a test's hooks.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use token_service::attempts::{
    AttemptStore, Counter, CounterState, CounterUpdate, DynamoAttemptStore, KnownSource,
    MemoryAttemptStore,
};
use token_service::browser_sessions::{
    BrowserSessionStore, DynamoBrowserSessionStore, MemoryBrowserSessionStore,
};
use token_service::clients::{ClientStore, DynamoClientStore, MemoryClientStore};
use token_service::clock::UnixSeconds;
use token_service::codes::{CodeStore, DynamoCodeStore, MemoryCodeStore};
use token_service::domain::{User, Username};
use token_service::keys::store::{DynamoKeySetStore, MemoryKeySetStore};
use token_service::keys::KeySetStore;
use token_service::sessions::{
    DynamoSessionStore, Family, FamilyId, MemorySessionStore, RefreshRecord, SessionStore, Spend,
    TokenHash,
};
use token_service::store::{
    AccountChange, DynamoUserStore, MemoryUserStore, StoreError, UserStore,
};

use super::Backend;

/// A store that counts reads and writes on the way through to a real one.
pub struct CountingStore {
    inner: MemoryUserStore,
    reads: AtomicU32,
    writes: AtomicU32,
}

impl CountingStore {
    pub fn new(inner: MemoryUserStore) -> Self {
        Self {
            inner,
            reads: AtomicU32::new(0),
            writes: AtomicU32::new(0),
        }
    }

    /// (reads, writes) since the last call.
    pub fn take(&self) -> (u32, u32) {
        (
            self.reads.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl UserStore for CountingStore {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(username).await
    }
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.insert(user).await
    }
    async fn upgrade_password_hash(
        &self,
        username: &Username,
        read: &str,
        upgraded: &str,
    ) -> Result<bool, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner
            .upgrade_password_hash(username, read, upgraded)
            .await
    }
    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
    ) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.update_account(username, change).await
    }
    async fn list(&self) -> Result<Vec<User>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.list().await
    }
}

/// A user store on which an operator's `change` lands between a sign-in's read and its
/// re-hash write: the interleaving a conditional re-hash must survive.
pub struct OperatorBetweenReadAndRehash {
    pub inner: Arc<dyn UserStore>,
    pub change: AccountChange,
}

#[async_trait::async_trait]
impl UserStore for OperatorBetweenReadAndRehash {
    async fn get(&self, username: &Username) -> Result<Option<User>, StoreError> {
        self.inner.get(username).await
    }
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        self.inner.insert(user).await
    }
    async fn upgrade_password_hash(
        &self,
        username: &Username,
        read: &str,
        upgraded: &str,
    ) -> Result<bool, StoreError> {
        self.inner.update_account(username, &self.change).await?;
        self.inner
            .upgrade_password_hash(username, read, upgraded)
            .await
    }
    async fn update_account(
        &self,
        username: &Username,
        change: &AccountChange,
    ) -> Result<(), StoreError> {
        self.inner.update_account(username, change).await
    }
    async fn list(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list().await
    }
}

/// The key set of a test app: in memory, or in a fresh keys table on the DynamoDB server.
pub async fn key_set_store(backend: Backend) -> Arc<dyn KeySetStore> {
    match backend {
        Backend::Memory | Backend::MemoryOverSocket => Arc::new(MemoryKeySetStore::new()),
        Backend::DynamoDb => {
            let aws = aws_config::load_from_env().await;
            let table = format!("keys-test-{}", uuid::Uuid::new_v4());
            let store = DynamoKeySetStore::new(token_service::store::dynamodb_client(&aws), table);
            store.create_table().await.expect("create keys table");
            Arc::new(store)
        }
    }
}

/// The registered clients of a test app: in memory, or in a fresh clients table.
pub async fn client_store(backend: Backend) -> Arc<dyn ClientStore> {
    match backend {
        Backend::Memory | Backend::MemoryOverSocket => Arc::new(MemoryClientStore::new()),
        Backend::DynamoDb => {
            let aws = aws_config::load_from_env().await;
            let table = format!("clients-test-{}", uuid::Uuid::new_v4());
            let store = DynamoClientStore::new(token_service::store::dynamodb_client(&aws), table);
            store.create_table().await.expect("create clients table");
            Arc::new(store)
        }
    }
}

/// What a test app keeps in the tokens table.
pub struct TokenStores {
    pub sessions: Arc<dyn SessionStore>,
    pub codes: Arc<dyn CodeStore>,
    pub browser_sessions: Arc<dyn BrowserSessionStore>,
    pub attempts: Arc<dyn AttemptStore>,
}

/// The sessions, authorization codes and sign-in attempt counters of a test app: in memory,
/// or in one fresh tokens table on the DynamoDB server (as deployed).
pub async fn token_stores(backend: Backend) -> TokenStores {
    match backend {
        Backend::Memory | Backend::MemoryOverSocket => TokenStores {
            sessions: Arc::new(MemorySessionStore::new()),
            codes: Arc::new(MemoryCodeStore::new()),
            browser_sessions: Arc::new(MemoryBrowserSessionStore::new()),
            attempts: Arc::new(MemoryAttemptStore::new()),
        },
        Backend::DynamoDb => {
            let aws = aws_config::load_from_env().await;
            let table = format!("tokens-test-{}", uuid::Uuid::new_v4());
            let client = token_service::store::dynamodb_client(&aws);
            let store = DynamoSessionStore::new(client.clone(), &table);
            store.create_table().await.expect("create tokens table");
            TokenStores {
                sessions: Arc::new(store),
                codes: Arc::new(DynamoCodeStore::new(client.clone(), &table)),
                browser_sessions: Arc::new(DynamoBrowserSessionStore::new(client.clone(), &table)),
                attempts: Arc::new(DynamoAttemptStore::new(client, table)),
            }
        }
    }
}

/// Attempt counters in memory that count the calls made through them.
#[derive(Default)]
pub struct CountingAttempts {
    inner: MemoryAttemptStore,
    counts: AtomicU32,
    known_reads: AtomicU32,
    writes: AtomicU32,
}

impl CountingAttempts {
    /// (counts, known-source reads, settlements) since the last call.
    pub fn take(&self) -> (u32, u32, u32) {
        (
            self.counts.swap(0, Ordering::SeqCst),
            self.known_reads.swap(0, Ordering::SeqCst),
            self.writes.swap(0, Ordering::SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl AttemptStore for CountingAttempts {
    async fn count(&self, counter: &Counter, now: UnixSeconds) -> Result<bool, StoreError> {
        self.counts.fetch_add(1, Ordering::SeqCst);
        self.inner.count(counter, now).await
    }
    async fn settle(
        &self,
        updates: &[CounterUpdate<'_>],
        known: Option<&KnownSource>,
    ) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            updates.len(),
            3,
            "every settlement writes all three counters"
        );
        self.inner.settle(updates, known).await
    }
    async fn is_known(&self, source: &KnownSource, now: UnixSeconds) -> Result<bool, StoreError> {
        self.known_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.is_known(source, now).await
    }
    async fn read(&self, counter: &Counter) -> Result<CounterState, StoreError> {
        self.inner.read(counter).await
    }
}

/// A fresh DynamoDB table with a unique name on the test server.
pub async fn dynamodb_store() -> DynamoUserStore {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "DynamoDB tests need a DynamoDB-compatible server: run scripts/test.sh"
    );
    let table = format!("users-test-{}", uuid::Uuid::new_v4());
    let store = DynamoUserStore::from_env(table).await;
    store.create_table().await.expect("create test table");
    store
}

/// An empty store of the given kind.
pub async fn empty_store(backend: Backend) -> Arc<dyn UserStore> {
    match backend {
        Backend::Memory | Backend::MemoryOverSocket => Arc::new(MemoryUserStore::new()),
        Backend::DynamoDb => Arc::new(dynamodb_store().await),
    }
}

/// An address where nothing listens.
pub fn refusing() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// The app with its users in a DynamoDB at `endpoint` (keys and sessions in memory), reached
/// with dummy credentials: for stores that fail.
pub async fn app_with_users_at(endpoint: &str) -> super::TestApp {
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .load()
        .await;
    let client = token_service::store::dynamodb_client_for_endpoint(&aws, endpoint);
    super::TestApp::start_with(
        Arc::new(DynamoUserStore::new(client, "users")),
        Backend::Memory,
    )
    .await
}

/// What a test does in place of a session store's `start`, `advance` or `revoke_family`: by
/// default, the real store's. For interleavings that real requests reach only by chance.
#[async_trait::async_trait]
pub trait SessionHooks: Send + Sync {
    async fn start(
        &self,
        inner: &dyn SessionStore,
        family: &Family,
        first: &RefreshRecord,
    ) -> Result<bool, StoreError> {
        inner.start(family, first).await
    }

    async fn advance(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        from: u64,
        by: &TokenHash,
    ) -> Result<bool, StoreError> {
        inner.advance(id, from, by).await
    }

    async fn revoke_family(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        inner.revoke_family(id, now).await
    }
}

/// Hooks a test keeps a handle on, to read what they saw.
#[async_trait::async_trait]
impl<H: SessionHooks> SessionHooks for Arc<H> {
    async fn start(
        &self,
        inner: &dyn SessionStore,
        family: &Family,
        first: &RefreshRecord,
    ) -> Result<bool, StoreError> {
        H::start(self, inner, family, first).await
    }

    async fn advance(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        from: u64,
        by: &TokenHash,
    ) -> Result<bool, StoreError> {
        H::advance(self, inner, id, from, by).await
    }

    async fn revoke_family(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        H::revoke_family(self, inner, id, now).await
    }
}

/// A real session store with a test's [`SessionHooks`]; every other call passes through.
pub struct HookedSessions<H> {
    inner: Arc<dyn SessionStore>,
    hooks: H,
}

impl<H: SessionHooks + 'static> HookedSessions<H> {
    pub fn wrap(hooks: H) -> impl FnOnce(Arc<dyn SessionStore>) -> Arc<dyn SessionStore> {
        move |inner| Arc::new(HookedSessions { inner, hooks })
    }
}

#[async_trait::async_trait]
impl<H: SessionHooks> SessionStore for HookedSessions<H> {
    async fn start(&self, family: &Family, first: &RefreshRecord) -> Result<bool, StoreError> {
        self.hooks.start(self.inner.as_ref(), family, first).await
    }
    async fn token(&self, hash: &TokenHash) -> Result<Option<RefreshRecord>, StoreError> {
        self.inner.token(hash).await
    }
    async fn family(&self, id: &FamilyId) -> Result<Option<Family>, StoreError> {
        self.inner.family(id).await
    }
    async fn spend(&self, hash: &TokenHash, now: UnixSeconds) -> Result<Spend, StoreError> {
        self.inner.spend(hash, now).await
    }
    async fn add(&self, record: &RefreshRecord) -> Result<(), StoreError> {
        self.inner.add(record).await
    }
    async fn advance(&self, id: &FamilyId, from: u64, by: &TokenHash) -> Result<bool, StoreError> {
        self.hooks.advance(self.inner.as_ref(), id, from, by).await
    }
    async fn revoke_family(&self, id: &FamilyId, now: UnixSeconds) -> Result<(), StoreError> {
        self.hooks.revoke_family(self.inner.as_ref(), id, now).await
    }
    async fn bar_family(
        &self,
        id: &FamilyId,
        now: UnixSeconds,
        until: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.inner.bar_family(id, now, until).await
    }
}
