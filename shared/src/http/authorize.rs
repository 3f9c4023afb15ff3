//! `GET /authorize` and `POST /authorize`: the authorization endpoint (RFC 6749 §4.1.1) with
//! the service's own sign-in page. The GET checks the request and shows the form; the form
//! posts back here with the request unchanged, a CSRF token bound to it and to this browser,
//! and the person's username and password, which go through the same sign-in as `/token`
//! ([`authenticate`]). A success redirects to the app with a code, its `state` and `iss`
//! (RFC 9207).
//!
//! The CSRF token is the SHA-256 of a random value kept in an `HttpOnly`, `SameSite=Strict`
//! cookie and of the request's parameters: another site can neither read the cookie nor make
//! the browser send it, and a token made for one request does not fit another.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{HeaderValue, ACCEPT, CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::browser::NotFromAnotherSite;
use super::context::ClientSource;
use super::error::error_response;
use super::form::{form_body, parse_urlencoded, FormFields};
use super::issuer::RequestIssuer;
use super::sign_in_page::{error_page, sign_in_page, SignInForm};
use crate::app::AppState;
use crate::browser_sessions::{BrowserSession, BrowserSessionSecret};
use crate::domain::{SourceAddress, Username};
use crate::error::ApiError;
use crate::oauth::authenticate::{authenticate, SignInError, SignInStores};
use crate::oauth::authorization::{
    issue_code, validate, AuthorizationParams, AuthorizationRefusal, AuthorizationRequest,
};
use crate::passwords::Password;

/// The endpoint in both slash forms.
pub(super) const PATHS: [&str; 2] = ["/authorize", "/authorize/"];

/// The form's own fields, besides the authorization request's.
const FORM_FIELDS: [&str; 4] = ["username", "password", "csrf_token", CONTINUE_FIELD];

/// The button of a signed-in browser's form: go on as the user the browser session names.
const CONTINUE_FIELD: &str = "continue";

/// The one message for every failed sign-in, as `/token` gives it.
const SIGN_IN_FAILED: &str = "Incorrect username or password.";

pub(super) fn routes() -> MethodRouter<AppState> {
    get(show).post(submit)
}

async fn show(
    State(state): State<AppState>,
    RequestIssuer(issuer): RequestIssuer,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let html = wants_html(&headers);
    let query = uri.query().unwrap_or("").as_bytes();
    let mut fields = match parse_urlencoded(query, &AuthorizationParams::PARAMETERS) {
        Ok(fields) => fields,
        Err(err) => return unreadable(html, err),
    };
    let params = params_of(&mut fields);
    let request = match validate(state.clients.as_ref(), params.clone()).await {
        Ok(request) => request,
        Err(refusal) => return refused(html, refusal, &issuer, StatusCode::FOUND),
    };
    let secure = is_https(&issuer);
    // A browser signed in here before (unless the app asks for the password again): a
    // confidential client gets its code at once; a public one, whose identity nothing proves
    // (any local program can claim a loopback redirect, RFC 8252 §8.6), only after the
    // person presses Continue.
    let mut continue_as = None;
    if !request.login_required {
        match signed_in_browser(&state, &headers, secure).await {
            Ok(Some(user)) if request.client.is_confidential() => {
                let status = StatusCode::FOUND;
                return code_redirect(&state, &request, &user, &issuer, status, None).await;
            }
            Ok(Some(user)) => continue_as = Some(user.username),
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "sign-in page: browser session unreadable");
                return unavailable(html, err.to_string());
            }
        }
    }
    let csrf = BrowserSecret::of(&headers, secure).unwrap_or_else(BrowserSecret::generate);
    let shown = PageState {
        continue_as: continue_as.as_ref().map(|u| u.as_str()),
        ..PageState::default()
    };
    let mut response = form(&state, &request, &params, &csrf, StatusCode::OK, shown);
    // Strict: sent only with this site's own requests, so never with another site's post.
    set_cookie(
        &mut response,
        CSRF_COOKIE,
        &csrf.0,
        &issuer,
        "SameSite=Strict",
    );
    response
}

