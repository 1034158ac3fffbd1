//! `--seed FILE`: orgs, users, buckets and tokens loaded at start, idempotently (issue 8, point 4).

use std::path::Path;

use tests::{Process, binary};

const SEED_YAML: &str = r#"
orgs:
  - name: acme
    description: seeded
    buckets: [{name: telemetry, retentionSeconds: 604800}]
users:
  - {name: alice, password: alice-password, orgs: [{org: acme, role: owner}]}
  - {name: bob}
tokens:
  - token: alice-fixed-token-0001
    org: acme
    user: alice
    description: CI writer
    permissions:
      - {action: write, resource: {type: buckets, name: telemetry}}
      - {action: read, resource: {type: buckets}}
      - {action: read, resource: {type: users, name: alice}}
  - token: bob-fixed-token-00002
    org: acme
    user: bob
    status: inactive
    permissions: [{action: read, resource: {type: buckets}}]
"#;

fn get(process: &Process, path: &str, token: &str) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(process.url(path))
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    })
}

fn start(dir: &Path, seed: &Path, log: &str) -> Process {
    let db = dir.join("db.redb");
    Process::start(
        &["--db-path", db.to_str().unwrap(), "--seed", seed.to_str().unwrap()],
        &[],
        &dir.join(log),
    )
}

#[test]
fn a_seed_file_gives_known_tokens_and_applying_it_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(&seed, SEED_YAML).unwrap();

    let first = start(dir.path(), &seed, "first.log");
    let (status, me) = get(&first, "/api/v2/me", "alice-fixed-token-0001");
    assert_eq!(status, 200);
    assert_eq!(me["name"], "alice");
    let (status, buckets) = get(&first, "/api/v2/buckets", "alice-fixed-token-0001");
    assert_eq!(status, 200);
    let names: Vec<&str> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"telemetry"), "{names:?}");
    // bob's token is seeded inactive: it authenticates, but lists come back empty (InfluxDB's semantics).
    let (status, buckets) = get(&first, "/api/v2/buckets", "bob-fixed-token-00002");
    assert_eq!(status, 200);
    assert_eq!(buckets["buckets"], serde_json::json!([]));
    let (_, tokens) = get(&first, "/api/v2/authorizations?user=alice", "alice-fixed-token-0001");
    assert_eq!(
        tokens["authorizations"].as_array().unwrap().len(),
        0,
        "alice's token may not read authorizations"
    );
    assert!(first.terminate().success());

    // Again, on the same file: nothing is duplicated, everything still works.
    let second = start(dir.path(), &seed, "second.log");
    assert_eq!(get(&second, "/api/v2/me", "alice-fixed-token-0001").0, 200);
    let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert!(
        log.contains("tokens=0") && log.contains("users=0") && log.contains("orgs=0"),
        "{log}"
    );
}

#[test]
fn a_json_seed_works_too_and_a_broken_one_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"orgs":[{"name":"o"}],"users":[{"name":"u"}],
            "tokens":[{"token":"json-fixed-token-00001","org":"o","user":"u",
                       "permissions":[{"action":"read","resource":{"type":"users","name":"u"}}]}]}"#,
    )
    .unwrap();
    let server = start(dir.path(), &seed, "json.log");
    assert_eq!(get(&server, "/api/v2/me", "json-fixed-token-00001").0, 200);
    drop(server);

    for (broken, expected) in [
        (
            r#"{"tokens":[{"token":"x-token-0000000000","org":"nowhere","user":"u","permissions":[]}]}"#,
            "no org \"nowhere\"",
        ),
        ("orgs: [{name: o, colour: red}]", "unknown field `colour`"),
        (
            "orgs: [{name: o}]\nusers: [{name: u}]\ntokens: [{token: t, org: o, user: u, permissions: [{action: fly, resource: {type: buckets}}]}]",
            "unknown action",
        ),
    ] {
        let other = tempfile::tempdir().unwrap();
        let path = other.path().join("seed.yaml");
        std::fs::write(&path, broken).unwrap();
        let output = std::process::Command::new(binary())
            .args([
                "--in-memory",
                "--http-bind-address",
                "127.0.0.1:0",
                "--seed",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--seed") && stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn seeded_v1_authorizations_take_their_password_and_are_made_once() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    let v1 = r#"
v1Authorizations:
  - username: telegraf
    password: telegraf-password
    org: acme
    user: alice
    description: v1 writer
    permissions: [{action: write, resource: {type: buckets, name: telemetry}}]
  - {username: parked, password: parked-password, org: acme, user: alice, status: inactive,
     permissions: [{action: read, resource: {type: buckets}}]}
"#;
    std::fs::write(&seed, format!("{SEED_YAML}{v1}")).unwrap();
    let check = |process: &Process, user: &str, password: &str| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let response = reqwest::Client::new()
                .get(process.url("/api/v2/authz/check"))
                .query(&[("permission", "write:buckets"), ("u", user), ("p", password)])
                .send()
                .await
                .unwrap();
            response.status().as_u16()
        })
    };
    let first = start(dir.path(), &seed, "first.log");
    // `write:buckets` without an org is not what a bucket grant holds: 403 shows the password was right.
    assert_eq!(check(&first, "telegraf", "telegraf-password"), 403);
    assert_eq!(check(&first, "telegraf", "wrong-password"), 401);
    assert_eq!(check(&first, "parked", "parked-password"), 401);
    let log = std::fs::read_to_string(dir.path().join("first.log")).unwrap();
    assert!(log.contains("v1_authorizations=2"), "{log}");
    assert!(!log.contains("telegraf-password"), "{log}");
    assert!(first.terminate().success());

    let second = start(dir.path(), &seed, "second.log");
    assert_eq!(check(&second, "telegraf", "telegraf-password"), 403);
    let log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert!(log.contains("v1_authorizations=0"), "{log}");
}
