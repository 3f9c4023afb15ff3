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
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

mod answers;
mod cookies;
mod session;

use answers::{
    answer, code_redirect, is_https, origin, redirect_with_code, refused, unavailable, unreadable,
    wants_html,
};
use cookies::{set_cookie, BrowserSecret, CSRF_COOKIE};
use session::{signed_in_browser, start_browser_session};

use super::browser::NotFromAnotherSite;
use super::context::ClientSource;
use super::error::error_response;
use super::form::{form_body, parse_urlencoded, FormFields};
use super::issuer::RequestIssuer;
use super::sign_in_page::{error_page, sign_in_page, SignInForm};
use crate::app::AppState;
use crate::domain::Username;
use crate::error::ApiError;
use crate::oauth::authenticate::{authenticate, Candidate, SignInError, SignInStores};
use crate::oauth::authorization::{
    issue_code, validate, AuthorizationParams, AuthorizationRequest,
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
    let fields = parse_urlencoded(query, &AuthorizationParams::PARAMETERS);
    let (params, request, _) = match checked(&state, fields, html, &issuer, StatusCode::FOUND).await
    {
        Ok(checked) => checked,
        Err(answer) => return answer,
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
                return code_redirect(&state, &request, &user, &issuer, status).await;
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
    let fields = form_body(&headers, body).and_then(|body| parse_urlencoded(&body, &known));
    // The post carried a password: a refusal redirects with 303, so that the browser does not
    // post it on (RFC 9700 §4.12).
    let status = StatusCode::SEE_OTHER;
    // The account the form names, read while the request is checked: the read depends on
    // nothing the checks decide, and what it found is used only if they pass.
    let named = fields.as_ref().ok().and_then(|f| f.get("username"));
    let named = named.and_then(|name| Username::parse(name).ok());
    let read = async {
        match &named {
            Some(name) => Some(Candidate::read(state.store.as_ref(), name).await),
            None => None,
        }
    };
    let (checked, candidate) = tokio::join!(checked(&state, fields, html, &issuer, status), read);
    let (params, request, mut fields) = match checked {
        Ok(checked) => checked,
        Err(answer) => return answer,
    };
    let secure = is_https(&issuer);
    // The form this browser was given for this very request, or nothing is decided (the
    // account read beside the checks above is dropped unused).
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
                code_redirect(&state, &request, &user, &issuer, StatusCode::SEE_OTHER).await
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
    // The code and the browser session are stored while the sign-in settles its counters.
    let now = state.now();
    let finish = async |user: &crate::domain::User| {
        tokio::join!(
            start_browser_session(&state, user),
            issue_code(state.codes.as_ref(), &request, user, now),
        )
    };
    let signed_in = match (candidate, Password::parse(&password)) {
        (Some(Ok(candidate)), Ok(password)) => {
            let stores = SignInStores::of(&state);
            authenticate(stores, candidate, &password, &source, now, finish).await
        }
        (Some(Err(err)), Ok(_)) => Err(SignInError::Unavailable(err)),
        // No such account can exist: refused as any failure is, with nothing counted.
        _ => Err(SignInError::Refused),
    };
    let (user, (session, code)) = match signed_in {
        Ok((signed_in, done)) => (signed_in.user, done),
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
    redirect_with_code(
        &request,
        &user,
        &issuer,
        StatusCode::SEE_OTHER,
        code,
        session,
    )
}

/// The authorization request in `fields`, checked against the registered clients, with the
/// fields left over (the form's own); or the answer to a request that is unreadable or
/// refused (a refusal redirected with `redirect_status`).
async fn checked(
    state: &AppState,
    fields: Result<FormFields, ApiError>,
    html: bool,
    issuer: &str,
    redirect_status: StatusCode,
) -> Result<(AuthorizationParams, AuthorizationRequest, FormFields), Response> {
    let mut fields = fields.map_err(|err| unreadable(html, err))?;
    let params = params_of(&mut fields);
    match validate(state.clients.as_ref(), params.clone()).await {
        Ok(request) => Ok((params, request, fields)),
        Err(refusal) => Err(refused(html, refusal, issuer, redirect_status)),
    }
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
pub(super) fn hidden_fields(params: &AuthorizationParams) -> Vec<(&'static str, String)> {
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