/// The user a browser session cookie still signs in, if the browser sent one.
async fn signed_in_browser(
    state: &AppState,
    headers: &HeaderMap,
    secure: bool,
) -> Result<Option<crate::domain::User>, crate::store::StoreError> {
    if state.session_settings.browser_ttl.is_zero() {
        return Ok(None);
    }
    let secret = cookie(headers, SESSION_COOKIE, secure).and_then(BrowserSessionSecret::parse);
    let Some(secret) = secret else {
        return Ok(None);
    };
    let now = state.now();
    let Some(session) = state.browser_sessions.get(&secret.hash(), now).await? else {
        return Ok(None);
    };
    let user = state.store.get(&session.username).await?;
    Ok(user.filter(|user| session.signs_in(user, now)))
}

/// Starts a browser session for `user`, returning its cookie's secret; `None` when browser
/// sessions are off or could not be stored (the sign-in stands either way).
async fn start_browser_session(
    state: &AppState,
    user: &crate::domain::User,
) -> Option<(BrowserSessionSecret, u64)> {
    let ttl = state.session_settings.browser_ttl.as_secs();
    if ttl == 0 {
        return None;
    }
    let now = state.now();
    let secret = BrowserSessionSecret::generate();
    let session = BrowserSession {
        username: user.username.clone(),
        token_version: user.token_version,
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
    };
    match state.browser_sessions.start(&secret.hash(), &session).await {
        Ok(()) => Some((secret, ttl)),
        Err(err) => {
            tracing::error!(error = %err, "could not store a browser session");
            None
        }
    }
}

/// Issues a code for `user` and redirects to the app with it (303 after the form's post, 302
/// for a browser already signed in).
async fn code_redirect(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &crate::domain::User,
    issuer: &str,
    status: StatusCode,
    session: Option<(BrowserSessionSecret, u64)>,
) -> Response {
    let via = if session.is_some() {
        "sign_in"
    } else {
        "browser_session"
    };
    let now = state.now();
    let code = match issue_code(state.codes.as_ref(), request, user, now).await {
        Ok(code) => code,
        Err(err) => {
            tracing::error!(error = %err, "could not store an authorization code");
            return unavailable(true, err.to_string());
        }
    };
    tracing::info!(
        event = "authorization_code_issued",
        username = %user.username,
        client_id = %request.client.client_id,
        via,
        "authorization code issued"
    );
    let mut response = redirect(
        status,
        &request.redirect_to,
        &[
            ("code", Some(code.expose())),
            ("state", request.state.as_deref()),
            ("iss", Some(issuer)),
        ],
    );
    if let Some((secret, ttl)) = session {
        // Lax: sent when an app's link or redirect brings the browser here, not with
        // another site's posts or embedded requests.
        let attributes = format!("SameSite=Lax; Max-Age={ttl}");
        set_cookie(
            &mut response,
            SESSION_COOKIE,
            secret.expose(),
            issuer,
            &attributes,
        );
    }
    response
}

