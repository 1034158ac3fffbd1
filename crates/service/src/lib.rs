//! influx-authz's use cases, shared by the HTTP API and anything else that drives the server in-process.
//!
//! # Layout
//! - [`Service`]: the handle; cheap to clone. Its methods live in one module per resource:
//!   [`authenticate`](Service::authenticate) in `caller`, authorizations in `authorizations`, orgs, users, buckets in
//!   `orgs`, `users`, `buckets`, onboarding in `setup`, sign-in sessions in `sessions`, `--seed` in `seed`, the
//!   audit trail in `audit` (each change hands its entry to the store, which writes it in the change's transaction;
//!   failed authentications and sign-ins are buffered and flushed by [`Service::flush_audit`]).
//!   store's figures for `/metrics` in `stats`.
//! - [`Caller`]: who is asking, and the permission check InfluxDB runs against the record being touched.
//! - [`check_access`](Service::check_access) in `access`: may this token do all of these things? The one decision
//!   behind the proxy check endpoint and the `authz-layer` tower layer.
//! - [`ServiceError`]: what went wrong, in InfluxDB's terms (code + message); the API maps it to HTTP.
//!
//! Validation, lookups, "not found" and permission checks live here, not in handlers. Storage calls are
//! synchronous: writes (which wait on fsync) leave the async runtime through one helper, [`Service::blocking`];
//! the per-request token check and short reads run inline (`read_inline`). Time comes from a [`Clock`].
//! This crate knows nothing about HTTP.

mod access;
mod audit;
mod authorizations;
mod buckets;
mod caller;
mod error;
mod ids;
mod legacy;
mod orgs;
mod passwords;
mod query;
mod rendered;
mod seed;
mod sessions;
mod setup;
mod stats;
mod users;
mod views;

use std::sync::Arc;

use time::OffsetDateTime;

pub use audit::{Attempt, AuditQuery, MAX_FAILURES_PER_FLUSH};
pub use authorizations::AuthorizationQuery;
pub use buckets::BucketQuery;
pub use caller::{AuthenticationError, Caller, Credential};
pub use error::ServiceError;
pub use legacy::{Credentials, V1Refusal};
pub use orgs::OrgQuery;
pub use seed::{Seed, SeedReport};
pub use stats::StoreFigures;
pub use store::Role;
pub use store::{CommitSnapshot, HistogramSnapshot, LATENCY_BUCKETS, LatencyHistogram, RecordCounts};
pub use store::{Store, StoreError};
pub use users::UserQuery;

/// Where "now" comes from, so tests can pin `createdAt`.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock, in UTC.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Options that change what the service does.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Keep only the SHA-256 of new tokens (InfluxDB 2.9's default). Off: keep and return the plaintext (2.7).
    pub hashed_tokens: bool,
    /// How long a sign-in session lasts.
    pub session_length: time::Duration,
    /// Honour a `token` in `POST /api/v2/authorizations` bodies (InfluxDB ignores it).
    pub allow_client_tokens: bool,
    /// Record when each token was last used (`lastUsedAt`). Off: nothing is recorded, and `lastUsedAt` keeps
    /// whatever was recorded before.
    pub track_last_used: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            hashed_tokens: true,
            session_length: time::Duration::minutes(60),
            allow_client_tokens: false,
            track_last_used: true,
        }
    }
}

#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

/// See [`Service::downgrade`].
#[derive(Clone)]
pub struct WeakService(std::sync::Weak<Inner>);

impl WeakService {
    pub fn upgrade(&self) -> Option<Service> {
        self.0.upgrade().map(|inner| Service { inner })
    }
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: ids::IdGenerator,
    options: Options,
    /// Last uses since the last flush: recorded on the hot path without a write, flushed in the background.
    last_used: std::sync::Mutex<model::WordMap<model::Id, OffsetDateTime>>,
    /// Failed authentications and sign-ins since the last flush of the audit trail.
    audit: audit::AuditLog,
    /// Answers of `GET …/authorizations/{id}` as written, for the store's current generation.
    answers: rendered::Answers,
}

