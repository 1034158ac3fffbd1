//! Revocation under load: once a DELETE or a PATCH `inactive` has been answered, no request that starts after
//! that instant is accepted with the token.
//!
//! [`LANES`] lanes run side by side. A lane creates a read-buckets token, sets [`USERS_PER_TOKEN`] tasks using it
//! continuously (`GET /api/v2/buckets`), revokes it after a few uses (a delete or a deactivation, at random),
//! notes the instant the revocation's answer arrived, and lets each user start [`AFTER_EACH`] more requests after
//! that instant; then the next token. Every use records when it started (before it was sent) and ended (after its
//! answer), so "started after the revocation" is never credited to a request that may have started before it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::sync::Notify;

use crate::common::{
    Http, OPERATOR_TOKEN, Outcome, Rng, Server, buckets_listed, env_count, median_max_ms, org_id, seed, token_request,
};

const LANES: usize = 8;
const USERS_PER_TOKEN: usize = 3;
/// Requests each user starts after the revocation was answered, before the lane moves on.
const AFTER_EACH: usize = 2;
/// Revocations in the default (CI) run; `RELIABILITY_REVOCATIONS` for the long mode (10,000+).
const DEFAULT_REVOCATIONS: usize = 5_000;
/// A user gives up after this many requests on one token (a bound, should a lane never revoke).
const USES_BOUND: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Revocation {
    Delete,
    Deactivate,
}

#[derive(Debug)]
enum Answer {
    /// 200 with buckets: the token was honoured.
    Accepted,
    /// 200 with an empty list: an inactive token (InfluxDB answers so rather than 401).
    Empty,
    /// 401: no such token.
    Refused,
    Other(String),
}

#[derive(Debug)]
struct Use {
    start: Instant,
    end: Instant,
    answer: Answer,
}

#[derive(Debug, Default)]
struct Report {
    deletes: u64,
    deactivations: u64,
    requests: u64,
    started_after_revocation: u64,
    use_latencies: Vec<Duration>,
    revoke_latencies: Vec<Duration>,
    violations: Vec<String>,
    unexpected: Vec<String>,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.deletes += other.deletes;
        self.deactivations += other.deactivations;
        self.requests += other.requests;
        self.started_after_revocation += other.started_after_revocation;
        self.use_latencies.extend(other.use_latencies);
        self.revoke_latencies.extend(other.revoke_latencies);
        self.violations.extend(other.violations);
        self.unexpected.extend(other.unexpected);
    }
}

/// Uses `token` until it has started [`AFTER_EACH`] requests after `revoked`.
/// Uses `token` through `urls[0]`; when a replica stops answering (it was killed), through the next one.
async fn user(
    http: Http,
    urls: Vec<String>,
    token: String,
    revoked: Arc<OnceLock<Instant>>,
    used: Arc<AtomicUsize>,
    notify: Arc<Notify>,
) -> Vec<Use> {
    let mut uses = Vec::new();
    let mut after = 0;
    let mut replica = 0;
    while uses.len() < USES_BOUND {
        let start = Instant::now();
        let outcome = http.send(Method::GET, &urls[replica % urls.len()], &token, None).await;
        if let Outcome::Lost(_) = &outcome
            && urls.len() > 1
        {
            // Not an answer: the replica is gone. The request was refused by nobody and accepted by nobody.
            replica += 1;
            continue;
        }
        let end = Instant::now();
        let answer = match outcome {
            Outcome::Answered(200, body) => match buckets_listed(&body) {
                Some(true) => Answer::Accepted,
                Some(false) => Answer::Empty,
                None => Answer::Other(format!("200 without a bucket list: {body}")),
            },
            Outcome::Answered(401, _) => Answer::Refused,
            Outcome::Answered(status, body) => Answer::Other(format!("{status} {body}")),
            Outcome::Lost(e) => Answer::Other(format!("no answer: {e}")),
        };
        uses.push(Use { start, end, answer });
        used.fetch_add(1, Ordering::SeqCst);
        notify.notify_one();
        if revoked.get().is_some_and(|revoked| start > *revoked) {
            after += 1;
            if after >= AFTER_EACH {
                break;
            }
        }
    }
    uses
}

