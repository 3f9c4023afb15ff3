//! `GET /users/me/items/` (scopes `me` and `items`): the signed-in user's items.

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
    get(list_items)
}

async fn list_items(
    State(state): State<AppState>,
    issuer: RequestIssuer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = authorized_user(&state, &issuer, &headers, Endpoint::UsersMeItems).await?;
    Ok(json_response(StatusCode::OK, &user.owned_items()))
}
