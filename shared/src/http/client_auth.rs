//! The client's credentials as a request presents them (RFC 6749 §2.3.1): HTTP Basic
//! (`client_secret_basic`: id and secret each form-urlencoded, joined by `:`, base64) or the
//! form's `client_id` and `client_secret` (`client_secret_post`), or `client_id` alone. Read
//! our way, so that every malformed credential is an RFC `invalid_client`.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::alphabet::STANDARD as ALPHABET;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Base64 as Basic credentials arrive: padded or not (some client libraries leave it off).
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &ALPHABET,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

use super::form::FormFields;
use crate::clients::ClientSecret;
use crate::domain::ClientId;
use crate::error::ApiError;
use crate::oauth::{AuthMethod, PresentedClient};

/// The client a request presents, from its `Authorization: Basic` header and the form's
/// `client_id` and `client_secret` (taken out of `fields`). Empty form values count as
/// omitted. Other authorization schemes are not client credentials and are ignored.
pub fn presented_client(
    headers: &HeaderMap,
    fields: &mut FormFields,
) -> Result<PresentedClient, ApiError> {
    let form_id = fields.take("client_id").filter(|v| !v.is_empty());
    let form_secret = fields.take("client_secret").filter(|v| !v.is_empty());
    let basic = basic_credentials(headers)?;
    // A Basic failure is a 401 with a challenge (RFC 6749 §5.2).
    let basic_failure = |reason: &str| ApiError::invalid_client(reason, true);
    if let Some((id, secret)) = basic {
        if form_secret.is_some() {
            return Err(basic_failure("two client authentication methods at once"));
        }
        if form_id.as_deref().is_some_and(|form| form != id.as_str()) {
            return Err(basic_failure(
                "client_id differs from the Basic credentials",
            ));
        }
        return Ok(PresentedClient::WithSecret {
            id,
            secret,
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let id = match form_id {
        None if form_secret.is_some() => {
            return Err(ApiError::invalid_client(
                "client_secret without client_id",
                false,
            ))
        }
        None => return Ok(PresentedClient::Anonymous),
        Some(id) => ClientId::parse(&id).map_err(|e| ApiError::invalid_request(e.to_string()))?,
    };
    match form_secret {
        None => Ok(PresentedClient::Id(id)),
        Some(secret) => Ok(PresentedClient::WithSecret {
            id,
            secret: ClientSecret::parse(&secret)
                .map_err(|_| ApiError::invalid_client("client_secret too long", false))?,
            method: AuthMethod::ClientSecretPost,
        }),
    }
}

/// The id and secret of an `Authorization: Basic` header, `None` when there is none. A Basic
/// header that cannot be read is `invalid_client` (401).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(ClientId, ClientSecret)>, ApiError> {
    let refuse = |reason: &str| ApiError::invalid_client(reason, true);
    let mut basics = headers.get_all(AUTHORIZATION).iter().filter(|value| {
        value
            .as_bytes()
            .get(..6)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"basic "))
    });
    let Some(value) = basics.next() else {
        return Ok(None);
    };
    if basics.next().is_some() || headers.get_all(AUTHORIZATION).iter().count() > 1 {
        return Err(refuse("more than one Authorization header"));
    }
    let encoded = value
        .to_str()
        .map_err(|_| refuse("Basic credentials are not ASCII"))?[6..]
        .trim();
    let decoded = BASIC
        .decode(encoded)
        .map_err(|_| refuse("Basic credentials are not base64"))?;
    let text = String::from_utf8(decoded).map_err(|_| refuse("Basic credentials are not UTF-8"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| refuse("Basic credentials have no `:`"))?;
    // RFC 6749 §2.3.1: both halves are application/x-www-form-urlencoded.
    let (id, secret) = (form_decode(id), form_decode(secret));
    // Swagger UI's password flow sends `Basic Og==` (`:`) when no client is filled in: no
    // client named, as if there were no header.
    if id.is_empty() && secret.is_empty() {
        return Ok(None);
    }
    let id = ClientId::parse(&id).map_err(|_| refuse("Basic client id is not a client id"))?;
    if secret.is_empty() {
        return Err(refuse("Basic credentials without a secret"));
    }
    let secret = ClientSecret::parse(&secret).map_err(|_| refuse("client secret too long"))?;
    Ok(Some((id, secret)))
}

/// One form-urlencoded value decoded (`+` is a space, `%XX` a byte).
fn form_decode(value: &str) -> String {
    let pair = format!("v={value}");
    form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::form::parse_urlencoded;
    use axum::http::HeaderValue;

    const KNOWN: &[&str] = &["client_id", "client_secret"];

    fn present(authorization: &[&str], form: &str) -> Result<PresentedClient, ApiError> {
        let mut headers = HeaderMap::new();
        for value in authorization {
            headers.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        let mut fields = parse_urlencoded(form.as_bytes(), KNOWN).unwrap();
        presented_client(&headers, &mut fields)
    }

    fn basic(id: &str, secret: &str) -> String {
        let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                encode(id),
                encode(secret)
            ))
        )
    }

    fn is_invalid_client(result: Result<PresentedClient, ApiError>, challenge: bool) -> bool {
        matches!(result, Err(ApiError::InvalidClient { challenge: c, .. }) if c == challenge)
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let presented = present(&[&basic("svc:a/b", "s3cr%t+x")], "").unwrap();
        let PresentedClient::WithSecret { id, secret, method } = presented else {
            panic!("{presented:?}")
        };
        assert_eq!(id.as_str(), "svc:a/b");
        assert_eq!(secret.expose(), "s3cr%t+x");
        assert_eq!(method, AuthMethod::ClientSecretBasic);
        // The id has a space: not a client id.
        assert!(is_invalid_client(present(&[&basic("a b", "x")], ""), true));
    }

    #[test]
    fn the_form_names_public_and_post_clients() {
        assert!(matches!(present(&[], ""), Ok(PresentedClient::Anonymous)));
        assert!(matches!(
            present(&[], "client_id="),
            Ok(PresentedClient::Anonymous)
        ));
        assert!(matches!(
            present(&[], "client_id=app"),
            Ok(PresentedClient::Id(_))
        ));
        assert!(matches!(
            present(&[], "client_id=svc&client_secret=x"),
            Ok(PresentedClient::WithSecret {
                method: AuthMethod::ClientSecretPost,
                ..
            })
        ));
        assert!(matches!(
            present(&[], "client_id=has%20space"),
            Err(ApiError::InvalidRequest(_))
        ));
        // Bearer and other schemes are not client credentials.
        assert!(matches!(
            present(&["Bearer abc"], "client_id=app"),
            Ok(PresentedClient::Id(_))
        ));
    }

    #[test]
    fn bad_or_doubled_credentials_are_invalid_client() {
        assert!(is_invalid_client(present(&[], "client_secret=x"), false));
        let svc = basic("svc", "x");
        assert!(is_invalid_client(present(&[&svc], "client_secret=x"), true));
        assert!(is_invalid_client(present(&[&svc], "client_id=other"), true));
        assert!(present(&[&svc], "client_id=svc").is_ok());
        // Padding is optional: `svc:x` is `c3ZjOng=`.
        assert!(present(&["Basic c3ZjOng"], "").is_ok());
        for bad in [
            "Basic !!!",
            "Basic Zm9v",
            "basic ",
            "Basic /w==",
            &basic("svc", ""),
        ] {
            assert!(is_invalid_client(present(&[bad], ""), true), "{bad}");
        }
        assert!(is_invalid_client(present(&[&svc, &svc], ""), true));
        assert!(is_invalid_client(present(&[&basic("", "x")], ""), true));
        assert!(is_invalid_client(present(&[&svc, "Bearer x"], ""), true));
    }

    #[test]
    fn an_empty_basic_credential_names_no_client() {
        // What Swagger UI's password flow sends with no client filled in.
        assert!(matches!(
            present(&["Basic Og=="], ""),
            Ok(PresentedClient::Anonymous)
        ));
        assert!(matches!(
            present(&["Basic Og=="], "client_id=app"),
            Ok(PresentedClient::Id(_))
        ));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any header value: an answer, never a panic.
            #[test]
            fn any_authorization_value_is_handled(value in "[ -~]{0,200}") {
                let _ = present(&[&value], "");
                let _ = present(&[&format!("Basic {value}")], "client_id=x");
            }

            /// What a client library encodes is what comes out.
            #[test]
            fn basic_round_trips(id in "[!-~]{1,40}", secret in "\\PC{1,40}") {
                let presented = present(&[&basic(&id, &secret)], "").unwrap();
                let PresentedClient::WithSecret { id: got, secret: s, .. } = presented else {
                    panic!("not a secret");
                };
                prop_assert_eq!(got.as_str(), id.as_str());
                prop_assert_eq!(s.expose(), secret.as_str());
            }
        }
    }
}
