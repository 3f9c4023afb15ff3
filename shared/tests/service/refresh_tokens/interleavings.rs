//! Refresh rotation where a store write fails or lands between two others: interleavings
//! that real requests reach only by chance, forced by a hooked session store (which only a
//! directly called app has), on every backend.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use token_service::clock::UnixSeconds;
use token_service::sessions::{FamilyId, RefreshToken, SessionStore, TokenHash};
use token_service::store::StoreError;
use tokio::sync::Notify;

use super::{assert_reuse_ends_the_session, refresh_token};
use crate::for_each_backend;
use crate::support::{Backend, HookedSessions, SessionHooks, TestApp};

for_each_backend!(
    a_rotation_that_failed_after_its_spend_is_completed_by_its_retry,
    a_retry_that_moves_the_session_first_leaves_the_rotation_good,
    a_second_chain_found_during_an_outage_gets_nothing_on_its_retry,
);

/// Sessions whose first move on fails as an outage would: after its token was spent.
struct FirstAdvanceFails(AtomicBool);

#[async_trait::async_trait]
impl SessionHooks for FirstAdvanceFails {
    async fn advance(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        from: u64,
        by: &TokenHash,
    ) -> Result<bool, StoreError> {
        if !self.0.swap(true, Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected outage".into()));
        }
        inner.advance(id, from, by).await
    }
}

async fn a_rotation_that_failed_after_its_spend_is_completed_by_its_retry(backend: Backend) {
    let app = TestApp::start_wrapping_sessions(
        backend,
        HookedSessions::wrap(FirstAdvanceFails(AtomicBool::new(false))),
    )
    .await;
    let (_, token) = app.sign_in_pair("johndoe", "secret", "me").await;
    let failed = app.refresh(&token, "").await;
    assert_eq!(failed.status, 503, "{}", failed.text);
    // The client retries within the grace window and gets a pair...
    app.clock.advance(1);
    let next = refresh_token(&app.refresh(&token, "").await);
    // ...whose refresh token carries the session on: the retry did the rotation the failed
    // request could not, so its child is no sibling of a chain that never grew.
    app.clock.advance(60);
    let newer = refresh_token(&app.refresh(&next, "").await);
    let newest = refresh_token(&app.refresh(&newer, "").await);
    // Reuse detection is untouched: the spent token after its window ends the session.
    assert_reuse_ends_the_session(&app, &token, &newest).await;
}

/// Sessions where the first move on waits until a second one is done: a retry within the
/// grace window moves the session before the rotation that spent its token does. Records
/// whether the wait ran out instead (10 s: the interleaving did not happen).
#[derive(Default)]
struct FirstAdvanceWaits {
    calls: AtomicUsize,
    second_done: Notify,
    waited_in_vain: AtomicBool,
}

#[async_trait::async_trait]
impl SessionHooks for FirstAdvanceWaits {
    async fn advance(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        from: u64,
        by: &TokenHash,
    ) -> Result<bool, StoreError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let waited =
                tokio::time::timeout(Duration::from_secs(10), self.second_done.notified()).await;
            self.waited_in_vain.store(waited.is_err(), Ordering::SeqCst);
            return inner.advance(id, from, by).await;
        }
        let moved = inner.advance(id, from, by).await;
        self.second_done.notify_one();
        moved
    }
}

async fn a_retry_that_moves_the_session_first_leaves_the_rotation_good(backend: Backend) {
    let hooks = Arc::new(FirstAdvanceWaits::default());
    let app = TestApp::start_wrapping_sessions(backend, HookedSessions::wrap(hooks.clone())).await;
    let (_, token) = app.sign_in_pair("johndoe", "secret", "me").await;
    let (first, second) = tokio::join!(app.refresh(&token, ""), app.refresh(&token, ""));
    let (first, second) = (refresh_token(&first), refresh_token(&second));
    assert_ne!(first, second);
    assert_eq!(
        hooks.calls.load(Ordering::SeqCst),
        2,
        "both moved the session"
    );
    assert!(
        !hooks.waited_in_vain.load(Ordering::SeqCst),
        "the retry moved it while the rotation waited"
    );
    // The session moved once, for this token...
    let hash = RefreshToken::parse(&token).unwrap().hash();
    let record = app.sessions.token(&hash).await.unwrap().unwrap();
    let family = app.sessions.family(&record.family).await.unwrap().unwrap();
    assert_eq!((family.generation, family.moved_by), (1, Some(hash)));
    // ...so either child carries it on, and the other is then a second chain.
    app.clock.advance(60);
    let newer = refresh_token(&app.refresh(&second, "").await);
    assert_reuse_ends_the_session(&app, &first, &newer).await;
}

/// Sessions whose first revocation fails as an outage would.
struct FirstRevocationFails(AtomicBool);

#[async_trait::async_trait]
impl SessionHooks for FirstRevocationFails {
    async fn revoke_family(
        &self,
        inner: &dyn SessionStore,
        id: &FamilyId,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        if !self.0.swap(true, Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected outage".into()));
        }
        inner.revoke_family(id, now).await
    }
}

async fn a_second_chain_found_during_an_outage_gets_nothing_on_its_retry(backend: Backend) {
    let app = TestApp::start_wrapping_sessions(
        backend,
        HookedSessions::wrap(FirstRevocationFails(AtomicBool::new(false))),
    )
    .await;
    let (_, token) = app.sign_in_pair("johndoe", "secret", "me").await;
    // Two siblings from one grace window; one of them carries the session on.
    let owners = refresh_token(&app.refresh(&token, "").await);
    app.clock.advance(1);
    let thiefs = refresh_token(&app.refresh(&token, "").await);
    app.clock.advance(60);
    let carried_on = refresh_token(&app.refresh(&owners, "").await);
    // The other is a second chain, found out; revoking the session fails this once...
    let found_out = app.refresh(&thiefs, "").await;
    assert_eq!(found_out.status, 503, "{}", found_out.text);
    // ...and its retry within the grace window is still no way in: the session goes.
    app.clock.advance(1);
    assert_reuse_ends_the_session(&app, &thiefs, &carried_on).await;
}
