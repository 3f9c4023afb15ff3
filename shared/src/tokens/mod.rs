//! JWT access tokens per RFC 9068: issued by the token function through a [`Signer`],
//! verified everywhere with public keys only.
//!
//! Every token carries a `kid`. A verifier pins the algorithm (RS256, or HS256 only in the
//! explicit local opt-in), finds the key by `kid` in the published key set, requires every
//! claim, and checks `typ`, `iss`, `aud`, `exp` and `iat`. The time is always a parameter:
//! this module never reads a clock.

mod claims;
mod secret;
pub mod signer;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Serialize;

use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, Username};
use crate::keys::{KeyId, KeySetCache};

pub use claims::{AccessClaims, IssuedToken};
pub use secret::{ShortSecret, SigningSecret};
pub use signer::{Hs256Signer, KmsSigner, LocalRsaSigner, SignError, Signer};

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Allowed clock difference when checking `exp` and `iat`.
pub const LEEWAY_SECONDS: i64 = 5;
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
    #[error("token names no key, or a key that is not published")]
    UnknownKey,
    #[error("token is not valid yet (nbf)")]
    NotYetValid,
    #[error("token lives longer than any this service issues")]
    TooLongLived,
    #[error("token header carries `{0}`, which this service does not accept")]
    UnsupportedHeader(String),
}

/// Header parameters a token must not carry: `crit` names extensions the verifier would have
/// to understand (RFC 7515 §4.1.11: it understands none), and `jku`, `x5u`, `jwk` and `x5c`
/// would have it take keys from the token itself. Keys come from the published set only.
const REFUSED_HEADER_PARAMETERS: [&str; 5] = ["crit", "jku", "x5u", "jwk", "x5c"];

/// A token that could not be checked is not a bad token: the key set could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Invalid(#[from] TokenError),
    #[error("the key set is unavailable: {0}")]
    Unavailable(String),
}

/// Who the tokens say issued them (`iss`), and the base URL of the discovery documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerUrl {
    /// Configured (a custom domain deployed, or a local URL).
    Fixed(String),
    /// `https://` and the domain API Gateway received the request on. Deployed without a
    /// custom domain, the functions cannot be told the API's own URL: the template would
    /// refer to the API from the functions and to the functions from the API.
    FromApiDomain,
}

impl IssuerUrl {
    /// The issuer of a request that arrived on `api_domain` (when known).
    pub fn resolve(&self, api_domain: Option<&str>) -> Option<String> {
        match self {
            IssuerUrl::Fixed(url) => Some(url.clone()),
            IssuerUrl::FromApiDomain => api_domain
                .filter(|d| !d.is_empty())
                .map(|domain| format!("https://{domain}")),
        }
    }
}

/// What every token says besides its subject and scopes: read from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    pub issuer: IssuerUrl,
    pub audience: String,
    /// Lifetime of an access token.
    pub ttl: Duration,
    /// The longest `exp - iat` a verifier accepts: what the service issues, deployed. `None`
    /// locally, where fixtures (the sample events) carry long-lived tokens.
    pub max_lifetime: Option<Duration>,
}

/// The JOSE header of an access token.
#[derive(Serialize)]
struct JoseHeader<'a> {
    alg: Algorithm,
    typ: &'a str,
    kid: &'a str,
}

/// What an access token grants: to whom, which scopes, through which client, in which
/// session, at which of the user's token versions.
#[derive(Debug, Clone, Copy)]
pub struct AccessGrant<'a> {
    pub subject: &'a Username,
    pub scope: &'a ScopeSet,
    pub client_id: Option<&'a str>,
    pub session: Option<&'a str>,
    pub token_version: u64,
}

/// Signs access tokens. Only the token function has one.
pub struct TokenIssuer {
    settings: TokenSettings,
    signer: Arc<dyn Signer>,
}

