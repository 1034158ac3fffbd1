//! influx-authz's storage interface: the one trait, [`Store`], that the service talks to, with the types it takes
//! and returns. Each engine lives in its own crate and implements it: `store-redb` (an embedded redb file, the
//! default) and `store-postgres` (a PostgreSQL database that several replicas share). Neither engine knows the
//! other, and none of them knows HTTP.
//!
//! # What every engine promises
//! - Every mutation is one transaction, its audit entry included: a change and its entry commit together or not
//!   at all, and a mutation that changed nothing (a delete of a record that is gone) appends no entry.
//! - A write that is acknowledged is seen by every read that starts after it, on every process that shares the
//!   store: there is no cache that could answer from before it. A token deleted or deactivated is refused on the
//!   very next request.
//! - Uniqueness (IDs, token hashes, user and org names, bucket names in an org) is enforced by the store; a write
//!   that would break it fails with a [`Conflict`] and writes nothing.
//! - When the store cannot answer (disk full, database unreachable, slow or read-only) the call fails with
//!   [`StoreError::Unavailable`], never with a guess.
//!
//! Calls are synchronous; the `service` crate moves them off the async workers where they may wait.

mod error;
mod stats;

use std::sync::Arc;

use model::{AuditAction, AuditEntry, Authorization, Bucket, Id, Org, Session, TokenHash, User};
use time::OffsetDateTime;

pub use error::{Conflict, StoreError};
pub use stats::{CommitSnapshot, CommitStats, HistogramSnapshot, LATENCY_BUCKETS, LatencyHistogram, RecordCounts};

/// A change to a record, applied inside the transaction that stores it. It may run more than once (an engine may
/// retry a transaction), so it must not consume what it captures.
pub type Change<T> = Box<dyn FnMut(&mut T) + Send>;

/// Called with each audit entry once the transaction holding it has committed.
pub type AuditObserver = Box<dyn Fn(&AuditEntry) + Send + Sync>;

/// Held while a piece of work must run on one process at a time among all that share the store (see
/// [`Store::exclusive`]); dropping it lets the next one in.
pub type ExclusiveGuard = Box<dyn Send>;

/// What a token check finds: the authorization and its user (`None` when the user is gone). Both are shared, so
/// that an engine may answer repeated checks from one snapshot without copying it (redb keeps the ones
/// it found until its next commit), and the request that made the check holds it the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenCheck {
    pub authorization: Arc<Authorization>,
    pub user: Option<Arc<User>>,
}

/// Whether a mutation's result means it changed something, so that an engine appends its audit entry (a delete
/// of a record that is gone appends none).
pub trait Changed {
    fn changed(&self) -> bool;
}

impl Changed for () {
    fn changed(&self) -> bool {
        true
    }
}

impl Changed for bool {
    fn changed(&self) -> bool {
        *self
    }
}

impl<T> Changed for Option<T> {
    fn changed(&self) -> bool {
        self.is_some()
    }
}

/// Filters of `GET /api/v2/authorizations`, already resolved to IDs and ANDed.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationFilter {
    pub user_id: Option<Id>,
    pub org_id: Option<Id>,
}

/// Everything `POST /api/v2/setup` creates, written in one transaction.
#[derive(Debug, Clone)]
pub struct SetupRecords {
    pub user: User,
    pub org: Org,
    pub buckets: Vec<Bucket>,
    pub authorization: Authorization,
}

/// A user's role in an org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Member,
    Owner,
}

impl Role {
    /// The role as stored (one byte or a small integer).
    pub fn to_byte(self) -> u8 {
        match self {
            Role::Member => 0,
            Role::Owner => 1,
        }
    }

    pub fn from_byte(byte: u8) -> Self {
        if byte == 1 { Role::Owner } else { Role::Member }
    }
}

