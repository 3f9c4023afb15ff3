//! The token issuer and verifier, with forged near misses.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;

use super::*;
use crate::clock::UnixSeconds;
use crate::domain::{Scope, ScopeSet, Username};
use crate::keys::store::MemoryKeySetStore;
use crate::keys::KeySetCache;
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
    assert_eq!(
        claims.subject(),
        Ok(crate::tokens::TokenSubject::User(johndoe()))
    );
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
        async fn save(&self, _: &crate::keys::KeySet) -> Result<u64, crate::keys::KeyStoreError> {
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

mod properties;
mod refusals;
mod verification_cache;
