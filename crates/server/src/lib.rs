//! The influx-authz server as a library: [`Config`] (every flag also an env var), [`App::build`] (store, service,
//! boot-time setup, router, and the background tasks: last uses, the audit trail's flush and retention, its
//! stdout mirror) and [`serve`] (a listener in, graceful shutdown out). `main.rs` only parses, sets up tracing and
//! calls these, so tests run the production wiring on `127.0.0.1:0`.

mod config;
mod http;
mod migrate;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use api::{AppParts, AppState, AuthFailures};
use axum::extract::Request;
use axum::response::Response;
use model::wire::SetupRequest;
use service::{Options, Service, ServiceError};
use store::{Store, StoreError};
use store_redb::RedbStore;
use tokio::net::TcpListener;
use tower::Layer as _;
use tower_http::trace::TraceLayer;

pub use config::{Cli, Command, Config, InitSetup, LogFormat, MigrateArgs, PostgresUrl};
pub use http::{Limits, serve_with};
pub use migrate::migrate;
pub use service::{Clock, SystemClock};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the database file {0} is already in use by another process (is another influx-authz running?)")]
    AlreadyOpen(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot open the database: {0}")]
    Store(StoreError),
    #[error("{0}")]
    Postgres(#[from] store_postgres::ConnectError),
    #[error("cannot start: {0}")]
    Service(#[from] ServiceError),
    #[error("DOCKER_INFLUXDB_INIT_MODE=setup needs {0}")]
    InitIncomplete(String),
    #[error("--seed: {0}")]
    Seed(String),
    #[error("unsupported DOCKER_INFLUXDB_INIT_MODE {0:?} (only \"setup\" is supported)")]
    InitMode(String),
    #[error("{0}")]
    InvalidConfig(String),
}

/// A built server: the service and the HTTP app around it.
pub struct App {
    pub service: Service,
    /// What the HTTP service is built from ([`App::router`]).
    parts: AppParts,
    /// What [`serve_with`] should enforce for this configuration.
    pub limits: Limits,
}

impl App {
    /// Opens the store, builds the service, runs boot-time setup when asked to, and builds the router.
    pub async fn build(config: &Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// [`App::build`] with the service's clock chosen by the caller (tests pin or move "now").
    pub async fn build_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let store = open_store(config).await?;
        if config.audit_stdout {
            store.observe_audit(Box::new(print_audit_line));
        }
        let options = Options {
            hashed_tokens: config.use_hashed_tokens,
            session_length: time::Duration::minutes(i64::from(config.session_length)),
            allow_client_tokens: config.allow_client_tokens,
            track_last_used: config.track_last_used,
        };
        let service = Service::new(store, clock, options)?;
        service.start().await?;
        spawn_last_used_flusher(&service);
        spawn_audit_flusher(&service, config.audit_flush_interval, config.audit_retention);
        if let Some(init) = config.init_setup()? {
            boot_setup(&service, init).await?;
        }
        if let Some(path) = &config.seed {
            apply_seed(&service, path).await?;
        }
        let parts = AppParts {
            service: service.clone(),
            limits: config.request_limits(),
            auth_failures: Arc::new(AuthFailures::default()),
            metrics: Arc::default(),
            started: time::OffsetDateTime::now_utc(),
            started_at: Instant::now(),
        };
        Ok(Self {
            service,
            parts,
            limits: config.connection_limits(),
        })
    }

    /// A new copy of the HTTP service (see [`api::app`]), for [`serve`] or [`serve_with`]: copies share the
    /// service, the counters and the failure windows, but not the router's own reference counts.
    pub fn router(&self) -> api::App {
        api::app(AppState::new(self.parts.clone()))
    }
}

/// The engine the flags ask for: PostgreSQL with `--postgres-url`, else a redb file (or redb in memory).
async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    if let Some(url) = &config.postgres_url {
        if config.postgres_timeout.is_zero() {
            return Err(StartError::InvalidConfig(
                "--postgres-timeout must be above zero".into(),
            ));
        }
        // One call must end well before the request that makes it, or the request timeout cannot be kept.
        let mut timeout = config.postgres_timeout;
        if timeout > config.http_request_timeout / 2 {
            timeout = config.http_request_timeout / 2;
            tracing::info!(
                postgres_timeout_ms = timeout.as_millis() as u64,
                "--postgres-timeout lowered to half of --http-request-timeout"
            );
        }
        let options = store_postgres::Options {
            url: url.expose().to_owned(),
            pool_size: usize::from(config.postgres_pool_size),
            timeout,
        };
        // Connecting waits (and retries) on the network: off the async workers.
        let connected = tokio::task::spawn_blocking(move || store_postgres::PgStore::connect(&options))
            .await
            .map_err(|e| StartError::Store(StoreError::Failed(e.to_string())))?;
        return Ok(Arc::new(connected?));
    }
    if config.in_memory {
        return Ok(Arc::new(
            RedbStore::in_memory().map_err(|e| StartError::Store(e.into()))?,
        ));
    }
    let path = config.db_path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    match RedbStore::open(&path) {
        Ok(store) => Ok(Arc::new(store)),
        Err(store_redb::Error::AlreadyOpen) => Err(StartError::AlreadyOpen(path.display().to_string())),
        Err(other) => Err(StartError::Store(other.into())),
    }
}

/// `DOCKER_INFLUXDB_INIT_MODE=setup`: set up once; on a store that is already set up, do nothing.
async fn boot_setup(service: &Service, init: InitSetup) -> Result<(), StartError> {
    if !service.setup_allowed().await? {
        tracing::info!("already set up; DOCKER_INFLUXDB_INIT_* left alone");
        return Ok(());
    }
    let request = SetupRequest {
        username: Some(init.username),
        password: init.password,
        org: Some(init.org),
        bucket: Some(init.bucket),
        retention_period_seconds: init.retention_seconds,
        retention_period_hrs: None,
        token: init.admin_token,
    };
    match service.setup(request).await {
        Ok(done) => {
            tracing::info!(user = %done.user.name, org = %done.org.name, "set up from DOCKER_INFLUXDB_INIT_*");
            Ok(())
        }
        // Another start got there first: still a no-op.
        Err(ServiceError::Conflict(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// How often the last-used times recorded in memory are written to the store.
pub const LAST_USED_FLUSH: std::time::Duration = std::time::Duration::from_secs(2);

/// Writes last-used times every [`LAST_USED_FLUSH`], off the request path. (Call
/// [`Service::flush_last_used`] once more at shutdown.)
fn spawn_last_used_flusher(service: &Service) {
    let service = service.downgrade();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LAST_USED_FLUSH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Ends when the service is gone, so the database file is closed with it.
            let Some(service) = service.upgrade() else { break };
            if let Err(error) = service.flush_last_used().await {
                tracing::warn!(%error, "could not write last-used times; will retry");
            }
        }
    });
}

/// `--audit-stdout`: one committed audit entry, as one JSON line on stdout. A closed or full stdout is not the
/// server's problem: the entry is in the store either way.
fn print_audit_line(entry: &model::AuditEntry) {
    use std::io::Write as _;
    if let Ok(mut line) = serde_json::to_vec(entry) {
        line.push(b'\n');
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(&line).and_then(|()| stdout.flush());
    }
}

/// Appends the failed authentications and sign-ins buffered in memory every `every`, off the request path, and
/// removes entries older than `retention` (unless it is zero: keep forever). (Call [`Service::flush_audit`] once
/// more at shutdown.)
fn spawn_audit_flusher(service: &Service, every: std::time::Duration, retention: std::time::Duration) {
    let service = service.downgrade();
    let retention = (!retention.is_zero())
        .then(|| time::Duration::try_from(retention).ok())
        .flatten();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every.max(std::time::Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(service) = service.upgrade() else { break };
            if let Err(error) = service.flush_audit().await {
                tracing::warn!(%error, "could not write failed authentications to the audit trail; will retry");
            }
            if let Some(retention) = retention {
                match service.prune_audit(retention).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "removed audit entries past their retention"),
                    Err(error) => tracing::warn!(%error, "could not remove old audit entries; will retry"),
                }
            }
        }
    });
}

