//! Client authentication at `/token` and `/revoke`, on every backend: every way it fails, its
//! cost (an unknown client costs what a wrong secret costs), its budgets (counted before the
//! check, also at the same instant), and secret rotation with two live secrets.

use futures_util::future::join_all;
use token_service::attempts::SignInCounters;
use token_service::clients::ClientChange;
use token_service::domain::lockout::LockoutPolicy;
use token_service::domain::SourceAddress;

use crate::for_each_backend;
use crate::support::{
    basic, client_id as id, Backend, TestApp, SERVICE_SECRET, SERVICE_SECRET_NEXT,
};

for_each_backend!(
    over_socket:
    every_failed_client_authentication_is_invalid_client,
    an_empty_basic_credential_is_no_client,
);

/// Scenarios that choose the client's address (not possible through a real socket).
mod by_address {
    use super::*;

    for_each_backend!(
        an_unknown_client_costs_what_a_wrong_secret_costs,
        client_secret_guesses_are_counted_and_limited,
        parallel_client_secret_guesses_are_checked_at_most_the_budget,
        a_secret_rotates_with_two_live_secrets,
    );
}

async fn every_failed_client_authentication_is_invalid_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    let cc = "grant_type=client_credentials";
    let basic_cases = [
        ("wrong secret", basic("service", "wrong"), cc.to_owned()),
        (
            "unknown client",
            basic("nobody", SERVICE_SECRET),
            cc.to_owned(),
        ),
        (
            "disabled client",
            basic("disabled-service", SERVICE_SECRET),
            cc.to_owned(),
        ),
        (
            "public client with a secret",
            basic("my-cli", SERVICE_SECRET),
            "username=johndoe&password=secret".to_owned(),
        ),
        (
            "two methods",
            basic("service", SERVICE_SECRET),
            format!("{cc}&client_secret={SERVICE_SECRET}"),
        ),
        (
            "another client_id in the form",
            basic("service", SERVICE_SECRET),
            format!("{cc}&client_id=service-two"),
        ),
        ("not base64", "Basic %%%".to_owned(), cc.to_owned()),
        ("no colon", "Basic c2VydmljZQ==".to_owned(), cc.to_owned()),
        ("no secret", basic("service", ""), cc.to_owned()),
    ];
    let mut bodies = Vec::new();
    for (case, authorization, form) in &basic_cases {
        let response = app
            .token_with(&[("authorization", authorization)], form)
            .await;
        assert_eq!(response.status, 401, "{case}: {}", response.text);
        response.assert_invalid_client(true);
        bodies.push(response.text);
    }
    let post_cases = [
        (
            "wrong secret",
            format!("{cc}&client_id=service&client_secret=wrong"),
        ),
        (
            "unknown client",
            format!("{cc}&client_id=nobody&client_secret=x"),
        ),
        (
            "confidential client without its secret",
            format!("{cc}&client_id=service"),
        ),
        (
            "unknown public client",
            "username=johndoe&password=secret&client_id=nobody".to_owned(),
        ),
        (
            "secret without client_id",
            format!("{cc}&client_secret={SERVICE_SECRET}"),
        ),
        (
            "public client with a secret",
            "username=johndoe&password=secret&client_id=my-cli&client_secret=x".to_owned(),
        ),
    ];
    for (case, form) in &post_cases {
        let response = app.token(form).await;
        assert_eq!(response.status, 400, "{case}: {}", response.text);
        response.assert_invalid_client(false);
        bodies.push(response.text);
    }
    // One answer whatever the reason (the reason goes to the logs only).
    bodies.dedup();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    // The same at /revoke.
    let response = app
        .revoke_with(
            &[("authorization", &basic("service", "wrong"))],
            "token=whatever",
        )
        .await;
    response.assert_invalid_client(true);
}

/// Swagger UI's password flow sends `Authorization: Basic Og==` (an empty id and secret)
/// when no client is filled in: the tutorial's request, served as the default client.
async fn an_empty_basic_credential_is_no_client(backend: Backend) {
    let app = TestApp::start(backend).await;
    let response = app
        .token_with(
            &[("authorization", "Basic Og==")],
            "grant_type=password&username=johndoe&password=secret&scope=me",
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.verify(&token).await.client_id.as_deref(),
        Some("default")
    );
}

