//! `GET` and `POST /authorize`, the hosted sign-in page, driven as a browser drives it (the
//! cookie it was given, the form it was shown, `Origin` and `Sec-Fetch-Site`), on both stores:
//! the page and its headers, a sign-in that ends with a code the app exchanges, one message
//! for every failure, the CSRF token, cross-site posts, the sign-in budgets shared with
//! `/token`, and where errors may and may not be sent.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use token_service::attempts::SignInCounters;
use token_service::domain::lockout::LockoutPolicy;
use token_service::domain::{CodeChallenge, SourceAddress};
use token_service::store::AccountChange;

use crate::authorization_code::{app, exchange_form, SPA_CALLBACK};
use crate::for_each_backend;
use crate::support::{username, Backend, TestApp, TestResponse, ISSUER};

for_each_backend!(
    the_page_names_the_app_and_its_scopes_under_strict_headers,
    signing_in_on_the_page_redirects_with_a_code_that_gets_tokens,
    every_failed_sign_in_shows_the_form_again_with_one_message,
    the_form_needs_the_token_this_browser_was_given_for_this_request,
    posts_from_another_site_are_refused_before_anything_is_counted,
    guesses_on_the_page_spend_the_budgets_of_token,
    an_untrusted_client_or_redirect_uri_gets_a_page_never_a_redirect,
    every_other_error_goes_back_to_the_app_with_state_and_iss,
    hostile_requests_get_a_4xx_and_never_a_redirect_elsewhere,
);

mod browser_sessions;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const BROWSER: &str = "text/html,application/xhtml+xml";
const FAILED: &str = "Incorrect username or password.";

fn source(ip: &str) -> Option<SocketAddr> {
    Some(SocketAddr::new(ip.parse().unwrap(), 40000))
}

/// The query of an authorization request from `spa`, with `changes` made.
fn query(changes: &[(&str, &str)]) -> String {
    let challenge = CodeChallenge::of(VERIFIER);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", SPA_CALLBACK),
        ("scope", "me items"),
        ("state", "st-1"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    query.finish()
}

/// A browser: the cookies it was given (by name), the form it was shown.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    ip: &'a str,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp, ip: &'a str) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
            ip,
        }
    }

    /// The `Cookie` header this browser sends, if any.
    fn cookie(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            let pairs: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            pairs.join("; ")
        })
    }

    /// Keeps what `response` set.
    fn keep(&mut self, response: &TestResponse) {
        for set in response.headers.get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    async fn open(&mut self, query: &str) -> TestResponse {
        let cookie = self.cookie();
        let mut headers = vec![("accept", BROWSER)];
        if let Some(cookie) = &cookie {
            headers.push(("cookie", cookie));
        }
        let response = self
            .app
            .request_from(
                source(self.ip),
                "GET",
                &format!("/authorize?{query}"),
                &headers,
                "",
            )
            .await;
        self.keep(&response);
        response
    }

    /// Posts `form` as this browser's page would (same origin), keeping the cookies it sets.
    async fn post(&mut self, form: &str) -> TestResponse {
        let response = self.send_form(form).await;
        self.keep(&response);
        response
    }

    /// Posts `form` without keeping what the answer sets (many at once).
    async fn send_form(&self, form: &str) -> TestResponse {
        let cookie = self.cookie();
        let mut headers = vec![
            ("accept", BROWSER),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", ISSUER),
            ("sec-fetch-site", "same-origin"),
        ];
        if let Some(cookie) = &cookie {
            headers.push(("cookie", cookie));
        }
        self.app
            .request_from(
                source(self.ip),
                "POST",
                "/authorize",
                &headers,
                form.to_owned(),
            )
            .await
    }

    /// Opens the page for `query` and signs in on it as `user`.
    async fn sign_in(&mut self, query: &str, user: &str, password: &str) -> TestResponse {
        let page = self.open(query).await;
        assert_eq!(page.status, 200, "{}", page.text);
        self.post(&filled(&page, user, password)).await
    }
}

