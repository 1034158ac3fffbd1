//! Crash safety: what a client saw acknowledged survives a SIGKILL at any moment.
//!
//! Each cycle, [`CLIENTS`] concurrent clients create, deactivate/reactivate and delete their own tokens until the
//! server is SIGKILLed at a random moment; the server is restarted on the same file and checked against the
//! clients' log. A client's operations on its own tokens are sequential, so each token's acknowledged history is a
//! simple sequence; the one request a client had in flight at the kill may have gone either way, so it widens
//! that token's possible states to "before or after" until the check after the restart observes which.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use model::wire::AuthorizationView;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{
    Http, OPERATOR_TOKEN, Outcome, Rng, Server, buckets_listed, env_count, median_max_ms, org_id, seed, token_request,
};

const CLIENTS: usize = 4;
/// Kills in the default (CI) run; `RELIABILITY_KILLS` for the long mode.
const DEFAULT_KILLS: usize = 40;
/// Deleted tokens re-checked at each restart besides those deleted in the last cycle (all of them at the end).
const GRAVEYARD_SAMPLE: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Absent,
    Active,
    Inactive,
}

impl State {
    fn of(status: &str) -> Option<Self> {
        match status {
            "active" => Some(State::Active),
            "inactive" => Some(State::Inactive),
            _ => None,
        }
    }

    fn wire(self) -> &'static str {
        match self {
            State::Absent => "absent",
            State::Active => "active",
            State::Inactive => "inactive",
        }
    }
}

/// A token as one client knows it.
#[derive(Debug, Clone)]
struct Tracked {
    description: String,
    /// `None` while its create was in flight at a kill (the answer, with the ID, never came).
    id: Option<String>,
    /// `None` when its create's answer was lost: the token was shown only in that answer.
    token: Option<String>,
    /// What the store may hold: one state once acknowledged or observed; two while a request was in flight at a
    /// kill.
    possible: Vec<State>,
}

