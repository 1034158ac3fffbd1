//! `influx-authz audit`: reads `GET /api/v2/audit` (an influx-authz extension), following the pages until
//! `--limit` entries are printed or none remain, and prints them newest first as a table (Time, Action, Outcome,
//! Actor, Target, Remote) or, with `--json`, as the server sends them. Flags are checked before any request.

use model::wire::AuditEntriesView;
use model::{AuditAction, AuditActor, AuditEntry, AuditTarget, Outcome};
use time::OffsetDateTime;

use crate::args::AuditArgs;
use crate::auth::{connect, given, parse_id};
use crate::{Error, expiry, output};

/// Most entries the server gives in one page.
const PAGE: u32 = 1000;

pub fn run(args: AuditArgs) -> Result<(), Error> {
    let now = OffsetDateTime::now_utc();
    let since = given(&args.since)
        .map(|text| time_flag("--since", text, now))
        .transpose()?;
    let until = given(&args.until)
        .map(|text| time_flag("--until", text, now))
        .transpose()?;
    let action = given(&args.action)
        .map(|text| {
            AuditAction::parse(text).map(AuditAction::as_str).ok_or_else(|| {
                let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                Error::new(format!("unknown --action {text:?}; use one of {}", known.join(", ")))
            })
        })
        .transpose()?;
    let user_id = given(&args.user_id).map(|text| parse_id("user", text)).transpose()?;
    let user_id = user_id.map(|id| id.to_string());

    let (client, _) = connect(&args.common)?;
    let mut entries: Vec<AuditEntry> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let remaining = args
            .limit
            .saturating_sub(u32::try_from(entries.len()).unwrap_or(u32::MAX));
        let limit = remaining.min(PAGE).to_string();
        let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
        for (key, value) in [
            ("action", action),
            ("since", since.as_deref()),
            ("until", until.as_deref()),
            ("userID", user_id.as_deref()),
            ("after", after.as_deref()),
        ] {
            if let Some(value) = value {
                query.push((key, value));
            }
        }
        let page: AuditEntriesView = client
            .get("/api/v2/audit", &query)
            .map_err(|e| Error::new(format!("could not read the audit trail: {e}")))?;
        let more = page.links.contains_key("next");
        entries.extend(page.entries);
        let full = u32::try_from(entries.len()).unwrap_or(u32::MAX) >= args.limit;
        match entries.last() {
            Some(last) if more && !full => after = Some(last.id.to_string()),
            _ => break,
        }
    }

    let print = args.common.print;
    if print.json {
        output::print(&output::go_json(&entries)?)
    } else {
        output::print(&table(&entries, print.hide_headers))
    }
}

/// An RFC 3339 time, or a duration meaning that long ago; sent in UTC.
fn time_flag(flag: &str, text: &str, now: OffsetDateTime) -> Result<String, Error> {
    let trimmed = text.trim();
    let looks_like_time = trimmed.len() >= 10 && trimmed.as_bytes().get(4) == Some(&b'-');
    let at = if looks_like_time {
        expiry::parse_instant(flag, trimmed)?
    } else {
        let ago = expiry::parse_duration(flag, trimmed).map_err(|_| {
            Error::new(format!(
                "invalid {flag} {text:?}: use an RFC 3339 time (like 2030-01-31T12:00:00Z) or a duration like 24h \
                 (meaning 24 hours ago; units s, m, h, d, w)"
            ))
        })?;
        now.checked_sub(ago)
            .ok_or_else(|| Error::new(format!("invalid {flag} {text:?}: it is too long")))?
    };
    expiry::format(at).ok_or_else(|| Error::new(format!("invalid {flag} {text:?}: out of range")))
}

/// `admin (token 0a1b2c3d4e5f6a7b)`, `admin (session)`, `(token)` for a token nobody has.
fn actor_cell(actor: &AuditActor) -> String {
    let who = actor
        .user
        .clone()
        .or_else(|| actor.user_id.map(|id| id.to_string()))
        .unwrap_or_default();
    let how = match actor.authorization_id {
        Some(id) => format!("({} {id})", actor.credential.as_str()),
        None => format!("({})", actor.credential.as_str()),
    };
    if who.is_empty() { how } else { format!("{who} {how}") }
}

