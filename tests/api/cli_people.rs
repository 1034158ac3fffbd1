//! `influx-authz user …` and `influx-authz org …`: the real binary as a subprocess against a real server (another
//! child process), checking output, exit codes and the server's state afterwards, and the docs' "revoke through
//! people" flows driven from the CLI.

use serde_json::{Value, json};
use tests::free_port;

use crate::cli_support::{Fixture, Names, terminal_available};

const OPERATOR: &str = "people-operator-token";
const ORG: &str = "people-org";
const BUCKET: &str = "people-bucket";
const NAMES: Names = Names {
    operator: OPERATOR,
    org: ORG,
    bucket: BUCKET,
};

impl Fixture {
    fn user(&self, id: &str) -> (u16, Value) {
        self.get(&format!("/api/v2/users/{id}"), OPERATOR)
    }

    fn user_count(&self) -> usize {
        self.get("/api/v2/users", OPERATOR).1["users"].as_array().unwrap().len()
    }

    fn org_count(&self) -> usize {
        self.get("/api/v2/orgs", OPERATOR).1["orgs"].as_array().unwrap().len()
    }

    fn member_ids(&self, org: &str) -> Vec<String> {
        let (status, members) = self.get(&format!("/api/v2/orgs/{org}/members"), OPERATOR);
        assert_eq!(status, 200, "{members}");
        members["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `POST /api/v2/signin` with Basic credentials: its status.
    fn sign_in(&self, user: &str, password: &str) -> u16 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            reqwest::Client::new()
                .post(self.server.url("/api/v2/signin"))
                .basic_auth(user, Some(password))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }
}

const UNKNOWN: &str = "0000000000000001";

// -- user -----------------------------------------------------------------------------------------------------------

#[test]
fn user_create_adds_a_member_of_the_org_and_sets_the_password() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();

    // Without a password: the table, a warning on stderr, and membership of the config's/flag's org.
    let run = app.cli(&["user", "create", "--name", "alice", "--org", ORG]).ok();
    let cells = run.cells();
    assert_eq!(cells[0], ["ID", "Name"], "{}", run.stdout);
    assert_eq!(cells.len(), 2);
    assert_eq!(cells[1][1], "alice");
    let alice = cells[1][0].clone();
    assert!(
        run.stdout.starts_with("ID\t\t\tName\n"),
        "aligned like influx's tabwriter: {:?}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "WARN: initial password not set for user, use `influx-authz user password` to set it\n"
    );
    assert_eq!(app.user(&alice).1["name"], "alice");
    assert!(app.member_ids(&org).contains(&alice));

    // With a password and --org-id, as JSON (influx prints the server's user, keys in Go's sorted order).
    let run = app.cli(&[
        "user",
        "create",
        "-n",
        "bob",
        "--org-id",
        &org,
        "-p",
        "password123",
        "--json",
    ]);
    let bob = run.json();
    assert_eq!(bob["name"], "bob");
    assert_eq!(bob["status"], "active");
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    assert_eq!(bob["links"]["self"], format!("/api/v2/users/{bob_id}"));
    assert!(app.member_ids(&org).contains(&bob_id));
    assert_eq!(app.sign_in("bob", "password123"), 204);

    // INFLUX_NAME and INFLUX_ORG supply the flags, as with influx.
    let host = app.host();
    app.run(
        &["user", "create", "--host", &host, "-t", OPERATOR, "--hide-headers"],
        &[("INFLUX_NAME", "carol"), ("INFLUX_ORG", ORG)],
    )
    .ok();
    assert_eq!(app.user_count(), 4);
}

