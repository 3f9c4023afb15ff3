//! The functions' DynamoDB calls, recorded at the SDK as they run against a DynamoDB server,
//! each checked against the template's statements for that function (action, table, and
//! every condition): a call the template does not allow is an outage no other test sees.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use serde_json::{json, Value};

use super::{actions_of, resources_of};
use crate::support::template::{resource, statements, strings, template};
use crate::support::{self, NOW, SERVICE_SECRET};

/// One DynamoDB item access as IAM authorizes it.
#[derive(Debug, Clone)]
struct Call {
    action: &'static str,
    table: String,
    key: String,
    /// Top-level attribute names the request names (its key, expressions, names).
    attributes: BTreeSet<String>,
    return_values: Option<String>,
    /// A `GetItem` that may not see the latest write: none is made, as every read decides
    /// something about a credential (a code, a session, an account's counters).
    eventually_consistent: bool,
}

#[derive(Debug, Default, Clone)]
struct Recorder(Arc<Mutex<Vec<Call>>>);

impl Recorder {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn key_of(key: &HashMap<String, AttributeValue>) -> String {
    assert_eq!(key.len(), 1, "one hash key: {key:?}");
    key.values().next().unwrap().as_s().unwrap().clone()
}

/// Attribute names in expressions: plain identifiers that are no keyword or function, and
/// the names `#placeholders` stand for.
fn attributes(
    key: &HashMap<String, AttributeValue>,
    expressions: &[Option<&str>],
    names: Option<&HashMap<String, String>>,
) -> BTreeSet<String> {
    const WORDS: [&str; 12] = [
        "SET",
        "ADD",
        "REMOVE",
        "DELETE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "BETWEEN",
        "attribute_exists",
        "attribute_not_exists",
        "if_not_exists",
    ];
    let mut found: BTreeSet<String> = key.keys().cloned().collect();
    found.extend(names.into_iter().flat_map(|n| n.values().cloned()));
    for expression in expressions.iter().flatten() {
        for token in expression.split(|c: char| !(c.is_alphanumeric() || "_:#".contains(c))) {
            if !token.is_empty()
                && !token.starts_with([':', '#'])
                && !token.starts_with(|c: char| c.is_ascii_digit())
                && !WORDS.contains(&token)
            {
                found.insert(token.to_owned());
            }
        }
    }
    found
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        use aws_sdk_dynamodb::operation::{
            delete_item::DeleteItemInput, get_item::GetItemInput, put_item::PutItemInput,
            transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
        };
        let input = context.input();
        let mut calls = Vec::new();
        let table = |t: Option<&str>| t.unwrap().to_owned();
        if let Some(i) = input.downcast_ref::<GetItemInput>() {
            let key = i.key().unwrap();
            calls.push(Call {
                action: "GetItem",
                table: table(i.table_name()),
                key: key_of(key),
                attributes: attributes(
                    key,
                    &[i.projection_expression()],
                    i.expression_attribute_names(),
                ),
                return_values: None,
                eventually_consistent: i.consistent_read() != Some(true),
            });
        } else if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            let key = i.key().unwrap();
            calls.push(Call {
                action: "UpdateItem",
                table: table(i.table_name()),
                key: key_of(key),
                attributes: attributes(
                    key,
                    &[i.update_expression(), i.condition_expression()],
                    i.expression_attribute_names(),
                ),
                return_values: i.return_values().map(|r| r.as_str().to_owned()),
                eventually_consistent: false,
            });
        } else if let Some(i) = input.downcast_ref::<PutItemInput>() {
            let item = i.item().unwrap();
            calls.push(Call {
                action: "PutItem",
                table: table(i.table_name()),
                key: item_key(item),
                attributes: item.keys().cloned().collect(),
                return_values: i.return_values().map(|r| r.as_str().to_owned()),
                eventually_consistent: false,
            });
        } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            let key = i.key().unwrap();
            calls.push(Call {
                action: "DeleteItem",
                table: table(i.table_name()),
                key: key_of(key),
                attributes: attributes(
                    key,
                    &[i.condition_expression()],
                    i.expression_attribute_names(),
                ),
                return_values: i.return_values().map(|r| r.as_str().to_owned()),
                eventually_consistent: false,
            });
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            // Authorized item by item, as the single-item action each one is.
            for item in i.transact_items() {
                let put = item.put().expect("the service's transactions only put");
                calls.push(Call {
                    action: "PutItem",
                    table: put.table_name().to_owned(),
                    key: item_key(put.item()),
                    attributes: put.item().keys().cloned().collect(),
                    return_values: None,
                    eventually_consistent: false,
                });
            }
        } else {
            // Table set-up, or a call this test does not know: fails in `assert_allowed`.
            let name = format!("{input:?}");
            calls.push(Call {
                action: "unknown",
                table: String::new(),
                key: name.chars().take(200).collect(),
                attributes: BTreeSet::new(),
                return_values: None,
                eventually_consistent: false,
            });
        }
        self.0.lock().unwrap().extend(calls);
        Ok(())
    }
}

