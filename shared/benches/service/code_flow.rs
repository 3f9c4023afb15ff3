//! The authorization code flow's steps, over local HTTP on the in-memory stores: the sign-in
//! page, a sign-in on its form (one Argon2 verification, a code and a browser session
//! stored), a signed-in browser's return (its Continue page and press, no Argon2), and the
//! code's exchange at /token.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use token_service::domain::{ClientType, CodeChallenge, GrantType, RedirectUri};

use super::support::{self, TestApp};
use super::Stats;

const CALLBACK: &str = "http://127.0.0.1/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn query() -> String {
    let challenge = CodeChallenge::of(VERIFIER);
    form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", "bench-spa")
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", "me items")
        .append_pair("state", "bench")
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .finish()
}

/// The page's form, filled in as johndoe, and the cookie that came with it.
fn form_of(page: &support::TestResponse) -> (String, String) {
    let pattern =
        regex_lite::Regex::new(r#"<input type="hidden" name="([a-z_]+)" value="([^"]*)">"#)
            .unwrap();
    let fields: BTreeMap<String, String> = pattern
        .captures_iter(&page.text)
        .map(|c| (c[1].to_owned(), c[2].replace("&amp;", "&")))
        .collect();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &fields {
        form.append_pair(name, value);
    }
    form.append_pair("username", "johndoe");
    form.append_pair("password", "secret");
    let cookie = page
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    (form.finish(), cookie.to_owned())
}

/// The `code` of a redirect, and the browser session cookie it set (if any).
fn code_of(response: &support::TestResponse) -> (String, Option<String>) {
    let location = response.header("location").expect("a redirect");
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let session = response
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("sign-in-session="));
    (code.to_owned(), session)
}

pub async fn code_flow(app: &TestApp) {
    let mut client = support::client(
        "bench-spa",
        ClientType::Public,
        &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        "me items",
    );
    client.redirect_uris = vec![RedirectUri::parse(CALLBACK).unwrap()];
    app.clients.insert(&client).await.unwrap();
    let path = format!("/authorize?{}", query());
    let html = [("accept", "text/html")];
    let runs = 30;
    let (mut page, mut sign_in, mut again, mut exchange) = (vec![], vec![], vec![], vec![]);
    for _ in 0..=runs {
        let timed = Instant::now();
        let shown = app.request("GET", &path, &html, "").await;
        page.push(timed.elapsed());
        assert_eq!(shown.status, 200, "{}", shown.text);
        let (form, csrf) = form_of(&shown);
        let headers = [
            ("accept", "text/html"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", csrf.as_str()),
        ];
        let timed = Instant::now();
        let signed_in = app.request("POST", "/authorize", &headers, form).await;
        sign_in.push(timed.elapsed());
        assert_eq!(signed_in.status, 303, "{}", signed_in.text);
        let (code, session) = code_of(&signed_in);
        let session = session.expect("a browser session");
        // The same browser again: the Continue page (a public client), then its press.
        let browser = format!("{csrf}; {session}");
        let timed = Instant::now();
        let back = app
            .request("GET", &path, &[("cookie", browser.as_str())], "")
            .await;
        assert_eq!(back.status, 200, "{}", back.text);
        let (form, _) = form_of(&back);
        let pressed = form.split("&username").next().unwrap().to_owned();
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", browser.as_str()),
        ];
        let continued = app.request("POST", "/authorize", &headers, pressed).await;
        again.push(timed.elapsed());
        assert_eq!(continued.status, 303, "{}", continued.text);
        let form = format!(
            "grant_type=authorization_code&client_id=bench-spa&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&code_verifier={VERIFIER}"
        );
        let timed = Instant::now();
        let token = app.token(&form).await;
        exchange.push(timed.elapsed());
        assert_eq!(token.status, 200, "{}", token.text);
    }
    // The first round warmed up.
    let stats = |samples: Vec<Duration>| Stats {
        samples: samples[1..].to_vec(),
    };
    stats(page).print("GET /authorize, the sign-in page");
    stats(sign_in).print("POST /authorize, sign-in on the page (Argon2)");
    stats(again).print("GET + POST /authorize, signed-in browser's Continue (no Argon2)");
    stats(exchange).print("POST /token authorization_code (PKCE)");
}
