//! The Lambda entry point: what each function's `main` runs.

use super::{function_router, Endpoint, Function};
use crate::app::{AppState, Duty};
use crate::config::{Config, Mode};

/// Cold start of a Lambda function: logging, configuration, then the state every invocation
/// borrows (SDK clients built once; no network call). Only the token function gets a signer.
pub async fn start_function(endpoint: Endpoint) -> Result<AppState, lambda_http::Error> {
    crate::logging::init(std::io::stdout);
    let config = Config::from_env(Mode::Function)?;
    let duty = if endpoint == Endpoint::Token {
        Duty::IssueAndVerify
    } else {
        Duty::VerifyOnly
    };
    Ok(AppState::from_config(&config, duty).await?)
}

/// The Lambda function `F`: start, then answer invocations with the router of its one
/// endpoint until the runtime stops (the pattern of the aws-lambda-rust-runtime `http-axum`
/// example).
pub async fn run_function<F: Function>() -> Result<(), lambda_http::Error> {
    let state = start_function(F::ENDPOINT).await?;
    lambda_http::run(function_router::<F>(state)).await
}
