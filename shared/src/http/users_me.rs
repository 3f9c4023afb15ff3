//! `GET /users/me/` (scope `me`): the signed-in user's profile.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::bearer::authorized_user;
use super::issuer::RequestIssuer;
use super::{json_response, Endpoint};
use crate::app::AppState;
use crate::error::ApiError;

pub(super) fn routes() -> MethodRouter<AppState> {
    get(read_profile)
}

async fn read_profile(
    State(state): State<AppState>,
    issuer: RequestIssuer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = authorized_user(&state, &issuer, &headers, Endpoint::UsersMe).await?;
    Ok(json_response(StatusCode::OK, &user.profile()))
}
