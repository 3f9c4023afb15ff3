//! The only code that knows HTTP: one axum [`Router`] for every runtime. A Lambda function
//! hands the router of its one endpoint to `lambda_http::run`; `authctl serve` and the tests
//! serve the router of all endpoints. Both slash forms of every path, the JSON 404 and 405
//! (with `Allow`) and the body limit all come from here.

mod authorize;
mod bearer;
mod browser;
mod client_auth;
mod context;
mod docs;
mod error;
mod form;
pub mod function;
mod introspect;
mod issuer;
mod jwks;
pub mod lambda;
pub mod openapi;
mod openid_configuration;
mod response;
pub(crate) mod revoke;
mod sign_in_page;
mod status;
mod token;
mod users_me;
mod users_me_items;

use std::future::Future;
use std::time::Duration;

use axum::body::HttpBody as _;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{HeaderValue, ALLOW, CONTENT_LENGTH};
use axum::http::{Method, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::MethodRouter;
use axum::Router;
use tracing::Instrument as _;

use crate::app::AppState;
use crate::domain::{Scope, ScopeSet};
use crate::error::ApiError;

pub use bearer::bearer_token;
pub use client_auth::presented_client;
pub use docs::CONTENT_SECURITY_POLICY_VALUE;
pub use error::error_response;
pub use form::{parse_urlencoded, FormFields};
pub use function::Function;
pub use response::{json_response, public_json_response};

/// Largest request body read; a real `/token` form is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// How long `serve` lets requests in flight finish after the shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// An endpoint of the API: one Lambda function each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /token`
    Token,
    /// `GET /users/me/`
    UsersMe,
    /// `GET /users/me/items/`
    UsersMeItems,
    /// `GET /status/`
    Status,
    /// `POST /revoke`: token revocation (RFC 7009).
    Revoke,
    /// `POST /introspect`: token introspection (RFC 7662), for confidential clients.
    Introspect,
    /// `GET /.well-known/jwks.json`: the public signing keys (RFC 7517).
    Jwks,
    /// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`:
    /// discovery metadata (OpenID Connect Discovery, RFC 8414).
    OpenIdConfiguration,
    /// `GET /openapi.json`: the OpenAPI 3.1 document of the API.
    OpenApi,
    /// `GET /docs`: Swagger UI, and the files it loads.
    Docs,
    /// `GET /authorize` (the sign-in page) and `POST /authorize` (its form): the
    /// authorization code flow's authorization endpoint (RFC 6749 §4.1.1).
    Authorize,
}

const POST: &[Method] = &[Method::POST];
const GET: &[Method] = &[Method::GET];
const GET_AND_POST: &[Method] = &[Method::GET, Method::POST];

impl Endpoint {
    pub const ALL: [Endpoint; 11] = [
        Endpoint::Token,
        Endpoint::UsersMe,
        Endpoint::UsersMeItems,
        Endpoint::Status,
        Endpoint::Revoke,
        Endpoint::Introspect,
        Endpoint::Jwks,
        Endpoint::OpenIdConfiguration,
        Endpoint::OpenApi,
        Endpoint::Docs,
        Endpoint::Authorize,
    ];

    /// The path as the FastAPI tutorial spells it.
    pub fn path(self) -> &'static str {
        self.paths()[0]
    }

    /// The paths of the endpoint; the first is canonical. The API's own paths come with and
    /// without the trailing slash; documents only as spelled (the well-known ones as their
    /// RFCs spell them); the docs page in both forms, then the files it loads.
    pub fn paths(self) -> &'static [&'static str] {
        match self {
            Endpoint::Token => &["/token", "/token/"],
            Endpoint::UsersMe => &["/users/me/", "/users/me"],
            Endpoint::UsersMeItems => &["/users/me/items/", "/users/me/items"],
            Endpoint::Status => &["/status/", "/status"],
            Endpoint::Revoke => &["/revoke", "/revoke/"],
            Endpoint::Introspect => &["/introspect", "/introspect/"],
            Endpoint::Jwks => &[jwks::PATH],
            Endpoint::OpenIdConfiguration => &openid_configuration::PATHS,
            Endpoint::OpenApi => &[openapi::PATH],
            Endpoint::Docs => &docs::PATHS,
            Endpoint::Authorize => &authorize::PATHS,
        }
    }

    /// The methods the endpoint answers (the `Allow` of its 405s). A unit test holds this
    /// list to the routes the endpoint's file registers.
    pub fn methods(self) -> &'static [Method] {
        match self {
            Endpoint::Token | Endpoint::Revoke | Endpoint::Introspect => POST,
            Endpoint::UsersMe
            | Endpoint::UsersMeItems
            | Endpoint::Status
            | Endpoint::Jwks
            | Endpoint::OpenIdConfiguration
            | Endpoint::OpenApi
            | Endpoint::Docs => GET,
            Endpoint::Authorize => GET_AND_POST,
        }
    }

    /// Whether the endpoint is a protected resource: it answers only with a valid bearer
    /// token (RFC 6750), of [`Self::required_scopes`]. A router test holds this to the
    /// answers; the OpenAPI document declares the security of exactly these.
    pub fn takes_bearer_token(self) -> bool {
        matches!(
            self,
            Endpoint::UsersMe | Endpoint::UsersMeItems | Endpoint::Status
        )
    }

    /// Whether the endpoint authenticates the calling client (RFC 6749 §2.3): the token,
    /// revocation and introspection endpoints.
    pub fn takes_client_credentials(self) -> bool {
        matches!(
            self,
            Endpoint::Token | Endpoint::Revoke | Endpoint::Introspect
        )
    }

    /// Whether the endpoint answers about a user, so that a client's own token (client
    /// credentials) is refused there.
    pub fn needs_user(self) -> bool {
        matches!(self, Endpoint::UsersMe | Endpoint::UsersMeItems)
    }

    /// Scopes a bearer token must carry (and its user must still be allowed) to use the
    /// endpoint. The token endpoint takes no bearer token; its set is empty.
    pub fn required_scopes(self) -> ScopeSet {
        match self {
            Endpoint::UsersMe => ScopeSet::from([Scope::Me]),
            Endpoint::UsersMeItems => ScopeSet::from([Scope::Me, Scope::Items]),
            Endpoint::Token
            | Endpoint::Status
            | Endpoint::Revoke
            | Endpoint::Introspect
            | Endpoint::Jwks
            | Endpoint::OpenIdConfiguration
            | Endpoint::OpenApi
            | Endpoint::Docs
            | Endpoint::Authorize => ScopeSet::empty(),
        }
    }

    /// The endpoint at `path` (either form), if any.
    pub fn for_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL
            .into_iter()
            .find(|endpoint| endpoint.paths().contains(&path))
    }

    /// The `Allow` header of the endpoint's 405s.
    fn allow(self) -> HeaderValue {
        let methods: Vec<&str> = self.methods().iter().map(Method::as_str).collect();
        HeaderValue::from_str(&methods.join(", ")).expect("method names are tokens")
    }
}

