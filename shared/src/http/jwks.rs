//! `GET /.well-known/jwks.json` (RFC 7517): the public keys that verify access tokens, read
//! from the key set every verifier reads. Public and cacheable; no token needed.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::public_json_response;
use crate::app::AppState;
use crate::error::ApiError;

pub(super) const PATH: &str = "/.well-known/jwks.json";
/// Shorter than a rotation's publish lead, so every cache sees a new key before it signs.
pub const JWKS_MAX_AGE_SECONDS: u32 = 300;

pub(super) fn routes() -> MethodRouter<AppState> {
    get(published_keys)
}

async fn published_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let now = state.now();
    let set = state.keys.current(now).await?;
    Ok(public_json_response(&set.jwks(now), JWKS_MAX_AGE_SECONDS))
}
