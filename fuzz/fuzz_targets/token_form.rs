//! The `/token` form parser on any body: parsed or refused with an RFC 6749 error, never a
//! panic; a parsed form never holds a repeated known parameter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_service::http::parse_urlencoded;
use token_service::oauth::TokenRequest;

fuzz_target!(|body: &[u8]| {
    if let Ok(mut fields) = parse_urlencoded(body, &TokenRequest::PARAMETERS) {
        for name in TokenRequest::PARAMETERS {
            let _ = fields.take(name);
        }
    }
});