/// `--seed FILE`: create what the file lists and the store lacks.
async fn apply_seed(service: &Service, path: &std::path::Path) -> Result<(), StartError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| StartError::Seed(format!("cannot read {}: {e}", path.display())))?;
    let seed = service::Seed::parse(&text).map_err(|e| StartError::Seed(e.to_string()))?;
    let report = service
        .apply_seed(seed)
        .await
        .map_err(|e| StartError::Seed(e.to_string()))?;
    tracing::info!(
        orgs = report.orgs,
        users = report.users,
        buckets = report.buckets,
        tokens = report.tokens,
        v1_authorizations = report.v1_authorizations,
        "seed applied (what existed was left alone)"
    );
    Ok(())
}

/// With `debug` logging on (call this after the subscriber is set up), gives every request a span (method and path
/// only: never headers, never the query, which may hold a token) and tower-http's request and response events.
/// At `info`, the default, it adds nothing: inside a request only warnings and errors are logged then, and each says
/// what failed, while creating and closing the span cost ~4,000 instructions a request (a tenth of a refused one,
/// per `hotpath` under callgrind) for lines that are never written.
pub fn with_tracing<S>(router: S) -> Traced<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return Traced::Plain(router);
    }
    let traced = TraceLayer::new_for_http()
        .make_span_with(
            |request: &Request| tracing::debug_span!("request", method = %request.method(), path = %request.uri().path()),
        )
        .layer(router);
    Traced::Spanned(HttpService::new(tower::ServiceExt::map_response(traced, |response| {
        response.map(axum::body::Body::new)
    })))
}