/// The key of a whole item: the service's tables are keyed by `id`, `username` or `client_id`.
fn item_key(item: &HashMap<String, AttributeValue>) -> String {
    ["id", "username", "client_id"]
        .iter()
        .find_map(|k| item.get(*k))
        .and_then(|v| v.as_s().ok())
        .expect("an item with its key")
        .clone()
}

/// `*` matches any run of characters, as in IAM's StringLike.
pub(super) fn like(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => text.strip_prefix(head).is_some_and(|rest| {
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && like(tail, &rest[i..]))
        }),
    }
}

fn condition_holds(condition: Option<&Value>, call: &Call) -> bool {
    let Some(condition) = condition else {
        return true;
    };
    condition
        .as_object()
        .unwrap()
        .iter()
        .all(|(operator, keys)| {
            keys.as_object().unwrap().iter().all(|(key, values)| {
                let values = strings(values);
                match (operator.as_str(), key.as_str()) {
                    ("ForAllValues:StringLike", "dynamodb:LeadingKeys") => {
                        values.iter().any(|p| like(p, &call.key))
                    }
                    ("ForAllValues:StringEquals", "dynamodb:Attributes") => {
                        call.attributes.iter().all(|a| values.contains(a))
                    }
                    ("StringEqualsIfExists", "dynamodb:ReturnValues") => call
                        .return_values
                        .as_ref()
                        .is_none_or(|r| values.contains(r)),
                    _ => panic!("this test cannot evaluate {operator} on {key}"),
                }
            })
        })
}

/// The template's statements for `holder`, checked against every call (tables by logical id).
fn assert_allowed(template: &Value, holder: &str, tables: &HashMap<String, &str>, calls: &[Call]) {
    let statements = statements(resource(template, holder));
    assert!(!calls.is_empty(), "{holder}: nothing recorded");
    for call in calls {
        assert_ne!(
            call.action, "unknown",
            "{holder}: a call this test does not know: {call:?}"
        );
        let table = tables[&call.table];
        let allowed = statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && actions_of(s).contains(&format!("dynamodb:{}", call.action))
                && resources_of(s) == [table]
                && condition_holds(s.get("Condition"), call)
        });
        assert!(allowed, "{holder} may not {} {table} {call:?}", call.action);
        assert!(
            !call.eventually_consistent,
            "{holder}: an eventually consistent read {call:?}"
        );
    }
}

