//! `/private/legacy/authorizations[/{id}[/password]]`: InfluxDB's v1 authorizations (contract §1.8), behind the
//! same token middleware and permission checks as `/api/v2/authorizations`.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::StatusCode;
use model::wire::{AuthorizationUpdateRequest, PasswordRequest, V1AuthorizationPostRequest};
use service::AuthorizationQuery;

use crate::extract::{Authenticated, JsonBody, Params, PathId, Rendered};
use crate::render;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/private/legacy/authorizations", get(list).post(create))
        .route(
            "/private/legacy/authorizations/{id}",
            get(find).patch(update).delete(remove),
        )
        .route("/private/legacy/authorizations/{id}/password", post(set_password))
}

/// InfluxDB's server reads the ID filter as `id`; its OpenAPI (and so the generated clients) call it `authID`.
async fn list(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = AuthorizationQuery {
        id: params
            .get("id")
            .filter(|id| !id.is_empty())
            .or_else(|| params.get("authID")),
        token: params.get("token"),
        user_id: params.get("userID"),
        user: params.get("user"),
        org_id: params.get("orgID"),
        org: params.get("org"),
        ..AuthorizationQuery::default()
    };
    let list = app.service.list_v1_authorizations(&caller, query).await?;
    Ok(Rendered(StatusCode::OK, render::authorizations(&list).into()))
}

async fn create(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<V1AuthorizationPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Rendered(
        StatusCode::CREATED,
        render::authorization(&app.service.create_v1_authorization(&caller, request).await?).into(),
    ))
}

async fn find(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    let body = app.service.get_written(true, &caller, id, render::authorization)?;
    Ok(Rendered(StatusCode::OK, body))
}

async fn update(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<AuthorizationUpdateRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Rendered(
        StatusCode::OK,
        render::authorization(&app.service.update_v1_authorization(&caller, id, request).await?).into(),
    ))
}

async fn remove(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    app.service.delete_v1_authorization(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_password(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    app.service.set_v1_password(&caller, id, request).await?;
    Ok(StatusCode::NO_CONTENT)
}
