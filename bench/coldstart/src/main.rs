//! Cold-start probe. Runs each built function binary as Lambda would: a fresh process with
//! `AWS_LAMBDA_RUNTIME_API` pointed at a minimal Runtime API stub on 127.0.0.1, which hands
//! out one sample event. Over N fresh processes per binary it prints the median time from
//! spawn to the first `next` call (init) and to the posted response (first invocation), next
//! to a hello-world `lambda_http` binary built with the same profile, as ratios.
//!
//! The functions run as deployed (`SERVICE_ENVIRONMENT=aws`: users and the key set in
//! DynamoDB, tokens signed by KMS, the issuer taken from API Gateway's request context),
//! except that DynamoDB and KMS are the same stub: it answers `GetItem` on the users table with
//! the demo user johndoe, `GetItem` on the keys table with a key set holding one KMS key,
//! `GetItem` on the clients table with the confidential demo client `demo-service`, the
//! tokens table's writes (attempt counters) with nothing, and KMS `Sign` with the probe's own
//! RSA key standing in for that KMS key. The protected events carry tokens the probe signs
//! with that key, and the introspection event (HTTP Basic as demo-service) asks about one. So
//! a first invocation includes the SDK's first requests (the key set, the user, for `/token` a
//! `Sign`, for `/introspect` the client and its attempt counters) and for `/token` and
//! `/introspect` one Argon2 verification (the password; the client secret).
//!
//! It is a benchmark: it prints figures and asserts only that every invocation answered as
//! expected (its status, and for `/introspect` an active token) and that no function made an
//! AWS request before it asked for its first event (nothing is fetched during init).
//!
//! Then it hands one more process of each binary its event `--invocations` times in a row
//! (100 by default), one at a time as Lambda does, and prints that process's peak resident
//! memory (`VmHWM`): what each function's `MemorySize` must hold.
//!
//!     scripts/coldstart.sh                  # build (release) and probe, 20 runs each
//!     coldstart --bin-dir DIR --runs N      # probe binaries built elsewhere
//!     coldstart --invocations N             # invocations of the memory probe

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use token_service::tokens::LocalRsaSigner;

mod probe;
mod stub;

use probe::{peak_memory, probe_once};
use stub::*;

/// The functions, each with the sample event its first invocation gets and the status the
/// response must carry.
const FUNCTIONS: [(&str, &str, u16); 11] = [
    ("token", "token-success.json", 200),
    ("users-me", "users-me-success.json", 200),
    ("users-me-items", "users-me-items-success.json", 200),
    ("status", "status-success.json", 200),
    ("revoke", "revoke-success.json", 200),
    ("introspect", "introspect-success.json", 200),
    ("jwks", "jwks-success.json", 200),
    (
        "openid-configuration",
        "openid-configuration-success.json",
        200,
    ),
    ("openapi", "openapi-success.json", 200),
    ("docs", "docs-page.json", 200),
    ("authorize", "authorize-page.json", 200),
];

