//! Users: the record and its unique name. Deleting one takes its memberships; its tokens stay (and are refused as
//! the user's, as in InfluxDB).

use deadpool_postgres::{GenericClient, Transaction};
use model::{AuditEntry, Id, User};
use store::{Change, StoreError};

use crate::{PgStore, execute, json, key, record, row, rows};

pub(crate) async fn insert(txn: &Transaction<'_>, user: &User) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO users (id, name, record) VALUES ($1, $2, $3)",
        &[&key(user.id), &user.name.as_bytes(), &json(user)?],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(client: &impl GenericClient, id: Id) -> Result<Option<User>, StoreError> {
    let found = row(client, "SELECT record FROM users WHERE id = $1", &[&key(id)]).await?;
    found.map(|r| record(&r, 0)).transpose()
}

pub(crate) async fn by_name(client: &impl GenericClient, name: &str) -> Result<Option<User>, StoreError> {
    let found = row(
        client,
        "SELECT record FROM users WHERE sha256(name) = sha256($1)",
        &[&name.as_bytes()],
    )
    .await?;
    found.map(|r| record(&r, 0)).transpose()
}

pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<User>, StoreError> {
    let found = rows(client, "SELECT record FROM users ORDER BY id", &[]).await?;
    found.iter().map(|r| record(r, 0)).collect()
}

impl PgStore {
    pub(crate) fn update_user_record(
        &self,
        id: Id,
        mut change: Change<User>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<User>, StoreError> {
        self.write(audit, async |txn| {
            let found = row(txn, "SELECT record FROM users WHERE id = $1 FOR UPDATE", &[&key(id)]).await?;
            let Some(found) = found else { return Ok(None) };
            let mut user: User = record(&found, 0)?;
            change(&mut user);
            // A name taken by another user breaks `users_name_unique`: a conflict, and nothing is written.
            execute(
                txn,
                "UPDATE users SET name = $2, record = $3 WHERE id = $1",
                &[&key(id), &user.name.as_bytes(), &json(&user)?],
            )
            .await?;
            Ok(Some(user))
        })
    }

    pub(crate) fn delete_user_record(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.write(audit, async |txn| {
            if execute(txn, "DELETE FROM users WHERE id = $1", &[&key(id)]).await? == 0 {
                return Ok(false);
            }
            execute(txn, "DELETE FROM org_members WHERE user_id = $1", &[&key(id)]).await?;
            Ok(true)
        })
    }
}
