//! The authorization endpoint's answers other than the page: JSON or a page by what the
//! caller accepts, refusals (a page, or a redirect back to the app), and redirects with
//! parameters added to a registered URI, the code's among them.

use axum::http::header::{HeaderValue, ACCEPT, CACHE_CONTROL, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::super::error::error_response;
use super::super::sign_in_page::error_page;
use super::cookies::{set_cookie, SESSION_COOKIE};
use crate::app::AppState;
use crate::browser_sessions::BrowserSessionSecret;
use crate::codes::AuthorizationCode;
use crate::error::ApiError;
use crate::oauth::authorization::{issue_code, AuthorizationRefusal, AuthorizationRequest};
use crate::store::StoreError;

/// `scheme://host[:port]` of an absolute http(s) URI, if it is one a policy may name: only
/// host, port and IPv6 bracket characters (a registered URI is checked only as visible ASCII,
/// and a `;` or `'` must not reach the Content-Security-Policy).
pub(super) fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let plain = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (matches!(scheme, "http" | "https") && plain).then(|| format!("{scheme}://{authority}"))
}

pub(super) fn is_https(issuer: &str) -> bool {
    issuer.starts_with("https://")
}

/// Whether the caller is a browser, which gets pages; everything else gets the JSON errors
/// every other endpoint gives.
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
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
pub(super) fn answer(html: bool, page: Response, err: ApiError) -> Response {
    if html {
        page
    } else {
        error_response(&err)
    }
}

/// `refusal`'s answer; a redirect to the app with `redirect_status`.
pub(super) fn refused(
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
pub(super) fn unreadable(html: bool, err: ApiError) -> Response {
    let page = error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in link is not valid",
        &format!("The request could not be read: {err}."),
    );
    answer(html, page, err)
}

pub(super) fn unavailable(html: bool, reason: String) -> Response {
    let page = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable",
        "The service cannot sign you in right now. Please try again in a moment.",
    );
    answer(html, page, ApiError::Unavailable { reason })
}

/// A redirect to `to` with `pairs` added to its query.
pub(super) fn redirect(status: StatusCode, to: &str, pairs: &[(&str, Option<&str>)]) -> Response {
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

/// Issues a code for `user` and redirects to the app with it (303 after the form's post, 302
/// for a browser already signed in).
pub(super) async fn code_redirect(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &crate::domain::User,
    issuer: &str,
    status: StatusCode,
) -> Response {
    let code = issue_code(state.codes.as_ref(), request, user, state.now()).await;
    redirect_with_code(request, user, issuer, status, code, None)
}

/// The redirect to the app with `code`, which a sign-in that just happened (`session`: the
/// browser session it started) or a browser session issued.
pub(super) fn redirect_with_code(
    request: &AuthorizationRequest,
    user: &crate::domain::User,
    issuer: &str,
    status: StatusCode,
    code: Result<AuthorizationCode, StoreError>,
    session: Option<(BrowserSessionSecret, u64)>,
) -> Response {
    let via = if session.is_some() {
        "sign_in"
    } else {
        "browser_session"
    };
    let code = match code {
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

#[cfg(test)]
mod tests {
    use super::*;

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
