//! `influx-authz v1 auth …`: the real binary as a subprocess against a real server (another child process),
//! checking output, exit codes, the requests sent (`--http-debug`), the server's state afterwards, and whether the
//! v1 credentials are accepted by the check endpoint (`?u=&p=`) after each change.

use reqwest::{Method, Url};
use serde_json::{Value, json};

use crate::cli_support::{Fixture, Names, run_in, terminal_available};

const OPERATOR: &str = "v1-operator-token";
const ORG: &str = "v1-org";
const BUCKET: &str = "v1-bucket";
const NAMES: Names = Names {
    operator: OPERATOR,
    org: ORG,
    bucket: BUCKET,
};

const UNKNOWN: &str = "0000000000000001";
const PASSWORD: &str = "ExAmPl3PA55W0rD";
const LEGACY: &str = "/private/legacy/authorizations";

impl Fixture {
    /// `v1 auth <sub> <args…> --host <server> --token <operator>`.
    fn v1(&self, sub: &str, args: &[&str]) -> crate::cli_support::Run {
        let mut words = vec!["v1", "auth", sub];
        words.extend_from_slice(args);
        self.cli(&words)
    }

    fn admin(&self) -> String {
        let (_, me) = self.get("/api/v2/me", OPERATOR);
        me["id"].as_str().unwrap().to_owned()
    }

    fn bucket(&self) -> String {
        let (_, buckets) = self.get(&format!("/api/v2/buckets?name={BUCKET}"), OPERATOR);
        buckets["buckets"][0]["id"].as_str().unwrap().to_owned()
    }

    /// The v1 authorizations as the server lists them (to the operator).
    fn v1_list(&self) -> Vec<Value> {
        let (status, list) = self.get(LEGACY, OPERATOR);
        assert_eq!(status, 200, "{list}");
        list["authorizations"].as_array().unwrap().clone()
    }

    /// `/api/v2/authz/check?permission=<permission>&u=<username>&p=<password>`: the status.
    fn check(&self, permission: &str, username: &str, password: &str) -> u16 {
        let url = Url::parse_with_params(
            &self.server.url("/api/v2/authz/check"),
            &[("permission", permission), ("u", username), ("p", password)],
        )
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async { reqwest::get(url).await.unwrap().status().as_u16() })
    }

    /// Whether `username`/`password` may read the fixture's bucket through the check endpoint (204), or are refused
    /// (401); anything else fails the test.
    fn v1_works(&self, username: &str, password: &str) -> bool {
        let permission = format!("read:orgs/{}/buckets/{}", self.org_id(), self.bucket());
        match self.check(&permission, username, password) {
            204 => true,
            401 => false,
            other => panic!("check answered {other}"),
        }
    }
}

