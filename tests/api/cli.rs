//! `influx-authz auth …` and `influx-authz setup`: the real binary as a subprocess against a real server (another
//! child process), checking output, exit codes and the server's state afterwards.

use reqwest::Method;
use serde_json::{Value, json};
use tests::free_port;

use crate::cli_support::{Fixture, Names, call, run_in, terminal_available};

const OPERATOR: &str = "cli-operator-token";
const ORG: &str = "cli-org";
const BUCKET: &str = "cli-bucket";
const NAMES: Names = Names {
    operator: OPERATOR,
    org: ORG,
    bucket: BUCKET,
};

impl Fixture {
    fn admin_id(&self) -> String {
        let (_, me) = self.get("/api/v2/me", OPERATOR);
        me["id"].as_str().unwrap().to_owned()
    }

    fn bucket_id(&self) -> String {
        let (_, buckets) = self.get(&format!("/api/v2/buckets?name={BUCKET}"), OPERATOR);
        buckets["buckets"][0]["id"].as_str().unwrap().to_owned()
    }

    fn create_user(&self, name: &str) -> String {
        let (status, user) = self.call(Method::POST, "/api/v2/users", OPERATOR, Some(json!({ "name": name })));
        assert_eq!(status, 201, "{user}");
        user["id"].as_str().unwrap().to_owned()
    }
}

fn permissions(token: &Value) -> Vec<String> {
    token["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

// -- list, output ---------------------------------------------------------------------------------------------------

#[test]
fn list_prints_influxs_aligned_table_with_a_status_column() {
    let app = Fixture::new(NAMES);
    let (_, tokens) = app.get("/api/v2/authorizations", OPERATOR);
    let id = tokens["authorizations"][0]["id"].as_str().unwrap().to_owned();
    let admin = app.admin_id();

    let run = app.auth("list", &["--skip-verify"]).ok();

    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(
        lines[0],
        "ID\t\t\tDescription\tToken\tUser Name\tUser ID\t\t\tStatus\tPermissions"
    );
    let row_start =
        format!("{id}\tadmin's Token\t\tadmin\t\t{admin}\tactive\t[read:/authorizations write:/authorizations ");
    assert!(lines[1].starts_with(&row_start), "{:?}", lines[1]);
    assert!(
        lines[1].ends_with("read:/replications write:/replications]"),
        "{:?}",
        lines[1]
    );
    assert!(!lines[1].contains("instance"));
    assert_eq!(run.stderr, "");

    // The aliases print the same, and --hide-headers drops the header line.
    let host = app.host();
    let common = ["--host", host.as_str(), "-t", OPERATOR];
    for alias in [["auth", "find"], ["auth", "ls"], ["authorization", "list"]] {
        let args: Vec<&str> = alias.iter().chain(common.iter()).copied().collect();
        assert_eq!(app.run(&args, &[]).ok().stdout, run.stdout);
    }
    let hidden = app.auth("list", &["--hide-headers"]).ok();
    assert_eq!(hidden.stdout.lines().count(), 1);
    assert!(hidden.stdout.starts_with(&id));
}

#[test]
fn list_sends_only_the_given_filters_and_prints_null_for_none_in_json() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let admin = app.admin_id();
    let alice = app.create_user("alice");
    let bob = app.create_user("bob");
    let read_buckets = json!([{"action": "read", "resource": {"type": "buckets", "orgID": org}}]);
    let (alice_token, _) = app.create_token(json!({"orgID": org, "userID": alice, "permissions": read_buckets}));

    let by_name = app.auth("list", &["--user", "alice", "--json"]).json();
    assert_eq!(by_name.as_array().unwrap().len(), 1);
    assert_eq!(by_name[0]["id"], alice_token.as_str());
    assert_eq!(by_name[0]["userName"], "alice");
    assert_eq!(by_name[0]["userID"], alice.as_str());
    assert_eq!(by_name[0]["status"], "active");
    assert_eq!(permissions(&by_name[0]), [format!("read:orgs/{org}/buckets")]);

    let by_id = app.auth("list", &["--user-id", &admin, "--json"]).json();
    assert_eq!(by_id.as_array().unwrap().len(), 1);
    assert_eq!(by_id[0]["userName"], "admin");

    assert_eq!(
        app.auth("list", &["--org", ORG, "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.auth("list", &["--org-id", &org, "-u", "alice", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let none = app.auth("list", &["--user-id", &bob, "--json"]).ok();
    assert_eq!(none.stdout, "null\n");
    let none = app.auth("list", &["--user-id", &bob]).ok();
    assert_eq!(none.stdout.lines().count(), 1, "only the header: {}", none.stdout);

    // --id wins over the other filters and prints one object.
    let one = app
        .auth("list", &["--id", &alice_token, "--user", "bob", "--json"])
        .json();
    assert_eq!(one["id"], alice_token.as_str());

    app.auth("list", &["--user", "nobody"])
        .fails_with("404 Not Found: user not found");
    app.auth("list", &["--id", "0000000000000001"])
        .fails_with("could not find authorization with ID \"0000000000000001\": 404 Not Found");
}

// -- create -----------------------------------------------------------------------------------------------------

#[test]
fn create_prints_the_new_token_once_and_the_server_holds_it() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let bucket = app.bucket_id();

    let created = app
        .auth(
            "create",
            &[
                "-o",
                ORG,
                "--read-bucket",
                &bucket,
                "--write-bucket",
                &bucket,
                "--read-dashboards",
                "-d",
                "iot device",
                "--json",
            ],
        )
        .json();

    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 88);
    assert_eq!(created["description"], "iot device");
    assert_eq!(created["status"], "active");
    assert_eq!(created["userName"], "admin");
    assert_eq!(
        permissions(&created),
        [
            format!("read:orgs/{org}/buckets/{bucket}"),
            format!("write:orgs/{org}/buckets/{bucket}"),
            format!("read:orgs/{org}/dashboards"),
        ]
    );
    let id = created["id"].as_str().unwrap();
    let (status, stored) = app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR);
    assert_eq!(status, 200);
    assert_eq!(stored["description"], "iot device");
    assert_eq!(stored["token"], "", "hashed: the plaintext is shown only by create");
    assert_eq!(stored["permissions"].as_array().unwrap().len(), 3);
    let (status, buckets) = app.get("/api/v2/buckets", &token);
    assert_eq!(status, 200);
    assert_eq!(buckets["buckets"][0]["id"], bucket.as_str());

    // The table form shows the token too, with the Status column.
    let table = app.auth("create", &["--org-id", &org, "--read-tasks"]).ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("ID\t"));
    assert!(lines[1].contains("\tactive\t[read:orgs/"), "{:?}", lines[1]);
    assert_eq!(app.token_count(), 3);
}