#[test]
fn user_list_find_ls_filter_by_name_and_id() {
    let app = Fixture::new(NAMES);
    let alice = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let all = app.cli(&["user", "list"]).ok();
    let names: Vec<String> = all.cells()[1..].iter().map(|row| row[1].clone()).collect();
    assert_eq!(names, ["admin", "alice"]);

    let found = app.cli(&["user", "find", "--name", "alice", "--json"]).json();
    assert_eq!(found.as_array().unwrap().len(), 1, "a list, even for one: {found}");
    assert_eq!(found[0]["id"], alice.as_str());
    let keys: Vec<&String> = found[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "links", "name", "status"]);

    let by_id = app.cli(&["user", "ls", "-i", &alice, "--hide-headers"]).ok();
    assert_eq!(by_id.stdout, format!("{alice}\talice\n"));

    // Unknown names and IDs are the server's 404, as with influx.
    app.cli(&["user", "list", "--name", "nobody"])
        .fails_with("failed to list users: 404 Not Found: user not found");
    app.cli(&["user", "list", "--id", UNKNOWN])
        .fails_with("failed to list users: 404 Not Found: user not found");
    app.cli(&["user", "list", "--id", "xyz"])
        .fails_with("invalid user ID \"xyz\"");
}

#[test]
fn user_update_renames_and_status_deactivates_then_delete_prints_deleted() {
    let app = Fixture::new(NAMES);
    let id = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let renamed = app.cli(&["user", "update", "--id", &id, "--name", "alicia"]).ok();
    assert_eq!(renamed.cells()[1], [id.as_str(), "alicia"]);
    assert_eq!(app.user(&id).1["name"], "alicia");

    // --status is our extension (influx's `user update` has only --id and --name).
    let inactive = app
        .cli(&["user", "update", "-i", &id, "--status", "inactive", "--json"])
        .json();
    assert_eq!(inactive["status"], "inactive");
    assert_eq!(app.user(&id).1["status"], "inactive");
    app.cli(&["user", "update", "-i", &id, "--status", "active"]).ok();
    assert_eq!(app.user(&id).1["status"], "active");
    let bad = app.cli(&["user", "update", "-i", &id, "--status", "asleep"]);
    assert_ne!(bad.code, 0, "clap refuses other values: {bad:?}");

    let deleted = app.cli(&["user", "delete", "--id", &id]).ok();
    assert_eq!(
        deleted.cells(),
        [vec!["ID", "Name", "Deleted"], vec![id.as_str(), "alicia", "true"]]
    );
    assert_eq!(app.user(&id).0, 404);

    app.cli(&["user", "delete", "--id", &id])
        .fails_with(&format!("user \"{id}\" not found: 404 Not Found: user not found"));
    app.cli(&["user", "update", "--id", &id, "-n", "x"])
        .fails_with(&format!(
            "failed to update user \"{id}\": 404 Not Found: user not found"
        ));
}

#[test]
fn user_delete_prints_json() {
    let app = Fixture::new(NAMES);
    let id = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app.cli(&["user", "delete", "-i", &id, "--json"]).json();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(deleted["name"], "alice");
    assert_eq!(app.user_count(), 1);
}

#[test]
fn user_password_by_name_or_id_and_its_errors() {
    let app = Fixture::new(NAMES);
    let id = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.sign_in("alice", "password123"), 401);

    let run = app
        .cli(&["user", "password", "--name", "alice", "--password", "password123"])
        .ok();
    assert_eq!(run.stdout, "Successfully updated password for user \"alice\"\n");
    assert_eq!(app.sign_in("alice", "password123"), 204);

    let run = app.cli(&["user", "password", "-i", &id, "-p", "another-pass"]).ok();
    assert_eq!(run.stdout, format!("Successfully updated password for user \"{id}\"\n"));
    assert_eq!(app.sign_in("alice", "password123"), 401);
    assert_eq!(app.sign_in("alice", "another-pass"), 204);

    app.cli(&["user", "password", "-p", "password123"])
        .fails_with("must specify user ID or user name");
    app.cli(&["user", "password", "-n", "alice"])
        .fails_with("missing --password: the new password is asked for only when a terminal is attached");
    app.cli(&["user", "password", "-n", "alice", "-p", "short"])
        .fails_with("password is too short");
    app.cli(&["user", "password", "-n", "nobody", "-p", "password123"])
        .fails_with("failed to find user \"nobody\": 404 Not Found: user not found");
    app.cli(&["user", "password", "-i", UNKNOWN, "-p", "password123"])
        .fails_with(&format!(
            "failed to set password for user \"{UNKNOWN}\": 404 Not Found: user not found"
        ));
    // Like influx, `password` has no printing flags.
    assert_ne!(app.cli(&["user", "password", "-n", "alice", "--json"]).code, 0);
    assert_eq!(app.sign_in("alice", "another-pass"), 204);
}

