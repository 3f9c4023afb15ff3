//! The Authorization header parsers on any header values (one or several headers): the Bearer
//! one gives a token, none, or an RFC 6750 `invalid_request`; the client credentials one
//! (HTTP Basic, RFC 6749 §2.3.1) a client or an RFC 6749 error; never a panic.
#![no_main]

use axum::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use token_service::error::ApiError;
use token_service::http::{bearer_token, parse_urlencoded, presented_client};

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
    let mut fields = parse_urlencoded(b"client_id=svc", &["client_id", "client_secret"])
        .expect("a fixed, valid form");
    match presented_client(&headers, &mut fields) {
        Ok(_) | Err(ApiError::InvalidClient { .. }) | Err(ApiError::InvalidRequest(_)) => {}
        Err(other) => panic!("not a client authentication error: {other:?}"),
    }
});
