//! Refresh tokens (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14): on every
//! backend, with real concurrency against the DynamoDB-compatible server.

use std::time::Duration;

use futures_util::future::join_all;
use token_service::config::SessionSettings;
use token_service::domain::ScopeSet;
use token_service::sessions::RefreshToken;
use token_service::store::AccountChange;

use crate::for_each_backend;
use crate::support::{Backend, TestApp, TestResponse};

for_each_backend!(
    over_socket:
    sign_in_starts_a_session_and_refresh_rotates_its_token,
    a_spent_token_after_the_grace_window_revokes_the_whole_session,
    a_refresh_may_narrow_the_scope_never_widen_it,
    a_refresh_is_cut_to_what_the_user_is_allowed_now,
    bad_refresh_requests_get_rfc_errors,
    concurrent_refreshes_inside_the_grace_window_all_get_tokens,
    concurrent_refreshes_without_a_grace_window_count_as_reuse,
    a_replay_inside_the_grace_window_is_found_out_when_either_chain_moves_on,
    a_session_moves_on_once_per_generation_and_a_retry_finds_it_done,
);

/// Interleavings forced by a hooked session store, which only a directly called app has.
mod interleavings;

async fn sign_in_starts_a_session_and_refresh_rotates_its_token(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token("username=johndoe&password=secret&scope=me+items")
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh.len(), 43, "256 random bits, base64url");
    let first = body["access_token"].as_str().unwrap().to_owned();
    let sid = app
        .verify(&first)
        .await
        .sid
        .expect("tokens name their session");

    app.clock.advance(60);
    let response = app.refresh(&refresh, "").await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "me items");
    assert_eq!(body["expires_in"], 1800);
    let next_refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, refresh, "rotated");
    let access = body["access_token"].as_str().unwrap();
    let claims = app.verify(access).await;
    assert_eq!(claims.sid.as_deref(), Some(sid.as_str()), "same session");
    assert_eq!(claims.iat, app.now());
    assert_eq!(app.get("/users/me/items/", Some(access)).await.status, 200);

    // The new token goes on working; the store keeps hashes only.
    app.clock.advance(60);
    assert_eq!(app.refresh(&next_refresh, "").await.status, 200);
}

async fn a_spent_token_after_the_grace_window_revokes_the_whole_session(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, stolen) = app.sign_in_pair("johndoe", "secret", "me").await;
    let rotated = app.refresh(&stolen, "").await.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Within the grace window (10 s by default) the spent token still yields a pair...
    app.clock.advance(9);
    let retried = app.refresh(&stolen, "").await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    let retried = retried.json()["refresh_token"].as_str().unwrap().to_owned();

    // ...at 10 s it is reuse: refused, and the whole session with it.
    app.clock.advance(1);
    let reuse = app.refresh(&stolen, "").await;
    reuse.assert_error(
        400,
        "Refresh token is invalid, expired or revoked",
        Some("invalid_grant"),
    );
    for live in [&rotated, &retried] {
        let response = app.refresh(live, "").await;
        assert_eq!(
            response.status, 400,
            "a token of the revoked session still worked"
        );
        assert_eq!(response.json()["error"], "invalid_grant");
    }
    // A new sign-in starts a new session.
    let (_, fresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    assert_eq!(app.refresh(&fresh, "").await.status, 200);
}

async fn a_refresh_may_narrow_the_scope_never_widen_it(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me+items").await;
    let narrowed = app.refresh(&refresh, "&scope=me").await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    let body = narrowed.json();
    assert_eq!(body["scope"], "me");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/users/me/items/", Some(access)).await.status, 403);
    // The session keeps its scope: the next refresh may ask for all of it again.
    let next = body["refresh_token"].as_str().unwrap().to_owned();
    let widened_back = app.refresh(&next, "").await;
    assert_eq!(widened_back.json()["scope"], "me items");

    let (_, me_only) = app.sign_in_pair("johndoe", "secret", "me").await;
    let widened = app.refresh(&me_only, "&scope=me+items").await;
    assert_eq!(widened.status, 400, "{}", widened.text);
    assert_eq!(widened.json()["error"], "invalid_scope");
    let unknown = app.refresh(&me_only, "&scope=admin").await;
    assert_eq!(unknown.json()["error"], "invalid_scope");
    // A refused scope spends nothing: the token still works.
    assert_eq!(app.refresh(&me_only, "").await.status, 200);
}

