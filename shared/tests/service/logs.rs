//! What the service logs, captured in the JSON format the functions write in Lambda
//! (`LogFormat: JSON`) and in the text format of local runs: every sign-in outcome, a
//! refresh-token replay and a store outage are structured events the template's metric
//! filters match; no password, hash, token or unknown username is ever written; client text
//! cannot forge a line in either format; and every line of a request carries API Gateway's
//! request id.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use token_service::{http, logging};
use tower::ServiceExt as _;

use crate::support::{self, Backend, TestApp, SERVICE_SECRET};

/// Log output collected in memory, in both formats.
#[derive(Clone, Default)]
struct Captured {
    json: Arc<Mutex<Vec<u8>>>,
    text: Arc<Mutex<Vec<u8>>>,
}

tokio::task_local! {
    /// Where the lines of the task being captured go; other tests' lines go nowhere.
    static CAPTURE: Captured;
}

/// Writes to the capture of the task logging, if it has one: its JSON or its text lines.
struct TaskWriter {
    json: bool,
}

impl Write for TaskWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = CAPTURE.try_with(|c| {
            let buffer = if self.json { &c.json } else { &c.text };
            buffer.lock().unwrap().extend_from_slice(bytes)
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber with the service's two formats side by side: the JSON lines
/// of Lambda and the text lines of local runs, as `token_service::logging` builds them.
/// (Scoped subscribers would race with the callsite interest cache of tests running beside
/// these.)
fn install() {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing_subscriber::registry()
            .with(tracing_subscriber::filter::LevelFilter::INFO)
            .with(logging::json_layer(|| TaskWriter { json: true }))
            .with(logging::text_layer(|| TaskWriter { json: false }))
            .init();
    });
}

impl Captured {
    /// Runs `future` with its log lines captured here.
    async fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        install();
        CAPTURE.scope(self.clone(), future).await
    }

    /// The JSON lines as written.
    fn text(&self) -> String {
        String::from_utf8(self.json.lock().unwrap().clone()).unwrap()
    }

    /// The text-format lines as written.
    fn text_lines(&self) -> Vec<String> {
        let text = String::from_utf8(self.text.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// Every line, each of which must be one JSON object.
    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not one JSON line ({e}): {line}"))
            })
            .collect()
    }
}

fn event_names(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| line["fields"]["event"].as_str().map(str::to_owned))
        .collect()
}

