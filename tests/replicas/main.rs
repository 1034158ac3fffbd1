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
use tests::{BUCKET, OPERATOR_TOKEN, ORG, PASSWORD, Process, USERNAME, binary, free_port};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const REPLICAS: usize = 3;

/// `REPLICAS` processes on `url`, all started before any is waited for, with the same `DOCKER_INFLUXDB_INIT_*`.
fn start_together(url: &str, dir: &Path) -> Vec<Process> {
    let children: Vec<(std::process::Child, u16)> = (0..REPLICAS)
        .map(|i| {
            let port = free_port();
            let log = std::fs::File::create(dir.join(format!("replica-{i}.log"))).unwrap();
            let child = Command::new(binary())
                .env("INFLUX_AUTHZ_POSTGRES_URL", url)
                .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{port}"))
                .env("DOCKER_INFLUXDB_INIT_MODE", "setup")
                .env("DOCKER_INFLUXDB_INIT_USERNAME", USERNAME)
                .env("DOCKER_INFLUXDB_INIT_PASSWORD", PASSWORD)
                .env("DOCKER_INFLUXDB_INIT_ORG", ORG)
                .env("DOCKER_INFLUXDB_INIT_BUCKET", BUCKET)
                .env("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", OPERATOR_TOKEN)
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
    let (_, orgs) = get(
        &client,
        replicas[0].url(&format!("/api/v2/orgs?org={ORG}")),
        OPERATOR_TOKEN,
    )
    .await;
    let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
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
    let (_, orgs) = get(
        &client,
        replicas[0].url(&format!("/api/v2/orgs?org={ORG}")),
        OPERATOR_TOKEN,
    )
    .await;
    let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
    let created: Value = client
        .post(replicas[0].url("/api/v2/authorizations"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(
            &json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}),
        )
        .send()
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
