//! The token service's domain: scopes, passwords, tokens, users and their stores, and the
//! HTTP handlers every Lambda function and the local server share.

pub mod config;
pub mod errors;
pub mod handlers;
pub mod http;
pub mod lockout;
pub mod passwords;
pub mod router;
pub mod scopes;
pub mod server;
pub mod state;
pub mod tokens;
pub mod users;

pub use config::{Config, Mode};
pub use errors::ApiError;
pub use handlers::handle;
pub use router::Route;
pub use state::AppState;

/// Runs one Lambda function for `route`: reads configuration, builds the state once (cold
/// start), then answers invocations with [`handle`] until the runtime stops.
pub async fn run_function(route: Route) -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env(Mode::Function)?;
    let state = AppState::from_config(&config).await?;
    tracing::info!(route = route.path(), "function ready");
    let state = &state;
    lambda_http::run(lambda_http::service_fn(move |request| async move {
        Ok::<_, lambda_http::Error>(handle(route, state, request).await)
    }))
    .await
}
