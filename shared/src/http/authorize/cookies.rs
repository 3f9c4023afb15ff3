//! The sign-in page's cookies: the CSRF secret that binds a form to the browser it was given
//! to, and the browser session's; their names (`__Host-` over https) and attributes.

use axum::http::header::{HeaderValue, COOKIE, SET_COOKIE};
use axum::http::HeaderMap;
use axum::response::Response;

use super::answers::is_https;
use super::hidden_fields;
use crate::oauth::authorization::AuthorizationParams;

/// The random value that binds sign-in forms to the browser they were given to.
pub(super) struct BrowserSecret(pub(super) String);

/// The CSRF cookie's base name.
pub(super) const CSRF_COOKIE: &str = "sign-in-csrf";
/// The browser session cookie's base name.
pub(super) const SESSION_COOKIE: &str = "sign-in-session";

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
pub(super) fn cookie<'h>(headers: &'h HeaderMap, base: &str, secure: bool) -> Option<&'h str> {
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
pub(super) fn set_cookie(
    response: &mut Response,
    base: &str,
    value: &str,
    issuer: &str,
    attributes: &str,
) {
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
    pub(super) fn generate() -> Self {
        BrowserSecret(crate::random::base64url_256_bits())
    }

    /// The browser's secret, from its cookie, if it sent one of the right shape.
    pub(super) fn of(headers: &HeaderMap, secure: bool) -> Option<Self> {
        cookie(headers, CSRF_COOKIE, secure)
            .filter(|value| crate::random::is_base64url_256_bits(value))
            .map(|value| BrowserSecret(value.to_owned()))
    }

    /// The CSRF token of a form for `params`: every parameter, length-prefixed so that no
    /// two requests share a token.
    pub(super) fn token_for(&self, params: &AuthorizationParams) -> String {
        let mut text = self.0.clone();
        for (name, value) in hidden_fields(params) {
            text.push_str(&format!("\n{name}:{}:{value}", value.len()));
        }
        crate::random::sha256_base64url(&text)
    }

    pub(super) fn fits(&self, params: &AuthorizationParams, token: &str) -> bool {
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
}
