//! The `AttemptStore` contract, identical in memory and in DynamoDB's tokens table: counts are
//! atomic (parallel attempts each see a different count before theirs), a success clears the
//! narrow counter and refunds the wide ones in one write, and counters of other windows,
//! accounts and addresses are apart.

use std::sync::Arc;

use token_service::attempts::{AttemptStore, CounterState, SignInCounters};
use token_service::domain::lockout::LockoutPolicy;
use token_service::domain::SourceAddress;

use crate::for_each_backend;
use crate::support::{token_stores, username, Backend, NOW};

for_each_backend!(
    parallel_counts_each_see_a_different_count,
    a_success_clears_the_narrow_counter_and_refunds_the_wide_ones,
    a_new_window_counts_from_zero,
);

fn counters(source: &str, now: i64) -> SignInCounters {
    SignInCounters::new(
        &LockoutPolicy::default(),
        &username("carol"),
        0,
        &SourceAddress::parse(source).unwrap(),
        now,
    )
}

async fn attempts(backend: Backend) -> Arc<dyn AttemptStore> {
    token_stores(backend).await.1
}

async fn parallel_counts_each_see_a_different_count(backend: Backend) {
    let store = attempts(backend).await;
    let counter = counters("192.0.2.1", NOW).source_and_account;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = Arc::clone(&store);
            let counter = counter.clone();
            tokio::spawn(async move { store.count(&counter, NOW).await })
        })
        .collect();
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap().unwrap());
    }
    seen.sort();
    assert_eq!(seen, (0..20).collect::<Vec<u64>>(), "none lost to a race");
    assert_eq!(store.read(&counter).await.unwrap().count, 20);
}

async fn a_success_clears_the_narrow_counter_and_refunds_the_wide_ones(backend: Backend) {
    let store = attempts(backend).await;
    let c = counters("192.0.2.1", NOW);
    for _ in 0..3 {
        c.count(store.as_ref(), &LockoutPolicy::default(), NOW)
            .await
            .unwrap();
    }
    c.note_failure(store.as_ref(), NOW + 1).await.unwrap();
    c.settle_success(store.as_ref()).await.unwrap();
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

async fn a_new_window_counts_from_zero(backend: Backend) {
    let store = attempts(backend).await;
    let now = counters("192.0.2.1", NOW);
    let later = counters("192.0.2.1", NOW + 300);
    for _ in 0..5 {
        store.count(&now.source_and_account, NOW).await.unwrap();
    }
    assert_eq!(
        store
            .count(&later.source_and_account, NOW + 300)
            .await
            .unwrap(),
        0
    );
    assert!(later.source_and_account.expires_at > now.source_and_account.expires_at);
}
