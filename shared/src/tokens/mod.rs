//! JWT access tokens per RFC 9068, signed with HS256.
//!
//! Keys and the `Validation` are built once per process (cold start); verification pins the
//! algorithm, requires every claim, and checks `typ`, `iss`, `aud`, `exp` and `iat`. The time
//! is always a parameter: this module never reads a clock.

mod claims;
mod secret;

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, Username};

pub use claims::{AccessClaims, IssuedToken};
pub use secret::{ShortSecret, SigningSecret};

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Allowed clock difference when checking `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 5;
/// Longest `client_id` carried into a token.
pub const MAX_CLIENT_ID_LEN: usize = 128;

/// Why a presented token was refused. Callers answer all of these with `invalid_token`;
/// the variants exist for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token is malformed or has bad claims: {0}")]
    Malformed(String),
    #[error("token has the wrong type")]
    WrongType,
    #[error("token has the wrong issuer")]
    WrongIssuer,
    #[error("token has the wrong audience")]
    WrongAudience,
    #[error("token was issued in the future")]
    IssuedInFuture,
    #[error("token uses a disallowed algorithm")]
    WrongAlgorithm,
}

/// What every token says besides its subject and scopes: read from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    /// Lifetime of an access token.
    pub ttl: Duration,
}

/// Issues and verifies access tokens with one key and one fixed set of expectations.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    settings: TokenSettings,
}

impl TokenService {
    /// The one constructor: configuration's settings and the key it names.
    pub fn new(settings: &TokenSettings, secret: &SigningSecret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        // Times are checked below against the caller's `now`, not the library's wall clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            settings: settings.clone(),
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// Signs a token for `subject` carrying exactly `scope`, issued at `now`.
    pub fn issue(
        &self,
        subject: &Username,
        scope: &ScopeSet,
        client_id: Option<&str>,
        now: UnixSeconds,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        self.issue_with_ttl(subject, scope, client_id, now, self.settings.ttl)
    }

    /// [`Self::issue`] with another lifetime, for fixtures and operators.
    pub fn issue_with_ttl(
        &self,
        subject: &Username,
        scope: &ScopeSet,
        client_id: Option<&str>,
        issued_at: UnixSeconds,
        ttl: Duration,
    ) -> Result<IssuedToken, jsonwebtoken::errors::Error> {
        let claims = AccessClaims {
            iss: self.settings.issuer.clone(),
            sub: subject.clone(),
            aud: self.settings.audience.clone(),
            iat: issued_at,
            exp: issued_at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.clone(),
            client_id: client_id.map(str::to_owned),
        };
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYP.to_owned()),
            ..Header::new(Algorithm::HS256)
        };
        Ok(IssuedToken {
            access_token: encode(&header, &claims, &self.encoding)?,
            expires_in: ttl.as_secs(),
            scope: scope.clone(),
        })
    }

    /// Verifies signature, algorithm, type, issuer, audience, and the times against `now`;
    /// returns the claims.
    pub fn verify(&self, token: &str, now: UnixSeconds) -> Result<AccessClaims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let data =
            decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| match e
                .kind()
            {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
                other => TokenError::Malformed(format!("{other:?}")),
            })?;
        if data.claims.exp < now.saturating_sub(LEEWAY_SECONDS) {
            return Err(TokenError::Expired);
        }
        let typ_ok = data.header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
                || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if !typ_ok {
            return Err(TokenError::WrongType);
        }
        if data.claims.iat > now.saturating_add(LEEWAY_SECONDS) {
            return Err(TokenError::IssuedInFuture);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scope;

    const ISS: &str = "urn:test:issuer";
    const AUD: &str = "urn:test:api";
    /// The tests' "now": a fixed instant, so no result depends on the wall clock.
    const NOW: UnixSeconds = 1_800_000_000;

    fn service() -> TokenService {
        let settings = TokenSettings {
            issuer: ISS.into(),
            audience: AUD.into(),
            ttl: Duration::from_secs(1800),
        };
        TokenService::new(&settings, &SigningSecret::new(vec![7u8; 32]).unwrap())
    }

    fn johndoe() -> Username {
        Username::parse("johndoe").unwrap()
    }

    fn b64(json: &serde_json::Value) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
    }

    /// Signs arbitrary header and claims with HS256, to forge near-miss tokens.
    fn sign_raw(header: serde_json::Value, claims: serde_json::Value, key: &[u8]) -> String {
        let header: Header = serde_json::from_value(header).unwrap();
        encode(&header, &claims, &EncodingKey::from_secret(key)).unwrap()
    }

    fn good_claims() -> serde_json::Value {
        let now = NOW;
        serde_json::json!({
            "iss": ISS, "sub": "johndoe", "aud": AUD, "iat": now, "exp": now + 600,
            "jti": "1", "scope": "me"
        })
    }

    fn at_jwt_header() -> serde_json::Value {
        serde_json::json!({"alg": "HS256", "typ": "at+jwt"})
    }

    #[test]
    fn secrets_shorter_than_32_bytes_are_refused() {
        assert_eq!(
            SigningSecret::new(vec![1u8; 31]).unwrap_err(),
            ShortSecret(31)
        );
        assert!(SigningSecret::new(vec![1u8; 32]).is_ok());
        assert!(!format!("{:?}", SigningSecret::random()).contains('['));
    }

    #[test]
    fn issued_tokens_round_trip_with_rfc9068_header_and_claims() {
        let svc = service();
        let scope = ScopeSet::from([Scope::Me, Scope::Items]);
        let issued = svc.issue(&johndoe(), &scope, Some("cli"), NOW).unwrap();
        assert_eq!(issued.expires_in, 1800);
        let header = jsonwebtoken::decode_header(&issued.access_token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.alg, Algorithm::HS256);
        let claims = svc.verify(&issued.access_token, NOW).unwrap();
        assert_eq!(claims.sub, johndoe());
        assert_eq!(claims.scope, scope);
        assert_eq!(claims.iss, ISS);
        assert_eq!(claims.aud, AUD);
        assert_eq!(claims.exp - claims.iat, 1800);
        assert_eq!(claims.client_id.as_deref(), Some("cli"));
        assert_eq!(claims.jti.len(), 36);
        assert!(!format!("{issued:?}").contains(&issued.access_token));
    }

    #[test]
    fn each_token_gets_a_new_jti() {
        let svc = service();
        let a = svc
            .issue(&johndoe(), &ScopeSet::empty(), None, NOW)
            .unwrap();
        let b = svc
            .issue(&johndoe(), &ScopeSet::empty(), None, NOW)
            .unwrap();
        assert_ne!(
            svc.verify(&a.access_token, NOW).unwrap().jti,
            svc.verify(&b.access_token, NOW).unwrap().jti
        );
    }

    #[test]
    fn forged_token_with_good_shape_verifies() {
        // Sanity check of the forging helper, so the near misses below fail for their own reason.
        let token = sign_raw(at_jwt_header(), good_claims(), &[7u8; 32]);
        assert!(service().verify(&token, NOW).is_ok());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let svc = service();
        let old = svc
            .issue_with_ttl(
                &johndoe(),
                &ScopeSet::empty(),
                None,
                NOW - 7200,
                Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(svc.verify(&old.access_token, NOW), Err(TokenError::Expired));

        // Expiry is exact to the leeway, whatever the wall clock says.
        let token = svc
            .issue_with_ttl(
                &johndoe(),
                &ScopeSet::empty(),
                None,
                NOW,
                Duration::from_secs(60),
            )
            .unwrap()
            .access_token;
        assert!(svc.verify(&token, NOW + 60 + LEEWAY_SECONDS).is_ok());
        assert_eq!(
            svc.verify(&token, NOW + 61 + LEEWAY_SECONDS),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn other_keys_issuers_audiences_and_types_are_refused() {
        let svc = service();
        let wrong_key = sign_raw(at_jwt_header(), good_claims(), &[8u8; 32]);
        assert_eq!(svc.verify(&wrong_key, NOW), Err(TokenError::BadSignature));

        let mut claims = good_claims();
        claims["iss"] = "urn:someone:else".into();
        let token = sign_raw(at_jwt_header(), claims, &[7u8; 32]);
        assert_eq!(svc.verify(&token, NOW), Err(TokenError::WrongIssuer));

        let mut claims = good_claims();
        claims["aud"] = "urn:other:api".into();
        let token = sign_raw(at_jwt_header(), claims, &[7u8; 32]);
        assert_eq!(svc.verify(&token, NOW), Err(TokenError::WrongAudience));

        let plain_jwt = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let token = sign_raw(plain_jwt, good_claims(), &[7u8; 32]);
        assert_eq!(svc.verify(&token, NOW), Err(TokenError::WrongType));

        let no_typ = serde_json::json!({"alg": "HS256"});
        let token = sign_raw(no_typ, good_claims(), &[7u8; 32]);
        assert_eq!(svc.verify(&token, NOW), Err(TokenError::WrongType));
    }

    #[test]
    fn missing_claims_unknown_scopes_and_future_iat_are_refused() {
        let svc = service();
        for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "scope"] {
            let mut claims = good_claims();
            claims.as_object_mut().unwrap().remove(claim);
            let token = sign_raw(at_jwt_header(), claims, &[7u8; 32]);
            assert!(
                svc.verify(&token, NOW).is_err(),
                "accepted a token without {claim}"
            );
        }
        let mut claims = good_claims();
        claims["scope"] = "me admin".into();
        let token = sign_raw(at_jwt_header(), claims, &[7u8; 32]);
        assert!(matches!(
            svc.verify(&token, NOW),
            Err(TokenError::Malformed(_))
        ));

        let mut claims = good_claims();
        claims["iat"] = (NOW + 3600).into();
        claims["exp"] = (NOW + 7200).into();
        let token = sign_raw(at_jwt_header(), claims, &[7u8; 32]);
        assert_eq!(svc.verify(&token, NOW), Err(TokenError::IssuedInFuture));
    }

    #[test]
    fn none_and_other_algorithms_are_refused() {
        let svc = service();
        let header = b64(&serde_json::json!({"alg": "none", "typ": "at+jwt"}));
        let unsigned = format!("{header}.{}.", b64(&good_claims()));
        assert!(svc.verify(&unsigned, NOW).is_err());

        let hs512 = jsonwebtoken::encode(
            &Header {
                typ: Some("at+jwt".into()),
                ..Header::new(Algorithm::HS512)
            },
            &good_claims(),
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert_eq!(svc.verify(&hs512, NOW), Err(TokenError::WrongAlgorithm));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let svc = service();
        for junk in [
            "",
            "a",
            "a.b",
            "a.b.c",
            "....",
            "\u{0}\u{1}",
            &"x".repeat(20_000),
        ] {
            assert!(svc.verify(junk, NOW).is_err(), "{junk:?}");
        }
    }
}
