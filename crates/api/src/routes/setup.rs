//! `GET|POST /api/v2/setup`: onboarding, without a token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
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
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    JsonBody(request): JsonBody<SetupRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let remote = remote.map(|Extension(info)| info.0.ip());
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.setup_from(request, remote).await?,
    ))
}
