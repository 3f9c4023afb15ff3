//! The sign-in budgets over HTTP: a guesser is locked out per account *and* address, one
//! address failing on many accounts is slowed down, the account ceiling holds against many
//! addresses but not against the owner where the owner signed in before, parallel guesses
//! cannot race past any of them, every lock ends with its window or an operator's unlock, no
//! sequence of requests tells which usernames exist, and no other site's page can make
//! browsers guess. On memory and on DynamoDB; the clock is the app's own.

use futures_util::future::join_all;
use token_service::domain::lockout::{PER_ACCOUNT, PER_SOURCE, PER_SOURCE_AND_ACCOUNT};
use token_service::store::AccountChange;

use crate::for_each_backend;
use crate::support::{self, Backend, TestApp, NOW};

for_each_backend!(
    locks_a_guessing_address_out_while_the_owner_signs_in_elsewhere,
    a_lock_lasts_exactly_until_its_window_ends,
    requests_during_a_lock_do_not_keep_it_alive,
    a_success_starts_the_count_again,
    parallel_guesses_cannot_race_past_the_lock,
    a_right_password_among_parallel_guesses_gets_no_extra_chance,
    hammering_a_locked_address_does_not_lock_the_owner_out,
    one_address_failing_on_many_accounts_is_slowed_down,
    the_account_ceiling_holds_against_many_addresses,
    the_ceiling_does_not_shut_the_owner_out_where_they_signed_in_before,
    an_unlock_ends_every_lock_of_the_account,
    the_budgets_do_not_tell_which_usernames_exist,
    pages_on_other_sites_cannot_make_browsers_guess,
);

const ATTACKER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";
const SPENT: u64 = PER_SOURCE_AND_ACCOUNT.limit;

/// `n` wrong guesses at johndoe from `ip`, one after the other, each refused.
async fn guess(app: &TestApp, ip: &str, n: u64) {
    for _ in 0..n {
        let response = app.token_from(ip, "username=johndoe&password=guess").await;
        response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
    }
}

fn right_password() -> &'static str {
    "username=johndoe&password=secret&scope=me"
}

/// Password checks against stored hashes so far (the dummy hash not counted).
fn checks(app: &TestApp) -> u64 {
    app.state.passwords.checks_of_stored_hashes()
}

async fn locks_a_guessing_address_out_while_the_owner_signs_in_elsewhere(backend: Backend) {
    let app = TestApp::start(backend).await;
    guess(&app, ATTACKER, SPENT).await;
    assert_eq!(checks(&app), SPENT);

    // Locked: even the right password gets the same generic refusal, and is not checked.
    let response = app.token_from(ATTACKER, right_password()).await;
    response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
    assert_eq!(checks(&app), SPENT);

    // The owner, from another address, is not locked out; nor are other accounts.
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
    let bob = app
        .token_from(ATTACKER, "username=bob&password=bobpassword")
        .await;
    assert_eq!(bob.status, 200, "{}", bob.text);
}

async fn a_lock_lasts_exactly_until_its_window_ends(backend: Backend) {
    let app = TestApp::start(backend).await;
    // NOW is the start of a five-minute window: the lock ends at NOW + 300, to the second.
    assert_eq!(PER_SOURCE_AND_ACCOUNT.window(NOW).ends_at, NOW + 300);
    guess(&app, ATTACKER, SPENT).await;
    app.clock.advance(299);
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 400);
    app.clock.advance(1);
    let response = app.token_from(ATTACKER, right_password()).await;
    assert_eq!(response.status, 200, "{}", response.text);
}

async fn requests_during_a_lock_do_not_keep_it_alive(backend: Backend) {
    let app = TestApp::start(backend).await;
    guess(&app, ATTACKER, SPENT).await;
    // One guess every two minutes: each refused unchecked, none extends the lock.
    for _ in 0..2 {
        app.clock.advance(120);
        guess(&app, ATTACKER, 1).await;
    }
    assert_eq!(checks(&app), SPENT);
    app.clock.advance(60);
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 200);
    // Failures age out with their window: the next window starts with the full budget.
    guess(&app, ATTACKER, SPENT - 1).await;
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 200);
}

