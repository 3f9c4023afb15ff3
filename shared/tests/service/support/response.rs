//! What a test gets back from the app, and the error-body assertion every contract test uses.

use serde_json::Value;

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    /// The body as text (empty for a compressed body: see `bytes`).
    pub text: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a JSON error body with this status, `detail` and (optionally) RFC `error`.
    pub fn assert_error(&self, status: u16, detail: &str, error: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["detail"], detail, "{}", self.text);
        match error {
            Some(code) => {
                assert_eq!(body["error"], code, "{}", self.text);
                assert!(body["error_description"].is_string(), "{}", self.text);
            }
            None => assert!(body.get("error").is_none(), "{}", self.text),
        }
    }

    /// Asserts the one answer of every failed client authentication: 401 with a Basic
    /// challenge when Basic was used, else 400 without one (RFC 6749 §5.2).
    pub fn assert_invalid_client(&self, basic_used: bool) {
        if basic_used {
            self.assert_error(401, "Client authentication failed", Some("invalid_client"));
            assert_eq!(
                self.header("www-authenticate"),
                Some("Basic realm=\"token-service\"")
            );
        } else {
            self.assert_error(400, "Client authentication failed", Some("invalid_client"));
            assert_eq!(self.header("www-authenticate"), None);
        }
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}
