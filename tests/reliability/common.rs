//! What both reliability tests share: the real binary on a redb file, a seeded random source, HTTP that reports a
//! lost answer instead of panicking, and small statistics.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;
use tests::Process;

pub const OPERATOR_TOKEN: &str = "reliability-operator-token";
pub const ORG: &str = "reliability-org";
pub const BUCKET: &str = "reliability-bucket";

/// A count from the environment (the long modes), or `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {text:?}")),
        Err(_) => default,
    }
}

/// `RELIABILITY_SEED`, or one taken from the clock (printed by each test so a failing run can be replayed).
pub fn seed() -> u64 {
    match std::env::var("RELIABILITY_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("RELIABILITY_SEED must be a number, not {text:?}")),
        Err(_) => SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64,
    }
}

/// SplitMix64: small, seedable and good enough to pick operations and kill moments.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A new generator for a task, derived from this one.
    pub fn fork(&mut self) -> Self {
        Self(self.next_u64())
    }
}

/// The real binary on one redb file that outlives restarts, or on a PostgreSQL database (that replicas may share).
pub struct Server {
    pub dir: TempDir,
    process: Option<Process>,
    pub starts: usize,
    postgres_url: Option<String>,
}

impl Server {
    /// Starts the binary, set up through `DOCKER_INFLUXDB_INIT_*` with [`OPERATOR_TOKEN`].
    pub fn start() -> Self {
        Self::start_on(None)
    }

    /// [`Server::start`] on the PostgreSQL database at `postgres_url`, or on its own redb file.
    pub fn start_on(postgres_url: Option<String>) -> Self {
        let mut server = Self {
            dir: tempfile::tempdir().unwrap(),
            process: None,
            starts: 0,
            postgres_url,
        };
        server.spawn();
        server
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("influx-authz.redb")
    }

    fn spawn(&mut self) {
        assert!(self.process.is_none(), "the previous process is still running");
        let db = self.db_path();
        let log = self.dir.path().join(format!("server-{}.log", self.starts));
        let mut envs = vec![
            ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
            ("DOCKER_INFLUXDB_INIT_USERNAME", tests::USERNAME),
            ("DOCKER_INFLUXDB_INIT_PASSWORD", tests::PASSWORD),
            ("DOCKER_INFLUXDB_INIT_ORG", ORG),
            ("DOCKER_INFLUXDB_INIT_BUCKET", BUCKET),
            ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", OPERATOR_TOKEN),
            ("INFLUX_AUTHZ_DB_PATH", db.to_str().unwrap()),
            ("INFLUXD_LOG_LEVEL", "warn"),
        ];
        if let Some(url) = &self.postgres_url {
            envs.push(("INFLUX_AUTHZ_POSTGRES_URL", url));
        }
        // `Process::start` panics when the binary exits early or does not listen within 20 s: the "always restarts"
        // promise. It listens only once the database is open and set up.
        self.process = Some(Process::start(&["serve"], &envs, &log));
        self.starts += 1;
    }

    /// `http://127.0.0.1:PORT` of the running process.
    pub fn base(&self) -> String {
        self.process.as_ref().expect("server not running").url("")
    }

    /// The running process's ID.
    pub fn pid(&self) -> u32 {
        self.process.as_ref().expect("server not running").child.id()
    }

    /// SIGKILL, and reap the process.
    pub fn kill9(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.child.kill().unwrap();
            process.child.wait().unwrap();
        }
    }

    /// Starts the binary again on the same file; returns how long it took to listen.
    pub fn restart(&mut self) -> Duration {
        let started = Instant::now();
        self.spawn();
        started.elapsed()
    }

    /// The tail of the newest log, for failure messages.
    pub fn log_tail(&self) -> String {
        let path = self
            .dir
            .path()
            .join(format!("server-{}.log", self.starts.saturating_sub(1)));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// An HTTP client for the tests: a request either gets an answer (status and JSON body, `Null` when not JSON), or
/// is lost (connection refused or reset, e.g. by a kill): then it may or may not have taken effect.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

#[derive(Debug)]
pub enum Outcome {
    Answered(u16, Value),
    Lost(String),
}

impl Http {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    pub async fn send(&self, method: Method, url: &str, token: &str, body: Option<Value>) -> Outcome {
        let mut request = self
            .client
            .request(method, url)
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Outcome::Lost(e.to_string()),
        };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(bytes) => Outcome::Answered(status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
            Err(e) => Outcome::Lost(e.to_string()),
        }
    }

    /// A request that must be answered (the server is not being killed).
    pub async fn answered(&self, method: Method, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        match self.send(method, url, token, body).await {
            Outcome::Answered(status, body) => (status, body),
            Outcome::Lost(e) => panic!("{url}: no answer: {e}"),
        }
    }
}

/// The body of a new read-buckets token in `org_id`.
pub fn token_request(org_id: &str, description: &str) -> Value {
    json!({
        "orgID": org_id,
        "description": description,
        "permissions": [{ "action": "read", "resource": { "type": "buckets", "orgID": org_id } }],
    })
}

/// `buckets` of a `GET /api/v2/buckets` body: `Some(true)` when non-empty, `Some(false)` when empty.
pub fn buckets_listed(body: &Value) -> Option<bool> {
    body.get("buckets")
        .and_then(Value::as_array)
        .map(|buckets| !buckets.is_empty())
}

/// The setup org's ID.
pub async fn org_id(http: &Http, base: &str) -> String {
    let (status, orgs) = http
        .answered(
            Method::GET,
            &format!("{base}/api/v2/orgs?org={ORG}"),
            OPERATOR_TOKEN,
            None,
        )
        .await;
    assert_eq!(status, 200, "{orgs}");
    orgs["orgs"][0]["id"].as_str().unwrap().to_owned()
}

/// Median and maximum of a set of durations, in milliseconds.
pub fn median_max_ms(mut samples: Vec<Duration>) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(samples[samples.len() / 2]), ms(samples[samples.len() - 1]))
}