async fn a_success_starts_the_count_again(backend: Backend) {
    let app = TestApp::start(backend).await;
    for _ in 0..3 {
        guess(&app, OWNER, SPENT - 1).await;
        let response = app.token_from(OWNER, right_password()).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    assert_eq!(checks(&app), 3 * SPENT);
}

/// Sends `forms` from `ip` all at the same instant; returns the statuses in order.
async fn at_once(app: &TestApp, ip: &str, forms: &[&str]) -> Vec<u16> {
    join_all(forms.iter().map(|form| app.token_from(ip, form)))
        .await
        .into_iter()
        .map(|response| response.status)
        .collect()
}

async fn parallel_guesses_cannot_race_past_the_lock(backend: Backend) {
    let app = TestApp::start(backend).await;
    let guesses = vec!["username=johndoe&password=guess"; 40];
    let statuses = at_once(&app, ATTACKER, &guesses).await;
    assert!(statuses.iter().all(|s| *s == 400), "{statuses:?}");
    // Forty guesses at once, and only the budget's five were checked.
    assert_eq!(checks(&app), SPENT);
    println!("40 parallel guesses: {} checked", checks(&app));
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 400);
    assert_eq!(checks(&app), SPENT);
}

async fn a_right_password_among_parallel_guesses_gets_no_extra_chance(backend: Backend) {
    let app = TestApp::start(backend).await;
    guess(&app, ATTACKER, SPENT - 1).await;
    let mut forms = vec!["username=johndoe&password=guess"; 20];
    forms.insert(10, right_password());
    let statuses = at_once(&app, ATTACKER, &forms).await;
    // One attempt was left: of the 21 sent at once only one was checked. The right password
    // succeeds only if it was that one; otherwise it is refused like the rest.
    let successes = statuses.iter().filter(|s| **s == 200).count();
    assert!(successes <= 1, "{statuses:?}");
    if statuses[10] == 200 {
        // Its success started the count again (as any success does), so guesses counted
        // after it had a new budget: never more than one more.
        assert!(checks(&app) <= 2 * SPENT, "{}", checks(&app));
        assert!(statuses
            .iter()
            .enumerate()
            .all(|(i, s)| i == 10 || *s == 400));
        println!("the right password was the one attempt left");
    } else {
        assert_eq!(checks(&app), SPENT);
        assert_eq!(successes, 0, "{statuses:?}");
        assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 400);
        assert_eq!(checks(&app), SPENT);
    }
}

async fn hammering_a_locked_address_does_not_lock_the_owner_out(backend: Backend) {
    let app = TestApp::start(backend).await;
    // Far more attempts than the account's ceiling, from one address: all but five are
    // refused unchecked and give their counts back, so the ceiling is not spent.
    let guesses = vec!["username=johndoe&password=guess"; 10];
    for _ in 0..PER_ACCOUNT.limit / 5 {
        at_once(&app, ATTACKER, &guesses).await;
    }
    assert_eq!(checks(&app), SPENT);
    let response = app.token_from(OWNER, right_password()).await;
    assert_eq!(response.status, 200, "{}", response.text);
}

