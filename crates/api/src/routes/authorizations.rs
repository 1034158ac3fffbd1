//! `/api/v2/authorizations[/{id}]`.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use model::wire::{AuthorizationPostRequest, AuthorizationUpdateRequest};
use service::AuthorizationQuery;

use crate::extract::{Authenticated, JsonBody, Params, PathId, Rendered};
use crate::render;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/authorizations", get(list).post(create))
        .route("/api/v2/authorizations/{id}", get(find).patch(update).delete(remove))
}

async fn list(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = AuthorizationQuery {
        id: params.get("id"),
        user_id: params.get("userID"),
        user: params.get("user"),
        org_id: params.get("orgID"),
        org: params.get("org"),
        limit: params.get("limit"),
        offset: params.get("offset"),
        after: params.get("after"),
        status: params.get("status"),
        description: params.get("description"),
        unused_since: params.get("unusedSince"),
        token: None,
    };
    let list = app.service.list_authorizations(&caller, query).await?;
    Ok(Rendered(StatusCode::OK, render::authorizations(&list).into()))
}

async fn create(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<AuthorizationPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Rendered(
        StatusCode::CREATED,
        render::authorization(&app.service.create_authorization(&caller, request).await?).into(),
    ))
}

async fn find(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    let body = app.service.get_written(false, &caller, id, render::authorization)?;
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
        render::authorization(&app.service.update_authorization(&caller, id, request).await?).into(),
    ))
}

async fn remove(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    app.service.delete_authorization(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