/// Which audit entries a page holds. All given conditions must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    /// Entries at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Entries at or before this time.
    pub until: Option<OffsetDateTime>,
    /// Entries whose actor is this user, or whose target is this user (a user record, a membership, a token's
    /// owner).
    pub user_id: Option<Id>,
}

impl AuditFilter {
    /// Whether `entry` passes the filters that are not about time.
    pub fn keeps(&self, entry: &AuditEntry) -> bool {
        self.action.is_none_or(|action| entry.action == action)
            && self.user_id.is_none_or(|user| entry.concerns_user(user))
    }
}

/// Everything a store holds, for moving it to another engine (`influx-authz migrate`). Authorizations carry their
/// last use; audit entries their sequence numbers.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    pub users: Vec<User>,
    pub orgs: Vec<Org>,
    pub buckets: Vec<Bucket>,
    /// `(org, user, role)`.
    pub members: Vec<(Id, Id, Role)>,
    pub authorizations: Vec<Authorization>,
    /// `(SHA-256 of the session key, session)`.
    pub sessions: Vec<(TokenHash, Session)>,
    pub audit: Vec<AuditEntry>,
    /// The number the next audit entry gets: above every number ever given, also those retention removed, so that
    /// numbers are never reused after a copy either.
    pub audit_next: u64,
}

impl Contents {
    /// How many records of each kind: what a copy checks on both sides.
    pub fn counts(&self) -> ContentCounts {
        ContentCounts {
            users: self.users.len(),
            orgs: self.orgs.len(),
            buckets: self.buckets.len(),
            members: self.members.len(),
            authorizations: self.authorizations.len(),
            sessions: self.sessions.len(),
            audit: self.audit.len(),
        }
    }
}

/// See [`Contents::counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentCounts {
    pub users: usize,
    pub orgs: usize,
    pub buckets: usize,
    pub members: usize,
    pub authorizations: usize,
    pub sessions: usize,
    pub audit: usize,
}

impl ContentCounts {
    pub fn is_empty(&self) -> bool {
        *self == ContentCounts::default()
    }
}

/// The reads of one request. Every read through it sees at least every write acknowledged before it was taken.
/// redb's is one read transaction (all reads see the same moment); PostgreSQL's reads the database as it is at each
/// read, so two reads may see moments apart.
pub trait Snapshot: Send + Sync {
    /// An authorization with its last use.
    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError>;
    fn user(&self, id: Id) -> Result<Option<User>, StoreError>;
    fn org(&self, id: Id) -> Result<Option<Org>, StoreError>;
    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError>;

    /// Names the state of the store this snapshot shows, when the engine can: a snapshot taken after a commit was
    /// acknowledged (on any process sharing the store) has a higher generation than any taken before it, so what
    /// was computed from a snapshot of generation `g` may be reused by readers whose snapshot is also `g`. `None`
    /// (the default) when the engine cannot promise that: then nothing may be reused.
    fn generation(&self) -> Option<u64> {
        None
    }
}

