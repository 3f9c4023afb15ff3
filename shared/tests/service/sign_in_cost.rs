//! Every sign-in outcome costs the same work: one read, one Argon2 verification and one write.
//! Anything less for one outcome (say, skipping the hash for unknown users) would let response
//! times tell which usernames exist. The Argon2 counter is the app's own, so tests running
//! beside this one do not disturb it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use token_service::clock::UnixSeconds;
use token_service::domain::{lockout, User, Username};
use token_service::store::{MemoryUserStore, StoreError, UserStore};

use crate::support::{self, TestApp};

/// A store that counts reads and writes on the way through to a real one.
struct CountingStore {
    inner: MemoryUserStore,
    reads: AtomicU32,
    writes: AtomicU32,
}

impl CountingStore {
    fn take(&self) -> (u32, u32) {
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
    async fn set_password_hash(&self, username: &Username, hash: &str) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.set_password_hash(username, hash).await
    }
    async fn record_login_failure(
        &self,
        username: &Username,
        at: UnixSeconds,
    ) -> Result<Option<u32>, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.record_login_failure(username, at).await
    }
    async fn clear_login_failures(&self, username: &Username) -> Result<(), StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.clear_login_failures(username).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sign_in_outcome_costs_one_read_one_hash_and_one_write() {
    let store = Arc::new(CountingStore {
        inner: MemoryUserStore::with_users(support::test_users()),
        reads: AtomicU32::new(0),
        writes: AtomicU32::new(0),
    });
    let app = TestApp::start_with(store.clone(), false).await;
    let hashes_so_far = || app.state.passwords.verifications();

    let mut outcomes = vec![
        ("success", "username=johndoe&password=secret", 200),
        ("wrong password", "username=johndoe&password=nope", 400),
        ("unknown user", "username=nobody&password=secret", 400),
        ("disabled user", "username=alice&password=secretalice", 400),
    ];
    // Lock bob, then try his right password.
    for _ in 0..lockout::FREE_FAILURES {
        app.token("username=bob&password=guess").await;
    }
    outcomes.push(("locked account", "username=bob&password=bobpassword", 400));

    for (name, form, status) in outcomes {
        store.take();
        let hashes_before = hashes_so_far();
        let response = app.token(form).await;
        assert_eq!(response.status, status, "{name}: {}", response.text);
        assert_eq!(
            hashes_so_far() - hashes_before,
            1,
            "{name}: Argon2 verifications"
        );
        assert_eq!(store.take(), (1, 1), "{name}: (reads, writes)");
    }

    // Requests refused before any credential check cost nothing.
    store.take();
    let hashes_before = hashes_so_far();
    assert_eq!(app.token("username=johndoe").await.status, 400);
    assert_eq!(hashes_so_far(), hashes_before);
    assert_eq!(store.take(), (0, 0));
}
