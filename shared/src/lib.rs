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
pub use handlers::{handle, handle_lambda};
pub use router::Route;
pub use state::AppState;

/// Cold start of a Lambda function: logging, configuration, then the state every invocation
/// borrows (signing key fetched, SDK clients built, once).
pub async fn start_function() -> Result<AppState, lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env(Mode::Function)?;
    Ok(AppState::from_config(&config).await?)
}
