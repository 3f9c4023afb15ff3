//! The `UserStore` contract, identical for the in-memory store and DynamoDB.

use std::sync::Arc;

use token_service::domain::{ScopeSet, StoredItem, User};
use token_service::store::{AccountChange, StoreError};

use crate::for_each_backend;
use crate::support::{empty_store, username, Backend};

for_each_backend!(
    round_trips_every_field,
    refuses_to_overwrite_an_existing_user,
    concurrent_unlocks_each_raise_the_lockout_epoch,
    changes_refuse_missing_users,
    upgrades_the_password_hash_only_from_the_hash_read,
    applies_account_changes_in_one_write,
    concurrent_revocations_each_raise_the_token_version,
    lists_every_user_in_order,
);

fn carol() -> User {
    User {
        username: username("carol"),
        email: Some("carol@example.com".into()),
        full_name: None,
        disabled: true,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g".into(),
        allowed_scopes: ScopeSet::parse("items").unwrap(),
        items: vec![StoredItem { item_id: "Bar".into() }, StoredItem { item_id: "Baz".into() }],
        lockout_epoch: 0,
        token_version: 0,
    }
}

async fn round_trips_every_field(backend: Backend) {
    let store = empty_store(backend).await;
    assert_eq!(store.get(&username("carol")).await.unwrap(), None);
    store.insert(&carol()).await.unwrap();
    assert_eq!(store.get(&username("carol")).await.unwrap(), Some(carol()));
}

async fn refuses_to_overwrite_an_existing_user(backend: Backend) {
    let store = empty_store(backend).await;
    store.insert(&carol()).await.unwrap();
    let mut impostor = carol();
    impostor.password_hash = "other".into();
    impostor.disabled = false;
    assert!(matches!(
        store.insert(&impostor).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.get(&username("carol")).await.unwrap(), Some(carol()));
}

async fn changes_refuse_missing_users(backend: Backend) {
    let store = empty_store(backend).await;
    let ghost = username("ghost");
    let unlock = AccountChange {
        unlock: true,
        ..AccountChange::default()
    };
    assert!(matches!(
        store.update_account(&ghost, &unlock).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(!store.upgrade_password_hash(&ghost, "x", "y").await.unwrap());
    assert_eq!(
        store.get(&ghost).await.unwrap(),
        None,
        "no record was created"
    );
}

async fn upgrades_the_password_hash_only_from_the_hash_read(backend: Backend) {
    let store = empty_store(backend).await;
    store.insert(&carol()).await.unwrap();
    let carol_name = username("carol");
    let read = carol().password_hash;
    assert!(store
        .upgrade_password_hash(&carol_name, &read, "$argon2id$upgraded")
        .await
        .unwrap());
    let stored = store.get(&carol_name).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "$argon2id$upgraded");
    assert_eq!(stored.items, carol().items);
    // A hash that is no longer the one stored (an operator set a new password after the
    // read) is not replaced.
    assert!(!store
        .upgrade_password_hash(&carol_name, &read, "$argon2id$stale")
        .await
        .unwrap());
    let stored = store.get(&carol_name).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "$argon2id$upgraded");
}

async fn applies_account_changes_in_one_write(backend: Backend) {
    let store = empty_store(backend).await;
    let mut user = carol();
    user.lockout_epoch = 4;
    store.insert(&user).await.unwrap();
    let change = AccountChange {
        disabled: Some(false),
        allowed_scopes: Some(ScopeSet::parse("me items").unwrap()),
        password_hash: Some("$argon2id$new".into()),
        revoke_tokens: true,
        unlock: true,
    };
    store
        .update_account(&username("carol"), &change)
        .await
        .unwrap();
    let changed = store.get(&username("carol")).await.unwrap().unwrap();
    let mut expected = carol();
    expected.lockout_epoch = 4;
    change.apply(&mut expected);
    assert_eq!(changed, expected);
    assert!(!changed.disabled);
    assert_eq!(changed.allowed_scopes.to_string(), "me items");
    assert_eq!(changed.password_hash, "$argon2id$new");
    assert_eq!(changed.token_version, 1);
    assert_eq!(changed.lockout_epoch, 5);
    // Nothing else moved: items and profile are as they were.
    assert_eq!(changed.items, carol().items);

    assert!(matches!(
        store.update_account(&username("nobody"), &change).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .update_account(&username("nobody"), &AccountChange::default())
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn concurrent_unlocks_each_raise_the_lockout_epoch(backend: Backend) {
    let store = empty_store(backend).await;
    store.insert(&carol()).await.unwrap();
    let unlock = AccountChange {
        unlock: true,
        ..AccountChange::default()
    };
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            let unlock = unlock.clone();
            tokio::spawn(async move { store.update_account(&username("carol"), &unlock).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stored = store.get(&username("carol")).await.unwrap().unwrap();
    assert_eq!(stored.lockout_epoch, 10, "no unlock lost to a race");
    assert_eq!(
        stored.password_hash,
        carol().password_hash,
        "other fields untouched"
    );
}

async fn concurrent_revocations_each_raise_the_token_version(backend: Backend) {
    let store = empty_store(backend).await;
    store.insert(&carol()).await.unwrap();
    let revoke = AccountChange {
        revoke_tokens: true,
        ..AccountChange::default()
    };
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let store = Arc::clone(&store);
            let revoke = revoke.clone();
            tokio::spawn(async move { store.update_account(&username("carol"), &revoke).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let carol = store.get(&username("carol")).await.unwrap().unwrap();
    assert_eq!(carol.token_version, 5, "no revocation lost");
    // Nothing else changed.
    assert_eq!(carol.password_hash, self::carol().password_hash);
}

async fn lists_every_user_in_order(backend: Backend) {
    let store = empty_store(backend).await;
    assert!(store.list().await.unwrap().is_empty());
    for name in ["zed", "carol", "amy"] {
        let mut user = carol();
        user.username = username(name);
        store.insert(&user).await.unwrap();
    }
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username.to_string())
        .collect();
    assert_eq!(names, ["amy", "carol", "zed"]);
}