async fn one_address_failing_on_many_accounts_is_slowed_down(backend: Backend) {
    let app = TestApp::start(backend).await;
    // A list of real accounts (names that are no account share one narrow counter per
    // address, five per five minutes, and meet that first).
    let template = app
        .store
        .get(&support::username("bob"))
        .await
        .unwrap()
        .unwrap();
    for i in 0..PER_SOURCE.limit {
        let mut victim = template.clone();
        victim.username = support::username(&format!("victim{i}"));
        app.store.insert(&victim).await.unwrap();
    }
    let stuffing: Vec<String> = (0..PER_SOURCE.limit - 1)
        .map(|i| format!("username=victim{i}&password=guess"))
        .collect();
    for batch in stuffing.chunks(10) {
        let forms: Vec<&str> = batch.iter().map(String::as_str).collect();
        assert!(at_once(&app, ATTACKER, &forms)
            .await
            .iter()
            .all(|s| *s == 400));
    }
    // Successes from the address give their attempt back: they never spend its budget.
    assert_eq!(
        app.token_from(ATTACKER, "username=bob&password=bobpassword")
            .await
            .status,
        200
    );
    let checked = checks(&app);
    // The budget's last failure is still checked ...
    guess(&app, ATTACKER, 1).await;
    assert_eq!(checks(&app), checked + 1);
    // ... and after it the address is refused unchecked on every account, even with a
    // right password, while the account's owner signs in from elsewhere.
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 400);
    let bob = app
        .token_from(ATTACKER, "username=bob&password=bobpassword")
        .await;
    assert_eq!(bob.status, 400);
    assert_eq!(checks(&app), checked + 1);
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
    // A quarter of an hour later the address has its budget again.
    app.clock.advance(PER_SOURCE.window_seconds as i64);
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 200);
}

async fn the_account_ceiling_holds_against_many_addresses(backend: Backend) {
    let app = TestApp::start(backend).await;
    let addresses: Vec<String> = (0..PER_ACCOUNT.limit)
        .map(|i| format!("10.0.{}.{}", i / 250, i % 250 + 1))
        .collect();
    for batch in addresses.chunks(10) {
        join_all(batch.iter().map(|ip| guess(&app, ip, 1))).await;
    }
    assert_eq!(checks(&app), PER_ACCOUNT.limit);
    // Every address has budget left, but the account's hourly ceiling is reached: even its
    // owner is refused (the last line), until the hour ends or an operator unlocks it.
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 400);
    assert_eq!(checks(&app), PER_ACCOUNT.limit);
    // (The account counter is the same from every address.)
    let counters = app.counters("johndoe", OWNER);
    let state = app.attempts.read(&counters.account).await.unwrap();
    // The refused attempt gave its count back: refusals never spend a budget.
    assert_eq!(state.count, PER_ACCOUNT.limit);
    assert_eq!(state.last_failure, Some(app.now()));
    app.clock.advance(PER_ACCOUNT.window_seconds as i64);
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
}

/// One guess at johndoe from each of `PER_ACCOUNT.limit` addresses: the ceiling is spent.
async fn spend_the_ceiling(app: &TestApp) -> Vec<String> {
    let addresses: Vec<String> = (0..PER_ACCOUNT.limit)
        .map(|i| format!("10.0.{}.{}", i / 250, i % 250 + 1))
        .collect();
    for batch in addresses.chunks(10) {
        join_all(batch.iter().map(|ip| guess(app, ip, 1))).await;
    }
    addresses
}

