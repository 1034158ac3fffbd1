//! Sign-in sessions, keyed by the SHA-256 of the session key.

use model::{AuditEntry, Session, TokenHash};

use crate::tables::SESSIONS;
use crate::{Error, RedbStore, decode, encode};

impl RedbStore {
    /// Stores a session (and `audit`, the sign-in).
    pub fn create_session(&self, key: &TokenHash, session: &Session, audit: Option<&AuditEntry>) -> Result<(), Error> {
        let (key, session) = (*key, session.clone());
        self.write_audited(audit, move |txn| {
            txn.open_table(SESSIONS)?
                .insert(key.as_bytes().as_slice(), encode(&session).as_slice())?;
            Ok(())
        })
    }

    pub fn session(&self, key: &TokenHash) -> Result<Option<Session>, Error> {
        let txn = self.read()?;
        let table = txn.open_table(SESSIONS)?;
        let found = table.get(key.as_bytes().as_slice())?;
        found.map(|g| decode(g.value())).transpose()
    }

    /// Removes a session (and appends `audit`, the sign-out, if there was one); `false` when there was none.
    pub fn delete_session(&self, key: &TokenHash, audit: Option<&AuditEntry>) -> Result<bool, Error> {
        let key = *key;
        self.write_audited(audit, move |txn| {
            Ok(txn.open_table(SESSIONS)?.remove(key.as_bytes().as_slice())?.is_some())
        })
    }
}
