//! `/api/v2/orgs`, `/api/v2/users`, `/api/v2/me`, `/api/v2/buckets`: what token clients need around tokens.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use http::StatusCode;
use model::wire::{BucketPostRequest, OrgPostRequest, UserPostRequest};
use service::{BucketQuery, Caller, OrgQuery, UserQuery};

use crate::extract::{JsonBody, Params, PathId, Pretty};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/orgs", get(list_orgs).post(create_org))
        .route("/api/v2/orgs/{id}", get(find_org))
        .route("/api/v2/users", get(list_users).post(create_user))
        .route("/api/v2/users/{id}", get(find_user))
        .route("/api/v2/me", get(me))
        .route("/api/v2/buckets", get(list_buckets).post(create_bucket))
        .route("/api/v2/buckets/{id}", get(find_bucket))
}

async fn list_orgs(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = OrgQuery {
        org: params.get("org"),
        org_id: params.get("orgID"),
        user_id: params.get("userID"),
        limit: params.get("limit"),
        offset: params.get("offset"),
    };
    Ok(Pretty(
        StatusCode::OK,
        app.service.list_orgs(&caller, query).await?,
    ))
}

async fn create_org(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<OrgPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_org(&caller, request).await?,
    ))
}

async fn find_org(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.get_org(&caller, id).await?,
    ))
}

async fn list_users(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = UserQuery {
        name: params.get("name"),
        id: params.get("id"),
    };
    Ok(Pretty(
        StatusCode::OK,
        app.service.list_users(&caller, query).await?,
    ))
}

async fn create_user(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<UserPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_user(&caller, request).await?,
    ))
}

async fn find_user(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.get_user(&caller, id).await?,
    ))
}

async fn me(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::OK, app.service.me(&caller).await?))
}

async fn list_buckets(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = BucketQuery {
        org: params.get("org"),
        org_id: params.get("orgID"),
        name: params.get("name"),
        id: params.get("id"),
        limit: params.get("limit"),
        offset: params.get("offset"),
        after: params.get("after"),
    };
    Ok(Pretty(
        StatusCode::OK,
        app.service.list_buckets(&caller, query).await?,
    ))
}

async fn create_bucket(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<BucketPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_bucket(&caller, request).await?,
    ))
}

async fn find_bucket(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.get_bucket(&caller, id).await?,
    ))
}
