//! Signing keys end to end: the token function never publishes a key (it answers 503 until the
//! operator has); tokens signed by KMS (moto) verify with nothing but the published JWKS,
//! found through the discovery document; rotation keeps old tokens valid until they
//! expire while new tokens carry the new `kid`; a flood of made-up `kid`s does not become a
//! flood of key-set reads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use http_body_util::BodyExt as _;
use serde_json::Value;
use token_service::app::Duty;
use token_service::clock::UnixSeconds;
use token_service::config::{Config, Mode};
use token_service::domain::ScopeSet;
use token_service::keys::store::{update_key_set, DynamoKeySetStore, MemoryKeySetStore};
use token_service::keys::{
    CachePolicy, KeyLocation, KeyRecord, KeySet, KeySetCache, KeySetStore, KeyStoreError,
    RotationPolicy, KMS_TAG_KEY,
};
use token_service::store::{demo_users, dynamodb_client, UserStore as _};
use token_service::tokens::signer::kms_public_key;
use token_service::tokens::{KmsSigner, TokenError, TokenIssuer, TokenVerifier, VerifyError};
use token_service::{http, AppParts, AppState, Endpoint};
use tower::ServiceExt as _;

use crate::support::{self, username, Backend, TestApp};

const ISSUER: &str = "https://auth.example.test";

async fn kms() -> aws_sdk_kms::Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_KMS").is_ok(),
        "KMS tests need a KMS-compatible server: run scripts/test.sh"
    );
    aws_sdk_kms::Client::new(&aws_config::load_from_env().await)
}

