//! The audit trail (an extension): building entries, buffering failed authentications and sign-ins, retention,
//! and `GET /api/v2/audit`.
//!
//! Changes append their entry in the same write transaction as the change (the store's mutations take it), so an
//! entry exists exactly when its change does. Failed authentications and failed sign-ins are on the hot path of a
//! refused request, and a client can make as many as it likes, so they never write per request: each is one push
//! behind a mutex, and [`Service::flush_audit`] (every second, and at shutdown) appends them in one transaction.
//! Past [`MAX_FAILURES_PER_FLUSH`] in one flush, the rest are only counted, and one summary entry per action says
//! how many were left out and from where.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use model::wire::{AuditEntriesView, Links};
use model::{
    AuditAction, AuditActor, AuditEntry, AuditTarget, CredentialKind, Id, Permission, Resource, ResourceType, Token,
};
use store::AuditFilter;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::authorizations::parse_id;
use crate::query::non_empty;
use crate::{AuthenticationError, Caller, Credential, Service, ServiceError};

/// Failed authentications and sign-ins recorded one by one per flush; the rest are counted.
pub const MAX_FAILURES_PER_FLUSH: usize = 1000;
/// Distinct client addresses counted separately in a flush's overflow; past it they are counted together.
const MAX_OVERFLOW_ADDRESSES: usize = 1000;
/// Most entries one page may hold, and the default.
const MAX_PAGE: usize = 1000;
const DEFAULT_PAGE: usize = 100;
/// Entries removed per transaction by retention.
const PRUNE_BATCH: usize = 10_000;

/// Query parameters of `GET /api/v2/audit`, as sent (empty means absent).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub user_id: Option<String>,
    pub limit: Option<String>,
    pub after: Option<String>,
}

/// What a refused request offered as its credential, for its audit entry. The token or session key is used only
/// to find whose it was (for an expired token or an inactive user) and is never recorded.
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    Token(&'a Token),
    Session(&'a Token),
    /// A v1 user name and password (the refusal names whom it was for).
    V1,
    Nothing,
}

/// A failure waiting for the next flush: an entry with a fixed reason, built without touching the store.
#[derive(Debug)]
struct Pending {
    time: OffsetDateTime,
    action: AuditAction,
    reason: &'static str,
    actor: AuditActor,
    remote: Option<IpAddr>,
}

#[derive(Debug, Default)]
struct Buffer {
    pending: Vec<Pending>,
    /// Failures past the cap, by action and client address (`None`: no address, or past the address cap).
    overflow: HashMap<(AuditAction, Option<IpAddr>), u64>,
}

/// The service's share of the audit trail: the failures not yet written.
#[derive(Debug, Default)]
pub(crate) struct AuditLog {
    buffer: Mutex<Buffer>,
}

impl AuditLog {
    fn push(&self, failure: Pending) {
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.pending.len() < MAX_FAILURES_PER_FLUSH {
            buffer.pending.push(failure);
            return;
        }
        let full = buffer.overflow.len() >= MAX_OVERFLOW_ADDRESSES;
        let mut key = (failure.action, failure.remote);
        if full && !buffer.overflow.contains_key(&key) {
            key.1 = None;
        }
        *buffer.overflow.entry(key).or_insert(0) += 1;
    }

    fn take(&self) -> Buffer {
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts back what a failed flush could not write, within the cap (the rest is counted).
    fn restore(&self, failed: Buffer) {
        for failure in failed.pending {
            self.push(failure);
        }
        let mut buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, count) in failed.overflow {
            *buffer.overflow.entry(key).or_insert(0) += count;
        }
    }
}

/// The entries of one flush: the failures one by one, then one summary per action for those past the cap.
fn flush_entries(buffer: &Buffer, now: OffsetDateTime) -> Vec<AuditEntry> {
    let mut entries: Vec<AuditEntry> = buffer
        .pending
        .iter()
        .map(|p| AuditEntry::failure(p.time, p.action, p.reason, p.actor.clone(), p.remote))
        .collect();
    for action in [AuditAction::Authentication, AuditAction::SignIn] {
        let mut from: Vec<(Option<IpAddr>, u64)> = buffer
            .overflow
            .iter()
            .filter(|((a, _), _)| *a == action)
            .map(|((_, remote), count)| (*remote, *count))
            .collect();
        if from.is_empty() {
            continue;
        }
        from.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: u64 = from.iter().map(|(_, count)| count).sum();
        let what = match action {
            AuditAction::SignIn => "failed sign-ins",
            _ => "failed authentications",
        };
        let (reason, remote) = match from.as_slice() {
            [(Some(address), _)] => (
                format!("{total} more {what} from {address} not recorded individually"),
                Some(*address),
            ),
            [(None, _)] => (format!("{total} more {what} not recorded individually"), None),
            _ => {
                let most: Vec<String> = from
                    .iter()
                    .take(3)
                    .map(|(remote, count)| match remote {
                        Some(address) => format!("{address}: {count}"),
                        None => format!("others: {count}"),
                    })
                    .collect();
                (
                    format!(
                        "{total} more {what} from several addresses ({}) not recorded individually",
                        most.join(", ")
                    ),
                    None,
                )
            }
        };
        let credential = match action {
            AuditAction::SignIn => CredentialKind::Password,
            _ => CredentialKind::Token,
        };
        entries.push(AuditEntry::failure(
            now,
            action,
            reason,
            AuditActor::anonymous(credential),
            remote,
        ));
    }
    entries
}

/// Who a caller is, for an entry: the user, and the token's authorization or "session".
pub(crate) fn actor_of(caller: &Caller) -> AuditActor {
    let (credential, authorization_id) = match &caller.credential {
        Credential::Token(auth) => (CredentialKind::Token, Some(auth.id)),
        Credential::Session { .. } => (CredentialKind::Session, None),
    };
    AuditActor {
        user_id: Some(caller.user.id),
        user: Some(caller.user.name.clone()),
        credential,
        authorization_id,
    }
}

fn parse_time(name: &str, text: &str) -> Result<OffsetDateTime, ServiceError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| ServiceError::Invalid(format!("{name} must be an RFC 3339 time, not {text:?}")))
}