/// `authorizations/<id> org <org>`, `users/<id> alice org <org>`, plus what an update changed.
fn target_cell(target: Option<&AuditTarget>) -> String {
    let Some(target) = target else {
        return "-".to_owned();
    };
    let mut text = target.kind.as_str().to_owned();
    if let Some(id) = target.id {
        text.push_str(&format!("/{id}"));
    }
    if let Some(name) = &target.name {
        text.push_str(&format!(" {name}"));
    }
    if let Some(org) = target.org_id {
        text.push_str(&format!(" org {org}"));
    }
    if let Some(user) = target.user_id {
        text.push_str(&format!(" user {user}"));
    }
    if let Some(changes) = &target.changes {
        let set: Vec<String> = [
            ("name", &changes.name),
            ("status", &changes.status),
            ("description", &changes.description),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.as_ref().map(|v| format!("{field}={v}")))
        .collect();
        text.push_str(&format!(" [{}]", set.join(" ")));
    }
    text
}

fn outcome_cell(entry: &AuditEntry) -> String {
    match (entry.outcome, &entry.reason) {
        (Outcome::Failure, Some(reason)) => format!("failure: {reason}"),
        (outcome, _) => outcome.as_str().to_owned(),
    }
}

/// One line per entry; tabs and newlines inside a cell (a description, say) become spaces.
fn table(entries: &[AuditEntry], hide_headers: bool) -> String {
    let clean = |text: String| text.replace(['\t', '\n', '\r'], " ");
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|entry| {
            vec![
                expiry::format(entry.time).unwrap_or_default(),
                entry.action.as_str().to_owned(),
                clean(outcome_cell(entry)),
                clean(actor_cell(&entry.actor)),
                clean(target_cell(entry.target.as_ref())),
                entry.remote.map_or_else(|| "-".to_owned(), |ip| ip.to_string()),
            ]
        })
        .collect();
    output::table(
        &["Time", "Action", "Outcome", "Actor", "Target", "Remote"],
        &rows,
        hide_headers,
    )
}

#[cfg(test)]
mod tests {
    use model::{AuditChanges, CredentialKind, Id, ResourceType};
    use time::macros::datetime;

    use super::*;

    fn id(text: &str) -> Id {
        text.parse().unwrap()
    }

    #[test]
    fn the_table_says_who_did_what_to_what_from_where() {
        let update = AuditEntry::success(
            datetime!(2030-01-02 03:04:05 UTC),
            AuditAction::AuthorizationUpdate,
            AuditActor {
                user_id: Some(id("0000000000000a01")),
                user: Some("admin".into()),
                credential: CredentialKind::Token,
                authorization_id: Some(id("0000000000000b01")),
            },
            Some(
                AuditTarget::new(ResourceType::Authorizations, id("0000000000000b02"))
                    .in_org(id("0000000000000c01"))
                    .changing(AuditChanges {
                        status: Some("inactive".into()),
                        description: Some("two\twords".into()),
                        ..AuditChanges::default()
                    }),
            ),
            "127.0.0.1".parse().ok(),
        );
        let failed = AuditEntry::failure(
            datetime!(2030-01-02 03:04:06 UTC),
            AuditAction::Authentication,
            "unknown or deleted token",
            AuditActor::anonymous(CredentialKind::Token),
            None,
        );
        let text = table(&[update, failed], false);
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split('\t').filter(|c| !c.is_empty()).collect())
            .collect();
        assert_eq!(lines[0], ["Time", "Action", "Outcome", "Actor", "Target", "Remote"]);
        assert_eq!(
            lines[1],
            [
                "2030-01-02T03:04:05Z",
                "authorization.update",
                "success",
                "admin (token 0000000000000b01)",
                "authorizations/0000000000000b02 org 0000000000000c01 [status=inactive description=two words]",
                "127.0.0.1",
            ]
        );
        assert_eq!(
            lines[2],
            [
                "2030-01-02T03:04:06Z",
                "authentication",
                "failure: unknown or deleted token",
                "(token)",
                "-",
                "-",
            ]
        );
        assert_eq!(table(&[], true), "");
    }

    #[test]
    fn time_flags_take_a_time_or_a_duration_ago() {
        let now = datetime!(2030-01-10 00:00:00 UTC);
        assert_eq!(time_flag("--since", "24h", now).unwrap(), "2030-01-09T00:00:00Z");
        assert_eq!(
            time_flag("--since", "2030-01-01T01:00:00+01:00", now).unwrap(),
            "2030-01-01T00:00:00Z"
        );
        let error = time_flag("--until", "yesterday", now).unwrap_err();
        assert!(
            error.to_string().starts_with("invalid --until \"yesterday\""),
            "{error}"
        );
    }
}
