//! `GET /api/v2/audit` (an extension: the audit trail, for operators), and the audit entry of a refused request's
//! failed authentication, which the token middleware records.

use std::net::IpAddr;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use http::{HeaderMap, StatusCode};
use service::{Attempt, AuditQuery, AuthenticationError, Caller};

use crate::extract::{Params, Pretty};
use crate::middleware::{bearer_token, session_key};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/audit", get(list))
}

async fn list(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
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

/// Records a failed authentication for the audit trail: which credential the request offered (read again from its
/// headers, as the middleware reads it: a token wins over the session cookie) and the client's address. The
/// credential itself is never recorded.
pub(crate) fn failed_authentication(
    state: &AppState,
    headers: &HeaderMap,
    remote: Option<IpAddr>,
    error: &AuthenticationError,
) {
    let (token, session) = (bearer_token(headers), session_key(headers));
    let attempt = match (&token, &session) {
        (Some(token), _) => Attempt::Token(token),
        (None, Some(key)) => Attempt::Session(key),
        (None, None) => Attempt::Nothing,
    };
    state.service.audit_failed_authentication(attempt, remote, error);
}
