//! The `CodeStore` contract, identical in memory and in DynamoDB's tokens table: a code's
//! grant comes back exactly as issued, of many exchanges at the same instant exactly one
//! redeems it and every other one learns when (so the session it started can be ended), and
//! unknown or forgotten codes are unknown.

use std::sync::Arc;

use token_service::codes::{
    AuthorizationCode, CodeGrant, Redemption, CODE_LIFETIME_SECONDS, REMEMBER_REDEEMED_SECONDS,
};
use token_service::domain::{CodeChallenge, ScopeSet};
use token_service::sessions::{Family, FamilyId, RefreshRecord, RefreshToken};

use crate::for_each_backend;
use crate::support::{client_id, token_stores, username, Backend, NOW};

for_each_backend!(
    a_code_is_redeemed_by_exactly_one_of_many_parallel_exchanges,
    a_replay_learns_the_grant_and_when_it_was_redeemed,
    codes_never_issued_or_forgotten_are_unknown,
    a_code_hash_is_never_stored_twice,
    a_barred_session_never_starts_and_a_started_one_is_revoked,
    finding_a_code_reads_it_without_redeeming_it,
);

fn grant(now: i64) -> CodeGrant {
    CodeGrant {
        client_id: client_id("spa"),
        redirect_uri: Some("http://127.0.0.1:53211/callback".into()),
        challenge: CodeChallenge::of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        username: username("johndoe"),
        token_version: 3,
        scope: ScopeSet::parse("me items").unwrap(),
        family: FamilyId::generate(),
        issued_at: now,
        valid_until: now + CODE_LIFETIME_SECONDS,
    }
}

async fn a_code_is_redeemed_by_exactly_one_of_many_parallel_exchanges(backend: Backend) {
    let store = token_stores(backend).await.codes;
    let code = AuthorizationCode::generate();
    let issued = grant(NOW);
    store.issue(&code.hash(), &issued).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            let hash = code.hash();
            tokio::spawn(async move { store.redeem(&hash, NOW + 1 + i % 2).await })
        })
        .collect();
    let mut first = Vec::new();
    let mut replays = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Redemption::First(grant) => first.push(grant),
            Redemption::Replayed { grant, at } => replays.push((grant, at)),
            Redemption::Unknown => panic!("an issued code came back unknown"),
        }
    }
    assert_eq!(
        first,
        std::slice::from_ref(&issued),
        "exactly one redemption, with the grant"
    );
    assert_eq!(replays.len(), 19);
    let at = replays[0].1;
    assert!(at == NOW + 1 || at == NOW + 2, "{at}");
    for (grant, replayed_at) in replays {
        assert_eq!(grant, issued);
        assert_eq!(replayed_at, at, "every replay sees the one redemption");
    }
}

async fn a_replay_learns_the_grant_and_when_it_was_redeemed(backend: Backend) {
    let store = token_stores(backend).await.codes;
    let code = AuthorizationCode::generate();
    let issued = grant(NOW);
    store.issue(&code.hash(), &issued).await.unwrap();
    assert_eq!(
        store.redeem(&code.hash(), NOW + 5).await.unwrap(),
        Redemption::First(issued.clone())
    );
    // Long after the code expired, a replay still names the session to end...
    let late = issued.valid_until + REMEMBER_REDEEMED_SECONDS - 1;
    for now in [NOW + 6, late] {
        assert_eq!(
            store.redeem(&code.hash(), now).await.unwrap(),
            Redemption::Replayed {
                grant: issued.clone(),
                at: NOW + 5
            },
            "at {now}"
        );
    }
    // ...and is not a redemption itself: the first one's time stands.
    assert!(!issued.is_valid_at(late));
}

async fn codes_never_issued_or_forgotten_are_unknown(backend: Backend) {
    let store = token_stores(backend).await.codes;
    let never = AuthorizationCode::generate();
    assert_eq!(
        store.redeem(&never.hash(), NOW).await.unwrap(),
        Redemption::Unknown
    );
    // Expired but remembered: redeemed (the exchange refuses it by `valid_until`).
    let expired = AuthorizationCode::generate();
    let issued = grant(NOW);
    store.issue(&expired.hash(), &issued).await.unwrap();
    assert!(issued.is_valid_at(NOW + CODE_LIFETIME_SECONDS - 1));
    assert!(!issued.is_valid_at(NOW + CODE_LIFETIME_SECONDS));
    // Past keeping (DynamoDB's TTL may not have deleted it yet): unknown, redeemed or not.
    let forgotten = AuthorizationCode::generate();
    store.issue(&forgotten.hash(), &issued).await.unwrap();
    let forget_at = issued.forget_at();
    assert_eq!(
        store.redeem(&forgotten.hash(), forget_at).await.unwrap(),
        Redemption::Unknown
    );
    assert_eq!(
        store.redeem(&expired.hash(), forget_at - 1).await.unwrap(),
        Redemption::First(issued.clone())
    );
    assert_eq!(
        store.redeem(&expired.hash(), forget_at).await.unwrap(),
        Redemption::Unknown
    );
}