impl TokenIssuer {
    pub fn new(settings: &TokenSettings, signer: Arc<dyn Signer>) -> Self {
        Self {
            settings: settings.clone(),
            signer,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// Signs a token from `issuer` for `subject` carrying exactly `scope`, issued at `now`.
    pub async fn issue(
        &self,
        issuer: &str,
        subject: &Username,
        scope: &ScopeSet,
        client_id: Option<&str>,
        now: UnixSeconds,
    ) -> Result<IssuedToken, SignError> {
        self.issue_with_ttl(issuer, subject, scope, client_id, now, self.settings.ttl)
            .await
    }

    /// A token of a session: what the token endpoint issues.
    pub async fn issue_grant(
        &self,
        issuer: &str,
        grant: &AccessGrant<'_>,
        now: UnixSeconds,
    ) -> Result<IssuedToken, SignError> {
        self.sign(issuer, grant, now, self.settings.ttl).await
    }

    /// [`Self::issue`] with another lifetime, for fixtures and operators.
    pub async fn issue_with_ttl(
        &self,
        issuer: &str,
        subject: &Username,
        scope: &ScopeSet,
        client_id: Option<&str>,
        issued_at: UnixSeconds,
        ttl: Duration,
    ) -> Result<IssuedToken, SignError> {
        let grant = AccessGrant {
            subject,
            scope,
            client_id,
            session: None,
            token_version: 0,
        };
        self.sign(issuer, &grant, issued_at, ttl).await
    }

    async fn sign(
        &self,
        issuer: &str,
        grant: &AccessGrant<'_>,
        issued_at: UnixSeconds,
        ttl: Duration,
    ) -> Result<IssuedToken, SignError> {
        let AccessGrant {
            subject,
            scope,
            client_id,
            session,
            token_version,
        } = *grant;
        let claims = AccessClaims {
            iss: issuer.to_owned(),
            sub: subject.clone(),
            aud: self.settings.audience.clone(),
            iat: issued_at,
            nbf: None,
            exp: issued_at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.clone(),
            client_id: client_id.map(str::to_owned),
            sid: session.map(str::to_owned),
            token_version,
        };
        let key = self.signer.signing_key(issued_at).await?;
        let header = JoseHeader {
            alg: key.alg,
            typ: ACCESS_TOKEN_TYP,
            kid: key.kid.as_str(),
        };
        let mut token = signing_input(&header, &claims);
        if key.alg == Algorithm::RS256 && token.len() > signer::KMS_MAX_MESSAGE_BYTES {
            // Checked for every RS256 signer, so a token that works locally works deployed.
            return Err(SignError::MessageTooLong(token.len()));
        }
        let signature = self.signer.sign(&key, token.as_bytes()).await?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(IssuedToken {
            access_token: token,
            expires_in: ttl.as_secs(),
            scope: scope.clone(),
        })
    }
}

/// Checks the shape of a compact JWS before anything else reads it: three base64url parts,
/// a header and a payload that are JSON objects nested at most 128 levels (serde_json's limit
/// on a `Value`: deeper is an error, never a deep recursion; `jsonwebtoken` alone would skip
/// over unknown claims of any depth), and no header parameter in
/// [`REFUSED_HEADER_PARAMETERS`] (`jsonwebtoken` would ignore them).
fn check_structure(token: &str) -> Result<(), TokenError> {
    type Object = serde_json::Map<String, serde_json::Value>;
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three parts".into()));
    };
    let object = |part: &str, name: &str| -> Result<Object, TokenError> {
        let json = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(format!("{name} is not base64url")))?;
        serde_json::from_slice(&json)
            .map_err(|_| TokenError::Malformed(format!("{name} is not a JSON object")))
    };
    let header = object(header, "header")?;
    object(payload, "payload")?;
    match REFUSED_HEADER_PARAMETERS
        .iter()
        .find(|name| header.contains_key(**name))
    {
        Some(name) => Err(TokenError::UnsupportedHeader((*name).to_owned())),
        None => Ok(()),
    }
}

/// `BASE64URL(header) . BASE64URL(claims)` (RFC 7515 §5.1).
fn signing_input(header: &impl Serialize, claims: &impl Serialize) -> String {
    let encode = |json: serde_json::Result<Vec<u8>>| {
        URL_SAFE_NO_PAD.encode(json.expect("headers and claims serialise"))
    };
    format!(
        "{}.{}",
        encode(serde_json::to_vec(header)),
        encode(serde_json::to_vec(claims))
    )
}

/// The keys a verifier checks signatures with.
pub enum VerificationKeys {
    /// RS256 keys of the published key set, found by `kid`.
    Published(Arc<KeySetCache>),
    /// The HS256 local opt-in's shared secret.
    SharedSecret(DecodingKey),
}

/// Verifies access tokens. Holds public keys only (or, in the HS256 opt-in, the secret).
pub struct TokenVerifier {
    settings: TokenSettings,
    keys: VerificationKeys,
    validation: Validation,
}

