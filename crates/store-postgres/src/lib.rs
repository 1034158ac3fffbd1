//! influx-authz's PostgreSQL storage engine: everything in one database that several replicas of the server share,
//! behind the `store` crate's [`Store`] interface. Chosen with `--postgres-url`; redb stays the default.
//!
//! # Layout
//! One module per resource, as in `service`: `authorizations`, `users`, `orgs` (with membership), `buckets`,
//! `sessions`, `audit`, `setup`, and `contents` (the whole store, for `influx-authz migrate`). `connect` parses
//! the URL, builds the pool (deadpool-postgres over tokio-postgres) and applies the schema's migrations
//! (refinery, embedded from `migrations/`, once, under an advisory lock).
//!
//! # How the promises are kept
//! - Each mutation is one transaction, its audit entry included; uniqueness is the database's constraints, so
//!   replicas racing for the same name or ID get a [`Conflict`](store::Conflict), never a duplicate.
//! - Every read goes to the database: nothing is cached, so a token revoked through one replica is refused by
//!   every replica on the next request.
//! - Setup runs under a transaction-level advisory lock and checks that nothing is there yet; work that must run
//!   once among replicas (the seed file) holds a session-level advisory lock ([`Store::exclusive`]).
//! - Fail closed: a database that is unreachable, slow (past the call timeout) or read-only makes the call fail
//!   with `Unavailable`; the pool drops broken connections and makes new ones when the database is back.
//!
//! Records are kept as their JSON in a `json` column beside the columns that are looked up (names as their bytes:
//! neither `text` nor `jsonb` can hold the NUL a name may carry, and redb takes it). IDs (`u64`) are kept in
//! `bigint` with the top bit flipped, so that the database orders them as the server does.
//!
//! The interface is synchronous: calls run on the engine's own small tokio runtime, and a caller on a server's
//! async worker first hands that worker's other tasks on (`block_in_place`). This crate knows nothing about HTTP
//! nor about any other engine.

mod audit;
mod authorizations;
mod buckets;
mod connect;
mod contents;
mod orgs;
mod sessions;
mod setup;
mod tls;
mod users;

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Object, Pool, Transaction};
use model::{AuditEntry, Id};
use serde::de::DeserializeOwned;
use store::{AuditObserver, Changed, CommitStats, StoreError};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{Json, ToSql};

pub use connect::{ConnectError, Options, redact};

/// A PostgreSQL database shared by every replica. Cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Runs the pool's connections and every call; `None` only while being dropped.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// How long one call may take, connection wait included, before it fails as `Unavailable`.
    timeout: Duration,
    /// This process's number among the replicas (for IDs), and the connection whose advisory lock leases it.
    node: u16,
    _node_lease: tokio_postgres::Client,
    audit_observer: OnceLock<AuditObserver>,
    commit_stats: CommitStats,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A runtime may not be dropped (which waits) inside another one; let its threads wind down by themselves.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl PgStore {
    /// Runs `future` to completion on the engine's runtime, failing with `Unavailable` once the call timeout is
    /// past. From a multi-threaded tokio runtime's worker, the worker's other tasks are handed on first.
    fn block<T>(&self, future: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        self.block_for(self.inner.timeout, future)
    }

    fn block_for<T>(
        &self,
        timeout: Duration,
        future: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let Some(runtime) = &self.inner.runtime else {
            return Err(StoreError::Unavailable("the store is closing".into()));
        };
        let timed = async {
            match tokio::time::timeout(timeout, future).await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Unavailable(format!(
                    "the database did not answer within {} ms",
                    timeout.as_millis()
                ))),
            }
        };
        run_on(runtime, timed)
    }

    /// A pooled connection.
    async fn client(&self) -> Result<Object, StoreError> {
        self.inner.pool.get().await.map_err(pool_error)
    }

    /// Runs `f` in a transaction and commits it; when `audit` is given and the result says something changed, the
    /// entry is appended in the same transaction and handed to the observer once committed. On any error the
    /// transaction is rolled back: nothing of a failed write is kept.
    fn write<T: Changed>(
        &self,
        audit: Option<&AuditEntry>,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (value, appended) = self.transaction(async |txn| {
            let value = f(txn).await?;
            let appended = match audit {
                Some(entry) if value.changed() => Some(audit::append(txn, entry).await?),
                _ => None,
            };
            Ok((value, appended))
        })?;
        if let Some(entry) = appended {
            self.notify(std::slice::from_ref(&entry));
        }
        Ok(value)
    }

    /// Runs `f` in a transaction and commits it, or rolls it back on any error.
    fn transaction<T>(&self, f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let txn = client.transaction().await.map_err(db)?;
            let value = f(&txn).await?;
            let started = Instant::now();
            let committed = txn.commit().await;
            self.inner
                .commit_stats
                .record_commit(started.elapsed(), committed.is_ok());
            committed.map_err(db)?;
            Ok(value)
        })
    }

    /// Runs a read on a pooled connection.
    fn read<T>(&self, f: impl AsyncFnOnce(&Object) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.block(async {
            let client = self.client().await?;
            f(&client).await
        })
    }

    fn notify(&self, entries: &[AuditEntry]) {
        if let Some(observer) = self.inner.audit_observer.get() {
            entries.iter().for_each(observer);
        }
    }
}

