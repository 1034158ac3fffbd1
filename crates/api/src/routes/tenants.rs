//! `/api/v2/orgs`, `/api/v2/users`, `/api/v2/me`, `/api/v2/buckets`: what token clients need around tokens.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use http::StatusCode;
use model::wire::{
    BucketPostRequest, MemberPostRequest, OrgPatchRequest, OrgPostRequest, PasswordRequest, UserPatchRequest,
    UserPostRequest,
};
use service::{BucketQuery, OrgQuery, Role, UserQuery};

use crate::extract::{Authenticated, JsonBody, MemberPath, Params, PathId, Pretty};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/orgs", get(list_orgs).post(create_org))
        .route("/api/v2/orgs/{id}", get(find_org).patch(update_org).delete(delete_org))
        .route("/api/v2/orgs/{id}/members", get(list_members).post(add_member))
        .route("/api/v2/orgs/{id}/members/{user}", delete(remove_member))
        .route("/api/v2/orgs/{id}/owners", get(list_owners).post(add_owner))
        .route("/api/v2/orgs/{id}/owners/{user}", delete(remove_owner))
        .route("/api/v2/users", get(list_users).post(create_user))
        .route(
            "/api/v2/users/{id}",
            get(find_user).patch(update_user).delete(delete_user),
        )
        .route("/api/v2/users/{id}/password", post(set_password))
        .route("/api/v2/me/password", put(set_own_password))
        .route("/api/v2/me", get(me))
        .route("/api/v2/buckets", get(list_buckets).post(create_bucket))
        .route("/api/v2/buckets/{id}", get(find_bucket))
}

async fn list_orgs(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = OrgQuery {
        org: params.get("org"),
        org_id: params.get("orgID"),
        user_id: params.get("userID"),
        limit: params.get("limit"),
        offset: params.get("offset"),
    };
    Ok(Pretty(StatusCode::OK, app.service.list_orgs(&caller, query).await?))
}

async fn create_org(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<OrgPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_org(&caller, request).await?,
    ))
}

async fn find_org(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::OK, app.service.get_org(&caller, id).await?))
}

async fn list_users(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = UserQuery {
        name: params.get("name"),
        id: params.get("id"),
    };
    Ok(Pretty(StatusCode::OK, app.service.list_users(&caller, query).await?))
}

async fn create_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<UserPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_user(&caller, request).await?,
    ))
}

async fn find_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::OK, app.service.get_user(&caller, id).await?))
}

async fn me(State(app): State<AppState>, Authenticated(caller): Authenticated) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::OK, app.service.me(&caller).await?))
}

async fn list_buckets(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
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
    Ok(Pretty(StatusCode::OK, app.service.list_buckets(&caller, query).await?))
}

async fn create_bucket(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    JsonBody(request): JsonBody<BucketPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::CREATED,
        app.service.create_bucket(&caller, request).await?,
    ))
}

async fn find_bucket(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(StatusCode::OK, app.service.get_bucket(&caller, id).await?))
}

async fn update_org(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<OrgPatchRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.update_org(&caller, id, request).await?,
    ))
}

async fn delete_org(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    app.service.delete_org(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_members(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.list_members(&caller, id, Role::Member).await?,
    ))
}

async fn list_owners(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.list_members(&caller, id, Role::Owner).await?,
    ))
}

async fn add_member(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<MemberPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let added = app.service.add_member(&caller, id, Role::Member, request).await?;
    Ok(Pretty(StatusCode::CREATED, added))
}

async fn add_owner(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<MemberPostRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let added = app.service.add_member(&caller, id, Role::Owner, request).await?;
    Ok(Pretty(StatusCode::CREATED, added))
}

async fn remove_member(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    MemberPath(org, user): MemberPath,
) -> Result<StatusCode, ApiError> {
    app.service.remove_member(&caller, org, Role::Member, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_owner(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    MemberPath(org, user): MemberPath,
) -> Result<StatusCode, ApiError> {
    app.service.remove_member(&caller, org, Role::Owner, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn update_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<UserPatchRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Pretty(
        StatusCode::OK,
        app.service.update_user(&caller, id, request).await?,
    ))
}

async fn delete_user(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    app.service.delete_user(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_password(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    PathId(id): PathId,
    JsonBody(request): JsonBody<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    app.service.set_password(&caller, id, request).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_own_password(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    headers: http::HeaderMap,
    JsonBody(request): JsonBody<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let current = crate::routes::session::basic_credentials(&headers);
    app.service.set_own_password(&caller, current, request).await?;
    Ok(StatusCode::NO_CONTENT)
}
