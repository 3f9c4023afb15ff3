//! Properties of issuing and verifying over generated inputs.

use super::*;
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

/// One published key for every case: RSA key generation is slow.
fn shared() -> &'static Rs256 {
    static SHARED: OnceLock<Rs256> = OnceLock::new();
    SHARED.get_or_init(|| block_on(rs256()))
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

proptest! {
    /// Whatever is presented, verification answers, never panics.
    #[test]
    fn verify_never_panics(token in "\\PC{0,600}") {
        let _ = block_on(shared().verifier.verify(&token, ISS, NOW));
    }

    /// Near-JWT shapes: three base64url-ish parts.
    #[test]
    fn verify_never_panics_on_jws_shapes(
        a in "[A-Za-z0-9_-]{0,120}",
        b in "[A-Za-z0-9_-]{0,200}",
        c in "[A-Za-z0-9_-]{0,400}",
    ) {
        let token = format!("{a}.{b}.{c}");
        prop_assert!(block_on(shared().verifier.verify(&token, ISS, NOW)).is_err());
    }

    /// Issue then verify gives back exactly what was issued.
    #[test]
    fn issue_then_verify_returns_the_same_claims(
        subject in "[A-Za-z0-9._@+-]{1,64}",
        me in any::<bool>(),
        items in any::<bool>(),
        client_id in proptest::option::of("[!-~]{1,128}"),
        ago in 0i64..1800,
    ) {
        let t = shared();
        let subject = Username::parse(&subject).unwrap();
        let scope: ScopeSet = [(me, Scope::Me), (items, Scope::Items)]
            .into_iter()
            .filter_map(|(on, scope)| on.then_some(scope))
            .collect();
        let issued_at = NOW - ago;
        let issued = block_on(t.issuer.issue(
            ISS,
            &subject,
            &scope,
            client_id.as_deref(),
            issued_at,
        ))
        .unwrap();
        let claims = block_on(t.verifier.verify(&issued.access_token, ISS, NOW)).unwrap();
        prop_assert_eq!(claims.subject(), Ok(crate::tokens::TokenSubject::User(subject)));
        prop_assert_eq!(claims.scope, scope);
        prop_assert_eq!(claims.client_id, client_id);
        prop_assert_eq!(claims.iat, issued_at);
        prop_assert_eq!(claims.exp, issued_at + 1800);
        prop_assert_eq!(claims.iss, ISS);
    }
}

/// A header parameter: mostly `right`, else left out or one of a few values (wrong, or of the
/// wrong type), so that near misses and tokens that pass both come up.
fn parameter(
    right: serde_json::Value,
    others: Vec<serde_json::Value>,
) -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        3 => Just(Some(right)),
        1 => proptest::option::of(proptest::sample::select(others)),
    ]
}

/// The verifier's answer beside `jsonwebtoken::decode`'s, configured as the verifier was
/// before it read tokens itself: whatever the header, claims or a flipped byte, both accept or
/// both refuse.
fn same_answer_as_jsonwebtoken(token: &str) -> Result<(), TestCaseError> {
    let t = shared();
    let ours = block_on(t.verifier.verify(token, ISS, NOW));
    let public = t.signer.public_key().to_jwk();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(&public.n, &public.e).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_audience(&[AUD]);
    validation.set_issuer(&[ISS]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let theirs = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation);
    let refused_header = ["crit", "jku", "x5u", "jwk", "x5c"].iter().any(|name| {
        token
            .split('.')
            .next()
            .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
            .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
            .is_some_and(|h| h.get(name).is_some())
    });
    if refused_header {
        prop_assert!(ours.is_err(), "accepted a refused header parameter");
    }
    match (&ours, &theirs) {
        (Ok(claims), Ok(data)) => prop_assert_eq!(claims, &data.claims),
        (Err(_), Err(_)) => {}
        // What `decode` was never asked to check: `typ` and the times.
        (
            Err(VerifyError::Invalid(
                TokenError::WrongType
                | TokenError::Expired
                | TokenError::IssuedInFuture
                | TokenError::NotYetValid
                | TokenError::TooLongLived,
            )),
            Ok(_),
        ) => {}
        (Err(VerifyError::Invalid(TokenError::UnsupportedHeader(_))), Ok(_)) => {
            prop_assert!(refused_header)
        }
        (Err(VerifyError::Invalid(TokenError::UnknownKey)), Ok(data)) => {
            prop_assert!(data.header.kid.as_deref() != Some(t.signer.kid().as_str()))
        }
        _ => prop_assert!(false, "verifier {ours:?}, jsonwebtoken {theirs:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Forged headers and claims, signed with the published key, then maybe one byte changed.
    #[test]
    fn the_verifier_answers_as_jsonwebtoken_did(
        alg in parameter(json!("RS256"), vec![json!("HS256"), json!("RS512"), json!("none"), json!(256)]),
        typ in parameter(json!("at+jwt"), vec![json!("JWT"), json!("AT+JWT"), json!(null)]),
        right_kid in proptest::bool::weighted(0.8),
        extra in proptest::option::weighted(0.3, proptest::sample::select(vec![json!(["exp"]), json!(null), json!({"a": [1]}), json!("text")])),
        extra_name in proptest::sample::select(&[
            "crit", "jku", "jwk", "x5c", "x5u", "cty", "zip", "enc", "x5t", "x5t#S256", "url",
            "nonce", "other",
        ][..]),
        claims in proptest::collection::vec(
            (
                proptest::sample::select(&["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "scope", "other"][..]),
                proptest::option::of(proptest::sample::select(vec![
                    json!(ISS), json!(AUD), json!("johndoe"), json!(NOW), json!(NOW + 600),
                    json!("me"), json!(null), json!([AUD]), json!("x"), json!(1.5), json!(-1), json!(u64::MAX),
                ])),
            ),
            0..3,
        ),
        flip in proptest::option::weighted(0.3, (any::<proptest::sample::Index>(), 0u8..64)),
    ) {
        let t = shared();
        let mut header = serde_json::Map::new();
        if let Some(alg) = alg {
            header.insert("alg".into(), alg);
        }
        if let Some(typ) = typ {
            header.insert("typ".into(), typ);
        }
        let kid = if right_kid { t.signer.kid().as_str().to_owned() } else { "other".into() };
        header.insert("kid".into(), json!(kid));
        if let Some(extra) = extra {
            header.insert(extra_name.into(), extra);
        }
        let mut body = good_claims();
        for (claim, value) in claims {
            match value {
                Some(value) => body[claim] = value,
                None => {
                    body.as_object_mut().unwrap().remove(claim);
                }
            }
        }
        let mut token = block_on(forge(header.into(), body, t.signer.as_ref())).into_bytes();
        if let Some((at, to)) = flip {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let at = at.index(token.len());
            token[at] = alphabet[usize::from(to)];
        }
        same_answer_as_jsonwebtoken(std::str::from_utf8(&token).unwrap())?;
    }
}