impl Service {
    /// An entry for something `caller` did, now, from the caller's address.
    pub(crate) fn audit_entry(&self, caller: &Caller, action: AuditAction, target: AuditTarget) -> AuditEntry {
        AuditEntry::success(self.now(), action, actor_of(caller), Some(target), caller.remote)
    }

    /// An entry for something the server did by itself at start (`DOCKER_INFLUXDB_INIT_*`, `--seed`).
    pub(crate) fn audit_by(&self, credential: CredentialKind, action: AuditAction, target: AuditTarget) -> AuditEntry {
        AuditEntry::success(
            self.now(),
            action,
            AuditActor::anonymous(credential),
            Some(target),
            None,
        )
    }

    fn note_failure(&self, action: AuditAction, reason: &'static str, actor: AuditActor, remote: Option<IpAddr>) {
        self.inner.audit.push(Pending {
            time: self.now(),
            action,
            reason,
            actor,
            remote,
        });
    }

    /// Records a refused request's failed authentication, for the next flush. An unknown token costs one push;
    /// only an expired token or an inactive user (which had to be real) is looked up again, to name it.
    pub fn audit_failed_authentication(
        &self,
        attempt: Attempt<'_>,
        remote: Option<IpAddr>,
        error: &AuthenticationError,
    ) {
        let (credential, reason) = match (attempt, error) {
            (_, AuthenticationError::Service(_)) => return,
            (_, AuthenticationError::V1Refused(refusal)) => (CredentialKind::V1, refusal.reason),
            (Attempt::V1, _) => (CredentialKind::V1, "refused"),
            (Attempt::Nothing, _) => (CredentialKind::None, "no credential"),
            (Attempt::Token(_), AuthenticationError::UnknownToken) => {
                (CredentialKind::Token, "unknown or deleted token")
            }
            (Attempt::Token(_), AuthenticationError::Expired) => (CredentialKind::Token, "token has expired"),
            (Attempt::Session(_), AuthenticationError::UnknownToken | AuthenticationError::Expired) => {
                (CredentialKind::Session, "unknown or expired session")
            }
            (Attempt::Token(_) | Attempt::Session(_), AuthenticationError::InactiveUser) => {
                let credential = match attempt {
                    Attempt::Session(_) => CredentialKind::Session,
                    _ => CredentialKind::Token,
                };
                (credential, "user is inactive")
            }
        };
        let mut actor = AuditActor::anonymous(credential);
        if matches!(error, AuthenticationError::Expired | AuthenticationError::InactiveUser) {
            self.name_actor(&mut actor, attempt);
        }
        if let AuthenticationError::V1Refused(refusal) = error
            && let Some((authorization_id, user_id)) = refusal.authorization
        {
            actor.authorization_id = Some(authorization_id);
            actor.user_id = Some(user_id);
            actor.user = self
                .read_inline(|store| store.user(user_id))
                .ok()
                .flatten()
                .map(|user| user.name);
        }
        self.note_failure(AuditAction::Authentication, reason, actor, remote);
    }

