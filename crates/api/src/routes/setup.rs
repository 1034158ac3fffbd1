//! `GET|POST /api/v2/setup`: onboarding, without a token.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use model::wire::{SetupAllowed, SetupRequest};

use crate::extract::{JsonBody, Pretty};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/setup", get(allowed).post(setup))
}

async fn allowed(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        SetupAllowed {
            allowed: app.service.setup_allowed().await?,
        },
    ))
}

async fn setup(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<SetupRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::CREATED, app.service.setup(request).await?))
}