fn permissions(auth: &Value) -> Vec<String> {
    auth["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

/// Whether `keys` appear in this order in `text` (serde_json's `Value` sorts them).
fn in_order(text: &str, keys: &[&str]) -> bool {
    let at: Vec<usize> = keys.iter().map(|k| text.find(&format!("\"{k}\":")).unwrap()).collect();
    at.windows(2).all(|w| w[0] < w[1])
}

/// The request lines `--http-debug` printed: `GET http://…/path?query`.
fn requests(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("> "))
        .filter(|line| !line.starts_with("Authorization") && !line.starts_with("Cookie"))
        .map(str::to_owned)
        .collect()
}

// -- create ---------------------------------------------------------------------------------------------------------

#[test]
fn create_prints_influxs_v1_table_and_the_credentials_work() {
    let app = Fixture::new(NAMES);
    let (org, bucket, admin) = (app.org_id(), app.bucket(), app.admin());
    let host = app.host();

    let run = app
        .v1(
            "create",
            &[
                "--username",
                "example-user",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "--write-bucket",
                &bucket,
                "-d",
                "grafana",
                "-o",
                ORG,
                "--http-debug",
            ],
        )
        .ok();

    // influx's requests: the org, the username check, the create, the password, the owner.
    let stored = app.v1_list();
    assert_eq!(stored.len(), 1);
    let id = stored[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        requests(&run.stderr),
        [
            format!("GET {host}/api/v2/orgs?org={ORG}"),
            format!("GET {host}{LEGACY}?token=example-user"),
            format!("POST {host}{LEGACY}"),
            format!("POST {host}{LEGACY}/{id}/password"),
            format!("GET {host}/api/v2/users/{admin}"),
        ]
    );
    assert!(!run.stderr.contains(PASSWORD) && !run.stderr.contains(OPERATOR));

    // influx's columns: the username under Username, the owner as the v2 user.
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(
        lines[0],
        "ID\t\t\tDescription\tUsername\tv2 User Name\tv2 User ID\t\tPermissions"
    );
    assert_eq!(
        lines[1],
        format!(
            "{id}\tgrafana\t\texample-user\tadmin\t\t{admin}\t[read:orgs/{org}/buckets/{bucket} write:orgs/{org}/buckets/{bucket}]"
        )
    );

    // The server holds it as sent, apart from the v2 tokens.
    assert_eq!(stored[0]["token"], "example-user");
    assert_eq!(stored[0]["description"], "grafana");
    assert_eq!(stored[0]["orgID"], org.as_str());
    assert_eq!(stored[0]["userID"], admin.as_str());
    assert_eq!(stored[0]["status"], "active");
    assert_eq!(app.token_count(), 1, "v2 lists never show v1 authorizations");
    assert!(app.v1_works("example-user", PASSWORD));
    assert!(!app.v1_works("example-user", "wrong-password"));
}

#[test]
fn create_json_and_no_password_then_set_password() {
    let app = Fixture::new(NAMES);
    let (org, bucket, admin) = (app.org_id(), app.bucket(), app.admin());

    let run = app
        .v1(
            "create",
            &[
                "--username",
                "telegraf",
                "--no-password",
                "--write-bucket",
                &bucket,
                "--org-id",
                &org,
                "--json",
            ],
        )
        .ok();
    let created: Value = serde_json::from_str(&run.stdout).unwrap();

    assert_eq!(created.as_object().unwrap().len(), 7, "{created}");
    assert!(
        in_order(
            &run.stdout,
            &[
                "id",
                "description",
                "token",
                "status",
                "userName",
                "userID",
                "permissions"
            ]
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.starts_with("{\n\t\"id\": "),
        "tab-indented like Go: {}",
        run.stdout
    );
    assert_eq!(created["token"], "telegraf");
    assert_eq!(created["description"], "");
    assert_eq!(created["status"], "active");
    assert_eq!(created["userName"], "admin");
    assert_eq!(created["userID"], admin.as_str());
    assert_eq!(permissions(&created), [format!("write:orgs/{org}/buckets/{bucket}")]);
    let id = created["id"].as_str().unwrap();
    let (status, stored) = app.get(&format!("{LEGACY}/{id}"), OPERATOR);
    assert_eq!((status, &stored["token"]), (200, &json!("telegraf")));

    // No password: nothing works until one is set.
    let write = format!("write:orgs/{org}/buckets/{bucket}");
    assert_eq!(app.check(&write, "telegraf", PASSWORD), 401);
    let run = app
        .cli(&["v1", "auth", "set-password", "--id", id, "--password", PASSWORD])
        .ok();
    assert_eq!(run.stdout, "", "influx prints nothing");
    assert_eq!(app.check(&write, "telegraf", PASSWORD), 204);
    assert_eq!(
        app.check(&format!("read:orgs/{org}/buckets/{bucket}"), "telegraf", PASSWORD),
        403
    );
}

#[test]
fn create_takes_host_token_and_org_from_the_configs_file() {
    let app = Fixture::new(NAMES);
    let (org, bucket) = (app.org_id(), app.bucket());
    let configs = format!(
        "[local]\n  url = \"{}\"\n  token = \"{OPERATOR}\"\n  org = \"{ORG}\"\n  active = true\n",
        app.host()
    );
    std::fs::create_dir_all(app.dir.path().join(".influxdbv2")).unwrap();
    std::fs::write(app.dir.path().join(".influxdbv2").join("configs"), configs).unwrap();

    let created = app
        .run(
            &[
                "v1",
                "authorization",
                "create",
                "--username",
                "from-config",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "-o",
                ORG,
                "--json",
            ],
            &[],
        )
        .json();
    assert_eq!(permissions(&created), [format!("read:orgs/{org}/buckets/{bucket}")]);
    assert!(app.v1_works("from-config", PASSWORD));

    // The environment's flags work as for `auth`.
    let listed = app
        .run(
            &["v1", "auth", "list"],
            &[("INFLUX_OUTPUT_JSON", "true"), ("INFLUX_ORG", ORG)],
        )
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["token"], "from-config");
}

// -- list -----------------------------------------------------------------------------------------------------------

#[test]
fn list_sends_influxs_filters_and_prints_table_or_json() {
    let app = Fixture::new(NAMES);
    let (org, bucket, admin) = (app.org_id(), app.bucket(), app.admin());
    let host = app.host();
    let (status, alice) = app.call(Method::POST, "/api/v2/users", OPERATOR, Some(json!({"name": "alice"})));
    assert_eq!(status, 201);
    let alice = alice["id"].as_str().unwrap().to_owned();
    app.v1(
        "create",
        &[
            "--username",
            "admins-v1",
            "--no-password",
            "--read-bucket",
            &bucket,
            "-o",
            ORG,
        ],
    )
    .ok();
    let read = json!([{"action": "read", "resource": {"type": "buckets", "id": bucket, "orgID": org}}]);
    let body = json!({"token": "alices-v1", "orgID": org, "userID": alice, "description": "hers", "permissions": read});
    let (status, hers) = app.call(Method::POST, LEGACY, OPERATOR, Some(body));
    assert_eq!(status, 201, "{hers}");
    let hers = hers["id"].as_str().unwrap().to_owned();

    // Everything: a header and a row each, with each owner looked up.
    let all = app.v1("list", &["--http-debug"]).ok();
    assert_eq!(all.stdout.lines().count(), 3, "{}", all.stdout);
    assert!(all.stdout.starts_with("ID\t"));
    let mut sent = requests(&all.stderr);
    assert_eq!(sent.remove(0), format!("GET {host}{LEGACY}"));
    sent.sort();
    let mut owners = [
        format!("GET {host}/api/v2/users/{admin}"),
        format!("GET {host}/api/v2/users/{alice}"),
    ];
    owners.sort();
    assert_eq!(sent, owners);
    let row = all.cells().into_iter().find(|cells| cells[0] == hers).unwrap();
    assert_eq!(
        row,
        [
            hers.clone(),
            "hers".into(),
            "alices-v1".into(),
            "alice".into(),
            alice.clone(),
            format!("[read:orgs/{org}/buckets/{bucket}]")
        ]
    );
    for alias in ["ls", "find"] {
        assert_eq!(app.v1(alias, &[]).ok().stdout, all.stdout);
    }
    let hidden = app.v1("list", &["--hide-headers"]).ok();
    assert_eq!(hidden.stdout.lines().count(), 2);
    assert!(!hidden.stdout.contains("Username"));

    // Each filter is sent under influx's name, and only the filters given.
    let filters: [(&[&str], &str); 6] = [
        (&["--user", "alice"], "user=alice"),
        (&["--user-id", &alice], &format!("userID={alice}")),
        (&["--username", "alices-v1"], "token=alices-v1"),
        (&["--id", &hers], &format!("authID={hers}")),
        (&["--org", ORG], &format!("org={ORG}")),
        (&["--org-id", &org, "-u", "alice"], &format!("user=alice&orgID={org}")),
    ];
    for (flags, query) in filters {
        let mut args = flags.to_vec();
        args.extend(["--json", "--http-debug"]);
        let run = app.v1("list", &args);
        assert_eq!(
            requests(&run.stderr)[0],
            format!("GET {host}{LEGACY}?{query}"),
            "{flags:?}"
        );
        let listed = run.json();
        let ids: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let expected = if flags.contains(&"--org") { 2 } else { 1 };
        assert_eq!(ids.len(), expected, "{flags:?}: {listed}");
        if expected == 1 {
            assert_eq!(ids, [hers.as_str()], "{flags:?}");
            assert_eq!(listed[0]["userName"], "alice");
            assert_eq!(listed[0]["description"], "hers");
        }
    }

    // None: influx's `null`, or only the header.
    let (status, bob) = app.call(Method::POST, "/api/v2/users", OPERATOR, Some(json!({"name": "bob"})));
    assert_eq!(status, 201);
    let bob = bob["id"].as_str().unwrap();
    assert_eq!(app.v1("list", &["--user-id", bob, "--json"]).ok().stdout, "null\n");
    assert_eq!(app.v1("list", &["--user-id", bob]).ok().stdout.lines().count(), 1);
    // v2 tokens never show up here.
    assert_eq!(app.v1_list().len(), 2);
    assert_eq!(app.v1("list", &["--json"]).json().as_array().unwrap().len(), 2);
}

// -- set-active, set-inactive ---------------------------------------------------------------------------------------

#[test]
fn set_inactive_refuses_the_credentials_and_set_active_restores_them() {
    let app = Fixture::new(NAMES);
    let bucket = app.bucket();
    let host = app.host();
    let created = app
        .v1(
            "create",
            &[
                "--username",
                "grafana",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "-o",
                ORG,
                "--json",
            ],
        )
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(app.v1_works("grafana", PASSWORD));

    // By username: looked up with ?token=, then PATCHed, then the owner.
    let run = app.v1("set-inactive", &["--username", "grafana", "--http-debug"]).ok();
    assert_eq!(
        requests(&run.stderr),
        [
            format!("GET {host}{LEGACY}?token=grafana"),
            format!("PATCH {host}{LEGACY}/{id}"),
            format!("GET {host}/api/v2/users/{}", app.admin()),
        ]
    );
    let cells = run.cells();
    assert_eq!(cells.len(), 2, "{}", run.stdout);
    assert_eq!(
        cells[0],
        [
            "ID",
            "Description",
            "Username",
            "v2 User Name",
            "v2 User ID",
            "Permissions"
        ]
    );
    assert_eq!(cells[1][..4], [id.as_str(), "grafana", "admin", app.admin().as_str()]);
    assert_eq!(app.get(&format!("{LEGACY}/{id}"), OPERATOR).1["status"], "inactive");
    assert!(!app.v1_works("grafana", PASSWORD), "refused on the very next request");

    // By ID, as JSON.
    let active = app.v1("set-active", &["--id", &id, "--json"]).json();
    assert_eq!(active["status"], "active");
    assert_eq!(active["token"], "grafana");
    assert!(app.v1_works("grafana", PASSWORD));
    let inactive = app.v1("set-inactive", &["-i", &id, "--json"]).json();
    assert_eq!(inactive["status"], "inactive");
    assert!(!app.v1_works("grafana", PASSWORD));
    let hidden = app.v1("set-active", &["--username", "grafana", "--hide-headers"]).ok();
    assert_eq!(hidden.stdout.lines().count(), 1);
    assert!(hidden.stdout.starts_with(&id));
    assert!(app.v1_works("grafana", PASSWORD));

    app.v1("set-active", &["--id", UNKNOWN]).fails_with(&format!(
        "failed to update status of authorization with ID \"{UNKNOWN}\": 404 Not Found: authorization not found"
    ));
    app.v1("set-inactive", &["--username", "nobody"])
        .fails_with("could not find v1 auth with token (username) \"nobody\"");
    app.v1("set-inactive", &[]).fails_with("id or username required");
    app.v1("set-inactive", &["--id", &id, "--username", "grafana"])
        .fails_with("specify id or username, not both");
    assert!(app.v1_works("grafana", PASSWORD), "no failed command changed anything");
}

// -- set-password ---------------------------------------------------------------------------------------------------

#[test]
fn set_password_replaces_the_password_by_id_or_username() {
    let app = Fixture::new(NAMES);
    let bucket = app.bucket();
    let host = app.host();
    let created = app
        .v1(
            "create",
            &[
                "--username",
                "writer",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "-o",
                ORG,
                "--json",
            ],
        )
        .json();
    let id = created["id"].as_str().unwrap().to_owned();

    let run = app
        .cli(&[
            "v1",
            "auth",
            "set-password",
            "--username",
            "writer",
            "--password",
            "second-password",
            "--http-debug",
        ])
        .ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        requests(&run.stderr),
        [
            format!("GET {host}{LEGACY}?token=writer"),
            format!("POST {host}{LEGACY}/{id}/password"),
        ]
    );
    assert!(!run.stderr.contains("second-password"));
    assert!(!app.v1_works("writer", PASSWORD));
    assert!(app.v1_works("writer", "second-password"));

    app.cli(&["v1", "auth", "set-password", "-i", &id, "--password", "third-password"])
        .ok();
    assert!(app.v1_works("writer", "third-password"));

    // Errors, each on one line, none changing the password.
    let set = |args: &[&str]| {
        let mut words = vec!["v1", "auth", "set-password"];
        words.extend_from_slice(args);
        app.cli(&words)
    };
    set(&["--id", &id, "--password", "short"]).fails_with("password is too short");
    set(&["--id", UNKNOWN, "--password", "fourth-password"])
        .fails_with("error setting password: 404 Not Found: authorization not found");
    set(&["--username", "nobody", "--password", "fourth-password"])
        .fails_with("could not find v1 auth with token (username) \"nobody\"");
    set(&["--password", "fourth-password"]).fails_with("id or username required");
    set(&["--id", &id, "--username", "writer", "--password", "fourth-password"])
        .fails_with("specify id or username, not both");
    set(&["--id", &id]).fails_with("missing --password: the password is asked for only when a terminal is attached");
    set(&["--id", "not-an-id", "--password", "fourth-password"]).fails_with("invalid authorization ID \"not-an-id\"");
    assert!(app.v1_works("writer", "third-password"));
    // Like influx, set-password has no printing flags.
    assert_ne!(set(&["--id", &id, "--password", "fourth-password", "--json"]).code, 0);
    assert!(app.v1_works("writer", "third-password"));
}

