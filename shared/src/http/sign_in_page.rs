//! The hosted sign-in page and the authorization endpoint's error page: server-rendered HTML
//! that needs no JavaScript, reads top to bottom for a screen reader, works without its one
//! small stylesheet and on a phone. Every value from a request is HTML-escaped; the headers
//! forbid framing, scripts, caching and referrers.

use std::sync::LazyLock;

use axum::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::StatusCode;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::domain::ScopeSet;

const STYLESHEET: &str = include_str!("../../assets/sign-in/sign-in.css");

/// `'sha256-…'` of the inline stylesheet: the only style the page's policy allows.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, STYLESHEET.as_bytes());
    format!("'sha256-{}'", STANDARD.encode(digest.as_ref()))
});

/// What the sign-in form shows and carries.
pub(super) struct SignInForm<'a> {
    /// The service's name (`SIGN_IN_TITLE`).
    pub title: &'a str,
    /// The app asking, by its client id.
    pub client: &'a str,
    pub scopes: &'a ScopeSet,
    /// The authorization request, carried through the post unchanged.
    pub hidden: &'a [(&'static str, String)],
    pub csrf_token: &'a str,
    /// What the person typed last time, after a failed attempt.
    pub username: &'a str,
    /// Why the last attempt failed, if it did.
    pub message: Option<&'a str>,
    /// The user a signed-in browser may go on as with one press (public clients).
    pub continue_as: Option<&'a str>,
    /// Where the form may be posted and then redirected to (the app's origin), for the
    /// policy's `form-action`.
    pub app_origin: Option<&'a str>,
}

/// The page, with `status` (200 for the form, 400 after a failed attempt).
pub(super) fn sign_in_page(status: StatusCode, form: &SignInForm<'_>) -> Response {
    let mut hidden = String::new();
    for (name, value) in form.hidden {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
            escape(value)
        ));
    }
    let scopes: String = if form.scopes.is_empty() {
        "<li>Only to know who you are</li>".to_owned()
    } else {
        form.scopes
            .iter()
            .map(|scope| {
                format!(
                    "<li><strong>{}</strong>: {}</li>",
                    scope.as_str(),
                    escape(scope.description())
                )
            })
            .collect()
    };
    let message = form
        .message
        .map(|m| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>\n",
                escape(m)
            )
        })
        .unwrap_or_default();
    let described_by = if form.message.is_some() {
        " aria-describedby=\"error\" aria-invalid=\"true\""
    } else {
        ""
    };
    // A signed-in browser: one press goes on as that user; the form below signs in another.
    let continue_form = form
        .continue_as
        .map(|user| {
            format!(
                "<form method=\"post\" action=\"\">\n{hidden}\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
                 <input type=\"hidden\" name=\"continue\" value=\"1\">\n\
                 <p>You are signed in as <strong>{user}</strong>.</p>\n\
                 <button type=\"submit\">Continue as {user}</button>\n</form>\n\
                 <h2>Or sign in as someone else</h2>\n",
                csrf = escape(form.csrf_token),
                user = escape(user),
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<main>\n<h1>{title}</h1>\n<p><strong>{client}</strong> asks to sign you in and to:</p>\n\
         <ul>{scopes}</ul>\n{message}{continue_form}<form method=\"post\" action=\"\">\n{hidden}\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\n\
         <label for=\"username\">Username</label>\n\
         <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" \
         autocapitalize=\"none\" spellcheck=\"false\" required value=\"{username}\"{described_by}>\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required{described_by}>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n</main>",
        title = escape(form.title),
        client = escape(form.client),
        csrf = escape(form.csrf_token),
        username = escape(form.username),
    );
    page(status, form.title, &body, form.app_origin)
}

/// The page shown instead of a redirect, when the request cannot be trusted to name where
/// to send its answer (or the service is down).
pub(super) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<main>\n<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n\
         <p>Go back to the app you came from and start again.</p>\n</main>",
        escape(title),
        escape(message)
    );
    page(status, title, &body, None)
}

fn page(status: StatusCode, title: &str, body: &str, app_origin: Option<&str>) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n\
         <style>{STYLESHEET}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title)
    );
    // The form posts here; the answer to the post redirects to the app, which form-action
    // must allow too (browsers check it on the redirect).
    let form_action = match app_origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let policy = format!(
        "default-src 'none'; style-src {}; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'",
        *STYLE_HASH
    );
    let mut response = Response::new(axum::body::Body::from(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).expect("the policy is ASCII"),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `text` safe inside HTML text and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_values_cannot_break_out_of_the_markup() {
        assert_eq!(
            escape("\"><script>alert('x')</script>&"),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn the_stylesheet_hash_is_the_inline_styles() {
        assert!(STYLE_HASH.starts_with("'sha256-") && STYLE_HASH.ends_with("='"));
        let response = error_page(StatusCode::BAD_REQUEST, "t", "m");
        let policy = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(policy.contains(STYLE_HASH.as_str()), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("script-src"), "no script at all: {policy}");
    }
}