async fn submit(
    State(state): State<AppState>,
    _: NotFromAnotherSite,
    RequestIssuer(issuer): RequestIssuer,
    ClientSource(source): ClientSource,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let html = wants_html(&headers);
    let known: Vec<&'static str> = AuthorizationParams::PARAMETERS
        .into_iter()
        .chain(FORM_FIELDS)
        .collect();
    let mut fields =
        match form_body(&headers, body).and_then(|body| parse_urlencoded(&body, &known)) {
            Ok(fields) => fields,
            Err(err) => return unreadable(html, err),
        };
    let params = params_of(&mut fields);
    let request = match validate(state.clients.as_ref(), params.clone()).await {
        Ok(request) => request,
        // The post carried a password: 303, so that the browser does not post it on (RFC 9700
        // §4.12).
        Err(refusal) => return refused(html, refusal, &issuer, StatusCode::SEE_OTHER),
    };
    let secure = is_https(&issuer);
    // The form this browser was given for this very request, or nothing is looked at.
    let csrf = BrowserSecret::of(&headers, secure);
    let token = fields.take("csrf_token").unwrap_or_default();
    let Some(csrf) = csrf.filter(|csrf| csrf.fits(&params, &token)) else {
        tracing::warn!(
            event = "sign_in_form_refused",
            client_id = %request.client.client_id,
            reason = "csrf token missing or not this request's",
            "sign-in form refused"
        );
        let message = "The sign-in form was not one this browser was given for this request.";
        return answer(
            html,
            error_page(
                StatusCode::BAD_REQUEST,
                "This sign-in form has expired",
                message,
            ),
            ApiError::invalid_request(message),
        );
    };
    // Continue as the browser session's user (the public client's one click).
    if fields.take(CONTINUE_FIELD).is_some() {
        return match signed_in_browser(&state, &headers, secure).await {
            Ok(Some(user)) => {
                code_redirect(
                    &state,
                    &request,
                    &user,
                    &issuer,
                    StatusCode::SEE_OTHER,
                    None,
                )
                .await
            }
            // The session ended meanwhile: the password, then.
            Ok(None) => {
                let shown = PageState {
                    message: Some("Your sign-in has ended. Please sign in again."),
                    ..PageState::default()
                };
                form(
                    &state,
                    &request,
                    &params,
                    &csrf,
                    StatusCode::BAD_REQUEST,
                    shown,
                )
            }
            Err(err) => {
                tracing::error!(error = %err, "sign-in page: browser session unreadable");
                unavailable(html, err.to_string())
            }
        };
    }
    let typed = fields.take("username").unwrap_or_default();
    let password = fields.take("password").unwrap_or_default();
    let signed_in = match (Username::parse(&typed), Password::parse(&password)) {
        (Ok(username), Ok(password)) => {
            sign_in(&state, &username, &password, &source, state.now()).await
        }
        // No such account can exist: refused as any failure is, with nothing counted.
        _ => Err(SignInError::Refused),
    };
    let user = match signed_in {
        Ok(user) => user,
        Err(SignInError::Refused) if !html => return error_response(&ApiError::InvalidGrant),
        Err(SignInError::Refused) => {
            let shown = PageState {
                username: &typed,
                message: Some(SIGN_IN_FAILED),
                continue_as: None,
            };
            return form(
                &state,
                &request,
                &params,
                &csrf,
                StatusCode::BAD_REQUEST,
                shown,
            );
        }
        Err(SignInError::Unavailable(err)) => {
            tracing::error!(error = %err, "sign-in page: store unavailable");
            return unavailable(html, err.to_string());
        }
    };
    let session = start_browser_session(&state, &user).await;
    code_redirect(
        &state,
        &request,
        &user,
        &issuer,
        StatusCode::SEE_OTHER,
        session,
    )
    .await
}

async fn sign_in(
    state: &AppState,
    username: &Username,
    password: &Password,
    source: &SourceAddress,
    now: crate::clock::UnixSeconds,
) -> Result<crate::domain::User, SignInError> {
    let signed_in = authenticate(SignInStores::of(state), username, password, source, now).await?;
    Ok(signed_in.user)
}

fn params_of(fields: &mut FormFields) -> AuthorizationParams {
    AuthorizationParams {
        response_type: fields.take("response_type"),
        client_id: fields.take("client_id"),
        redirect_uri: fields.take("redirect_uri"),
        scope: fields.take("scope"),
        state: fields.take("state"),
        code_challenge: fields.take("code_challenge"),
        code_challenge_method: fields.take("code_challenge_method"),
        prompt: fields.take("prompt"),
    }
}

/// The parameters as the form carries them back.
fn hidden_fields(params: &AuthorizationParams) -> Vec<(&'static str, String)> {
    let AuthorizationParams {
        response_type,
        client_id,
        redirect_uri,
        scope,
        state,
        code_challenge,
        code_challenge_method,
        prompt,
    } = params;
    [
        ("response_type", response_type),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", state),
        ("code_challenge", code_challenge),
        ("code_challenge_method", code_challenge_method),
        ("prompt", prompt),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
    .collect()
}

/// What the page shows besides the request: what was typed, why the last attempt failed, the
/// user a signed-in browser may continue as.
#[derive(Default)]
struct PageState<'a> {
    username: &'a str,
    message: Option<&'a str>,
    continue_as: Option<&'a str>,
}