impl Service {
    /// Builds the service. Touches no storage: see [`Service::start`] for what runs once at start.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, options: Options) -> Result<Self, ServiceError> {
        let node = store.node_id();
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                ids: ids::IdGenerator::new(node),
                last_used: std::sync::Mutex::default(),
                audit: audit::AuditLog::default(),
                answers: rendered::Answers::default(),
                options,
            }),
        })
    }

    /// What runs once at start: with hashed tokens on, plaintext tokens kept by an earlier run are dropped, as
    /// InfluxDB does at every start.
    pub async fn start(&self) -> Result<(), ServiceError> {
        if self.inner.options.hashed_tokens {
            let hashed = self.blocking(|store| store.forget_plaintext_tokens()).await?;
            if hashed > 0 {
                tracing::info!(
                    count = hashed,
                    "dropped plaintext tokens; only their hashes are kept now"
                );
            }
        }
        Ok(())
    }

    /// A handle that does not keep the service (and so the database file) open: for background tasks that should
    /// end with it.
    pub fn downgrade(&self) -> WeakService {
        WeakService(Arc::downgrade(&self.inner))
    }

    pub fn options(&self) -> Options {
        self.inner.options
    }

    fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    fn note_use(&self, id: model::Id, at: OffsetDateTime) {
        if !self.inner.options.track_last_used {
            return;
        }
        if let Ok(mut pending) = self.inner.last_used.lock() {
            pending.insert(id, at);
        }
    }

    /// The not-yet-written last use of a token, if any.
    fn pending_use(&self, id: model::Id) -> Option<OffsetDateTime> {
        self.inner
            .last_used
            .lock()
            .ok()
            .and_then(|pending| pending.get(&id).copied())
    }

    /// Writes the last uses recorded since the previous flush, in one transaction. The server calls this every
    /// few seconds and at shutdown.
    pub async fn flush_last_used(&self) -> Result<usize, ServiceError> {
        let uses: Vec<_> = match self.inner.last_used.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(0),
        };
        let count = uses.len();
        if count > 0 {
            let written = uses.clone();
            if let Err(error) = self.blocking(move |store| store.record_last_used(&written)).await {
                // Keep them for the next try rather than lose them.
                if let Ok(mut pending) = self.inner.last_used.lock() {
                    for (id, at) in uses {
                        pending.entry(id).and_modify(|t| *t = (*t).max(at)).or_insert(at);
                    }
                }
                return Err(error);
            }
        }
        Ok(count)
    }

    /// Runs a short read right here, on the async worker. For the token check on every request: a redb read is a
    /// few microseconds from cache, far less than the two thread hand-offs of [`Service::blocking`] (which the
    /// benchmark's profile showed to be most of a request's CPU). Writes, which wait on the disk, never use this.
    fn read_inline<T, E>(&self, f: impl FnOnce(&dyn Store) -> Result<T, E>) -> Result<T, ServiceError>
    where
        ServiceError: From<E>,
    {
        Ok(f(&*self.inner.store)?)
    }

    /// Runs a storage call on the blocking pool, inside the caller's tracing span.
    /// The closure may fail with a [`StoreError`] or a [`ServiceError`].
    async fn blocking<T, E>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        E: Send + 'static,
        ServiceError: From<E>,
    {
        let store = Arc::clone(&self.inner.store);
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || span.in_scope(|| on_blocking_thread(f, &*store))).await;
        match joined {
            Ok(result) => Ok(result?),
            Err(join) => Err(ServiceError::Internal(format!("storage task failed: {join}"))),
        }
    }
}

/// A storage call on the blocking pool. A function of its own (never inlined) so that profilers can name the work
/// a request hands to that pool: `scripts/callgrind-guard` counts it with the request.
#[inline(never)]
fn on_blocking_thread<T>(f: impl FnOnce(&dyn Store) -> T, store: &dyn Store) -> T {
    f(store)
}
