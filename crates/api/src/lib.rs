//! influx-authz's HTTP API, shaped like InfluxDB OSS 2.x's.
//!
//! # Layout
//! - [`app`]: the whole HTTP service: trailing-slash stripping, then one service for what every request needs
//!   (timing, build headers, authentication before routing, as InfluxDB does), then the router.
//! - `routes/*`: one router function per resource; handlers only extract, call one `service` method and pick a
//!   status.
//! - `error`: [`ApiError`], the one place that writes InfluxDB's `{"code","message"}` body.
//! - `extract`: body, query and path extractors whose rejections are InfluxDB errors, and the tab-indented JSON
//!   response.
//! - `render`: authorizations written straight into that JSON (lists are made of them), without serde.
//! - `middleware`: [`middleware::Front`], the one service before routing: metrics timing, deadline, CORS, token and
//!   session authentication, the JSON 405.
//! - `guard`: request limits, and counting (optionally rate-limiting) failed authentications.
//! - `metrics`: the counters and histograms of `GET /metrics` (requests by route and status, latency,
//!   authentication outcomes) and the one place that writes the Prometheus text.
//! - `routes/legacy`: `/private/legacy/authorizations`, InfluxDB's v1 authorizations.
//! - `routes/ui`: the embedded API Tokens page at `/`.
//! - `routes/authz_check`: `/api/v2/authz/check` for reverse proxies (an extension), and [`request_credentials`], the
//!   credential forms it reads (also used by the `authz-layer` crate).
//! - `routes/audit`: `GET /api/v2/audit` (an extension), and the failed-authentication entry the middleware
//!   records for a refused request.
//!
//! This crate never names redb; storage is reached only through `service`.

mod error;
mod extract;
mod guard;
mod metrics;
pub mod middleware;
mod render;
mod routes;

use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use service::Service;
use tower::Layer as _;
use tower_http::normalize_path::NormalizePath;

pub use error::{ApiError, ErrorCode};
pub use guard::{AuthFailures, RequestLimits};
pub use metrics::Metrics;
pub use routes::authz_check::{PERMISSION_HEADER, request_credentials};

/// The InfluxDB version we answer as.
pub const INFLUXDB_VERSION: &str = "v2.7.11";

/// What every handler can reach: one shared [`AppParts`]. A single `Arc`, because axum clones the state for
/// every request (the route's service, then the `State` extractor) and each count is a write to a cache line
/// that all workers share.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<AppParts>);

/// The parts of [`AppState`]. A clone shares the service and the counters.
#[derive(Clone)]
pub struct AppParts {
    pub service: Service,
    pub limits: RequestLimits,
    pub auth_failures: std::sync::Arc<AuthFailures>,
    pub metrics: std::sync::Arc<Metrics>,
    pub started: time::OffsetDateTime,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(std::sync::Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The router alone, with its state: routes and the JSON 404. Authentication is *not* in here; see [`app`].
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::system::routes())
        .merge(routes::setup::routes())
        .merge(routes::session::routes())
        .merge(routes::authorizations::routes())
        .merge(routes::legacy::routes())
        .merge(routes::authz_check::routes())
        .merge(routes::audit::routes())
        .merge(routes::tenants::routes())
        .merge(routes::ui::routes())
        .fallback(routes::system::path_not_found)
        .layer(metrics::RouteLayer(std::sync::Arc::clone(&state.metrics)))
        .with_state(state)
}

/// The complete HTTP service (see [`app`]).
pub type App = NormalizePath<middleware::Front<BodyLimited<Router>>>;

/// A service whose requests' bodies the extractors read up to `--max-body-bytes`.
type BodyLimited<S> = <DefaultBodyLimit as tower::Layer<S>>::Service;

/// The complete HTTP service: a trailing slash is stripped; every request is timed and counted for `/metrics`,
/// gets the build headers, and has its token checked before routing (so an unknown path without a token is 401,
/// as in InfluxDB), all in one service ([`middleware::Front`]); then the router runs.
pub fn app(state: AppState) -> App {
    // Around the router rather than a layer of it: `Router::layer` wraps every route in one more boxed service,
    // which each request clones.
    let inner = DefaultBodyLimit::max(state.limits.max_body_bytes).layer(router(state.clone()));
    let front = middleware::FrontLayer::new(state).layer(inner);
    NormalizePath::trim_trailing_slash(front)
}