/// Runs `future` to completion on `runtime`. On a multi-threaded tokio runtime's worker, the worker's other tasks
/// are handed on first (`block_in_place`); on a plain thread or a blocking-pool thread it simply waits. (On a
/// current-thread runtime's own thread, which cannot wait, tokio refuses with a panic: call from its blocking
/// pool there.)
pub(crate) fn run_on<F: Future>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| runtime.block_on(future))
        }
        _ => runtime.block_on(future),
    }
}

// -- IDs, rows and errors -----------------------------------------------------------------------------------------

/// An ID as stored: `bigint` with the top bit flipped, so that the database's order is the IDs' order.
pub(crate) fn key(id: Id) -> i64 {
    (id.get() ^ (1 << 63)) as i64
}

/// The ID a stored key stands for.
pub(crate) fn id_of(key: i64) -> Result<Id, StoreError> {
    Id::new((key as u64) ^ (1 << 63)).ok_or_else(|| StoreError::Encoding(format!("stored ID {key} is not valid")))
}

/// Column `index` of `row`, decoded from its JSON.
pub(crate) fn record<T: DeserializeOwned>(row: &Row, index: usize) -> Result<T, StoreError> {
    let Json(value) = row
        .try_get::<_, Json<T>>(index)
        .map_err(|e| StoreError::Encoding(e.to_string()))?;
    Ok(value)
}

/// A record as the JSON kept in its `json` column.
pub(crate) fn json<T: serde::Serialize>(record: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(record).map_err(|e| StoreError::Encoding(e.to_string()))
}

/// Nanoseconds since the Unix epoch, as stored (`bigint`: good until the year 2262).
pub(crate) fn nanos(at: time::OffsetDateTime) -> i64 {
    let nanos = at.unix_timestamp_nanos();
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

pub(crate) fn from_nanos(nanos: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok()
}

/// Rows of a statement, prepared once per connection.
pub(crate) async fn rows(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(db)?;
    client.query(&statement, params).await.map_err(db)
}

/// The one row of a statement, if any.
pub(crate) async fn row(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(db)?;
    client.query_opt(&statement, params).await.map_err(db)
}

/// The first column of the one row of a statement, if there is a row.
pub(crate) async fn scalar<T: for<'a> tokio_postgres::types::FromSql<'a>>(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<T>, StoreError> {
    row(client, sql, params)
        .await?
        .map(|found| found.try_get::<_, T>(0))
        .transpose()
        .map_err(|e| StoreError::Encoding(e.to_string()))
}

/// How many rows a statement changed.
pub(crate) async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await.map_err(db)?;
    client.execute(&statement, params).await.map_err(db)
}

/// What a database error means to the service. A broken rule of uniqueness is a [`store::Conflict`], told apart
/// by the constraint's name; a database that cannot take the call now (gone, shutting down, read-only, full, out of
/// connections) is `Unavailable`; the rest is a failure of ours.
pub(crate) fn db(error: tokio_postgres::Error) -> StoreError {
    let Some(db_error) = error.as_db_error() else {
        // No answer from the server: the connection broke, or could not be made.
        return StoreError::Unavailable(format!("database connection: {error}"));
    };
    let code = db_error.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let conflict = match db_error.constraint() {
            Some("authorizations_token_unique") => store::Conflict::TokenExists,
            Some("users_name_unique") => store::Conflict::UserName,
            Some("orgs_name_unique") => store::Conflict::OrgName,
            Some("buckets_org_name_unique") => store::Conflict::BucketName,
            _ => store::Conflict::IdTaken,
        };
        return StoreError::Conflict(conflict);
    }
    let class = &code.code()[..2];
    let unavailable = matches!(class, "08" | "53" | "57" | "58" | "40")
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        || *code == SqlState::LOCK_NOT_AVAILABLE;
    if unavailable {
        StoreError::Unavailable(format!("database: {}", db_error.message()))
    } else {
        StoreError::Storage(format!("database: {error}"))
    }
}

/// Every failure to get a connection is the database's unavailability (its address, credentials or existence
/// may have changed under us), never a failure of the request.
fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Unavailable(format!("database connection pool: {error}"))
}

mod engine;
