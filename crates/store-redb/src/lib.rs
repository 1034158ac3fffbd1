//! influx-authz's embedded storage engine: orgs, users, buckets and authorizations in one redb file. It implements
//! the `store` crate's [`Store`](store::Store) interface (in `engine`); the server picks it unless told to use
//! PostgreSQL.
//!
//! # Layout
//! Each record table maps an ID (`u64`) to the record as JSON; each lookup path has its own index table:
//! token hash → authorization, (user, authorization) and (org, authorization) for the list filters, names → IDs.
//! Every mutation is one write transaction committed durably (redb's default `Durability::Immediate`), so a record
//! and its index entries appear and disappear together, and a failed write leaves the store as it was.
//!
//! The audit trail (`audit`) is a table of its own: a mutation given an [`AuditEntry`](model::AuditEntry) appends
//! it in the same write transaction, only when the mutation changed something, so there is never a change without
//! its entry nor an entry for a change that was rolled back.
//!
//! A full disk or read-only file makes writes fail with [`Error::Unavailable`] (nothing written) while reads
//! go on; the store reopens the file once a probe write succeeds again.
//!
//! [`RedbStore`] is synchronous; async callers go through the `service` crate. This crate knows nothing about HTTP
//! nor about any other engine.

mod audit;
mod bulk;
mod codec;
mod commit;
mod engine;
mod error;
mod sessions;
mod snapshot;
mod stats;
mod tables;
mod tenancy;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use model::{AuditEntry, Authorization, Bucket, Id, Org, TokenHash, User};
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};

use codec::Record;
pub use commit::CommitCounts;
pub use error::Error;
pub use snapshot::RedbSnapshot;
use store::{AuditObserver, AuthorizationFilter, CommitStats, Conflict, Role, SetupRecords};
use tables::*;

/// The database. Cheap to share behind an `Arc`; redb serializes writers and lets readers run alongside them.
pub struct RedbStore {
    /// `None` only while a recovery could not reopen the file; every call then answers `Unavailable`.
    db: RwLock<Handle>,
    /// The file, for reopening after an I/O failure; `None` in memory.
    path: Option<PathBuf>,
    /// Set when a write failed for I/O reasons (disk full, read-only): redb then refuses writes until reopened.
    poisoned: AtomicBool,
    last_recovery: Mutex<Option<Instant>>,
    /// Concurrent writes share transactions and commits.
    commits: commit::GroupCommit,
    /// The read transaction readers share until the next commit.
    snapshots: snapshot::Snapshots,
    /// Sees each audit entry once committed (the stdout mirror).
    audit_observer: OnceLock<AuditObserver>,
    /// Commits counted and timed, for `/metrics`.
    commit_stats: CommitStats,
}

/// The open database: writable, read-only (the file or its directory refuses writes), or closed (a recovery
/// could not reopen it).
enum Handle {
    Writable(Database),
    ReadOnly(redb::ReadOnlyDatabase),
    Closed,
}

/// A read transaction, with the lock that keeps the database from being swapped under it.
pub(crate) struct Reader<'a> {
    txn: ReadTransaction,
    _db: RwLockReadGuard<'a, Handle>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = ReadTransaction;

    fn deref(&self) -> &ReadTransaction {
        &self.txn
    }
}

impl RedbStore {
    /// Opens (or creates) the database file. A second process on the same file fails at once with
    /// [`Error::AlreadyOpen`].
    pub fn open(path: &Path) -> Result<Self, Error> {
        match open_file(path) {
            Ok(db) => Self::init(Handle::Writable(db), Some(path.to_path_buf())),
            // A file we may read but not write: serve reads, refuse writes with `Unavailable`, and keep trying.
            Err(Error::Unavailable(reason)) if path.exists() => {
                tracing::error!(%reason, "the database cannot be written; serving reads only until it can");
                let db = redb::ReadOnlyDatabase::open(path).map_err(Error::from)?;
                let store = Self::with_handle(Handle::ReadOnly(db), Some(path.to_path_buf()));
                store.poisoned.store(true, Ordering::Release);
                Ok(store)
            }
            Err(other) => Err(other),
        }
    }

