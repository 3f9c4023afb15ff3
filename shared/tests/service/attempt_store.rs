//! The `AttemptStore` contract, identical in memory and in DynamoDB's tokens table: a counter
//! counts only while under its limit, atomically (of parallel attempts exactly as many are
//! counted as the limit has room for), a success clears the narrow counter and refunds the
//! wide ones in one write and marks the source known, a refused attempt gives back what it
//! counted on the account's budgets (never on the source's), no counter goes below zero, and
//! counters of other windows, accounts and addresses are apart.

use std::sync::Arc;

use token_service::attempts::{AttemptStore, Change, CounterState, CounterUpdate, SignInCounters};
use token_service::domain::lockout::{Exhausted, LockoutPolicy};
use token_service::domain::SourceAddress;

use crate::for_each_backend;
use crate::support::{token_stores, username, Backend, NOW};

for_each_backend!(
    parallel_counts_stop_exactly_at_the_limit,
    a_success_clears_the_narrow_counter_and_refunds_the_wide_ones,
    a_refused_attempt_gives_back_what_it_counted,
    a_refund_after_a_clear_never_goes_below_zero,
    a_success_marks_its_source_known_until_the_mark_expires,
    a_new_window_counts_from_zero,
);

fn counters(source: &str, now: i64) -> SignInCounters {
    SignInCounters::new(
        &LockoutPolicy::default(),
        Some((&username("carol"), 0)),
        &SourceAddress::parse(source).unwrap(),
        now,
    )
}

async fn attempts(backend: Backend) -> Arc<dyn AttemptStore> {
    token_stores(backend).await.attempts
}

async fn parallel_counts_stop_exactly_at_the_limit(backend: Backend) {
    let store = attempts(backend).await;
    let counter = counters("192.0.2.1", NOW).source_and_account;
    assert_eq!(counter.limit, 5);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let counter = counter.clone();
            tokio::spawn(async move { store.count(&counter, NOW).await })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        counted += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(
        counted, 5,
        "exactly the limit, none lost or doubled by a race"
    );
    assert_eq!(store.read(&counter).await.unwrap().count, 5);
}

async fn a_success_clears_the_narrow_counter_and_refunds_the_wide_ones(backend: Backend) {
    let store = attempts(backend).await;
    let policy = LockoutPolicy::default();
    let c = counters("192.0.2.1", NOW);
    for _ in 0..2 {
        let counted = c.count(store.as_ref(), &policy, NOW).await.unwrap();
        assert_eq!(counted.exhausted, None);
        c.settle_failure(store.as_ref(), &counted, NOW + 1)
            .await
            .unwrap();
    }
    let counted = c.count(store.as_ref(), &policy, NOW).await.unwrap();
    c.settle_success(store.as_ref(), &counted).await.unwrap();
    assert_eq!(
        store.read(&c.source_and_account).await.unwrap(),
        CounterState::default()
    );
    assert_eq!(store.read(&c.source).await.unwrap().count, 2);
    assert_eq!(
        store.read(&c.account).await.unwrap(),
        CounterState {
            count: 2,
            last_failure: Some(NOW + 1)
        }
    );
    // Another address of the same account keeps its own narrow counter.
    let elsewhere = counters("192.0.2.2", NOW);
    assert_eq!(elsewhere.account, c.account);
    assert_eq!(
        store
            .read(&elsewhere.source_and_account)
            .await
            .unwrap()
            .count,
        0
    );
}