#[test]
fn user_password_asks_twice_when_a_terminal_is_attached() {
    // `script` gives the binary a pseudo-terminal; the answers are typed ahead on its stdin.
    if !terminal_available() {
        return;
    }
    let app = Fixture::new(NAMES);
    app.cli(&["user", "create", "-n", "alice", "-o", ORG]).ok();
    // Too short, then a mismatch, then the same password twice.
    let (success, screen) = app.in_terminal(
        &format!("user password --name alice --host {} --token {OPERATOR}", app.host()),
        b"short\npassword123\npassword124\npassword123\npassword123\n",
    );
    assert!(success, "{screen}");
    for text in [
        "Please type new password for \"alice\"",
        "Please type new password again",
        "at least 8 characters",
        "Passwords do not match",
        "Successfully updated password for user \"alice\"",
    ] {
        assert!(screen.contains(text), "{text:?} not in {screen}");
    }
    assert_eq!(app.sign_in("alice", "password123"), 204);
}

#[test]
fn user_errors_are_one_line_and_create_nothing() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();

    app.cli(&["user", "create", "-o", ORG])
        .fails_with("missing --name: the user name is required");
    app.cli(&["user", "create", "-n", "x", "-o", ORG, "--org-id", &org])
        .fails_with("ambiguous org: use --org-id or --org, not both");
    app.cli(&["user", "create", "-n", "x", "-o", "no-such-org"])
        .fails_with("failed to look up the ID of org \"no-such-org\": 404 Not Found");
    app.cli(&["user", "create", "-n", "x"])
        .fails_with("must specify org ID or org name");
    app.cli(&["user", "create", "-n", "x", "-o", ORG, "-p", "short"])
        .fails_with("password is too short");
    app.cli(&["user", "create", "-n", "x", "--org-id", "nope"])
        .fails_with("invalid org ID \"nope\"");
    app.cli(&["user", "create", "-n", "admin", "-o", ORG])
        .fails_with("failed to create user \"admin\": 422 Unprocessable Entity: user with name admin already exists");
    app.cli(&["user", "delete"])
        .fails_with("missing --id: the user ID is required");
    app.cli(&["user", "update", "-n", "x"])
        .fails_with("missing --id: the user ID is required");
    app.cli(&["user", "delete", "-i", "not-an-id"])
        .fails_with("invalid user ID \"not-an-id\"");
    assert_eq!(app.user_count(), 1);

    let dead = format!("http://127.0.0.1:{}", free_port());
    app.run(&["user", "list", "--host", &dead, "-t", OPERATOR], &[])
        .fails_with(&format!("cannot reach {dead}"));
    app.run(&["user", "list", "--host", &app.host(), "-t", "wrong"], &[])
        .fails_with("401 Unauthorized: unauthorized access (check --token");
    app.run(&["user", "delete", "-i", UNKNOWN, "--host", &app.host()], &[])
        .fails_with("401 Unauthorized");
}

// -- org ------------------------------------------------------------------------------------------------------------