/// A new RSA_2048 signing key on the KMS server, tagged as the template tags them.
async fn kms_key(client: &aws_sdk_kms::Client) -> String {
    let created = client
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .tags(
            aws_sdk_kms::types::Tag::builder()
                .tag_key(KMS_TAG_KEY)
                .tag_value("test-stack")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    created.key_metadata().unwrap().arn().unwrap().to_owned()
}

fn now() -> UnixSeconds {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as UnixSeconds
}

/// The operator publishing the first key into an empty set, as `authctl key rotate` does.
async fn publish_first(
    client: &aws_sdk_kms::Client,
    store: &dyn KeySetStore,
    key_arn: &str,
    now: UnixSeconds,
) {
    let public = kms_public_key(client, key_arn).await.unwrap();
    let record = KeyRecord::new(
        &public,
        KeyLocation::Kms {
            key_id: key_arn.to_owned(),
        },
        now,
        now,
    );
    update_key_set(store, |set: &mut KeySet| {
        assert!(set.keys.is_empty(), "the first key goes into an empty set");
        set.bootstrap(record.clone(), now)
    })
    .await
    .unwrap();
}

async fn keys_table() -> (String, DynamoKeySetStore) {
    let aws = aws_config::load_from_env().await;
    let table = format!("keys-test-{}", uuid::Uuid::new_v4());
    let store = DynamoKeySetStore::new(dynamodb_client(&aws), &table);
    store.create_table().await.unwrap();
    (table, store)
}

async fn call(
    router: axum::Router,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, HashMap<String, String>, Value) {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
#[ignore = "needs DynamoDB and KMS servers: scripts/test.sh runs them"]
async fn kms_signed_tokens_verify_with_nothing_but_the_published_jwks() {
    let client = kms().await;
    let key_arn = kms_key(&client).await;
    let (keys_table, key_store) = keys_table().await;
    let users = support::dynamodb_store().await;
    for user in tokio::task::spawn_blocking(demo_users)
        .await
        .unwrap()
        .unwrap()
    {
        users.insert(&user).await.unwrap();
    }
    let users_table = users.table_name().to_owned();
    // Sessions and sign-in counters in a table of this test's own (not whatever `tokens`
    // table another test left on the server).
    let tokens_table = format!("tokens-test-{}", uuid::Uuid::new_v4());
    token_service::sessions::DynamoSessionStore::new(
        dynamodb_client(&aws_config::load_from_env().await),
        &tokens_table,
    )
    .create_table()
    .await
    .unwrap();

    // The deployed configuration, as the template sets it.
    let vars: HashMap<&str, String> = HashMap::from([
        ("JWT_ISSUER", ISSUER.to_owned()),
        ("KEYS_TABLE", keys_table),
        ("USERS_TABLE", users_table),
        ("TOKENS_TABLE", tokens_table),
    ]);
    let config = Config::from_lookup(Mode::Function, |name| vars.get(name).cloned()).unwrap();
    let function = |endpoint: Endpoint| {
        let config = config.clone();
        async move {
            let duty = if endpoint == Endpoint::Token {
                Duty::IssueAndVerify
            } else {
                Duty::VerifyOnly
            };
            http::router(
                AppState::from_config(&config, duty).await.unwrap(),
                &[endpoint],
            )
        }
    };

    // Before the operator has published the first key, the token function cannot sign: a
    // 503 with the JSON error body (after the password check), and the key set stays empty.
    let (status, headers, body) = call(
        function(Endpoint::Token).await,
        "POST",
        "/token",
        "username=johndoe&password=secret&scope=me+items",
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    assert!(body.get("access_token").is_none());
    assert!(key_store.load().await.unwrap().keys.is_empty());

    // The operator's deployment step (what `authctl key rotate --kms-key-id <SigningKeyArn>`
    // does with an empty set): the template's key is published and signs at once.
    publish_first(&client, &key_store, &key_arn, now()).await;

    // Now the token function signs with KMS.
    let (status, headers, body) = call(
        function(Endpoint::Token).await,
        "POST",
        "/token",
        "username=johndoe&password=secret&scope=me+items",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let set = key_store.load().await.unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(
        set.keys[0].location,
        KeyLocation::Kms {
            key_id: key_arn.clone()
        }
    );

    // A verifier that knows only the issuer: discovery, then the JWKS it names.
    let (status, headers, discovery) = call(
        function(Endpoint::OpenIdConfiguration).await,
        "GET",
        "/.well-known/openid-configuration",
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(headers["cache-control"].starts_with("public, max-age="));
    assert_eq!(discovery["issuer"], ISSUER);
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
    let jwks_path = jwks_uri
        .strip_prefix(ISSUER)
        .expect("the JWKS is the issuer's");
    let (status, headers, jwks) = call(function(Endpoint::Jwks).await, "GET", jwks_path, "").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "public, max-age=300");

    // Verify with jsonwebtoken alone: the JWKS's key, RS256, the issuer and audience.
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the token's kid is published");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[token_service::config::DEFAULT_AUDIENCE]);
    let claims = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("the token verifies with the published key");
    assert_eq!(claims.claims["sub"], "johndoe");
    assert_eq!(claims.claims["scope"], "me items");

    // The key is KMS's: its public key is the published one.
    let public = kms_public_key(&client, &key_arn).await.unwrap();
    assert_eq!(Some(public.kid().as_str()), header.kid.as_deref());

    // And the resource functions accept it, reading the same key set.
    let request = axum::http::Request::builder()
        .uri("/users/me/")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = function(Endpoint::UsersMe)
        .await
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
#[ignore = "needs DynamoDB and KMS servers: scripts/test.sh runs them"]
async fn rotation_keeps_old_tokens_valid_until_they_expire_and_new_tokens_carry_the_new_kid() {
    const T0: UnixSeconds = 1_800_000_000;
    const LEAD: i64 = 3600;
    const KEEP: i64 = 1800 + 5;
    let client = kms().await;
    let (first_arn, second_arn) = (kms_key(&client).await, kms_key(&client).await);
    let (_, store) = keys_table().await;
    let store: Arc<dyn KeySetStore> = Arc::new(store);
    let settings = support::token_settings();
    publish_first(&client, store.as_ref(), &first_arn, T0).await;
    let signing_keys = Arc::new(KeySetCache::new(store.clone(), CachePolicy::default()));
    let issuer = TokenIssuer::new(
        &settings,
        Arc::new(KmsSigner::new(client.clone(), signing_keys)),
    );
    // A verifying function: its own cache of the same key set.
    let verifier = TokenVerifier::published(
        &settings,
        Arc::new(KeySetCache::new(store.clone(), CachePolicy::default())),
    );
    let me = ScopeSet::parse("me").unwrap();
    let issue = |now: UnixSeconds| {
        let (issuer, me) = (&issuer, &me);
        async move {
            issuer
                .issue(support::ISSUER, &username("johndoe"), me, None, now)
                .await
                .unwrap()
                .access_token
        }
    };
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let verify = |token: String, now: UnixSeconds| {
        let verifier = &verifier;
        async move { verifier.verify(&token, support::ISSUER, now).await }
    };

    let old = issue(T0).await;
    let first_kid = kid(&old);

    // The operator's rotation (what `authctl key rotate` does).
    let public = kms_public_key(&client, &second_arn).await.unwrap();
    let record = KeyRecord::new(
        &public,
        KeyLocation::Kms { key_id: second_arn },
        T0 + 10,
        T0 + 10,
    );
    let second_kid = record.kid.clone();
    update_key_set(store.as_ref(), |set: &mut KeySet| {
        set.rotate(
            record.clone(),
            T0 + 10,
            RotationPolicy {
                publish_lead: LEAD,
                keep_published: KEEP,
            },
        )
    })
    .await
    .unwrap();
    let handover = T0 + 10 + LEAD;

    // Published before it signs: until the handover, tokens still carry the old kid.
    assert_eq!(kid(&issue(handover - 1).await), first_kid.as_str());
    let new = issue(handover).await;
    assert_eq!(kid(&new), second_kid.as_str());
    // Tokens of both keys verify: the old one's while the new key is pending, the new one's
    // from the handover...
    assert!(verify(old.clone(), T0 + 20).await.is_ok());
    assert!(verify(new.clone(), handover + 1).await.is_ok());
    // ...the old key until its last token has expired (the set is re-read every 5 minutes).
    let removal = handover + KEEP;
    let long_lived = issuer
        .issue_with_ttl(
            support::ISSUER,
            &username("johndoe"),
            &me,
            None,
            handover - 1,
            std::time::Duration::from_secs(1800),
        )
        .await
        .unwrap()
        .access_token;
    assert_eq!(kid(&long_lived), first_kid.as_str());
    assert!(
        verify(long_lived.clone(), removal - 1).await.is_ok(),
        "signed just before the handover, valid to the end"
    );
    assert_eq!(
        verify(long_lived, removal + 300).await,
        Err(VerifyError::Invalid(TokenError::UnknownKey))
    );
    assert!(verify(issue(removal + 300).await, removal + 300)
        .await
        .is_ok());
}

/// A key-set store that counts reads.
struct CountingKeys {
    inner: MemoryKeySetStore,
    loads: AtomicUsize,
}

#[async_trait::async_trait]
impl KeySetStore for CountingKeys {
    async fn load(&self) -> Result<KeySet, KeyStoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load().await
    }
    async fn save(&self, set: &KeySet) -> Result<u64, KeyStoreError> {
        self.inner.save(set).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_kids_costs_one_key_set_read() {
    let app = TestApp::start(Backend::Memory).await;
    // The app's verifier over a counting copy of its key set.
    let counting = Arc::new(CountingKeys {
        inner: MemoryKeySetStore::new(),
        loads: AtomicUsize::new(0),
    });
    let mut set = app.keys.store().load().await.unwrap();
    set.version = 0;
    counting.inner.save(&set).await.unwrap();
    let keys = Arc::new(KeySetCache::new(counting.clone(), CachePolicy::default()));
    let state = AppState::from(AppParts {
        verifier: Arc::new(TokenVerifier::published(&support::token_settings(), keys)),
        ..app.state.parts()
    });
    let router = http::router_of_all(state);
    let valid = app.mint("johndoe", "me").await;
    let ok = axum::http::Request::builder()
        .uri("/users/me/")
        .header("authorization", format!("Bearer {valid}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(router.clone().oneshot(ok).await.unwrap().status(), 200);
    assert_eq!(counting.loads.load(Ordering::SeqCst), 1);

    // Past the minimum interval between reads, so exactly one early re-read is allowed.
    app.clock.advance(10);
    let stranger = token_service::tokens::LocalRsaSigner::generate().unwrap();
    let requests = (0..100).map(|i| {
        let router = router.clone();
        let header =
            serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": format!("made-up-{i}")});
        let claims = serde_json::json!({
            "iss": support::ISSUER, "aud": support::AUDIENCE, "sub": "johndoe",
            "iat": support::NOW, "exp": support::NOW + 600, "jti": "x", "scope": "me"
        });
        let stranger = &stranger;
        async move {
            let token = support::forge_with(stranger, &header, &claims).await;
            let request = axum::http::Request::builder()
                .uri("/users/me/")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            router.oneshot(request).await.unwrap().status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    // All at the same instant: one early re-read for all of them.
    assert_eq!(counting.loads.load(Ordering::SeqCst), 2);
}

/// The deployed token function before the operator has published a key: its KMS signer
/// finds nothing to sign with, answers 503 with the JSON error body (never a 500 or a
/// panic), and writes nothing to the key set, however often it is asked.
#[tokio::test]
async fn a_kms_token_function_with_an_empty_key_set_answers_503_and_publishes_nothing() {
    let app = TestApp::start(Backend::Memory).await;
    let empty = Arc::new(CountingKeys {
        inner: MemoryKeySetStore::new(),
        loads: AtomicUsize::new(0),
    });
    let keys = Arc::new(KeySetCache::new(empty.clone(), CachePolicy::default()));
    // Never called: with no signing key there is nothing to ask KMS.
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build(),
    );
    let issuer = TokenIssuer::new(
        &support::token_settings(),
        Arc::new(KmsSigner::new(kms, keys)),
    );
    let state = AppState::from(AppParts {
        issuer: Some(Arc::new(issuer)),
        ..app.state.parts()
    });
    for _ in 0..3 {
        let (status, headers, body) = call(
            http::router_of_all(state.clone()),
            "POST",
            "/token",
            "username=johndoe&password=secret&scope=me",
        )
        .await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "temporarily_unavailable", "{body}");
        assert_eq!(headers["content-type"], "application/json");
        assert!(body.get("access_token").is_none());
    }
    assert!(empty.loads.load(Ordering::SeqCst) >= 1);
    let set = empty.inner.load().await.unwrap();
    assert!(set.keys.is_empty(), "the function published a key");
    assert_eq!(set.version, 0, "the function wrote the key set");
}
