//! Orgs, with their unique names, and membership (who is a member or owner of which org). Deleting an org takes
//! its buckets, memberships and authorizations in the same transaction.

use deadpool_postgres::{GenericClient, Transaction};
use model::{AuditEntry, Bucket, Id, Org};
use store::{Change, Conflict, Role, StoreError};

use crate::{PgStore, authorizations, buckets, execute, id_of, json, key, record, row, rows};

pub(crate) async fn insert(txn: &Transaction<'_>, org: &Org) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO orgs (id, name, record) VALUES ($1, $2, $3)",
        &[&key(org.id), &org.name.as_bytes(), &json(org)?],
    )
    .await?;
    Ok(())
}

/// Gives `user` a role in `org`, replacing any role it had.
pub(crate) async fn put_member(txn: &Transaction<'_>, org: Id, user: Id, role: Role) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role",
        &[&key(org), &key(user), &i16::from(role.to_byte())],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get(client: &impl GenericClient, id: Id) -> Result<Option<Org>, StoreError> {
    let found = row(client, "SELECT record FROM orgs WHERE id = $1", &[&key(id)]).await?;
    found.map(|r| record(&r, 0)).transpose()
}

pub(crate) async fn by_name(client: &impl GenericClient, name: &str) -> Result<Option<Org>, StoreError> {
    let found = row(
        client,
        "SELECT record FROM orgs WHERE sha256(name) = sha256($1)",
        &[&name.as_bytes()],
    )
    .await?;
    found.map(|r| record(&r, 0)).transpose()
}

pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<Org>, StoreError> {
    let found = rows(client, "SELECT record FROM orgs ORDER BY id", &[]).await?;
    found.iter().map(|r| record(r, 0)).collect()
}

/// `(other side, role)` pairs of a membership query.
fn pairs(found: &[tokio_postgres::Row]) -> Result<Vec<(Id, Role)>, StoreError> {
    found
        .iter()
        .map(|r| {
            let other: i64 = r.try_get(0).map_err(|e| StoreError::Encoding(e.to_string()))?;
            let role: i16 = r.try_get(1).map_err(|e| StoreError::Encoding(e.to_string()))?;
            Ok((id_of(other)?, Role::from_byte(u8::try_from(role).unwrap_or(0))))
        })
        .collect()
}

pub(crate) async fn members(client: &impl GenericClient, org: Id) -> Result<Vec<(Id, Role)>, StoreError> {
    let found = rows(
        client,
        "SELECT user_id, role FROM org_members WHERE org_id = $1 ORDER BY user_id",
        &[&key(org)],
    )
    .await?;
    pairs(&found)
}

pub(crate) async fn orgs_of(client: &impl GenericClient, user: Id) -> Result<Vec<(Id, Role)>, StoreError> {
    let found = rows(
        client,
        "SELECT org_id, role FROM org_members WHERE user_id = $1 ORDER BY org_id",
        &[&key(user)],
    )
    .await?;
    pairs(&found)
}

/// Every membership, as `(org, user, role)`.
pub(crate) async fn all_members(client: &impl GenericClient) -> Result<Vec<(Id, Id, Role)>, StoreError> {
    let found = rows(
        client,
        "SELECT org_id, user_id, role FROM org_members ORDER BY org_id, user_id",
        &[],
    )
    .await?;
    found
        .iter()
        .map(|r| {
            let org: i64 = r.try_get(0).map_err(|e| StoreError::Encoding(e.to_string()))?;
            let user: i64 = r.try_get(1).map_err(|e| StoreError::Encoding(e.to_string()))?;
            let role: i16 = r.try_get(2).map_err(|e| StoreError::Encoding(e.to_string()))?;
            Ok((
                id_of(org)?,
                id_of(user)?,
                Role::from_byte(u8::try_from(role).unwrap_or(0)),
            ))
        })
        .collect()
}

impl PgStore {
    pub(crate) fn create_org_records(
        &self,
        org: &Org,
        with_buckets: &[Bucket],
        owner: Option<Id>,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.write(audit, async |txn| {
            insert(txn, org).await?;
            if let Some(owner) = owner {
                put_member(txn, org.id, owner, Role::Owner).await?;
            }
            for bucket in with_buckets {
                buckets::insert(txn, bucket).await?;
            }
            Ok(())
        })
    }

    pub(crate) fn update_org_record(
        &self,
        id: Id,
        mut change: Change<Org>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Org>, StoreError> {
        self.write(audit, async |txn| {
            let found = row(txn, "SELECT record FROM orgs WHERE id = $1 FOR UPDATE", &[&key(id)]).await?;
            let Some(found) = found else { return Ok(None) };
            let mut org: Org = record(&found, 0)?;
            change(&mut org);
            execute(
                txn,
                "UPDATE orgs SET name = $2, record = $3 WHERE id = $1",
                &[&key(id), &org.name.as_bytes(), &json(&org)?],
            )
            .await?;
            Ok(Some(org))
        })
    }

    pub(crate) fn delete_org_records(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.write(audit, async |txn| {
            if execute(txn, "DELETE FROM orgs WHERE id = $1", &[&key(id)]).await? == 0 {
                return Ok(false);
            }
            authorizations::delete_of_org(txn, id).await?;
            buckets::delete_of_org(txn, id).await?;
            execute(txn, "DELETE FROM org_members WHERE org_id = $1", &[&key(id)]).await?;
            Ok(true)
        })
    }

    pub(crate) fn add_member_record(
        &self,
        org: Id,
        user: Id,
        role: Role,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.write(audit, async |txn| {
            // Shared locks keep the org and the user from going away before this commits.
            if row(txn, "SELECT 1 FROM orgs WHERE id = $1 FOR SHARE", &[&key(org)])
                .await?
                .is_none()
            {
                return Err(StoreError::Conflict(Conflict::MissingOrg));
            }
            if row(txn, "SELECT 1 FROM users WHERE id = $1 FOR SHARE", &[&key(user)])
                .await?
                .is_none()
            {
                return Err(StoreError::Conflict(Conflict::MissingUser));
            }
            put_member(txn, org, user, role).await
        })
    }

    pub(crate) fn remove_member_record(
        &self,
        org: Id,
        user: Id,
        role: Role,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, StoreError> {
        self.write(audit, async |txn| {
            let removed = execute(
                txn,
                "DELETE FROM org_members WHERE org_id = $1 AND user_id = $2 AND role = $3",
                &[&key(org), &key(user), &i16::from(role.to_byte())],
            )
            .await?;
            Ok(removed > 0)
        })
    }
}