#[test]
fn create_for_another_user_with_global_orgs_and_users_flags() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let alice = app.create_user("alice");

    let created = app
        .auth(
            "create",
            &[
                "--org",
                ORG,
                "--user",
                "alice",
                "--write-users",
                "--read-orgs",
                "--read-buckets",
                "--json",
            ],
        )
        .json();

    assert_eq!(created["userName"], "alice");
    assert_eq!(created["userID"], alice.as_str());
    // In influx's flag order; orgs and users never carry the org.
    assert_eq!(
        permissions(&created),
        [
            format!("read:orgs/{org}/buckets"),
            "read:/orgs".into(),
            "write:/users".into()
        ]
    );

    app.auth("create", &["--org", ORG, "--user", "nobody", "--read-buckets"])
        .fails_with("could not find user with name \"nobody\"");
    app.auth("create", &["--org", "no-such-org", "--read-buckets"])
        .fails_with("no-such-org");
    app.auth("create", &["--read-buckets"])
        .fails_with("must specify org ID or org name");
    app.auth("create", &["--org", ORG, "--read-bucket", "my-bucket"])
        .fails_with("invalid bucket ID \"my-bucket\" in --read-bucket");
    app.auth("create", &["--org", ORG, "--read-flows"])
        .fails_with("could not write auth with provided arguments: 400");
    assert_eq!(app.token_count(), 2);
}