fn form(
    state: &AppState,
    request: &AuthorizationRequest,
    params: &AuthorizationParams,
    csrf: &BrowserSecret,
    status: StatusCode,
    shown: PageState<'_>,
) -> Response {
    let hidden = hidden_fields(params);
    let token = csrf.token_for(params);
    let app_origin = origin(&request.redirect_to);
    sign_in_page(
        status,
        &SignInForm {
            title: &state.sign_in_title,
            client: request.client.client_id.as_str(),
            scopes: &request.scope,
            hidden: &hidden,
            csrf_token: &token,
            username: shown.username,
            message: shown.message,
            continue_as: shown.continue_as,
            app_origin: app_origin.as_deref(),
        },
    )
}

/// `scheme://host[:port]` of an absolute http(s) URI, if it is one a policy may name: only
/// host, port and IPv6 bracket characters (a registered URI is checked only as visible ASCII,
/// and a `;` or `'` must not reach the Content-Security-Policy).
fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let plain = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (matches!(scheme, "http" | "https") && plain).then(|| format!("{scheme}://{authority}"))
}

fn is_https(issuer: &str) -> bool {
    issuer.starts_with("https://")
}

/// Whether the caller is a browser, which gets pages; everything else gets the JSON errors
/// every other endpoint gives.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
        })
}

/// `page` for a browser, else `err` as JSON.
fn answer(html: bool, page: Response, err: ApiError) -> Response {
    if html {
        page
    } else {
        error_response(&err)
    }
}

/// `refusal`'s answer; a redirect to the app with `redirect_status`.
fn refused(
    html: bool,
    refusal: AuthorizationRefusal,
    issuer: &str,
    redirect_status: StatusCode,
) -> Response {
    match refusal {
        AuthorizationRefusal::NotRedirectable(message) => {
            tracing::warn!(event = "authorization_refused", reason = %message, redirected = false, "authorization request refused");
            answer(
                html,
                error_page(
                    StatusCode::BAD_REQUEST,
                    "This sign-in link is not valid",
                    &message,
                ),
                ApiError::invalid_request(message.clone()),
            )
        }
        AuthorizationRefusal::Redirect {
            redirect_to,
            error,
            description,
            state,
        } => {
            tracing::warn!(event = "authorization_refused", error = error.as_str(), reason = %description, redirected = true, "authorization request refused");
            redirect(
                redirect_status,
                &redirect_to,
                &[
                    ("error", Some(error.as_str())),
                    ("error_description", Some(&description)),
                    ("state", state.as_deref()),
                    ("iss", Some(issuer)),
                ],
            )
        }
        AuthorizationRefusal::Unavailable(err) => {
            tracing::error!(error = %err, "authorization request: store unavailable");
            unavailable(html, err.to_string())
        }
    }
}

/// A request that could not be read: never redirected (its client is not known to be real).
fn unreadable(html: bool, err: ApiError) -> Response {
    let page = error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in link is not valid",
        &format!("The request could not be read: {err}."),
    );
    answer(html, page, err)
}

fn unavailable(html: bool, reason: String) -> Response {
    let page = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable",
        "The service cannot sign you in right now. Please try again in a moment.",
    );
    answer(html, page, ApiError::Unavailable { reason })
}

/// A redirect to `to` with `pairs` added to its query.
fn redirect(status: StatusCode, to: &str, pairs: &[(&str, Option<&str>)]) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    let separator = match to.find('?') {
        None => "?",
        Some(_) if to.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    let location = format!("{to}{separator}{}", query.finish());
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status;
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
        }
        // Registered URIs are visible ASCII and the query is encoded: cannot happen.
        Err(_) => return unavailable(true, "unencodable redirect".into()),
    }
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The random value that binds sign-in forms to the browser they were given to.
struct BrowserSecret(String);

/// The CSRF cookie's base name.
const CSRF_COOKIE: &str = "sign-in-csrf";
/// The browser session cookie's base name.
const SESSION_COOKIE: &str = "sign-in-session";

/// A cookie's name: `__Host-` where the page is served over https (no subdomain can set or
/// shadow it); plain on a loopback http run, where browsers refuse `Secure` cookies.
fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of the cookie `base`, under the one name it is set with here: over https only
/// the `__Host-` one, which no sibling subdomain or plain-http answer can set (a plain one
/// planted with a longer path would otherwise be read first).
fn cookie<'h>(headers: &'h HeaderMap, base: &str, secure: bool) -> Option<&'h str> {
    let name = cookie_name(base, secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value)
}

