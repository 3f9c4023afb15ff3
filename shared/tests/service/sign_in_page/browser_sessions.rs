//! Browser sessions of the sign-in page, on both stores: a signed-in browser's return (a
//! public app after a Continue press, a confidential one at once), `prompt=login`, made-up
//! cookies, and the session ended by revocation, a new password, disabling or time.

use token_service::store::AccountChange;

use super::{hidden_fields, query, redirected, Browser, VERIFIER};
use crate::authorization_code::{app, exchange_form, SPA_CALLBACK};
use crate::for_each_backend;
use crate::support::{Backend, TestResponse, ISSUER};

for_each_backend!(
    a_signed_in_browser_gets_its_code_without_the_form,
    the_browser_session_ends_with_revocation_a_new_password_disabling_or_time,
);

/// Signs `browser` in on the page as johndoe, returning the session cookie's attributes.
async fn signed_in(browser: &mut Browser<'_>) -> String {
    let response = browser.sign_in(&query(&[]), "johndoe", "secret").await;
    redirected(&response, 303, SPA_CALLBACK);
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sign-in-session="))
        .expect("a browser session cookie")
}

/// Whether `page` offers to go on as the signed-in user (a public client's one press).
fn offers_to_continue(page: &TestResponse) -> bool {
    page.status == 200 && page.text.contains("name=\"continue\"")
}

async fn a_signed_in_browser_gets_its_code_without_the_form(backend: Backend) {
    let app = app(backend).await;
    let mut browser = Browser::new(&app, "192.0.2.20");
    let cookie = signed_in(&mut browser).await;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=28800"] {
        assert!(cookie.contains(attribute), "{attribute} not in {cookie}");
    }
    // Loopback http: no `Secure` (the browser would drop it), no `__Host-` prefix.
    assert!(!cookie.contains("Secure"), "{cookie}");
    // Another request of the public app (another state), later: no password, but one press,
    // since nothing proves a public client is the app it names (RFC 8252 §8.6).
    app.clock.advance(3600);
    let page = browser.open(&query(&[("state", "st-7")])).await;
    assert!(offers_to_continue(&page), "{}", page.text);
    assert!(page
        .text
        .contains("You are signed in as <strong>johndoe</strong>."));
    assert!(page.header("location").is_none());
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in hidden_fields(&page) {
        form.append_pair(&name, &value);
    }
    let response = browser.post(&form.finish()).await;
    let answer = redirected(&response, 303, SPA_CALLBACK);
    assert_eq!(answer["state"], "st-7");
    assert_eq!(answer["iss"], ISSUER);
    let token = app
        .token(&exchange_form(
            "spa",
            &answer["code"],
            SPA_CALLBACK,
            VERIFIER,
        ))
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    let access = token.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/users/me/", Some(&access)).await.json()["username"],
        "johndoe"
    );
    // A confidential client (whose secret proves it at the exchange): straight back.
    let web = [
        ("client_id", "web"),
        ("redirect_uri", crate::authorization_code::WEB_CALLBACK),
        ("state", "st-8"),
    ];
    let response = browser.open(&query(&web)).await;
    let answer = redirected(&response, 302, crate::authorization_code::WEB_CALLBACK);
    assert_eq!(answer["state"], "st-8");
    let exchange = format!(
        "grant_type=authorization_code&code={}&redirect_uri=https%3A%2F%2Fweb.example%2Fcb&code_verifier={VERIFIER}",
        answer["code"]
    );
    let basic = crate::support::basic("web", crate::support::SERVICE_SECRET);
    let token = app
        .token_with(&[("authorization", &basic)], &exchange)
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    // prompt=login asks for the password all the same.
    let page = browser.open(&query(&[("prompt", "login")])).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<form") && !offers_to_continue(&page));
    let page = browser
        .open(&query(
            &web.iter()
                .copied()
                .chain([("prompt", "login")])
                .collect::<Vec<_>>(),
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    // Another browser, a made-up cookie, or the plain cookie name over https: the form.
    let mut other = Browser::new(&app, "192.0.2.21");
    assert!(!offers_to_continue(&other.open(&query(&[])).await));
    other.cookies.insert(
        "sign-in-session".into(),
        token_service::random::base64url_256_bits(),
    );
    assert!(!offers_to_continue(&other.open(&query(&[])).await));
    other
        .cookies
        .insert("sign-in-session".into(), "junk".into());
    assert!(!offers_to_continue(&other.open(&query(&[])).await));
    // Continue pressed in a browser whose session is gone: the password form again.
    let page = browser.open(&query(&[])).await;
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in hidden_fields(&page) {
        form.append_pair(&name, &value);
    }
    let form = form.finish();
    app.change_account(
        "johndoe",
        &AccountChange {
            revoke_tokens: true,
            ..AccountChange::default()
        },
    )
    .await;
    let response = browser.post(&form).await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.text.contains("Please sign in again."));
    assert!(response.header("location").is_none());
}

async fn the_browser_session_ends_with_revocation_a_new_password_disabling_or_time(
    backend: Backend,
) {
    let app = app(backend).await;
    let form_again = |response: &TestResponse, why: &str| {
        assert_eq!(response.status, 200, "{why}: {}", response.text);
        assert!(response.header("location").is_none(), "{why}");
        assert!(response.text.contains("<form"), "{why}");
        assert!(!offers_to_continue(response), "{why}: still signed in");
    };
    let revocation = AccountChange {
        revoke_tokens: true,
        ..AccountChange::default()
    };
    let new_password = AccountChange {
        password_hash: Some(
            token_service::passwords::hash_password_blocking(&crate::support::password(
                "a-new-password",
            ))
            .unwrap(),
        ),
        revoke_tokens: true,
        unlock: true,
        ..AccountChange::default()
    };
    for (why, change) in [("revoked", revocation), ("new password", new_password)] {
        let mut browser = Browser::new(&app, "192.0.2.22");
        let response = browser.sign_in(&query(&[]), "johndoe", "secret").await;
        redirected(&response, 303, SPA_CALLBACK);
        app.change_account("johndoe", &change).await;
        form_again(&browser.open(&query(&[])).await, why);
        if why == "new password" {
            // Put the tutorial's password back for the cases after this one.
            let back = AccountChange {
                password_hash: Some(
                    token_service::passwords::hash_password_blocking(&crate::support::password(
                        "secret",
                    ))
                    .unwrap(),
                ),
                ..AccountChange::default()
            };
            app.change_account("johndoe", &back).await;
        }
    }
    let mut browser = Browser::new(&app, "192.0.2.23");
    signed_in(&mut browser).await;
    app.change_account(
        "johndoe",
        &AccountChange {
            disabled: Some(true),
            ..AccountChange::default()
        },
    )
    .await;
    form_again(&browser.open(&query(&[])).await, "disabled");
    app.change_account(
        "johndoe",
        &AccountChange {
            disabled: Some(false),
            ..AccountChange::default()
        },
    )
    .await;
    // Re-enabled without a revocation: the session would sign in again, until it expires.
    let mut browser = Browser::new(&app, "192.0.2.24");
    signed_in(&mut browser).await;
    app.clock.advance(8 * 3600 - 1);
    assert!(offers_to_continue(&browser.open(&query(&[])).await));
    app.clock.advance(1);
    form_again(&browser.open(&query(&[])).await, "expired");
}
