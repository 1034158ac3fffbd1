//! The audit trail: an append-only table of entries keyed by a sequence number, an index by (time, sequence) for
//! pages, time filters and retention, and the next sequence number (kept on its own, so that numbers are never
//! reused, even after retention has removed every entry).
//!
//! A mutation appends its entry inside its own write transaction (see [`RedbStore::write_audited`]): the change and
//! its entry commit together or not at all, and a mutation that changed nothing (a delete of a record that is
//! gone) appends none. Once committed, entries are handed to the observer set with [`RedbStore::observe_audit`] (the
//! stdout mirror).

use std::ops::Bound;

use model::AuditEntry;
use redb::{ReadableTable, WriteTransaction};
use time::OffsetDateTime;

use crate::tables::{AUDIT, AUDIT_BY_TIME, AUDIT_SEQUENCE};
use store::{AuditFilter, AuditObserver, Changed};

use crate::{Error, RedbStore};

/// Audit entries are kept as the JSON the API returns: they are written once and read only by operators, so the
/// binary record layout of `codec` would buy nothing.
fn encode(entry: &AuditEntry) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(entry).map_err(Error::Encoding)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(Error::Encoding)
}

/// The key of the next sequence number in [`AUDIT_SEQUENCE`].
const NEXT: &str = "next";

fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

/// Appends `entry` with the next sequence number; returns it as stored.
pub(crate) fn append(txn: &WriteTransaction, entry: &AuditEntry) -> Result<AuditEntry, Error> {
    let mut sequence = txn.open_table(AUDIT_SEQUENCE)?;
    let id = sequence.get(NEXT)?.map_or(1, |g| g.value());
    sequence.insert(NEXT, id.saturating_add(1))?;
    let mut stored = entry.clone();
    stored.id = id;
    txn.open_table(AUDIT)?.insert(id, encode(&stored)?.as_slice())?;
    txn.open_table(AUDIT_BY_TIME)?.insert((nanos(stored.time), id), ())?;
    Ok(stored)
}

/// The tighter of two upper bounds of an ascending key range.
fn tighter(a: Bound<(i128, u64)>, b: Bound<(i128, u64)>) -> Bound<(i128, u64)> {
    use Bound::{Excluded, Included, Unbounded};
    match (a, b) {
        (Unbounded, other) | (other, Unbounded) => other,
        (Included(x), Included(y)) => Included(x.min(y)),
        (Excluded(x), Excluded(y)) => Excluded(x.min(y)),
        (Excluded(x), Included(y)) | (Included(y), Excluded(x)) => {
            if x <= y {
                Excluded(x)
            } else {
                Included(y)
            }
        }
    }
}

impl RedbStore {
    /// Sets the function that sees every entry once it is committed (at most once per store).
    pub fn observe_audit(&self, observer: AuditObserver) {
        if self.audit_observer.set(observer).is_err() {
            tracing::warn!("an audit observer was already set; the new one is ignored");
        }
    }

    fn notify(&self, entries: &[AuditEntry]) {
        if let Some(observer) = self.audit_observer.get() {
            entries.iter().for_each(observer);
        }
    }

