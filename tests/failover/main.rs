//! Failover (issue 14): a primary and one synchronous standby (Debian's PostgreSQL, streaming replication, loopback
//! only), two influx-authz replicas on the multi-host URL with `target_session_attrs=read-write`, and continuous
//! load through both: creates, deletions, deactivations and token checks (the proxy check endpoint), each
//! acknowledged operation recorded. The test plays the orchestrator: kill -9 the primary, promote the standby
//! (`pg_ctl promote`), rebuild the old primary as the new standby (a fresh base backup), and again.
//!
//! Checked: no acknowledged create is missing afterwards; no acknowledged deletion or deactivation is undone; no
//! check accepts a token whose revocation had been answered before the check started; every answer is a success,
//! a 401 for a revoked token or a 503 `unavailable` (never a 500, never slower than the bound); and service is back
//! within 5 s of each promotion (measured and printed per failover).
//!
//! `FAILOVERS=<n>` (default 5) for the long mode: `FAILOVERS=50 cargo test -p tests --test failover -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::{Value, json};
use tempfile::TempDir;
use tests::{OPERATOR_TOKEN, ORG, Process, SETUP_ENV, free_port};

/// Every node runs with these: a commit is acknowledged once the standby has it too.
const SYNCHRONOUS: &str = "-c synchronous_standby_names='*' -c synchronous_commit=on";
/// No answer may take longer than this (the call timeout is 1 s; a request makes a few calls).
const SLOWEST_ANSWER: Duration = Duration::from_secs(10);
/// Service must be back this soon after a promotion.
const BACK_WITHIN: Duration = Duration::from_secs(5);

