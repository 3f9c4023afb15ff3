//! `application/x-www-form-urlencoded` request bodies, read our way: axum's `Form` would
//! answer 415/422, where RFC 6749 §5.2 wants 400 `invalid_request`. Written over `HeaderMap`
//! and bytes so that it can be fuzzed.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;

use super::MAX_BODY_BYTES;
use crate::error::ApiError;

/// True when the request says its body is `application/x-www-form-urlencoded` (any charset
/// parameter, any case).
pub fn is_form_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The body of a form request: the content type is checked first, then the body the router
/// read (at most [`MAX_BODY_BYTES`]).
pub fn form_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    if !is_form_urlencoded(headers) {
        return Err(ApiError::invalid_request(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    body.map_err(|rejection| match rejection {
        BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
            ApiError::body_too_large(MAX_BODY_BYTES)
        }
        other => ApiError::invalid_request(format!("could not read the request body: {other}")),
    })
}

/// A form request's known parameters: its content type and body checked, then decoded.
pub(super) fn read_form(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    known: &[&'static str],
) -> Result<FormFields, ApiError> {
    parse_urlencoded(&form_body(headers, body)?, known)
}

/// The values of the parameters a procedure knows, by name.
#[derive(Default)]
pub struct FormFields(HashMap<&'static str, String>);

impl FormFields {
    /// Takes a parameter's value out (`None` when it was not sent).
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// A parameter's value, left in place.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The parameters of a request about one token (RFC 7009 §2.1, RFC 7662 §2.1), the client's
/// own credentials included.
pub(crate) const TOKEN_PARAMETERS: [&str; 4] =
    ["token", "token_type_hint", "client_id", "client_secret"];

/// The `token` of a revocation or introspection request. `token_type_hint` is read and
/// ignored: both kinds of token are told apart by their shape, so the hint changes nothing.
pub(super) fn take_token(fields: &mut FormFields) -> Result<String, ApiError> {
    let _hint = fields.take("token_type_hint");
    fields
        .take("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::invalid_request("missing required field: token"))
}

/// Decodes a urlencoded body, keeping the parameters named in `known` and ignoring the rest
/// (RFC 6749 §3.2). A known parameter sent twice is an error (§3.1).
pub fn parse_urlencoded(body: &[u8], known: &[&'static str]) -> Result<FormFields, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::body_too_large(MAX_BODY_BYTES));
    }
    if std::str::from_utf8(body).is_err() {
        return Err(ApiError::invalid_request("request body is not valid UTF-8"));
    }
    let mut fields = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        let Some(name) = known.iter().copied().find(|k| *k == name) else {
            continue;
        };
        if fields.insert(name, value.into_owned()).is_some() {
            return Err(ApiError::invalid_request(format!(
                "unreadable form body: duplicate field `{name}`"
            )));
        }
    }
    Ok(FormFields(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const KNOWN: &[&str] = &["username", "password", "scope"];

    fn content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn form_content_type_detection() {
        for ok in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        ] {
            assert!(is_form_urlencoded(&content_type(ok)), "{ok}");
        }
        for bad in [
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
        ] {
            assert!(!is_form_urlencoded(&content_type(bad)), "{bad}");
        }
        assert!(!is_form_urlencoded(&HeaderMap::new()));
    }

    #[test]
    fn the_content_type_is_checked_before_the_body() {
        let err = form_body(&HeaderMap::new(), Ok(Bytes::from_static(b"x"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Content-Type must be application/x-www-form-urlencoded"
        );
        let form = content_type("application/x-www-form-urlencoded");
        assert_eq!(
            form_body(&form, Ok(Bytes::from_static(b"a=b"))).unwrap(),
            Bytes::from_static(b"a=b")
        );
    }

    #[test]
    fn decodes_known_fields_and_ignores_others() {
        let mut fields =
            parse_urlencoded(b"username=john%20doe&other=1&other=2&scope=me+items", KNOWN).unwrap();
        assert_eq!(fields.take("username").as_deref(), Some("john doe"));
        assert_eq!(fields.take("scope").as_deref(), Some("me items"));
        assert_eq!(fields.take("password"), None);
        assert_eq!(fields.take("other"), None);
    }

    #[test]
    fn a_name_without_a_value_is_empty() {
        let mut fields = parse_urlencoded(b"username&password=", KNOWN).unwrap();
        assert_eq!(fields.take("username").as_deref(), Some(""));
        assert_eq!(fields.take("password").as_deref(), Some(""));
    }

    #[test]
    fn refuses_repeats_bad_utf8_and_oversized_bodies() {
        let err = parse_urlencoded(b"username=a&username=b", KNOWN)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("duplicate field `username`"),
            "{err}"
        );
        let err = parse_urlencoded(b"username=\xff", KNOWN).err().unwrap();
        assert_eq!(err.to_string(), "request body is not valid UTF-8");
        let huge = vec![b'a'; MAX_BODY_BYTES + 1];
        let err = parse_urlencoded(&huge, KNOWN).err().unwrap();
        assert_eq!(err, ApiError::body_too_large(MAX_BODY_BYTES));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes at all: an answer, never a panic.
            #[test]
            fn any_body_is_parsed_or_refused(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = parse_urlencoded(&body, KNOWN);
            }

            /// What a client encodes is what the parser hands back, field by field; unknown
            /// fields are ignored.
            #[test]
            fn encoded_fields_round_trip(
                username in "\\PC{0,40}",
                password in "\\PC{0,40}",
                scope in proptest::option::of("\\PC{0,20}"),
                extra in "\\PC{0,20}",
            ) {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.append_pair("username", &username);
                form.append_pair("unknown", &extra);
                form.append_pair("password", &password);
                if let Some(scope) = &scope {
                    form.append_pair("scope", scope);
                }
                let body = form.finish();
                let mut fields = parse_urlencoded(body.as_bytes(), KNOWN).unwrap();
                prop_assert_eq!(fields.take("username"), Some(username));
                prop_assert_eq!(fields.take("password"), Some(password));
                prop_assert_eq!(fields.take("scope"), scope);
                prop_assert_eq!(fields.take("unknown"), None);
            }

            /// A known field twice is always refused, whatever the values.
            #[test]
            fn a_repeated_known_field_is_refused(a in "\\PC{0,20}", b in "\\PC{0,20}") {
                let mut form = form_urlencoded::Serializer::new(String::new());
                form.append_pair("scope", &a);
                form.append_pair("scope", &b);
                prop_assert!(parse_urlencoded(form.finish().as_bytes(), KNOWN).is_err());
            }
        }
    }
}
