//! The Authorization header parser on any header values (one or several headers): a token,
//! none, or an RFC 6750 `invalid_request`, never a panic.
#![no_main]

use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use token_service::http::bearer_token;

fuzz_target!(|data: &[u8]| {
    let mut headers = HeaderMap::new();
    for value in data.split(|b| *b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append("authorization", value);
        }
    }
    if let Ok(Some(token)) = bearer_token(&headers) {
        assert!(!token.is_empty());
    }
});
