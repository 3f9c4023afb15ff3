//! Tokens the verifier must refuse: other keys, issuers, audiences and types; missing or
//! bent claims; algorithm switches; garbage.

use super::*;

#[tokio::test]
async fn other_keys_issuers_audiences_and_types_are_refused() {
    let t = rs256().await;
    let stranger = LocalRsaSigner::generate().unwrap();
    // A key nobody published: its kid is unknown.
    let token = forge(header_for(&stranger), good_claims(), &stranger).await;
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::UnknownKey
    );
    // The published kid, signed by someone else's key.
    let token = forge(header_for(&t.signer), good_claims(), &stranger).await;
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::BadSignature
    );
    // No kid at all.
    let no_kid = serde_json::json!({"alg": "RS256", "typ": "at+jwt"});
    let token = forge(no_kid, good_claims(), t.signer.as_ref()).await;
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::UnknownKey
    );

    for (claim, value, error) in [
        ("iss", "https://someone.else", TokenError::WrongIssuer),
        ("aud", "urn:other:api", TokenError::WrongAudience),
    ] {
        let mut claims = good_claims();
        claims[claim] = value.into();
        let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
        assert_eq!(invalid(t.verifier.verify(&token, ISS, NOW).await), error);
    }

    let kid = t.signer.kid();
    for header in [
        serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid.as_str()}),
        serde_json::json!({"alg": "RS256", "kid": kid.as_str()}),
    ] {
        let token = forge(header, good_claims(), t.signer.as_ref()).await;
        assert_eq!(
            invalid(t.verifier.verify(&token, ISS, NOW).await),
            TokenError::WrongType
        );
    }
}

#[tokio::test]
async fn missing_claims_unknown_scopes_and_future_iat_are_refused() {
    let t = rs256().await;
    for claim in ["iss", "aud", "sub", "exp", "iat", "jti"] {
        let mut claims = good_claims();
        claims.as_object_mut().unwrap().remove(claim);
        let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
        assert!(
            t.verifier.verify(&token, ISS, NOW).await.is_err(),
            "accepted a token without {claim}"
        );
    }
    // `scope` alone may be missing: a token granted nothing carries none (RFC 6749 §3.3 has
    // no empty scope), and it grants nothing.
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("scope");
    let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
    let verified = t.verifier.verify(&token, ISS, NOW).await.unwrap();
    assert!(verified.scope.is_empty());

    let mut claims = good_claims();
    claims["scope"] = "me admin".into();
    let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
    assert!(matches!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::Malformed(_)
    ));

    let mut claims = good_claims();
    claims["iat"] = (NOW + 3600).into();
    claims["exp"] = (NOW + 7200).into();
    let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::IssuedInFuture
    );
}

#[tokio::test]
async fn none_hmac_confusion_and_other_algorithms_are_refused() {
    let t = rs256().await;
    let kid = t.signer.kid();
    let header = b64(&serde_json::json!({"alg": "none", "typ": "at+jwt", "kid": kid.as_str()}));
    let unsigned = format!("{header}.{}.", b64(&good_claims()));
    assert!(t.verifier.verify(&unsigned, ISS, NOW).await.is_err());

    // HS256 "signed" with the public key's bytes: the classic algorithm confusion.
    let public = t.signer.public_key().to_jwk();
    let secret = SigningSecret::new(public.n.clone().into_bytes()).unwrap();
    let hs = Hs256Signer::new(&secret);
    let header = serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid.as_str()});
    let token = forge(header, good_claims(), &hs).await;
    assert_eq!(
        invalid(t.verifier.verify(&token, ISS, NOW).await),
        TokenError::WrongAlgorithm
    );

    for alg in ["RS512", "PS256", "ES256"] {
        let header = serde_json::json!({"alg": alg, "typ": "at+jwt", "kid": kid.as_str()});
        let token = forge(header, good_claims(), t.signer.as_ref()).await;
        assert_eq!(
            invalid(t.verifier.verify(&token, ISS, NOW).await),
            TokenError::WrongAlgorithm,
            "{alg}"
        );
    }
}

#[tokio::test]
async fn garbage_is_malformed_not_a_panic() {
    let t = rs256().await;
    // JSON nested far deeper than any parser should recurse, in the header and the payload.
    let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let deep = URL_SAFE_NO_PAD.encode(deep);
    let header = b64(&header_for(&t.signer));
    let claims = b64(&good_claims());
    let deep_header = format!("{deep}.{claims}.sig");
    let deep_payload = format!("{header}.{deep}.sig");
    for junk in [
        "",
        "a",
        "a.b",
        "a.b.c",
        "....",
        "a.b.c.d",
        "\u{0}\u{1}",
        &"x".repeat(20_000),
        &deep_header,
        &deep_payload,
    ] {
        assert!(
            matches!(
                t.verifier.verify(junk, ISS, NOW).await,
                Err(VerifyError::Invalid(_))
            ),
            "{junk:?}"
        );
    }
}
