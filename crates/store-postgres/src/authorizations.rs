//! Authorizations: the record, its token hash (unique), its user and org (indexed, for the list filters), and its
//! last use in a table of its own.

use std::sync::Arc;

use deadpool_postgres::{GenericClient, Transaction};
use model::{AuditEntry, Authorization, Id, TokenHash, User};
use store::{AuthorizationFilter, Change, StoreError, TokenCheck};
use time::OffsetDateTime;

use crate::{PgStore, execute, from_nanos, json, key, nanos, record, row, rows, scalar};

/// Rows fetched per round trip while scanning with a filter the database cannot apply.
const SCAN_BATCH: i64 = 500;

pub(crate) async fn insert(txn: &Transaction<'_>, auth: &Authorization) -> Result<(), StoreError> {
    execute(
        txn,
        "INSERT INTO authorizations (id, token_hash, user_id, org_id, has_plaintext, record) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &key(auth.id),
            &auth.hashed_token.as_bytes().as_slice(),
            &key(auth.user_id),
            &key(auth.org_id),
            &auth.token.is_some(),
            &json(auth)?,
        ],
    )
    .await?;
    Ok(())
}

/// An authorization with its last use.
pub(crate) async fn get(client: &impl GenericClient, id: Id) -> Result<Option<Authorization>, StoreError> {
    let found = row(
        client,
        "SELECT a.record, l.at_nanos FROM authorizations a \
         LEFT JOIN authorization_last_used l ON l.id = a.id WHERE a.id = $1",
        &[&key(id)],
    )
    .await?;
    found.map(|r| with_last_use(&r)).transpose()
}

fn with_last_use(r: &tokio_postgres::Row) -> Result<Authorization, StoreError> {
    let mut auth: Authorization = record(r, 0)?;
    let at: Option<i64> = r.try_get(1).map_err(|e| StoreError::Encoding(e.to_string()))?;
    auth.last_used_at = at.and_then(from_nanos);
    Ok(auth)
}

/// The token check: the authorization and its user, in one round trip.
pub(crate) async fn by_token(client: &impl GenericClient, hash: &TokenHash) -> Result<Option<TokenCheck>, StoreError> {
    let found = row(
        client,
        "SELECT a.record, u.record FROM authorizations a LEFT JOIN users u ON u.id = a.user_id \
         WHERE a.token_hash = $1",
        &[&hash.as_bytes().as_slice()],
    )
    .await?;
    let Some(found) = found else { return Ok(None) };
    let auth: Authorization = record(&found, 0)?;
    // The index matched by hash; confirm against the record in constant time all the same.
    if !auth.hashed_token.matches(hash) {
        return Ok(None);
    }
    let user: Option<tokio_postgres::types::Json<User>> =
        found.try_get(1).map_err(|e| StoreError::Encoding(e.to_string()))?;
    let user = user.map(|json| json.0);
    Ok(Some(TokenCheck {
        authorization: Arc::new(auth),
        user: user.map(Arc::new),
    }))
}

impl PgStore {
    /// Pages through the matching rows in ID order, `SCAN_BATCH` at a time, keeping those `keep` accepts, until
    /// `max` are kept or none are left.
    pub(crate) fn scan(
        &self,
        filter: AuthorizationFilter,
        after: Option<Id>,
        max: usize,
        keep: &mut dyn FnMut(&Authorization) -> bool,
    ) -> Result<Vec<Authorization>, StoreError> {
        let (sql, owner) = match (filter.user_id, filter.org_id) {
            (Some(user), _) => (
                "SELECT a.record, l.at_nanos FROM authorizations a \
                 LEFT JOIN authorization_last_used l ON l.id = a.id \
                 WHERE a.user_id = $2 AND a.id > $1 ORDER BY a.id LIMIT $3",
                Some(key(user)),
            ),
            (None, Some(org)) => (
                "SELECT a.record, l.at_nanos FROM authorizations a \
                 LEFT JOIN authorization_last_used l ON l.id = a.id \
                 WHERE a.org_id = $2 AND a.id > $1 ORDER BY a.id LIMIT $3",
                Some(key(org)),
            ),
            (None, None) => (
                "SELECT a.record, l.at_nanos FROM authorizations a \
                 LEFT JOIN authorization_last_used l ON l.id = a.id \
                 WHERE a.id > $1 AND $2::bigint IS NULL ORDER BY a.id LIMIT $3",
                None,
            ),
        };
        let mut cursor = after.map_or(i64::MIN, key);
        let mut out = Vec::new();
        while out.len() < max {
            // As many as are still wanted (most rows pass `keep`), but not so few that a selective `keep` makes a
            // round trip per row; up to a batch.
            let wanted = i64::try_from(max - out.len())
                .unwrap_or(SCAN_BATCH)
                .clamp(100, SCAN_BATCH);
            let batch = self.read(async |client| {
                let found = rows(client, sql, &[&cursor, &owner, &wanted]).await?;
                found.iter().map(with_last_use).collect::<Result<Vec<_>, _>>()
            })?;
            let Some(last) = batch.last() else { break };
            cursor = key(last.id);
            let done = (batch.len() as i64) < wanted;
            for auth in batch {
                if out.len() >= max {
                    break;
                }
                // The filters are the database's; the user check is kept as in the embedded engine.
                if filter.user_id.is_none_or(|user| auth.user_id == user)
                    && filter.org_id.is_none_or(|org| auth.org_id == org)
                    && keep(&auth)
                {
                    out.push(auth);
                }
            }
            if done {
                break;
            }
        }
        Ok(out)
    }

