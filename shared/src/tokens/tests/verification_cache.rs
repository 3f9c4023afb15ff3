//! The verification cache: a token seen again is not verified again, and still gets every
//! check that depends on the request or the time.

use super::*;
use crate::tokens::verification_cache::VerificationCache;

async fn token(t: &Rs256, ttl: u64) -> String {
    t.issuer
        .issue_with_ttl(
            ISS,
            &johndoe(),
            &ScopeSet::empty(),
            None,
            NOW,
            Duration::from_secs(ttl),
        )
        .await
        .unwrap()
        .access_token
}

#[tokio::test]
async fn a_token_seen_again_is_not_verified_again_until_it_expires() {
    let t = rs256().await;
    let token = token(&t, 60).await;
    let first = t.verifier.verify(&token, ISS, NOW).await.unwrap();
    for offset in 0..=60 + LEEWAY_SECONDS {
        assert_eq!(
            t.verifier.verify(&token, ISS, NOW + offset).await.unwrap(),
            first
        );
    }
    assert_eq!(
        t.verifier.signature_checks(),
        1,
        "one signature for 66 uses"
    );
    assert_eq!(t.verifier.remembered_tokens(), 1);
    // Past `exp` and the leeway the entry is gone and the answer is the uncached one.
    assert_eq!(
        invalid(
            t.verifier
                .verify(&token, ISS, NOW + 61 + LEEWAY_SECONDS)
                .await
        ),
        TokenError::Expired
    );
    assert_eq!(t.verifier.remembered_tokens(), 0);
    // Revocation still reads an expired token (RFC 7009), by the whole check.
    assert!(t
        .verifier
        .verify_ignoring_expiry(&token, ISS, NOW + 3600)
        .await
        .is_ok());
    assert_eq!(t.verifier.signature_checks(), 3);
}

#[tokio::test]
async fn a_remembered_token_still_gets_the_checks_that_depend_on_the_request_and_time() {
    let t = rs256().await;
    let issued_at = NOW + 100;
    let token = t
        .issuer
        .issue(ISS, &johndoe(), &ScopeSet::empty(), None, issued_at)
        .await
        .unwrap()
        .access_token;
    t.verifier.verify(&token, ISS, issued_at).await.unwrap();
    // Another issuer (the API reached through another domain) is refused as before.
    assert_eq!(
        invalid(
            t.verifier
                .verify(&token, "https://other.test", issued_at)
                .await
        ),
        TokenError::WrongIssuer
    );
    // A clock behind the token's `iat` by more than the leeway refuses it.
    assert_eq!(
        invalid(
            t.verifier
                .verify(&token, ISS, issued_at - LEEWAY_SECONDS - 1)
                .await
        ),
        TokenError::IssuedInFuture
    );
    assert!(t.verifier.verify(&token, ISS, issued_at + 1).await.is_ok());
    assert_eq!(t.verifier.signature_checks(), 2, "the other issuer's check");
}

#[tokio::test]
async fn a_changed_token_is_checked_in_full() {
    let t = rs256().await;
    let token = token(&t, 600).await;
    t.verifier.verify(&token, ISS, NOW).await.unwrap();
    let mut changed = token.clone().into_bytes();
    let last = changed.len() - 2;
    changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    assert_eq!(
        invalid(t.verifier.verify(&changed, ISS, NOW).await),
        TokenError::BadSignature
    );
    assert_eq!(
        t.verifier.remembered_tokens(),
        1,
        "refusals are not remembered"
    );
}

#[tokio::test]
async fn a_remembered_token_goes_when_its_key_leaves_the_set() {
    let t = rs256().await;
    let token = token(&t, 600).await;
    t.verifier.verify(&token, ISS, NOW).await.unwrap();
    // Retired `--now`: out of the published set at once.
    let mut set = t.store.load().await.unwrap();
    set.retire(&t.signer.kid(), NOW + 1, 0, true, true).unwrap();
    t.store.save(&set).await.unwrap();
    t.keys.reload(NOW + 2).await.unwrap();
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW + 2).await),
        TokenError::UnknownKey
    );
    assert_eq!(t.verifier.remembered_tokens(), 0);
}

#[tokio::test]
async fn the_same_token_at_the_same_instant_from_many_requests() {
    let t = Arc::new(rs256().await);
    let token = Arc::new(token(&t, 600).await);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (t, token) = (t.clone(), token.clone());
            tokio::spawn(async move { t.verifier.verify(&token, ISS, NOW).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap().unwrap());
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
    assert!((1..=64).contains(&t.verifier.signature_checks()));
    assert_eq!(t.verifier.remembered_tokens(), 1);
}

#[tokio::test]
async fn a_flood_of_distinct_tokens_stays_within_the_bound() {
    // HS256, so that ten thousand tokens are cheap to make; the cache is the same.
    let secret = SigningSecret::new(vec![7u8; 32]).unwrap();
    let issuer = TokenIssuer::new(&settings(), Arc::new(Hs256Signer::new(&secret)));
    let verifier = TokenVerifier::shared_secret(&settings(), &secret);
    let flood = VerificationCache::CAPACITY + 2000;
    for _ in 0..flood {
        let token = issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap()
            .access_token;
        verifier.verify(&token, ISS, NOW).await.unwrap();
    }
    assert_eq!(verifier.signature_checks(), flood as u64);
    let remembered = verifier.remembered_tokens();
    assert!(
        remembered <= VerificationCache::CAPACITY && remembered > VerificationCache::CAPACITY / 2,
        "{remembered}"
    );
}
