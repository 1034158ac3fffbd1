//! The read side of every request: a [`RedbSnapshot`] of the store, shared by all readers until the next commit.
//!
//! Beginning a read transaction and opening a table in it are the largest costs of reading a record from redb's
//! cache (the benchmark's profile: ~2,700 instructions per table opened, and a token check opens three). So the
//! store keeps one read transaction, with its tables opened on first use, and hands it to every reader until a
//! write commits. Each commit bumps a generation *before* the write is acknowledged; a reader takes the shared
//! transaction only if it was begun at the current generation, and otherwise begins a new one. So a reader that
//! starts after a write was acknowledged always sees it: a deleted token fails on the very next request, exactly
//! as if every request began its own transaction. This reuses redb's own MVCC snapshot; it is not a cache that
//! could outlive a write.
//!
//! What a snapshot holds never changes, so what is read from it may be kept for its generation: the token checks
//! answered at a generation keep their decoded records (the operator's holds 44 permissions, most of a check's
//! cost) until the next commit starts another. They are kept per thread ([`CHECKED`]), not in the snapshot: a
//! map shared by all workers, and the shared records' reference counts, were written by every request, and
//! those cache lines moved between the cores on each one. A check found for the current generation needs no
//! snapshot at all. [`RedbSnapshot::generation`] names the snapshot, for the service to do the same with what
//! it renders from one.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use model::{Authorization, Bucket, Id, Org, TokenHash, User, WordMap};
use redb::{ReadOnlyTable, ReadTransaction, TableDefinition};
use store::TokenCheck;

use crate::codec::Record;
use crate::tables::{AUTHORIZATION_LAST_USED, AUTHORIZATIONS, AUTHORIZATIONS_BY_TOKEN, BUCKETS, ORGS, USERS};
use crate::{Error, Handle, RedbStore, closed, get_record, with_last_used};

type Records = ReadOnlyTable<u64, &'static [u8]>;

/// A consistent, read-only view of the store. Cheap to clone; hold it only for the request at hand.
#[derive(Clone)]
pub struct RedbSnapshot(pub(crate) Arc<Shared>);

pub(crate) struct Shared {
    /// The store it was taken of ([`Snapshots::store`]).
    store: u64,
    generation: u64,
    txn: ReadTransaction,
    authorizations: OnceLock<Records>,
    by_token: OnceLock<ReadOnlyTable<&'static [u8], u64>>,
    last_used: OnceLock<ReadOnlyTable<u64, i128>>,
    users: OnceLock<Records>,
    orgs: OnceLock<Records>,
    buckets: OnceLock<Records>,
}

/// Token checks kept per thread at most: a generation lasts until the next commit (at least every few seconds
/// while tokens are used, when their last uses are written), so this bounds what a thread holds.
const MAX_CHECKED: usize = 4096;

/// The token checks this thread answered, found ones only (so only existing tokens), for one store and one
/// generation of it. Records only, no transaction: a recovery can always close the file.
struct Checked {
    store: u64,
    generation: u64,
    checks: WordMap<TokenHash, TokenCheck>,
}

thread_local! {
    static CHECKED: RefCell<Option<Checked>> = const { RefCell::new(None) };
}

/// The check of `hash` this thread kept for `store` at `generation`, if any.
fn checked_here(store: u64, generation: u64, hash: &TokenHash) -> Option<TokenCheck> {
    CHECKED.with_borrow(|checked| {
        checked
            .as_ref()
            .filter(|c| c.store == store && c.generation == generation)
            .and_then(|c| c.checks.get(hash).cloned())
    })
}

/// Keeps a check read from a snapshot of `store` at `generation`. A check of an older generation than the kept
/// ones is not kept; a newer one replaces them all.
fn keep_here(store: u64, generation: u64, hash: &TokenHash, found: &TokenCheck) {
    CHECKED.with_borrow_mut(|checked| {
        let fresh = match checked {
            Some(c) if c.store == store && c.generation == generation => c,
            Some(c) if c.store == store && c.generation > generation => return,
            _ => checked.insert(Checked {
                store,
                generation,
                checks: WordMap::default(),
            }),
        };
        if fresh.checks.len() < MAX_CHECKED {
            fresh.checks.insert(*hash, found.clone());
        }
    });
}

/// The shared snapshot and the generation it must match.
pub(crate) struct Snapshots {
    /// Names this store among the others of the process, for the per-thread checks.
    store: u64,
    generation: AtomicU64,
    current: Mutex<Option<RedbSnapshot>>,
}

impl Default for Snapshots {
    fn default() -> Self {
        static STORES: AtomicU64 = AtomicU64::new(0);
        Self {
            store: STORES.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
            current: Mutex::new(None),
        }
    }
}