/// Creates and revokes `count` tokens through `base`, while users use each through `use_bases` (in turn).
async fn lane(
    http: Http,
    base: String,
    use_bases: Vec<String>,
    org_id: String,
    lane: usize,
    count: usize,
    mut rng: Rng,
) -> Report {
    let mut report = Report::default();
    for n in 0..count {
        let description = format!("revocation l{lane} n{n}");
        let (status, created) = http
            .answered(
                Method::POST,
                &format!("{base}/api/v2/authorizations"),
                OPERATOR_TOKEN,
                Some(token_request(&org_id, &description)),
            )
            .await;
        if status != 201 {
            report
                .unexpected
                .push(format!("create {description}: {status} {created}"));
            continue;
        }
        let id = created["id"].as_str().unwrap().to_owned();
        let token = created["token"].as_str().unwrap().to_owned();

        let revoked = Arc::new(OnceLock::new());
        let used = Arc::new(AtomicUsize::new(0));
        let notify = Arc::new(Notify::new());
        let users: Vec<_> = (0..USERS_PER_TOKEN)
            .map(|u| {
                // Each user starts on its own replica and moves to the others should it go.
                let urls = (0..use_bases.len())
                    .map(|i| format!("{}/api/v2/buckets", use_bases[(u + i) % use_bases.len()]))
                    .collect();
                tokio::spawn(user(
                    http.clone(),
                    urls,
                    token.clone(),
                    revoked.clone(),
                    used.clone(),
                    notify.clone(),
                ))
            })
            .collect();
        let uses_before = rng.range(1, 2 * USERS_PER_TOKEN as u64) as usize;
        while used.load(Ordering::SeqCst) < uses_before {
            notify.notified().await;
        }

        let kind = if rng.chance(0.5) {
            Revocation::Delete
        } else {
            Revocation::Deactivate
        };
        let url = format!("{base}/api/v2/authorizations/{id}");
        let sent = Instant::now();
        let (status, body) = match kind {
            Revocation::Delete => http.answered(Method::DELETE, &url, OPERATOR_TOKEN, None).await,
            Revocation::Deactivate => {
                let body = json!({ "status": "inactive" });
                http.answered(Method::PATCH, &url, OPERATOR_TOKEN, Some(body)).await
            }
        };
        let revoked_at = Instant::now();
        revoked.set(revoked_at).unwrap();
        report.revoke_latencies.push(revoked_at - sent);
        match (kind, status) {
            (Revocation::Delete, 204) => report.deletes += 1,
            (Revocation::Deactivate, 200) if body["status"] == "inactive" => report.deactivations += 1,
            _ => report.unexpected.push(format!("{kind:?} {id}: {status} {body}")),
        }

        for task in users {
            for used in task.await.unwrap() {
                report.requests += 1;
                report.use_latencies.push(used.end - used.start);
                let after = used.start > revoked_at;
                let before = used.end < sent;
                report.started_after_revocation += u64::from(after);
                let at = |i: Instant| {
                    if i >= revoked_at {
                        format!("+{:?}", i - revoked_at)
                    } else {
                        format!("-{:?}", revoked_at - i)
                    }
                };
                let what = format!(
                    "token {id} ({kind:?}, answered after {:?}): a use started {} and ended {} from that answer",
                    revoked_at - sent,
                    at(used.start),
                    at(used.end)
                );
                match (&used.answer, kind) {
                    (Answer::Other(e), _) => report.unexpected.push(format!("{what}: {e}")),
                    (Answer::Accepted, _) if after => report.violations.push(format!("{what}: accepted")),
                    (Answer::Empty, Revocation::Delete) if after => {
                        report.violations.push(format!("{what}: 200 (empty) after its delete"));
                    }
                    (Answer::Empty | Answer::Refused, _) if before => {
                        report.unexpected.push(format!("{what}: refused before its revocation"));
                    }
                    (Answer::Empty, Revocation::Delete) => {
                        report
                            .unexpected
                            .push(format!("{what}: empty list, but it was deleted, not deactivated"));
                    }
                    (Answer::Refused, Revocation::Deactivate) => {
                        report
                            .unexpected
                            .push(format!("{what}: 401, but an inactive token gets 200 and no buckets"));
                    }
                    _ => {}
                }
            }
        }
    }
    report
}

#[test]
fn no_request_started_after_a_revocation_is_accepted() {
    let server = Server::start();
    race(&[server], "revocation under load", None, DEFAULT_REVOCATIONS);
}

/// Three servers on one database of a cluster of their own (`None` when PostgreSQL is not installed).
fn three_replicas() -> Option<(tests::pg::Cluster, Vec<Server>)> {
    let cluster = tests::pg::Cluster::start()?;
    let url = cluster.database("authz");
    let servers = (0..3).map(|_| Server::start_on(Some(url.clone()))).collect();
    Some((cluster, servers))
}