// -- delete ---------------------------------------------------------------------------------------------------------

#[test]
fn delete_prints_the_deleted_authorization_and_its_credentials_stop_working() {
    let app = Fixture::new(NAMES);
    let (org, bucket, admin) = (app.org_id(), app.bucket(), app.admin());
    let host = app.host();
    let id = app
        .v1(
            "create",
            &[
                "--username",
                "old-app",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "-o",
                ORG,
                "--json",
            ],
        )
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(app.v1_works("old-app", PASSWORD));

    let run = app.v1("delete", &["--username", "old-app", "--http-debug"]).ok();

    assert_eq!(
        requests(&run.stderr),
        [
            format!("GET {host}{LEGACY}?token=old-app"),
            format!("GET {host}{LEGACY}/{id}"),
            format!("DELETE {host}{LEGACY}/{id}"),
            format!("GET {host}/api/v2/users/{admin}"),
        ]
    );
    let cells = run.cells();
    assert_eq!(cells.len(), 2, "{}", run.stdout);
    assert_eq!(cells[0].last().map(String::as_str), Some("Deleted"));
    assert_eq!(
        cells[1],
        [
            id.clone(),
            "old-app".into(),
            "admin".into(),
            admin.clone(),
            format!("[read:orgs/{org}/buckets/{bucket}]"),
            "true".into()
        ]
    );
    assert!(!app.v1_works("old-app", PASSWORD), "refused on the very next request");
    assert_eq!(app.get(&format!("{LEGACY}/{id}"), OPERATOR).0, 404);
    assert!(app.v1_list().is_empty());

    app.v1("delete", &["--id", &id])
        .fails_with(&format!("could not find Authorization from ID \"{id}\": 404 Not Found"));
    app.v1("delete", &["--username", "old-app"])
        .fails_with("could not find v1 auth with token (username) \"old-app\"");
    app.v1("delete", &[]).fails_with("id or username required");

    // The username is free again; delete by ID prints JSON.
    let again = app
        .v1(
            "create",
            &[
                "--username",
                "old-app",
                "--password",
                PASSWORD,
                "--read-bucket",
                &bucket,
                "-o",
                ORG,
                "--json",
            ],
        )
        .json();
    let again = again["id"].as_str().unwrap();
    assert!(app.v1_works("old-app", PASSWORD));
    let deleted = app.v1("delete", &["--id", again, "--json"]).json();
    assert_eq!(deleted["id"], again);
    assert_eq!(deleted["token"], "old-app");
    assert!(deleted.get("deleted").is_none(), "influx's JSON has no deleted field");
    assert!(!app.v1_works("old-app", PASSWORD));
}

