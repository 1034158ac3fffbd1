//! Table definitions. Records are JSON; indexes hold IDs.

use redb::{TableDefinition, WriteTransaction};

pub(crate) type PairIndex = TableDefinition<'static, (u64, u64), ()>;

pub(crate) const AUTHORIZATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("authorizations");
/// SHA-256 of the token → authorization ID. Never keyed by the plaintext.
pub(crate) const AUTHORIZATIONS_BY_TOKEN: TableDefinition<&[u8], u64> = TableDefinition::new("authorizations_by_token");
pub(crate) const AUTHORIZATIONS_BY_USER: PairIndex = TableDefinition::new("authorizations_by_user");
pub(crate) const AUTHORIZATIONS_BY_ORG: PairIndex = TableDefinition::new("authorizations_by_org");

pub(crate) const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
pub(crate) const USERS_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("users_by_name");

pub(crate) const ORGS: TableDefinition<u64, &[u8]> = TableDefinition::new("orgs");
pub(crate) const ORGS_BY_NAME: TableDefinition<&str, u64> = TableDefinition::new("orgs_by_name");

pub(crate) const BUCKETS: TableDefinition<u64, &[u8]> = TableDefinition::new("buckets");
pub(crate) const BUCKETS_BY_ORG: PairIndex = TableDefinition::new("buckets_by_org");
pub(crate) const BUCKETS_BY_ORG_NAME: TableDefinition<(u64, &str), u64> = TableDefinition::new("buckets_by_org_name");

/// (org, user) → role of that user in that org ([`crate::Role`] as a byte).
pub(crate) const ORG_MEMBERS: TableDefinition<(u64, u64), u8> = TableDefinition::new("org_members");
/// (user, org) → the same role: the reverse index, for "which orgs is this user in".
pub(crate) const USER_ORGS: TableDefinition<(u64, u64), u8> = TableDefinition::new("user_orgs");

/// IDs of authorizations that still keep their plaintext token (hashing off), so that turning hashing on finds
/// them without reading every record.
pub(crate) const AUTHORIZATIONS_WITH_PLAINTEXT: TableDefinition<u64, ()> =
    TableDefinition::new("authorizations_with_plaintext");

/// Authorization ID → when its token last authenticated (Unix nanoseconds). Apart from the record, so that the
/// background flush writes a few bytes per token instead of rewriting whole records.
pub(crate) const AUTHORIZATION_LAST_USED: TableDefinition<u64, i128> = TableDefinition::new("authorization_last_used");

/// SHA-256 of a session key → the session, as JSON.
pub(crate) const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("sessions");

/// The audit trail: sequence number → the entry, as its wire JSON. Append-only; retention removes the oldest.
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// (time in Unix nanoseconds, sequence number) → (): the order of pages, time filters and retention.
pub(crate) const AUDIT_BY_TIME: TableDefinition<(i128, u64), ()> = TableDefinition::new("audit_by_time");
/// `"next"` → the next sequence number, so that numbers are never reused.
pub(crate) const AUDIT_SEQUENCE: TableDefinition<&str, u64> = TableDefinition::new("audit_sequence");

/// Opens every table once so that read transactions never meet a missing one.
pub(crate) fn create_all(txn: &WriteTransaction) -> Result<(), redb::Error> {
    txn.open_table(AUTHORIZATIONS)?;
    txn.open_table(AUTHORIZATIONS_BY_TOKEN)?;
    txn.open_table(AUTHORIZATIONS_BY_USER)?;
    txn.open_table(AUTHORIZATIONS_BY_ORG)?;
    txn.open_table(USERS)?;
    txn.open_table(USERS_BY_NAME)?;
    txn.open_table(ORGS)?;
    txn.open_table(ORGS_BY_NAME)?;
    txn.open_table(BUCKETS)?;
    txn.open_table(BUCKETS_BY_ORG)?;
    txn.open_table(BUCKETS_BY_ORG_NAME)?;
    txn.open_table(ORG_MEMBERS)?;
    txn.open_table(USER_ORGS)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(AUTHORIZATIONS_WITH_PLAINTEXT)?;
    txn.open_table(AUTHORIZATION_LAST_USED)?;
    txn.open_table(AUDIT)?;
    txn.open_table(AUDIT_BY_TIME)?;
    txn.open_table(AUDIT_SEQUENCE)?;
    Ok(())
}