/// What an answer's body must say besides its status, where the status alone would not show
/// that the whole path ran: an introspection that found the token inactive is a 200 too.
const MUST_SAY: [(&str, &str); 1] = [("introspect", r#""active":true"#)];

/// Points `event` at the probe's token `token` (the sample events' tokens are signed by a key
/// only local runs trust): its bearer token, and the `token` field of a form body
/// (introspection). Other credentials (the introspection event's HTTP Basic) stay.
fn with_probe_token(event: &mut Value, token: &str) {
    let bearer = event["headers"]["authorization"]
        .as_str()
        .is_some_and(|value| value.starts_with("Bearer "));
    if bearer {
        event["headers"]["authorization"] = format!("Bearer {token}").into();
    }
    let form = event["headers"]["content-type"] == "application/x-www-form-urlencoded"
        && event["isBase64Encoded"] != true;
    let Some(body) = event["body"].as_str().filter(|_| form) else {
        return;
    };
    let body = body
        .split('&')
        .map(|field| match field.split_once('=') {
            Some(("token", _)) => format!("token={token}"),
            _ => field.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    event["headers"]["content-length"] = body.len().to_string().into();
    event["body"] = body.into();
}

/// An access token for johndoe with every scope, as the token function would sign it for a
/// request to the events' API domain.
async fn probe_token(signer: Arc<LocalRsaSigner>, events: &Value) -> Result<String> {
    let domain = events["requestContext"]["domainName"]
        .as_str()
        .context("events name their API domain")?;
    let settings = token_service::tokens::TokenSettings {
        issuer: token_service::tokens::IssuerUrl::FromApiDomain,
        audience: token_service::config::DEFAULT_AUDIENCE.to_owned(),
        // The deployed default lifetime: deployed verifiers refuse longer ones.
        ttl: Duration::from_secs(1800),
        max_lifetime: Some(Duration::from_secs(1800)),
    };
    let issuer = token_service::tokens::TokenIssuer::new(&settings, signer);
    let now = token_service::clock::Clock::now(&token_service::clock::SystemClock);
    let token = issuer
        .issue(
            &format!("https://{domain}"),
            &token_service::domain::Username::parse("johndoe")?,
            &token_service::domain::ScopeSet::parse("me items")?,
            None,
            now,
        )
        .await?;
    Ok(token.access_token)
}

/// The environment of a deployed function (as the template sets it), pointed at the stub.
fn function_env(api: &str) -> HashMap<String, String> {
    let stub = format!("http://{api}");
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
        ("SERVICE_ENVIRONMENT", "aws"),
        ("USER_STORE", "dynamodb"),
        ("USERS_TABLE", USERS_TABLE),
        ("KEYS_TABLE", KEYS_TABLE),
        ("TOKENS_TABLE", TOKENS_TABLE),
        ("CLIENTS_TABLE", CLIENTS_TABLE),
        ("JWT_ISSUER", ""),
        ("TOKEN_SIGNER", ""),
        ("TRUSTED_KEYS", ""),
        ("AWS_ENDPOINT_URL_DYNAMODB", &stub),
        ("AWS_ENDPOINT_URL_KMS", &stub),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for name in ["PATH", "HOME"] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.into(), value);
        }
    }
    env
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
    let invocations: u32 = arg(&args, "--invocations").map_or(Ok(100), |n| n.parse())?;
    let events = root.join("events");
    let read_event = |name: &str| -> Result<Value> {
        Ok(serde_json::from_str(&std::fs::read_to_string(
            events.join(name),
        )?)?)
    };

    let signer = Arc::new(tokio::task::spawn_blocking(LocalRsaSigner::generate).await??);
    let stub = Stub {
        run: Arc::default(),
        johndoe: Arc::new(tokio::task::spawn_blocking(johndoe_item).await??),
        demo_clients: Arc::new(tokio::task::spawn_blocking(demo_client_items).await??),
        key_set: Arc::new(key_set_item(&signer)),
        signer: signer.clone(),
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
    let env = function_env(&api);

    println!(
        "cold-start probe: {runs} rounds of one fresh process per binary, medians; deployed configuration \
         (KMS signing, users and keys in DynamoDB: a stub); binaries from {}",
        bin_dir.display()
    );
    let status_event = read_event("status-success.json")?;
    let token = probe_token(signer, &status_event).await?;
    // The ratios are to the first; the second is the same hello world on the functions'
    // current-thread runtime.
    let mut targets = vec![
        (
            "hello-lambda".to_owned(),
            hello.clone(),
            status_event.clone(),
            200,
            None,
        ),
        (
            "hello-current-thread".to_owned(),
            built_here.join("hello-lambda-current-thread"),
            status_event,
            200,
            None,
        ),
    ];
    for (name, event, status) in FUNCTIONS {
        let mut event = read_event(event)?;
        with_probe_token(&mut event, &token);
        let must_say = MUST_SAY
            .iter()
            .find(|(function, _)| *function == name)
            .map(|(_, text)| *text);
        targets.push((name.to_owned(), bin_dir.join(name), event, status, must_say));
    }
    // One untimed run of each first, so every binary starts from a warm page cache; then
    // rounds of one run of each, so a burst of load on a noisy machine hits every binary
    // alike instead of the few that happened to run during it.
    for (_, binary, event, status, must_say) in &targets {
        probe_once(&stub, binary, &env, event, *status, *must_say).await?;
    }
    let mut samples: Vec<Vec<_>> = targets.iter().map(|_| Vec::with_capacity(runs)).collect();
    for _ in 0..runs {
        for ((_, binary, event, status, must_say), samples) in targets.iter().zip(&mut samples) {
            samples.push(probe_once(&stub, binary, &env, event, *status, *must_say).await?);
        }
    }
    let mut rows = Vec::new();
    let mut requests = Vec::new();
    for ((name, binary, event, status, _), samples) in targets.iter().zip(&samples) {
        let init = median(samples.iter().map(|s| s.init).collect());
        let first = median(samples.iter().map(|s| s.first_response).collect());
        let size = std::fs::metadata(binary)?.len();
        let peak = peak_memory(&stub, binary, &env, event, *status, invocations).await?;
        rows.push((name.clone(), init, first, size, peak));
        requests.push(format!("{name} {}", samples[0].aws_requests));
    }
    let (hello_init, hello_first) = (rows[0].1, rows[0].2);
    println!(
        "{:<20} {:>10} {:>8} {:>14} {:>8} {:>10} {:>16}",
        "binary",
        "init",
        "x hello",
        "first answer",
        "x hello",
        "size",
        format!("peak RSS ({invocations})")
    );
    for (name, init, first, size, peak) in &rows {
        println!(
            "{name:<20} {:>10.2?} {:>8.2} {:>14.2?} {:>8.2} {:>8.2} MB {:>12.1} MiB",
            init,
            init.as_secs_f64() / hello_init.as_secs_f64(),
            first,
            first.as_secs_f64() / hello_first.as_secs_f64(),
            *size as f64 / 1e6,
            *peak as f64 / 1024.0
        );
    }
    println!(
        "AWS requests per first invocation (none during init): {}",
        requests.join(", ")
    );
    Ok(())
}