// -- errors ---------------------------------------------------------------------------------------------------------

#[test]
fn create_errors_are_one_line_and_create_nothing() {
    let app = Fixture::new(NAMES);
    let (org, bucket) = (app.org_id(), app.bucket());
    app.v1(
        "create",
        &[
            "--username",
            "taken",
            "--password",
            PASSWORD,
            "--read-bucket",
            &bucket,
            "-o",
            ORG,
        ],
    )
    .ok();
    // In the active org unless the test names another.
    let create = |args: &[&str]| {
        let mut all = args.to_vec();
        if !args.iter().any(|a| a.starts_with("--org") || *a == "-o") {
            all.extend(["-o", ORG]);
        }
        app.v1("create", &all)
    };

    // A duplicate username: found by influx's check before anything is asked or created.
    create(&[
        "--username",
        "taken",
        "--password",
        "other-password",
        "--read-bucket",
        &bucket,
    ])
    .fails_with("authorization with username \"taken\" already exists");
    assert!(app.v1_works("taken", PASSWORD));
    create(&["--username", "new", "--password", "short", "--read-bucket", &bucket])
        .fails_with("password is too short: it must be at least 8 characters (--password)");
    create(&[
        "--username",
        "new",
        "--password",
        PASSWORD,
        "--no-password",
        "--read-bucket",
        &bucket,
    ])
    .fails_with("only one of --password and --no-password may be specified");
    create(&["--password", PASSWORD, "--read-bucket", &bucket]).fails_with("missing --username");
    create(&["--username", "new", "--read-bucket", &bucket])
        .fails_with("missing --password or --no-password: the password is asked for only when a terminal is attached");
    create(&["--username", "new", "--no-password", "--read-bucket", BUCKET])
        .fails_with("did you pass a bucket name instead of an ID?");
    create(&[
        "--username",
        "new",
        "--no-password",
        "--read-bucket",
        &bucket,
        "--org",
        ORG,
        "--org-id",
        &org,
    ])
    .fails_with("ambiguous org");
    create(&[
        "--username",
        "new",
        "--no-password",
        "--read-bucket",
        &bucket,
        "--org",
        "nope",
    ])
    .fails_with("failed to look up the ID of org \"nope\": 404 Not Found");
    app.v1(
        "create",
        &["--username", "new", "--no-password", "--read-bucket", &bucket],
    )
    .fails_with("must specify org ID or org name");
    create(&["--username", "new", "--password", PASSWORD, "-o", ORG])
        .fails_with("failed to create new authorization: 400 Bad Request: authorization must include permissions");
    let run = app.run(
        &[
            "v1",
            "auth",
            "create",
            "--username",
            "new",
            "--no-password",
            "--read-bucket",
            &bucket,
            "-o",
            ORG,
            "--host",
            &app.host(),
            "--token",
            "not-a-token",
        ],
        &[],
    );
    run.fails_with("401 Unauthorized");

    assert_eq!(app.v1_list().len(), 1, "only the first one");
    assert!(!app.v1_works("new", PASSWORD));
}

