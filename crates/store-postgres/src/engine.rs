//! [`PgStore`] behind the storage interface.

use model::{AuditEntry, Authorization, Bucket, Id, Org, Session, TokenHash, User};
use store::{
    AuditFilter, AuditObserver, AuthorizationFilter, Change, CommitSnapshot, Contents, ExclusiveGuard, RecordCounts,
    Role, SetupRecords, Snapshot, Store, StoreError, TokenCheck,
};
use time::OffsetDateTime;

use crate::{PgStore, authorizations, buckets, orgs, row, scalar, sessions, users};

/// Reads for one request. Each goes to the database as it is then: every read holds every write acknowledged
/// before the snapshot was taken, on any replica, but two reads may see different moments (see [`Snapshot`]).
struct PgSnapshot(PgStore);

impl Snapshot for PgSnapshot {
    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError> {
        self.0.authorization(id)
    }

    fn user(&self, id: Id) -> Result<Option<User>, StoreError> {
        self.0.user(id)
    }

    fn org(&self, id: Id) -> Result<Option<Org>, StoreError> {
        self.0.org(id)
    }

    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError> {
        self.0.bucket(id)
    }
}

impl Store for PgStore {
    fn setup_allowed(&self) -> Result<bool, StoreError> {
        self.nothing_set_up()
    }

    fn setup(&self, records: &SetupRecords, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.set_up(records, audit)
    }

    fn exclusive(&self, name: &str) -> Result<ExclusiveGuard, StoreError> {
        self.lock_exclusive(name)
    }

    fn create_authorization(&self, auth: &Authorization, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.write(audit, async |txn| authorizations::insert(txn, auth).await)
    }

    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError> {
        self.read(async |client| authorizations::get(client, id).await)
    }

    fn authorization_and_user_by_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, StoreError> {
        self.read(async |client| authorizations::by_token(client, hash).await)
    }

    fn scan_authorizations(
        &self,
        filter: AuthorizationFilter,
        after: Option<Id>,
        max: usize,
        keep: &mut dyn FnMut(&Authorization) -> bool,
    ) -> Result<Vec<Authorization>, StoreError> {
        self.scan(filter, after, max, keep)
    }

    fn record_last_used(&self, uses: &[(Id, OffsetDateTime)]) -> Result<(), StoreError> {
        self.record_uses(uses)
    }

    fn update_authorization(
        &self,
        id: Id,
        change: Change<Authorization>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Authorization>, StoreError> {
        self.update_authorization_record(id, change, audit)
    }

    fn delete_authorization(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.delete_authorization_record(id, audit)
    }

    fn forget_plaintext_tokens(&self) -> Result<usize, StoreError> {
        self.forget_plaintexts()
    }

    fn create_user(&self, user: &User, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.write(audit, async |txn| users::insert(txn, user).await)
    }

    fn user(&self, id: Id) -> Result<Option<User>, StoreError> {
        self.read(async |client| users::get(client, id).await)
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.read(async |client| users::by_name(client, name).await)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(async |client| users::all(client).await)
    }

    fn update_user(
        &self,
        id: Id,
        change: Change<User>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<User>, StoreError> {
        self.update_user_record(id, change, audit)
    }

    fn delete_user(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.delete_user_record(id, audit)
    }

    fn create_org(
        &self,
        org: &Org,
        buckets: &[Bucket],
        owner: Option<Id>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.create_org_records(org, buckets, owner, audit)
    }

    fn org(&self, id: Id) -> Result<Option<Org>, StoreError> {
        self.read(async |client| orgs::get(client, id).await)
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        self.read(async |client| orgs::by_name(client, name).await)
    }

    fn orgs(&self) -> Result<Vec<Org>, StoreError> {
        self.read(async |client| orgs::all(client).await)
    }

    fn update_org(&self, id: Id, change: Change<Org>, audit: Option<&AuditEntry>) -> Result<Option<Org>, StoreError> {
        self.update_org_record(id, change, audit)
    }

    fn delete_org(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.delete_org_records(id, audit)
    }

    fn add_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.add_member_record(org, user, role, audit)
    }

    fn remove_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.remove_member_record(org, user, role, audit)
    }