#[test]
fn all_access_and_operator_build_influxs_permission_sets() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let admin = app.admin_id();

    let all_access = app.auth("create", &["-o", ORG, "--all-access", "--json"]).json();
    let perms = permissions(&all_access);
    assert_eq!(perms.len(), 43);
    assert!(perms.contains(&format!("read:/orgs/{org}")));
    assert!(!perms.contains(&format!("write:/orgs/{org}")));
    assert!(perms.contains(&format!("read:/users/{admin}")));
    assert!(perms.contains(&format!("write:/users/{admin}")));
    assert!(perms.contains(&format!("write:orgs/{org}/buckets")));
    assert!(perms.iter().all(|p| !p.contains("instance")));

    let operator = app.auth("create", &["-o", ORG, "--operator", "--json"]).json();
    let perms = permissions(&operator);
    assert_eq!(perms.len(), 44);
    assert!(
        perms
            .iter()
            .all(|p| p.starts_with("read:/") || p.starts_with("write:/")),
        "{perms:?}"
    );
    assert!(perms.iter().all(|p| !p.contains("instance")));
    let (status, _) = app.get("/api/v2/orgs", operator["token"].as_str().unwrap());
    assert_eq!(status, 200);
}

// -- delete, the docs' flow --------------------------------------------------------------------------------------

#[test]
fn docs_flow_find_then_delete_and_the_token_is_refused_on_the_next_request() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let body = json!({"orgID": org, "description": "to delete",
                      "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]});
    let (_, token) = app.create_token(body);
    assert_eq!(app.get("/api/v2/buckets", &token).0, 200);

    // `influx auth find` → pick the ID.
    let found = app.auth("find", &["--user", "admin", "--json"]).json();
    let entry = found
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["description"] == "to delete")
        .unwrap();
    let id = entry["id"].as_str().unwrap().to_owned();

    // `influx auth delete --id`.
    let deleted = app.auth("delete", &["--id", &id]).ok();
    let lines: Vec<&str> = deleted.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", deleted.stdout);
    let headers: Vec<&str> = lines[0].split('\t').filter(|h| !h.is_empty()).collect();
    assert_eq!(
        headers,
        [
            "ID",
            "Description",
            "Token",
            "User Name",
            "User ID",
            "Status",
            "Permissions",
            "Deleted"
        ]
    );
    assert!(lines[1].starts_with(&format!("{id}\tto delete\t")), "{:?}", lines[1]);
    assert!(
        lines[1].ends_with(&format!("[read:orgs/{org}/buckets]\ttrue")),
        "{:?}",
        lines[1]
    );

    // The very next request with that token is refused.
    let (status, body) = app.get("/api/v2/buckets", &token);
    assert_eq!(status, 401);
    assert_eq!(body["message"], "unauthorized access");
    assert_eq!(app.token_count(), 1);

    app.auth("delete", &["-i", &id]).fails_with(&format!(
        "could not find auth with ID \"{id}\": 404 Not Found: authorization not found"
    ));
}

#[test]
fn delete_prints_json_with_the_deleted_token() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let (id, _) = app.create_token(
        json!({"orgID": org, "permissions": [{"action": "write", "resource": {"type": "tasks", "orgID": org}}]}),
    );
    let deleted = app.auth("delete", &["-i", &id, "--json"]).json();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(permissions(&deleted), [format!("write:orgs/{org}/tasks")]);
    assert_eq!(app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR).0, 404);
}

// -- active / inactive -------------------------------------------------------------------------------------------

