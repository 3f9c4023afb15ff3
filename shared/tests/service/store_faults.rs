//! A store that fails answers 503 with `Retry-After` and the JSON error body, within the
//! bounded timeouts (2.8 s per store call), never a wrong answer about credentials and never
//! a hang: DynamoDB unreachable (connection refused) and DynamoDB hanging (accepts, never
//! answers), and the DynamoDB server going away mid-test behind a proxy and coming back.

use std::sync::Arc;

use futures_util::FutureExt as _;
use std::time::{Duration, Instant};

use token_service::attempts::DynamoAttemptStore;
use token_service::sessions::DynamoSessionStore;
use token_service::store::{dynamodb_client_for_endpoint, DynamoUserStore, UserStore as _};

use crate::support::{app_with_users_at, refusing, Backend, TestApp};

/// An address that accepts connections and never answers.
async fn hanging() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

async fn assert_unavailable_quickly(app: &TestApp, what: &str) {
    let token = app.mint("johndoe", "me").await;
    let started = Instant::now();
    let me = app.get("/users/me/", Some(&token)).await;
    let read_took = started.elapsed();
    let started = Instant::now();
    let sign_in = app.token("username=johndoe&password=secret").await;
    let sign_in_took = started.elapsed();
    for (name, response, took) in [
        ("GET /users/me/", &me, read_took),
        ("POST /token", &sign_in, sign_in_took),
    ] {
        response.assert_error(
            503,
            "Service temporarily unavailable",
            Some("temporarily_unavailable"),
        );
        assert_eq!(response.header("retry-after"), Some("1"), "{what}: {name}");
        println!("{what}: {name} answered 503 after {took:.2?}");
        // The store calls are bounded at 2.8 s; the rest is scheduling.
        assert!(
            took < Duration::from_millis(3500),
            "{what}: {name} took {took:?}"
        );
    }
    // Nothing was decided about the credentials: no password was even checked.
    assert_eq!(app.state.passwords.verifications(), 0, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_a_quick_503() {
    let app = app_with_users_at(&refusing()).await;
    assert_unavailable_quickly(&app, "connection refused").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_store_is_a_bounded_503() {
    let app = app_with_users_at(&hanging().await).await;
    assert_unavailable_quickly(&app, "store hangs").await;
}

/// The account a password grant names is read while the client is authenticated; a refused
/// client's answer wins over that read's failure, as it did when the read came after, and an
/// accepted client gets the 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_is_told_so_while_the_users_table_is_down() {
    let app = app_with_users_at(&refusing()).await;
    let sign_in = "username=johndoe&password=secret";
    let response = app.token(&format!("{sign_in}&client_id=nobody")).await;
    response.assert_invalid_client(false);
    let response = app
        .token(&format!("{sign_in}&client_id=service&client_secret=wrong"))
        .await;
    response.assert_invalid_client(false);
    let response = app.token(&format!("{sign_in}&client_id=my-cli")).await;
    response.assert_error(
        503,
        "Service temporarily unavailable",
        Some("temporarily_unavailable"),
    );
    // The wrong client secret's; no password was checked.
    assert_eq!(app.state.passwords.verifications(), 1);
}

/// What the fault proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    /// Closes new connections at once and cuts the open ones: the server is gone.
    Refuse,
    /// Answers every request as DynamoDB does when it throttles (`ThrottlingException`).
    Throttle,
}

/// DynamoDB's throttling answer (the SDK retries it, then gives up).
const THROTTLED: &str = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\",\"message\":\"Rate of requests exceeds the allowed throughput.\"}";

async fn answer_throttled(mut client: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut request = vec![0u8; 64 * 1024];
    let _ = client.read(&mut request).await;
    let response = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{THROTTLED}",
        THROTTLED.len()
    );
    let _ = client.write_all(response.as_bytes()).await;
}

/// A TCP proxy in front of the DynamoDB server that can be switched off and on mid-test.
struct FaultProxy {
    address: std::net::SocketAddr,
    mode: tokio::sync::watch::Sender<Mode>,
}

impl FaultProxy {
    async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (mode, watching) = tokio::sync::watch::channel(Mode::Forward);
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut mode = watching.clone();
                let now = *mode.borrow();
                match now {
                    Mode::Refuse => continue,
                    Mode::Throttle => {
                        tokio::spawn(answer_throttled(client));
                        continue;
                    }
                    Mode::Forward => {}
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = mode.wait_for(|m| *m != Mode::Forward) => {}
                    }
                });
            }
        });
        FaultProxy { address, mode }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