/// The router of a process that serves the endpoints in `served`.
///
/// A wrong method on any API path gets the 405 the API as a whole gives (API Gateway's
/// catch-all `$default` route sends such requests to the token function). A request that
/// matches an endpoint this process does not serve gets a 404: its code never runs here.
pub fn router(state: AppState, served: &[Endpoint]) -> Router {
    router_serving(state, |endpoint| {
        served.contains(&endpoint).then(|| endpoint.routes())
    })
}

/// The router of the Lambda function `F`, which links no other endpoint's handlers.
pub fn function_router<F: Function>(state: AppState) -> Router {
    router_serving(state, |endpoint| (endpoint == F::ENDPOINT).then(F::routes))
}

/// The router of every endpoint; `handlers` gives those of the endpoints served here.
fn router_serving(
    state: AppState,
    handlers: impl Fn(Endpoint) -> Option<MethodRouter<AppState>>,
) -> Router {
    let mut router = Router::new();
    for endpoint in Endpoint::ALL {
        // The others' paths are answered by the fallback: registering each would cost every
        // function's cold start a route per path.
        let Some(mut routes) = handlers(endpoint) else {
            continue;
        };
        // axum would run a GET handler for HEAD; API Gateway routes only the listed methods
        // to a function, so HEAD gets the 405 here that it gets deployed.
        if !endpoint.methods().contains(&Method::HEAD) {
            routes = routes.head(method_not_allowed);
        }
        for path in endpoint.paths() {
            router = router.route(path, routes.clone());
        }
    }
    router
        .fallback(not_routed)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(limit_declared_body))
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// The router of all endpoints: `authctl serve` and the tests.
pub fn router_of_all(state: AppState) -> Router {
    router(state, &Endpoint::ALL)
}

/// A request no route of this process takes: on an API path with a method of its endpoint,
/// an endpoint this process does not serve (404: its code never runs here); on an API path
/// with another method, the 405 the API as a whole gives (API Gateway's catch-all `$default`
/// route sends such requests to the token function); anywhere else, 404.
async fn not_routed(method: Method, uri: Uri) -> Response {
    match Endpoint::for_path(uri.path()) {
        Some(endpoint) if !endpoint.methods().contains(&method) => method_not_allowed(uri).await,
        _ => ApiError::NotFound.into_response(),
    }
}

/// A body known to be too large (by its `Content-Length`, or by its size as Lambda hands it
/// over) is refused on every route before any handler runs; a body of unknown size (chunked)
/// is cut off by [`DefaultBodyLimit`] where it is read.
async fn limit_declared_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let known = request.body().size_hint().lower();
    if declared.max(known) > MAX_BODY_BYTES as u64 {
        return ApiError::body_too_large(MAX_BODY_BYTES).into_response();
    }
    next.run(request).await
}

/// Every log line of a request carries its method, path and API Gateway's request id (never
/// headers or body).
async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = context::request_id(request.extensions()),
    );
    next.run(request).instrument(span).await
}

/// The JSON 405, with the `Allow` of the endpoint at the path (axum would list `HEAD` for
/// every GET route; the endpoint table says what the API really answers).
async fn method_not_allowed(uri: Uri) -> Response {
    let mut response = ApiError::MethodNotAllowed.into_response();
    if let Some(endpoint) = Endpoint::for_path(uri.path()) {
        response.headers_mut().insert(ALLOW, endpoint.allow());
    }
    response
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish for at most [`SHUTDOWN_GRACE`] (a slow client cannot hold the process open).
/// Sign-ins hash on the blocking pool, so slow ones never stall other requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = signalled.send(true);
    };
    // The peer address is the source the sign-in budgets are kept for.
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    let deadline = async move {
        let _ = on_signal.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served,
        () = deadline => {
            tracing::warn!("requests still open {SHUTDOWN_GRACE:?} after shutdown: stopping anyway");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