#[test]
fn inactive_then_active_toggles_the_token_on_the_server() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let (id, token) = app.create_token(
        json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "orgs", "id": org}}]}),
    );
    let org_path = format!("/api/v2/orgs/{org}");
    assert_eq!(app.get(&org_path, &token).0, 200);

    // Unlike influx, active/inactive take the common flags (--host, --token, --json here).
    let inactive = app.auth("inactive", &["--id", &id, "--json"]).json();
    assert_eq!(inactive["status"], "inactive");
    let (status, body) = app.get(&org_path, &token);
    assert_eq!((status, body["message"].as_str()), (401, Some("token is inactive")));
    assert_eq!(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR).1["status"],
        "inactive"
    );

    let active = app.auth("active", &["-i", &id, "--hide-headers"]).ok();
    assert_eq!(active.stdout.lines().count(), 1);
    assert!(active.stdout.starts_with(&format!("{id}\t")));
    assert!(active.stdout.contains("\tactive\t[read:/orgs/"), "{}", active.stdout);
    assert_eq!(app.get(&org_path, &token).0, 200);

    app.auth("inactive", &["-i", "0000000000000001"])
        .fails_with("could not find auth with ID \"0000000000000001\"");
    assert!(app.run(&["auth", "active"], &[]).code != 0, "--id is required");
}

// -- configs file and environment -------------------------------------------------------------------------------

