//! `GET /openapi.json` and `GET /docs` over HTTP: the document the code builds, the Swagger UI
//! page and its files from the binary, under a Content-Security-Policy that allows only them.

use serde_json::Value;
use token_service::http::{openapi, CONTENT_SECURITY_POLICY_VALUE};

use crate::support::{Backend, TestApp};

#[tokio::test]
async fn the_openapi_document_is_served_as_built() {
    let app = TestApp::start(Backend::MemoryOverSocket).await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=600")
    );
    let served: Value = response.json();
    assert_eq!(served, serde_json::to_value(openapi::document()).unwrap());
    assert_eq!(served["openapi"], "3.1.0");
    // Only as spelled, like the well-known documents.
    assert_eq!(app.get("/openapi.json/", None).await.status, 404);
}

#[tokio::test]
async fn the_docs_page_and_its_files_come_from_the_service_under_a_strict_policy() {
    let app = TestApp::start(Backend::MemoryOverSocket).await;
    for path in ["/docs", "/docs/"] {
        let page = app.get(path, None).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(
            page.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            page.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY_VALUE)
        );
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("cache-control"), Some("no-cache"));
        // Nothing from another origin, and no inline script.
        assert!(!page.text.contains("http"), "{path}: {}", page.text);
        assert!(!page.text.contains("<script>"), "{path}");
        assert!(page.text.contains("data-openapi-url="), "{path}");
    }
    let policy = CONTENT_SECURITY_POLICY_VALUE;
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self';"));
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));

    let vendored = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("assets")
                .join(name),
        )
        .unwrap()
    };
    for (path, content_type, file) in [
        (
            "/docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "swagger-ui/swagger-ui-bundle.js",
        ),
        (
            "/docs/swagger-ui.css",
            "text/css; charset=utf-8",
            "swagger-ui/swagger-ui.css",
        ),
        (
            "/docs/docs.js",
            "text/javascript; charset=utf-8",
            "docs/docs.js",
        ),
    ] {
        let asset = app.get(path, None).await;
        assert_eq!(asset.status, 200, "{path}");
        assert_eq!(asset.header("content-type"), Some(content_type), "{path}");
        assert_eq!(asset.header("cache-control"), Some("public, max-age=3600"));
        assert_eq!(asset.text.as_bytes(), vendored(file).as_slice(), "{path}");
    }
    // Browsers get the two big files gzipped (API Gateway HTTP APIs do not compress).
    for (path, file) in [
        (
            "/docs/swagger-ui-bundle.js",
            "swagger-ui/swagger-ui-bundle.js",
        ),
        ("/docs/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ] {
        let plain = app
            .request("GET", path, &[("accept-encoding", "gzip;q=0, br")], "")
            .await;
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert_eq!(plain.bytes, vendored(file), "{path}");
        let gzipped = app
            .request("GET", path, &[("accept-encoding", "gzip, deflate, br")], "")
            .await;
        assert_eq!(gzipped.status, 200, "{path}");
        assert_eq!(gzipped.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gzipped.header("vary"), Some("accept-encoding"), "{path}");
        assert_eq!(gzipped.bytes, vendored(&format!("{file}.gz")), "{path}");
        assert!(gzipped.bytes.len() * 3 < plain.bytes.len(), "{path}");
        assert_eq!(gzipped.header("content-security-policy"), Some(policy));
    }
    let missing = app.get("/docs/favicon.png", None).await;
    missing.assert_error(404, "Not Found", None);
    let post = app.request("POST", "/docs", &[], "").await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET"));
}