    /// Fills in whose token (or session) a refused credential was. Lookup failures leave the actor unnamed.
    fn name_actor(&self, actor: &mut AuditActor, attempt: Attempt<'_>) {
        let found = match attempt {
            Attempt::Token(token) => {
                let hash = token.hash();
                self.read_inline(|store| store.authorization_and_user_by_token(&hash))
                    .ok()
                    .flatten()
                    .map(|found| {
                        let auth = &found.authorization;
                        (Some(auth.id), auth.user_id, found.user.map(|u| u.name.clone()))
                    })
            }
            Attempt::Session(key) => {
                let hash = key.hash();
                self.read_inline(|store| {
                    let Some(session) = store.session(&hash)? else {
                        return Ok::<_, store::StoreError>(None);
                    };
                    let name = store.user(session.user_id)?.map(|u| u.name);
                    Ok(Some((None, session.user_id, name)))
                })
                .ok()
                .flatten()
            }
            Attempt::V1 | Attempt::Nothing => None,
        };
        if let Some((authorization_id, user_id, user)) = found {
            actor.authorization_id = authorization_id;
            actor.user_id = Some(user_id);
            actor.user = user;
        }
    }

    /// Records a failed sign-in (a known user's, or an unknown name's: the name itself is not kept, as it may be a
    /// mistyped password), for the next flush.
    pub(crate) fn audit_failed_sign_in(
        &self,
        user: Option<&model::User>,
        reason: &'static str,
        remote: Option<IpAddr>,
    ) {
        let mut actor = AuditActor::anonymous(CredentialKind::Password);
        if let Some(user) = user {
            actor.user_id = Some(user.id);
            actor.user = Some(user.name.clone());
        }
        self.note_failure(AuditAction::SignIn, reason, actor, remote);
    }

    /// Writes the failures recorded since the previous flush in one transaction, with a summary entry for those
    /// past the cap. The server calls this every second and at shutdown. Returns how many entries were written.
    pub async fn flush_audit(&self) -> Result<usize, ServiceError> {
        let buffer = self.inner.audit.take();
        if buffer.pending.is_empty() && buffer.overflow.is_empty() {
            return Ok(0);
        }
        let entries = flush_entries(&buffer, self.now());
        let count = entries.len();
        match self.blocking(move |store| store.append_audit(&entries)).await {
            Ok(_) => Ok(count),
            Err(error) => {
                self.inner.audit.restore(buffer);
                Err(error)
            }
        }
    }

    /// Removes entries older than `retention` (by the service's clock), a batch per transaction. Returns how many.
    pub async fn prune_audit(&self, retention: time::Duration) -> Result<usize, ServiceError> {
        let Some(before) = self.now().checked_sub(retention) else {
            return Ok(0);
        };
        let mut removed = 0;
        loop {
            let batch = self
                .blocking(move |store| store.prune_audit(before, PRUNE_BATCH))
                .await?;
            removed += batch;
            if batch < PRUNE_BATCH {
                return Ok(removed);
            }
        }
    }