impl TokenVerifier {
    /// RS256 with the keys of the published set.
    pub fn published(settings: &TokenSettings, keys: Arc<KeySetCache>) -> Self {
        Self::new(
            settings,
            VerificationKeys::Published(keys),
            Algorithm::RS256,
        )
    }

    /// HS256 with a shared secret: the explicit local opt-in.
    pub fn shared_secret(settings: &TokenSettings, secret: &SigningSecret) -> Self {
        Self::new(
            settings,
            VerificationKeys::SharedSecret(DecodingKey::from_secret(secret.expose())),
            Algorithm::HS256,
        )
    }

    fn new(settings: &TokenSettings, keys: VerificationKeys, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[&settings.audience]);
        // Times are checked below against the caller's `now`, not the library's wall clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            settings: settings.clone(),
            keys,
            validation,
        }
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The one algorithm this verifier accepts (RS256, or HS256 in the local opt-in).
    pub fn algorithm(&self) -> Algorithm {
        self.validation.algorithms[0]
    }

    /// Verifies algorithm, key, signature, type, `issuer`, audience, and the times against
    /// `now`; returns the claims.
    pub async fn verify(
        &self,
        token: &str,
        issuer: &str,
        now: UnixSeconds,
    ) -> Result<AccessClaims, VerifyError> {
        self.check(token, issuer, now, true).await
    }

    /// [`Self::verify`] without the expiry: a token presented for revocation (RFC 7009) may
    /// have expired, and still names a session to end.
    pub async fn verify_ignoring_expiry(
        &self,
        token: &str,
        issuer: &str,
        now: UnixSeconds,
    ) -> Result<AccessClaims, VerifyError> {
        self.check(token, issuer, now, false).await
    }

    async fn check(
        &self,
        token: &str,
        issuer: &str,
        now: UnixSeconds,
        expiry: bool,
    ) -> Result<AccessClaims, VerifyError> {
        use jsonwebtoken::errors::ErrorKind;
        check_structure(token)?;
        let header =
            decode_header(token).map_err(|e| TokenError::Malformed(format!("{:?}", e.kind())))?;
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(TokenError::WrongAlgorithm.into());
        }
        let key = match &self.keys {
            VerificationKeys::SharedSecret(key) => key.clone(),
            VerificationKeys::Published(keys) => {
                let kid = header.kid.as_deref().ok_or(TokenError::UnknownKey)?;
                let record = keys
                    .find(&KeyId::new(kid), now)
                    .await
                    .map_err(|e| VerifyError::Unavailable(e.to_string()))?
                    .ok_or(TokenError::UnknownKey)?;
                record
                    .public_key()
                    .map_err(|e| VerifyError::Unavailable(format!("published key {kid}: {e}")))?
                    .decoding_key()
            }
        };
        let mut validation = self.validation.clone();
        validation.set_issuer(&[issuer]);
        let data =
            decode::<AccessClaims>(token, &key, &validation).map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
                other => TokenError::Malformed(format!("{other:?}")),
            })?;
        if expiry && data.claims.exp < now.saturating_sub(LEEWAY_SECONDS) {
            return Err(TokenError::Expired.into());
        }
        let typ_ok = data.header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
                || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if !typ_ok {
            return Err(TokenError::WrongType.into());
        }
        if data.claims.iat > now.saturating_add(LEEWAY_SECONDS) {
            return Err(TokenError::IssuedInFuture.into());
        }
        if data
            .claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECONDS))
        {
            return Err(TokenError::NotYetValid.into());
        }
        if let Some(max) = self.settings.max_lifetime {
            let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
            if data.claims.exp.saturating_sub(data.claims.iat) > max.saturating_add(LEEWAY_SECONDS)
            {
                return Err(TokenError::TooLongLived.into());
            }
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Scope;
    use crate::keys::store::MemoryKeySetStore;
    use crate::keys::{CachePolicy, KeySetStore as _};

    const ISS: &str = "https://issuer.test";
    const AUD: &str = "urn:test:api";
    /// The tests' "now": a fixed instant, so no result depends on the wall clock.
    const NOW: UnixSeconds = 1_800_000_000;

    fn settings() -> TokenSettings {
        TokenSettings {
            issuer: IssuerUrl::Fixed(ISS.into()),
            audience: AUD.into(),
            ttl: Duration::from_secs(1800),
            max_lifetime: Some(Duration::from_secs(1800)),
        }
    }

    struct Rs256 {
        issuer: TokenIssuer,
        verifier: TokenVerifier,
        signer: Arc<LocalRsaSigner>,
        keys: Arc<KeySetCache>,
        store: Arc<MemoryKeySetStore>,
    }

    /// An issuer with a local key published in a memory key set, and a verifier of that set.
    async fn rs256() -> Rs256 {
        let store = Arc::new(MemoryKeySetStore::new());
        let keys = Arc::new(KeySetCache::new(store.clone(), CachePolicy::default()));
        let signer = Arc::new(LocalRsaSigner::generate().unwrap());
        signer.publish(&keys, NOW, 1860).await.unwrap();
        Rs256 {
            issuer: TokenIssuer::new(&settings(), signer.clone()),
            verifier: TokenVerifier::published(&settings(), keys.clone()),
            signer,
            keys,
            store,
        }
    }

    fn johndoe() -> Username {
        Username::parse("johndoe").unwrap()
    }

    fn b64(json: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
    }

    /// Signs arbitrary header and claims with `signer`, to forge near-miss tokens.
    async fn forge(
        header: serde_json::Value,
        claims: serde_json::Value,
        signer: &dyn Signer,
    ) -> String {
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let key = signer.signing_key(NOW).await.unwrap();
        let signature = signer.sign(&key, input.as_bytes()).await.unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn good_claims() -> serde_json::Value {
        serde_json::json!({
            "iss": ISS, "sub": "johndoe", "aud": AUD, "iat": NOW, "exp": NOW + 600,
            "jti": "1", "scope": "me"
        })
    }

    fn header_for(signer: &LocalRsaSigner) -> serde_json::Value {
        serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": signer.kid().as_str()})
    }

    fn invalid(result: Result<AccessClaims, VerifyError>) -> TokenError {
        match result {
            Err(VerifyError::Invalid(err)) => err,
            other => panic!("expected an invalid token, got {other:?}"),
        }
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

    #[tokio::test]
    async fn issued_tokens_round_trip_with_rfc9068_header_claims_and_kid() {
        let t = rs256().await;
        let scope = ScopeSet::from([Scope::Me, Scope::Items]);
        let issued = t
            .issuer
            .issue(ISS, &johndoe(), &scope, Some("cli"), NOW)
            .await
            .unwrap();
        assert_eq!(issued.expires_in, 1800);
        let header = jsonwebtoken::decode_header(&issued.access_token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(t.signer.kid().as_str()));
        let claims = t
            .verifier
            .verify(&issued.access_token, ISS, NOW)
            .await
            .unwrap();
        assert_eq!(claims.sub, johndoe());
        assert_eq!(claims.scope, scope);
        assert_eq!(claims.iss, ISS);
        assert_eq!(claims.aud, AUD);
        assert_eq!(claims.exp - claims.iat, 1800);
        assert_eq!(claims.client_id.as_deref(), Some("cli"));
        assert_eq!(claims.jti.len(), 36);
        assert!(!format!("{issued:?}").contains(&issued.access_token));
    }

    #[tokio::test]
    async fn each_token_gets_a_new_jti() {
        let t = rs256().await;
        let a = t
            .issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap();
        let b = t
            .issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap();
        assert_ne!(
            t.verifier
                .verify(&a.access_token, ISS, NOW)
                .await
                .unwrap()
                .jti,
            t.verifier
                .verify(&b.access_token, ISS, NOW)
                .await
                .unwrap()
                .jti
        );
    }

    #[tokio::test]
    async fn forged_token_with_good_shape_verifies() {
        // Sanity check of the forging helper, so the near misses below fail for their own reason.
        let t = rs256().await;
        let token = forge(header_for(&t.signer), good_claims(), t.signer.as_ref()).await;
        assert!(t.verifier.verify(&token, ISS, NOW).await.is_ok());
    }

    #[tokio::test]
    async fn expired_tokens_are_refused() {
        let t = rs256().await;
        let sixty = Duration::from_secs(60);
        let old = t
            .issuer
            .issue_with_ttl(ISS, &johndoe(), &ScopeSet::empty(), None, NOW - 7200, sixty)
            .await
            .unwrap();
        assert_eq!(
            invalid(t.verifier.verify(&old.access_token, ISS, NOW).await),
            TokenError::Expired
        );

        // Expiry is exact to the leeway, whatever the wall clock says.
        let token = t
            .issuer
            .issue_with_ttl(ISS, &johndoe(), &ScopeSet::empty(), None, NOW, sixty)
            .await
            .unwrap()
            .access_token;
        assert!(t
            .verifier
            .verify(&token, ISS, NOW + 60 + LEEWAY_SECONDS)
            .await
            .is_ok());
        assert_eq!(
            invalid(
                t.verifier
                    .verify(&token, ISS, NOW + 61 + LEEWAY_SECONDS)
                    .await
            ),
            TokenError::Expired
        );
    }

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
        for claim in ["iss", "aud", "sub", "exp", "iat", "jti", "scope"] {
            let mut claims = good_claims();
            claims.as_object_mut().unwrap().remove(claim);
            let token = forge(header_for(&t.signer), claims, t.signer.as_ref()).await;
            assert!(
                t.verifier.verify(&token, ISS, NOW).await.is_err(),
                "accepted a token without {claim}"
            );
        }
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
    async fn tokens_of_a_key_that_left_the_set_are_refused() {
        let t = rs256().await;
        let token = t
            .issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap()
            .access_token;
        let mut set = t.store.load().await.unwrap();
        set.retire(&t.signer.kid(), NOW + 1, 0, true, true).unwrap();
        t.store.save(&set).await.unwrap();
        // The verifier sees the retirement at its next read of the set.
        assert!(
            t.verifier.verify(&token, ISS, NOW + 1).await.is_ok(),
            "cached set"
        );
        t.keys.reload(NOW + 2).await.unwrap();
        assert_eq!(
            invalid(t.verifier.verify(&token, ISS, NOW + 2).await),
            TokenError::UnknownKey
        );
    }

    #[tokio::test]
    async fn hs256_is_a_separate_opt_in() {
        let secret = SigningSecret::new(vec![7u8; 32]).unwrap();
        let issuer = TokenIssuer::new(&settings(), Arc::new(Hs256Signer::new(&secret)));
        let verifier = TokenVerifier::shared_secret(&settings(), &secret);
        let token = issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap()
            .access_token;
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid.as_deref(), Some(signer::HS256_KID));
        assert!(verifier.verify(&token, ISS, NOW).await.is_ok());
        let other =
            TokenVerifier::shared_secret(&settings(), &SigningSecret::new(vec![8u8; 32]).unwrap());
        assert_eq!(
            invalid(other.verify(&token, ISS, NOW).await),
            TokenError::BadSignature
        );
        // Neither kind of verifier accepts the other's tokens.
        let t = rs256().await;
        assert_eq!(
            invalid(t.verifier.verify(&token, ISS, NOW).await),
            TokenError::WrongAlgorithm
        );
        let rs = t
            .issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap();
        assert_eq!(
            invalid(verifier.verify(&rs.access_token, ISS, NOW).await),
            TokenError::WrongAlgorithm
        );
    }

    #[tokio::test]
    async fn an_unreadable_key_set_is_unavailable_not_invalid() {
        struct Down;
        #[async_trait::async_trait]
        impl crate::keys::KeySetStore for Down {
            async fn load(&self) -> Result<crate::keys::KeySet, crate::keys::KeyStoreError> {
                Err(crate::keys::KeyStoreError::Unavailable("down".into()))
            }
            async fn save(
                &self,
                _: &crate::keys::KeySet,
            ) -> Result<u64, crate::keys::KeyStoreError> {
                Err(crate::keys::KeyStoreError::Unavailable("down".into()))
            }
        }
        let t = rs256().await;
        let token = t
            .issuer
            .issue(ISS, &johndoe(), &ScopeSet::empty(), None, NOW)
            .await
            .unwrap()
            .access_token;
        let verifier = TokenVerifier::published(
            &settings(),
            Arc::new(KeySetCache::new(Arc::new(Down), CachePolicy::default())),
        );
        assert!(matches!(
            verifier.verify(&token, ISS, NOW).await,
            Err(VerifyError::Unavailable(_))
        ));
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

    mod properties {
        use super::*;
        use proptest::prelude::*;
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
                prop_assert_eq!(claims.sub, subject);
                prop_assert_eq!(claims.scope, scope);
                prop_assert_eq!(claims.client_id, client_id);
                prop_assert_eq!(claims.iat, issued_at);
                prop_assert_eq!(claims.exp, issued_at + 1800);
                prop_assert_eq!(claims.iss, ISS);
            }
        }
    }
}