async fn aws() -> aws_config::SdkConfig {
    aws_config::load_from_env().await
}

/// The app over DynamoDB: users at `users_endpoint`, sessions and counters at
/// `tokens_endpoint` (tables created on the real server first).
async fn app_over(users_endpoint: &str, tokens_endpoint: &str) -> TestApp {
    let aws = aws().await;
    let direct = token_service::store::dynamodb_client(&aws);
    let id = uuid::Uuid::new_v4();
    let (users, tokens) = (format!("users-fault-{id}"), format!("tokens-fault-{id}"));
    let setup = DynamoUserStore::new(direct.clone(), &users);
    setup.create_table().await.unwrap();
    for user in crate::support::test_users() {
        setup.insert(&user).await.unwrap();
    }
    DynamoSessionStore::new(direct, &tokens)
        .create_table()
        .await
        .unwrap();
    let users_client = dynamodb_client_for_endpoint(&aws, users_endpoint);
    let tokens_client = dynamodb_client_for_endpoint(&aws, tokens_endpoint);
    TestApp::start_with_attempts(
        Arc::new(DynamoUserStore::new(users_client, users)),
        Arc::new(DynamoAttemptStore::new(tokens_client, tokens)),
        Backend::Memory,
    )
    .await
}

fn moto() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("DynamoDB tests need a DynamoDB-compatible server: run scripts/test.sh")
}

/// The store goes away mid-test and comes back: answers are 503 while it is gone, no
/// password is checked, and the service recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn a_store_that_goes_away_is_a_503_and_recovery_needs_nothing() {
    let proxy = FaultProxy::start(moto()).await;
    let app = app_over(&proxy.endpoint(), &proxy.endpoint()).await;
    app.sign_in("johndoe", "secret", "me").await;
    let checked = app.state.passwords.checks_of_stored_hashes();

    proxy.set(Mode::Refuse);
    let started = Instant::now();
    let response = app.token("username=johndoe&password=secret").await;
    let took = started.elapsed();
    response.assert_error(
        503,
        "Service temporarily unavailable",
        Some("temporarily_unavailable"),
    );
    assert_eq!(response.header("retry-after"), Some("1"));
    assert!(took < Duration::from_millis(3500), "took {took:?}");
    println!("store gone mid-test: POST /token answered 503 after {took:.2?}");
    assert_eq!(app.state.passwords.checks_of_stored_hashes(), checked);

    proxy.set(Mode::Forward);
    app.sign_in("johndoe", "secret", "me").await;
}

/// Attempts that cannot be counted are not checked (fail closed): the users table answers,
/// the counters do not, and the right password gets a 503, never a token or a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn a_sign_in_that_cannot_be_counted_is_not_checked() {
    let proxy = FaultProxy::start(moto()).await;
    let app = app_over(&moto(), &proxy.endpoint()).await;
    proxy.set(Mode::Refuse);
    let response = app.token("username=johndoe&password=secret").await;
    response.assert_error(
        503,
        "Service temporarily unavailable",
        Some("temporarily_unavailable"),
    );
    assert_eq!(app.state.passwords.verifications(), 0);
    proxy.set(Mode::Forward);
    app.sign_in("johndoe", "secret", "me").await;
}

/// DynamoDB throttling every request: after the SDK's one retry, a 503 within the bound, no
/// password checked; when the throttling stops, sign-ins work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn a_throttling_store_is_a_bounded_503() {
    let proxy = FaultProxy::start(moto()).await;
    let app = app_over(&proxy.endpoint(), &proxy.endpoint()).await;
    app.sign_in("johndoe", "secret", "me").await;
    let checked = app.state.passwords.checks_of_stored_hashes();
    proxy.set(Mode::Throttle);
    let token = app.mint("johndoe", "me").await;
    for (name, request) in [
        (
            "POST /token",
            app.token("username=johndoe&password=secret").boxed(),
        ),
        (
            "GET /users/me/",
            app.get("/users/me/", Some(&token)).boxed(),
        ),
    ] {
        let started = Instant::now();
        let response = request.await;
        let took = started.elapsed();
        response.assert_error(
            503,
            "Service temporarily unavailable",
            Some("temporarily_unavailable"),
        );
        assert_eq!(response.header("retry-after"), Some("1"), "{name}");
        assert!(took < Duration::from_millis(3500), "{name} took {took:?}");
        println!("store throttling: {name} answered 503 after {took:.2?}");
    }
    assert_eq!(app.state.passwords.checks_of_stored_hashes(), checked);
    proxy.set(Mode::Forward);
    app.sign_in("johndoe", "secret", "me").await;
}
