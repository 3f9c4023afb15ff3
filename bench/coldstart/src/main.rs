//! Cold-start probe. Runs each built function binary as Lambda would: a fresh process with
//! `AWS_LAMBDA_RUNTIME_API` pointed at a minimal Runtime API stub on 127.0.0.1, which hands
//! out one sample event. Over N fresh processes per binary it prints the median time from
//! spawn to the first `next` call (init) and to the posted response (first invocation), next
//! to a hello-world `lambda_http` binary built with the same profile, as ratios.
//!
//! The functions run as deployed (users in DynamoDB), except that DynamoDB is the same stub,
//! which answers `GetItem` with the demo user johndoe and `UpdateItem` with nothing. So a first
//! invocation includes the SDK's first request, and for `/token` one Argon2 verification. The
//! signing key is the public fixture key of `events/`: by default from `JWT_SECRET`, so init
//! makes no request; with `--secret-source secretsmanager`, as deployed, from `JWT_SECRET_ARN`
//! through Secrets Manager's `GetSecretValue`, which the stub also answers, so init includes
//! the SDK's first request.
//!
//! It is a benchmark: it prints figures and asserts only that every invocation answered, and
//! that every function process fetched the key from Secrets Manager if and only if told to.
//!
//!     scripts/coldstart.sh                  # build (release) and probe, 20 runs each
//!     coldstart --bin-dir DIR --runs N      # probe binaries built elsewhere
//!     coldstart --secret-source secretsmanager

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

/// The functions, each with the sample event its first invocation gets and the status the
/// response must carry.
const FUNCTIONS: [(&str, &str, u16); 4] = [
    ("token", "token-success.json", 200),
    ("users-me", "users-me-success.json", 200),
    ("users-me-items", "users-me-items-success.json", 200),
    ("status", "status-success.json", 200),
];

/// The secret the functions are told to fetch with `--secret-source secretsmanager`.
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt-AbCdEf";

/// Where the functions take the signing key from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SecretSource {
    /// `JWT_SECRET`: no request at init.
    Env,
    /// `JWT_SECRET_ARN`, fetched from the stub's Secrets Manager at init, as deployed.
    SecretsManager,
}

/// What the stub saw of the current run.
#[derive(Default)]
struct Run {
    event: Value,
    nexts: u32,
    first_next: Option<Instant>,
    response: Option<(Instant, Value)>,
    error: Option<String>,
    /// `GetSecretValue` calls for [`SECRET_ARN`].
    secret_fetches: u32,
}

#[derive(Clone)]
struct Stub {
    run: Arc<Mutex<Run>>,
    /// DynamoDB item of the demo user johndoe.
    johndoe: Arc<Value>,
    /// The fixture key, the value of the secret [`SECRET_ARN`].
    key: Arc<str>,
}