/// The hidden fields of a page's form, unescaped.
fn hidden_fields(page: &TestResponse) -> BTreeMap<String, String> {
    let pattern =
        regex_lite::Regex::new(r#"<input type="hidden" name="([a-z_]+)" value="([^"]*)">"#)
            .unwrap();
    pattern
        .captures_iter(&page.text)
        .map(|c| (c[1].to_owned(), unescape(&c[2])))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The form of `page`, filled in.
fn filled(page: &TestResponse, user: &str, password: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in hidden_fields(page) {
        form.append_pair(&name, &value);
    }
    form.append_pair("username", user);
    form.append_pair("password", password);
    form.finish()
}

/// The query pairs of a redirect's `Location`, which must start with `to`.
fn redirected(response: &TestResponse, status: u16, to: &str) -> BTreeMap<String, String> {
    assert_eq!(response.status, status, "{}", response.text);
    let location = response.header("location").expect("a Location");
    let query = location
        .strip_prefix(&format!("{to}?"))
        .unwrap_or_else(|| panic!("{location} does not go to {to}"));
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

async fn the_page_names_the_app_and_its_scopes_under_strict_headers(backend: Backend) {
    let app = app(backend).await;
    let mut browser = Browser::new(&app, "192.0.2.10");
    let page = browser.open(&query(&[])).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap();
    for part in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self' http://127.0.0.1",
    ] {
        assert!(policy.contains(part), "{part} not in {policy}");
    }
    assert!(
        !policy.contains("script-src") && !policy.contains("unsafe"),
        "{policy}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let cookie = page.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    for text in [
        "<html lang=\"en\">",
        "<title>Sign in</title>",
        "<strong>spa</strong> asks to sign you in",
        "Read information about the current user.",
        "Read items.",
        "<label for=\"username\">Username</label>",
        "autocomplete=\"current-password\"",
        "<form method=\"post\" action=\"\">",
    ] {
        assert!(page.text.contains(text), "{text} not in {}", page.text);
    }
    assert!(!page.text.contains("<script"), "no script");
    let hidden = hidden_fields(&page);
    assert_eq!(hidden["client_id"], "spa");
    assert_eq!(hidden["state"], "st-1");
    assert_eq!(hidden["csrf_token"].len(), 43);
    // The same browser keeps its cookie: a second tab's form stays good.
    let first = browser.cookies["sign-in-csrf"].clone();
    let again = browser.open(&query(&[("state", "st-2")])).await;
    assert_eq!(again.status, 200);
    assert_eq!(browser.cookies["sign-in-csrf"], first);
    assert!(again.header("set-cookie").unwrap().contains(&first));
}

async fn signing_in_on_the_page_redirects_with_a_code_that_gets_tokens(backend: Backend) {
    let app = app(backend).await;
    let mut browser = Browser::new(&app, "192.0.2.11");
    let response = browser.sign_in(&query(&[]), "johndoe", "secret").await;
    let answer = redirected(&response, 303, SPA_CALLBACK);
    assert_eq!(answer["state"], "st-1");
    assert_eq!(answer["iss"], ISSUER);
    assert_eq!(answer.len(), 3, "{answer:?}");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let token = app
        .token(&exchange_form(
            "spa",
            &answer["code"],
            SPA_CALLBACK,
            VERIFIER,
        ))
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.json()["scope"], "me items");
    let access = token.json()["access_token"].as_str().unwrap().to_owned();
    let me = app.get("/users/me/", Some(&access)).await;
    assert_eq!(me.json()["username"], "johndoe");
    // A user with fewer scopes gets only theirs; a request without state gets none back.
    let mut browser = Browser::new(&app, "192.0.2.12");
    let response = browser
        .sign_in(&query(&[("state", "")]), "bob", "bobpassword")
        .await;
    let answer = redirected(&response, 303, SPA_CALLBACK);
    assert!(!answer.contains_key("state"));
    let token = app
        .token(&exchange_form(
            "spa",
            &answer["code"],
            SPA_CALLBACK,
            VERIFIER,
        ))
        .await;
    assert_eq!(token.json()["scope"], "me");
}

async fn every_failed_sign_in_shows_the_form_again_with_one_message(backend: Backend) {
    let app = app(backend).await;
    let mut pages = Vec::new();
    for (user, password) in [
        ("johndoe", "wrong"),
        ("nobody", "secret"),
        ("alice", "secretalice"),
        ("", ""),
        ("johndoe", ""),
        ("bad name!", "x"),
        ("\"><b>x</b>", "x"),
    ] {
        let mut browser = Browser::new(&app, "192.0.2.13");
        let page = browser.sign_in(&query(&[]), user, password).await;
        assert_eq!(page.status, 400, "{user}: {}", page.text);
        assert!(page.header("location").is_none());
        assert!(
            page.text
                .contains(&format!("role=\"alert\" id=\"error\">{FAILED}")),
            "{user}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        // The form again, for the same request, with what was typed (escaped).
        assert_eq!(hidden_fields(&page)["state"], "st-1");
        assert!(!page.text.contains("<b>x</b>"));
        let page = page.text.replace(&unescape_name(user), "");
        pages.push(page.replace(&hidden_csrf(&page), ""));
    }
    // Nothing in the page says which failure it was.
    pages.dedup();
    assert_eq!(pages.len(), 1, "the pages differ");
    // A browser that is not asking for a page gets the JSON of /token.
    let mut browser = Browser::new(&app, "192.0.2.13");
    let page = browser.open(&query(&[])).await;
    let response = app
        .request_from(
            source("192.0.2.13"),
            "POST",
            "/authorize",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("cookie", browser.cookie().unwrap().as_str()),
            ],
            filled(&page, "johndoe", "wrong"),
        )
        .await;
    response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
}

fn unescape_name(user: &str) -> String {
    user.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn hidden_csrf(page: &str) -> String {
    let start = page.find("name=\"csrf_token\" value=\"").unwrap() + 25;
    page[start..start + 43].to_owned()
}

async fn the_form_needs_the_token_this_browser_was_given_for_this_request(backend: Backend) {
    let app = app(backend).await;
    let mut browser = Browser::new(&app, "192.0.2.14");
    let page = browser.open(&query(&[])).await;
    let form = filled(&page, "johndoe", "secret");
    let refused = |response: &TestResponse| {
        assert_eq!(response.status, 400, "{}", response.text);
        assert!(response.text.contains("This sign-in form has expired"));
        assert!(response.header("location").is_none());
    };
    // No cookie (a form copied into another browser), or another browser's cookie.
    let mut stranger = Browser::new(&app, "192.0.2.14");
    refused(&stranger.post(&form).await);
    stranger.open(&query(&[])).await;
    refused(&stranger.post(&form).await);
    // The token of another request (its state changed after the page was shown).
    refused(
        &browser
            .post(&form.replace("state=st-1", "state=st-9"))
            .await,
    );
    refused(
        &browser
            .post(&form.replace("csrf_token=", "csrf_token=x"))
            .await,
    );
    // None of that counted as a sign-in attempt.
    let counters = SignInCounters::new(
        &LockoutPolicy::default(),
        Some((&username("johndoe"), 0)),
        &SourceAddress::parse("192.0.2.14").unwrap(),
        app.now(),
    );
    assert_eq!(
        app.attempts
            .read(&counters.source_and_account)
            .await
            .unwrap()
            .count,
        0
    );
    // The browser's own form still works.
    let response = browser.post(&form).await;
    redirected(&response, 303, SPA_CALLBACK);
}

async fn posts_from_another_site_are_refused_before_anything_is_counted(backend: Backend) {
    let app = app(backend).await;
    let mut browser = Browser::new(&app, "192.0.2.15");
    let page = browser.open(&query(&[])).await;
    let form = filled(&page, "johndoe", "wrong");
    let cookie = browser.cookie().unwrap();
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
    ] {
        let mut all = vec![
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie.as_str()),
        ];
        all.extend(headers.iter().copied());
        let response = app
            .request_from(
                source("192.0.2.15"),
                "POST",
                "/authorize",
                &all,
                form.clone(),
            )
            .await;
        assert_eq!(response.status, 400, "{headers:?}: {}", response.text);
        assert!(response.header("location").is_none());
    }
    let counters = SignInCounters::new(
        &LockoutPolicy::default(),
        Some((&username("johndoe"), 0)),
        &SourceAddress::parse("192.0.2.15").unwrap(),
        app.now(),
    );
    assert_eq!(
        app.attempts
            .read(&counters.source_and_account)
            .await
            .unwrap()
            .count,
        0
    );
}