    fn members(&self, org: Id) -> Result<Vec<(Id, Role)>, StoreError> {
        self.read(async |client| orgs::members(client, org).await)
    }

    fn orgs_of(&self, user: Id) -> Result<Vec<(Id, Role)>, StoreError> {
        self.read(async |client| orgs::orgs_of(client, user).await)
    }

    fn create_bucket(&self, bucket: &Bucket, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.write(audit, async |txn| buckets::create(txn, bucket).await)
    }

    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError> {
        self.read(async |client| buckets::get(client, id).await)
    }

    fn buckets(&self, org_id: Option<Id>) -> Result<Vec<Bucket>, StoreError> {
        self.read(async |client| buckets::list(client, org_id).await)
    }

    fn create_session(&self, key: &TokenHash, session: &Session, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.write(audit, async |txn| sessions::insert(txn, key, session).await)
    }

    fn session(&self, key: &TokenHash) -> Result<Option<Session>, StoreError> {
        self.read(async |client| sessions::get(client, key).await)
    }

    fn delete_session(&self, key: &TokenHash, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.write(audit, async |txn| sessions::delete(txn, key).await)
    }

    fn observe_audit(&self, observer: AuditObserver) {
        if self.inner.audit_observer.set(observer).is_err() {
            tracing::warn!("an audit observer was already set; the new one is ignored");
        }
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<Vec<AuditEntry>, StoreError> {
        self.append_entries(entries)
    }

    fn audit_page(&self, filter: &AuditFilter, after: Option<u64>, max: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.page(filter, after, max)
    }

    fn prune_audit(&self, before: OffsetDateTime, max: usize) -> Result<usize, StoreError> {
        self.prune(before, max)
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError> {
        Ok(Box::new(PgSnapshot(self.clone())))
    }

    fn export(&self) -> Result<Contents, StoreError> {
        self.export_all()
    }

    fn import(&self, contents: &Contents) -> Result<(), StoreError> {
        self.import_all(contents)
    }

    /// The database answers, and takes writes: a standby (still in recovery) or a read-only database counts as
    /// failing.
    fn check_health(&self) -> Result<(), StoreError> {
        let in_recovery: Option<bool> = self.read(async |client| {
            scalar(
                client,
                "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only')::bool",
                &[],
            )
            .await
        })?;
        match in_recovery {
            Some(false) => Ok(()),
            _ => Err(StoreError::Unavailable("the database is read-only".into())),
        }
    }

    fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        self.read(async |client| {
            let found = row(
                client,
                "SELECT (SELECT count(*) FROM authorizations), (SELECT count(*) FROM users), \
                 (SELECT count(*) FROM orgs), (SELECT count(*) FROM buckets), (SELECT count(*) FROM sessions)",
                &[],
            )
            .await?
            .ok_or_else(|| StoreError::Failed("no counts".into()))?;
            let count = |i: usize| -> Result<u64, StoreError> {
                let n: i64 = found.try_get(i).map_err(|e| StoreError::Encoding(e.to_string()))?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            Ok(RecordCounts {
                authorizations: count(0)?,
                users: count(1)?,
                orgs: count(2)?,
                buckets: count(3)?,
                sessions: count(4)?,
            })
        })
    }

    /// The database's size on disk, as PostgreSQL counts it (`pg_database_size`).
    fn file_bytes(&self) -> Option<u64> {
        let size: Result<Option<i64>, StoreError> =
            self.read(async |client| scalar(client, "SELECT pg_database_size(current_database())", &[]).await);
        size.ok().flatten().and_then(|bytes| u64::try_from(bytes).ok())
    }

    fn commit_stats(&self) -> CommitSnapshot {
        self.inner.commit_stats.snapshot()
    }

    fn node_id(&self) -> u16 {
        self.inner.node
    }
}