async fn the_ceiling_does_not_shut_the_owner_out_where_they_signed_in_before(backend: Backend) {
    let app = TestApp::start(backend).await;
    // The owner signed in from home last week.
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
    app.clock.advance(7 * 24 * 3600);
    let guessers = spend_the_ceiling(&app).await;
    assert_eq!(checks(&app), 1 + PER_ACCOUNT.limit);

    // From home the owner still signs in, past the spent ceiling ...
    let response = app.token_from(OWNER, right_password()).await;
    assert_eq!(response.status, 200, "{}", response.text);
    // ... without giving the guessers back a single guess: the ceiling stays spent.
    let counters = app.counters("johndoe", OWNER);
    let ceiling = app.attempts.read(&counters.account).await.unwrap();
    assert_eq!(ceiling.count, PER_ACCOUNT.limit);
    // A new address is refused, even the owner's, and so is every guesser, unchecked,
    // even with the right password.
    let checked = checks(&app);
    assert_eq!(
        app.token_from("192.0.2.99", right_password()).await.status,
        400
    );
    for ip in guessers.iter().take(10) {
        assert_eq!(app.token_from(ip, right_password()).await.status, 400);
    }
    assert_eq!(checks(&app), checked);
    // The known address keeps its own narrow budget: five wrong passwords lock it too.
    guess(&app, OWNER, SPENT).await;
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 400);
    // A known address is forgotten thirty days after its last sign-in.
    app.clock
        .advance(PER_SOURCE_AND_ACCOUNT.window_seconds as i64);
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
    app.clock
        .advance(token_service::domain::lockout::REMEMBER_SOURCES_FOR as i64);
    spend_the_ceiling(&app).await;
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 400);

    // An unlock (as every new password does) forgets the known addresses: one that held an
    // old password keeps nothing past the ceiling.
    let unlock = AccountChange {
        unlock: true,
        ..AccountChange::default()
    };
    app.change_account("johndoe", &unlock).await;
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 200);
    app.change_account("johndoe", &unlock).await;
    spend_the_ceiling(&app).await;
    assert_eq!(app.token_from(OWNER, right_password()).await.status, 400);
}

/// The review's attack (finding 1): with an account of its own, an attacker fills the narrow
/// counter that names which are no account share, brings its address's budget to one below
/// the limit (wrong guesses at its own account, each run of four ended by a success), tries a
/// candidate name, then signs in to its own account. Whatever it sees must not depend on
/// whether the candidate exists, is disabled, or is no account.
async fn the_budgets_do_not_tell_which_usernames_exist(backend: Backend) {
    let mut seen = Vec::new();
    for candidate in ["johndoe", "alice", "no-such-user"] {
        let app = TestApp::start(backend).await;
        let own_wrong = "username=bob&password=guess";
        let own_right = "username=bob&password=bobpassword";
        let mut answers = Vec::new();
        for i in 0..SPENT {
            let form = format!("username=ghost{i}&password=guess");
            answers.push(app.token_from(ATTACKER, &form).await.status);
        }
        let mut spent = SPENT;
        while spent < PER_SOURCE.limit - 1 {
            for _ in 0..4.min(PER_SOURCE.limit - 1 - spent) {
                answers.push(app.token_from(ATTACKER, own_wrong).await.status);
                spent += 1;
            }
            answers.push(app.token_from(ATTACKER, own_right).await.status);
        }
        let probe = app
            .token_from(ATTACKER, &format!("username={candidate}&password=guess"))
            .await;
        answers.push(probe.status);
        answers.push(app.token_from(ATTACKER, own_right).await.status);
        // And later: once more each, after the narrow windows ended.
        app.clock
            .advance(PER_SOURCE_AND_ACCOUNT.window_seconds as i64);
        answers.push(app.token_from(ATTACKER, own_right).await.status);
        seen.push((candidate, probe.text, answers));
    }
    let (first, first_body, first_answers) = &seen[0];
    for (candidate, body, answers) in &seen[1..] {
        assert_eq!(body, first_body, "{candidate} vs {first}");
        assert_eq!(answers, first_answers, "{candidate} vs {first}");
    }
}