async fn a_refresh_is_cut_to_what_the_user_is_allowed_now(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me+items").await;
    let change = AccountChange {
        allowed_scopes: Some(ScopeSet::parse("me").unwrap()),
        ..AccountChange::default()
    };
    app.change_account("johndoe", &change).await;
    let response = app.refresh(&refresh, "").await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()["scope"], "me");
}

async fn bad_refresh_requests_get_rfc_errors(backend: Backend) {
    let app = TestApp::start(backend).await;
    let missing = app.token("grant_type=refresh_token").await;
    missing.assert_error(
        400,
        "missing required field: refresh_token",
        Some("invalid_request"),
    );
    let (access, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    for (name, token) in [
        ("garbage", "not-a-refresh-token".to_owned()),
        ("an access token", access),
        ("an unknown token", "A".repeat(43)),
    ] {
        let response = app.refresh(&token, "").await;
        assert_eq!(response.status, 400, "{name}: {}", response.text);
        response.assert_error(
            400,
            "Refresh token is invalid, expired or revoked",
            Some("invalid_grant"),
        );
    }
    let repeated = app
        .token(&format!(
            "grant_type=refresh_token&refresh_token={refresh}&refresh_token={refresh}"
        ))
        .await;
    assert_eq!(repeated.json()["error"], "invalid_request");

    // A refresh token stays bound to its client.
    let (_, bound) = {
        let response = app
            .token("username=johndoe&password=secret&scope=me&client_id=app-one")
            .await;
        let body = response.json();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    };
    let relabelled = app.refresh(&bound, "&client_id=someone-else").await;
    assert_eq!(relabelled.json()["error"], "invalid_grant");
    let same = app.refresh(&bound, "&client_id=app-one").await;
    assert_eq!(same.status, 200, "{}", same.text);
    let access = same.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.verify(&access).await.client_id.as_deref(),
        Some("app-one")
    );

    // Expired with the session (30 days by default).
    app.clock.advance(30 * 24 * 3600);
    let expired = app.refresh(&refresh, "").await;
    assert_eq!(expired.json()["error"], "invalid_grant");
}

/// `N` refreshes with one token at the same instant; returns the statuses.
async fn refresh_at_once(app: &TestApp, token: &str, n: usize) -> Vec<(u16, Option<String>)> {
    let responses = join_all((0..n).map(|_| app.refresh(token, ""))).await;
    responses
        .into_iter()
        .map(|r| {
            let refresh = r.json()["refresh_token"].as_str().map(str::to_owned);
            (r.status, refresh)
        })
        .collect()
}

async fn concurrent_refreshes_inside_the_grace_window_all_get_tokens(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let results = refresh_at_once(&app, &refresh, 8).await;
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    let mut tokens: Vec<String> = results.into_iter().filter_map(|(_, t)| t).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 8, "each gets its own new refresh token");
    // Siblings: any one of them carries the session on...
    app.clock.advance(60);
    let next = app.refresh(&tokens[3], "").await;
    assert_eq!(next.status, 200, "{}", next.text);
    let next = next.json()["refresh_token"].as_str().unwrap().to_owned();
    let newest = app.refresh(&next, "").await;
    assert_eq!(newest.status, 200);
    let newest = newest.json()["refresh_token"].as_str().unwrap().to_owned();
    // ...but no second chain grows from them: using another sibling after that is reuse,
    // and ends the session, the carried-on chain with it.
    let fork = app.refresh(&tokens[5], "").await;
    assert_eq!(fork.status, 400, "{}", fork.text);
    assert_eq!(fork.json()["error"], "invalid_grant");
    assert_eq!(
        app.refresh(&newest, "").await.status,
        400,
        "the session is revoked"
    );
}