/// An HTTP service of any make, boxed.
pub type HttpService = tower::util::BoxCloneSyncService<Request, Response, Infallible>;

/// What [`with_tracing`] gives: the service itself, or (at `debug`) the service inside tower-http's trace layer,
/// boxed. Only the second is boxed: a boxed service boxes every request's future too, an allocation and a copy
/// of the whole future to the heap per request, which buys nothing when there are no spans.
#[derive(Clone)]
pub enum Traced<S> {
    Plain(S),
    Spanned(HttpService),
}

impl<S> tower::Service<Request> for Traced<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TracedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        match self {
            Self::Plain(service) => service.poll_ready(cx),
            Self::Spanned(service) => service.poll_ready(cx),
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self {
            Self::Plain(service) => TracedFuture::Plain {
                inner: service.call(request),
            },
            Self::Spanned(service) => TracedFuture::Spanned {
                inner: service.call(request),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`Traced`] service.
    #[project = TracedProjection]
    pub enum TracedFuture<F> {
        Plain { #[pin] inner: F },
        Spanned { #[pin] inner: <HttpService as tower::Service<Request>>::Future },
    }
}

impl<F> Future for TracedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.project() {
            TracedProjection::Plain { inner } => inner.poll(cx),
            TracedProjection::Spanned { inner } => inner.poll(cx),
        }
    }
}

/// Serves `router` on `listener` with the default [`Limits`] until `shutdown` completes, then finishes the
/// requests in flight. (All threads share `router`; [`serve_with`] can give each its own.)
pub async fn serve<S>(
    listener: TcpListener,
    router: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    http::serve_with(listener, move || router.clone(), shutdown, Limits::default()).await
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not when the future is first
/// polled: call it before binding the listener, so a signal that arrives as soon as the port is open (a
/// supervisor stopping a server it just started) still means a clean stop, not the signal's default death.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let wait = |signal: std::io::Result<tokio::signal::unix::Signal>| async move {
                match signal {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
