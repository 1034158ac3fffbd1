//! Unauthenticated endpoints around the API: `/ping`, `/health`, `/ready`, `GET /api/v2`, plus
//! `GET /api/v2/resources` and the JSON 404.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, StatusCode, header};
use model::ResourceType;

use crate::extract::Pretty;
use crate::{ApiError, AppState, INFLUXDB_VERSION};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/ping", get(ping).head(ping))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/api/v2", get(api_root))
        .route("/api/v2/resources", get(resources))
}

pub(crate) async fn path_not_found() -> ApiError {
    ApiError::PathNotFound
}

fn json_text(status: StatusCode, text: String) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// Prometheus text format: requests by route and status and their latency, authentication outcomes, the store's
/// size and commit latency (see `metrics`). Nothing in it names a token, a user, an ID or a raw path.
async fn metrics(State(app): State<AppState>) -> Response {
    let store = app.service.store_figures().await;
    let body = app.metrics.render(&app.auth_failures, &store);
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// InfluxDB's health check, with the store as its one check: 200 `pass`, or 503 `fail` with the reason while the
/// store cannot be read or written (a PostgreSQL that is gone or read-only).
async fn health(State(app): State<AppState>) -> Response {
    let (status, body) = match app.service.check_store().await {
        Ok(()) => (
            StatusCode::OK,
            serde_json::json!({
                "name": "influxdb",
                "message": "ready for queries and writes",
                "status": "pass",
                "checks": [],
                "version": INFLUXDB_VERSION,
                "commit": env!("CARGO_PKG_VERSION"),
            }),
        ),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({
                "name": "influxdb",
                "message": "the store is unavailable",
                "status": "fail",
                "checks": [{"name": "store", "status": "fail", "message": reason}],
                "version": INFLUXDB_VERSION,
                "commit": env!("CARGO_PKG_VERSION"),
            }),
        ),
    };
    json_text(status, format!("{body}\n"))
}

/// 200 once started; 503 `unavailable` while the store cannot be read or written.
async fn ready(State(app): State<AppState>) -> Response {
    if let Err(reason) = app.service.check_store().await {
        return ApiError::Service(service::ServiceError::Unavailable(format!(
            "the store is unavailable: {reason}"
        )))
        .into_response();
    }
    let body = serde_json::json!({
        "status": "ready",
        "started": model::time_format::format(app.started),
        "up": go_duration(app.started_at.elapsed()),
    });
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    if serde::Serialize::serialize(&body, &mut serializer).is_err() {
        return ApiError::InvalidInput("unreadable state".into()).into_response();
    }
    json_text(StatusCode::OK, String::from_utf8_lossy(&out).into_owned())
}

/// A duration as Go's `time.Duration.String` writes it, to the millisecond: `1h2m3.5s`, `14m45.9s`, `2.25s`.
fn go_duration(elapsed: std::time::Duration) -> String {
    let millis = elapsed.as_millis();
    let (hours, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let seconds = format!("{}.{:03}", rest / 1000, rest % 1000);
    let seconds = seconds.trim_end_matches('0').trim_end_matches('.');
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

async fn api_root() -> Response {
    let links = serde_json::json!({
        "authorizations": "/api/v2/authorizations",
        "backup": "/api/v2/backup",
        "buckets": "/api/v2/buckets",
        "checks": "/api/v2/checks",
        "dashboards": "/api/v2/dashboards",
        "delete": "/api/v2/delete",
        "external": {"statusFeed": "https://www.influxdata.com/feed/json"},
        "flags": "/api/v2/flags",
        "labels": "/api/v2/labels",
        "me": "/api/v2/me",
        "notificationEndpoints": "/api/v2/notificationEndpoints",
        "notificationRules": "/api/v2/notificationRules",
        "orgs": "/api/v2/orgs",
        "plugins": "/api/v2/telegraf/plugins",
        "query": {
            "analyze": "/api/v2/query/analyze",
            "ast": "/api/v2/query/ast",
            "self": "/api/v2/query",
            "suggestions": "/api/v2/query/suggestions"
        },
        "restore": "/api/v2/restore",
        "scrapers": "/api/v2/scrapers",
        "setup": "/api/v2/setup",
        "signin": "/api/v2/signin",
        "signout": "/api/v2/signout",
        "sources": "/api/v2/sources",
        "swagger": "/api/v2/swagger.json",
        "system": {"debug": "/debug/pprof", "health": "/health", "metrics": "/metrics"},
        "tasks": "/api/v2/tasks",
        "telegrafs": "/api/v2/telegrafs",
        "users": "/api/v2/users",
        "variables": "/api/v2/variables",
        "write": "/api/v2/write"
    });
    json_text(StatusCode::OK, links.to_string())
}

async fn resources() -> impl IntoResponse {
    let names: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
    Pretty(StatusCode::OK, names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_read_like_go() {
        assert_eq!(go_duration(Duration::from_millis(2250)), "2.25s");
        assert_eq!(go_duration(Duration::from_millis(885_900)), "14m45.9s");
        assert_eq!(go_duration(Duration::from_millis(3_723_000)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_millis(0)), "0s");
    }
}