    /// A throw-away database held in memory (redb's `InMemoryBackend`).
    pub fn in_memory() -> Result<Self, Error> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Self::init(Handle::Writable(db), None)
    }

    fn with_handle(handle: Handle, path: Option<PathBuf>) -> Self {
        Self {
            db: RwLock::new(handle),
            path,
            poisoned: AtomicBool::new(false),
            last_recovery: Mutex::new(None),
            commits: commit::GroupCommit::default(),
            snapshots: snapshot::Snapshots::default(),
            audit_observer: OnceLock::new(),
            commit_stats: CommitStats::default(),
        }
    }

    fn init(handle: Handle, path: Option<PathBuf>) -> Result<Self, Error> {
        let store = Self::with_handle(handle, path);
        store.write_alone(|txn| {
            tables::create_all(txn)?;
            Ok(())
        })?;
        Ok(store)
    }

    fn db(&self) -> RwLockReadGuard<'_, Handle> {
        self.db.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in a write transaction and commits it durably, sharing the transaction and its commit with the
    /// writes that arrive meanwhile (see [`commit`]). `f` may run more than once (a batch whose other write failed
    /// is run again one write at a time), so it must not consume what it captures; only the result of the run
    /// that was committed is returned.
    pub(crate) fn write<T: Send + 'static>(
        &self,
        mut f: impl FnMut(&WriteTransaction) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let slot = Arc::new(Mutex::new(None));
        let out = Arc::clone(&slot);
        self.commits.submit(
            self,
            Box::new(move |txn| {
                let value = f(txn)?;
                *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
                Ok(())
            }),
        )?;
        let value = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        value.ok_or_else(|| Error::Failed("a committed write left no result".into()))
    }

    /// Runs `f` in a write transaction of its own, outside group commit: for start-up and bulk loading, where
    /// nothing else writes. (redb still serializes it with any other write transaction.)
    pub(crate) fn write_alone<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T, Error>) -> Result<T, Error> {
        self.before_write();
        let result = self.transaction(|txn| f(txn));
        self.after_write(&result);
        result
    }

    /// How many transactions group commit has committed, and how many writes they held.
    pub fn commit_counts(&self) -> CommitCounts {
        self.commits.counts()
    }

    /// One write, alone in its transaction (a batch of one, or the replay of a batch that failed).
    pub(crate) fn commit_alone(&self, write: &mut commit::Write) -> Result<(), Error> {
        self.before_write();
        let result = self.transaction(|txn| write(txn));
        self.after_write(&result);
        result
    }

    /// Several writes in one transaction, committed once.
    pub(crate) fn commit_together(&self, writes: &mut [commit::Write]) -> Result<(), commit::BatchFailure> {
        self.before_write();
        let mut failed_write = false;
        let result = self.transaction(|txn| {
            for write in writes.iter_mut() {
                if let Err(error) = write(txn) {
                    failed_write = true;
                    return Err(error);
                }
            }
            Ok(())
        });
        if failed_write {
            return Err(commit::BatchFailure::Write);
        }
        self.after_write(&result);
        result.map_err(commit::BatchFailure::Transaction)
    }

    fn before_write(&self) {
        if self.poisoned.load(Ordering::Acquire) {
            self.try_recover();
        }
    }

    /// Begins a write transaction, runs `f`, and commits; on an error the transaction is dropped uncommitted,
    /// which aborts it: nothing of a failed write is kept.
    fn transaction<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<T, Error>) -> Result<T, Error> {
        let guard = self.db();
        let Handle::Writable(db) = &*guard else {
            return Err(closed());
        };
        let txn = db.begin_write()?;
        let out = f(&txn)?;
        let started = Instant::now();
        let committed = txn.commit();
        self.commit_stats.record_commit(started.elapsed(), committed.is_ok());
        committed?;
        // Before the write is answered: every reader from now on must see it.
        self.snapshots.invalidate();
        Ok(out)
    }

    fn after_write<T>(&self, result: &Result<T, Error>) {
        if let Err(Error::Unavailable(reason)) = result
            && !self.poisoned.swap(true, Ordering::AcqRel)
        {
            tracing::error!(%reason, "a write failed for lack of storage; writes answer 503 until it recovers");
        }
    }

    pub(crate) fn read(&self) -> Result<Reader<'_>, Error> {
        let guard = self.db();
        let txn = match &*guard {
            Handle::Writable(db) => db.begin_read()?,
            Handle::ReadOnly(db) => db.begin_read()?,
            Handle::Closed => return Err(closed()),
        };
        Ok(Reader { txn, _db: guard })
    }

    /// After an I/O failure redb refuses further writes until the file is reopened. At most once a second, when
    /// the data directory takes a probe write again (space is back, or it is writable again), wait for the
    /// transactions in flight, close the file and reopen it.
    fn try_recover(&self) {
        let Some(path) = &self.path else { return };
        {
            let mut last = self
                .last_recovery
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
                return;
            }
            *last = Some(Instant::now());
        }
        if !has_room(path) {
            return;
        }
        // The shared read transaction keeps the old file open: drop it first.
        self.snapshots.clear();
        let mut slot = self.db.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Handle::Closed;
        match open_file(path) {
            Ok(db) => {
                *slot = Handle::Writable(db);
                self.poisoned.store(false, Ordering::Release);
                tracing::info!("storage recovered; writes are accepted again");
            }
            Err(error) => {
                tracing::error!(%error, "could not reopen the database for writing; serving reads only");
                if let Ok(db) = redb::ReadOnlyDatabase::open(path) {
                    *slot = Handle::ReadOnly(db);
                }
            }
        }
    }

    // -- setup ---------------------------------------------------------------------------------------------------

    /// Whether setup may still run: there are no users and no orgs.
    pub fn setup_allowed(&self) -> Result<bool, Error> {
        let txn = self.read()?;
        let users = txn.open_table(USERS)?;
        let orgs = txn.open_table(ORGS)?;
        Ok(users.is_empty()? && orgs.is_empty()?)
    }

    /// Writes the setup user, org, buckets and operator token together (with `audit`), or nothing when setup
    /// already ran.
    pub fn setup(&self, records: &SetupRecords, audit: Option<&AuditEntry>) -> Result<(), Error> {
        let records = records.clone();
        self.write_audited(audit, move |txn| {
            let users_empty = txn.open_table(USERS)?.is_empty()?;
            let orgs_empty = txn.open_table(ORGS)?.is_empty()?;
            if !(users_empty && orgs_empty) {
                return Err(Error::Conflict(Conflict::AlreadySetUp));
            }
            put_user(txn, &records.user)?;
            put_org(txn, &records.org)?;
            tenancy::put_member(txn, records.org.id, records.user.id, Role::Owner)?;
            for bucket in &records.buckets {
                put_bucket(txn, bucket)?;
            }
            put_authorization(txn, &records.authorization)
        })
    }

    // -- authorizations ------------------------------------------------------------------------------------------

    pub fn create_authorization(&self, auth: &Authorization, audit: Option<&AuditEntry>) -> Result<(), Error> {
        let auth = auth.clone();
        self.write_audited(audit, move |txn| put_authorization(txn, &auth))
    }

    pub fn authorization(&self, id: Id) -> Result<Option<Authorization>, Error> {
        self.snapshot()?.authorization(id)
    }

    /// The authorization whose token hashes to `hash`, if any.
    pub fn authorization_by_token(&self, hash: &TokenHash) -> Result<Option<Authorization>, Error> {
        Ok(self
            .authorization_and_user_by_token(hash)?
            .map(|found| Arc::unwrap_or_clone(found.authorization)))
    }

    /// The authorization of a token and its user, read in one transaction: the check every request makes.
    /// Authorizations matching `filter`, in ascending ID order.
    pub fn authorizations(&self, filter: AuthorizationFilter) -> Result<Vec<Authorization>, Error> {
        self.scan_authorizations(filter, None, usize::MAX, |_| true)
    }

    /// Up to `max` authorizations matching `filter` and `keep`, in ascending ID order, starting after `after`.
    /// The user or org index narrows the scan, and it stops as soon as `max` are found, so a page of one user's
    /// tokens costs the same among a million as among ten.
    pub fn scan_authorizations(
        &self,
        filter: AuthorizationFilter,
        after: Option<Id>,
        max: usize,
        mut keep: impl FnMut(&Authorization) -> bool,
    ) -> Result<Vec<Authorization>, Error> {
        let txn = self.read()?;
        let table = txn.open_table(AUTHORIZATIONS)?;
        let last_used = txn.open_table(AUTHORIZATION_LAST_USED)?;
        let start = after.map_or(0, |id| id.get().saturating_add(1));
        // Room for a page of the usual size at once, rather than growing (and moving the records) as it fills.
        let mut out = Vec::with_capacity(max.min(128));
        let mut consider = |out: &mut Vec<Authorization>, auth: Authorization| -> Result<(), Error> {
            let auth = with_last_used(&last_used, auth)?;
            if filter.org_id.is_none_or(|org| auth.org_id == org)
                && filter.user_id.is_none_or(|user| auth.user_id == user)
                && keep(&auth)
            {
                out.push(auth);
            }
            Ok(())
        };
        let by = match (filter.user_id, filter.org_id) {
            (Some(user), _) => Some((AUTHORIZATIONS_BY_USER, user)),
            (None, Some(org)) => Some((AUTHORIZATIONS_BY_ORG, org)),
            (None, None) => None,
        };
        match by {
            Some((index, owner)) => {
                let index = txn.open_table(index)?;
                for entry in index.range((owner.get(), start)..=(owner.get(), u64::MAX))? {
                    if out.len() >= max {
                        break;
                    }
                    let id = entry?.0.value().1;
                    if let Some(auth) = get_record::<Authorization>(&table, id)? {
                        consider(&mut out, auth)?;
                    }
                }
            }
            None => {
                for entry in table.range(start..)? {
                    if out.len() >= max {
                        break;
                    }
                    consider(&mut out, decode::<Authorization>(entry?.1.value())?)?;
                }
            }
        }
        Ok(out)
    }

    /// Writes last-used times (the later one wins) in one transaction; tokens that are gone are skipped.
    pub fn record_last_used(&self, uses: &[(Id, time::OffsetDateTime)]) -> Result<(), Error> {
        if uses.is_empty() {
            return Ok(());
        }
        let uses = uses.to_vec();
        self.write(move |txn| {
            let records = txn.open_table(AUTHORIZATIONS)?;
            let mut table = txn.open_table(AUTHORIZATION_LAST_USED)?;
            for (id, at) in &uses {
                if records.get(id.get())?.is_none() {
                    continue;
                }
                let nanos = at.unix_timestamp_nanos();
                let before = table.get(id.get())?.map(|g| g.value());
                if before.is_none_or(|b| b < nanos) {
                    table.insert(id.get(), nanos)?;
                }
            }
            Ok(())
        })
    }

    /// Applies `change` to the record and stores it (with `audit`); `None` when there is no such authorization.
    pub fn update_authorization(
        &self,
        id: Id,
        mut change: impl FnMut(&mut Authorization) + Send + 'static,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Authorization>, Error> {
        self.write_audited(audit, move |txn| {
            let mut table = txn.open_table(AUTHORIZATIONS)?;
            let Some(mut auth) = get_record::<Authorization>(&table, id.get())? else {
                return Ok(None);
            };
            change(&mut auth);
            table.insert(id.get(), encode(&auth).as_slice())?;
            Ok(Some(auth))
        })
    }

    /// Removes the record and all its index entries (and appends `audit`) in one transaction; `false` when there
    /// was none.
    pub fn delete_authorization(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, Error> {
        self.write_audited(audit, move |txn| Ok(remove_authorization(txn, id)?.is_some()))
    }

    /// Drops every stored plaintext token (the hash stays), as InfluxDB does at start with hashed tokens on.
    /// Returns how many records changed.
    pub fn forget_plaintext_tokens(&self) -> Result<usize, Error> {
        // Only the records listed as keeping a plaintext are read; a start with none writes nothing (and so also
        // works on a read-only file), however large the store.
        let ids: Vec<u64> = {
            let txn = self.read()?;
            let index = txn.open_table(AUTHORIZATIONS_WITH_PLAINTEXT)?;
            let mut ids = Vec::new();
            for entry in index.iter()? {
                ids.push(entry?.0.value());
            }
            ids
        };
        if ids.is_empty() {
            return Ok(0);
        }
        self.write_alone(|txn| {
            let mut table = txn.open_table(AUTHORIZATIONS)?;
            let mut changed = 0;
            for id in &ids {
                let Some(mut auth) = get_record::<Authorization>(&table, *id)? else {
                    continue;
                };
                if auth.token.take().is_some() {
                    table.insert(*id, encode(&auth).as_slice())?;
                    changed += 1;
                }
            }
            let mut index = txn.open_table(AUTHORIZATIONS_WITH_PLAINTEXT)?;
            for id in &ids {
                index.remove(*id)?;
            }
            Ok(changed)
        })
    }

    // -- users ---------------------------------------------------------------------------------------------------

    pub fn create_user(&self, user: &User, audit: Option<&AuditEntry>) -> Result<(), Error> {
        let user = user.clone();
        self.write_audited(audit, move |txn| put_user(txn, &user))
    }

    pub fn user(&self, id: Id) -> Result<Option<User>, Error> {
        self.snapshot()?.user(id)
    }

    pub fn user_by_name(&self, name: &str) -> Result<Option<User>, Error> {
        let txn = self.read()?;
        let index = txn.open_table(USERS_BY_NAME)?;
        let Some(id) = index.get(name)?.map(|g| g.value()) else {
            return Ok(None);
        };
        let table = txn.open_table(USERS)?;
        get_record(&table, id)
    }

    pub fn users(&self) -> Result<Vec<User>, Error> {
        let txn = self.read()?;
        all_records(&txn.open_table(USERS)?)
    }

    // -- orgs ----------------------------------------------------------------------------------------------------

    /// Creates an org with its buckets, and `owner` as its owner, in one transaction.
    pub fn create_org(
        &self,
        org: &Org,
        buckets: &[Bucket],
        owner: Option<Id>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), Error> {
        let (org, buckets) = (org.clone(), buckets.to_vec());
        self.write_audited(audit, move |txn| {
            put_org(txn, &org)?;
            if let Some(owner) = owner {
                tenancy::put_member(txn, org.id, owner, Role::Owner)?;
            }
            buckets.iter().try_for_each(|bucket| put_bucket(txn, bucket))
        })
    }

    pub fn org(&self, id: Id) -> Result<Option<Org>, Error> {
        self.snapshot()?.org(id)
    }

    pub fn org_by_name(&self, name: &str) -> Result<Option<Org>, Error> {
        let txn = self.read()?;
        let index = txn.open_table(ORGS_BY_NAME)?;
        let Some(id) = index.get(name)?.map(|g| g.value()) else {
            return Ok(None);
        };
        let table = txn.open_table(ORGS)?;
        get_record(&table, id)
    }

    pub fn orgs(&self) -> Result<Vec<Org>, Error> {
        let txn = self.read()?;
        all_records(&txn.open_table(ORGS)?)
    }

    // -- buckets -------------------------------------------------------------------------------------------------

    pub fn create_bucket(&self, bucket: &Bucket, audit: Option<&AuditEntry>) -> Result<(), Error> {
        let bucket = bucket.clone();
        self.write_audited(audit, move |txn| {
            if txn.open_table(ORGS)?.get(bucket.org_id.get())?.is_none() {
                return Err(Error::Conflict(Conflict::MissingOrg));
            }
            put_bucket(txn, &bucket)
        })
    }

    pub fn bucket(&self, id: Id) -> Result<Option<Bucket>, Error> {
        self.snapshot()?.bucket(id)
    }

    /// Buckets of one org (by ID order), or of every org.
    pub fn buckets(&self, org_id: Option<Id>) -> Result<Vec<Bucket>, Error> {
        let txn = self.read()?;
        let table = txn.open_table(BUCKETS)?;
        let Some(org) = org_id else {
            return all_records(&table);
        };
        let ids = index_range(&txn, BUCKETS_BY_ORG, org)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(bucket) = get_record(&table, id)? {
                out.push(bucket);
            }
        }
        Ok(out)
    }
}