fn cluster_sh(args: &[&str]) -> String {
    let out = Command::new(tests::pg::script())
        .args(args)
        .env("EXTRA_OPTIONS", SYNCHRONOUS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cluster.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// One PostgreSQL node: its directory (kept across rebuilds) and port.
struct Node {
    dir: TempDir,
    port: u16,
}

impl Node {
    fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = Command::new(tests::pg::script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// A primary and its synchronous standby; `primary` says which is which now.
struct Pair {
    nodes: [Node; 2],
    primary: usize,
}

impl Pair {
    /// `None` (after saying so) when PostgreSQL is not installed and not required.
    fn start() -> Option<Self> {
        let probe = Command::new(tests::pg::script()).arg("bindir").output().unwrap();
        if probe.status.code() == Some(3) && !tests::pg::required() {
            eprintln!("SKIPPED: PostgreSQL is not installed (scripts/test installs it)");
            return None;
        }
        let a_dir = tempfile::tempdir().unwrap();
        let port: u16 = cluster_sh(&["start", a_dir.path().to_str().unwrap()]).parse().unwrap();
        let a = Node { dir: a_dir, port };
        let b = Node {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
        };
        cluster_sh(&["standby", b.path(), &b.port.to_string(), &a.port.to_string(), "node_b"]);
        // Made once the standby is there: with synchronous replication a commit waits for it.
        cluster_sh(&["createdb", &a.port.to_string(), "authz"]);
        Some(Self {
            nodes: [a, b],
            primary: 0,
        })
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/authz?target_session_attrs=read-write",
            self.nodes[0].port, self.nodes[1].port
        )
    }

    /// Kills the primary, promotes the standby; returns when the promotion is done.
    fn fail_over(&mut self) -> Instant {
        let (old, new) = (self.primary, 1 - self.primary);
        cluster_sh(&["kill9", self.nodes[old].path()]);
        cluster_sh(&["promote", self.nodes[new].path()]);
        self.primary = new;
        Instant::now()
    }

    /// Rebuilds the old primary as the standby of the new one.
    fn rebuild_standby(&self) {
        let (standby, primary) = (&self.nodes[1 - self.primary], &self.nodes[self.primary]);
        let name = format!("node_{}", 1 - self.primary);
        cluster_sh(&[
            "standby",
            standby.path(),
            &standby.port.to_string(),
            &primary.port.to_string(),
            &name,
        ]);
    }
}

/// What the load saw and had acknowledged.
#[derive(Default)]
struct Ledger {
    /// Acknowledged creates: id → token.
    created: Vec<(String, String)>,
    /// Acknowledged revocations: id → (answered at, deleted (else deactivated)).
    revoked: HashMap<String, (Instant, bool)>,
    /// Revocations that got no clear answer (503, lost): either outcome is allowed afterwards.
    uncertain: Vec<String>,
    /// Token checks: (token index, started, status).
    checks: Vec<(usize, Instant, u16)>,
    answers: HashMap<u16, u64>,
    violations: Vec<String>,
}

async fn send(
    client: &Client,
    method: Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let started = Instant::now();
    let mut request = client
        .request(method, &url)
        .header("Authorization", format!("Token {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| format!("{url}: no answer: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let elapsed = started.elapsed();
    if elapsed > SLOWEST_ANSWER {
        return Err(format!("{url}: answered {status} after {elapsed:?}"));
    }
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if status == 503 && body["code"] != "unavailable" {
        return Err(format!("{url}: 503 without InfluxDB's unavailable body: {text}"));
    }
    Ok((status, body))
}

fn note(ledger: &Mutex<Ledger>, result: &Result<(u16, Value), String>, allowed: &[u16]) {
    let mut ledger = ledger.lock().unwrap();
    match result {
        Ok((status, body)) => {
            *ledger.answers.entry(*status).or_default() += 1;
            if !allowed.contains(status) && *status != 503 {
                ledger.violations.push(format!("unexpected {status}: {body}"));
            }
        }
        Err(e) => ledger.violations.push(e.clone()),
    }
}

async fn creator(client: Client, base: String, org: String, ledger: Arc<Mutex<Ledger>>, stop: Arc<AtomicBool>) {
    let body = json!({"orgID": org, "description": "failover",
                      "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]});
    while !stop.load(Ordering::Relaxed) {
        let result = send(
            &client,
            Method::POST,
            format!("{base}/api/v2/authorizations"),
            OPERATOR_TOKEN,
            Some(body.clone()),
        )
        .await;
        note(&ledger, &result, &[201]);
        if let Ok((201, created)) = &result {
            let entry = (
                created["id"].as_str().unwrap().to_owned(),
                created["token"].as_str().unwrap().to_owned(),
            );
            ledger.lock().unwrap().created.push(entry);
        }
        if !matches!(result, Ok((201, _))) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn revoker(client: Client, bases: [String; 2], ledger: Arc<Mutex<Ledger>>, stop: Arc<AtomicBool>) {
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        // The oldest token not yet touched, once a few are in use.
        let target = {
            let ledger = ledger.lock().unwrap();
            ledger
                .created
                .iter()
                .rev()
                .skip(4)
                .find(|(id, _)| !ledger.revoked.contains_key(id) && !ledger.uncertain.contains(id))
                .map(|(id, _)| id.clone())
        };
        let Some(id) = target else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        n += 1;
        let delete = n.is_multiple_of(2);
        let url = format!("{}/api/v2/authorizations/{id}", bases[n % 2]);
        let result = if delete {
            send(&client, Method::DELETE, url, OPERATOR_TOKEN, None).await
        } else {
            send(
                &client,
                Method::PATCH,
                url,
                OPERATOR_TOKEN,
                Some(json!({"status": "inactive"})),
            )
            .await
        };
        let answered = Instant::now();
        note(&ledger, &result, &[200, 204]);
        let mut ledger = ledger.lock().unwrap();
        match result {
            Ok((204, _)) if delete => {
                ledger.revoked.insert(id, (answered, true));
            }
            Ok((200, body)) if !delete && body["status"] == "inactive" => {
                ledger.revoked.insert(id, (answered, false));
            }
            _ => ledger.uncertain.push(id),
        }
    }
}

async fn checker(
    client: Client,
    bases: [String; 2],
    org: String,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    salt: usize,
) {
    let mut n = salt;
    while !stop.load(Ordering::Relaxed) {
        let pick = {
            let ledger = ledger.lock().unwrap();
            let count = ledger.created.len();
            (count > 0).then(|| {
                // Mostly recent tokens (the ones being revoked), now and then any.
                let index = if n.is_multiple_of(3) {
                    (n * 7919) % count
                } else {
                    count - 1 - (n % count.min(12))
                };
                (index, ledger.created[index].1.clone())
            })
        };
        let Some((index, token)) = pick else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        n += 1;
        let url = format!("{}/api/v2/authz/check?permission=read:orgs/{org}/buckets", bases[n % 2]);
        let started = Instant::now();
        let result = send(&client, Method::GET, url, &token, None).await;
        note(&ledger, &result, &[204, 401]);
        if let Ok((status, _)) = result {
            ledger.lock().unwrap().checks.push((index, started, status));
        }
    }
}

fn failovers() -> usize {
    std::env::var("FAILOVERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

#[tokio::test(flavor = "multi_thread")]
async fn failovers_under_load_lose_no_acknowledged_change_and_accept_no_revoked_token() {
    let Some(mut pair) = Pair::start() else { return };
    let url = pair.url();
    let dir = tempfile::tempdir().unwrap();
    let init = |log: PathBuf| {
        let mut envs = vec![
            ("INFLUX_AUTHZ_POSTGRES_URL", url.as_str()),
            ("INFLUX_AUTHZ_POSTGRES_TIMEOUT", "1s"),
            ("INFLUXD_LOG_LEVEL", "warn"),
        ];
        envs.extend_from_slice(&SETUP_ENV);
        Process::start(&["serve"], &envs, &log)
    };
    let replicas = [init(dir.path().join("a.log")), init(dir.path().join("b.log"))];
    let bases = [replicas[0].url(""), replicas[1].url("")];
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (_, orgs) = send(
        &client,
        Method::GET,
        format!("{}/api/v2/orgs?org={ORG}", bases[0]),
        OPERATOR_TOKEN,
        None,
    )
    .await
    .unwrap();
    let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for base in &bases {
        load.push(tokio::spawn(creator(
            client.clone(),
            base.clone(),
            org.clone(),
            ledger.clone(),
            stop.clone(),
        )));
    }
    load.push(tokio::spawn(revoker(
        client.clone(),
        bases.clone(),
        ledger.clone(),
        stop.clone(),
    )));
    for salt in 0..2 {
        load.push(tokio::spawn(checker(
            client.clone(),
            bases.clone(),
            org.clone(),
            ledger.clone(),
            stop.clone(),
            salt,
        )));
    }

    let mut recoveries = Vec::new();
    let count = failovers();
    for round in 0..count {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let promoted = tokio::task::block_in_place(|| {
            let promoted = pair.fail_over();
            pair.rebuild_standby();
            promoted
        });
        // Back: a create through each replica answers 201.
        let mut back = Duration::ZERO;
        for base in &bases {
            loop {
                let result = send(&client, Method::POST, format!("{base}/api/v2/authorizations"), OPERATOR_TOKEN,
                    Some(json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}))).await;
                if let Ok((201, _)) = result {
                    back = back.max(promoted.elapsed());
                    break;
                }
                assert!(
                    promoted.elapsed() < Duration::from_secs(60),
                    "service never came back: {result:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        println!(
            "failover {}: primary is now node {}; service back {:.0} ms after the promotion",
            round + 1,
            pair.primary,
            back.as_secs_f64() * 1e3
        );
        recoveries.push(back);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    // Afterwards, through either replica: every acknowledged create is there, every acknowledged revocation holds.
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    let mut violations = ledger.violations.clone();
    let mut missing = 0;
    for (i, (id, _)) in ledger.created.iter().enumerate() {
        let (status, body) = send(
            &client,
            Method::GET,
            format!("{}/api/v2/authorizations/{id}", bases[i % 2]),
            OPERATOR_TOKEN,
            None,
        )
        .await
        .unwrap();
        match (ledger.revoked.get(id), status) {
            (Some((_, true)), 404) => {}
            (Some((_, true)), other) => violations.push(format!("{id}: deleted, acknowledged, but {other} {body}")),
            (Some((_, false)), 200) if body["status"] == "inactive" => {}
            (Some((_, false)), other) => {
                violations.push(format!("{id}: deactivated, acknowledged, but {other} {body}"))
            }
            (None, 200) => {}
            (None, 404) if ledger.uncertain.contains(id) => {}
            (None, other) => {
                missing += 1;
                violations.push(format!("{id}: created, acknowledged, but {other} {body}"));
            }
        }
    }
    let mut accepted_after = 0;
    let mut after = 0;
    for (index, started, status) in &ledger.checks {
        let id = &ledger.created[*index].0;
        if let Some((answered, _)) = ledger.revoked.get(id)
            && started > answered
        {
            after += 1;
            if *status == 204 {
                accepted_after += 1;
                violations.push(format!(
                    "{id}: accepted by a check that started after its revocation was answered"
                ));
            }
        }
    }
    let deletes = ledger.revoked.values().filter(|(_, deleted)| *deleted).count();
    let mut times: Vec<f64> = recoveries.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    times.sort_by(f64::total_cmp);
    println!(
        "failover: {count} failovers; {} acknowledged creates ({missing} missing), {} acknowledged revocations ({deletes} deletes, {} deactivations, {} uncertain), {} token checks ({after} started after their token's revocation was answered, {accepted_after} accepted); answers by status {:?}; service back after each promotion in {} ms (max {:.0} ms); {} violations",
        ledger.created.len(),
        ledger.revoked.len(),
        ledger.revoked.len() - deletes,
        ledger.uncertain.len(),
        ledger.checks.len(),
        ledger.answers,
        times.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", "),
        times.last().copied().unwrap_or(0.0),
        violations.len(),
    );
    let sample: Vec<&String> = violations.iter().take(10).collect();
    assert!(violations.is_empty(), "{} violations: {sample:#?}", violations.len());
    assert!(
        recoveries.iter().all(|d| *d < BACK_WITHIN),
        "service back later than {BACK_WITHIN:?}: {times:?}"
    );
    assert!(ledger.revoked.len() > count, "too few revocations to mean anything");
}
