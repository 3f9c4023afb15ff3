//! Every sign-in outcome costs the same work: one user read, three attempt counts and a
//! known-source read (at once), one Argon2 verification and one settlement of all three
//! counters. Anything less for one outcome (say, skipping the hash
//! for unknown users or for a spent budget) would let response times tell which usernames
//! exist or which lock an address met. The counters are the app's own, so tests running
//! beside this one do not disturb them.

use std::sync::Arc;

use token_service::store::MemoryUserStore;

use crate::support::{self, Backend, CountingAttempts, CountingStore, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sign_in_outcome_costs_the_same_reads_counts_hash_and_write() {
    let store = Arc::new(CountingStore::new(MemoryUserStore::with_users(
        support::test_users(),
    )));
    let attempts = Arc::new(CountingAttempts::default());
    let app = TestApp::start_with_attempts(store.clone(), attempts.clone(), Backend::Memory).await;
    let hashes_so_far = || app.state.passwords.verifications();
    // bob, locked out of three addresses by the three budgets.
    app.lock_bob_out_three_ways().await;

    let outcomes = [
        (
            "success",
            "192.0.2.1",
            "username=johndoe&password=secret",
            200,
        ),
        (
            "wrong password",
            "192.0.2.2",
            "username=johndoe&password=nope",
            400,
        ),
        (
            "unknown user",
            "192.0.2.3",
            "username=nobody&password=secret",
            400,
        ),
        (
            "disabled user",
            "192.0.2.4",
            "username=alice&password=secretalice",
            400,
        ),
        (
            "locked for this address",
            "192.0.2.5",
            "username=bob&password=bobpassword",
            400,
        ),
        (
            "address budget spent",
            "192.0.2.6",
            "username=bob&password=bobpassword",
            400,
        ),
        (
            "account ceiling reached",
            "192.0.2.7",
            "username=bob&password=bobpassword",
            400,
        ),
    ];
    for (name, ip, form, status) in outcomes {
        store.take();
        attempts.take();
        let hashes_before = hashes_so_far();
        let response = app.token_from(ip, form).await;
        assert_eq!(response.status, status, "{name}: {}", response.text);
        assert_eq!(
            hashes_so_far() - hashes_before,
            1,
            "{name}: Argon2 verifications"
        );
        assert_eq!(store.take(), (1, 0), "{name}: user (reads, writes)");
        assert_eq!(
            attempts.take(),
            (3, 1, 1),
            "{name}: attempt (counts, known-source reads, settlements)"
        );
    }

    // Requests refused before any credential check cost nothing.
    store.take();
    attempts.take();
    let hashes_before = hashes_so_far();
    assert_eq!(app.token("username=johndoe").await.status, 400);
    assert_eq!(hashes_so_far(), hashes_before);
    assert_eq!(store.take(), (0, 0));
    assert_eq!(attempts.take(), (0, 0, 0));
}