// -- prompts --------------------------------------------------------------------------------------------------------

#[test]
fn create_and_set_password_ask_twice_when_a_terminal_is_attached() {
    // `script` gives the binary a pseudo-terminal; the answers are typed ahead on its stdin.
    if !terminal_available() {
        return;
    }
    let app = Fixture::new(NAMES);
    let bucket = app.bucket();
    let common = format!("--host {} --token {OPERATOR} --org {ORG}", app.host());

    // Too short (asked again), then the same password twice.
    let (success, screen) = app.in_terminal(
        &format!("v1 auth create --username prompted --read-bucket {bucket} {common}"),
        format!("short\n{PASSWORD}\n{PASSWORD}\n").as_bytes(),
    );
    assert!(success, "{screen}");
    for text in [
        "Please type your password: ",
        "at least 8 characters",
        "Please type your password again: ",
        "\tprompted\t",
    ] {
        assert!(screen.contains(text), "{text:?} not in {screen}");
    }
    assert!(app.v1_works("prompted", PASSWORD));

    // Answers that differ: influx's error, and nothing created.
    let (success, screen) = app.in_terminal(
        &format!("v1 auth create --username mismatch --read-bucket {bucket} {common}"),
        b"password123\npassword124\n",
    );
    assert!(!success, "{screen}");
    assert!(screen.contains("Error: Passwords do not match"), "{screen}");
    assert_eq!(app.v1_list().len(), 1);

    // set-password asks for the new one the same way.
    let (success, screen) = app.in_terminal(
        &format!(
            "v1 auth set-password --username prompted --host {} --token {OPERATOR}",
            app.host()
        ),
        b"new-password-1\nnew-password-1\n",
    );
    assert!(success, "{screen}");
    assert!(screen.contains("Please type new password: "), "{screen}");
    assert!(screen.contains("Please type new password again: "), "{screen}");
    assert!(!app.v1_works("prompted", PASSWORD));
    assert!(app.v1_works("prompted", "new-password-1"));
}