async fn guesses_on_the_page_spend_the_budgets_of_token(backend: Backend) {
    let app = app(backend).await;
    let ip = "192.0.2.16";
    // Ten guesses at the same instant on the page: the account's budget for this address
    // (five) counts exactly five of them.
    let mut browser = Browser::new(&app, ip);
    let page = browser.open(&query(&[])).await;
    let form = filled(&page, "johndoe", "wrong");
    let answers = futures_util::future::join_all((0..10).map(|_| browser.send_form(&form))).await;
    for answer in &answers {
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(answer.text.contains(FAILED));
    }
    let counters = SignInCounters::new(
        &LockoutPolicy::default(),
        Some((&username("johndoe"), 0)),
        &SourceAddress::parse(ip).unwrap(),
        app.now(),
    );
    assert_eq!(
        app.attempts
            .read(&counters.source_and_account)
            .await
            .unwrap()
            .count,
        5
    );
    // ...and /token refuses the right password from there, as the page does.
    let response = app.token_from(ip, "username=johndoe&password=secret").await;
    response.assert_error(400, "Incorrect username or password", Some("invalid_grant"));
    let page = browser.sign_in(&query(&[]), "johndoe", "secret").await;
    assert_eq!(page.status, 400);
    // The other way round: five wrong passwords at /token lock the page for bob.
    for _ in 0..5 {
        app.token_from("192.0.2.17", "username=bob&password=wrong")
            .await;
    }
    let mut browser = Browser::new(&app, "192.0.2.17");
    let page = browser.sign_in(&query(&[]), "bob", "bobpassword").await;
    assert_eq!(page.status, 400, "{}", page.text);
    // An operator's unlock opens both again.
    app.change_account(
        "bob",
        &AccountChange {
            unlock: true,
            ..AccountChange::default()
        },
    )
    .await;
    let response = browser.sign_in(&query(&[]), "bob", "bobpassword").await;
    redirected(&response, 303, SPA_CALLBACK);
}

