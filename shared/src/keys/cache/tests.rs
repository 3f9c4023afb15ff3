use super::*;
use crate::keys::store::MemoryKeySetStore;
use crate::keys::RsaPublicKey;

const NOW: UnixSeconds = 1_800_000_000;

fn key() -> KeyRecord {
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let public = RsaPublicKey::of_key_pair(&pair).unwrap();
    KeyRecord::new(&public, KeyLocation::Local, NOW, NOW)
}

async fn publish(store: &MemoryKeySetStore, key: KeyRecord) {
    let mut set = store.load().await.unwrap();
    set.keys.push(key);
    store.save(&set).await.unwrap();
}

#[tokio::test]
async fn nothing_is_read_until_a_key_is_needed_then_once_per_max_age() {
    let store = Arc::new(MemoryKeySetStore::new());
    let first = key();
    publish(&store, first.clone()).await;
    let cache = KeySetCache::new(store.clone(), CachePolicy::default());
    assert_eq!(store.loads(), 1, "building the cache reads nothing");
    for offset in 0..300 {
        assert!(cache
            .find(&first.kid, NOW + offset)
            .await
            .unwrap()
            .is_some());
    }
    assert_eq!(store.loads(), 2, "one read for 300 verifications");
    cache.current(NOW + 300).await.unwrap();
    assert_eq!(store.loads(), 3, "re-read once the set is max_age old");
}

#[tokio::test]
async fn unknown_kids_cost_one_read_per_interval_and_new_keys_are_found() {
    let store = Arc::new(MemoryKeySetStore::new());
    publish(&store, key()).await;
    let cache = Arc::new(KeySetCache::new(store.clone(), CachePolicy::default()));
    cache.current(NOW).await.unwrap();
    let before = store.loads();

    // A flood of made-up kids, all at the same instant and concurrently.
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .find(&KeyId::new(format!("made-up-{i}")), NOW + 10)
                    .await
            })
        })
        .collect();
    for task in flood {
        assert!(task.await.unwrap().unwrap().is_none());
    }
    assert_eq!(store.loads() - before, 1, "200 unknown kids, one read");
    assert!(cache
        .find(&KeyId::new("again"), NOW + 19)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.loads() - before, 1, "still within min_refetch");

    // A key published meanwhile is found by the next allowed read.
    let rotated = key();
    publish(&store, rotated.clone()).await;
    assert!(cache.find(&rotated.kid, NOW + 20).await.unwrap().is_some());
    assert_eq!(store.loads() - before, 3);
}

#[derive(Default)]
struct Failing(std::sync::atomic::AtomicUsize);
#[async_trait::async_trait]
impl KeySetStore for Failing {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(KeyStoreError::Unavailable("down".into()))
    }
    async fn save(&self, _: &KeySet) -> Result<u64, KeyStoreError> {
        Err(KeyStoreError::Unavailable("down".into()))
    }
}

#[tokio::test]
async fn a_store_that_fails_without_a_set_at_hand_is_an_error_read_once_per_interval() {
    let store = Arc::new(Failing::default());
    let cache = KeySetCache::new(store.clone(), CachePolicy::default());
    for offset in 0..10 {
        assert!(matches!(
            cache.find(&KeyId::new("x"), NOW + offset).await,
            Err(KeyStoreError::Unavailable(_))
        ));
    }
    assert_eq!(store.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    let _ = cache.find(&KeyId::new("x"), NOW + 10).await;
    assert_eq!(store.0.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// A store that can be told to fail.
#[derive(Default)]
struct Flaky {
    inner: MemoryKeySetStore,
    down: std::sync::atomic::AtomicBool,
}
#[async_trait::async_trait]
impl KeySetStore for Flaky {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(KeyStoreError::Unavailable("down".into()));
        }
        self.inner.load().await
    }
    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError> {
        self.inner.save(set).await
    }
}

#[tokio::test]
async fn a_set_that_cannot_be_re_read_is_used_only_until_it_is_max_stale_old() {
    let store = Arc::new(Flaky::default());
    let first = key();
    publish(&store.inner, first.clone()).await;
    let policy = CachePolicy::default();
    let cache = KeySetCache::new(store.clone(), policy);
    assert!(cache.find(&first.kid, NOW).await.unwrap().is_some());
    // The store goes down (and the key may be retired meanwhile): the set at hand serves
    // while it is younger than max_stale ...
    store.down.store(true, std::sync::atomic::Ordering::SeqCst);
    for offset in [policy.max_age, policy.max_stale - 1] {
        assert!(cache
            .find(&first.kid, NOW + offset)
            .await
            .unwrap()
            .is_some());
    }
    // ... and not a second longer: the answer is then an outage, not an old key.
    for offset in [policy.max_stale, policy.max_stale + policy.min_refetch] {
        assert!(matches!(
            cache.find(&first.kid, NOW + offset).await,
            Err(KeyStoreError::Unavailable(_))
        ));
    }
    // Back up: served again.
    store.down.store(false, std::sync::atomic::Ordering::SeqCst);
    let later = NOW + policy.max_stale + 2 * policy.min_refetch;
    assert!(cache.find(&first.kid, later).await.unwrap().is_some());
}

#[tokio::test]
async fn trusted_keys_are_published_never_signing_and_never_written() {
    let store = Arc::new(MemoryKeySetStore::new());
    let stored = key();
    publish(&store, stored.clone()).await;
    let trusted_pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let trusted_key = RsaPublicKey::of_key_pair(&trusted_pair).unwrap();
    let jwks = JwkSet {
        keys: vec![trusted_key.to_jwk()],
    };
    let cache = KeySetCache::new(store.clone(), CachePolicy::default()).trusting(&jwks, NOW);
    let set = cache.current(NOW).await.unwrap();
    let kid = trusted_key.kid();
    let trusted = set
        .find_published(&kid, NOW)
        .expect("trusted key published");
    assert_eq!(trusted.signs_until, Some(0));
    assert!(set.find_published(&stored.kid, NOW).is_some());
    // The store holds only what it held.
    let saved = store.load().await.unwrap();
    assert_eq!(saved.keys.len(), 1);
    assert!(saved.find(&kid).is_none());
}