// -- help -----------------------------------------------------------------------------------------------------------

#[test]
fn help_lists_the_v1_auth_subcommands_and_influxs_flags() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| run_in(dir.path(), args, &[]).ok().stdout;
    assert!(help(&["--help"]).contains("\n  v1 "));
    let auth = help(&["v1", "auth", "--help"]);
    for sub in [
        "create",
        "delete",
        "list",
        "set-active",
        "set-inactive",
        "set-password",
        "Examples:",
    ] {
        assert!(auth.contains(sub), "{sub:?} not in v1 auth --help");
    }
    let create = help(&["v1", "authorization", "create", "--help"]);
    for flag in [
        "--username",
        "--password",
        "--no-password",
        "--read-bucket",
        "--write-bucket",
        "--org",
        "--org-id",
        "--description",
        "--host",
        "--token",
        "--configs-path",
        "--active-config",
        "--json",
        "--hide-headers",
    ] {
        assert!(create.contains(flag), "{flag:?} not in v1 auth create --help");
    }
    let list = help(&["v1", "auth", "ls", "--help"]);
    for flag in [
        "--id",
        "--username",
        "--user",
        "--user-id",
        "--org",
        "--org-id",
        "--json",
    ] {
        assert!(list.contains(flag), "{flag:?} not in v1 auth list --help");
    }
    let password = help(&["v1", "auth", "set-password", "--help"]);
    assert!(password.contains("--password") && password.contains("--username"));
    assert!(!password.contains("--json"), "set-password has no printing flags");
}
