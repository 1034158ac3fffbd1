//! [`RedbStore`] behind the storage interface: each call goes to the inherent method of the same name, and
//! the engine's [`Error`] becomes a [`StoreError`] here, at the crate's edge.

use model::{AuditEntry, Authorization, Bucket, Id, Org, Session, TokenHash, User};
use redb::ReadableTable;
use store::{
    AuditFilter, AuditObserver, AuthorizationFilter, Change, CommitSnapshot, Contents, ExclusiveGuard, RecordCounts,
    Role, SetupRecords, Snapshot, Store, StoreError, TokenCheck,
};
use time::OffsetDateTime;

use crate::tables::{AUDIT, AUDIT_BY_TIME, AUDIT_SEQUENCE, AUTHORIZATION_LAST_USED, ORG_MEMBERS, SESSIONS};
use crate::{
    Error, RedbSnapshot, RedbStore, all_records, decode, encode, put_authorization, put_bucket, put_org, put_user,
};

impl Snapshot for RedbSnapshot {
    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError> {
        Ok(RedbSnapshot::authorization(self, id)?)
    }

    fn user(&self, id: Id) -> Result<Option<User>, StoreError> {
        Ok(RedbSnapshot::user(self, id)?)
    }

    fn org(&self, id: Id) -> Result<Option<Org>, StoreError> {
        Ok(RedbSnapshot::org(self, id)?)
    }

    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError> {
        Ok(RedbSnapshot::bucket(self, id)?)
    }

    /// One process holds the file, and every commit starts a new generation before it is acknowledged.
    fn generation(&self) -> Option<u64> {
        Some(RedbSnapshot::generation(self))
    }
}

impl Store for RedbStore {
    fn setup_allowed(&self) -> Result<bool, StoreError> {
        Ok(RedbStore::setup_allowed(self)?)
    }