/// The storage the service uses. Implemented by each engine crate.
pub trait Store: Send + Sync + 'static {
    // -- setup -------------------------------------------------------------------------------------------------

    /// Whether setup may still run: there are no users and no orgs.
    fn setup_allowed(&self) -> Result<bool, StoreError>;

    /// Writes the setup user, org, buckets and operator token together (with `audit`), or nothing with
    /// [`Conflict::AlreadySetUp`] when setup already ran, on this process or any other sharing the store.
    fn setup(&self, records: &SetupRecords, audit: Option<&AuditEntry>) -> Result<(), StoreError>;

    /// Waits until no other process sharing the store holds the guard named `name`, then holds it until the guard
    /// is dropped: for work that must run once among replicas starting together (the seed file).
    fn exclusive(&self, name: &str) -> Result<ExclusiveGuard, StoreError>;

    // -- authorizations ----------------------------------------------------------------------------------------

    fn create_authorization(&self, auth: &Authorization, audit: Option<&AuditEntry>) -> Result<(), StoreError>;

    /// An authorization with its last use.
    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError>;

    /// The authorization whose token hashes to `hash`, and its user: the check every request makes, read from the
    /// store itself (no cache). Without its last use, which the check does not need.
    fn authorization_and_user_by_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, StoreError>;

    /// The authorization whose token hashes to `hash`, if any.
    fn authorization_by_token(&self, hash: &TokenHash) -> Result<Option<Authorization>, StoreError> {
        Ok(self
            .authorization_and_user_by_token(hash)?
            .map(|found| Arc::unwrap_or_clone(found.authorization)))
    }

    /// Up to `max` authorizations matching `filter` and `keep`, in ascending ID order, starting after `after`,
    /// with their last uses.
    fn scan_authorizations(
        &self,
        filter: AuthorizationFilter,
        after: Option<Id>,
        max: usize,
        keep: &mut dyn FnMut(&Authorization) -> bool,
    ) -> Result<Vec<Authorization>, StoreError>;

    /// Authorizations matching `filter`, in ascending ID order.
    fn authorizations(&self, filter: AuthorizationFilter) -> Result<Vec<Authorization>, StoreError> {
        self.scan_authorizations(filter, None, usize::MAX, &mut |_| true)
    }

    /// Writes last-used times (the later one wins, whichever process wrote the other) in one transaction; tokens
    /// that are gone are skipped.
    fn record_last_used(&self, uses: &[(Id, OffsetDateTime)]) -> Result<(), StoreError>;

    /// Applies `change` to the record and stores it (with `audit`); `None` when there is no such authorization.
    fn update_authorization(
        &self,
        id: Id,
        change: Change<Authorization>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Authorization>, StoreError>;

    /// Removes the authorization and its index entries (and appends `audit`) in one transaction; `false` when
    /// there was none.
    fn delete_authorization(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError>;

    /// Drops every stored plaintext token (the hash stays), as InfluxDB does at start with hashed tokens on.
    /// Returns how many records changed.
    fn forget_plaintext_tokens(&self) -> Result<usize, StoreError>;

    // -- users -------------------------------------------------------------------------------------------------

    fn create_user(&self, user: &User, audit: Option<&AuditEntry>) -> Result<(), StoreError>;
    fn user(&self, id: Id) -> Result<Option<User>, StoreError>;
    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError>;
    /// Every user, by ID.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Applies `change` and stores the user (with `audit`), keeping names unique. `None` when there is no such
    /// user.
    fn update_user(&self, id: Id, change: Change<User>, audit: Option<&AuditEntry>)
    -> Result<Option<User>, StoreError>;
    /// Removes the user and its memberships (with `audit`); its tokens stay. `false` when there was none.
    fn delete_user(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError>;

    // -- orgs --------------------------------------------------------------------------------------------------

    /// Creates an org with its buckets, and `owner` as its owner, in one transaction.
    fn create_org(
        &self,
        org: &Org,
        buckets: &[Bucket],
        owner: Option<Id>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError>;
    fn org(&self, id: Id) -> Result<Option<Org>, StoreError>;
    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError>;
    /// Every org, by ID.
    fn orgs(&self) -> Result<Vec<Org>, StoreError>;
    fn update_org(&self, id: Id, change: Change<Org>, audit: Option<&AuditEntry>) -> Result<Option<Org>, StoreError>;
    /// Removes the org with its buckets, memberships and authorizations (with `audit`). `false` when there was
    /// none.
    fn delete_org(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError>;
    /// Gives `user` a role in `org` (replacing any role it had), with `audit`. Both must exist.
    fn add_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<(), StoreError>;
    /// Takes `role` away from `user` in `org` (with `audit`); `false` when the user did not have that role there.
    fn remove_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<bool, StoreError>;
    /// The users of an org, with their roles, by user ID.
    fn members(&self, org: Id) -> Result<Vec<(Id, Role)>, StoreError>;
    /// The orgs a user belongs to, with the user's role in each, by org ID.
    fn orgs_of(&self, user: Id) -> Result<Vec<(Id, Role)>, StoreError>;

    // -- buckets -----------------------------------------------------------------------------------------------

    /// Creates a bucket in an org that exists ([`Conflict::MissingOrg`] otherwise).
    fn create_bucket(&self, bucket: &Bucket, audit: Option<&AuditEntry>) -> Result<(), StoreError>;
    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError>;
    /// Buckets of one org, or of every org, by ID.
    fn buckets(&self, org_id: Option<Id>) -> Result<Vec<Bucket>, StoreError>;

    // -- sessions ----------------------------------------------------------------------------------------------

    /// Stores a session under the SHA-256 of its key (and `audit`, the sign-in).
    fn create_session(&self, key: &TokenHash, session: &Session, audit: Option<&AuditEntry>) -> Result<(), StoreError>;
    fn session(&self, key: &TokenHash) -> Result<Option<Session>, StoreError>;
    /// Removes a session (and appends `audit`, the sign-out, if there was one); `false` when there was none.
    fn delete_session(&self, key: &TokenHash, audit: Option<&AuditEntry>) -> Result<bool, StoreError>;

    // -- the audit trail ---------------------------------------------------------------------------------------

    /// Sets the function that sees every entry this process commits (at most once per store).
    fn observe_audit(&self, observer: AuditObserver);

    /// Appends entries that belong to no mutation (failed authentications and sign-ins) in one transaction;
    /// returns them with their sequence numbers.
    fn append_audit(&self, entries: &[AuditEntry]) -> Result<Vec<AuditEntry>, StoreError>;

    /// One page of entries matching `filter`, newest first (by time, then by sequence number), at most `max`,
    /// starting after the entry numbered `after`. When the `after` entry is gone, the page is empty.
    fn audit_page(&self, filter: &AuditFilter, after: Option<u64>, max: usize) -> Result<Vec<AuditEntry>, StoreError>;

    /// Removes up to `max` of the oldest entries older than `before`; returns how many.
    fn prune_audit(&self, before: OffsetDateTime, max: usize) -> Result<usize, StoreError>;

    // -- reads in one view -------------------------------------------------------------------------------------

    /// A view that holds every write acknowledged before this call.
    fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError>;

    /// The generation a [`snapshot`](Self::snapshot) taken now would have ([`Snapshot::generation`]), without
    /// taking one: for a reader that may find all it needs already computed for that generation. `None` (the
    /// default) where snapshots have none.
    fn generation(&self) -> Option<u64> {
        None
    }

    // -- the whole store, for `influx-authz migrate` -----------------------------------------------------------

    /// Everything the store holds.
    fn export(&self) -> Result<Contents, StoreError>;

    /// Writes `contents` as they are (IDs, hashes, sequence numbers and all) in one transaction, beside what is
    /// there; a clash fails with a [`Conflict`] and writes nothing.
    fn import(&self, contents: &Contents) -> Result<(), StoreError>;

    // -- health and figures ------------------------------------------------------------------------------------

    /// Whether the store answers now (and, where it matters, takes writes): `/health` and `/ready`.
    fn check_health(&self) -> Result<(), StoreError>;

    /// Record counts of every kind.
    fn record_counts(&self) -> Result<RecordCounts, StoreError>;

    /// The database's size on disk in bytes (`None` when there is no disk, or it cannot be learnt now).
    fn file_bytes(&self) -> Option<u64>;

    /// Write transactions committed (or whose commit failed) by this process, and their commit times.
    fn commit_stats(&self) -> CommitSnapshot;

    /// A number below 1024 for this process that no other live process sharing the store holds, for IDs that must
    /// not collide among replicas (see the service's ID generator). `0` for an engine only one process can open.
    fn node_id(&self) -> u16 {
        0
    }
}
