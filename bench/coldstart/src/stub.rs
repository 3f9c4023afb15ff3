//! The probe's stand-ins: a Lambda Runtime API that hands out one event, and DynamoDB and KMS
//! answering what the functions ask of them: the users, keys and clients tables' items, the
//! tokens table's writes (attempt counters; no sessions), and KMS `Sign`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use token_service::keys::{KeyLocation, KeyRecord};
use token_service::tokens::{LocalRsaSigner, Signer as _};

/// The KMS key the stub's key set names; the probe's own RSA key signs for it.
pub(crate) const KEY_ARN: &str =
    "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";
pub(crate) const USERS_TABLE: &str = "users";
pub(crate) const KEYS_TABLE: &str = "keys";
pub(crate) const TOKENS_TABLE: &str = "tokens";
pub(crate) const CLIENTS_TABLE: &str = "clients";
/// The registered clients the stub's clients table holds: the demo clients.
pub(crate) const DEMO_CLIENTS: [&str; 2] = ["demo-service", "demo-app"];

/// What the stub saw of the current run.
#[derive(Default)]
pub(crate) struct Run {
    pub(crate) event: Value,
    /// How many times `event` is handed out (0 counts as once); then `next` waits forever.
    pub(crate) invocations: u32,
    pub(crate) nexts: u32,
    /// Responses posted, and the last one.
    pub(crate) answers: u32,
    pub(crate) last_response: Option<Value>,
    pub(crate) first_next: Option<Instant>,
    pub(crate) response: Option<(Instant, Value)>,
    pub(crate) error: Option<String>,
    /// AWS requests answered, and how many came before the first `next` (during init).
    pub(crate) aws_requests: u32,
    pub(crate) aws_requests_during_init: u32,
}

#[derive(Clone)]
pub(crate) struct Stub {
    pub(crate) run: Arc<Mutex<Run>>,
    /// DynamoDB item of the demo user johndoe.
    pub(crate) johndoe: Arc<Value>,
    /// DynamoDB items of the demo clients (`demo-service` with its demo secret, and the
    /// code flow's `demo-app`), by id.
    pub(crate) demo_clients: Arc<std::collections::HashMap<String, Value>>,
    /// DynamoDB item of the key set: one KMS key, the probe's.
    pub(crate) key_set: Arc<Value>,
    /// Signs for [`KEY_ARN`].
    pub(crate) signer: Arc<LocalRsaSigner>,
}

pub(crate) async fn next_invocation(State(stub): State<Stub>) -> Response {
    let event = {
        let mut run = stub.run.lock().unwrap();
        run.nexts += 1;
        if run.nexts > run.invocations.max(1) {
            None
        } else {
            run.first_next.get_or_insert_with(Instant::now);
            Some(run.event.clone())
        }
    };
    let Some(event) = event else {
        // The process has answered its events; it waits here until the probe ends it.
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

pub(crate) async fn invocation_response(State(stub): State<Stub>, body: Bytes) -> StatusCode {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut run = stub.run.lock().unwrap();
    run.answers += 1;
    run.last_response = Some(value.clone());
    run.response.get_or_insert((Instant::now(), value));
    StatusCode::ACCEPTED
}

pub(crate) async fn error_report(State(stub): State<Stub>, body: Bytes) -> StatusCode {
    stub.run.lock().unwrap().error = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

/// The AWS JSON protocols of DynamoDB and KMS, as much of them as the functions use.
pub(crate) async fn aws_json(
    State(stub): State<Stub>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    {
        let mut run = stub.run.lock().unwrap();
        run.aws_requests += 1;
        if run.first_next.is_none() {
            run.aws_requests_during_init += 1;
        }
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (content_type, body) = match target.split_once('.') {
        Some(("DynamoDB_20120810", "GetItem")) => {
            let item = match request["TableName"].as_str() {
                Some(USERS_TABLE) => json!({ "Item": *stub.johndoe }),
                Some(KEYS_TABLE) => json!({ "Item": *stub.key_set }),
                // The demo clients (of the introspection and sign-in page events); no other.
                Some(CLIENTS_TABLE) => match request["Key"]["client_id"]["S"]
                    .as_str()
                    .and_then(|id| stub.demo_clients.get(id))
                {
                    Some(item) => json!({ "Item": item }),
                    None => json!({}),
                },
                // No sessions (the revoke event names an unknown refresh token) and no
                // attempt counters yet.
                Some(TOKENS_TABLE) => json!({}),
                _ => return (StatusCode::BAD_REQUEST, "stub: no such table").into_response(),
            };
            ("application/x-amz-json-1.0", item)
        }
        Some((
            "DynamoDB_20120810",
            "UpdateItem" | "PutItem" | "DeleteItem" | "TransactWriteItems",
        )) => ("application/x-amz-json-1.0", json!({})),
        Some(("TrentService", "Sign")) => {
            if request["KeyId"] != KEY_ARN || request["MessageType"] != "RAW" {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("stub: cannot sign {request}"),
                )
                    .into_response();
            }
            let b64 = base64::engine::general_purpose::STANDARD;
            let Ok(message) = b64.decode(request["Message"].as_str().unwrap_or_default()) else {
                return (StatusCode::BAD_REQUEST, "stub: bad Message").into_response();
            };
            let key = stub.signer.signing_key(0).await.expect("local key");
            let signature = stub
                .signer
                .sign(&key, &message)
                .await
                .expect("local signature");
            let signed = json!({
                "KeyId": KEY_ARN,
                "Signature": b64.encode(signature),
                "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256",
            });
            ("application/x-amz-json-1.1", signed)
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

pub(crate) fn johndoe_item() -> Result<Value> {
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

/// The clients table's items of the demo clients, as the service's own demo clients define
/// them (`demo-service`'s secret `demo-service-secret` hashed here with Argon2id), by id.
pub(crate) fn demo_client_items() -> Result<std::collections::HashMap<String, Value>> {
    let mut items = std::collections::HashMap::new();
    for client in token_service::clients::demo_clients()? {
        let item = match attribute_value(serde_json::to_value(&client)?) {
            Value::Object(mut map) => map.remove("M").context("a client is a map")?,
            other => anyhow::bail!("a client is a map, not {other}"),
        };
        items.insert(client.client_id.to_string(), item);
    }
    for id in DEMO_CLIENTS {
        anyhow::ensure!(items.contains_key(id), "the demo clients include {id}");
    }
    Ok(items)
}

/// A JSON value as DynamoDB's attribute value, the shape serde_dynamo gives a serialized
/// value: strings `S`, numbers `N`, booleans `BOOL`, null `NULL`, arrays `L`, objects `M`.
fn attribute_value(value: Value) -> Value {
    match value {
        Value::Null => json!({ "NULL": true }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::String(s) => json!({ "S": s }),
        Value::Array(items) => {
            json!({ "L": items.into_iter().map(attribute_value).collect::<Vec<_>>() })
        }
        Value::Object(map) => json!({
            "M": map
                .into_iter()
                .map(|(k, v)| (k, attribute_value(v)))
                .collect::<serde_json::Map<_, _>>()
        }),
    }
}

/// The keys table's item: a key set with one KMS key whose public half is `signer`'s.
pub(crate) fn key_set_item(signer: &LocalRsaSigner) -> Value {
    let record = KeyRecord::new(
        signer.public_key(),
        KeyLocation::Kms {
            key_id: KEY_ARN.to_owned(),
        },
        0,
        0,
    );
    json!({
        "id": {"S": "signing-keys"},
        "version": {"N": "1"},
        "keys": {"S": serde_json::to_string(&[record]).expect("a key set serialises")},
    })
}