async fn post(router: &axum::Router, path: &str, body: &str, client: (&str, &str)) -> (u16, Value) {
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", support::basic(client.0, client.1))
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
#[ignore = "needs a DynamoDB server: scripts/test.sh runs it"]
async fn every_dynamodb_call_of_the_functions_is_one_the_template_allows() {
    use token_service::attempts::DynamoAttemptStore;
    use token_service::clients::ClientStore as _;
    use token_service::clients::DynamoClientStore;
    use token_service::domain::lockout::LockoutPolicy;
    use token_service::keys::store::DynamoKeySetStore;
    use token_service::keys::{CachePolicy, KeySetCache};
    use token_service::sessions::DynamoSessionStore;
    use token_service::store::{AccountChange, DynamoUserStore, UserStore as _};

    let template = template();
    let recorder = Recorder::default();
    let aws = aws_config::load_from_env().await;
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&aws)
            .interceptor(recorder.clone())
            .build(),
    );
    let name = |kind: &str| format!("{kind}-iam-{}", uuid::Uuid::new_v4());
    let (users_table, clients_table, tokens_table, keys_table) =
        (name("users"), name("clients"), name("tokens"), name("keys"));
    let tables: HashMap<String, &str> = HashMap::from([
        (users_table.clone(), "UsersTable"),
        (clients_table.clone(), "ClientsTable"),
        (tokens_table.clone(), "TokensTable"),
        (keys_table.clone(), "KeysTable"),
    ]);
    let users = Arc::new(DynamoUserStore::new(client.clone(), &users_table));
    users.create_table().await.unwrap();
    let clients = Arc::new(DynamoClientStore::new(client.clone(), &clients_table));
    clients.create_table().await.unwrap();
    let sessions = Arc::new(DynamoSessionStore::new(client.clone(), &tokens_table));
    sessions.create_table().await.unwrap();
    let attempts = Arc::new(DynamoAttemptStore::new(client.clone(), &tokens_table));
    let key_store = DynamoKeySetStore::new(client.clone(), &keys_table);
    key_store.create_table().await.unwrap();
    let keys = Arc::new(KeySetCache::new(
        Arc::new(key_store),
        CachePolicy::default(),
    ));
    for user in tokio::task::spawn_blocking(support::test_users)
        .await
        .unwrap()
    {
        users.insert(&user).await.unwrap();
    }
    // bob's hash made at weaker parameters: his sign-in re-hashes it.
    let weak = tokio::task::spawn_blocking(|| {
        use argon2::password_hash::PasswordHasher as _;
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"bobpassword")
        .unwrap()
        .to_string()
    })
    .await
    .unwrap();
    let change = AccountChange {
        password_hash: Some(weak),
        ..AccountChange::default()
    };
    users
        .update_account(&support::username("bob"), &change)
        .await
        .unwrap();
    for registered in tokio::task::spawn_blocking(support::test_clients)
        .await
        .unwrap()
    {
        clients.insert(&registered).await.unwrap();
    }
    // The operator's part (the key set, the users, the clients) is not a function's.
    let (_, issuer) = support::local_issuer(&keys).await;
    let verifier =
        token_service::tokens::TokenVerifier::published(&support::token_settings(), keys.clone());
    let mut spa = support::client(
        "spa",
        token_service::domain::ClientType::Public,
        &[token_service::domain::GrantType::AuthorizationCode],
        "me items",
    );
    spa.redirect_uris =
        vec![token_service::domain::RedirectUri::parse("http://127.0.0.1/cb").unwrap()];
    clients.insert(&spa).await.unwrap();
    let operator_users = users.clone();
    let codes = token_service::codes::DynamoCodeStore::new(client.clone(), &tokens_table);
    let state = token_service::AppState::new(Some(issuer), verifier, keys.clone(), users)
        .with_clients(clients, true)
        .with_sessions(sessions, Default::default())
        .with_codes(Arc::new(codes))
        .with_browser_sessions(Arc::new(
            token_service::browser_sessions::DynamoBrowserSessionStore::new(
                client.clone(),
                &tokens_table,
            ),
        ))
        .with_attempts(attempts, LockoutPolicy::default())
        .with_clock(Arc::new(token_service::clock::ManualClock::at(NOW)));
    let router = token_service::http::router_of_all(state);
    recorder.take();

    // The token function: sign-ins (right, wrong, re-hashing), a refresh, client credentials.
    let service = ("service-two", SERVICE_SECRET);
    let (status, wrong) = post(
        &router,
        "/token",
        "grant_type=password&username=johndoe&password=nope",
        service,
    )
    .await;
    assert_eq!(status, 400, "{wrong}");
    let (status, bob) = post(
        &router,
        "/token",
        "grant_type=password&username=bob&password=bobpassword&scope=me",
        service,
    )
    .await;
    assert_eq!(status, 200, "{bob}");
    let (status, signed_in) = post(
        &router,
        "/token",
        "grant_type=password&username=johndoe&password=secret&scope=me",
        service,
    )
    .await;
    assert_eq!(status, 200, "{signed_in}");
    let refresh = signed_in["refresh_token"].as_str().unwrap();
    let (status, refreshed) = post(
        &router,
        "/token",
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
        service,
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, machine) = post(
        &router,
        "/token",
        "grant_type=client_credentials&scope=items",
        ("service", SERVICE_SECRET),
    )
    .await;
    assert_eq!(status, 200, "{machine}");
    let token_calls = recorder.take();
    assert!(
        token_calls
            .iter()
            .any(|c| c.action == "UpdateItem" && tables[&c.table] == "UsersTable"),
        "bob's hash was upgraded"
    );
    assert_allowed(&template, "TokenFunctionPolicy", &tables, &token_calls);

    // The introspection function: refresh and access tokens, a wrong secret.
    let refresh = refreshed["refresh_token"].as_str().unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    for token in [refresh, access] {
        let (status, body) = post(&router, "/introspect", &format!("token={token}"), service).await;
        assert_eq!((status, &body["active"]), (200, &json!(true)), "{body}");
    }
    let (status, _) = post(
        &router,
        "/introspect",
        &format!("token={access}"),
        ("service-two", "wrong-secret-0123456789"),
    )
    .await;
    assert_eq!(status, 401);
    assert_allowed(&template, "IntrospectFunction", &tables, &recorder.take());

    // The revocation function: by access token, by refresh token, a wrong secret.
    let (status, _) = post(
        &router,
        "/revoke",
        &format!("token={access}"),
        ("service-two", "wrong-secret-0123456789"),
    )
    .await;
    assert_eq!(status, 401);
    for token in [access, refresh] {
        let (status, body) = post(&router, "/revoke", &format!("token={token}"), service).await;
        assert_eq!(status, 200, "{body}");
    }
    let revoke_calls = recorder.take();
    assert!(revoke_calls
        .iter()
        .any(|c| c.action == "UpdateItem" && c.key.starts_with("fam#")));
    assert!(revoke_calls
        .iter()
        .any(|c| c.action == "UpdateItem" && c.key.starts_with("known#")));
    assert_allowed(&template, "RevokeFunction", &tables, &revoke_calls);

    // The authorize function: the page, a wrong password, a sign-in that re-hashes (bob's
    // hash made weak again by the operator); then the token function redeems the code.
    operator_users
        .update_account(&support::username("bob"), &change)
        .await
        .unwrap();
    recorder.take();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let query = format!(
        "response_type=code&client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=s&code_challenge={}&code_challenge_method=S256",
        token_service::domain::CodeChallenge::of(verifier).as_str()
    );
    let (status, headers, page) =
        send(&router, "GET", &format!("/authorize?{query}"), &[], "").await;
    assert_eq!(status, 200, "{page}");
    let cookie = headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf_at = page.find("name=\"csrf_token\" value=\"").unwrap() + 25;
    let csrf = &page[csrf_at..csrf_at + 43];
    let form =
        |password: &str| format!("{query}&csrf_token={csrf}&username=bob&password={password}");
    let form_headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", cookie.as_str()),
    ];
    let (status, _, _) = send(&router, "POST", "/authorize", &form_headers, &form("nope")).await;
    assert_eq!(status, 400);
    let (status, headers, _) = send(
        &router,
        "POST",
        "/authorize",
        &form_headers,
        &form("bobpassword"),
    )
    .await;
    assert_eq!(status, 303);
    // The same browser again: its session, a Continue button for this public client.
    let (status, _, _) = send(
        &router,
        "GET",
        &format!("/authorize?{query}"),
        &[("cookie", &session_cookie(&headers))],
        "",
    )
    .await;
    assert_eq!(status, 200);
    let authorize_calls = recorder.take();
    for (action, prefix) in [
        ("PutItem", "code#"),
        ("UpdateItem", "att#"),
        ("UpdateItem", "known#"),
        ("PutItem", "sso#"),
        ("GetItem", "sso#"),
    ] {
        assert!(
            authorize_calls
                .iter()
                .any(|c| c.action == action && c.key.starts_with(prefix)),
            "{action} {prefix}"
        );
    }
    assert!(
        authorize_calls
            .iter()
            .any(|c| c.action == "UpdateItem" && tables[&c.table] == "UsersTable"),
        "bob's hash was upgraded"
    );
    assert_allowed(&template, "AuthorizeFunction", &tables, &authorize_calls);
    let location = headers["location"].to_str().unwrap();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let exchange = format!("grant_type=authorization_code&client_id=spa&code={code}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_verifier={verifier}");
    let (status, _, body) = send(
        &router,
        "POST",
        "/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        &exchange,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let exchange_calls = recorder.take();
    // The code is read (consistently: `assert_allowed`) beside the client's authentication,
    // then spent by its conditional write.
    for action in ["GetItem", "UpdateItem"] {
        assert!(
            exchange_calls
                .iter()
                .any(|c| c.action == action && c.key.starts_with("code#")),
            "{action} code#"
        );
    }
    assert_allowed(&template, "TokenFunctionPolicy", &tables, &exchange_calls);
}

/// The browser session cookie a sign-in's answer sets, as the browser sends it back.
fn session_cookie(headers: &axum::http::HeaderMap) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("sign-in-session="))
        .expect("a browser session cookie")
}

/// A request straight into `router`: (status, headers, body text).
async fn send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, axum::http::HeaderMap, String) {
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(body.to_owned())).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

#[test]
fn like_is_iams_string_like() {
    assert!(like("rt#*", "rt#abc"));
    assert!(like("att#p#c.*", "att#p#c.xyz#1.2.3.4#300:1"));
    assert!(!like("att#p#c.*", "att#p#AbCd.0#1.2.3.4#300:1"));
    assert!(!like("fam#*", "rt#fam#"));
    assert!(like("a*b*c", "axxbyyc"));
    assert!(!like("a*b", "a"));
}