    /// `GET /api/v2/audit`: for operators only (read on every authorization and every user). One page, newest
    /// first, filtered by action, time and user; `links.next` while more remain.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_audit(&self, caller: &Caller, query: AuditQuery) -> Result<AuditEntriesView, ServiceError> {
        caller.check(&Permission::read(Resource::global(ResourceType::Authorizations)))?;
        caller.check(&Permission::read(Resource::global(ResourceType::Users)))?;
        let action = non_empty(query.action.clone())
            .map(|text| {
                AuditAction::parse(&text).ok_or_else(|| {
                    let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                    ServiceError::Invalid(format!("unknown action {text:?}; use one of {}", known.join(", ")))
                })
            })
            .transpose()?;
        let since = non_empty(query.since.clone())
            .map(|text| parse_time("since", &text))
            .transpose()?;
        let until = non_empty(query.until.clone())
            .map(|text| parse_time("until", &text))
            .transpose()?;
        let user_id: Option<Id> = non_empty(query.user_id.clone()).map(|v| parse_id(&v)).transpose()?;
        let limit = non_empty(query.limit.clone())
            .map(|text| match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
                _ => Err(ServiceError::Invalid(format!("limit must be between 1 and {MAX_PAGE}"))),
            })
            .transpose()?
            .unwrap_or(DEFAULT_PAGE);
        let after = non_empty(query.after.clone())
            .map(|text| {
                text.parse::<u64>().map_err(|_| {
                    ServiceError::Invalid("after must be an audit entry id (a non-negative integer)".into())
                })
            })
            .transpose()?;
        let filter = AuditFilter {
            action,
            since,
            until,
            user_id,
        };
        let mut entries = self
            .blocking(move |store| store.audit_page(&filter, after, limit.saturating_add(1)))
            .await?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        let mut links = Links::new();
        let here = match after {
            Some(after) => format!("limit={limit}&after={after}"),
            None => format!("limit={limit}"),
        };
        links.insert("self".into(), audit_link(&query, &here));
        if more && let Some(last) = entries.last() {
            links.insert(
                "next".into(),
                audit_link(&query, &format!("limit={limit}&after={}", last.id)),
            );
        }
        Ok(AuditEntriesView { links, entries })
    }
}

/// `/api/v2/audit?<filters as given>&<page>`.
fn audit_link(query: &AuditQuery, page: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("action", &query.action),
        ("since", &query.since),
        ("until", &query.until),
        ("userID", &query.user_id),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(key, value);
        }
    }
    let filters = out.finish();
    if filters.is_empty() {
        format!("/api/v2/audit?{page}")
    } else {
        format!("/api/v2/audit?{filters}&{page}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(remote: &str) -> Pending {
        Pending {
            time: OffsetDateTime::UNIX_EPOCH,
            action: AuditAction::Authentication,
            reason: "unknown or deleted token",
            actor: AuditActor::anonymous(CredentialKind::Token),
            remote: remote.parse().ok(),
        }
    }

    #[test]
    fn past_the_cap_failures_are_counted_and_summed_up_once() {
        let log = AuditLog::default();
        for _ in 0..MAX_FAILURES_PER_FLUSH + 7 {
            log.push(failure("10.0.0.1"));
        }
        let entries = flush_entries(&log.take(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(entries.len(), MAX_FAILURES_PER_FLUSH + 1);
        let summary = entries.last().unwrap();
        assert_eq!(
            summary.reason.as_deref(),
            Some("7 more failed authentications from 10.0.0.1 not recorded individually")
        );
        assert_eq!(summary.remote, "10.0.0.1".parse().ok());
        assert!(log.take().pending.is_empty(), "a flush takes everything");
    }

    #[test]
    fn a_summary_names_the_busiest_addresses() {
        let log = AuditLog::default();
        for _ in 0..MAX_FAILURES_PER_FLUSH {
            log.push(failure("10.0.0.9"));
        }
        for (address, times) in [("10.0.0.1", 3), ("10.0.0.2", 5), ("10.0.0.3", 1), ("10.0.0.4", 2)] {
            for _ in 0..times {
                log.push(failure(address));
            }
        }
        let entries = flush_entries(&log.take(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            entries.last().unwrap().reason.as_deref(),
            Some(
                "11 more failed authentications from several addresses (10.0.0.2: 5, 10.0.0.1: 3, 10.0.0.4: 2) \
                 not recorded individually"
            )
        );
    }

    #[test]
    fn the_overflow_tracks_a_bounded_number_of_addresses() {
        let log = AuditLog::default();
        for _ in 0..MAX_FAILURES_PER_FLUSH {
            log.push(failure("10.0.0.9"));
        }
        for n in 0..(MAX_OVERFLOW_ADDRESSES as u32 + 50) {
            log.push(failure(&std::net::Ipv4Addr::from(0x0b00_0000 + n).to_string()));
        }
        let buffer = log.take();
        assert!(buffer.overflow.len() <= MAX_OVERFLOW_ADDRESSES + 1);
        assert_eq!(
            buffer.overflow.values().sum::<u64>(),
            MAX_OVERFLOW_ADDRESSES as u64 + 50
        );
    }
}