/// Fills in an authorization's last use from its own table.
fn with_last_used(table: &impl ReadableTable<u64, i128>, mut auth: Authorization) -> Result<Authorization, Error> {
    if let Some(nanos) = table.get(auth.id.get())?.map(|g| g.value()) {
        auth.last_used_at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok();
    }
    Ok(auth)
}

fn open_file(path: &Path) -> Result<Database, Error> {
    // redb's default cache (1 GiB) fills only as records are read, and start-up reads none: idle memory stays small
    // while a large store's token checks stay in memory. (A 64 MiB cap made 1M-token checks 5x slower.)
    Database::create(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => Error::AlreadyOpen,
        other => Error::from(other),
    })
}

fn closed() -> Error {
    Error::Unavailable("the database cannot be written now".into())
}

/// Whether the database's directory takes a small synced write: a probe for "space is back / writable again".
fn has_room(path: &Path) -> bool {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join(".influx-authz-probe");
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        std::io::Write::write_all(&mut file, &[0u8; 256 * 1024])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.is_ok()
}

// -- helpers inside a write transaction --------------------------------------------------------------------------

/// Removes an authorization with its token, user and org index entries.
fn remove_authorization(txn: &WriteTransaction, id: Id) -> Result<Option<Authorization>, Error> {
    let mut table = txn.open_table(AUTHORIZATIONS)?;
    let removed = table.remove(id.get())?.map(|g| decode::<Authorization>(g.value()));
    let Some(auth) = removed.transpose()? else {
        return Ok(None);
    };
    let mut by_token = txn.open_table(AUTHORIZATIONS_BY_TOKEN)?;
    by_token.remove(auth.hashed_token.as_bytes().as_slice())?;
    let mut by_user = txn.open_table(AUTHORIZATIONS_BY_USER)?;
    by_user.remove((auth.user_id.get(), id.get()))?;
    let mut by_org = txn.open_table(AUTHORIZATIONS_BY_ORG)?;
    by_org.remove((auth.org_id.get(), id.get()))?;
    txn.open_table(AUTHORIZATIONS_WITH_PLAINTEXT)?.remove(id.get())?;
    txn.open_table(AUTHORIZATION_LAST_USED)?.remove(id.get())?;
    Ok(Some(auth))
}

