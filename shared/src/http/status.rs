//! `GET /status/` (any valid token, a client's own included): a liveness check that also
//! proves the token works.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, MethodRouter};

use super::bearer::authorized_principal;
use super::issuer::RequestIssuer;
use super::{json_response, Endpoint};
use crate::app::AppState;
use crate::error::ApiError;

pub(super) fn routes() -> MethodRouter<AppState> {
    get(report_status)
}

async fn report_status(
    State(state): State<AppState>,
    issuer: RequestIssuer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorized_principal(&state, &issuer, &headers, Endpoint::Status).await?;
    Ok(json_response(StatusCode::OK, &StatusBody { status: "ok" }))
}

/// The body of `GET /status/`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = Status)]
pub(super) struct StatusBody {
    #[schema(pattern = "^ok$")]
    status: &'static str,
}