/// `Set-Cookie` for `base`: never readable by scripts; `Secure` (and `__Host-`) over https.
fn set_cookie(response: &mut Response, base: &str, value: &str, issuer: &str, attributes: &str) {
    let secure = is_https(issuer);
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; {attributes}{}",
        cookie_name(base, secure),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

impl BrowserSecret {
    fn generate() -> Self {
        BrowserSecret(crate::random::base64url_256_bits())
    }

    /// The browser's secret, from its cookie, if it sent one of the right shape.
    fn of(headers: &HeaderMap, secure: bool) -> Option<Self> {
        cookie(headers, CSRF_COOKIE, secure)
            .filter(|value| crate::random::is_base64url_256_bits(value))
            .map(|value| BrowserSecret(value.to_owned()))
    }

    /// The CSRF token of a form for `params`: every parameter, length-prefixed so that no
    /// two requests share a token.
    fn token_for(&self, params: &AuthorizationParams) -> String {
        let mut text = self.0.clone();
        for (name, value) in hidden_fields(params) {
            text.push_str(&format!("\n{name}:{}:{value}", value.len()));
        }
        crate::random::sha256_base64url(&text)
    }

    fn fits(&self, params: &AuthorizationParams, token: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(
            self.token_for(params).as_bytes(),
            token.as_bytes(),
        )
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_fits_only_its_browser_and_request() {
        let params = AuthorizationParams {
            client_id: Some("spa".into()),
            state: Some("a".into()),
            ..AuthorizationParams::default()
        };
        let secret = BrowserSecret::generate();
        let token = secret.token_for(&params);
        assert!(secret.fits(&params, &token));
        assert!(!BrowserSecret::generate().fits(&params, &token));
        let other = AuthorizationParams {
            state: Some("b".into()),
            ..params.clone()
        };
        assert!(!secret.fits(&other, &token));
        // Moving a character from one value to the next makes another request.
        let shifted = AuthorizationParams {
            client_id: Some("spaa".into()),
            state: Some("".into()),
            ..params.clone()
        };
        assert!(!secret.fits(&shifted, &secret.token_for(&params)));
        assert!(!secret.fits(&params, ""));
    }

    #[test]
    fn redirects_add_to_the_registered_query() {
        let location = |to: &str| {
            redirect(
                StatusCode::FOUND,
                to,
                &[("code", Some("c d")), ("state", None)],
            )
            .headers()[LOCATION]
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            location("https://a.example/cb"),
            "https://a.example/cb?code=c+d"
        );
        assert_eq!(
            location("https://a.example/cb?x=1"),
            "https://a.example/cb?x=1&code=c+d"
        );
        assert_eq!(
            location("https://a.example/cb?"),
            "https://a.example/cb?code=c+d"
        );
    }

    #[test]
    fn cookies_are_read_by_name_and_shape() {
        let secret = crate::random::base64url_256_bits();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            format!("other=1; sign-in-csrf={secret}").parse().unwrap(),
        );
        assert_eq!(BrowserSecret::of(&headers, false).unwrap().0, secret);
        headers.insert(COOKIE, "sign-in-csrf=short".parse().unwrap());
        assert!(BrowserSecret::of(&headers, false).is_none());
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_counts() {
        // A plain cookie planted by a sibling subdomain (or a plain-http answer), sent first
        // because of its longer path, is not the browser's own.
        let planted = crate::random::base64url_256_bits();
        let own = crate::random::base64url_256_bits();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            format!("sign-in-session={planted}; __Host-sign-in-session={own}")
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE, true), Some(own.as_str()));
        assert_eq!(
            cookie(&headers, SESSION_COOKIE, false),
            Some(planted.as_str())
        );
        headers.insert(
            COOKIE,
            format!("sign-in-session={planted}").parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE, true), None);
    }

    #[test]
    fn only_plain_origins_reach_the_policy() {
        assert_eq!(
            origin("https://app.example:8443/cb?x=1").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            origin("http://[::1]:9/cb").as_deref(),
            Some("http://[::1]:9")
        );
        for odd in [
            "https://a.example;script-src/cb",
            "https://a'b/cb",
            "https:///cb",
            "ftp://a/cb",
        ] {
            assert_eq!(origin(odd), None, "{odd}");
        }
    }
}