#[test]
fn org_create_list_update_and_delete() {
    let app = Fixture::new(NAMES);

    let created = app
        .cli(&["org", "create", "--name", "second", "--description", "the 2nd"])
        .ok();
    let cells = created.cells();
    assert_eq!(cells[0], ["ID", "Name"]);
    assert_eq!(cells[1][1], "second");
    let id = cells[1][0].clone();
    let (_, org) = app.get(&format!("/api/v2/orgs/{id}"), OPERATOR);
    assert_eq!(org["description"], "the 2nd");

    let json = app
        .cli(&["org", "create", "-n", "third", "-d", "<3rd>", "--json"])
        .json();
    assert_eq!(json["name"], "third");
    assert_eq!(json["description"], "<3rd>");
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["createdAt", "description", "id", "links", "name", "updatedAt"]);
    let third = json["id"].as_str().unwrap().to_owned();

    let names: Vec<String> = app.cli(&["org", "list"]).ok().cells()[1..]
        .iter()
        .map(|row| row[1].clone())
        .collect();
    assert_eq!(names, [ORG, "second", "third"]);
    let found = app.cli(&["org", "find", "--name", "second", "--json"]).json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    let ls = app.cli(&["org", "ls", "-i", &third, "--hide-headers"]).ok();
    assert_eq!(ls.stdout, format!("{third}\tthird\n"));
    // As with influx, --name reads INFLUX_ORG: with it set, `org list` lists that org only.
    let host = app.host();
    let env = app
        .run(
            &["org", "list", "--host", &host, "-t", OPERATOR, "--json"],
            &[("INFLUX_ORG", "third")],
        )
        .json();
    assert_eq!(env.as_array().unwrap().len(), 1);
    assert_eq!(env[0]["name"], "third");

    let updated = app
        .cli(&["org", "update", "--id", &id, "--name", "renamed", "-d", "new"])
        .ok();
    assert_eq!(updated.cells()[1], [id.as_str(), "renamed"]);
    let (_, org) = app.get(&format!("/api/v2/orgs/{id}"), OPERATOR);
    assert_eq!(
        (org["name"].as_str(), org["description"].as_str()),
        (Some("renamed"), Some("new"))
    );
    // Only the given fields change.
    app.cli(&["org", "update", "-i", &id, "-d", "newer"]).ok();
    let (_, org) = app.get(&format!("/api/v2/orgs/{id}"), OPERATOR);
    assert_eq!(
        (org["name"].as_str(), org["description"].as_str()),
        (Some("renamed"), Some("newer"))
    );

    let deleted = app.cli(&["org", "delete", "--id", &id]).ok();
    assert_eq!(
        deleted.cells(),
        [vec!["ID", "Name", "Deleted"], vec![id.as_str(), "renamed", "true"]]
    );
    assert_eq!(app.get(&format!("/api/v2/orgs/{id}"), OPERATOR).0, 404);
    // --id reads INFLUX_ORG_ID, as with influx.
    let deleted = app
        .run(
            &["org", "delete", "--host", &host, "-t", OPERATOR, "--json"],
            &[("INFLUX_ORG_ID", &third)],
        )
        .json();
    assert_eq!(deleted["name"], "third");
    assert_eq!(app.org_count(), 1);
}