/// The token endpoint reads a code beside the client's authentication: a read, never a
/// redemption, with the same answer for codes never issued or past keeping.
async fn finding_a_code_reads_it_without_redeeming_it(backend: Backend) {
    let store = token_stores(backend).await.codes;
    let code = AuthorizationCode::generate();
    let issued = grant(NOW);
    assert_eq!(store.find(&code.hash(), NOW).await.unwrap(), None);
    store.issue(&code.hash(), &issued).await.unwrap();
    for _ in 0..2 {
        assert_eq!(
            store.find(&code.hash(), NOW + 1).await.unwrap(),
            Some(issued.clone())
        );
    }
    assert_eq!(
        store.redeem(&code.hash(), NOW + 2).await.unwrap(),
        Redemption::First(issued.clone()),
        "finding it redeemed nothing"
    );
    // Found after its redemption too (the exchange then learns of the replay by redeeming).
    assert_eq!(
        store.find(&code.hash(), NOW + 3).await.unwrap(),
        Some(issued.clone())
    );
    let forget_at = issued.forget_at();
    assert_eq!(
        store.find(&code.hash(), forget_at - 1).await.unwrap(),
        Some(issued.clone())
    );
    assert_eq!(store.find(&code.hash(), forget_at).await.unwrap(), None);
}

async fn a_code_hash_is_never_stored_twice(backend: Backend) {
    let store = token_stores(backend).await.codes;
    let code = AuthorizationCode::generate();
    store.issue(&code.hash(), &grant(NOW)).await.unwrap();
    let mut other = grant(NOW);
    other.username = username("alice");
    assert!(store.issue(&code.hash(), &other).await.is_err());
    match store.redeem(&code.hash(), NOW).await.unwrap() {
        Redemption::First(grant) => assert_eq!(grant.username, username("johndoe")),
        other => panic!("{other:?}"),
    }
}

fn session(id: &FamilyId) -> (Family, RefreshRecord) {
    let family = Family {
        id: id.clone(),
        username: username("johndoe"),
        created_at: NOW,
        expires_at: NOW + 3600,
        revoked_at: None,
        token_version: 0,
        generation: 0,
        moved_by: None,
    };
    let first = RefreshRecord {
        hash: RefreshToken::generate().hash(),
        family: id.clone(),
        username: username("johndoe"),
        scope: ScopeSet::parse("me").unwrap(),
        client_id: Some("spa".into()),
        issued_at: NOW,
        expires_at: NOW + 3600,
        spent_at: None,
        generation: 0,
    };
    (family, first)
}

/// What a replayed code does to the session its first exchange starts, whichever comes first.
async fn a_barred_session_never_starts_and_a_started_one_is_revoked(backend: Backend) {
    let sessions = token_stores(backend).await.sessions;
    // The replay first: the session never starts, and its token is never stored.
    let barred = FamilyId::generate();
    sessions.bar_family(&barred, NOW, NOW + 60).await.unwrap();
    let (family, first) = session(&barred);
    assert!(!sessions.start(&family, &first).await.unwrap());
    assert_eq!(sessions.token(&first.hash).await.unwrap(), None);
    // The session first: the replay revokes it, and keeps the first revocation's time.
    let started = FamilyId::generate();
    let (family, first) = session(&started);
    assert!(sessions.start(&family, &first).await.unwrap());
    sessions
        .bar_family(&started, NOW + 5, NOW + 60)
        .await
        .unwrap();
    sessions
        .bar_family(&started, NOW + 9, NOW + 60)
        .await
        .unwrap();
    let stored = sessions.family(&started).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(NOW + 5));
    assert_eq!(
        stored.expires_at,
        NOW + 3600,
        "the session keeps its own end"
    );
    assert_eq!(stored.username, username("johndoe"));
    // Starting an id twice is refused too.
    assert!(!sessions.start(&family, &first).await.unwrap());
}
