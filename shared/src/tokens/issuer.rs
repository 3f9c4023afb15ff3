//! Issuing access tokens: the claims and JOSE header of RFC 9068, signed through a [`Signer`].

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde::Serialize;

use super::claims::CLIENT_CREDENTIALS_GTY;
use super::{
    signer, AccessClaims, IssuedToken, SignError, Signer, TokenSettings, TokenSubject,
    ACCESS_TOKEN_TYP,
};
use crate::clock::UnixSeconds;
use crate::domain::{ScopeSet, Username};

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
    pub subject: &'a TokenSubject,
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
        let subject = TokenSubject::User(subject.clone());
        let grant = AccessGrant {
            subject: &subject,
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
        let (sub, gty) = match subject {
            TokenSubject::User(username) => (username.to_string(), None),
            TokenSubject::Client(id) => (id.to_string(), Some(CLIENT_CREDENTIALS_GTY.to_owned())),
        };
        let claims = AccessClaims {
            iss: issuer.to_owned(),
            sub,
            aud: self.settings.audience.clone(),
            iat: issued_at,
            nbf: None,
            exp: issued_at.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            jti: uuid::Uuid::new_v4().to_string(),
            scope: scope.clone(),
            client_id: client_id.map(str::to_owned),
            gty,
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
