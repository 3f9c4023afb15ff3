//! Every sign-in outcome costs the same work: one read, one Argon2 verification and one write.
//! Anything less for one outcome (say, skipping the hash for unknown users) would let response
//! times tell which usernames exist. The Argon2 counter is the app's own, so tests running
//! beside this one do not disturb it.

use std::sync::Arc;

use token_service::domain::lockout;
use token_service::store::MemoryUserStore;

use crate::support::{self, Backend, CountingStore, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sign_in_outcome_costs_one_read_one_hash_and_one_write() {
    let store = Arc::new(CountingStore::new(MemoryUserStore::with_users(
        support::test_users(),
    )));
    let app = TestApp::start_with(store.clone(), Backend::Memory).await;
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