async fn next_invocation(State(stub): State<Stub>) -> Response {
    let event = {
        let mut run = stub.run.lock().unwrap();
        run.nexts += 1;
        if run.nexts > 1 {
            None
        } else {
            run.first_next = Some(Instant::now());
            Some(run.event.clone())
        }
    };
    let Some(event) = event else {
        // The process has answered its one event; it waits here until the probe ends it.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", "probe-request".to_owned()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:probe".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    (headers, event.to_string()).into_response()
}

async fn invocation_response(State(stub): State<Stub>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    stub.run.lock().unwrap().response = Some((Instant::now(), value));
    StatusCode::ACCEPTED
}

async fn error_report(State(stub): State<Stub>, body: Bytes) -> StatusCode {
    stub.run.lock().unwrap().error = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

/// The AWS JSON protocols of DynamoDB and Secrets Manager, as much of them as the functions use.
async fn aws_json(State(stub): State<Stub>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (content_type, body) = match target.split_once('.') {
        Some(("DynamoDB_20120810", "GetItem")) => (
            "application/x-amz-json-1.0",
            json!({ "Item": *stub.johndoe }),
        ),
        Some(("DynamoDB_20120810", "UpdateItem")) => ("application/x-amz-json-1.0", json!({})),
        Some(("secretsmanager", "GetSecretValue")) => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if request["SecretId"] != SECRET_ARN {
                let message = format!("stub: no secret {}", request["SecretId"]);
                return (StatusCode::BAD_REQUEST, message).into_response();
            }
            stub.run.lock().unwrap().secret_fetches += 1;
            let secret = json!({
                "ARN": SECRET_ARN,
                "Name": "jwt",
                "SecretString": *stub.key,
                "VersionId": "00000000-0000-0000-0000-000000000000",
            });
            ("application/x-amz-json-1.1", secret)
        }
        _ => return (StatusCode::BAD_REQUEST, format!("stub: no {target}")).into_response(),
    };
    (
        [
            ("content-type", content_type),
            ("x-amzn-requestid", "probe"),
        ],
        body.to_string(),
    )
        .into_response()
}

fn johndoe_item() -> Result<Value> {
    let password = token_service::passwords::Password::parse("secret")?;
    let hash = token_service::passwords::hash_password_blocking(&password)?;
    Ok(json!({
        "username": {"S": "johndoe"},
        "email": {"S": "johndoe@example.com"},
        "full_name": {"S": "John Doe"},
        "disabled": {"BOOL": false},
        "password_hash": {"S": hash},
        "allowed_scopes": {"S": "me items"},
        "items": {"L": [{"M": {"item_id": {"S": "Foo"}}}]},
        "failed_logins": {"N": "0"}
    }))
}

/// The public fixture key of `events/env.json`.
fn fixture_key(events: &Path) -> Result<String> {
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(events.join("env.json"))?)?;
    fixture["Parameters"]["JWT_SECRET"]
        .as_str()
        .map(str::to_owned)
        .context("events/env.json has the fixture key")
}

/// The environment of a deployed function, pointed at the stub.
fn function_env(api: &str, key: &str, source: SecretSource) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("AWS_LAMBDA_RUNTIME_API", api),
        ("AWS_LAMBDA_FUNCTION_NAME", "probe"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "probe"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "probe"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "probe"),
        ("AWS_SECRET_ACCESS_KEY", "probe"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("USER_STORE", "dynamodb"),
        ("USERS_TABLE", "users"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.insert("AWS_ENDPOINT_URL_DYNAMODB".into(), format!("http://{api}"));
    match source {
        SecretSource::Env => {
            env.insert("JWT_SECRET".into(), key.to_owned());
        }
        SecretSource::SecretsManager => {
            // As the template deploys it: the ARN, and `JWT_SECRET` declared empty.
            env.insert("JWT_SECRET_ARN".into(), SECRET_ARN.to_owned());
            env.insert("JWT_SECRET".into(), String::new());
            // The SDK's name for it: the service id "Secrets Manager", upper case, `_` for ` `.
            env.insert(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER".into(),
                format!("http://{api}"),
            );
        }
    }
    for name in ["PATH", "HOME"] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.into(), value);
        }
    }
    env
}

struct Sample {
    init: Duration,
    first_response: Duration,
    secret_fetches: u32,
}

