//! `POST /api/v2/signin` (Basic auth → the `influxdb-oss-session` cookie) and `POST /api/v2/signout`.

use axum::{Extension, Router};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use service::AuthenticationError;

use crate::metrics::{Credential, Outcome};
use crate::middleware::{SESSION_COOKIE, session_key};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/signin", post(sign_in))
        .route("/api/v2/signout", post(sign_out))
}

/// `Authorization: Basic base64(user:password)`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn cookie(value: &str, max_age_seconds: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/api/; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict"
    ))
    .map_err(|_| ApiError::InvalidInput("unusable session key".into()))
}

/// Sign-in failures count towards the same per-address limit as failed token checks (`--auth-failure-limit`).
async fn sign_in(
    State(app): State<AppState>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let address = remote.map(|Extension(info)| info.0.ip());
    let per_minute = app.limits.auth_failures_per_minute;
    if address.is_some_and(|a| app.auth_failures.is_blocked(a, per_minute)) {
        app.metrics.authentication(Credential::Password, Outcome::RateLimited);
        return Err(ApiError::TooManyFailures);
    }
    let attempt = match basic_credentials(&headers) {
        Some((user, password)) => app.service.sign_in(user, password, address).await,
        None => Err(app.service.sign_in_without_credentials(address)),
    };
    app.metrics.authenticated(Credential::Password, &attempt);
    if matches!(attempt, Err(AuthenticationError::UnknownToken)) {
        app.auth_failures.record(address, per_minute);
    }
    let (key, length) = attempt?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(key.expose(), length.whole_seconds())?);
    Ok(response)
}

async fn sign_out(
    State(app): State<AppState>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(key) = session_key(&headers) {
        app.service
            .sign_out(key, remote.map(|Extension(info)| info.0.ip()))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie("", 0)?);
    Ok(response)
}
