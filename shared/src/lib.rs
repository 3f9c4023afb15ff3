//! The OAuth2 token service: FastAPI's "OAuth2 with scopes" as a library that every Lambda
//! function, `authctl` and the tests share.
//!
//! A module per concept, each allowed to touch only what its name says:
//! - [`domain`]: scopes, usernames, users, the lockout rule. Pure types, no I/O.
//! - [`oauth`]: the OAuth procedures (the password grant, bearer authorization). No HTTP.
//! - [`tokens`]: access-token claims, issuing and verifying. Time comes in as a parameter.
//! - [`passwords`]: Argon2id hashing and the secret [`passwords::Password`] type.
//! - [`store`]: the user store trait, in memory and in DynamoDB.
//! - [`http`]: the only code that knows HTTP: the axum router, one file per endpoint, the
//!   error-to-response mapping, our form and Bearer parsers.
//! - [`app`] builds the shared state from [`config`]; [`clock`] is the injected time.

pub mod app;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod oauth;
pub mod passwords;
pub mod store;
pub mod tokens;

pub use app::AppState;
pub use config::{Config, Mode};
pub use error::ApiError;
pub use http::Endpoint;

/// Cold start of a Lambda function: logging, configuration, then the state every invocation
/// borrows (signing key fetched, SDK clients built, once).
pub async fn start_function() -> Result<AppState, lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let config = Config::from_env(Mode::Function)?;
    Ok(AppState::from_config(&config).await?)
}

/// A Lambda function serving `endpoint`: start, then answer invocations with the router of
/// that one endpoint until the runtime stops.
pub async fn run_function(endpoint: Endpoint) -> Result<(), lambda_http::Error> {
    let state = start_function().await?;
    lambda_http::run(http::router(state, &[endpoint])).await
}