/// The IDs in a pair index under `owner`, inside a write transaction.
fn owned_ids(txn: &WriteTransaction, table: PairIndex, owner: Id) -> Result<Vec<u64>, Error> {
    let index = txn.open_table(table)?;
    let mut ids = Vec::new();
    for entry in index.range((owner.get(), 0)..=(owner.get(), u64::MAX))? {
        ids.push(entry?.0.value().1);
    }
    Ok(ids)
}

fn put_authorization(txn: &WriteTransaction, auth: &Authorization) -> Result<(), Error> {
    let mut by_token = txn.open_table(AUTHORIZATIONS_BY_TOKEN)?;
    let key = auth.hashed_token.as_bytes().as_slice();
    if by_token.get(key)?.is_some() {
        return Err(Error::Conflict(Conflict::TokenExists));
    }
    let mut table = txn.open_table(AUTHORIZATIONS)?;
    if table.get(auth.id.get())?.is_some() {
        return Err(Error::Conflict(Conflict::IdTaken));
    }
    table.insert(auth.id.get(), encode(auth).as_slice())?;
    by_token.insert(key, auth.id.get())?;
    if auth.token.is_some() {
        txn.open_table(AUTHORIZATIONS_WITH_PLAINTEXT)?
            .insert(auth.id.get(), ())?;
    }
    let mut by_user = txn.open_table(AUTHORIZATIONS_BY_USER)?;
    by_user.insert((auth.user_id.get(), auth.id.get()), ())?;
    let mut by_org = txn.open_table(AUTHORIZATIONS_BY_ORG)?;
    by_org.insert((auth.org_id.get(), auth.id.get()), ())?;
    Ok(())
}