async fn an_untrusted_client_or_redirect_uri_gets_a_page_never_a_redirect(backend: Backend) {
    let app = app(backend).await;
    for changes in [
        &[("client_id", "nobody")][..],
        &[("client_id", "")],
        &[("client_id", "my-cli")],
        &[("redirect_uri", "https://evil.example/cb")],
        &[("redirect_uri", "http://127.0.0.1/callback/")],
        &[("redirect_uri", "http://127.0.0.1.evil.example/callback")],
        &[
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "token"),
        ],
    ] {
        let mut browser = Browser::new(&app, "192.0.2.18");
        let page = browser.open(&query(changes)).await;
        assert_eq!(page.status, 400, "{changes:?}: {}", page.text);
        assert!(page.header("location").is_none(), "{changes:?}");
        assert!(
            page.text.contains("This sign-in link is not valid"),
            "{changes:?}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
        // Not for a browser: the JSON error every endpoint gives.
        let response = app
            .request("GET", &format!("/authorize?{}", query(changes)), &[], "")
            .await;
        assert_eq!(response.status, 400);
        assert_eq!(response.json()["error"], "invalid_request", "{changes:?}");
    }
    // The form's post is held to the same rules.
    let mut browser = Browser::new(&app, "192.0.2.18");
    let page = browser.open(&query(&[])).await;
    let form = filled(&page, "johndoe", "secret").replace(
        "redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback",
        "redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
    );
    let response = browser.post(&form).await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.header("location").is_none());
}

