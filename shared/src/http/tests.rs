//! The router's own rules, called without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use super::*;
use crate::keys::store::MemoryKeySetStore;
use crate::keys::{CachePolicy, KeySetCache};
use crate::store::MemoryUserStore;
use crate::tokens::{SigningSecret, TokenSettings, TokenVerifier};

/// A verifying state (the routing rules need no signer): HS256 keeps it cheap.
fn state() -> AppState {
    let settings = TokenSettings {
        issuer: crate::tokens::IssuerUrl::Fixed("https://issuer.test".into()),
        audience: "urn:test:api".into(),
        ttl: Duration::from_secs(60),
        max_lifetime: Some(Duration::from_secs(60)),
    };
    let verifier =
        TokenVerifier::shared_secret(&settings, &SigningSecret::new(vec![1u8; 32]).unwrap());
    let keys = Arc::new(KeySetCache::new(
        Arc::new(MemoryKeySetStore::new()),
        CachePolicy::default(),
    ));
    AppState::new(None, verifier, keys, Arc::new(MemoryUserStore::new()))
}

async fn send(
    router: &Router,
    method: &Method,
    path: &str,
    body: &str,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let json_body = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/json");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    if !json_body {
        // The docs page and its files; every error is JSON.
        assert!(
            status.is_success(),
            "{method} {path}: {status} without JSON"
        );
        return (status, allow, serde_json::Value::Null);
    }
    if method == Method::HEAD {
        assert!(bytes.is_empty(), "HEAD {path}: a body");
        return (
            status,
            allow,
            serde_json::json!({"detail": "Method Not Allowed"}),
        );
    }
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {bytes:?}"));
    (status, allow, json)
}

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
];

fn allow_of(endpoint: Endpoint) -> String {
    let names: Vec<&str> = endpoint.methods().iter().map(Method::as_str).collect();
    names.join(",")
}

#[tokio::test]
async fn each_endpoint_answers_exactly_its_methods_on_both_paths() {
    let router = router_of_all(state());
    for endpoint in Endpoint::ALL {
        for path in endpoint.paths() {
            for method in &METHODS {
                let (status, allow, body) = send(&router, method, path, "").await;
                if endpoint.methods().contains(method) {
                    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                    assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path}");
                } else {
                    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                    assert_eq!(body["detail"], "Method Not Allowed", "{method} {path}");
                    let allow = allow.unwrap_or_else(|| panic!("{method} {path}: no Allow"));
                    assert_eq!(
                        allow.replace(' ', ""),
                        allow_of(endpoint),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_function_answers_other_endpoints_with_404_and_wrong_methods_with_405() {
    for served in Endpoint::ALL {
        let router = router(state(), &[served]);
        for other in Endpoint::ALL.into_iter().filter(|e| *e != served) {
            for path in other.paths() {
                let method = &other.methods()[0];
                let (status, _, body) = send(&router, method, path, "username=a&password=b").await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{served:?}: {method} {path}");
                assert_eq!(body, serde_json::json!({"detail": "Not Found"}));
                let wrong = [Method::GET, Method::POST, Method::PUT]
                    .into_iter()
                    .find(|m| !other.methods().contains(m))
                    .unwrap();
                // HEAD and OPTIONS are no endpoint's methods: 405 as well.
                for method in [wrong, Method::HEAD, Method::OPTIONS] {
                    let (status, allow, _) = send(&router, &method, path, "").await;
                    assert_eq!(
                        status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{served:?}: {method} {path}"
                    );
                    assert_eq!(allow.unwrap().replace(' ', ""), allow_of(other));
                }
            }
        }
        for path in [
            "/",
            "/nowhere",
            "/users",
            "/token/x",
            "/STATUS",
            "/users/me//",
        ] {
            let (status, _, body) = send(&router, &Method::GET, path, "").await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{served:?}: {path}");
            assert_eq!(body["detail"], "Not Found");
        }
    }
}

#[tokio::test]
async fn the_router_limits_the_body_on_every_route() {
    let router = router_of_all(state());
    let huge = format!("username=a&password={}", "x".repeat(MAX_BODY_BYTES));
    for (method, path) in [
        (Method::POST, "/token"),
        (Method::GET, "/users/me/"),
        (Method::GET, "/status"),
        (Method::GET, "/nowhere"),
    ] {
        // Declared: refused before any handler runs.
        let (status, _, body) = send(&router, &method, path, &huge).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["detail"], "request body must be at most 8192 bytes");
    }
    // Streamed without a length: cut off where the token endpoint reads it.
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = (0..3)
        .map(|_| Ok(axum::body::Bytes::from(vec![b'x'; MAX_BODY_BYTES / 2])))
        .collect();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap();
    assert!(request.headers().get("content-length").is_none());
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["detail"], "request body must be at most 8192 bytes");
}

#[tokio::test]
async fn without_a_custom_domain_the_issuer_is_the_api_gateway_domain_of_the_request() {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;

    let state = state();
    let mut settings = state.verifier.settings().clone();
    settings.issuer = crate::tokens::IssuerUrl::FromApiDomain;
    let state = AppState::from(crate::AppParts {
        verifier: Arc::new(TokenVerifier::shared_secret(
            &settings,
            &SigningSecret::new(vec![1u8; 32]).unwrap(),
        )),
        ..state.parts()
    });
    let router = router_of_all(state);
    let discovery = |context: Option<RequestContext>| {
        let mut request = Request::builder()
            .uri("/.well-known/openid-configuration")
            // A client's Host header names nothing: only API Gateway's context does.
            .header("host", "evil.example")
            .body(Body::empty())
            .unwrap();
        if let Some(context) = context {
            request.extensions_mut().insert(context);
        }
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            )
        }
    };

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.domain_name = Some("abc123.execute-api.eu-west-1.amazonaws.com".into());
    let (status, body) = discovery(Some(RequestContext::ApiGatewayV2(context))).await;
    assert_eq!(status, StatusCode::OK);
    let issuer = "https://abc123.execute-api.eu-west-1.amazonaws.com";
    assert_eq!(body["issuer"], issuer);
    assert_eq!(body["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    // This state verifies HS256 (the local opt-in): discovery does not claim RS256.
    assert_eq!(
        body["id_token_signing_alg_values_supported"],
        serde_json::json!(["HS256"])
    );

    let (status, body) = discovery(None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// The endpoint table's `takes_bearer_token` (which the OpenAPI document's `security` comes
/// from) is what the handlers do: exactly those endpoints refuse a request with no token.
#[tokio::test]
async fn exactly_the_protected_endpoints_demand_a_bearer_token() {
    let router = router_of_all(state());
    for endpoint in Endpoint::ALL {
        let method = &endpoint.methods()[0];
        let (status, _, body) = send(&router, method, endpoint.path(), "").await;
        let demanded = status == StatusCode::UNAUTHORIZED && body["detail"] == "Not authenticated";
        assert_eq!(
            demanded,
            endpoint.takes_bearer_token(),
            "{endpoint:?}: {status} {body}"
        );
    }
}