async fn concurrent_refreshes_without_a_grace_window_count_as_reuse(backend: Backend) {
    let settings = SessionSettings {
        browser_ttl: SessionSettings::default().browser_ttl,
        reuse_grace: Duration::ZERO,
        ..SessionSettings::default()
    };
    let app = TestApp::start_with_sessions(backend, settings).await;
    let (_, refresh) = app.sign_in_pair("johndoe", "secret", "me").await;
    let results = refresh_at_once(&app, &refresh, 8).await;
    let winners: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one performs the rotation: {results:?}"
    );
    assert_eq!(
        results.iter().filter(|(status, _)| *status == 400).count(),
        7,
        "{results:?}"
    );
    // The others were reuse: the session is revoked, the winner's new token with it.
    let winner = winners[0].1.clone().unwrap();
    assert_eq!(app.refresh(&winner, "").await.status, 400);
}

/// What the grace window gives a thief, and where it ends: a stolen refresh token replayed
/// within the window after its owner spent it yields one fresh pair (its access token lives
/// until it expires: the README says so), and the replay is found out (the session revoked)
/// as soon as either chain moves on after the other did.
async fn a_replay_inside_the_grace_window_is_found_out_when_either_chain_moves_on(
    backend: Backend,
) {
    for thief_moves_first in [false, true] {
        let app = TestApp::start(backend).await;
        let (_, stolen) = app.sign_in_pair("johndoe", "secret", "me").await;
        let owners = refresh_token(&app.refresh(&stolen, "").await);
        app.clock.advance(5);
        let thiefs = refresh_token(&app.refresh(&stolen, "").await);
        app.clock.advance(60);
        let (first, second) = if thief_moves_first {
            (thiefs, owners)
        } else {
            (owners, thiefs)
        };
        let carried_on = refresh_token(&app.refresh(&first, "").await);
        assert_reuse_ends_the_session(&app, &second, &carried_on).await;
    }
}

/// Presenting `reused` is refused, and the session goes with it: `carried_on`, the token that
/// carried it on, is refused too.
async fn assert_reuse_ends_the_session(app: &TestApp, reused: &str, carried_on: &str) {
    let replay = app.refresh(reused, "").await;
    assert_eq!(replay.status, 400, "{}", replay.text);
    assert_eq!(
        app.refresh(carried_on, "").await.status,
        400,
        "the session is revoked"
    );
}

/// The refresh token of a 200 answer.
fn refresh_token(response: &TestResponse) -> String {
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_session_moves_on_once_per_generation_and_a_retry_finds_it_done(backend: Backend) {
    let app = TestApp::start(backend).await;
    let (_, token) = app.sign_in_pair("johndoe", "secret", "me").await;
    let token = RefreshToken::parse(&token).unwrap().hash();
    let family = app.sessions.token(&token).await.unwrap().unwrap().family;
    let sibling = RefreshToken::generate().hash();
    let sessions = app.sessions.as_ref();
    assert!(sessions.advance(&family, 0, &token).await.unwrap());
    assert!(
        sessions.advance(&family, 0, &token).await.unwrap(),
        "a retry of the same rotation finds it done"
    );
    assert!(
        !sessions.advance(&family, 0, &sibling).await.unwrap(),
        "another token of that generation would grow a second chain"
    );
    assert!(sessions.advance(&family, 1, &sibling).await.unwrap());
    assert!(
        !sessions.advance(&family, 0, &token).await.unwrap(),
        "a rotation two generations back"
    );
    let family = sessions.family(&family).await.unwrap().unwrap();
    assert_eq!((family.generation, family.moved_by), (2, Some(sibling)));
}
