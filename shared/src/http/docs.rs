//! `GET /docs`: Swagger UI, served by the service itself from files embedded at build time
//! (`shared/assets/swagger-ui`, vendored from npm's `swagger-ui-dist` by
//! `scripts/vendor-swagger-ui.sh`), under a Content-Security-Policy that allows only them.
//! Only the docs function (and `authctl serve`) links this file's 1.9 MB of assets.

use axum::body::Body;
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderName, Uri};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::response::public_static_response;
use crate::app::AppState;
use crate::error::ApiError;

/// The page, in both slash forms, and the files it loads.
pub(super) const PATHS: [&str; 5] = [
    "/docs",
    "/docs/",
    "/docs/swagger-ui-bundle.js",
    "/docs/swagger-ui.css",
    "/docs/docs.js",
];

/// Scripts, styles, fonts and requests from this origin only; no inline script or style
/// element, no plug-in, no framing, no form posted anywhere. `data:` images are the icons
/// inlined in Swagger UI's own stylesheet.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long browsers and caches may keep the page's files. The page itself is revalidated
/// each time (`no-cache`), so a deployment's new files are picked up at once.
const MAX_AGE_SECONDS: u32 = 3600;

const PAGE: &str = include_str!("../../assets/docs/index.html");
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// (path, content type, bytes) of each file the page loads.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    (
        "/docs/swagger-ui-bundle.js",
        JAVASCRIPT,
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
    ),
    (
        "/docs/swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
    ),
    (
        "/docs/docs.js",
        JAVASCRIPT,
        include_bytes!("../../assets/docs/docs.js"),
    ),
];

pub(super) fn routes() -> MethodRouter<AppState> {
    get(serve)
}

async fn serve(uri: Uri) -> Result<Response, ApiError> {
    let path = uri.path();
    let mut response = if let Some(page) = page(path) {
        let mut response = Response::new(Body::from(page));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    } else {
        let (_, content_type, bytes) = ASSETS
            .iter()
            .find(|(asset, _, _)| *asset == path)
            .ok_or(ApiError::NotFound)?;
        public_static_response(content_type, bytes, MAX_AGE_SECONDS)
    };
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// The page at `path`, with relative links that resolve to the files and the document from
/// either slash form. (The API itself is served at the root of its domain: the document's
/// token URL is `/token`.)
fn page(path: &str) -> Option<String> {
    let (assets, openapi) = match path {
        "/docs" => ("docs/", "openapi.json"),
        "/docs/" => ("", "../openapi.json"),
        _ => return None,
    };
    Some(
        PAGE.replace("{{assets}}", assets)
            .replace("{{openapi}}", openapi),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_the_page_or_a_file() {
        for path in PATHS {
            let served = page(path).is_some() || ASSETS.iter().any(|(p, _, _)| *p == path);
            assert!(served, "{path}");
        }
        assert_eq!(ASSETS.len() + 2, PATHS.len());
    }

    #[test]
    fn both_forms_of_the_page_link_the_same_files() {
        let base = "https://api.example/";
        for path in ["/docs", "/docs/"] {
            let html = page(path).unwrap();
            let resolve = |link: &str| {
                // RFC 3986 §5.2 for the two shapes used here: same directory or one up.
                let dir = &path[..=path.rfind('/').unwrap()];
                let mut target = format!("{dir}{link}");
                if let Some(rest) = target.strip_prefix("/docs/../") {
                    target = format!("/{rest}");
                }
                format!("{base}{}", target.trim_start_matches('/'))
            };
            for (file, _, _) in ASSETS {
                let name = file.trim_start_matches("/docs/");
                let link = html
                    .split('"')
                    .find(|part| part.ends_with(name))
                    .unwrap_or_else(|| panic!("{path}: no link to {name}"));
                assert_eq!(resolve(link), format!("{base}{}", &file[1..]), "{path}");
            }
            let openapi = html
                .split("data-openapi-url=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap();
            assert_eq!(resolve(openapi), format!("{base}openapi.json"), "{path}");
        }
    }
}