#[test]
fn deleting_an_org_from_the_cli_revokes_its_tokens() {
    let app = Fixture::new(NAMES);
    let id = app.cli(&["org", "create", "-n", "doomed", "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app
        .cli(&["auth", "create", "--org-id", &id, "--read-buckets", "--json"])
        .json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/api/v2/buckets", &token).0, 200);

    app.cli(&["org", "delete", "-i", &id]).ok();
    assert_eq!(app.get("/api/v2/buckets", &token).0, 401);
    let listed = app.cli(&["auth", "list", "--json"]).json();
    assert!(
        listed.as_array().unwrap().iter().all(|t| t["token"] != token.as_str()),
        "{listed}"
    );
}

#[test]
fn org_errors_are_one_line_and_change_nothing() {
    let app = Fixture::new(NAMES);
    app.cli(&["org", "create", "-d", "x"])
        .fails_with("missing --name: the organization name is required");
    app.cli(&["org", "create", "-n", ORG])
        .fails_with(&format!("failed to create org \"{ORG}\": 422 Unprocessable Entity"));
    app.cli(&["org", "delete"]).fails_with("missing --id");
    app.cli(&["org", "update", "-n", "x"]).fails_with("missing --id");
    app.cli(&["org", "delete", "-i", UNKNOWN]).fails_with(&format!(
        "org \"{UNKNOWN}\" not found: 404 Not Found: organization not found"
    ));
    app.cli(&["org", "update", "-i", UNKNOWN, "-n", "x"])
        .fails_with(&format!(
            "failed to update org \"{UNKNOWN}\": 404 Not Found: organization not found"
        ));
    app.cli(&["org", "list", "-n", "nope"])
        .fails_with("failed to list orgs: 404 Not Found");
    app.cli(&["org", "list", "-i", "nope"])
        .fails_with("invalid org ID \"nope\"");
    // Unlike influx, `update --name` does not read INFLUX_ORG (it would rename the org by accident).
    let host = app.host();
    let org = app.org_id();
    app.run(
        &["org", "update", "-i", &org, "-d", "d", "--host", &host, "-t", OPERATOR],
        &[("INFLUX_ORG", "renamed-by-accident")],
    )
    .ok();
    assert_eq!(app.get(&format!("/api/v2/orgs/{org}"), OPERATOR).1["name"], ORG);
    assert_eq!(app.org_count(), 1);

    let dead = format!("http://127.0.0.1:{}", free_port());
    app.run(&["org", "list", "--host", &dead, "-t", OPERATOR], &[])
        .fails_with(&format!("cannot reach {dead}"));
    app.run(&["org", "create", "-n", "x", "--host", &host, "-t", "wrong"], &[])
        .fails_with("401 Unauthorized: unauthorized access (check --token");
    assert_eq!(app.org_count(), 1);
}

// -- org members ----------------------------------------------------------------------------------------------------

#[test]
fn org_members_add_list_and_remove() {
    let app = Fixture::new(NAMES);
    let second = app.cli(&["org", "create", "-n", "second", "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = app.cli(&["user", "create", "-n", "bob", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // influx's flags (--name/-n, --id/-i) and ours (--org/-o, --org-id) name the org.
    let run = app
        .cli(&["org", "members", "add", "--name", "second", "--member", &alice])
        .ok();
    assert_eq!(
        run.stdout,
        format!("user \"{alice}\" has been added as a member of org \"{second}\"\n")
    );
    app.cli(&["org", "members", "add", "--org-id", &second, "-m", &bob])
        .ok();
    assert_eq!(app.member_ids(&second), [alice.clone(), bob.clone()]);

    let list = app.cli(&["org", "members", "list", "-o", "second"]).ok();
    assert_eq!(
        list.cells(),
        [
            vec!["ID", "Name", "User Type", "Status"],
            vec![alice.as_str(), "alice", "member", "active"],
            vec![bob.as_str(), "bob", "member", "active"],
        ]
    );
    assert!(
        list.stdout.starts_with("ID\t\t\tName\tUser Type\tStatus\n"),
        "{:?}",
        list.stdout
    );
    let json = app.cli(&["org", "members", "find", "-i", &second, "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["name"], "bob");
    assert_eq!(json[1]["status"], "active");

    let run = app
        .cli(&["org", "members", "remove", "-n", "second", "-m", &alice])
        .ok();
    assert_eq!(
        run.stdout,
        format!("user \"{alice}\" has been removed from org \"{second}\"\n")
    );
    assert_eq!(app.member_ids(&second), std::slice::from_ref(&bob));
    let ls = app
        .cli(&["org", "members", "ls", "--org-id", &second, "--hide-headers"])
        .ok();
    assert_eq!(ls.cells(), [vec![bob.as_str(), "bob", "member", "active"]]);

    // An empty org lists nothing: `[]` in JSON, as influx prints an empty slice.
    app.cli(&["org", "members", "remove", "-i", &second, "-m", &bob]).ok();
    assert_eq!(
        app.cli(&["org", "members", "list", "-i", &second, "--json"]).json(),
        json!([])
    );
}

#[test]
fn org_members_use_the_configs_org_and_report_errors() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let alice = app.cli(&["user", "create", "-n", "alice", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The configs file supplies host, token and org.
    let configs = app.dir.path().join("configs");
    std::fs::write(
        &configs,
        format!(
            "[default]\n  url = \"{}\"\n  token = \"{OPERATOR}\"\n  org = \"{ORG}\"\n  active = true\n",
            app.host()
        ),
    )
    .unwrap();
    let path = configs.to_str().unwrap();
    let list = app
        .run(&["org", "members", "list", "--configs-path", path, "--json"], &[])
        .json();
    assert_eq!(list[0]["id"], alice.as_str());
    app.run(&["org", "members", "remove", "-m", &alice, "--configs-path", path], &[])
        .ok();
    assert!(app.member_ids(&org).is_empty());
    app.run(
        &["org", "members", "add", "-m", &alice],
        &[("INFLUX_CONFIGS_PATH", path)],
    )
    .ok();
    assert_eq!(app.member_ids(&org), std::slice::from_ref(&alice));

    app.cli(&["org", "members", "add", "-n", ORG, "-m", UNKNOWN])
        .fails_with(&format!(
            "failed to add user \"{UNKNOWN}\" to org \"{org}\": 404 Not Found: user not found"
        ));
    app.cli(&["org", "members", "add", "-n", ORG])
        .fails_with("missing --member");
    app.cli(&["org", "members", "add", "-n", ORG, "-m", "bad"])
        .fails_with("invalid member ID \"bad\"");
    app.cli(&["org", "members", "list", "-i", UNKNOWN]).fails_with(&format!(
        "failed to find members of org \"{UNKNOWN}\": 404 Not Found: organization not found"
    ));
    app.cli(&["org", "members", "list", "-n", "nope"])
        .fails_with("failed to look up the ID of org \"nope\": 404 Not Found");
    app.cli(&["org", "members", "list", "-n", ORG, "-i", &org])
        .fails_with("ambiguous org: use --id or --name, not both");
    app.cli(&["org", "members", "list"])
        .fails_with("must specify org ID or org name");
    app.cli(&["org", "members", "remove", "-i", &org, "-m", UNKNOWN])
        .fails_with(&format!(
            "failed to remove member \"{UNKNOWN}\" from org \"{org}\": 404 Not Found"
        ));
    let dead = format!("http://127.0.0.1:{}", free_port());
    app.run(
        &["org", "members", "list", "-n", ORG, "--host", &dead, "-t", OPERATOR],
        &[],
    )
    .fails_with(&format!("cannot reach {dead}"));
    app.run(
        &[
            "org",
            "members",
            "list",
            "-n",
            ORG,
            "--host",
            &app.host(),
            "-t",
            "wrong",
        ],
        &[],
    )
    .fails_with("401 Unauthorized");
    assert_eq!(app.member_ids(&org), [alice]);
}

// -- the flows, from the CLI ----------------------------------------------------------------------------------

#[test]
fn docs_flow_user2_gets_a_token_which_is_listed_deleted_and_refused() {
    let app = Fixture::new(NAMES);
    // Create user2 → give user2 a token → list user2's tokens → delete the first → that token is refused.
    let user2 = app
        .cli(&[
            "user",
            "create",
            "-n",
            "user2",
            "-o",
            ORG,
            "-p",
            "password123",
            "--json",
        ])
        .json();
    let user2_id = user2["id"].as_str().unwrap().to_owned();
    let created = app
        .cli(&[
            "auth",
            "create",
            "-u",
            "user2",
            "-o",
            ORG,
            "--read-buckets",
            "-d",
            "user2's",
            "--json",
        ])
        .json();
    assert_eq!(created["userID"], user2_id.as_str());
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v2/buckets", &token).0, 200);

    let listed = app.cli(&["auth", "list", "--user", "user2", "--json"]).json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let first = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(first, created["id"].as_str().unwrap());

    app.cli(&["auth", "delete", "--id", &first]).ok();
    let (status, body) = app.get("/api/v2/buckets", &token);
    assert_eq!((status, body["message"].as_str()), (401, Some("unauthorized access")));
    assert_eq!(
        app.cli(&["auth", "list", "--user", "user2", "--json"]).json(),
        Value::Null
    );
}

#[test]
fn deactivating_or_deleting_a_user_from_the_cli_refuses_every_token_of_theirs() {
    let app = Fixture::new(NAMES);
    let id = app.cli(&["user", "create", "-n", "user2", "-o", ORG, "--json"]).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tokens: Vec<String> = (0..2)
        .map(|_| {
            app.cli(&["auth", "create", "-u", "user2", "-o", ORG, "--read-buckets", "--json"])
                .json()["token"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for token in &tokens {
        assert_eq!(app.get("/api/v2/buckets", token).0, 200);
    }

    app.cli(&["user", "update", "-i", &id, "--status", "inactive"]).ok();
    for token in &tokens {
        let (status, body) = app.get("/api/v2/buckets", token);
        assert_eq!((status, body["message"].as_str()), (403, Some("User is inactive")));
    }
    app.cli(&["user", "update", "-i", &id, "--status", "active"]).ok();
    for token in &tokens {
        assert_eq!(app.get("/api/v2/buckets", token).0, 200);
    }

    app.cli(&["user", "delete", "-i", &id]).ok();
    for token in &tokens {
        let (status, body) = app.get("/api/v2/buckets", token);
        assert_eq!((status, body["message"].as_str()), (403, Some("User is inactive")));
    }
}

// -- help -----------------------------------------------------------------------------------------------------------

#[test]
fn user_and_org_help_lists_subcommands_flags_and_examples() {
    let app = Fixture::new(NAMES);
    let help = |args: &[&str]| app.run(args, &[]).ok().stdout;

    let user = help(&["user", "--help"]);
    for word in [
        "create",
        "delete",
        "list",
        "find, ls",
        "update",
        "password",
        "Examples:",
    ] {
        assert!(user.contains(word), "{word:?} not in {user}");
    }
    let create = help(&["user", "create", "--help"]);
    for flag in [
        "--name",
        "--password",
        "--org",
        "--org-id",
        "--host",
        "--token",
        "--json",
        "--hide-headers",
        "--configs-path",
        "--active-config",
        "--http-debug",
        "Examples:",
    ] {
        assert!(create.contains(flag), "{flag:?} not in user create --help");
    }
    assert!(help(&["user", "update", "--help"]).contains("--status"));
    let password = help(&["user", "password", "--help"]);
    assert!(
        password.contains("--password") && !password.contains("--json"),
        "{password}"
    );

    let org = help(&["org", "--help"]);
    for word in ["create", "delete", "list", "find, ls", "update", "members", "Examples:"] {
        assert!(org.contains(word), "{word:?} not in {org}");
    }
    let members = help(&["organization", "members", "--help"]);
    for word in ["add", "list", "remove"] {
        assert!(members.contains(word), "{word:?} not in {members}");
    }
    let add = help(&["org", "members", "add", "--help"]);
    for flag in ["--member", "--name", "--id", "--org", "--org-id", "Examples:"] {
        assert!(add.contains(flag), "{flag:?} not in org members add --help");
    }
    let top = help(&["--help"]);
    assert!(top.contains("user") && top.contains("org"), "{top}");
}
