//! The authorization request (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1, RFC 7636 §4.3) and the code
//! it ends with. Validated in the order RFC 6749 §4.1.2.1 demands: until the client and its
//! redirect URI are known to be genuine, an error is shown on the service's own page and never
//! redirected (an open redirector otherwise); after that, every error goes back to the app at
//! its redirect URI, with its `state`.

use crate::clients::ClientStore;
use crate::clock::UnixSeconds;
use crate::codes::{AuthorizationCode, CodeGrant, CodeStore, CODE_LIFETIME_SECONDS};
use crate::domain::{Client, ClientId, CodeChallenge, GrantType, ScopeSet, User};
use crate::sessions::FamilyId;
use crate::store::StoreError;

/// The parameters of an authorization request, as sent (query or form). A parameter sent
/// without a value counts as omitted (RFC 6749 §3.1).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuthorizationParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
}

impl AuthorizationParams {
    /// Every parameter name an authorization request may carry; others are ignored.
    pub const PARAMETERS: [&'static str; 8] = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
        "prompt",
    ];
}

/// The error codes of RFC 6749 §4.1.2.1 the authorization endpoint sends back to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    TemporarilyUnavailable,
}

impl AuthorizationErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationErrorCode::InvalidRequest => "invalid_request",
            AuthorizationErrorCode::UnauthorizedClient => "unauthorized_client",
            AuthorizationErrorCode::AccessDenied => "access_denied",
            AuthorizationErrorCode::UnsupportedResponseType => "unsupported_response_type",
            AuthorizationErrorCode::InvalidScope => "invalid_scope",
            AuthorizationErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// Why an authorization request is refused, grouped by where the answer may go.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizationRefusal {
    /// The client or its redirect URI cannot be trusted: the person sees the service's error
    /// page, and nothing is sent anywhere.
    #[error("{0}")]
    NotRedirectable(String),
    /// Sent back to the app at `redirect_to` (RFC 6749 §4.1.2.1, with `iss`, RFC 9207).
    #[error("{description}")]
    Redirect {
        redirect_to: String,
        error: AuthorizationErrorCode,
        description: String,
        state: Option<String>,
    },
    /// A store failed before the client was known: a 503 page, never a guess.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

/// An authorization request that passed every check: what the sign-in page shows and the
/// code will be bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client: Client,
    /// The `redirect_uri` as sent, if it was (the exchange must repeat it).
    pub redirect_uri: Option<String>,
    /// Where the answer goes: the one sent, or the client's only registered URI.
    pub redirect_to: String,
    /// What the app asks for and the client may have (the user's own scopes narrow it at
    /// sign-in).
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub challenge: CodeChallenge,
    /// `prompt=login`: ask for the password even within a browser session.
    pub login_required: bool,
}

/// Longest `state` taken back to the app (it rides in a URL).
pub const MAX_STATE_LEN: usize = 1024;