impl Snapshots {
    /// Called after every commit, before the write is answered: later readers need a new transaction.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops the shared transaction (before the database is closed and reopened).
    pub(crate) fn clear(&self) {
        self.invalidate();
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl RedbStore {
    /// A snapshot that holds every write acknowledged before this call.
    pub fn snapshot(&self) -> Result<RedbSnapshot, Error> {
        let generation = self.snapshots.generation.load(Ordering::Acquire);
        if let Some(current) = &*self.snapshots.current.lock().unwrap_or_else(PoisonError::into_inner)
            && current.0.generation == generation
        {
            return Ok(current.clone());
        }
        let txn = match &*self.db() {
            Handle::Writable(db) => redb::ReadableDatabase::begin_read(db)?,
            Handle::ReadOnly(db) => redb::ReadableDatabase::begin_read(db)?,
            Handle::Closed => return Err(closed()),
        };
        let snapshot = RedbSnapshot(Arc::new(Shared {
            store: self.snapshots.store,
            generation,
            txn,
            authorizations: OnceLock::new(),
            by_token: OnceLock::new(),
            last_used: OnceLock::new(),
            users: OnceLock::new(),
            orgs: OnceLock::new(),
            buckets: OnceLock::new(),
        }));
        let mut current = self.snapshots.current.lock().unwrap_or_else(PoisonError::into_inner);
        // A reader that began at a later generation keeps its own.
        if current.as_ref().is_none_or(|c| c.0.generation < generation) {
            *current = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    /// The generation a snapshot taken now has.
    pub fn generation(&self) -> u64 {
        self.snapshots.generation.load(Ordering::Acquire)
    }

    /// The authorization whose token hashes to `hash`, and its user: the check every request makes. Answered
    /// without a snapshot when this thread already checked the token at the current generation.
    pub fn authorization_and_user_by_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, Error> {
        let generation = self.generation();
        if let Some(found) = checked_here(self.snapshots.store, generation, hash) {
            return Ok(Some(found));
        }
        self.snapshot()?.authorization_and_user_by_token(hash)
    }
}

impl RedbSnapshot {
    fn table<'t, K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        cell: &'t OnceLock<ReadOnlyTable<K, V>>,
        definition: TableDefinition<'static, K, V>,
    ) -> Result<&'t ReadOnlyTable<K, V>, Error> {
        if let Some(table) = cell.get() {
            return Ok(table);
        }
        let table = self.0.txn.open_table(definition)?;
        Ok(cell.get_or_init(|| table))
    }

    /// An authorization with its last use.
    pub fn authorization(&self, id: Id) -> Result<Option<Authorization>, Error> {
        let shared = &self.0;
        let Some(auth) = get_record::<Authorization>(self.table(&shared.authorizations, AUTHORIZATIONS)?, id.get())?
        else {
            return Ok(None);
        };
        with_last_used(self.table(&shared.last_used, AUTHORIZATION_LAST_USED)?, auth).map(Some)
    }

    /// The generation of the store this snapshot shows: a later commit gives later snapshots another one.
    pub fn generation(&self) -> u64 {
        self.0.generation
    }

    /// The authorization whose token hashes to `hash`, and its user: the check every request makes. (Without its
    /// last use, which the check does not need.) Decoded once per thread and generation.
    pub fn authorization_and_user_by_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, Error> {
        let (store, generation) = (self.0.store, self.0.generation);
        if let Some(found) = checked_here(store, generation, hash) {
            return Ok(Some(found));
        }
        let found = self.look_up_token(hash)?;
        if let Some(found) = &found {
            keep_here(store, generation, hash, found);
        }
        Ok(found)
    }

    fn look_up_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, Error> {
        let shared = &self.0;
        let index = self.table(&shared.by_token, AUTHORIZATIONS_BY_TOKEN)?;
        let Some(id) = index.get(hash.as_bytes().as_slice())?.map(|g| g.value()) else {
            return Ok(None);
        };
        let records = self.table(&shared.authorizations, AUTHORIZATIONS)?;
        // The index already matched by hash; confirm against the record in constant time all the same.
        let Some(auth) = get_record::<Authorization>(records, id)?.filter(|a| a.hashed_token.matches(hash)) else {
            return Ok(None);
        };
        let user = self.record::<User>(&shared.users, USERS, auth.user_id)?;
        Ok(Some(TokenCheck {
            authorization: Arc::new(auth),
            user: user.map(Arc::new),
        }))
    }

    fn record<T: Record>(
        &self,
        cell: &OnceLock<Records>,
        definition: TableDefinition<'static, u64, &'static [u8]>,
        id: Id,
    ) -> Result<Option<T>, Error> {
        get_record(self.table(cell, definition)?, id.get())
    }

    pub fn user(&self, id: Id) -> Result<Option<User>, Error> {
        self.record(&self.0.users, USERS, id)
    }

    pub fn org(&self, id: Id) -> Result<Option<Org>, Error> {
        self.record(&self.0.orgs, ORGS, id)
    }

    pub fn bucket(&self, id: Id) -> Result<Option<Bucket>, Error> {
        self.record(&self.0.buckets, BUCKETS, id)
    }
}