    pub(crate) fn update_authorization_record(
        &self,
        id: Id,
        mut change: Change<Authorization>,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<Authorization>, StoreError> {
        self.write(audit, async |txn| {
            let found = row(
                txn,
                "SELECT record FROM authorizations WHERE id = $1 FOR UPDATE",
                &[&key(id)],
            )
            .await?;
            let Some(found) = found else { return Ok(None) };
            let mut auth: Authorization = record(&found, 0)?;
            change(&mut auth);
            execute(
                txn,
                "UPDATE authorizations SET record = $2, has_plaintext = $3 WHERE id = $1",
                &[&key(id), &json(&auth)?, &auth.token.is_some()],
            )
            .await?;
            Ok(Some(auth))
        })
    }

    pub(crate) fn delete_authorization_record(&self, id: Id, audit: Option<&AuditEntry>) -> Result<bool, StoreError> {
        self.write(audit, async |txn| {
            Ok(execute(txn, "DELETE FROM authorizations WHERE id = $1", &[&key(id)]).await? > 0)
        })
    }

    pub(crate) fn record_uses(&self, uses: &[(Id, OffsetDateTime)]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        // In ID order, so that replicas flushing overlapping sets lock rows in the same order (no deadlock).
        let mut uses = uses.to_vec();
        uses.sort_unstable_by_key(|(id, _)| *id);
        let ids: Vec<i64> = uses.iter().map(|(id, _)| key(*id)).collect();
        let times: Vec<i64> = uses.iter().map(|(_, at)| nanos(*at)).collect();
        self.transaction(async |txn| {
            // Tokens that are gone are skipped; a later use (from any replica) is never replaced by an earlier one.
            execute(
                txn,
                "INSERT INTO authorization_last_used (id, at_nanos) \
                 SELECT u.id, u.at FROM UNNEST($1::bigint[], $2::bigint[]) AS u(id, at) \
                 WHERE EXISTS (SELECT 1 FROM authorizations a WHERE a.id = u.id) \
                 ON CONFLICT (id) DO UPDATE \
                 SET at_nanos = GREATEST(authorization_last_used.at_nanos, EXCLUDED.at_nanos)",
                &[&ids, &times],
            )
            .await?;
            Ok(())
        })
    }

    pub(crate) fn forget_plaintexts(&self) -> Result<usize, StoreError> {
        // Only read when there is nothing to do: a start on a read-only database must not fail here.
        let any: Option<bool> = self.read(async |client| {
            scalar(
                client,
                "SELECT EXISTS (SELECT 1 FROM authorizations WHERE has_plaintext)",
                &[],
            )
            .await
        })?;
        if any != Some(true) {
            return Ok(0);
        }
        self.transaction(async |txn| {
            let kept = rows(
                txn,
                "SELECT record FROM authorizations WHERE has_plaintext FOR UPDATE",
                &[],
            )
            .await?;
            for found in &kept {
                let mut auth: Authorization = record(found, 0)?;
                auth.token = None;
                execute(
                    txn,
                    "UPDATE authorizations SET record = $2, has_plaintext = false WHERE id = $1",
                    &[&key(auth.id), &json(&auth)?],
                )
                .await?;
            }
            Ok(kept.len())
        })
    }
}

/// Removes the authorizations of an org (their last uses go with them), inside its deletion.
pub(crate) async fn delete_of_org(txn: &Transaction<'_>, org: Id) -> Result<(), StoreError> {
    execute(txn, "DELETE FROM authorizations WHERE org_id = $1", &[&key(org)]).await?;
    Ok(())
}

/// Every authorization with its last use, by ID.
pub(crate) async fn all(client: &impl GenericClient) -> Result<Vec<Authorization>, StoreError> {
    let found = rows(
        client,
        "SELECT a.record, l.at_nanos FROM authorizations a \
         LEFT JOIN authorization_last_used l ON l.id = a.id ORDER BY a.id",
        &[],
    )
    .await?;
    found.iter().map(with_last_use).collect()
}