/// The event names the template's metric filters match on.
fn metric_filter_events() -> Vec<String> {
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
    )
    .unwrap();
    let events: Vec<String> = template
        .lines()
        .filter_map(|line| {
            line.trim()
                .strip_prefix("FilterPattern: '{ $.fields.event = \"")
        })
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect();
    assert!(events.len() >= 3, "{events:?}");
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_structured_alertable_and_hold_no_secret() {
    let app = TestApp::start(Backend::Memory).await;
    let captured = Captured::default();
    const WRONG: &str = "Correct-Horse-Battery-9";
    const TYPED_AS_NAME: &str = "Tr0ub4dor-and-3";

    let (access, refresh, machine) = captured
        .run(async {
            let pair = app.sign_in_pair("johndoe", "secret", "me").await;
            app.token_from("192.0.2.1", &format!("username=johndoe&password={WRONG}"))
                .await;
            app.token_from(
                "192.0.2.1",
                &format!("username={TYPED_AS_NAME}&password={WRONG}"),
            )
            .await;
            app.token_from("192.0.2.1", "username=alice&password=secretalice")
                .await;
            for _ in 0..6 {
                app.token_from("192.0.2.2", &format!("username=bob&password={WRONG}"))
                    .await;
            }
            // A scope carrying a forged log line.
            app.token(
                "username=johndoe&password=secret&scope=me%0A%7B%22level%22%3A%22ERROR%22%7D",
            )
            .await;
            // A refresh token spent, then replayed after the grace window.
            let refreshed = app.refresh(&pair.1, "").await;
            assert_eq!(refreshed.status, 200);
            app.clock.advance(60);
            assert_eq!(app.refresh(&pair.1, "").await.status, 400);
            app.get("/users/me/", Some(&pair.0)).await;
            // Clients: a machine token by Basic, a wrong secret by the form, an
            // introspection.
            let machine = app.client_token("service", SERVICE_SECRET, "items").await;
            app.token(&format!(
                "grant_type=client_credentials&client_id=service&client_secret={WRONG}"
            ))
            .await;
            app.introspect(
                &[("authorization", &support::basic("service", SERVICE_SECRET))],
                &format!("token={machine}"),
            )
            .await;
            (pair.0, pair.1, machine)
        })
        .await;

    // A store that cannot be reached: a 503, logged as such.
    let down = support::app_with_users_at(&support::refusing()).await;
    let response = captured
        .run(down.token("username=johndoe&password=secret"))
        .await;
    assert_eq!(response.status, 503);

    let lines = captured.lines();
    let events = event_names(&lines);
    for wanted in metric_filter_events() {
        assert!(
            events.contains(&wanted),
            "no `{wanted}` event in {events:?}"
        );
    }
    // Six refusals at bob from one address: the sixth met a spent budget.
    let locked_out = lines
        .iter()
        .filter(|l| l["fields"]["event"] == "sign_in_refused" && l["fields"]["locked_out"] == true)
        .count();
    assert_eq!(locked_out, 1);
    assert!(
        lines
            .iter()
            .all(|l| l["level"] != "ERROR" || l["fields"]["event"] == "service_unavailable"),
        "a client forged a line or an error was logged"
    );

    let text = captured.text();
    let stored_hash = app
        .store
        .get(&support::username("johndoe"))
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    for secret in [
        WRONG,
        "secretalice",
        "password=secret",
        TYPED_AS_NAME,
        &stored_hash,
        "$argon2id$",
        access.as_str(),
        refresh.as_str(),
        machine.as_str(),
        SERVICE_SECRET,
    ] {
        assert!(!text.contains(secret), "the log holds `{secret}`:\n{text}");
    }
    // No token's signature part either (a token cut in pieces is still a token).
    for token in [&access, &refresh, &machine] {
        let tail = &token[token.len() - 20..];
        assert!(!text.contains(tail), "the log holds part of a token");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_of_a_request_carries_the_api_gateway_request_id() {
    let app = TestApp::start(Backend::Memory).await;
    let captured = Captured::default();
    let event = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../events/token-wrong-password.json"),
    )
    .unwrap();
    let request = lambda_http::request::from_str(&event).unwrap();
    let response = captured
        .run(http::router_of_all(app.state.clone()).oneshot(request))
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let lines = captured.lines();
    assert!(!lines.is_empty());
    for line in &lines {
        assert_eq!(
            line["span"]["request_id"], "sample-request-id",
            "a line without the request id: {line}"
        );
    }
    assert!(event_names(&lines).contains(&"sign_in_refused".to_owned()));
}

/// CR, LF, ESC (with a colour sequence) and NUL, form-encoded.
const NASTY: &str = "x%0D%0A%20INFO%20forged%20line%1B%5B31m%00";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_text_cannot_forge_or_garble_a_line_in_either_format() {
    let app = TestApp::start(Backend::Memory).await;
    let refresh = app.sign_in_pair("johndoe", "secret", "me").await.1;
    let token_fields = [
        "grant_type",
        "username",
        "password",
        "scope",
        "client_id",
        "client_secret",
        "refresh_token",
    ];
    let mut requests: Vec<(&str, String)> = Vec::new();
    for field in token_fields {
        let mut form = vec![
            ("grant_type", "password".to_owned()),
            ("username", "johndoe".to_owned()),
            ("password", "secret".to_owned()),
        ];
        if field == "refresh_token" {
            form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh.clone()),
            ];
        }
        form.retain(|(name, _)| *name != field);
        form.push((field, NASTY.to_owned()));
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={v}")).collect();
        requests.push(("/token", body.join("&")));
    }
    for path in ["/revoke", "/introspect"] {
        for field in ["token", "token_type_hint", "client_id", "client_secret"] {
            let mut body = format!("{field}={NASTY}");
            if field != "token" {
                body.push_str("&token=abc");
            }
            requests.push((path, body));
        }
    }
    let mut checked = 0;
    let mut escaped_seen = false;
    for (path, body) in requests {
        let captured = Captured::default();
        let response = captured
            .run(app.request(
                "POST",
                path,
                &[("content-type", "application/x-www-form-urlencoded")],
                body.clone(),
            ))
            .await;
        assert!(response.status < 500, "{path} {body}: {}", response.text);
        let json = captured.lines();
        let text = captured.text_lines();
        // Every refusal at /token is logged (an accepted revocation of garbage need not be).
        assert!(
            path != "/token" || !json.is_empty(),
            "{path} {body}: nothing logged"
        );
        checked += json.len();
        // The same events in both formats, one line each: nothing forged a line.
        assert_eq!(text.len(), json.len(), "{path} {body}:\n{text:#?}");
        escaped_seen |= text.iter().any(|line| line.contains("x\\r\\n INFO forged"));
        for line in &text {
            assert!(
                [" INFO ", " WARN ", "ERROR "]
                    .iter()
                    .any(|level| line.starts_with(level)),
                "{path} {body}: a line that is no event: {line:?}"
            );
            assert!(
                !line.chars().any(char::is_control),
                "{path} {body}: a raw control character: {line:?}"
            );
        }
    }
    assert!(checked >= 10, "only {checked} lines checked");
    // The client's text is still there, escaped, not dropped.
    assert!(escaped_seen, "no escaped client text in any line");
}
