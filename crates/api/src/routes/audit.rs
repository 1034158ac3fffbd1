//! `GET /api/v2/audit` (an extension: the audit trail, for operators). The entry of a refused request's failed
//! authentication is recorded by the token middleware.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use service::AuditQuery;

use crate::extract::{Authenticated, Params, Pretty};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/audit", get(list))
}

async fn list(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let query = AuditQuery {
        action: params.get("action"),
        since: params.get("since"),
        until: params.get("until"),
        user_id: params.get("userID"),
        limit: params.get("limit"),
        after: params.get("after"),
    };
    Ok(Pretty(StatusCode::OK, app.service.list_audit(&caller, query).await?))
}
