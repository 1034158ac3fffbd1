//! The whole store at once, for `influx-authz migrate`: read in one repeatable-read transaction, written in one
//! transaction.

use store::{Contents, StoreError};

use crate::{PgStore, audit, authorizations, buckets, db, execute, key, nanos, orgs, sessions, users};

impl PgStore {
    pub(crate) fn export_all(&self) -> Result<Contents, StoreError> {
        self.block_for(self.inner.timeout.max(std::time::Duration::from_secs(600)), async {
            let mut client = self.client().await?;
            let txn = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(db)?;
            let contents = Contents {
                users: users::all(&txn).await?,
                orgs: orgs::all(&txn).await?,
                buckets: buckets::list(&txn, None).await?,
                members: orgs::all_members(&txn).await?,
                authorizations: authorizations::all(&txn).await?,
                sessions: sessions::all(&txn).await?,
                audit: audit::all(&txn).await?,
                audit_next: audit::next_number(&txn).await?,
            };
            txn.commit().await.map_err(db)?;
            Ok(contents)
        })
    }

    pub(crate) fn import_all(&self, contents: &Contents) -> Result<(), StoreError> {
        self.block_for(self.inner.timeout.max(std::time::Duration::from_secs(600)), async {
            let mut client = self.client().await?;
            let txn = client.transaction().await.map_err(db)?;
            for user in &contents.users {
                users::insert(&txn, user).await?;
            }
            for org in &contents.orgs {
                orgs::insert(&txn, org).await?;
            }
            for bucket in &contents.buckets {
                buckets::insert(&txn, bucket).await?;
            }
            for (org, user, role) in &contents.members {
                orgs::put_member(&txn, *org, *user, *role).await?;
            }
            for auth in &contents.authorizations {
                authorizations::insert(&txn, auth).await?;
                if let Some(at) = auth.last_used_at {
                    execute(
                        &txn,
                        "INSERT INTO authorization_last_used (id, at_nanos) VALUES ($1, $2)",
                        &[&key(auth.id), &nanos(at)],
                    )
                    .await?;
                }
            }
            for (key_hash, session) in &contents.sessions {
                sessions::insert(&txn, key_hash, session).await?;
            }
            for entry in &contents.audit {
                audit::insert(&txn, entry).await?;
            }
            // Numbers given from now on come after every number copied, and every number the source ever gave.
            let given = i64::try_from(contents.audit_next.saturating_sub(1)).unwrap_or(i64::MAX);
            execute(
                &txn,
                "SELECT setval('audit_sequence', GREATEST((SELECT COALESCE(MAX(id), 0) FROM audit), \
                 (SELECT last_value FROM audit_sequence), $1, 1))",
                &[&given],
            )
            .await?;
            txn.commit().await.map_err(db)?;
            Ok(())
        })
    }
}