/// One fresh process of `binary` answering `event`, having fetched the secret from the stub if
/// and only if `fetches_secret`.
async fn probe_once(
    stub: &Stub,
    binary: &Path,
    env: &HashMap<String, String>,
    event: &Value,
    status: u16,
    fetches_secret: bool,
) -> Result<Sample> {
    *stub.run.lock().unwrap() = Run {
        event: event.clone(),
        ..Run::default()
    };
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let waited = Instant::now();
    let outcome = loop {
        {
            let run = stub.run.lock().unwrap();
            if let Some(error) = &run.error {
                break Err(anyhow::anyhow!(
                    "{} reported an error: {error}",
                    binary.display()
                ));
            }
            if let (Some(first_next), Some((answered, response))) = (run.first_next, &run.response)
            {
                break Ok((first_next, *answered, response.clone(), run.secret_fetches));
            }
        }
        if let Ok(Some(exit)) = child.try_wait() {
            bail!("{} exited ({exit}) before answering", binary.display());
        }
        if waited.elapsed() > Duration::from_secs(30) {
            bail!("{} did not answer within 30 s", binary.display());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    child.kill().await.ok();
    let (first_next, answered, response, secret_fetches) = outcome?;
    if let Some(expected) = response.get("statusCode").and_then(Value::as_u64) {
        if expected != u64::from(status) {
            bail!("{} answered {response}", binary.display());
        }
    }
    if fetches_secret != (secret_fetches > 0) {
        bail!(
            "{} called GetSecretValue {secret_fetches} times",
            binary.display()
        );
    }
    Ok(Sample {
        init: first_next - started,
        first_response: answered - started,
        secret_fetches,
    })
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // By default, the binaries built beside this one (same profile, same target directory).
    let built_here = std::env::current_exe()?
        .parent()
        .context("the probe's own directory")?
        .to_path_buf();
    let bin_dir = arg(&args, "--bin-dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| built_here.clone());
    let hello = arg(&args, "--hello")
        .map(PathBuf::from)
        .unwrap_or_else(|| built_here.join("hello-lambda"));
    let runs: usize = arg(&args, "--runs").map_or(Ok(20), |n| n.parse())?;
    let source = match arg(&args, "--secret-source").as_deref() {
        None | Some("env") => SecretSource::Env,
        Some("secretsmanager") => SecretSource::SecretsManager,
        Some(other) => bail!("--secret-source is `env` or `secretsmanager`, not `{other}`"),
    };
    let events = root.join("events");
    let key = fixture_key(&events)?;

    let stub = Stub {
        run: Arc::default(),
        johndoe: Arc::new(tokio::task::spawn_blocking(johndoe_item).await??),
        key: key.as_str().into(),
    };
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(invocation_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(error_report),
        )
        .route("/2018-06-01/runtime/init/error", post(error_report))
        .route("/", post(aws_json))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?.to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let env = function_env(&api, &key, source);

    println!(
        "cold-start probe: {runs} fresh processes per binary, medians; signing key from {}; \
         binaries from {}",
        match source {
            SecretSource::Env => "JWT_SECRET",
            SecretSource::SecretsManager => "Secrets Manager (JWT_SECRET_ARN, stub)",
        },
        bin_dir.display()
    );
    let mut rows = Vec::new();
    let hello_event: Value = serde_json::from_str(&std::fs::read_to_string(
        events.join("status-success.json"),
    )?)?;
    // Hello world reads no configuration: it never fetches the secret.
    let mut targets = vec![(
        "hello-lambda".to_owned(),
        hello.clone(),
        hello_event,
        200,
        false,
    )];
    for (name, event, status) in FUNCTIONS {
        let event: Value = serde_json::from_str(&std::fs::read_to_string(events.join(event))?)?;
        targets.push((
            name.to_owned(),
            bin_dir.join(name),
            event,
            status,
            source == SecretSource::SecretsManager,
        ));
    }
    let mut fetches = Vec::new();
    for (name, binary, event, status, fetches_secret) in &targets {
        // One untimed run first, so every binary starts from a warm page cache.
        let warm = probe_once(&stub, binary, &env, event, *status, *fetches_secret).await?;
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            samples.push(probe_once(&stub, binary, &env, event, *status, *fetches_secret).await?);
        }
        let init = median(samples.iter().map(|s| s.init).collect());
        let first = median(samples.iter().map(|s| s.first_response).collect());
        let size = std::fs::metadata(binary)?.len();
        rows.push((name.clone(), init, first, size));
        let calls: u32 = samples.iter().map(|s| s.secret_fetches).sum();
        fetches.push(format!("{name} {}", calls + warm.secret_fetches));
    }
    let (hello_init, hello_first) = (rows[0].1, rows[0].2);
    println!(
        "{:<16} {:>10} {:>8} {:>14} {:>8} {:>10}",
        "binary", "init", "x hello", "first answer", "x hello", "size"
    );
    for (name, init, first, size) in &rows {
        println!(
            "{name:<16} {:>10.2?} {:>8.2} {:>14.2?} {:>8.2} {:>8.2} MB",
            init,
            init.as_secs_f64() / hello_init.as_secs_f64(),
            first,
            first.as_secs_f64() / hello_first.as_secs_f64(),
            *size as f64 / 1e6
        );
    }
    println!(
        "GetSecretValue calls answered by the stub, over {} processes per binary: {}",
        runs + 1,
        fetches.join(", ")
    );
    Ok(())
}