async fn a_refused_attempt_gives_back_what_it_counted(backend: Backend) {
    let store = attempts(backend).await;
    let policy = LockoutPolicy::default();
    let c = counters("192.0.2.1", NOW);
    for _ in 0..5 {
        let counted = c.count(store.as_ref(), &policy, NOW).await.unwrap();
        c.settle_failure(store.as_ref(), &counted, NOW)
            .await
            .unwrap();
    }
    // Refused by the narrow budget: the account count it took is given back, so hammering a
    // locked pair does not spend the account's ceiling. The address's count stays: how much
    // of its budget a request spends must not depend on which lock it met.
    for _ in 0..20 {
        let counted = c.count(store.as_ref(), &policy, NOW + 2).await.unwrap();
        assert_eq!(counted.exhausted, Some(Exhausted::SourceAndAccount));
        c.settle_failure(store.as_ref(), &counted, NOW + 2)
            .await
            .unwrap();
    }
    assert_eq!(store.read(&c.source_and_account).await.unwrap().count, 5);
    assert_eq!(store.read(&c.source).await.unwrap().count, 25);
    assert_eq!(
        store.read(&c.account).await.unwrap(),
        CounterState {
            count: 5,
            last_failure: Some(NOW + 2)
        }
    );
}

async fn a_refund_after_a_clear_never_goes_below_zero(backend: Backend) {
    let store = attempts(backend).await;
    let policy = LockoutPolicy::default();
    let c = counters("192.0.2.1", NOW);
    // An attempt refused by the source budget (counted on the pair), whose refund lands
    // after a success from the same address cleared the pair.
    for _ in 0..policy.per_source.limit {
        assert!(store.count(&c.source, NOW).await.unwrap());
    }
    let refused = c.count(store.as_ref(), &policy, NOW).await.unwrap();
    assert_eq!(refused.exhausted, Some(Exhausted::Source));
    assert_eq!(store.read(&c.source_and_account).await.unwrap().count, 1);
    let clear = CounterUpdate {
        counter: &c.source_and_account,
        change: Change::Clear,
    };
    store.settle(&[clear], None).await.unwrap();
    c.settle_failure(store.as_ref(), &refused, NOW)
        .await
        .unwrap();
    assert_eq!(store.read(&c.source_and_account).await.unwrap().count, 0);
    // So the next five attempts are counted, and the sixth is not: not one more.
    for _ in 0..5 {
        assert!(store.count(&c.source_and_account, NOW).await.unwrap());
    }
    assert!(!store.count(&c.source_and_account, NOW).await.unwrap());
    // The failure note still lands when the refund cannot.
    assert_eq!(
        store.read(&c.account).await.unwrap().last_failure,
        Some(NOW)
    );
}

async fn a_success_marks_its_source_known_until_the_mark_expires(backend: Backend) {
    let store = attempts(backend).await;
    let policy = LockoutPolicy::default();
    let c = counters("192.0.2.1", NOW);
    let counted = c.count(store.as_ref(), &policy, NOW).await.unwrap();
    assert!(!counted.known);
    c.settle_failure(store.as_ref(), &counted, NOW)
        .await
        .unwrap();
    assert!(!store.is_known(&c.known_source, NOW).await.unwrap());
    let counted = c.count(store.as_ref(), &policy, NOW).await.unwrap();
    c.settle_success(store.as_ref(), &counted).await.unwrap();
    assert!(
        c.count(store.as_ref(), &policy, NOW + 1)
            .await
            .unwrap()
            .known
    );
    // Known from that address only, and for the policy's time only.
    let elsewhere = counters("192.0.2.2", NOW);
    assert!(!store.is_known(&elsewhere.known_source, NOW).await.unwrap());
    let until = c.known_source.expires_at;
    assert_eq!(until, NOW + policy.remember_sources_for as i64);
    assert!(store.is_known(&c.known_source, until - 1).await.unwrap());
    assert!(!store.is_known(&c.known_source, until).await.unwrap());
}

async fn a_new_window_counts_from_zero(backend: Backend) {
    let store = attempts(backend).await;
    let now = counters("192.0.2.1", NOW);
    let later = counters("192.0.2.1", NOW + 300);
    for _ in 0..5 {
        assert!(store.count(&now.source_and_account, NOW).await.unwrap());
    }
    assert!(!store.count(&now.source_and_account, NOW).await.unwrap());
    assert!(store
        .count(&later.source_and_account, NOW + 300)
        .await
        .unwrap());
    assert_eq!(
        store.read(&later.source_and_account).await.unwrap().count,
        1
    );
    assert!(later.source_and_account.expires_at > now.source_and_account.expires_at);
}
