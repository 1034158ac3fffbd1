//! Figures about the store for `/metrics`: how many records each table holds, the file's size, and how many
//! write transactions were committed and how long their commits took.
//!
//! Record counts come from one read transaction; redb keeps each table's length in its b-tree header, so
//! `len()` costs the same for ten records as for a million. Commit figures are lock-free counters, bumped once
//! per commit by [`RedbStore::write`](crate::RedbStore).

use redb::ReadableTableMetadata;

use store::{CommitSnapshot, RecordCounts};

use crate::tables::{AUTHORIZATIONS, BUCKETS, ORGS, SESSIONS, USERS};
use crate::{Error, RedbStore};

impl RedbStore {
    /// Record counts of every kind, read in one transaction (each `len()` is O(1) in redb).
    pub fn record_counts(&self) -> Result<RecordCounts, Error> {
        let txn = self.read()?;
        Ok(RecordCounts {
            authorizations: txn.open_table(AUTHORIZATIONS)?.len()?,
            users: txn.open_table(USERS)?.len()?,
            orgs: txn.open_table(ORGS)?.len()?,
            buckets: txn.open_table(BUCKETS)?.len()?,
            sessions: txn.open_table(SESSIONS)?.len()?,
        })
    }

    /// The database file's size in bytes; `None` in memory (or when the file cannot be read).
    pub fn file_bytes(&self) -> Option<u64> {
        let path = self.path.as_ref()?;
        std::fs::metadata(path).ok().map(|meta| meta.len())
    }

    /// Write transactions committed (or whose commit failed) since the store was opened, and their commit times.
    pub fn commit_stats(&self) -> CommitSnapshot {
        self.commit_stats.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_tables_and_every_write_is_one_commit() {
        let store = RedbStore::in_memory().unwrap();
        let before = store.commit_stats();
        assert_eq!(store.record_counts().unwrap(), RecordCounts::default());
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let user = model::User {
            id: model::Id::new(7).unwrap(),
            name: "someone".into(),
            status: model::Status::Active,
            password_hash: None,
            instance_owner: false,
        };
        store.create_user(&user, None).unwrap();
        let session = model::Session {
            user_id: user.id,
            created_at: now,
            expires_at: now,
        };
        store
            .create_session(&model::Token::new("key").hash(), &session, None)
            .unwrap();
        assert!(
            store.create_user(&user, None).is_err(),
            "a duplicate name is refused before the commit"
        );

        let counts = store.record_counts().unwrap();
        assert_eq!((counts.users, counts.sessions, counts.authorizations), (1, 1, 0));
        let after = store.commit_stats();
        assert_eq!(after.ok - before.ok, 2);
        assert_eq!(after.failed, 0);
        assert_eq!(after.latency.count() - before.latency.count(), 2);
        assert_eq!(store.file_bytes(), None, "in memory there is no file");
    }
}