    /// [`RedbStore::write`] for a mutation: when `audit` is given and the result says something changed, the entry is
    /// appended in the same transaction, then handed to the observer once committed.
    pub(crate) fn write_audited<T: Changed + Send + 'static>(
        &self,
        audit: Option<&AuditEntry>,
        mut f: impl FnMut(&WriteTransaction) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let audit = audit.cloned();
        let (value, appended) = self.write(move |txn| {
            let value = f(txn)?;
            let appended = match &audit {
                Some(entry) if value.changed() => Some(append(txn, entry)?),
                _ => None,
            };
            Ok((value, appended))
        })?;
        if let Some(entry) = appended {
            self.notify(std::slice::from_ref(&entry));
        }
        Ok(value)
    }

    /// Appends entries that belong to no mutation (failed authentications and sign-ins, flushed in the
    /// background) in one transaction; returns them with their sequence numbers.
    pub fn append_audit(&self, entries: &[AuditEntry]) -> Result<Vec<AuditEntry>, Error> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let entries = entries.to_vec();
        let stored: Vec<AuditEntry> =
            self.write(move |txn| entries.iter().map(|entry| append(txn, entry)).collect())?;
        self.notify(&stored);
        Ok(stored)
    }

    /// One page of entries matching `filter`, newest first (by time, then by sequence number), at most `max`,
    /// starting after the entry numbered `after`. Pages are stable: walking them with the last entry of each page
    /// as the next `after` sees every entry that existed when the walk began exactly once. When the `after` entry
    /// is gone (retention removed it, and so every older one), the page is empty.
    pub fn audit_page(&self, filter: &AuditFilter, after: Option<u64>, max: usize) -> Result<Vec<AuditEntry>, Error> {
        let txn = self.read()?;
        // A file from before the audit trail, opened read-only, has no audit tables yet: nothing to show.
        let (table, index) = match (txn.open_table(AUDIT), txn.open_table(AUDIT_BY_TIME)) {
            (Ok(table), Ok(index)) => (table, index),
            (Err(redb::TableError::TableDoesNotExist(_)), _) | (_, Err(redb::TableError::TableDoesNotExist(_))) => {
                return Ok(Vec::new());
            }
            (Err(error), _) | (_, Err(error)) => return Err(error.into()),
        };
        let mut upper = match filter.until {
            Some(until) => Bound::Included((nanos(until), u64::MAX)),
            None => Bound::Unbounded,
        };
        if let Some(after) = after {
            let Some(cursor) = table.get(after)?.map(|g| decode::<AuditEntry>(g.value())).transpose()? else {
                return Ok(Vec::new());
            };
            upper = tighter(upper, Bound::Excluded((nanos(cursor.time), after)));
        }
        let lower = match filter.since {
            Some(since) => Bound::Included((nanos(since), 0)),
            None => Bound::Unbounded,
        };
        if let (Bound::Included(low) | Bound::Excluded(low), Bound::Included(high) | Bound::Excluded(high)) =
            (lower, upper)
            && low > high
        {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for item in index.range::<(i128, u64)>((lower, upper))?.rev() {
            if out.len() >= max {
                break;
            }
            let (key, _) = item?;
            let id = key.value().1;
            let Some(entry) = table.get(id)?.map(|g| decode::<AuditEntry>(g.value())).transpose()? else {
                continue;
            };
            if filter.keeps(&entry) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Removes up to `max` of the oldest entries older than `before`, in one transaction; returns how many. A
    /// store with nothing that old is only read.
    pub fn prune_audit(&self, before: OffsetDateTime, max: usize) -> Result<usize, Error> {
        let cutoff = nanos(before);
        {
            let txn = self.read()?;
            let index = match txn.open_table(AUDIT_BY_TIME) {
                Ok(index) => index,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
                Err(error) => return Err(error.into()),
            };
            match index.first()? {
                Some((key, _)) if key.value().0 < cutoff => {}
                _ => return Ok(0),
            }
        }
        self.write(move |txn| {
            let mut index = txn.open_table(AUDIT_BY_TIME)?;
            let mut table = txn.open_table(AUDIT)?;
            let mut old = Vec::new();
            for item in index.range::<(i128, u64)>(..(cutoff, 0))? {
                if old.len() >= max {
                    break;
                }
                old.push(item?.0.value());
            }
            for key in &old {
                index.remove(*key)?;
                table.remove(key.1)?;
            }
            Ok(old.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use model::{AuditAction, AuditActor, CredentialKind, Id, ResourceType};
    use time::macros::datetime;

    use super::*;

    fn entry(at: OffsetDateTime, action: AuditAction) -> AuditEntry {
        AuditEntry::success(at, action, AuditActor::anonymous(CredentialKind::Server), None, None)
    }

    fn ids(entries: &[AuditEntry]) -> Vec<u64> {
        entries.iter().map(|e| e.id).collect()
    }

    #[test]
    fn entries_are_numbered_in_order_and_paged_newest_first() {
        let store = RedbStore::in_memory().unwrap();
        let base = datetime!(2030-01-01 00:00:00 UTC);
        let times = [0, 10, 5, 20, 20];
        let batch: Vec<AuditEntry> = times
            .iter()
            .map(|s| entry(base + time::Duration::seconds(*s), AuditAction::SignIn))
            .collect();
        let stored = store.append_audit(&batch).unwrap();
        assert_eq!(ids(&stored), vec![1, 2, 3, 4, 5]);

        let all = store.audit_page(&AuditFilter::default(), None, 100).unwrap();
        // By time, newest first; equal times by sequence number, highest first.
        assert_eq!(ids(&all), vec![5, 4, 2, 3, 1]);
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let page = store.audit_page(&AuditFilter::default(), after, 2).unwrap();
            if page.is_empty() {
                break;
            }
            after = page.last().map(|e| e.id);
            walked.extend(ids(&page));
        }
        assert_eq!(walked, ids(&all));
    }

    #[test]
    fn filters_by_action_time_and_user() {
        let store = RedbStore::in_memory().unwrap();
        let base = datetime!(2030-01-01 00:00:00 UTC);
        let user = Id::new(0x77).unwrap();
        let mut acted = entry(base + time::Duration::seconds(1), AuditAction::UserUpdate);
        acted.target = Some(model::AuditTarget::new(ResourceType::Users, user));
        store
            .append_audit(&[
                entry(base, AuditAction::SignIn),
                acted,
                entry(base + time::Duration::seconds(2), AuditAction::SignIn),
            ])
            .unwrap();
        let page = |filter: AuditFilter| ids(&store.audit_page(&filter, None, 100).unwrap());
        assert_eq!(
            page(AuditFilter {
                action: Some(AuditAction::SignIn),
                ..AuditFilter::default()
            }),
            vec![3, 1]
        );
        assert_eq!(
            page(AuditFilter {
                since: Some(base + time::Duration::seconds(1)),
                until: Some(base + time::Duration::seconds(1)),
                ..AuditFilter::default()
            }),
            vec![2]
        );
        assert_eq!(
            page(AuditFilter {
                user_id: Some(user),
                ..AuditFilter::default()
            }),
            vec![2]
        );
        assert_eq!(
            page(AuditFilter {
                since: Some(base + time::Duration::seconds(5)),
                until: Some(base),
                ..AuditFilter::default()
            }),
            Vec::<u64>::new()
        );
        assert!(
            store
                .audit_page(&AuditFilter::default(), Some(99), 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_mutation_that_fails_or_changes_nothing_leaves_no_entry() {
        let store = RedbStore::in_memory().unwrap();
        let at = datetime!(2030-01-01 00:00:00 UTC);
        let gone = Id::new(5).unwrap();
        let audit = entry(at, AuditAction::AuthorizationDelete);
        assert!(!store.delete_authorization(gone, Some(&audit)).unwrap());
        let user = model::User {
            id: gone,
            name: "alice".into(),
            status: model::Status::Active,
            password_hash: None,
            instance_owner: false,
        };
        let created = entry(at, AuditAction::UserCreate);
        store.create_user(&user, Some(&created)).unwrap();
        let again = model::User {
            id: Id::new(6).unwrap(),
            ..user.clone()
        };
        assert!(store.create_user(&again, Some(&created)).is_err());
        let all = store.audit_page(&AuditFilter::default(), None, 100).unwrap();
        assert_eq!(ids(&all), vec![1]);
        assert_eq!(all[0].action, AuditAction::UserCreate);
    }

    #[test]
    fn retention_removes_the_oldest_and_numbers_are_never_reused() {
        let store = RedbStore::in_memory().unwrap();
        let base = datetime!(2030-01-01 00:00:00 UTC);
        let batch: Vec<AuditEntry> = (0..5)
            .map(|s| entry(base + time::Duration::seconds(s), AuditAction::SignOut))
            .collect();
        store.append_audit(&batch).unwrap();
        assert_eq!(store.prune_audit(base + time::Duration::seconds(3), 2).unwrap(), 2);
        assert_eq!(store.prune_audit(base + time::Duration::seconds(3), 2).unwrap(), 1);
        assert_eq!(store.prune_audit(base + time::Duration::seconds(3), 2).unwrap(), 0);
        let left = store.audit_page(&AuditFilter::default(), None, 100).unwrap();
        assert_eq!(ids(&left), vec![5, 4]);
        assert_eq!(store.prune_audit(base + time::Duration::days(1), 100).unwrap(), 2);
        let next = store.append_audit(&[entry(base, AuditAction::SignIn)]).unwrap();
        assert_eq!(ids(&next), vec![6]);
    }

    #[test]
    fn the_observer_sees_committed_entries_only() {
        let store = RedbStore::in_memory().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&seen);
        store.observe_audit(Box::new(move |entry| sink.lock().unwrap().push(entry.id)));
        let at = datetime!(2030-01-01 00:00:00 UTC);
        let audit = entry(at, AuditAction::AuthorizationDelete);
        assert!(!store.delete_authorization(Id::new(9).unwrap(), Some(&audit)).unwrap());
        store.append_audit(&[entry(at, AuditAction::SignIn)]).unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![1]);
    }
}