async fn every_other_error_goes_back_to_the_app_with_state_and_iss(backend: Backend) {
    let app = app(backend).await;
    for (changes, error) in [
        (
            &[("response_type", "token")][..],
            "unsupported_response_type",
        ),
        (&[("response_type", "")], "invalid_request"),
        (&[("code_challenge", "")], "invalid_request"),
        (&[("code_challenge_method", "plain")], "invalid_request"),
        (&[("scope", "admin")], "invalid_scope"),
        (&[("prompt", "consent")], "invalid_request"),
    ] {
        let mut browser = Browser::new(&app, "192.0.2.19");
        let response = browser.open(&query(changes)).await;
        let answer = redirected(&response, 302, SPA_CALLBACK);
        assert_eq!(answer["error"], error, "{changes:?}");
        assert!(!answer["error_description"].is_empty());
        assert_eq!(answer["state"], "st-1");
        assert_eq!(answer["iss"], ISSUER);
        assert!(!answer.contains_key("code"));
    }
    // The same from the form's post (it carried a password): 303, never a 307 or 302 that
    // could post it on.
    let mut browser = Browser::new(&app, "192.0.2.19");
    let page = browser.open(&query(&[])).await;
    let form = filled(&page, "johndoe", "secret").replace("scope=me+items", "scope=admin");
    let answer = redirected(&browser.post(&form).await, 303, SPA_CALLBACK);
    assert_eq!(answer["error"], "invalid_scope");
    // A client that may not use the flow is told so at its own redirect URI.
    let mut no_flow = crate::support::client(
        "pw-only",
        token_service::domain::ClientType::Public,
        &[token_service::domain::GrantType::Password],
        "me",
    );
    no_flow.redirect_uris = vec![token_service::domain::RedirectUri::parse(SPA_CALLBACK).unwrap()];
    app.clients.insert(&no_flow).await.unwrap();
    let mut browser = Browser::new(&app, "192.0.2.19");
    let response = browser.open(&query(&[("client_id", "pw-only")])).await;
    assert_eq!(
        redirected(&response, 302, SPA_CALLBACK)["error"],
        "unauthorized_client"
    );
}

async fn hostile_requests_get_a_4xx_and_never_a_redirect_elsewhere(backend: Backend) {
    let app = app(backend).await;
    let long = "x".repeat(10_000);
    let huge_state = "s".repeat(2_000);
    let queries = [
        format!("{}&client_id=spa", query(&[])),
        format!("{}&redirect_uri=https%3A%2F%2Fevil.example", query(&[])),
        format!("{}&state=again", query(&[])),
        query(&[("state", &huge_state)]),
        query(&[("client_id", &long)]),
        "client_id=%FF%FE&response_type=code".to_owned(),
        "client_id=spa%00&redirect_uri=x".to_owned(),
        "%%%".to_owned(),
        "client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&scope=%0Ame".to_owned(),
        String::new(),
    ];
    for query in &queries {
        for accept in [BROWSER, "application/json"] {
            let response = app
                .request(
                    "GET",
                    &format!("/authorize?{query}"),
                    &[("accept", accept)],
                    "",
                )
                .await;
            assert!(
                (400..500).contains(&response.status) || response.status == 302,
                "{query}: {}",
                response.status
            );
            if let Some(location) = response.header("location") {
                assert!(
                    location.starts_with(&format!("{SPA_CALLBACK}?")),
                    "{location}"
                );
                assert!(location.contains("error="), "{location}");
            }
        }
    }
    // Bodies the form never sends.
    for (content_type, body) in [
        ("application/json", "{\"username\":\"johndoe\"}".to_owned()),
        (
            "application/x-www-form-urlencoded",
            format!("{}&password={long}", query(&[])),
        ),
        (
            "application/x-www-form-urlencoded",
            "username=a&username=b".to_owned(),
        ),
        ("application/x-www-form-urlencoded", "\u{0}\u{1}".to_owned()),
    ] {
        let response = app
            .request(
                "POST",
                "/authorize",
                &[("content-type", content_type), ("accept", BROWSER)],
                body,
            )
            .await;
        assert!(
            (400..500).contains(&response.status),
            "{content_type}: {}",
            response.status
        );
        assert!(response.header("location").is_none());
    }
}