impl Tracked {
    fn definite(&self) -> Option<State> {
        match self.possible.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// One client: its tokens and its log's counts, carried from cycle to cycle.
#[derive(Debug)]
struct Client {
    number: usize,
    rng: Rng,
    tokens: Vec<Tracked>,
    created: u64,
    creates: u64,
    patches: u64,
    deletes: u64,
    in_flight_at_kill: u64,
    failures: Vec<String>,
}

impl Client {
    /// Runs operations until one is lost (the server was killed).
    async fn run(mut self, http: Http, base: String, org_id: String) -> Self {
        loop {
            let live: Vec<usize> = (0..self.tokens.len())
                .filter(|&i| {
                    matches!(self.tokens[i].definite(), Some(State::Active | State::Inactive))
                        && self.tokens[i].id.is_some()
                })
                .collect();
            let pick = |rng: &mut Rng| live[rng.range(0, live.len() as u64) as usize];
            let roll = self.rng.range(0, 100);
            let carried_on = if live.len() < 4 || (live.len() <= 12 && roll < 35) {
                self.create(&http, &base, &org_id).await
            } else if live.len() <= 12 && roll < 75 {
                let i = pick(&mut self.rng);
                self.patch(&http, &base, i).await
            } else {
                let i = pick(&mut self.rng);
                self.delete(&http, &base, i).await
            };
            if !carried_on {
                self.in_flight_at_kill += 1;
                return self;
            }
        }
    }

    async fn create(&mut self, http: &Http, base: &str, org_id: &str) -> bool {
        self.created += 1;
        let description = format!("crash c{} n{}", self.number, self.created);
        let body = token_request(org_id, &description);
        let url = format!("{base}/api/v2/authorizations");
        match http.send(Method::POST, &url, OPERATOR_TOKEN, Some(body)).await {
            Outcome::Answered(201, body) => {
                self.creates += 1;
                self.tokens.push(Tracked {
                    description,
                    id: Some(body["id"].as_str().unwrap_or_default().to_owned()),
                    token: Some(body["token"].as_str().unwrap_or_default().to_owned()),
                    possible: vec![State::Active],
                });
                true
            }
            Outcome::Answered(status, body) => {
                self.failures.push(format!("create {description}: {status} {body}"));
                true
            }
            Outcome::Lost(_) => {
                self.tokens.push(Tracked {
                    description,
                    id: None,
                    token: None,
                    possible: vec![State::Absent, State::Active],
                });
                false
            }
        }
    }

    async fn patch(&mut self, http: &Http, base: &str, i: usize) -> bool {
        let token = &mut self.tokens[i];
        let id = token.id.clone().unwrap();
        let before = token.definite().unwrap();
        let after = if before == State::Active {
            State::Inactive
        } else {
            State::Active
        };
        let url = format!("{base}/api/v2/authorizations/{id}");
        let body = json!({ "status": after.wire() });
        match http.send(Method::PATCH, &url, OPERATOR_TOKEN, Some(body)).await {
            Outcome::Answered(200, body) if body["status"] == after.wire() => {
                self.patches += 1;
                token.possible = vec![after];
                true
            }
            Outcome::Answered(status, body) => {
                self.failures
                    .push(format!("PATCH {id} to {}: {status} {body}", after.wire()));
                true
            }
            Outcome::Lost(_) => {
                token.possible = vec![before, after];
                false
            }
        }
    }

    async fn delete(&mut self, http: &Http, base: &str, i: usize) -> bool {
        let token = &mut self.tokens[i];
        let id = token.id.clone().unwrap();
        let before = token.definite().unwrap();
        let url = format!("{base}/api/v2/authorizations/{id}");
        match http.send(Method::DELETE, &url, OPERATOR_TOKEN, None).await {
            Outcome::Answered(204, _) => {
                self.deletes += 1;
                token.possible = vec![State::Absent];
                true
            }
            Outcome::Answered(status, body) => {
                self.failures.push(format!("DELETE {id}: {status} {body}"));
                true
            }
            Outcome::Lost(_) => {
                token.possible = vec![before, State::Absent];
                false
            }
        }
    }
}

/// A deleted token: its ID must stay 404 and its token (when known) 401, forever.
#[derive(Debug, Clone)]
struct Buried {
    id: String,
    token: Option<String>,
}

#[derive(Debug, Default)]
struct Checks {
    states: u64,
    tokens: u64,
    records: u64,
    graves: u64,
}

/// What the check after a restart reads from the server.
struct Checker<'a> {
    http: &'a Http,
    base: String,
    failures: Vec<String>,
    checks: &'a mut Checks,
}

impl Checker<'_> {
    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.http
            .answered(Method::GET, &format!("{}{path}", self.base), token, None)
            .await
    }

    /// Every listed authorization, checked for completeness and against `GET` by ID.
    async fn listed(&mut self) -> HashMap<String, Value> {
        let (status, body) = self.get("/api/v2/authorizations", OPERATOR_TOKEN).await;
        assert_eq!(status, 200, "listing authorizations after a restart: {body}");
        let mut listed = HashMap::new();
        for entry in body["authorizations"].as_array().unwrap() {
            self.checks.records += 1;
            let id = entry["id"].as_str().unwrap_or_default().to_owned();
            if let Err(e) = serde_json::from_value::<AuthorizationView>(entry.clone()) {
                self.failures
                    .push(format!("listed authorization {id} is incomplete ({e}): {entry}"));
            }
            if State::of(entry["status"].as_str().unwrap_or_default()).is_none()
                || entry["permissions"].as_array().is_none_or(Vec::is_empty)
                || entry["links"]["self"] != format!("/api/v2/authorizations/{id}")
            {
                self.failures
                    .push(format!("listed authorization {id} is inconsistent: {entry}"));
            }
            let (status, alone) = self.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await;
            // lastUsedAt moves with every request (the operator token's own included), so it is left out.
            let without_last_use = |value: &Value| {
                let mut value = value.clone();
                if let Some(object) = value.as_object_mut() {
                    object.remove("lastUsedAt");
                }
                value
            };
            if status != 200 || without_last_use(&alone) != without_last_use(entry) {
                self.failures.push(format!(
                    "GET /api/v2/authorizations/{id} = {status} {alone}, but listed as {entry}"
                ));
            }
            if listed.insert(id.clone(), entry.clone()).is_some() {
                self.failures.push(format!("authorization {id} listed twice"));
            }
        }
        listed
    }

    /// The token's answer on `GET /api/v2/buckets` matches `state`: active 200 with buckets, inactive 200 with
    /// none (InfluxDB's semantics), absent 401.
    async fn token_behaves(&mut self, token: &str, state: State, what: &str) {
        self.checks.tokens += 1;
        let (status, body) = self.get("/api/v2/buckets", token).await;
        let ok = match state {
            State::Active => status == 200 && buckets_listed(&body) == Some(true),
            State::Inactive => status == 200 && buckets_listed(&body) == Some(false),
            State::Absent => status == 401,
        };
        if !ok {
            let body: String = body.to_string().chars().take(160).collect();
            self.failures.push(format!(
                "token of {what} should be {}: GET /api/v2/buckets = {status} {body}…",
                state.wire()
            ));
        }
    }

    async fn stays_buried(&mut self, grave: &Buried) {
        self.checks.graves += 1;
        let (status, body) = self
            .get(&format!("/api/v2/authorizations/{}", grave.id), OPERATOR_TOKEN)
            .await;
        if status != 404 {
            self.failures
                .push(format!("deleted authorization {} is back: {status} {body}", grave.id));
        }
        if let Some(token) = &grave.token {
            self.token_behaves(token, State::Absent, &format!("deleted {}", grave.id))
                .await;
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_at_random_moments() {
    crash_loop(Server::start(), "crash safety", DEFAULT_KILLS);
}

/// The same loop with the server on PostgreSQL: each SIGKILL hits influx-authz, the database stays up.
#[test]
fn acknowledged_writes_survive_sigkill_at_random_moments_on_postgres() {
    let Some(cluster) = tests::pg::Cluster::start() else {
        return;
    };
    let url = cluster.database("authz");
    crash_loop(
        Server::start_on(Some(url)),
        "crash safety on PostgreSQL",
        DEFAULT_KILLS / 2,
    );
}

/// Load from [`CLIENTS`] clients, a SIGKILL of `server` at a random moment, a restart, and the check of every
/// acknowledged operation against the store; `RELIABILITY_KILLS` times (else `default_kills`).
fn crash_loop(mut server: Server, name: &str, default_kills: usize) {
    let kills = env_count("RELIABILITY_KILLS", default_kills);
    let seed = seed();
    println!("{name}: {kills} kills, seed {seed} (RELIABILITY_SEED to replay)");
    let mut rng = Rng::new(seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = Http::new();
    let (org, operator_id) = runtime.block_on(async {
        let base = server.base();
        let org = org_id(&http, &base).await;
        let (status, list) = http
            .answered(
                Method::GET,
                &format!("{base}/api/v2/authorizations"),
                OPERATOR_TOKEN,
                None,
            )
            .await;
        assert_eq!(status, 200, "{list}");
        (org, list["authorizations"][0]["id"].as_str().unwrap().to_owned())
    });

    let mut clients: Vec<Client> = (0..CLIENTS)
        .map(|number| Client {
            number,
            rng: rng.fork(),
            tokens: Vec::new(),
            created: 0,
            creates: 0,
            patches: 0,
            deletes: 0,
            in_flight_at_kill: 0,
            failures: Vec::new(),
        })
        .collect();
    let mut graveyard: Vec<Buried> = Vec::new();
    let mut checks = Checks::default();
    let mut restarts = Vec::new();

    for cycle in 1..=kills {
        // Load, and a SIGKILL at a random moment of it.
        let kill_after = Duration::from_millis(rng.range(5, 300));
        clients = runtime.block_on(async {
            let base = server.base();
            let tasks: Vec<_> = clients
                .drain(..)
                .map(|client| tokio::spawn(client.run(http.clone(), base.clone(), org.clone())))
                .collect();
            tokio::time::sleep(kill_after).await;
            server.kill9();
            let mut back = Vec::new();
            for task in tasks {
                back.push(task.await.unwrap());
            }
            back
        });
        restarts.push(server.restart());

        // The check against the clients' log.
        let failures = runtime.block_on(async {
            let mut checker = Checker {
                http: &http,
                base: server.base(),
                failures: Vec::new(),
                checks: &mut checks,
            };
            let listed = checker.listed().await;
            let mut accounted: HashSet<String> = HashSet::from([operator_id.clone()]);
            let mut buried_now = Vec::new();
            for client in &mut clients {
                checker.failures.append(&mut client.failures);
                let mut kept = Vec::new();
                for mut tracked in client.tokens.drain(..) {
                    checker.checks.states += 1;
                    if tracked.id.is_none() {
                        // Its create was in flight: adopt it if it was committed (by its unique description).
                        tracked.id = listed
                            .values()
                            .find(|entry| entry["description"] == tracked.description.as_str())
                            .map(|entry| entry["id"].as_str().unwrap_or_default().to_owned());
                    }
                    let observed = tracked
                        .id
                        .as_ref()
                        .and_then(|id| listed.get(id))
                        .map_or(State::Absent, |entry| {
                            State::of(entry["status"].as_str().unwrap_or_default()).unwrap_or(State::Absent)
                        });
                    let what = format!(
                        "{} ({})",
                        tracked.id.as_deref().unwrap_or("unacknowledged create"),
                        tracked.description
                    );
                    if !tracked.possible.contains(&observed) {
                        let expected: Vec<&str> = tracked.possible.iter().map(|s| s.wire()).collect();
                        checker.failures.push(format!(
                            "after kill {cycle}: {what} is {} but the acknowledged log allows only {expected:?}",
                            observed.wire()
                        ));
                    }
                    if let Some(token) = &tracked.token {
                        checker.token_behaves(token, observed, &what).await;
                    }
                    match (observed, tracked.id.clone()) {
                        (State::Absent, Some(id)) => buried_now.push(Buried {
                            id,
                            token: tracked.token.clone(),
                        }),
                        (State::Absent, None) => {}
                        (_, id) => {
                            accounted.insert(id.unwrap());
                            tracked.possible = vec![observed];
                            kept.push(tracked);
                        }
                    }
                }
                client.tokens = kept;
            }
            for (id, entry) in &listed {
                if !accounted.contains(id) {
                    checker.failures.push(format!(
                        "after kill {cycle}: authorization {id} should not exist: {entry}"
                    ));
                }
            }
            for grave in &buried_now {
                checker.stays_buried(grave).await;
            }
            let older: Vec<Buried> = if cycle == kills {
                graveyard.clone()
            } else {
                (0..GRAVEYARD_SAMPLE.min(graveyard.len()))
                    .map(|_| graveyard[rng.range(0, graveyard.len() as u64) as usize].clone())
                    .collect()
            };
            for grave in &older {
                checker.stays_buried(grave).await;
            }
            graveyard.extend(buried_now);
            checker
                .token_behaves(OPERATOR_TOKEN, State::Active, "the operator")
                .await;
            checker.failures
        });
        assert!(
            failures.is_empty(),
            "after kill {cycle} of {kills} (seed {seed}), {} failures:\n{}\nserver log:\n{}",
            failures.len(),
            failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n"),
            server.log_tail()
        );
    }

    let total = |f: fn(&Client) -> u64| clients.iter().map(f).sum::<u64>();
    let (creates, patches, deletes) = (total(|c| c.creates), total(|c| c.patches), total(|c| c.deletes));
    let in_flight = total(|c| c.in_flight_at_kill);
    let (median, max) = median_max_ms(restarts);
    println!(
        "{name}: {kills} SIGKILLs survived (restart median {median:.0} ms, max {max:.0} ms); {} acknowledged \
         operations checked ({creates} creates, {patches} patches, {deletes} deletes) + {in_flight} in flight at a \
         kill; {} state checks, {} listed records compared, {} token checks, {} deleted-token re-checks; seed {seed}",
        creates + patches + deletes,
        checks.states,
        checks.records,
        checks.tokens,
        checks.graves,
    );
    assert!(
        creates > 0 && deletes > 0 && patches > 0,
        "too little load to prove anything"
    );
}