    fn setup(&self, records: &SetupRecords, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::setup(self, records, audit)?)
    }

    /// One process holds a redb file (a second one cannot open it), and its writes are serialized already: there
    /// is nobody to exclude.
    fn exclusive(&self, _name: &str) -> Result<ExclusiveGuard, StoreError> {
        Ok(Box::new(()))
    }

    fn create_authorization(&self, auth: &Authorization, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::create_authorization(self, auth, audit)?)
    }

    fn authorization(&self, id: Id) -> Result<Option<Authorization>, StoreError> {
        Ok(RedbStore::authorization(self, id)?)
    }

    fn authorization_and_user_by_token(&self, hash: &TokenHash) -> Result<Option<TokenCheck>, StoreError> {
        Ok(RedbStore::authorization_and_user_by_token(self, hash)?)
    }

    fn scan_authorizations(
        &self,
        filter: AuthorizationFilter,
        after: Option<Id>,
        max: usize,
        keep: &mut dyn FnMut(&Authorization) -> bool,
    ) -> Result<Vec<Authorization>, StoreError> {
        Ok(RedbStore::scan_authorizations(self, filter, after, max, keep)?)
    }

    fn record_last_used(&self, uses: &[(Id, OffsetDateTime)]) -> Result<(), StoreError> {
        Ok(RedbStore::record_last_used(self, uses)?)
    }

    fn update_authorization(
        &self,
        id: Id,
        change: Change<Authorization>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Authorization>, StoreError> {
        Ok(RedbStore::update_authorization(self, id, change, audit)?)
    }

    fn delete_authorization(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        Ok(RedbStore::delete_authorization(self, id, audit)?)
    }

    fn forget_plaintext_tokens(&self) -> Result<usize, StoreError> {
        Ok(RedbStore::forget_plaintext_tokens(self)?)
    }

    fn create_user(&self, user: &User, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::create_user(self, user, audit)?)
    }

    fn user(&self, id: Id) -> Result<Option<User>, StoreError> {
        Ok(RedbStore::user(self, id)?)
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(RedbStore::user_by_name(self, name)?)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        Ok(RedbStore::users(self)?)
    }

    fn update_user(
        &self,
        id: Id,
        change: Change<User>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<User>, StoreError> {
        Ok(RedbStore::update_user(self, id, change, audit)?)
    }

    fn delete_user(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        Ok(RedbStore::delete_user(self, id, audit)?)
    }

    fn create_org(
        &self,
        org: &Org,
        buckets: &[Bucket],
        owner: Option<Id>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        Ok(RedbStore::create_org(self, org, buckets, owner, audit)?)
    }

    fn org(&self, id: Id) -> Result<Option<Org>, StoreError> {
        Ok(RedbStore::org(self, id)?)
    }

    fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        Ok(RedbStore::org_by_name(self, name)?)
    }

    fn orgs(&self) -> Result<Vec<Org>, StoreError> {
        Ok(RedbStore::orgs(self)?)
    }

    fn update_org(&self, id: Id, change: Change<Org>, audit: Option<&AuditEntry>) -> Result<Option<Org>, StoreError> {
        Ok(RedbStore::update_org(self, id, change, audit)?)
    }

    fn delete_org(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        Ok(RedbStore::delete_org(self, id, audit)?)
    }

    fn add_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::add_member(self, org, user, role, audit)?)
    }

    fn remove_member(&self, org: Id, user: Id, role: Role, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        Ok(RedbStore::remove_member(self, org, user, role, audit)?)
    }

    fn members(&self, org: Id) -> Result<Vec<(Id, Role)>, StoreError> {
        Ok(RedbStore::members(self, org)?)
    }

    fn orgs_of(&self, user: Id) -> Result<Vec<(Id, Role)>, StoreError> {
        Ok(RedbStore::orgs_of(self, user)?)
    }

    fn create_bucket(&self, bucket: &Bucket, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::create_bucket(self, bucket, audit)?)
    }

    fn bucket(&self, id: Id) -> Result<Option<Bucket>, StoreError> {
        Ok(RedbStore::bucket(self, id)?)
    }

    fn buckets(&self, org_id: Option<Id>) -> Result<Vec<Bucket>, StoreError> {
        Ok(RedbStore::buckets(self, org_id)?)
    }

    fn create_session(&self, key: &TokenHash, session: &Session, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        Ok(RedbStore::create_session(self, key, session, audit)?)
    }

    fn session(&self, key: &TokenHash) -> Result<Option<Session>, StoreError> {
        Ok(RedbStore::session(self, key)?)
    }

    fn delete_session(&self, key: &TokenHash, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        Ok(RedbStore::delete_session(self, key, audit)?)
    }

    fn observe_audit(&self, observer: AuditObserver) {
        RedbStore::observe_audit(self, observer)
    }

    fn append_audit(&self, entries: &[AuditEntry]) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(RedbStore::append_audit(self, entries)?)
    }

    fn audit_page(&self, filter: &AuditFilter, after: Option<u64>, max: usize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(RedbStore::audit_page(self, filter, after, max)?)
    }

    fn prune_audit(&self, before: OffsetDateTime, max: usize) -> Result<usize, StoreError> {
        Ok(RedbStore::prune_audit(self, before, max)?)
    }

    fn snapshot(&self) -> Result<Box<dyn Snapshot>, StoreError> {
        Ok(Box::new(RedbStore::snapshot(self)?))
    }

    fn generation(&self) -> Option<u64> {
        Some(RedbStore::generation(self))
    }

    fn export(&self) -> Result<Contents, StoreError> {
        Ok(self.export_all()?)
    }

    fn import(&self, contents: &Contents) -> Result<(), StoreError> {
        Ok(self.import_all(contents)?)
    }

    /// A redb file answers reads whenever it is open; a full disk or read-only file is reported by the writes
    /// that fail, not here.
    fn check_health(&self) -> Result<(), StoreError> {
        self.read().map(drop).map_err(StoreError::from)
    }

    fn record_counts(&self) -> Result<RecordCounts, StoreError> {
        Ok(RedbStore::record_counts(self)?)
    }

    fn file_bytes(&self) -> Option<u64> {
        RedbStore::file_bytes(self)
    }

    fn commit_stats(&self) -> CommitSnapshot {
        RedbStore::commit_stats(self)
    }
}

