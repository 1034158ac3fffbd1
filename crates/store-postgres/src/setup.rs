//! Onboarding, exactly once among replicas: the setup transaction takes an advisory lock before it looks for users
//! and orgs, so of N replicas setting up together one writes and the others find it done.

use model::AuditEntry;
use store::{Conflict, ExclusiveGuard, Role, SetupRecords, StoreError};

use crate::connect::SETUP_LOCK;
use crate::{PgStore, authorizations, buckets, db, execute, orgs, scalar, users};

/// The session-level advisory lock behind [`store::Store::exclusive`]: the connection that holds it leaves the
/// pool with it, and closing that connection (when the guard is dropped, which aborts its task, or when the process dies) lets go.
struct Exclusive {
    _client: deadpool_postgres::ClientWrapper,
}

/// True while there is no user and no org: setup may run.
const NOTHING_SET_UP: &str = "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM orgs)";

impl PgStore {
    pub(crate) fn nothing_set_up(&self) -> Result<bool, StoreError> {
        let empty: Option<bool> = self.read(async |client| scalar(client, NOTHING_SET_UP, &[]).await)?;
        Ok(empty == Some(true))
    }

    pub(crate) fn set_up(&self, records: &SetupRecords, audit: Option<&AuditEntry>) -> Result<(), StoreError> {
        self.write(audit, async |txn| {
            execute(txn, "SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK]).await?;
            let empty: Option<bool> = scalar(txn, NOTHING_SET_UP, &[]).await?;
            if empty != Some(true) {
                return Err(StoreError::Conflict(Conflict::AlreadySetUp));
            }
            users::insert(txn, &records.user).await?;
            orgs::insert(txn, &records.org).await?;
            orgs::put_member(txn, records.org.id, records.user.id, Role::Owner).await?;
            for bucket in &records.buckets {
                buckets::insert(txn, bucket).await?;
            }
            authorizations::insert(txn, &records.authorization).await
        })
    }

    /// Waits (up to a minute) for the advisory lock named `name`, on a connection of its own.
    pub(crate) fn lock_exclusive(&self, name: &str) -> Result<ExclusiveGuard, StoreError> {
        self.block_for(std::time::Duration::from_secs(60), async {
            let pooled = self.client().await?;
            let client = deadpool_postgres::Object::take(pooled);
            // This wait may be long (another replica applying the seed): not bounded by the call timeout's settings.
            client
                .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
                .await
                .map_err(db)?;
            client
                .execute("SELECT pg_advisory_lock(hashtext($1))", &[&name])
                .await
                .map_err(db)?;
            Ok(Box::new(Exclusive { _client: client }) as ExclusiveGuard)
        })
    }
}
