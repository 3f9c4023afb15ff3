//! Every answer a scenario gets is held to the OpenAPI document: the status is declared for
//! the operation, its required headers are present, its content type is the declared one.
//! With the schemathesis run (scripts/docs-checks.sh) this is how the document is kept true:
//! a new refusal that the document does not list fails whichever test first provokes it.

use std::sync::LazyLock;

use serde_json::Value;
use token_service::http::openapi::{document, documented};
use token_service::Endpoint;

static DOCUMENT: LazyLock<Value> =
    LazyLock::new(|| serde_json::to_value(document()).expect("the document serializes"));

/// Panics unless the answer `status`/`headers` to `method path` is one the document declares.
/// Paths and methods the API does not route (404s, 405s) are not in the document.
pub fn assert_documented(method: &str, path: &str, status: u16, headers: &hyper::HeaderMap) {
    let path = path.split('?').next().unwrap_or(path);
    let Some(endpoint) = Endpoint::for_path(path) else {
        return;
    };
    let routed = endpoint.methods().iter().any(|m| m.as_str() == method);
    if !documented(endpoint) || !routed {
        return;
    }
    let operation = &DOCUMENT["paths"][endpoint.path()][method.to_lowercase()];
    let declared = &operation["responses"][status.to_string()];
    let Some(declared) = declared.as_object() else {
        panic!("{method} {path} answered {status}, which the OpenAPI document does not declare");
    };
    if let Some(documented_headers) = declared.get("headers").and_then(Value::as_object) {
        for (name, header) in documented_headers {
            if header["required"] == true {
                assert!(
                    headers.contains_key(name.as_str()),
                    "{method} {path} answered {status} without {name}, which the document requires"
                );
            }
        }
    }
    if let Some(content) = declared.get("content").and_then(Value::as_object) {
        let answered = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default();
        assert!(
            content.contains_key(answered),
            "{method} {path} answered {status} as {answered:?}; the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
    }
}
