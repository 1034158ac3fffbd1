//! The CLI's token extensions (expiry, last use, the new list filters), with the real binary as a subprocess against
//! a real server (another child process): `auth create --expires-in|--expires-at`, `expired` in the Status column,
//! `expiresAt`/`lastUsedAt` in `--json`, and `auth list --status|--unused-since|--description|--wide`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli_support::{Fixture, Names};

const OPERATOR: &str = "cli-ext-operator-token";
const ORG: &str = "cli-ext-org";
const NAMES: Names = Names {
    operator: OPERATOR,
    org: ORG,
    bucket: "cli-ext-bucket",
};

impl Fixture {
    /// A token that may read the org's buckets, made over HTTP: `(id, token)`.
    fn bucket_reader(&self, description: &str) -> (String, String) {
        let org = self.org_id();
        let body = json!({
            "orgID": org, "description": description,
            "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}],
        });
        self.create_token(body)
    }
}

fn time_of(value: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(value.as_str().unwrap(), &Rfc3339).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|tokens| tokens.iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The cells of the table row of `id` (split on tabs, the alignment's empty cells dropped).
fn row_cells(table: &str, id: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|line| line.starts_with(id))
        .unwrap_or_else(|| panic!("no row for {id} in:\n{table}"));
    line.split('\t')
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn create_with_expires_in_sends_expires_at_and_list_shows_it() {
    let app = Fixture::new(NAMES);
    let before = OffsetDateTime::now_utc();

    let created = app
        .auth(
            "create",
            &[
                "-o",
                ORG,
                "--read-buckets",
                "-d",
                "month pass",
                "--expires-in",
                "4w2d",
                "--json",
            ],
        )
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["status"], "active");
    let expires = time_of(&created["expiresAt"]);
    let wanted = before + time::Duration::days(30);
    assert!(
        expires >= wanted - time::Duration::seconds(1) && expires <= wanted + time::Duration::seconds(60),
        "expiresAt {expires} is not about 30 days from {before}"
    );
    assert!(created.get("lastUsedAt").is_none(), "never used yet: {created}");
    // The server stored it: its own answer has the same expiresAt.
    let (_, stored) = app.call(Method::GET, &format!("/api/v2/authorizations/{id}"), OPERATOR, None);
    assert_eq!(time_of(&stored["expiresAt"]), expires);

    // The table keeps influx's columns; the token is listed as active.
    let table = app.auth("list", &[]).ok().stdout;
    assert_eq!(
        table.lines().next().unwrap(),
        "ID\t\t\tDescription\tToken\tUser Name\tUser ID\t\t\tStatus\tPermissions"
    );
    let cells = row_cells(&table, &id);
    assert_eq!(cells[1], "month pass");
    assert_eq!(cells[4], "active");

    // --json carries expiresAt for it, and nothing new for the operator token (which never expires).
    let list = app.auth("list", &["--json"]).json();
    let listed: Vec<&Value> = list.as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    for token in listed {
        if token["id"] == id.as_str() {
            assert_eq!(time_of(&token["expiresAt"]), expires);
        } else {
            assert!(token.get("expiresAt").is_none(), "{token}");
            // The operator token authenticated these requests, so it has a last use.
            assert!(token.get("lastUsedAt").is_some(), "{token}");
        }
    }

    // --wide adds Expires and Last Used after Status.
    let wide = app.auth("list", &["--wide"]).ok().stdout;
    let header: Vec<&str> = wide
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "ID",
            "Description",
            "Token",
            "User Name",
            "User ID",
            "Status",
            "Expires",
            "Last Used",
            "Permissions"
        ]
    );
    let cells = row_cells(&wide, &id);
    assert_eq!(time_of(&Value::from(cells[5].as_str())), expires);
    assert_eq!(cells[6], "never");

    // --expires-at works the same way.
    let at = "2099-12-31T23:00:00-01:00";
    let created = app
        .auth("create", &["-o", ORG, "--read-buckets", "--expires-at", at, "--json"])
        .json();
    assert_eq!(created["expiresAt"], "2100-01-01T00:00:00Z");
}

#[test]
fn an_expired_token_shows_expired_and_is_found_by_status() {
    let app = Fixture::new(NAMES);
    let short = app
        .auth(
            "create",
            &[
                "-o",
                ORG,
                "--read-buckets",
                "-d",
                "short lived",
                "--expires-in",
                "2s",
                "--json",
            ],
        )
        .json();
    let short_id = short["id"].as_str().unwrap().to_owned();
    let short_token = short["token"].as_str().unwrap().to_owned();
    let (long_id, _) = app.bucket_reader("long lived");
    assert_eq!(
        app.call(Method::GET, "/api/v2/buckets", &short_token, None).0,
        200,
        "works before it expires"
    );
    let active = app.auth("list", &["--status", "active", "--json"]).json();
    assert!(ids(&active).contains(&short_id));

    std::thread::sleep(Duration::from_millis(2500));

    let (status, refused) = app.call(Method::GET, "/api/v2/buckets", &short_token, None);
    assert_eq!(status, 401);
    assert_eq!(refused["message"], "token has expired");

    // The Status column says expired; the others are untouched.
    let table = app.auth("find", &[]).ok().stdout;
    assert_eq!(row_cells(&table, &short_id)[4], "expired");
    assert_eq!(row_cells(&table, &long_id)[4], "active");
    // In JSON the status stays the server's (InfluxDB's enum); expiresAt tells why.
    let one = app.auth("list", &["--id", &short_id, "--json"]).json();
    assert_eq!(one["status"], "active");
    assert!(time_of(&one["expiresAt"]) <= OffsetDateTime::now_utc());
    let one = app.auth("list", &["--id", &short_id, "--hide-headers"]).ok().stdout;
    assert_eq!(row_cells(&one, &short_id)[4], "expired");

    // --status expired lists it and only it; --status active no longer does.
    let expired = app.auth("list", &["--status", "expired", "--json"]).json();
    assert_eq!(ids(&expired), [short_id.as_str()]);
    let table = app.auth("ls", &["--status", "expired", "--hide-headers"]).ok().stdout;
    assert_eq!(table.lines().count(), 1, "{table}");
    assert_eq!(row_cells(&table, &short_id)[4], "expired");
    let active = app.auth("list", &["--status", "active", "--json"]).json();
    assert!(!ids(&active).contains(&short_id));
    assert!(ids(&active).contains(&long_id));
    assert_eq!(
        app.auth("list", &["--status", "inactive", "--json"]).ok().stdout,
        "null\n"
    );
}

