//! The real `influx-authz` binary as a child process: env vars, boot-time setup, one process per file, signals,
//! and logs that never hold a token.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{Process, binary};

const INIT: &[(&str, &str)] = &[
    ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
    ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
    ("DOCKER_INFLUXDB_INIT_PASSWORD", "password123"),
    ("DOCKER_INFLUXDB_INIT_ORG", "docker-org"),
    ("DOCKER_INFLUXDB_INIT_BUCKET", "docker-bucket"),
    ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "docker-operator-token"),
];

fn get(url: &str, token: &str) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn docker_init_env_sets_up_once_and_is_a_no_op_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data.redb");
    let envs: Vec<(&str, &str)> = INIT
        .iter()
        .copied()
        .chain([("INFLUX_AUTHZ_DB_PATH", db.to_str().unwrap())])
        .collect();

    let first = Process::start(&["serve"], &envs, &dir.path().join("first.log"));
    let (status, tokens) = get(&first.url("/api/v2/authorizations"), "docker-operator-token");
    assert_eq!(status, 200);
    assert_eq!(tokens["authorizations"].as_array().unwrap().len(), 1);
    let first_id = tokens["authorizations"][0]["id"].clone();
    assert!(first.terminate().success());

    let second = Process::start(&[], &envs, &dir.path().join("second.log"));
    let (status, tokens) = get(&second.url("/api/v2/authorizations"), "docker-operator-token");
    assert_eq!(status, 200);
    assert_eq!(tokens["authorizations"].as_array().unwrap().len(), 1);
    assert_eq!(tokens["authorizations"][0]["id"], first_id);
    let (_, orgs) = get(&second.url("/api/v2/orgs"), "docker-operator-token");
    assert_eq!(orgs["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(orgs["orgs"][0]["name"], "docker-org");
}

#[test]
fn a_second_process_on_the_same_file_exits_at_once_with_a_clear_message() {
    tests::redb_only!("a second process on one redb file");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data.redb");
    let _first = Process::start(&["--db-path", db.to_str().unwrap()], &[], &dir.path().join("first.log"));

    let started = Instant::now();
    let output = Command::new(binary())
        .args([
            "serve",
            "--db-path",
            db.to_str().unwrap(),
            "--http-bind-address",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use by another process"), "{stderr}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let process = Process::start(&["--in-memory"], &[], &dir.path().join("log"));
    let status = process.terminate();
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn default_db_path_is_a_file_in_a_data_directory() {
    tests::redb_only!("the redb file's default place");
    let dir = tempfile::tempdir().unwrap();
    let port = tests::free_port();
    let mut child = Command::new(binary())
        .current_dir(dir.path())
        .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{port}"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dir.path().join("data").join("influx-authz.redb").exists() {
        assert!(Instant::now() < deadline, "no data/influx-authz.redb");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn debug_logs_never_hold_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("debug.log");
    let db = dir.path().join("data.redb");
    let mut envs: Vec<(&str, &str)> = INIT.to_vec();
    envs.push(("INFLUXD_LOG_LEVEL", "trace"));
    envs.push(("INFLUX_AUTHZ_DB_PATH", db.to_str().unwrap()));
    let process = Process::start(&[], &envs, &log);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let created_token = runtime.block_on(async {
        let client = reqwest::Client::new();
        let auth = ("Authorization", "Token docker-operator-token");
        let orgs: Value = client
            .get(process.url("/api/v2/orgs"))
            .header(auth.0, auth.1)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
        let body =
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]});
        let created: Value = client
            .post(process.url("/api/v2/authorizations"))
            .header(auth.0, auth.1)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        client
            .get(process.url("/api/v2/buckets"))
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        client
            .get(process.url(&format!("/api/v2/authorizations?token={token}")))
            .header(auth.0, auth.1)
            .send()
            .await
            .unwrap();
        client
            .delete(process.url(&format!("/api/v2/authorizations/{id}")))
            .header(auth.0, auth.1)
            .send()
            .await
            .unwrap();
        client
            .get(process.url("/api/v2/buckets"))
            .header("Authorization", format!("Token {token}"))
            .send()
            .await
            .unwrap();
        token
    });
    assert!(process.terminate().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("request"), "trace logs should show requests: {text}");
    assert!(!text.contains(&created_token), "a token was logged");
    assert!(!text.contains("docker-operator-token"), "the operator token was logged");
    let db_bytes = tests::pg::stored_bytes(&db);
    let needle = created_token.as_bytes();
    assert!(
        !db_bytes.windows(needle.len()).any(|w| w == needle),
        "a plaintext token is in the redb file"
    );
}

#[test]
fn shutdown_lets_a_request_in_flight_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let envs: Vec<(&str, &str)> = INIT.to_vec();
    let process = Process::start(&["--in-memory"], &envs, &dir.path().join("log"));
    let (_, orgs) = get(&process.url("/api/v2/orgs"), "docker-operator-token");
    let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
    let body =
        json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]})
            .to_string();
    let (first, rest) = body.split_at(10);

    // Start a create whose body is still on its way...
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", process.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v2/authorizations HTTP/1.1\r\nHost: x\r\nAuthorization: Token docker-operator-token\r\n\
         Content-Length: {}\r\n\r\n{first}",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // ...ask the server to stop...
    Command::new("kill")
        .args(["-TERM", &process.child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // ...and the request still completes.
    stream.write_all(rest.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(process.terminate().success());
}