fn put_user(txn: &WriteTransaction, user: &User) -> Result<(), Error> {
    let mut by_name = txn.open_table(USERS_BY_NAME)?;
    if by_name.get(user.name.as_str())?.is_some() {
        return Err(Error::Conflict(Conflict::UserName));
    }
    let mut table = txn.open_table(USERS)?;
    if table.get(user.id.get())?.is_some() {
        return Err(Error::Conflict(Conflict::IdTaken));
    }
    table.insert(user.id.get(), encode(user).as_slice())?;
    by_name.insert(user.name.as_str(), user.id.get())?;
    Ok(())
}

fn put_org(txn: &WriteTransaction, org: &Org) -> Result<(), Error> {
    let mut by_name = txn.open_table(ORGS_BY_NAME)?;
    if by_name.get(org.name.as_str())?.is_some() {
        return Err(Error::Conflict(Conflict::OrgName));
    }
    let mut table = txn.open_table(ORGS)?;
    if table.get(org.id.get())?.is_some() {
        return Err(Error::Conflict(Conflict::IdTaken));
    }
    table.insert(org.id.get(), encode(org).as_slice())?;
    by_name.insert(org.name.as_str(), org.id.get())?;
    Ok(())
}

fn put_bucket(txn: &WriteTransaction, bucket: &Bucket) -> Result<(), Error> {
    let mut by_name = txn.open_table(BUCKETS_BY_ORG_NAME)?;
    let name_key = (bucket.org_id.get(), bucket.name.as_str());
    if by_name.get(name_key)?.is_some() {
        return Err(Error::Conflict(Conflict::BucketName));
    }
    let mut table = txn.open_table(BUCKETS)?;
    if table.get(bucket.id.get())?.is_some() {
        return Err(Error::Conflict(Conflict::IdTaken));
    }
    table.insert(bucket.id.get(), encode(bucket).as_slice())?;
    by_name.insert(name_key, bucket.id.get())?;
    let mut by_org = txn.open_table(BUCKETS_BY_ORG)?;
    by_org.insert((bucket.org_id.get(), bucket.id.get()), ())?;
    Ok(())
}

// -- encoding ----------------------------------------------------------------------------------------------------

fn encode<T: Record>(value: &T) -> Vec<u8> {
    codec::encode(value)
}

fn decode<T: Record>(bytes: &[u8]) -> Result<T, Error> {
    codec::decode(bytes)
}

fn get_record<T: Record>(table: &impl ReadableTable<u64, &'static [u8]>, id: u64) -> Result<Option<T>, Error> {
    table.get(id)?.map(|g| decode(g.value())).transpose()
}

fn all_records<T: Record>(table: &impl ReadableTable<u64, &'static [u8]>) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, value) = entry?;
        out.push(decode(value.value())?);
    }
    Ok(out)
}

/// The second halves of the `(owner, id)` keys of a pair index whose first half is `owner`.
fn index_range(txn: &ReadTransaction, table: PairIndex, owner: Id) -> Result<Vec<u64>, Error> {
    let index = txn.open_table(table)?;
    let mut ids = Vec::new();
    for entry in index.range((owner.get(), 0)..=(owner.get(), u64::MAX))? {
        let (key, _) = entry?;
        ids.push(key.value().1);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests;
