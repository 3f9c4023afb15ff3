//! The OAuth2 token service: FastAPI's "OAuth2 with scopes" as a library that every Lambda
//! function, `authctl` and the tests share.
//!
//! A module per concept, each allowed to touch only what its name says:
//! - [`domain`]: scopes, usernames, users, source addresses, the sign-in budgets. Pure types, no I/O.
//! - [`oauth`]: the OAuth procedures (the password grant, bearer authorization). No HTTP.
//! - [`tokens`]: access-token claims, signers, issuing and verifying. Time comes in as a parameter.
//! - [`keys`]: public signing keys as data: the key set, its rotation, its stores and cache.
//! - [`passwords`]: Argon2id hashing and the secret [`passwords::Password`] type.
//! - [`store`]: the user store trait, in memory and in DynamoDB.
//! - [`clients`]: registered OAuth clients, their store and their secrets.
//! - [`attempts`]: the sign-in attempt counters behind the lockout budgets.
//! - [`http`]: the only code that knows HTTP: the axum router, one file per endpoint, the
//!   error-to-response mapping, our form and Bearer parsers, the Lambda entry point.
//! - [`logging`]: JSON lines in Lambda, text elsewhere, client text escaped in both.
//! - [`app`] builds the shared state from [`config`]; [`clock`] is the injected time.

pub mod app;
pub mod attempts;
pub mod aws;
pub mod browser_sessions;
pub mod clients;
pub mod clock;
pub mod codes;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod logging;
pub mod oauth;
pub mod passwords;
pub mod random;
pub mod sessions;
pub mod store;
pub mod tokens;

pub use app::{AppParts, AppState};
pub use config::{Config, Mode};
pub use error::ApiError;
pub use http::lambda::run_function;
pub use http::Endpoint;