async fn an_unknown_client_costs_what_a_wrong_secret_costs(backend: Backend) {
    let app = TestApp::start(backend).await;
    let passwords = &app.state.passwords;
    let cost = |before: (u64, u64)| {
        (
            passwords.verifications() - before.0,
            passwords.checks_of_stored_hashes() - before.1,
        )
    };
    let mut costs = Vec::new();
    for (case, authorization, status) in [
        ("right secret", basic("service", SERVICE_SECRET), 200),
        ("wrong secret", basic("service", "wrong"), 401),
        ("unknown client", basic("nobody", SERVICE_SECRET), 401),
        (
            "disabled client",
            basic("disabled-service", SERVICE_SECRET),
            401,
        ),
        ("public client", basic("my-cli", SERVICE_SECRET), 401),
    ] {
        let before = (
            passwords.verifications(),
            passwords.checks_of_stored_hashes(),
        );
        let response = app
            .token_with(
                &[("authorization", &authorization)],
                "grant_type=client_credentials",
            )
            .await;
        assert_eq!(response.status, status, "{case}: {}", response.text);
        costs.push((case, cost(before)));
    }
    // Exactly one Argon2 verification each: against a stored hash where one is picked, the
    // dummy hash otherwise.
    for (case, (verifications, _)) in &costs {
        assert_eq!(*verifications, 1, "{case}");
    }
    assert_eq!(
        costs[0].1 .1, 1,
        "the right secret is checked against its hash"
    );
    assert_eq!(
        costs[1].1 .1, 0,
        "a wrong secret's hint picks no hash: the dummy is checked"
    );
    assert_eq!(costs[2].1 .1, 0, "an unknown client has no hash");
}

async fn client_secret_guesses_are_counted_and_limited(backend: Backend) {
    let app = TestApp::start(backend).await;
    let right = basic("service", SERVICE_SECRET);
    let wrong = basic("service", "guess");
    let cc = "grant_type=client_credentials";
    for _ in 0..5 {
        let response = app
            .token_with_from("203.0.113.9", &[("authorization", &wrong)], cc)
            .await;
        response.assert_invalid_client(true);
    }
    let checks = app.state.passwords.checks_of_stored_hashes();
    // The budget of this address for this client is spent: the right secret is not checked.
    let locked = app
        .token_with_from("203.0.113.9", &[("authorization", &right)], cc)
        .await;
    locked.assert_invalid_client(true);
    assert_eq!(app.state.passwords.checks_of_stored_hashes(), checks);
    // Another address is not locked out, and its success clears nothing of the guesser's.
    let elsewhere = app
        .token_with_from("198.51.100.7", &[("authorization", &right)], cc)
        .await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    let still = app
        .token_with_from("203.0.113.9", &[("authorization", &right)], cc)
        .await;
    still.assert_invalid_client(true);
    // The window ends: the address may try again.
    app.clock.advance(300);
    let later = app
        .token_with_from("203.0.113.9", &[("authorization", &right)], cc)
        .await;
    assert_eq!(later.status, 200, "{}", later.text);
}

async fn parallel_client_secret_guesses_are_checked_at_most_the_budget(backend: Backend) {
    let app = TestApp::start(backend).await;
    let wrong = basic("service", "guess");
    let app = &app;
    let wrong = &wrong;
    let guesses = (0..20).map(|_| async move {
        app.token_with_from(
            "203.0.113.10",
            &[("authorization", wrong.as_str())],
            "grant_type=client_credentials",
        )
        .await
    });
    for response in join_all(guesses).await {
        response.assert_invalid_client(true);
    }
    // 20 at once, counted before any was checked: exactly the budget of 5 was admitted (and
    // stays counted); the 15 refused gave back what they counted on the client's budgets.
    let counters = SignInCounters::for_client(
        &LockoutPolicy::default(),
        &id("service"),
        &SourceAddress::parse("203.0.113.10").unwrap(),
        app.now(),
    );
    let pair = app
        .attempts
        .read(&counters.source_and_account)
        .await
        .unwrap();
    assert_eq!(pair.count, 5);
    // The address's budget counts all twenty: refused or not, an attempt spends it.
    let source = app.attempts.read(&counters.source).await.unwrap();
    assert_eq!(source.count, 20);
    // So the right secret is not even checked from there now.
    let right = app
        .token_with_from(
            "203.0.113.10",
            &[("authorization", &basic("service", SERVICE_SECRET))],
            "grant_type=client_credentials",
        )
        .await;
    right.assert_invalid_client(true);
}

async fn a_secret_rotates_with_two_live_secrets(backend: Backend) {
    let app = TestApp::start(backend).await;
    // `service-two` holds its old and its new secret: both work during the rotation.
    for secret in [SERVICE_SECRET, SERVICE_SECRET_NEXT] {
        app.client_token("service-two", secret, "items").await;
    }
    // The operator removes the old one: the new one alone works.
    let client = app.clients.get(&id("service-two")).await.unwrap().unwrap();
    assert_eq!(client.secrets.len(), 2);
    let change = ClientChange {
        secrets: Some(client.secrets[1..].to_vec()),
        ..ClientChange::default()
    };
    app.clients
        .update(&id("service-two"), &change, Some(client.revision))
        .await
        .unwrap();
    let old = app
        .token_with_from(
            "198.51.100.20",
            &[("authorization", &basic("service-two", SERVICE_SECRET))],
            "grant_type=client_credentials",
        )
        .await;
    old.assert_invalid_client(true);
    app.client_token("service-two", SERVICE_SECRET_NEXT, "items")
        .await;
    // A change made from a stale read is refused: two rotations cannot both land.
    let stale = app
        .clients
        .update(&id("service-two"), &change, Some(client.revision))
        .await;
    assert!(
        matches!(stale, Err(token_service::store::StoreError::Conflict(_))),
        "{stale:?}"
    );
}