/// Three replicas on one PostgreSQL database: tokens are created and revoked through the first, and used through
/// the other two.
#[test]
fn no_replica_accepts_a_token_after_another_replica_revoked_it() {
    let Some((_cluster, servers)) = three_replicas() else {
        return;
    };
    race(
        &servers,
        "revocation across 3 replicas on PostgreSQL",
        None,
        DEFAULT_REVOCATIONS,
    );
}

/// The same, and one of the two replicas the tokens are used through is SIGKILLed in the middle of the race: its
/// users go on through the other, and nothing is accepted after a revocation either way.
#[test]
fn a_replica_killed_in_the_middle_of_the_race_changes_nothing() {
    let Some((_cluster, servers)) = three_replicas() else {
        return;
    };
    race(
        &servers,
        "revocation across 3 replicas, one killed midway",
        Some((servers[2].pid(), Duration::from_secs(8))),
        2_000,
    );
}

/// Runs the race: revocations through `servers[0]`, uses through the others (or through it, when alone). With
/// `kill`, the process `pid` is SIGKILLed that long after the start. `RELIABILITY_REVOCATIONS` revocations, else
/// `default_revocations`.
fn race(servers: &[Server], name: &str, kill: Option<(u32, Duration)>, default_revocations: usize) {
    let revocations = env_count("RELIABILITY_REVOCATIONS", default_revocations);
    let seed = seed();
    println!("{name}: {revocations} revocations, {LANES} lanes x {USERS_PER_TOKEN} users, seed {seed}");
    let mut rng = Rng::new(seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = Http::new();
    let started = Instant::now();
    let base = servers[0].base();
    let use_bases: Vec<String> = match servers {
        [only] => vec![only.base()],
        [_, others @ ..] => others.iter().map(Server::base).collect(),
        [] => unreachable!("a race needs a server"),
    };
    let report = runtime.block_on(async {
        if let Some((pid, after)) = kill {
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                println!("{after:?} in: SIGKILL to replica pid {pid}");
            });
        }
        let org = org_id(&http, &base).await;
        let lanes: Vec<_> = (0..LANES)
            .map(|l| {
                let count = revocations / LANES + usize::from(l < revocations % LANES);
                tokio::spawn(lane(
                    http.clone(),
                    base.clone(),
                    use_bases.clone(),
                    org.clone(),
                    l,
                    count,
                    rng.fork(),
                ))
            })
            .collect();
        let mut report = Report::default();
        for lane in lanes {
            report.merge(lane.await.unwrap());
        }
        report
    });
    let elapsed = started.elapsed();
    let (use_median, use_max) = median_max_ms(report.use_latencies);
    let (revoke_median, revoke_max) = median_max_ms(report.revoke_latencies);
    println!(
        "{name}: {} revocations checked ({} deletes, {} deactivations), {} token requests made, {} of \
         them started after their token's revocation was answered; request latency median {:.2} ms, \
         max {:.1} ms; revocation latency median {:.2} ms, max {:.1} ms; {} violations, {} unexpected answers; \
         {:.1} s; seed {seed}",
        report.deletes + report.deactivations,
        report.deletes,
        report.deactivations,
        report.requests,
        report.started_after_revocation,
        use_median,
        use_max,
        revoke_median,
        revoke_max,
        report.violations.len(),
        report.unexpected.len(),
        elapsed.as_secs_f64(),
    );
    let sample = |list: &[String]| list.iter().take(10).cloned().collect::<Vec<_>>().join("\n");
    assert!(
        report.violations.is_empty(),
        "{} requests that started after their token's revocation was answered were accepted (seed {seed}):\n{}",
        report.violations.len(),
        sample(&report.violations)
    );
    let logs: Vec<String> = servers.iter().map(Server::log_tail).collect();
    assert!(
        report.unexpected.is_empty(),
        "{} unexpected answers (seed {seed}):\n{}\nserver logs:\n{}",
        report.unexpected.len(),
        sample(&report.unexpected),
        logs.join("\n---\n")
    );
    assert_eq!(
        report.deletes + report.deactivations,
        revocations as u64,
        "not every revocation was carried out"
    );
    assert!(report.started_after_revocation >= (revocations * USERS_PER_TOKEN * AFTER_EACH) as u64);
}
