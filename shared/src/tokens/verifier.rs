//! Verifying access tokens with public keys only (or, in the HS256 opt-in, the secret).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_lc_rs::hmac;
use jsonwebtoken::Algorithm;

use super::jws::{CompactJws, SignatureKey};
use super::verification_cache::{VerificationCache, Verified};
use super::{
    AccessClaims, SigningSecret, TokenError, TokenSettings, VerifyError, ACCESS_TOKEN_TYP,
    LEEWAY_SECONDS,
};
use crate::clock::UnixSeconds;
use crate::keys::{KeyId, KeySetCache};

/// The keys a verifier checks signatures with.
pub enum VerificationKeys {
    /// RS256 keys of the published key set, found by `kid`.
    Published(Arc<KeySetCache>),
    /// The HS256 local opt-in's shared secret.
    SharedSecret(Box<hmac::Key>),
}

/// Verifies access tokens. Holds public keys only (or, in the HS256 opt-in, the secret).
pub struct TokenVerifier {
    settings: TokenSettings,
    keys: VerificationKeys,
    /// The one algorithm accepted: pinned, never taken from the token.
    algorithm: Algorithm,
    /// Tokens whose signature, header and audience were checked already.
    verified: VerificationCache,
    /// Signatures checked so far: the cache's misses (for tests and benchmarks).
    signature_checks: AtomicU64,
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
            VerificationKeys::SharedSecret(Box::new(hmac::Key::new(
                hmac::HMAC_SHA256,
                secret.expose(),
            ))),
            Algorithm::HS256,
        )
    }

    fn new(settings: &TokenSettings, keys: VerificationKeys, algorithm: Algorithm) -> Self {
        Self {
            settings: settings.clone(),
            keys,
            algorithm,
            verified: VerificationCache::new(VerificationCache::CAPACITY),
            signature_checks: AtomicU64::new(0),
        }
    }

    /// How many signatures this verifier has checked (a token seen again is not checked again).
    pub fn signature_checks(&self) -> u64 {
        self.signature_checks.load(Ordering::Relaxed)
    }

    /// How many verified tokens it remembers (at most [`VerificationCache::CAPACITY`]).
    pub fn remembered_tokens(&self) -> usize {
        self.verified.len()
    }

    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The one algorithm this verifier accepts (RS256, or HS256 in the local opt-in): its
    /// JOSE name (RFC 7518 §3.1), as a header's `alg` and the discovery document give it.
    pub fn algorithm_name(&self) -> &'static str {
        match self.algorithm {
            Algorithm::HS256 => "HS256",
            _ => "RS256",
        }
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
        let digest = VerificationCache::digest(token);
        if let Some(hit) = self.verified.get(&digest, now) {
            // The issuer depends on the request (the API's domain): another one takes the
            // whole check, which names the error.
            if hit.claims.iss == issuer {
                if self.still_published(hit.kid.as_ref(), now).await? {
                    self.check_times(&hit.claims, now, expiry, true)?;
                    return Ok(hit.claims.clone());
                }
                // Its key left the published set (retired `--now`, or removed): so does it.
                self.verified.remove(&digest);
            }
        }
        let checked = self.check_signature(token, issuer, now).await?;
        self.check_times(&checked.claims, now, expiry, checked.typ)?;
        // Only a token that passed everything is remembered (so its `typ` was right).
        self.verified.insert(
            digest,
            Verified {
                kid: checked.kid,
                claims: checked.claims.clone(),
            },
            now,
        );
        Ok(checked.claims)
    }

    /// Whether the key that verified a remembered token is published at `now`.
    async fn still_published(
        &self,
        kid: Option<&KeyId>,
        now: UnixSeconds,
    ) -> Result<bool, VerifyError> {
        match (&self.keys, kid) {
            (VerificationKeys::SharedSecret(_), _) => Ok(true),
            (VerificationKeys::Published(keys), Some(kid)) => keys
                .is_published(kid, now)
                .await
                .map_err(|e| VerifyError::Unavailable(e.to_string())),
            (VerificationKeys::Published(_), None) => Ok(false),
        }
    }

    /// Structure, algorithm, key, signature, claims, issuer and audience: what stays true of
    /// a token once checked. The claims are read only once the signature checked out.
    async fn check_signature(
        &self,
        token: &str,
        issuer: &str,
        now: UnixSeconds,
    ) -> Result<Checked, VerifyError> {
        let jws = CompactJws::parse(token)?;
        if jws.header.alg != self.algorithm_name() {
            return Err(TokenError::WrongAlgorithm.into());
        }
        let kid = match &self.keys {
            VerificationKeys::SharedSecret(key) => {
                self.check_signature_with(&jws, SignatureKey::Hmac(key))?;
                None
            }
            VerificationKeys::Published(keys) => {
                let kid = KeyId::new(jws.header.kid.as_deref().ok_or(TokenError::UnknownKey)?);
                let key = keys
                    .verification_key(&kid, now)
                    .await
                    .map_err(|e| VerifyError::Unavailable(e.to_string()))?
                    .ok_or(TokenError::UnknownKey)?
                    .map_err(VerifyError::Unavailable)?;
                self.check_signature_with(&jws, SignatureKey::Rsa(&key))?;
                Some(kid)
            }
        };
        let claims: AccessClaims = jws.claims()?;
        // An expiry before 1970 is no time this service issues (`jsonwebtoken` read `exp` as
        // unsigned, and refused it too).
        if claims.exp < 0 {
            return Err(TokenError::Malformed("exp is negative".into()).into());
        }
        if claims.iss != issuer {
            return Err(TokenError::WrongIssuer.into());
        }
        if claims.aud != self.settings.audience {
            return Err(TokenError::WrongAudience.into());
        }
        let typ = jws.header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
                || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        Ok(Checked { kid, claims, typ })
    }

    /// Checks (and counts) one signature.
    fn check_signature_with(
        &self,
        jws: &CompactJws<'_>,
        key: SignatureKey<'_>,
    ) -> Result<(), TokenError> {
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
        jws.verify_signature(key)
    }

    /// What depends on `now`, checked on every use of a token, remembered or not (and the
    /// header's `typ`, whose refusal comes after an expiry's).
    fn check_times(
        &self,
        claims: &AccessClaims,
        now: UnixSeconds,
        expiry: bool,
        typ: bool,
    ) -> Result<(), TokenError> {
        if expiry && claims.exp < now.saturating_sub(LEEWAY_SECONDS) {
            return Err(TokenError::Expired);
        }
        if !typ {
            return Err(TokenError::WrongType);
        }
        if claims.iat > now.saturating_add(LEEWAY_SECONDS) {
            return Err(TokenError::IssuedInFuture);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECONDS))
        {
            return Err(TokenError::NotYetValid);
        }
        if let Some(max) = self.settings.max_lifetime {
            let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
            if claims.exp.saturating_sub(claims.iat) > max.saturating_add(LEEWAY_SECONDS) {
                return Err(TokenError::TooLongLived);
            }
        }
        Ok(())
    }
}

/// A token whose signature, issuer and audience checked out.
struct Checked {
    /// The published key that verified it (none for the HS256 opt-in's shared secret).
    kid: Option<KeyId>,
    claims: AccessClaims,
    /// Whether its header's `typ` is an access token's.
    typ: bool,
}