#[test]
fn the_configs_file_and_env_vars_supply_host_token_and_org() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let configs = format!(
        "[dead]\n  url = \"{dead}\"\n  token = \"nope\"\n  org = \"nope\"\n\n\
         [local]\n  url = \"{}\"\n  token = \"{OPERATOR}\"\n  org = \"{ORG}\"\n  active = true\n",
        app.host()
    );
    let path = app.dir.path().join("configs");
    std::fs::write(&path, &configs).unwrap();
    let path = path.to_str().unwrap();

    // The active config gives host, token and (for create) the org.
    let created = app
        .run(
            &["auth", "create", "--configs-path", path, "--read-buckets", "--json"],
            &[],
        )
        .json();
    assert_eq!(permissions(&created), [format!("read:orgs/{org}/buckets")]);
    app.run(&["auth", "list"], &[("INFLUX_CONFIGS_PATH", path)]).ok();

    // -c / INFLUX_ACTIVE_CONFIG pick another config.
    app.run(&["auth", "list", "--configs-path", path, "-c", "dead"], &[])
        .fails_with("cannot reach");
    app.run(
        &["auth", "list", "--configs-path", path],
        &[("INFLUX_ACTIVE_CONFIG", "dead")],
    )
    .fails_with("cannot reach");
    app.run(&["auth", "list", "--configs-path", path, "-c", "missing"], &[])
        .fails_with("config \"missing\" is not found");

    // INFLUX_HOST and INFLUX_TOKEN win over the config; INFLUX_ORG too.
    let host = app.host();
    let envs = [
        ("INFLUX_HOST", host.as_str()),
        ("INFLUX_TOKEN", OPERATOR),
        ("INFLUX_ORG", ORG),
    ];
    let created = app
        .run(
            &[
                "auth",
                "create",
                "--configs-path",
                path,
                "-c",
                "dead",
                "--read-tasks",
                "--json",
            ],
            &envs,
        )
        .json();
    assert_eq!(permissions(&created), [format!("read:orgs/{org}/tasks")]);
    let envs = [
        ("INFLUX_ORG_ID", org.as_str()),
        ("INFLUX_OUTPUT_JSON", "true"),
        ("INFLUX_HIDE_HEADERS", "1"),
    ];
    let listed = app.run(&["auth", "list", "--configs-path", path], &envs).json();
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // The default path is ~/.influxdbv2/configs.
    std::fs::create_dir_all(app.dir.path().join(".influxdbv2")).unwrap();
    std::fs::write(app.dir.path().join(".influxdbv2").join("configs"), &configs).unwrap();
    let listed = app.run(&["auth", "list", "--json"], &[]).json();
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // Without any config, influx's default host is used.
    std::fs::remove_file(app.dir.path().join(".influxdbv2").join("configs")).unwrap();
    let run = app.run(&["auth", "list", "--token", "not-a-real-token", "--http-debug"], &[]);
    assert!(
        run.stderr.contains("> GET http://localhost:8086/api/v2/authorizations"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_config_with_only_a_session_cookie_signs_requests_with_it() {
    let app = Fixture::new(NAMES);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let set_cookie = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(app.server.url("/api/v2/signin"))
            .basic_auth("admin", Some("password123"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 204);
        response.headers()["set-cookie"].to_str().unwrap().to_owned()
    });
    let session = set_cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("influxdb-oss-session=")
        .unwrap()
        .to_owned();
    let path = app.dir.path().join("configs");
    let configs = format!(
        "[s]\n  url = \"{}\"\n  cookie = \"{session}\"\n  active = true\n",
        app.host()
    );
    std::fs::write(&path, configs).unwrap();

    let run = app.run(
        &[
            "auth",
            "list",
            "--configs-path",
            path.to_str().unwrap(),
            "--json",
            "--http-debug",
        ],
        &[],
    );
    let listed: Value = serde_json::from_str(&run.ok_stdout()).unwrap();
    assert_eq!(listed[0]["description"], "admin's Token");
    assert!(
        run.stderr.contains("> Cookie: influxdb-oss-session=<redacted>"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&session), "the session leaked");
}

// -- errors ---------------------------------------------------------------------------------------------------------

#[test]
fn errors_are_one_line_with_a_non_zero_exit_and_change_nothing() {
    let app = Fixture::new(NAMES);
    let org = app.org_id();
    let dead = format!("http://127.0.0.1:{}", free_port());

    app.run(&["auth", "list", "--host", &dead, "--token", OPERATOR], &[])
        .fails_with(&format!("cannot reach {dead}"));
    app.run(
        &[
            "auth",
            "delete",
            "--id",
            "0000000000000001",
            "--host",
            &dead,
            "-t",
            OPERATOR,
        ],
        &[],
    )
    .fails_with("check --host, INFLUX_HOST");
    app.run(&["auth", "list", "--host", &app.host(), "--token", "wrong"], &[])
        .fails_with("401 Unauthorized: unauthorized access (check --token");
    // Generated tokens are URL-safe base64, so one in 64 starts with '-': it is still a value.
    for flag in ["--token", "-t"] {
        app.run(&["auth", "list", "--host", &app.host(), flag, "-Xwrong"], &[])
            .fails_with("401 Unauthorized: unauthorized access (check --token");
    }
    app.run(&["auth", "list", "--host", &app.host()], &[])
        .fails_with("401 Unauthorized");
    app.auth("delete", &["--id", "0000000000000001"])
        .fails_with("could not find auth with ID \"0000000000000001\": 404 Not Found: authorization not found");
    app.auth("create", &["-o", ORG, "--operator", "--read-buckets"])
        .fails_with("cannot compose other permissions with operator permissions");
    app.auth(
        "create",
        &["-o", ORG, "--all-access", "--write-bucket", &app.bucket_id()],
    )
    .fails_with("cannot compose other permissions with all access permissions");
    app.auth("create", &["-o", ORG, "--org-id", &org, "--read-buckets"])
        .fails_with("ambiguous org");
    app.auth("list", &["-o", ORG, "--org-id", &org])
        .fails_with("ambiguous org");
    app.run(
        &[
            "auth",
            "create",
            "--host",
            &app.host(),
            "-t",
            OPERATOR,
            "--org-id",
            &org,
            "--read-buckets",
        ],
        &[("INFLUX_ORG", ORG)],
    )
    .fails_with("ambiguous org");
    app.auth("list", &["--org-id", "xyz"])
        .fails_with("invalid org ID \"xyz\"");
    app.run(&["auth", "list", "--host", "localhost:8086", "-t", OPERATOR], &[])
        .fails_with("host URL");
    assert_eq!(app.token_count(), 1);
}

#[test]
fn http_debug_shows_requests_on_stderr_but_never_a_token() {
    let app = Fixture::new(NAMES);
    let run = app
        .auth("create", &["-o", ORG, "--read-buckets", "--json", "--http-debug"])
        .ok();
    let created: Value = serde_json::from_str(&run.stdout).unwrap();
    let token = created["token"].as_str().unwrap();
    let host = app.host();
    for line in [
        format!("> GET {host}/api/v2/orgs?org={ORG}"),
        format!("> GET {host}/api/v2/users?name="),
        format!("> POST {host}/api/v2/authorizations"),
        "< 201 Created".to_owned(),
    ] {
        assert!(run.stderr.contains(&line), "{line:?} not in {}", run.stderr);
    }
    assert!(
        !run.stderr.contains(OPERATOR),
        "the operator token leaked: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(token), "the new token leaked");
}

// -- setup ------------------------------------------------------------------------------------------------------

#[test]
fn setup_onboards_the_server_and_writes_the_configs_file() {
    let app = Fixture::with(NAMES, false);
    let host = app.host();
    let path = app.dir.path().join("cfg").join("configs");
    let path_str = path.to_str().unwrap();
    let base = ["setup", "--host", host.as_str(), "--configs-path", path_str];
    let with =
        |extra: &[&'static str]| -> Vec<String> { base.iter().chain(extra.iter()).map(|a| (*a).to_owned()).collect() };

    // Mistakes are caught before the server changes.
    app.run(&with(&["-u", "alice", "-o", "org1", "-b", "b1", "-f"]), &[])
        .fails_with("at least 8 characters");
    app.run(&with(&["-u", "alice", "-p", "password123"]), &[])
        .fails_with("missing --org, --bucket");
    let other = app.dir.path().join("other-configs");
    std::fs::write(&other, "[mine]\n  url = \"http://elsewhere:8086\"\n  active = true\n").unwrap();
    app.run(
        &[
            "setup",
            "--host",
            &host,
            "--configs-path",
            other.to_str().unwrap(),
            "-u",
            "alice",
            "-p",
            "password123",
            "-o",
            "org1",
            "-b",
            "b1",
            "-f",
        ],
        &[],
    )
    .fails_with("config name is required");
    assert_eq!(
        call(Method::GET, &app.server.url("/api/v2/setup"), "", None).1["allowed"],
        true
    );

    let run = app
        .run(
            &with(&[
                "-u",
                "alice",
                "-p",
                "password123",
                "-o",
                "org1",
                "-b",
                "b1",
                "-t",
                "my-op-token",
                "-r",
                "72h",
                "-f",
            ]),
            &[],
        )
        .ok();
    assert_eq!(run.stdout, "User\tOrganization\tBucket\nalice\torg1\t\tb1\n");

    // The server is set up with that token and retention.
    assert_eq!(
        call(Method::GET, &app.server.url("/api/v2/setup"), "", None).1["allowed"],
        false
    );
    let (status, buckets) = app.get("/api/v2/buckets?name=b1", "my-op-token");
    assert_eq!(status, 200);
    assert_eq!(buckets["buckets"][0]["retentionRules"][0]["everySeconds"], 259_200);

    // The configs file holds the new config, private to its owner, and auth commands use it.
    let text = std::fs::read_to_string(&path).unwrap();
    for line in [
        "[default]",
        &format!("url = \"{host}\""),
        "token = \"my-op-token\"",
        "org = \"org1\"",
        "active = true",
    ] {
        assert!(text.contains(line), "{line:?} not in {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let listed = app
        .run(&["auth", "list", "--configs-path", path_str, "--json"], &[])
        .json();
    assert_eq!(listed[0]["description"], "alice's Token");
    let created = app
        .run(
            &[
                "auth",
                "create",
                "--configs-path",
                path_str,
                "--write-buckets",
                "--json",
            ],
            &[],
        )
        .json();
    assert_eq!(permissions(&created).len(), 1);

    app.run(
        &with(&[
            "-u",
            "bob",
            "-p",
            "password123",
            "-o",
            "o",
            "-b",
            "b",
            "-f",
            "--name",
            "second",
        ]),
        &[],
    )
    .fails_with("instance has already been set up");
}

#[test]
fn setup_prints_json_and_adds_a_named_config_beside_existing_ones() {
    let app = Fixture::with(NAMES, false);
    let host = app.host();
    let path = app.dir.path().join("configs");
    std::fs::write(
        &path,
        "[mine]\n  url = \"http://elsewhere:8086\"\n  token = \"t\"\n  org = \"o\"\n  active = true\n",
    )
    .unwrap();

    let summary = app
        .run(
            &[
                "setup",
                "--host",
                &host,
                "--configs-path",
                path.to_str().unwrap(),
                "--username",
                "carol",
                "--password",
                "password123",
                "--org",
                "org2",
                "--bucket",
                "b2",
                "--force",
                "--name",
                "local",
                "--json",
            ],
            &[],
        )
        .json();
    assert_eq!(
        summary,
        json!({"bucket": "b2", "organization": "org2", "user": "carol"})
    );

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[mine]") && text.contains("[local]"), "{text}");
    // As with influx, the new config is not made active when others exist: select it with -c.
    let listed = app
        .run(
            &[
                "auth",
                "list",
                "--configs-path",
                path.to_str().unwrap(),
                "-c",
                "local",
                "--json",
            ],
            &[],
        )
        .json();
    assert_eq!(listed[0]["userName"], "carol");
    assert_eq!(
        listed[0]["token"], "",
        "hashed: the generated token is only in the configs file"
    );
}

#[test]
fn setup_asks_for_what_is_missing_when_a_terminal_is_attached() {
    // `script` gives the binary a pseudo-terminal; the answers are typed ahead on its stdin.
    if !terminal_available() {
        return;
    }
    let app = Fixture::with(NAMES, false);
    let path = app.dir.path().join("configs");
    let (success, screen) = app.in_terminal(
        &format!(
            "setup --host {} --configs-path {} --username alice",
            app.host(),
            path.display()
        ),
        b"password123\npassword123\norg1\nb1\n72\ny\n",
    );

    assert!(success, "{screen}");
    assert!(!screen.contains("primary username"), "--username was given: {screen}");
    for prompt in [
        "Please type your password",
        "organization name",
        "bucket name",
        "Retention Period:  72h",
    ] {
        assert!(screen.contains(prompt), "{prompt:?} not in {screen}");
    }
    assert!(screen.contains("alice\torg1\t\tb1"), "{screen}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("org = \"org1\""), "{text}");
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let (status, buckets) = app.get("/api/v2/buckets?name=b1", &token);
    assert_eq!(status, 200);
    assert_eq!(buckets["buckets"][0]["retentionRules"][0]["everySeconds"], 259_200);
}

// -- help -----------------------------------------------------------------------------------------------------------

#[test]
fn help_lists_every_subcommand_and_flag_with_examples() {
    let dir = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| run_in(dir.path(), args, &[]).ok().stdout;

    let auth = help(&["auth", "--help"]);
    for word in [
        "create",
        "delete",
        "list",
        "find, ls",
        "active",
        "inactive",
        "Examples:",
    ] {
        assert!(auth.contains(word), "{word:?} not in {auth}");
    }
    let create = help(&["auth", "create", "--help"]);
    for flag in [
        "--host",
        "--token",
        "--org-id",
        "--org",
        "--user",
        "--description",
        "--read-bucket",
        "--write-bucket",
        "--operator",
        "--all-access",
        "--read-buckets",
        "--write-notificationEndpoints",
        "--read-dbrp",
        "--write-replications",
        "--read-flows",
        "--json",
        "--hide-headers",
        "--skip-verify",
        "--configs-path",
        "--active-config",
        "--http-debug",
        "Examples:",
    ] {
        assert!(create.contains(flag), "{flag:?} not in auth create --help");
    }
    assert!(!create.contains("--read-functions"), "hidden, as in influx");
    for sub in ["list", "delete", "active", "inactive"] {
        let text = help(&["authorization", sub, "--help"]);
        assert!(
            text.contains("Examples:") && text.contains("--host") && text.contains("--token"),
            "{sub}: {text}"
        );
    }
    let setup = help(&["setup", "--help"]);
    for flag in [
        "--username",
        "--password",
        "--org",
        "--bucket",
        "--token",
        "--retention",
        "--force",
        "--name",
        "Examples:",
    ] {
        assert!(setup.contains(flag), "{flag:?} not in setup --help");
    }
    let top = help(&["--help"]);
    assert!(top.contains("auth") && top.contains("setup") && top.contains("serve"));
}
