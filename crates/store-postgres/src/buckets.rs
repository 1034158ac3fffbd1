//! Buckets: the record, its org (indexed) and its name, unique in the org.

use deadpool_postgres::{GenericClient, Transaction};
use model::{Bucket, Id};
use store::{Conflict, StoreError};

use crate::{execute, json, key, record, row, rows};

pub(crate) async fn insert(txn: &Transaction<'_>, bucket: &Bucket) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO buckets (id, org_id, name, record) VALUES ($1, $2, $3, $4)",
        &[
            &key(bucket.id),
            &key(bucket.org_id),
            &bucket.name.as_bytes(),
            &json(bucket)?,
        ],
    )
    .await?;
    Ok(())
}

/// Creates a bucket in an org that exists, and keeps the org from being deleted until this commits.
pub(crate) async fn create(txn: &Transaction<'_>, bucket: &Bucket) -> Result<(), StoreError> {
    let org = row(
        txn,
        "SELECT 1 FROM orgs WHERE id = $1 FOR SHARE",
        &[&key(bucket.org_id)],
    )
    .await?;
    if org.is_none() {
        return Err(StoreError::Conflict(Conflict::MissingOrg));
    }
    insert(txn, bucket).await
}

pub(crate) async fn get(client: &impl GenericClient, id: Id) -> Result<Option<Bucket>, StoreError> {
    let found = row(client, "SELECT record FROM buckets WHERE id = $1", &[&key(id)]).await?;
    found.map(|r| record(&r, 0)).transpose()
}

/// Buckets of one org, or of every org, by ID.
pub(crate) async fn list(client: &impl GenericClient, org: Option<Id>) -> Result<Vec<Bucket>, StoreError> {
    let found = match org {
        Some(org) => {
            rows(
                client,
                "SELECT record FROM buckets WHERE org_id = $1 ORDER BY id",
                &[&key(org)],
            )
            .await?
        }
        None => rows(client, "SELECT record FROM buckets ORDER BY id", &[]).await?,
    };
    found.iter().map(|r| record(r, 0)).collect()
}

pub(crate) async fn delete_of_org(txn: &Transaction<'_>, org: Id) -> Result<(), StoreError> {
    execute(txn, "DELETE FROM buckets WHERE org_id = $1", &[&key(org)]).await?;
    Ok(())
}