/// Whether `state` is what RFC 6749 Appendix A.5 allows (VSCHAR: space to tilde) and short
/// enough to ride in a URL: anything else would not come back to the app as it was sent.
fn is_vschar(state: &str) -> bool {
    state.len() <= MAX_STATE_LEN && state.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Checks `params` against the registered clients, in RFC 6749 §4.1.2.1's order.
pub async fn validate(
    clients: &dyn ClientStore,
    params: AuthorizationParams,
) -> Result<AuthorizationRequest, AuthorizationRefusal> {
    let given = |value: Option<String>| value.filter(|v| !v.is_empty());
    let not_redirectable = |why: &str| AuthorizationRefusal::NotRedirectable(why.to_owned());

    // 1. The client, which must be registered (the built-in default client has no
    //    redirect URIs, so it never gets this far).
    let client_id = given(params.client_id)
        .ok_or_else(|| not_redirectable("The request names no client (client_id)."))?;
    let client_id = ClientId::parse(&client_id)
        .map_err(|_| not_redirectable("The request names no known client."))?;
    let client = clients
        .get(&client_id)
        .await?
        .filter(|c| !c.disabled)
        .ok_or_else(|| not_redirectable("The request names no known client."))?;

    // 2. Its redirect URI: one it registered, exactly (RFC 9700 §4.1.3).
    let redirect_uri = given(params.redirect_uri);
    let redirect_to = match &redirect_uri {
        Some(uri) => {
            if !client.redirect_uris.iter().any(|r| r.admits(uri)) {
                return Err(not_redirectable(
                    "The redirect_uri is not one this client registered.",
                ));
            }
            uri.clone()
        }
        None => match client.redirect_uris.as_slice() {
            [only] => only.as_str().to_owned(),
            [] => {
                return Err(not_redirectable(
                    "This client has no redirect URI registered.",
                ))
            }
            _ => {
                return Err(not_redirectable(
                    "The request must name one of the client's redirect URIs (redirect_uri).",
                ))
            }
        },
    };

    // 3. Everything else is the app's to fix: back to it, with its state.
    let state = given(params.state);
    let redirect =
        |error: AuthorizationErrorCode, description: &str| AuthorizationRefusal::Redirect {
            redirect_to: redirect_to.clone(),
            error,
            description: description.to_owned(),
            state: state.clone().filter(|s| is_vschar(s)),
        };
    use AuthorizationErrorCode as Code;
    if state.as_ref().is_some_and(|s| !is_vschar(s)) {
        return Err(redirect(
            Code::InvalidRequest,
            &format!(
                "state must be at most {MAX_STATE_LEN} characters from space to tilde \
                 (RFC 6749 Appendix A.5)"
            ),
        ));
    }
    match given(params.response_type).as_deref() {
        Some("code") => {}
        None => {
            return Err(redirect(
                Code::InvalidRequest,
                "missing required parameter: response_type",
            ))
        }
        Some(_) => {
            return Err(redirect(
                Code::UnsupportedResponseType,
                "response_type must be code",
            ))
        }
    }
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(redirect(
            Code::UnauthorizedClient,
            "this client may not use the authorization code flow",
        ));
    }
    let challenge = CodeChallenge::parse(
        given(params.code_challenge).as_deref(),
        given(params.code_challenge_method).as_deref(),
    )
    .map_err(|e| redirect(Code::InvalidRequest, &e.to_string()))?;
    let requested = ScopeSet::parse(given(params.scope).as_deref().unwrap_or(""))
        .map_err(|e| redirect(Code::InvalidScope, &e.to_string()))?;
    let login_required = match given(params.prompt).as_deref() {
        None => false,
        Some("login") => true,
        Some(_) => {
            return Err(redirect(
                Code::InvalidRequest,
                "prompt must be login, or omitted",
            ))
        }
    };
    Ok(AuthorizationRequest {
        scope: requested.intersection(&client.allowed_scopes),
        client,
        redirect_uri,
        redirect_to,
        state,
        challenge,
        login_required,
    })
}

/// Issues the code that ends a successful sign-in: bound to the request, the user and the
/// scopes both the client and the user hold.
pub async fn issue_code(
    codes: &dyn CodeStore,
    request: &AuthorizationRequest,
    user: &User,
    now: UnixSeconds,
) -> Result<AuthorizationCode, StoreError> {
    let code = AuthorizationCode::generate();
    let grant = CodeGrant {
        client_id: request.client.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        challenge: request.challenge.clone(),
        username: user.username.clone(),
        token_version: user.token_version,
        scope: request.scope.intersection(&user.allowed_scopes),
        family: FamilyId::generate(),
        issued_at: now,
        valid_until: now.saturating_add(CODE_LIFETIME_SECONDS),
    };
    codes.issue(&code.hash(), &grant).await?;
    Ok(code)
}

#[cfg(test)]
mod tests;