#[test]
fn unused_since_finds_never_used_tokens_and_description_filters() {
    let app = Fixture::new(NAMES);
    let (unused_id, _) = app.bucket_reader("Nightly backup");
    let (used_id, used_token) = app.bucket_reader("Grafana");
    assert_eq!(app.call(Method::GET, "/api/v2/buckets", &used_token, None).0, 200);

    // As a duration (that long ago)…
    let stale = app.auth("list", &["--unused-since", "1m", "--json"]).json();
    assert_eq!(ids(&stale), [unused_id.as_str()], "{stale}");
    assert!(stale[0].get("lastUsedAt").is_none());
    // … or as a time.
    let since = (OffsetDateTime::now_utc() - time::Duration::hours(1))
        .format(&Rfc3339)
        .unwrap();
    let stale = app.auth("list", &["--unused-since", &since, "--json"]).json();
    assert_eq!(ids(&stale), [unused_id.as_str()]);
    // The used one has a last use, shown in JSON and by --wide.
    let used = app.auth("list", &["--id", &used_id, "--json"]).json();
    let last = time_of(&used["lastUsedAt"]);
    assert!(OffsetDateTime::now_utc() - last < time::Duration::minutes(1));
    let wide = app.auth("list", &["--wide", "--description", "grafana"]).ok().stdout;
    assert_eq!(wide.lines().count(), 2, "{wide}");
    assert_eq!(time_of(&Value::from(row_cells(&wide, &used_id)[6].as_str())), last);

    // --description is a case-insensitive substring; it combines with the other filters.
    let found = app.auth("list", &["--description", "NIGHTLY", "--json"]).json();
    assert_eq!(ids(&found), [unused_id.as_str()]);
    let found = app
        .auth("list", &["--description", "grafana", "--unused-since", "1m", "--json"])
        .ok();
    assert_eq!(found.stdout, "null\n");
}

#[test]
fn bad_expiry_and_filter_values_fail_with_one_line_before_any_request() {
    let app = Fixture::new(NAMES);
    let before = app.token_count();
    let create = |extra: &[&str]| {
        let mut args = vec!["-o", ORG, "--read-buckets"];
        args.extend_from_slice(extra);
        app.auth("create", &args)
    };
    create(&["--expires-in", "0d"]).fails_with("invalid --expires-in \"0d\": it must be more than 0");
    create(&["--expires-in", "-1d"]).fails_with("it must be more than 0");
    create(&["--expires-in=-1d"]).fails_with("it must be more than 0");
    create(&["--expires-in", "30"]).fails_with("a unit is missing");
    create(&["--expires-in", "3y"]).fails_with("unknown unit \"y\"");
    create(&["--expires-in", "soon"]).fails_with("invalid --expires-in \"soon\"");
    create(&["--expires-in", "99999999999999w"]).fails_with("too long");
    create(&["--expires-at", "2001-01-01T00:00:00Z"]).fails_with("must be in the future");
    create(&["--expires-at", "next week"]).fails_with("not an RFC 3339 time");
    create(&["--expires-in", "1d", "--expires-at", "2099-01-01T00:00:00Z"])
        .fails_with("use --expires-in or --expires-at, not both");
    app.auth("list", &["--unused-since", "yesterday"])
        .fails_with("invalid --unused-since \"yesterday\"");
    app.auth("list", &["--unused-since", "0d"])
        .fails_with("invalid --unused-since");
    assert_eq!(app.token_count(), before, "nothing was created");

    // Unknown statuses are refused by the flag parser, which lists the valid ones.
    let run = app.auth("list", &["--status", "asleep"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("active, inactive, expired"), "{run:?}");
}

#[test]
fn help_documents_the_extensions() {
    let app = Fixture::new(NAMES);
    let create = app.auth("create", &["--help"]).ok().stdout;
    for needle in [
        "--expires-in <DURATION>",
        "--expires-at <TIME>",
        "influx-authz extensions",
        "1w2d",
    ] {
        assert!(create.contains(needle), "{needle:?} missing from:\n{create}");
    }
    let list = app.auth("list", &["--help"]).ok().stdout;
    for needle in [
        "--status <STATUS>",
        "--unused-since <TIME|DURATION>",
        "--description <TEXT>",
        "--wide",
        "influx-authz extensions",
        "expired",
    ] {
        assert!(list.contains(needle), "{needle:?} missing from:\n{list}");
    }
}
