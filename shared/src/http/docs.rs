//! `GET /docs`: Swagger UI, served by the service itself from files embedded at build time
//! (`shared/assets/swagger-ui`, vendored from npm's `swagger-ui-dist` by
//! `scripts/vendor-swagger-ui.sh`), under a Content-Security-Policy that allows only them.
//! Only the docs function (and `authctl serve`) links these 2.4 MB of files (with the gzip
//! copies).

use axum::body::Body;
use axum::http::header::{
    HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY,
    CONTENT_TYPE, VARY,
};
use axum::http::{HeaderMap, HeaderName, Uri};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::response::public_static_response;
use crate::app::AppState;
use crate::error::ApiError;

/// The page, in both slash forms, and the files it loads.
pub(super) const PATHS: [&str; 7] = [
    "/docs",
    "/docs/",
    "/docs/swagger-ui-bundle.js",
    "/docs/swagger-ui.css",
    "/docs/docs.js",
    OAUTH2_REDIRECT_PATH,
    "/docs/oauth2-redirect.js",
];

/// Where the hosted sign-in page sends Swagger UI's authorization code flow back to (the
/// `docs` client's redirect URI): Swagger UI's own page, which hands the code to the docs
/// page that opened the sign-in window.
pub const OAUTH2_REDIRECT_PATH: &str = "/docs/oauth2-redirect.html";

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

/// A file the page loads.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// The same bytes gzipped (by `scripts/vendor-swagger-ui.sh`), for browsers that accept
    /// it: API Gateway HTTP APIs do not compress, and the bundle shrinks from 1.7 MB to 0.46.
    gzip: Option<&'static [u8]>,
}

const ASSETS: [Asset; 5] = [
    Asset {
        path: "/docs/swagger-ui-bundle.js",
        content_type: JAVASCRIPT,
        bytes: include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
        gzip: Some(include_bytes!(
            "../../assets/swagger-ui/swagger-ui-bundle.js.gz"
        )),
    },
    Asset {
        path: "/docs/swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
        gzip: Some(include_bytes!("../../assets/swagger-ui/swagger-ui.css.gz")),
    },
    Asset {
        path: "/docs/docs.js",
        content_type: JAVASCRIPT,
        bytes: include_bytes!("../../assets/docs/docs.js"),
        gzip: None,
    },
    Asset {
        path: OAUTH2_REDIRECT_PATH,
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../assets/swagger-ui/oauth2-redirect.html"),
        gzip: None,
    },
    Asset {
        path: "/docs/oauth2-redirect.js",
        content_type: JAVASCRIPT,
        bytes: include_bytes!("../../assets/swagger-ui/oauth2-redirect.js"),
        gzip: None,
    },
];

pub(super) fn routes() -> MethodRouter<AppState> {
    get(serve)
}

async fn serve(uri: Uri, request_headers: HeaderMap) -> Result<Response, ApiError> {
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
        let asset = ASSETS
            .iter()
            .find(|asset| asset.path == path)
            .ok_or(ApiError::NotFound)?;
        asset_response(asset, accepts_gzip(&request_headers))
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

/// `asset`, gzipped if it has a gzip copy and the client accepts it.
fn asset_response(asset: &Asset, gzip_accepted: bool) -> Response {
    let gzip = asset.gzip.filter(|_| gzip_accepted);
    let mut response = public_static_response(
        asset.content_type,
        gzip.unwrap_or(asset.bytes),
        MAX_AGE_SECONDS,
    );
    let headers = response.headers_mut();
    if asset.gzip.is_some() {
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if gzip.is_some() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// Whether `Accept-Encoding` (RFC 9110 §12.5.3) accepts `gzip`: named with a non-zero
/// weight, or not named and `*` has one.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    let codings = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for coding in codings {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .find_map(|param| param.trim().strip_prefix("q="))
            .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok());
        let accepted = weight.is_some_and(|q| q > 0.0);
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(accepted);
        } else if name == "*" {
            any = Some(accepted);
        }
    }
    gzip.or(any).unwrap_or(false)
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
            let served = page(path).is_some() || ASSETS.iter().any(|asset| asset.path == path);
            assert!(served, "{path}");
        }
        assert_eq!(ASSETS.len() + 2, PATHS.len());
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_accept_it() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("gzip; q=0.0, identity"));
        assert!(!with("br, deflate"));
        assert!(!with("gzipped"));
        assert!(!with("gzip;q=0, *"));
        assert!(with("*;q=0.1, identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
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
            // The code flow's return page and its script are not the docs page's.
            let loaded = ASSETS
                .iter()
                .filter(|a| !a.path.starts_with("/docs/oauth2-redirect"));
            for asset in loaded {
                let file = asset.path;
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
