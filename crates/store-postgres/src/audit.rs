//! The audit trail: one log for every replica, numbered by one sequence and ordered by (time, number). A
//! mutation's entry is appended in the mutation's own transaction (see [`PgStore::write`]).

use deadpool_postgres::{GenericClient, Transaction};
use model::AuditEntry;
use store::{AuditFilter, StoreError};
use time::OffsetDateTime;

use crate::{PgStore, execute, json, nanos, record, row, rows, scalar};

/// Rows fetched per round trip while paging with filters the database does not apply.
const PAGE_BATCH: i64 = 500;

/// Appends `entry` with the next sequence number; returns it as stored.
pub(crate) async fn append(txn: &Transaction<'_>, entry: &AuditEntry) -> Result<AuditEntry, StoreError> {
    let id: i64 = scalar(txn, "SELECT nextval('audit_sequence')", &[])
        .await?
        .ok_or_else(|| StoreError::Failed("the audit sequence gave no number".into()))?;
    let mut stored = entry.clone();
    stored.id = u64::try_from(id).map_err(|_| StoreError::Encoding(format!("audit number {id}")))?;
    insert(txn, &stored).await?;
    Ok(stored)
}

/// Writes an entry with the number it has.
pub(crate) async fn insert(txn: &Transaction<'_>, entry: &AuditEntry) -> Result<(), StoreError> {
    let id = i64::try_from(entry.id).map_err(|_| StoreError::Encoding(format!("audit number {}", entry.id)))?;
    execute(
        txn,
        "INSERT INTO audit (id, at_nanos, entry) VALUES ($1, $2, $3)",
        &[&id, &nanos(entry.time), &json(entry)?],
    )
    .await?;
    Ok(())
}

/// The number `nextval` gives next.
pub(crate) async fn next_number(client: &impl GenericClient) -> Result<u64, StoreError> {
    let next: i64 = scalar(
        client,
        "SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM audit_sequence",
        &[],
    )
    .await?
    .ok_or_else(|| StoreError::Failed("the audit sequence is missing".into()))?;
    Ok(u64::try_from(next).unwrap_or(1))
}

/// Every entry, by number.
pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<AuditEntry>, StoreError> {
    let found = rows(client, "SELECT entry FROM audit ORDER BY id", &[]).await?;
    found.iter().map(|r| record(r, 0)).collect()
}

impl PgStore {
    pub(crate) fn append_entries(&self, entries: &[AuditEntry]) -> Result<Vec<AuditEntry>, StoreError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let stored = self.transaction(async |txn| {
            let mut stored = Vec::with_capacity(entries.len());
            for entry in entries {
                stored.push(append(txn, entry).await?);
            }
            Ok(stored)
        })?;
        self.notify(&stored);
        Ok(stored)
    }

    pub(crate) fn page(
        &self,
        filter: &AuditFilter,
        after: Option<u64>,
        max: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let since = filter.since.map_or(i64::MIN, nanos);
        let until = filter.until.map_or(i64::MAX, nanos);
        let mut cursor = (i64::MAX, i64::MAX);
        if let Some(after) = after {
            let Ok(after) = i64::try_from(after) else {
                return Ok(Vec::new());
            };
            let found =
                self.read(async |client| row(client, "SELECT at_nanos FROM audit WHERE id = $1", &[&after]).await)?;
            let Some(found) = found else { return Ok(Vec::new()) };
            cursor = (
                found.try_get(0).map_err(|e| StoreError::Encoding(e.to_string()))?,
                after,
            );
        }
        let mut out = Vec::new();
        while out.len() < max {
            let wanted = i64::try_from(max - out.len())
                .unwrap_or(PAGE_BATCH)
                .clamp(100, PAGE_BATCH);
            let batch = self.read(async |client| {
                rows(
                    client,
                    "SELECT at_nanos, id, entry FROM audit \
                     WHERE at_nanos >= $1 AND at_nanos <= $2 AND (at_nanos, id) < ($3, $4) \
                     ORDER BY at_nanos DESC, id DESC LIMIT $5",
                    &[&since, &until, &cursor.0, &cursor.1, &wanted],
                )
                .await
            })?;
            let Some(last) = batch.last() else { break };
            cursor = (
                last.try_get(0).map_err(|e| StoreError::Encoding(e.to_string()))?,
                last.try_get(1).map_err(|e| StoreError::Encoding(e.to_string()))?,
            );
            let done = (batch.len() as i64) < wanted;
            for found in &batch {
                if out.len() >= max {
                    break;
                }
                let entry: AuditEntry = record(found, 2)?;
                if filter.keeps(&entry) {
                    out.push(entry);
                }
            }
            if done {
                break;
            }
        }
        Ok(out)
    }

    pub(crate) fn prune(&self, before: OffsetDateTime, max: usize) -> Result<usize, StoreError> {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.transaction(async |txn| {
            let removed = execute(
                txn,
                "DELETE FROM audit WHERE id IN \
                 (SELECT id FROM audit WHERE at_nanos < $1 ORDER BY at_nanos, id LIMIT $2)",
                &[&nanos(before), &max],
            )
            .await?;
            Ok(removed as usize)
        })
    }
}