impl RedbStore {
    /// Everything in one read transaction.
    fn export_all(&self) -> Result<Contents, Error> {
        let txn = self.read()?;
        let mut members = Vec::new();
        for entry in txn.open_table(ORG_MEMBERS)?.iter()? {
            let (key, role) = entry?;
            let (org, user) = key.value();
            if let (Some(org), Some(user)) = (Id::new(org), Id::new(user)) {
                members.push((org, user, Role::from_byte(role.value())));
            }
        }
        let last_used = txn.open_table(AUTHORIZATION_LAST_USED)?;
        let mut authorizations: Vec<Authorization> = all_records(&txn.open_table(crate::tables::AUTHORIZATIONS)?)?;
        for auth in &mut authorizations {
            if let Some(nanos) = last_used.get(auth.id.get())?.map(|g| g.value()) {
                auth.last_used_at = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok();
            }
        }
        let mut sessions = Vec::new();
        for entry in txn.open_table(SESSIONS)?.iter()? {
            let (key, value) = entry?;
            let Ok(hash) = <[u8; 32]>::try_from(key.value()) else {
                continue;
            };
            sessions.push((TokenHash::from_bytes(hash), decode::<Session>(value.value())?));
        }
        let audit_next = txn.open_table(AUDIT_SEQUENCE)?.get("next")?.map_or(1, |g| g.value());
        let mut audit = Vec::new();
        for entry in txn.open_table(AUDIT)?.iter()? {
            let (_, value) = entry?;
            audit.push(serde_json::from_slice::<AuditEntry>(value.value()).map_err(Error::Encoding)?);
        }
        Ok(Contents {
            users: all_records(&txn.open_table(crate::tables::USERS)?)?,
            orgs: all_records(&txn.open_table(crate::tables::ORGS)?)?,
            buckets: all_records(&txn.open_table(crate::tables::BUCKETS)?)?,
            members,
            authorizations,
            sessions,
            audit,
            audit_next,
        })
    }

    /// Writes `contents` in one transaction, with the same record and index writes as single creates.
    fn import_all(&self, contents: &Contents) -> Result<(), Error> {
        self.write_alone(|txn| {
            for user in &contents.users {
                put_user(txn, user)?;
            }
            for org in &contents.orgs {
                put_org(txn, org)?;
            }
            for bucket in &contents.buckets {
                put_bucket(txn, bucket)?;
            }
            for (org, user, role) in &contents.members {
                crate::tenancy::put_member(txn, *org, *user, *role)?;
            }
            let mut last_used = txn.open_table(AUTHORIZATION_LAST_USED)?;
            for auth in &contents.authorizations {
                put_authorization(txn, auth)?;
                if let Some(at) = auth.last_used_at {
                    last_used.insert(auth.id.get(), at.unix_timestamp_nanos())?;
                }
            }
            drop(last_used);
            let mut sessions = txn.open_table(SESSIONS)?;
            for (key, session) in &contents.sessions {
                sessions.insert(key.as_bytes().as_slice(), encode(session).as_slice())?;
            }
            drop(sessions);
            let mut audit = txn.open_table(AUDIT)?;
            let mut by_time = txn.open_table(AUDIT_BY_TIME)?;
            let mut sequence = txn.open_table(AUDIT_SEQUENCE)?;
            let mut next = sequence.get("next")?.map_or(1, |g| g.value()).max(contents.audit_next);
            for entry in &contents.audit {
                if audit.get(entry.id)?.is_some() {
                    return Err(Error::Failed(format!("audit entry {} exists already", entry.id)));
                }
                audit.insert(entry.id, serde_json::to_vec(entry).map_err(Error::Encoding)?.as_slice())?;
                by_time.insert((entry.time.unix_timestamp_nanos(), entry.id), ())?;
                next = next.max(entry.id.saturating_add(1));
            }
            sequence.insert("next", next)?;
            Ok(())
        })
    }
}
