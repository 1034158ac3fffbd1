//! Several replicas of the real `influx-authz` binary on one PostgreSQL database (a throw-away cluster of the
//! test's own) behave as one server: a concurrent boot sets up once, concurrent creates never share an ID, a
//! session made on one replica works on the others, and last uses from every replica are merged (the latest
//! wins). The revocation race across replicas is in `tests/reliability` (it shares that test's machinery).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};
use tests::pg::Cluster;
use tests::{BUCKET, OPERATOR_TOKEN, ORG, PASSWORD, Process, SETUP_ENV, USERNAME, binary, free_port};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod tls;

const REPLICAS: usize = 3;

/// `REPLICAS` processes on `url`, all started before any is waited for, with the same `DOCKER_INFLUXDB_INIT_*`.
fn start_together(url: &str, dir: &Path) -> Vec<Process> {
    start_together_with(url, dir, &[])
}

/// [`start_together`] with more arguments for each replica.
fn start_together_with(url: &str, dir: &Path, args: &[&str]) -> Vec<Process> {
    let children: Vec<(std::process::Child, u16)> = (0..REPLICAS)
        .map(|i| {
            let port = free_port();
            let log = std::fs::File::create(dir.join(format!("replica-{i}.log"))).unwrap();
            let child = Command::new(binary())
                .args(args)
                .env("INFLUX_AUTHZ_POSTGRES_URL", url)
                .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{port}"))
                .envs(SETUP_ENV)
                .stdout(std::process::Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            (child, port)
        })
        .collect();
    children
        .into_iter()
        .map(|(child, port)| Process::adopt(child, port))
        .collect()
}

async fn get(client: &Client, url: String, token: &str) -> (u16, Value) {
    let response = client
        .get(url)
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The setup org's ID.
async fn org_id(client: &Client, server: &Process) -> String {
    let (_, orgs) = get(client, server.url(&format!("/api/v2/orgs?org={ORG}")), OPERATOR_TOKEN).await;
    orgs["orgs"][0]["id"].as_str().unwrap().to_owned()
}

/// `POST /api/v2/authorizations` with the operator token: a token that reads the org's buckets.
async fn create_token(
    client: &Client,
    server: &Process,
    org: &str,
    description: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(server.url("/api/v2/authorizations"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"orgID": org, "description": description,
                      "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}))
        .send()
        .await
}

fn cluster() -> Option<(Cluster, String)> {
    let cluster = Cluster::start()?;
    let url = cluster.database("authz");
    Some((cluster, url))
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_booting_together_set_up_once() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replicas = start_together(&url, dir.path());
    let client = Client::new();
    for replica in &replicas {
        let (status, tokens) = get(&client, replica.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(
            tokens["authorizations"].as_array().unwrap().len(),
            1,
            "one operator token: {tokens}"
        );
        let (_, orgs) = get(&client, replica.url("/api/v2/orgs"), OPERATOR_TOKEN).await;
        assert_eq!(orgs["orgs"].as_array().unwrap().len(), 1, "one org: {orgs}");
        let (_, users) = get(&client, replica.url("/api/v2/users"), OPERATOR_TOKEN).await;
        assert_eq!(users["users"].as_array().unwrap().len(), 1, "one user: {users}");
        let (_, buckets) = get(
            &client,
            replica.url(&format!("/api/v2/buckets?org={ORG}&name={BUCKET}")),
            OPERATOR_TOKEN,
        )
        .await;
        assert_eq!(
            buckets["buckets"].as_array().unwrap().len(),
            1,
            "one {BUCKET}: {buckets}"
        );
    }
    let (_, audit) = get(&client, replicas[0].url("/api/v2/audit?action=setup"), OPERATOR_TOKEN).await;
    assert_eq!(
        audit["entries"].as_array().unwrap().len(),
        1,
        "one setup in the trail: {audit}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_creates_on_every_replica_never_share_an_id() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replicas = start_together(&url, dir.path());
    let client = Client::new();
    let org = org_id(&client, &replicas[0]).await;
    const WORKERS: usize = 8;
    const EACH: usize = 40;
    let mut tasks = Vec::new();
    for replica in &replicas {
        for w in 0..WORKERS {
            let (client, url, org) = (client.clone(), replica.url("/api/v2/authorizations"), org.clone());
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..EACH {
                    let body = json!({
                        "orgID": org,
                        "description": format!("w{w} n{n}"),
                        "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}],
                    });
                    let response = client
                        .post(&url)
                        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let created: Value = response.json().await.unwrap();
                    assert_eq!(status, 201, "{created}");
                    ids.push(created["id"].as_str().unwrap().to_owned());
                }
                ids
            }));
        }
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id.clone()), "ID {id} was given twice");
        }
    }
    let created = REPLICAS * WORKERS * EACH;
    assert_eq!(seen.len(), created);
    let (_, all) = get(&client, replicas[2].url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    let listed: HashSet<String> = all["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed.len(),
        created + 1,
        "every create and the operator token, once each"
    );
    assert!(seen.is_subset(&listed));
    println!(
        "concurrent creates: {created} through {REPLICAS} replicas, {} distinct IDs",
        seen.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_made_on_one_replica_works_on_the_others_until_signed_out() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replicas = start_together(&url, dir.path());
    let client = Client::new();
    let signed_in = client
        .post(replicas[0].url("/api/v2/signin"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 204);
    let cookie = tests::session_cookie(&signed_in);
    let me = |replica: &Process| {
        client
            .get(replica.url("/api/v2/me"))
            .header("Cookie", cookie.clone())
            .send()
    };
    for replica in &replicas {
        let response = me(replica).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["name"], USERNAME);
    }
    let signed_out = client
        .post(replicas[1].url("/api/v2/signout"))
        .header("Cookie", cookie.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status().as_u16(), 204);
    for replica in &replicas {
        assert_eq!(
            me(replica).await.unwrap().status().as_u16(),
            401,
            "a signed-out session is refused everywhere"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn last_uses_from_every_replica_are_merged_and_the_latest_wins() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let replicas = start_together(&url, dir.path());
    let client = Client::new();
    let org = org_id(&client, &replicas[0]).await;
    let created: Value = create_token(&client, &replicas[0], &org, "")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, token) = (created["id"].as_str().unwrap(), created["token"].as_str().unwrap());

    // Used on replica 0, then later on replica 1; each keeps its use in memory and writes it within ~2 s.
    let (status, _) = get(&client, replicas[0].url("/api/v2/buckets"), token).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_latest = OffsetDateTime::now_utc();
    let (status, _) = get(&client, replicas[1].url("/api/v2/buckets"), token).await;
    assert_eq!(status, 200);

    // Replica 2 never saw the token used; it reads the merged last use from the database.
    let deadline = Instant::now() + Duration::from_secs(15);
    let last_used = loop {
        let (_, auth) = get(
            &client,
            replicas[2].url(&format!("/api/v2/authorizations/{id}")),
            OPERATOR_TOKEN,
        )
        .await;
        if let Some(at) = auth["lastUsedAt"].as_str() {
            let at = OffsetDateTime::parse(at, &Rfc3339).unwrap();
            // Both replicas have flushed once the later use shows (an earlier flush never replaces it).
            if at >= before_latest - Duration::from_millis(5) {
                break at;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the later use never showed on the third replica: {auth}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Wait past both flushes: the earlier use (replica 0) must not have replaced the later one.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (_, auth) = get(
        &client,
        replicas[2].url(&format!("/api/v2/authorizations/{id}")),
        OPERATOR_TOKEN,
    )
    .await;
    let after = OffsetDateTime::parse(auth["lastUsedAt"].as_str().unwrap(), &Rfc3339).unwrap();
    assert_eq!(after, last_used, "the latest use stays");
}

/// One replica on `url` with a short call timeout, set up, its log in `dir`.
fn start_one(url: &str, dir: &Path, extra: &[(&str, &str)]) -> (Process, std::path::PathBuf) {
    let log = dir.join("server.log");
    let mut envs = vec![
        ("INFLUX_AUTHZ_POSTGRES_URL", url),
        ("INFLUX_AUTHZ_POSTGRES_TIMEOUT", "1s"),
    ];
    envs.extend_from_slice(&SETUP_ENV);
    envs.extend_from_slice(extra);
    (Process::start(&["serve"], &envs, &log), log)
}

/// Every answer while the database is gone: 503 `unavailable` with InfluxDB's body, within the call timeout.
async fn assert_unavailable(client: &Client, url: String, token: &str) {
    let started = Instant::now();
    let response = client
        .get(&url)
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let code = response
        .headers()
        .get("x-platform-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 503, "{url}: {body}");
    assert_eq!(code.as_deref(), Some("unavailable"));
    assert_eq!(body["code"], "unavailable", "{body}");
    assert!(body["message"].is_string());
    assert!(elapsed < Duration::from_secs(5), "{url} took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_goes_away_fails_closed_with_503_and_is_used_again_when_back() {
    let Some((cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (server, _log) = start_one(&url, dir.path(), &[]);
    let client = Client::new();
    let org = org_id(&client, &server).await;
    let create = |description: &'static str| create_token(&client, &server, &org, description);
    let kept: Value = create("kept").await.unwrap().json().await.unwrap();
    let kept_token = kept["token"].as_str().unwrap().to_owned();
    let gone: Value = create("deleted").await.unwrap().json().await.unwrap();
    let gone_token = gone["token"].as_str().unwrap().to_owned();
    let deleted = client
        .delete(server.url(&format!("/api/v2/authorizations/{}", gone["id"].as_str().unwrap())))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);

    cluster.stop();
    // No token is taken on trust while the store cannot be asked: not a kept one, not a deleted one.
    for token in [&kept_token, &gone_token, &OPERATOR_TOKEN.to_owned()] {
        assert_unavailable(&client, server.url("/api/v2/buckets"), token).await;
    }
    let refused = create("while down").await.unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    let health = client.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 503);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "fail", "{body}");
    assert_eq!(body["checks"][0]["name"], "store");
    assert_eq!(
        client.get(server.url("/ready")).send().await.unwrap().status().as_u16(),
        503
    );
    assert_eq!(
        client.get(server.url("/ping")).send().await.unwrap().status().as_u16(),
        204
    );

    cluster.restart();
    // The pool makes new connections by itself: no restart of influx-authz.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, _) = get(&client, server.url("/api/v2/buckets"), &kept_token).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still {status} after the database came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _) = get(&client, server.url("/api/v2/buckets"), &gone_token).await;
    assert_eq!(status, 401, "a token deleted before the outage stays deleted");
    assert_eq!(
        client
            .get(server.url("/health"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let (status, list) = get(&client, server.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    assert_eq!(status, 200);
    let descriptions: Vec<&str> = list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["description"].as_str())
        .collect();
    assert!(
        !descriptions.contains(&"while down"),
        "a refused create left nothing: {descriptions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_not_there_yet_is_waited_for_with_log_lines_saying_so() {
    let port = free_port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let http_port = free_port();
    let child = Command::new(binary())
        .env("INFLUX_AUTHZ_POSTGRES_URL", &url)
        .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{http_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // A second or so of nobody listening, then the database starts on that port.
    let mut child = Some(child);
    std::thread::sleep(Duration::from_millis(1500));
    let Some(_cluster) = Cluster::start_on(Some(port)) else {
        let _ = child.take().map(|mut c| c.kill());
        return;
    };
    let server = Process::adopt(child.take().unwrap(), http_port);
    let client = Client::new();
    let health = client.get(server.url("/health")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("PostgreSQL is not reachable yet; retrying"), "{text}");
    assert!(text.contains("connected to PostgreSQL"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_newer_than_the_binary_refuses_the_start_with_one_line() {
    let Some((cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_one(&url, dir.path(), &[]);
    assert!(server.terminate().success());
    cluster.sql(
        "authz",
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) \
         SELECT 999, 'from_the_future', applied_on, checksum FROM refinery_schema_history WHERE version = 1",
    );
    let out = Command::new(binary())
        .env("INFLUX_AUTHZ_POSTGRES_URL", &url)
        .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("schema version 999, newer than this influx-authz knows (1)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_password_is_never_printed() {
    let Some((cluster, _)) = cluster() else { return };
    const PASSWORD_OF_DB: &str = "pw-Zq8sX1vL0tT9";
    cluster.sql(
        "postgres",
        &format!("CREATE ROLE authz LOGIN PASSWORD '{PASSWORD_OF_DB}'"),
    );
    cluster.sql("postgres", "CREATE DATABASE authz_pw OWNER authz");
    // The cluster trusts loopback; make it ask for the password, as a real one would.
    let hba = cluster.dir().join("data").join("pg_hba.conf");
    std::fs::write(
        &hba,
        "host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    cluster.sql("postgres", "SELECT pg_reload_conf()");
    let url = format!("postgres://authz:{PASSWORD_OF_DB}@127.0.0.1:{}/authz_pw", cluster.port);
    let dir = tempfile::tempdir().unwrap();
    let (server, log) = start_one(&url, dir.path(), &[("INFLUXD_LOG_LEVEL", "debug")]);
    let client = Client::new();
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, tokens) = get(&client, server.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    assert_eq!(tokens["authorizations"].as_array().unwrap().len(), 1);
    cluster.stop();
    let down = client
        .get(server.url("/health"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(server.terminate().success());
    let help = Command::new(binary())
        .arg("--help")
        .env("INFLUX_AUTHZ_POSTGRES_URL", &url)
        .output()
        .unwrap();
    // A wrong password refuses the start, and says so without the URL's password (nor the wrong one).
    cluster.restart();
    let wrong = url.replace(PASSWORD_OF_DB, "wrong-Pw-4417");
    let refused = Command::new(binary())
        .env("INFLUX_AUTHZ_POSTGRES_URL", &wrong)
        .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let refused_text = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(refused_text.contains("refused to let us in"), "{refused_text}");
    let texts = [
        ("the log", std::fs::read_to_string(&log).unwrap()),
        ("/metrics", metrics),
        ("/health while down", down),
        ("--help", String::from_utf8_lossy(&help.stdout).into_owned()),
        ("a refused start", refused_text),
    ];
    for (what, text) in &texts {
        assert!(!text.contains(PASSWORD_OF_DB), "the password is in {what}: {text}");
        assert!(!text.contains("wrong-Pw-4417"), "a password is in {what}: {text}");
    }
    assert!(
        texts[0].1.contains("connected to PostgreSQL"),
        "the log names the database"
    );
}

/// Everything a client can see of a store, for comparing two: tokens (with last uses), users, orgs, buckets, the
/// audit trail's numbers.
async fn visible(client: &Client, server: &Process) -> Value {
    let mut seen = json!({});
    for (key, path, field) in [
        ("authorizations", "/api/v2/authorizations", "authorizations"),
        ("v1", "/private/legacy/authorizations", "authorizations"),
        ("users", "/api/v2/users", "users"),
        ("orgs", "/api/v2/orgs", "orgs"),
        ("buckets", "/api/v2/buckets?limit=100", "buckets"),
        ("entries", "/api/v2/audit?limit=1000", "entries"),
    ] {
        let (status, body) = get(client, server.url(path), OPERATOR_TOKEN).await;
        assert_eq!(status, 200, "{path}: {body}");
        seen[key] = body[field].clone();
    }
    seen
}

/// Whether a v1 user name and password pass the check for `permission`: its status.
async fn v1_check(client: &Client, server: &Process, permission: &str, user: &str, password: &str) -> u16 {
    client
        .get(server.url("/api/v2/authz/check"))
        .query(&[("permission", permission), ("u", user), ("p", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn migrate(args: &[&str]) -> std::process::Output {
    Command::new(binary()).arg("migrate").args(args).output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_copies_a_redb_file_to_postgres_and_back_and_the_same_credentials_work() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.redb");
    let init = SETUP_ENV;
    let client = Client::new();

    // A redb server with some of everything: a token (used, so it has a last use), a user with a password, a
    // session, audit entries.
    let on_redb = Process::start(
        &["serve", "--db-path", source.to_str().unwrap()],
        &init,
        &dir.path().join("redb.log"),
    );
    let org = org_id(&client, &on_redb).await;
    let created: Value = create_token(&client, &on_redb, &org, "moves")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(get(&client, on_redb.url("/api/v2/buckets"), &token).await.0, 200);
    let bob: Value = client
        .post(on_redb.url("/api/v2/users"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"name": "bob"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let password = client
        .post(on_redb.url(&format!("/api/v2/users/{}/password", bob["id"].as_str().unwrap())))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"password": "bob-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(password.status().as_u16(), 204);
    let signed_in = client
        .post(on_redb.url("/api/v2/signin"))
        .basic_auth(USERNAME, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let cookie = tests::session_cookie(&signed_in);
    // A v1 authorization with its password.
    let v1: Value = client
        .post(on_redb.url("/private/legacy/authorizations"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"token": "telegraf", "orgID": org, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": org}}
        ]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v1_password = client
        .post(on_redb.url(&format!(
            "/private/legacy/authorizations/{}/password",
            v1["id"].as_str().unwrap()
        )))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"password": "telegraf-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(v1_password.status().as_u16(), 204);
    let read_buckets = format!("read:orgs/{org}/buckets");
    assert_eq!(
        v1_check(&client, &on_redb, &read_buckets, "telegraf", "telegraf-password").await,
        204
    );
    // The last use is written within ~2 s, and at shutdown.
    let before = visible(&client, &on_redb).await;
    assert!(on_redb.terminate().success());

    let copied = migrate(&["--from-db-path", source.to_str().unwrap(), "--to-postgres-url", &url]);
    let said = String::from_utf8_lossy(&copied.stdout);
    assert!(
        copied.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(
        said.contains("copied from the redb file") && said.contains("checked:"),
        "{said}"
    );
    assert!(said.contains(" 2 users,"), "{said}");

    // Not into a store that holds records, unless told.
    let again = migrate(&["--from-db-path", source.to_str().unwrap(), "--to-postgres-url", &url]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));

    let on_postgres = Process::start(
        &["serve"],
        &[("INFLUX_AUTHZ_POSTGRES_URL", url.as_str())],
        &dir.path().join("pg.log"),
    );
    let moved = visible(&client, &on_postgres).await;
    // The operator token was used again after `before` was read (by reading it); the other keeps its last use.
    let without_operator_use = |v: &Value| {
        let mut tokens = v["authorizations"].clone();
        for token in tokens.as_array_mut().unwrap() {
            if token["description"] == "admin's Token" {
                token["lastUsedAt"] = Value::Null;
            }
        }
        tokens
    };
    assert_eq!(
        without_operator_use(&moved),
        without_operator_use(&before),
        "the same tokens, last uses included"
    );
    assert_eq!(moved["users"], before["users"]);
    assert_eq!(moved["v1"], before["v1"], "the v1 authorizations");
    assert_eq!(moved["v1"].as_array().unwrap().len(), 1);
    assert_eq!(moved["orgs"], before["orgs"]);
    assert_eq!(moved["buckets"], before["buckets"]);
    let numbers = |v: &Value| {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(&moved), numbers(&before), "the audit trail, numbers and all");
    assert_eq!(
        get(&client, on_postgres.url("/api/v2/buckets"), &token).await.0,
        200,
        "the token works"
    );
    let me = client
        .get(on_postgres.url("/api/v2/me"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200, "the session works");
    let bob_in = client
        .post(on_postgres.url("/api/v2/signin"))
        .basic_auth("bob", Some("bob-password-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(bob_in.status().as_u16(), 204, "the password works");
    assert_eq!(
        v1_check(&client, &on_postgres, &read_buckets, "telegraf", "telegraf-password").await,
        204,
        "the v1 password works"
    );
    let on_postgres_seen = visible(&client, &on_postgres).await;
    assert!(on_postgres.terminate().success());

    // And back, into a new file.
    let back = dir.path().join("back.redb");
    let returned = migrate(&["--from-postgres-url", &url, "--to-db-path", back.to_str().unwrap()]);
    assert!(
        returned.status.success(),
        "{}",
        String::from_utf8_lossy(&returned.stderr)
    );
    let on_redb_again = Process::start(
        &["serve", "--db-path", back.to_str().unwrap()],
        &[],
        &dir.path().join("back.log"),
    );
    let returned_seen = visible(&client, &on_redb_again).await;
    assert_eq!(
        without_operator_use(&returned_seen),
        without_operator_use(&on_postgres_seen)
    );
    assert_eq!(returned_seen["users"], on_postgres_seen["users"]);
    assert_eq!(
        numbers(&returned_seen),
        numbers(&on_postgres_seen),
        "the trail, numbers and all"
    );
    assert_eq!(get(&client, on_redb_again.url("/api/v2/buckets"), &token).await.0, 200);
    assert_eq!(returned_seen["v1"], on_postgres_seen["v1"]);
    assert_eq!(
        v1_check(&client, &on_redb_again, &read_buckets, "telegraf", "telegraf-password").await,
        204
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_booting_together_with_one_seed_file_apply_it_once() {
    let Some((_cluster, url)) = cluster() else { return };
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "orgs:\n  - name: acme\n    buckets: [{name: telemetry}]\n\
         users:\n  - {name: alice, password: alice-password, orgs: [{org: acme, role: owner}]}\n\
         tokens:\n  - token: alice-fixed-token-0001\n    org: acme\n    user: alice\n\
         \x20   permissions: [{action: read, resource: {type: buckets}}]\n",
    )
    .unwrap();
    let replicas = start_together_with(&url, dir.path(), &["--seed", seed.to_str().unwrap()]);
    let client = Client::new();
    let (_, orgs) = get(&client, replicas[1].url("/api/v2/orgs?org=acme"), OPERATOR_TOKEN).await;
    assert_eq!(orgs["orgs"].as_array().unwrap().len(), 1, "{orgs}");
    let (_, users) = get(&client, replicas[2].url("/api/v2/users"), OPERATOR_TOKEN).await;
    let alices = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["name"] == "alice")
        .count();
    assert_eq!(alices, 1, "{users}");
    let (status, buckets) = get(
        &client,
        replicas[0].url("/api/v2/buckets?name=telemetry"),
        "alice-fixed-token-0001",
    )
    .await;
    assert_eq!(status, 200, "{buckets}");
    assert_eq!(
        buckets["buckets"].as_array().unwrap().len(),
        1,
        "one telemetry bucket: {buckets}"
    );
    let (_, tokens) = get(
        &client,
        replicas[0].url("/api/v2/authorizations?user=alice"),
        OPERATOR_TOKEN,
    )
    .await;
    assert_eq!(tokens["authorizations"].as_array().unwrap().len(), 1, "{tokens}");
    // Each creation is in the trail once, by the seed.
    for action in ["org.create", "user.create", "authorization.create"] {
        let (_, audit) = get(
            &client,
            replicas[2].url(&format!("/api/v2/audit?action={action}")),
            OPERATOR_TOKEN,
        )
        .await;
        let seeded = audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"]["credential"] == "seed")
            .count();
        assert_eq!(seeded, 1, "{action}: {audit}");
    }
}

/// A server on its own cluster (1 s call timeout) with a token that reads buckets: `(cluster, server, token)`.
async fn one_server_and_a_token(dir: &Path) -> Option<(Cluster, Process, String)> {
    let (cluster, url) = cluster()?;
    let (server, _) = start_one(&url, dir, &[]);
    let client = Client::new();
    let org = org_id(&client, &server).await;
    let created: Value = create_token(&client, &server, &org, "faults")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    Some((cluster, server, token))
}

/// Asks until `path` answers 200 with `token`, for at most `within`; returns how long that took.
async fn served_again(client: &Client, server: &Process, token: &str, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _) = get(client, server.url("/api/v2/buckets"), token).await;
        if status == 200 {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "still {status} after {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates until one answers 201, for at most `within`.
async fn written_again(client: &Client, server: &Process, org: &str, description: &str, within: Duration) {
    let started = Instant::now();
    loop {
        let response = create_token(client, server, org, description).await.unwrap();
        if response.status().as_u16() == 201 {
            return;
        }
        assert!(
            started.elapsed() < within,
            "writes did not come back: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_database_gets_503_within_the_call_timeout_and_the_pool_recovers_when_it_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cluster, server, token)) = one_server_and_a_token(dir.path()).await else {
        return;
    };
    let client = Client::new();
    cluster.signal("STOP");
    // Every answer while paused: 503 unavailable, within the 1 s call timeout (plus the connection wait).
    for _ in 0..3 {
        assert_unavailable(&client, server.url("/api/v2/buckets"), &token).await;
    }
    assert_eq!(
        client
            .get(server.url("/health"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        503
    );
    cluster.signal("CONT");
    let took = served_again(&client, &server, &token, Duration::from_secs(10)).await;
    println!("paused database: served again {took:?} after SIGCONT");
    assert_eq!(
        client
            .get(server.url("/health"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backends_terminated_under_load_give_only_200_or_503_and_the_pool_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cluster, server, token)) = one_server_and_a_token(dir.path()).await else {
        return;
    };
    let client = Client::new();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (client, url, token, stop) = (
                client.clone(),
                server.url("/api/v2/buckets"),
                token.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut seen = std::collections::BTreeMap::<u16, u64>::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (status, _) = get(&client, url.clone(), &token).await;
                    *seen.entry(status).or_default() += 1;
                }
                seen
            })
        })
        .collect();
    let mut terminated = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let killed = cluster.sql(
            "authz",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = 'authz' AND pid <> pg_backend_pid()",
        );
        terminated += killed.trim().parse::<u64>().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut seen = std::collections::BTreeMap::<u16, u64>::new();
    for worker in workers {
        for (status, count) in worker.await.unwrap() {
            *seen.entry(status).or_default() += count;
        }
    }
    println!("backends terminated: {terminated}; answers by status: {seen:?}");
    assert!(terminated > 0, "no backend was terminated");
    assert!(seen.keys().all(|s| matches!(s, 200 | 503)), "only 200 or 503: {seen:?}");
    assert!(seen.get(&200).copied().unwrap_or(0) > 0);
    served_again(&client, &server, &token, Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_database_refuses_writes_with_503_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cluster, server, token)) = one_server_and_a_token(dir.path()).await else {
        return;
    };
    let client = Client::new();
    let org = org_id(&client, &server).await;
    let read_only = |on: bool| {
        cluster.sql(
            "postgres",
            &format!("ALTER DATABASE authz SET default_transaction_read_only = {on}"),
        );
        // Sessions take the setting when they start: end the pool's.
        cluster.sql(
            "postgres",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'authz'",
        );
    };
    read_only(true);
    // The first call on each connection the pool had may meet its end; then the rule holds.
    let _ = get(&client, server.url("/api/v2/buckets"), &token).await;
    served_again(&client, &server, &token, Duration::from_secs(5)).await;
    let refused = create_token(&client, &server, &org, "while read-only").await.unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unavailable", "{body}");
    let (status, list) = get(&client, server.url("/api/v2/authorizations"), OPERATOR_TOKEN).await;
    assert_eq!(status, 200, "reads go on: {list}");
    read_only(false);
    written_again(&client, &server, &org, "writable again", Duration::from_secs(5)).await;
}

#[test]
fn sigterm_while_waiting_for_the_database_stops_at_once() {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", free_port());
    let mut child = Command::new(binary())
        .env("INFLUX_AUTHZ_POSTGRES_URL", &url)
        .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{}", free_port()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SIGTERM did not stop a start that waits for PostgreSQL"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A temp dir with a tmpfs of `size` mounted on it (root only), for a database that runs out of space.
fn tmpfs(size: &str) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?)");
        return None;
    }
    Some(dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_under_the_database_refuses_writes_with_503_keeps_reads_and_recovers() {
    let Some(mount) = tmpfs("160m") else { return };
    let path = mount.path().to_owned();
    let Some(cluster) = Cluster::start_with(None, mount, "") else {
        let _ = Command::new("umount").arg("-l").arg(&path).status();
        return;
    };
    let url = cluster.database("authz");
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_one(&url, dir.path(), &[]);
    let client = Client::new();
    let org = org_id(&client, &server).await;
    let created: Value = create_token(&client, &server, &org, "before")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_owned();

    // Fill what is left of the disk.
    let filler = path.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=1M", "status=none"])
        .arg(format!("of={}", filler.display()))
        .status();
    let (mut refused, mut made) = (0, 0);
    for n in 0..400 {
        let description = format!("while full {n} {}", "x".repeat(2000));
        let response = create_token(&client, &server, &org, &description).await.unwrap();
        match response.status().as_u16() {
            201 => made += 1,
            503 => refused += 1,
            other => panic!("a write on a full disk got {other}: {}", response.text().await.unwrap()),
        }
        if refused >= 3 {
            break;
        }
    }
    println!("full disk: {made} writes fitted, then {refused} refused with 503");
    assert!(refused > 0, "the disk never filled");
    // Reads go on.
    let (status, _) = get(&client, server.url("/api/v2/buckets"), &token).await;
    assert_eq!(status, 200, "a token check on a full disk");
    // Room again: writes come back without a restart.
    std::fs::remove_file(&filler).unwrap();
    written_again(&client, &server, &org, "after", Duration::from_secs(10)).await;
    drop(server);
    drop(cluster);
    // The cluster's files went with it; the mount goes last.
    let _ = Command::new("umount").arg("-l").arg(&path).status();
}
