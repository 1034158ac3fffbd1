//! `influx-authz audit` (an extension), with the real binary as a subprocess against a real server (another child
//! process): the table (Time, Action, Outcome, Actor, Target, Remote), newest first; `--json`; `--limit`,
//! `--action`, `--since`; and its errors (a non-operator token, bad flags caught before any request).

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli_support::{Fixture, Names};

const OPERATOR: &str = "cli-audit-operator-token";
const ORG: &str = "cli-audit-org";
const NAMES: Names = Names {
    operator: OPERATOR,
    org: ORG,
    bucket: "cli-audit-bucket",
};

impl Fixture {
    /// A token that may read the org's buckets, made over HTTP: `(id, token)`.
    fn reader(&self, description: &str) -> (String, String) {
        let org = self.org_id();
        self.create_token(json!({
            "orgID": org, "description": description,
            "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}],
        }))
    }

    fn operator_authorization(&self) -> String {
        let (_, list) = self.get("/api/v2/authorizations?user=admin", OPERATOR);
        list["authorizations"][0]["id"].as_str().unwrap().to_owned()
    }

    fn audit_entries(&self, query: &str) -> Value {
        let (status, page) = self.get(&format!("/api/v2/audit?{query}"), OPERATOR);
        assert_eq!(status, 200, "{page}");
        page["entries"].clone()
    }
}

#[test]
fn audit_prints_the_trail_as_a_table_newest_first() {
    let app = Fixture::new(NAMES);
    let (id, _) = app.reader("first");
    let (status, _) = app.call(
        Method::PATCH,
        &format!("/api/v2/authorizations/{id}"),
        OPERATOR,
        Some(json!({"status": "inactive"})),
    );
    assert_eq!(status, 200);
    let operator = app.operator_authorization();
    let org = app.org_id();

    let run = app.cli(&["audit"]);
    let cells = run.cells();
    assert_eq!(
        cells[0],
        ["Time", "Action", "Outcome", "Actor", "Target", "Remote"],
        "{}",
        run.stdout
    );
    assert_eq!(cells.len(), 4, "header, update, create, setup: {}", run.stdout);
    let actor = format!("admin (token {operator})");
    assert_eq!(
        cells[1][1..],
        [
            "authorization.update".to_owned(),
            "success".to_owned(),
            actor.clone(),
            format!(
                "authorizations/{id} org {org} user {} [status=inactive]",
                admin_id(&app)
            ),
            "127.0.0.1".to_owned(),
        ]
    );
    assert_eq!(cells[2][1], "authorization.create");
    assert_eq!(cells[2][3], actor);
    assert_eq!(
        cells[3][1..],
        [
            "setup".to_owned(),
            "success".to_owned(),
            "(server)".to_owned(),
            format!("orgs/{org} {ORG} user {}", admin_id(&app)),
            "-".to_owned(),
        ]
    );
    time::OffsetDateTime::parse(&cells[1][0], &time::format_description::well_known::Rfc3339).unwrap();

    let hidden = app.cli(&["audit", "--hide-headers"]).ok_stdout();
    assert_eq!(hidden.lines().count(), 3);
    assert!(hidden.starts_with(&cells[1][0]), "{hidden}");
}

fn admin_id(app: &Fixture) -> String {
    let (_, me) = app.get("/api/v2/me", OPERATOR);
    me["id"].as_str().unwrap().to_owned()
}

#[test]
fn audit_json_prints_the_entries_as_the_server_sends_them_and_filters_apply() {
    let app = Fixture::new(NAMES);
    let (first, _) = app.reader("one");
    let (second, _) = app.reader("two");

    let all = app.cli(&["audit", "--json"]).json();
    assert_eq!(all, app.audit_entries("limit=100"));
    assert_eq!(all.as_array().unwrap().len(), 3);

    let newest = app
        .cli(&["audit", "--json", "--limit", "1", "--action", "authorization.create"])
        .json();
    assert_eq!(newest.as_array().unwrap().len(), 1);
    assert_eq!(newest[0]["target"]["id"], second);
    let creates = app.cli(&["audit", "--json", "--action", "authorization.create"]).json();
    let ids: Vec<&str> = creates
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);

    let recent = app.cli(&["audit", "--json", "--since", "1h"]).json();
    assert_eq!(recent.as_array().unwrap().len(), 3);
    let future = app.cli(&["audit", "--json", "--since", "2999-01-01T00:00:00Z"]).json();
    assert_eq!(future, json!([]));
    let before = app.cli(&["audit", "--json", "--until", "1h"]).json();
    assert_eq!(before, json!([]));

    let admin = admin_id(&app);
    let theirs = app.cli(&["audit", "--json", "--user-id", &admin]).json();
    assert_eq!(
        theirs.as_array().unwrap().len(),
        3,
        "the setup names admin as its user, the creates as their actor"
    );
}

#[test]
fn audit_needs_an_operator_token_and_checks_its_flags_first() {
    let app = Fixture::new(NAMES);
    let (_, token) = app.reader("not an operator");
    let host = app.host();
    app.run(&["audit", "--host", &host, "--token", &token], &[])
        .fails_with("could not read the audit trail: 401 Unauthorized: read:authorizations is unauthorized");

    // Bad flags fail before any request: the host is unreachable.
    let nowhere = "http://127.0.0.1:9";
    for (args, needle) in [
        (
            vec!["--action", "token.steal"],
            "unknown --action \"token.steal\"; use one of authorization.create",
        ),
        (vec!["--since", "yesterday"], "invalid --since \"yesterday\""),
        (vec!["--until", "2030-13-01T00:00:00Z"], "invalid --until"),
        (vec!["--user-id", "alice"], "invalid user ID \"alice\""),
    ] {
        let mut all = vec!["audit", "--host", nowhere, "--token", OPERATOR];
        all.extend(args);
        app.run(&all, &[]).fails_with(needle);
    }
    let zero = app.run(&["audit", "--limit", "0", "--host", nowhere], &[]);
    assert_eq!(zero.code, 2, "clap refuses it: {zero:?}");
}
