//! JWT access tokens per RFC 9068: issued by the token function through a [`Signer`],
//! verified everywhere with public keys only.
//!
//! Every token carries a `kid`. A verifier pins the algorithm (RS256, or HS256 only in the
//! explicit local opt-in), finds the key by `kid` in the published key set, requires every
//! claim, and checks `typ`, `iss`, `aud`, `exp` and `iat`. The time is always a parameter:
//! this module never reads a clock.

mod claims;
mod issuer;
mod jws;
mod secret;
pub mod signer;
mod verification_cache;
mod verifier;

use std::time::Duration;

pub use claims::{AccessClaims, IssuedToken, TokenSubject, CLIENT_CREDENTIALS_GTY};
pub use issuer::{AccessGrant, TokenIssuer};
pub use secret::{ShortSecret, SigningSecret};
pub use signer::{Hs256Signer, KmsSigner, LocalRsaSigner, SignError, Signer};
pub use verifier::{TokenVerifier, VerificationKeys};

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Allowed clock difference when checking `exp` and `iat`.
pub const LEEWAY_SECONDS: i64 = 5;
pub use crate::domain::client::MAX_CLIENT_ID_LEN;

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

#[cfg(test)]
mod tests;
