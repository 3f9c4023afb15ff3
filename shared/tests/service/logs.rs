//! What the service logs, captured in the JSON format the functions write in Lambda
//! (`LogFormat: JSON`): every sign-in outcome, a refresh-token replay and a store outage are
//! structured events the template's metric filters match; no password, hash, token or
//! unknown username is ever written; client text cannot forge a line; and every line of a
//! request carries API Gateway's request id.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use token_service::http;
use tower::ServiceExt as _;

use crate::support::{self, Backend, TestApp, SERVICE_SECRET};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

tokio::task_local! {
    /// Where the lines of the task being captured go; other tests' lines go nowhere.
    static CAPTURE: Captured;
}

/// Writes to the capture of the task logging, if it has one.
struct TaskWriter;

impl Write for TaskWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = CAPTURE.try_with(|c| c.0.lock().unwrap().extend_from_slice(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One process-wide subscriber, as in Lambda: the one lambda_http installs when
/// `AWS_LAMBDA_LOG_FORMAT` is JSON. (Scoped subscribers would race with the callsite
/// interest cache of tests running beside these.)
fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        tracing_subscriber::fmt()
            .with_target(false)
            .without_time()
            .with_max_level(tracing::Level::INFO)
            .json()
            .with_writer(|| TaskWriter)
            .init();
    });
}

impl Captured {
    /// Runs `future` with its log lines captured here.
    async fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        install();
        CAPTURE.scope(self.clone(), future).await
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
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
