//! Where a browser says a request comes from. Credentials posted by another site's page are
//! refused before anything is counted or checked: a web page must not be able to make its
//! visitors' browsers guess passwords or secrets (which would also spend the sign-in budgets
//! of the accounts it aims at). No browser request from another origin has a use here: the
//! service sends no CORS headers, so such a page could never read the answer anyway.
//!
//! `Sec-Fetch-Site` (every current browser) is the browser's own verdict: only `same-origin`
//! and `none` (typed or bookmarked) pass. Without it, an `Origin` must be this service's own:
//! the request's `Host`, or the issuer's origin (behind a proxy that rewrites `Host`). A request
//! with neither header is not from a browser page, and passes.

use axum::extract::FromRequestParts;
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::issuer::RequestIssuer;
use crate::app::AppState;
use crate::error::ApiError;

/// A request that no other site's page sent.
pub(super) struct NotFromAnotherSite;

impl FromRequestParts<AppState> for NotFromAnotherSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let issuer = RequestIssuer::from_request_parts(parts, state)
            .await
            .ok()
            .map(|RequestIssuer(issuer)| issuer);
        if from_another_site(&parts.headers, issuer.as_deref()) {
            return Err(ApiError::invalid_request(
                "requests from another site's page are not accepted here",
            ));
        }
        Ok(NotFromAnotherSite)
    }
}

fn from_another_site(headers: &HeaderMap, issuer: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or_default().trim();
        return !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"));
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return false;
    };
    let Some(origin) = origin.to_str().ok().and_then(authority) else {
        // `null` (sandboxed frames, some redirects) or garbage: not this service.
        return true;
    };
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    let issuer = issuer.and_then(authority);
    !(host.is_some_and(|host| host.trim().eq_ignore_ascii_case(origin))
        || issuer.is_some_and(|issuer| issuer.eq_ignore_ascii_case(origin)))
}

/// `host[:port]` of an `http(s)://host[:port][/path]` URL or origin.
fn authority(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    let authority = rest.split('/').next()?;
    (!authority.is_empty()).then_some(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    const ISSUER: Option<&str> = Some("https://auth.example.com");

    #[test]
    fn the_browsers_own_verdict_decides_when_it_gives_one() {
        for (site, refused) in [
            ("same-origin", false),
            ("none", false),
            ("same-site", true),
            ("cross-site", true),
            ("", true),
        ] {
            let h = headers(&[("sec-fetch-site", site), ("host", "auth.example.com")]);
            assert_eq!(from_another_site(&h, ISSUER), refused, "{site}");
        }
        // A same-origin verdict wins over an Origin that a proxy made look foreign.
        let h = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://cdn.example.net"),
        ]);
        assert!(!from_another_site(&h, ISSUER));
    }

    #[test]
    fn without_it_the_origin_must_be_this_service() {
        for (origin, host, refused) in [
            ("https://auth.example.com", "api.internal", false),
            ("http://127.0.0.1:9000", "127.0.0.1:9000", false),
            ("HTTPS://Auth.Example.com", "x", false),
            ("https://evil.example", "auth.example.com", true),
            ("https://auth.example.com.evil.example", "x", true),
            ("http://127.0.0.1:9001", "127.0.0.1:9000", true),
            ("null", "auth.example.com", true),
            ("garbage", "auth.example.com", true),
        ] {
            let h = headers(&[("origin", origin), ("host", host)]);
            assert_eq!(from_another_site(&h, ISSUER), refused, "{origin} on {host}");
        }
    }

    #[test]
    fn requests_that_are_not_from_a_browser_page_pass() {
        assert!(!from_another_site(&HeaderMap::new(), ISSUER));
        assert!(!from_another_site(&headers(&[("host", "x")]), None));
    }
}
