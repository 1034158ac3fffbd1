//! `influx-authz migrate`: everything in one store copied into another of the other engine, as it is (IDs, token
//! hashes, password hashes, sessions, last uses, the audit trail with its numbers), so the same tokens, passwords
//! and cookies keep working. The target must be empty unless `--force`; the copy is one transaction; afterwards
//! the target is read back and its counts checked against what was copied.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use store::{ContentCounts, Store};
use store_postgres::{PgStore, redact};
use store_redb::RedbStore;

use crate::MigrateArgs;

/// One side of the copy, opened.
struct Side {
    store: Arc<dyn Store>,
    name: String,
}

/// A redb file to copy from: it must exist (a mistyped path would otherwise copy an empty store).
fn open_redb_source(path: &std::path::Path) -> Result<Side, String> {
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    open_redb(path)
}

fn open_redb(path: &std::path::Path) -> Result<Side, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let store = RedbStore::open(path).map_err(|e| match e {
        store_redb::Error::AlreadyOpen => format!("{} is in use (stop the server that has it open)", path.display()),
        other => format!("cannot open {}: {other}", path.display()),
    })?;
    Ok(Side {
        store: Arc::new(store),
        name: format!("the redb file {}", path.display()),
    })
}

fn open_postgres(url: &str) -> Result<Side, String> {
    let options = store_postgres::Options {
        url: url.to_owned(),
        pool_size: 2,
        timeout: Duration::from_secs(30),
    };
    let store = PgStore::connect(&options).map_err(|e| e.to_string())?;
    Ok(Side {
        store: Arc::new(store),
        name: format!("PostgreSQL at {}", redact(url)),
    })
}

fn describe(counts: &ContentCounts) -> String {
    format!(
        "{} users, {} orgs, {} buckets, {} memberships, {} authorizations, {} sessions, {} audit entries",
        counts.users, counts.orgs, counts.buckets, counts.members, counts.authorizations, counts.sessions, counts.audit
    )
}

fn add(a: ContentCounts, b: ContentCounts) -> ContentCounts {
    ContentCounts {
        users: a.users + b.users,
        orgs: a.orgs + b.orgs,
        buckets: a.buckets + b.buckets,
        members: a.members + b.members,
        authorizations: a.authorizations + b.authorizations,
        sessions: a.sessions + b.sessions,
        audit: a.audit + b.audit,
    }
}

/// Runs the copy the arguments ask for; returns what was done, to print.
pub fn migrate(args: &MigrateArgs) -> Result<String, String> {
    let from = match (&args.from_db_path, &args.from_postgres_url) {
        (Some(path), None) => open_redb_source(path)?,
        (None, Some(url)) => open_postgres(url.expose())?,
        _ => return Err("give exactly one of --from-db-path and --from-postgres-url".into()),
    };
    let to = match (&args.to_db_path, &args.to_postgres_url) {
        (Some(path), None) => open_redb(path)?,
        (None, Some(url)) => open_postgres(url.expose())?,
        _ => return Err("give exactly one of --to-db-path and --to-postgres-url".into()),
    };
    let contents = from.store.export().map_err(|e| format!("reading {}: {e}", from.name))?;
    let copied = contents.counts();
    let before = to
        .store
        .export()
        .map_err(|e| format!("reading {}: {e}", to.name))?
        .counts();
    if !before.is_empty() && !args.force {
        return Err(format!(
            "{} is not empty ({}); nothing was copied (--force copies beside what is there)",
            to.name,
            describe(&before)
        ));
    }
    to.store
        .import(&contents)
        .map_err(|e| format!("writing {}: {e}; nothing was copied", to.name))?;
    let after = to
        .store
        .export()
        .map_err(|e| format!("reading {} back: {e}", to.name))?
        .counts();
    let expected = add(before, copied);
    if after != expected {
        return Err(format!(
            "the copy does not add up: {} holds {} where {} were expected",
            to.name,
            describe(&after),
            describe(&expected)
        ));
    }
    let mut report = String::new();
    let _ = writeln!(report, "copied from {} to {}:", from.name, to.name);
    let _ = writeln!(report, "  {}", describe(&copied));
    let _ = write!(report, "checked: {} now holds {}", to.name, describe(&after));
    Ok(report)
}