async fn pages_on_other_sites_cannot_make_browsers_guess(backend: Backend) {
    let app = TestApp::start(backend).await;
    let host = ("host", "auth.example.com");
    for headers in [
        vec![("sec-fetch-site", "cross-site"), host],
        vec![("sec-fetch-site", "same-site"), host],
        vec![("origin", "https://evil.example"), host],
        vec![("origin", "null"), host],
    ] {
        for _ in 0..SPENT + 1 {
            let response = app
                .token_with_from(ATTACKER, &headers, "username=johndoe&password=guess")
                .await;
            response.assert_error(
                400,
                "requests from another site's page are not accepted here",
                Some("invalid_request"),
            );
        }
        for (path, form) in [("/revoke", "token=x"), ("/introspect", "token=x")] {
            let response = app
                .request(
                    "POST",
                    path,
                    &[
                        &headers[..],
                        &[("content-type", "application/x-www-form-urlencoded")],
                    ]
                    .concat(),
                    form.to_owned(),
                )
                .await;
            assert_eq!(
                response.status, 400,
                "{path} {headers:?}: {}",
                response.text
            );
        }
    }
    // Nothing was checked or counted: the owner's own page signs in from that address.
    assert_eq!(checks(&app), 0);
    let counters = app.counters("johndoe", ATTACKER);
    assert_eq!(app.attempts.read(&counters.source).await.unwrap().count, 0);
    for headers in [
        vec![("sec-fetch-site", "same-origin"), host],
        vec![("origin", "https://auth.example.com"), host],
        vec![host],
    ] {
        let response = app
            .token_with_from(ATTACKER, &headers, right_password())
            .await;
        assert_eq!(response.status, 200, "{headers:?}: {}", response.text);
    }
}

async fn an_unlock_ends_every_lock_of_the_account(backend: Backend) {
    let app = TestApp::start(backend).await;
    guess(&app, ATTACKER, SPENT + 2).await;
    assert_eq!(app.token_from(ATTACKER, right_password()).await.status, 400);
    let unlock = AccountChange {
        unlock: true,
        ..AccountChange::default()
    };
    app.change_account("johndoe", &unlock).await;
    let response = app.token_from(ATTACKER, right_password()).await;
    assert_eq!(response.status, 200, "{}", response.text);
}

/// Locally the socket's peer is the source: the counter of 127.0.0.1 holds the guesses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locally_the_socket_peer_is_the_source() {
    let app = TestApp::start(Backend::MemoryOverSocket).await;
    for _ in 0..SPENT + 1 {
        assert_eq!(
            app.token("username=johndoe&password=guess").await.status,
            400
        );
    }
    assert_eq!(app.token(right_password()).await.status, 400);
    let counters = app.counters("johndoe", "127.0.0.1");
    let state = app
        .attempts
        .read(&counters.source_and_account)
        .await
        .unwrap();
    // Counted up to the limit only: the refused attempts were not counted.
    assert_eq!(state.count, SPENT);
    assert_eq!(checks(&app), SPENT);
}

/// A client's `X-Forwarded-For` is believed only where a trusted proxy is configured to set
/// it, and then only its last entry (the one the proxy appended).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_for_header_counts_only_when_a_trusted_proxy_is_configured() {
    use tower::ServiceExt as _;

    let app = TestApp::start(Backend::Memory).await;
    let send = |state: token_service::AppState, forwarded: &str, form: &str| {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", forwarded)
            .body(axum::body::Body::from(form.to_owned()))
            .unwrap();
        async move {
            token_service::http::router_of_all(state)
                .oneshot(request)
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Not configured: a guesser cannot shed its lock by claiming new addresses.
    for i in 0..SPENT {
        let claimed = format!("10.9.9.{i}");
        let status = send(
            app.state.clone(),
            &claimed,
            "username=johndoe&password=guess",
        )
        .await;
        assert_eq!(status, 400);
    }
    let status = send(app.state.clone(), "10.9.9.99", right_password()).await;
    assert_eq!(status, 400, "the header was believed");

    // Configured: the proxy's entry (the last) is the source, whatever the client put first.
    let proxied = app
        .state
        .clone()
        .with_source_header(Some(axum::http::HeaderName::from_static("x-forwarded-for")));
    let status = send(proxied.clone(), "10.9.9.99, 203.0.113.20", right_password()).await;
    assert_eq!(status, 200);
    for _ in 0..SPENT {
        send(
            proxied.clone(),
            "203.0.113.21",
            "username=johndoe&password=guess",
        )
        .await;
    }
    let status = send(proxied.clone(), "203.0.113.21", right_password()).await;
    assert_eq!(status, 400);
    let status = send(proxied, "203.0.113.21, 203.0.113.22", right_password()).await;
    assert_eq!(status, 200);
}
