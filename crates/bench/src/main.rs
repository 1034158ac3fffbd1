//! `bench`: influx-authz against a bare axum baseline, in one run, on this machine.
//!
//! Build first, then run: `cargo build --release -p server -p bench && target/release/bench [--quick]`.
//! The driver starts `target/release/influx-authz` and `target/release/baseline` (next to itself), seeds redb
//! files offline, drives both servers with the same load generator ([`bench::load`]) on loopback, alternating
//! baseline and influx-authz runs, and prints one markdown table: medians of `--runs` runs per figure.
//! Every answer is checked; the first wrong one aborts the run with the request, status and body.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::load::{self, Call, Rng, RunResult, Workload};
use bench::process::{ADMIN_TOKEN, ORG, Server};
use bench::stats::{Summary, fmt, median};
use bench::{BASELINE_BODY, procfs, seed};
use bytes::Bytes;
use clap::Parser;
use http::{Method, StatusCode};

#[derive(Parser, Debug, Clone)]
#[command(about = "Benchmark influx-authz against a bare axum baseline and print the table")]
struct Args {
    /// Seconds instead of minutes: 1 s runs and a 20,000-token "large" store.
    #[arg(long)]
    quick: bool,
    /// Runs per figure (alternating baseline / influx-authz); the table shows medians.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds per run (default 5, or 1 with --quick).
    #[arg(long)]
    duration: Option<f64>,
    /// Tokens in the large store (default 1,000,000, or 20,000 with --quick).
    #[arg(long)]
    large: Option<u64>,
    /// Where `influx-authz` and `baseline` are (default: next to this binary).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Keep the redb files and server logs here (default: a temporary directory, removed at the end).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Run only these scenarios (repeatable): get_by_id, list_10, list_1000, page_small, unauthorized,
    /// token_check_1k, create_delete, replicas (PostgreSQL only), token_check_plain, token_check_large,
    /// page_large, startup.
    #[arg(long)]
    only: Vec<String>,
    /// Record a `perf record --call-graph dwarf` CPU profile of influx-authz while it serves, into `<PERF>-<store>.data`.
    #[arg(long)]
    perf: Option<PathBuf>,
    /// The storage engine influx-authz runs on: `redb`, `postgres` (a throw-away cluster the bench starts with
    /// Debian's binaries; each store is seeded as a redb file and copied in with `influx-authz migrate`), or
    /// `both`, one after the other in the same run, with the PostgreSQL targets checked against redb's figures.
    #[arg(long, value_enum, default_value = "redb")]
    backend: BackendArg,
    /// Also measure GET by id and the 401 at c=64 with wrk (`wrk -t1 -c64`, Debian's package), alternating with
    /// the baseline like the bench's own client; said and skipped when wrk is not installed.
    #[arg(long)]
    wrk: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BackendArg {
    Redb,
    Postgres,
    Both,
}

/// A PostgreSQL cluster of the bench's own (`tests/postgres/cluster.sh`), stopped when dropped. Each redb file the
/// run would serve stands for a database of the same name, copied in from the file on first use.
struct Postgres {
    script: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    made: std::cell::RefCell<std::collections::HashSet<String>>,
}

impl Postgres {
    fn start() -> Result<Self, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/postgres/cluster.sh");
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new(&script)
            .arg("start")
            .arg(dir.path())
            .output()
            .map_err(|e| format!("{}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!("starting PostgreSQL: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let port = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|e| format!("cluster.sh printed no port: {e}"))?;
        eprintln!("PostgreSQL on 127.0.0.1:{port}");
        Ok(Self {
            script,
            dir,
            port,
            made: Default::default(),
        })
    }

    /// The URL of the database standing for `db`; made on first use, with `db`'s contents when the file exists.
    fn database_for(&self, db: &Path, ours: &Path) -> Result<String, String> {
        let name = db
            .file_stem()
            .map(|s| s.to_string_lossy().replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
            .unwrap_or_else(|| "authz".into());
        let url = format!("postgres://postgres@127.0.0.1:{}/{name}", self.port);
        if self.made.borrow_mut().insert(name.clone()) {
            let out = Command::new(&self.script)
                .args(["createdb", &self.port.to_string(), &name])
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!("createdb {name}: {}", String::from_utf8_lossy(&out.stderr)));
            }
            if db.exists() {
                let started = Instant::now();
                let out = Command::new(ours)
                    .args(["migrate", "--from-db-path"])
                    .arg(db)
                    .args(["--to-postgres-url", &url])
                    .output()
                    .map_err(|e| e.to_string())?;
                if !out.status.success() {
                    return Err(format!(
                        "migrate {}: {}",
                        db.display(),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                eprintln!(
                    "  copied {} into PostgreSQL in {:.1} s",
                    db.display(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Ok(url)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(&self.script).arg("stop").arg(self.dir.path()).status();
    }
}

struct Config {
    runs: usize,
    duration: Duration,
    large: u64,
    only: Vec<String>,
    perf: Option<PathBuf>,
    wrk: bool,
}

impl Config {
    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == scenario)
    }

    fn warmup(&self) -> Duration {
        (self.duration / 5).min(Duration::from_secs(1))
    }
}

// -- workloads ---------------------------------------------------------------------------------------------------

type BodyCheck = Box<dyn Fn(&Bytes) -> Result<(), String> + Send + Sync>;

/// The same request every time.
struct Fixed {
    call: Call,
    expect: StatusCode,
    first: BodyCheck,
}

impl Workload for Fixed {
    fn next(&self, _: usize, _: &mut Rng) -> Option<Call> {
        Some(self.call.clone())
    }
    fn check(&self, status: StatusCode, body: &Bytes, first: bool) -> Result<(), String> {
        expect_status(status, self.expect)?;
        if first { (self.first)(body) } else { Ok(()) }
    }
}

/// `GET path` with a token picked at random from a pool of seeded tokens.
struct RandomToken {
    path: String,
    tokens: Vec<Arc<str>>,
}

impl Workload for RandomToken {
    fn next(&self, _: usize, rng: &mut Rng) -> Option<Call> {
        let token = Arc::clone(&self.tokens[rng.below(self.tokens.len())]);
        Some(Call::get(self.path.clone(), Some(token)))
    }
    fn check(&self, status: StatusCode, body: &Bytes, first: bool) -> Result<(), String> {
        expect_status(status, StatusCode::OK)?;
        if first {
            let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
            if value["id"].as_str().is_none() {
                return Err("no id in the answer".into());
            }
        }
        Ok(())
    }
}

/// `POST /api/v2/authorizations`, keeping the IDs it gets back for [`Delete`].
struct Create {
    call: Call,
    ids: Mutex<Vec<String>>,
}

impl Workload for Create {
    fn next(&self, _: usize, _: &mut Rng) -> Option<Call> {
        Some(self.call.clone())
    }
    fn check(&self, status: StatusCode, body: &Bytes, _: bool) -> Result<(), String> {
        expect_status(status, StatusCode::CREATED)?;
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let id = value["id"].as_str().ok_or("no id")?.to_owned();
        if value["token"].as_str().is_none_or(str::is_empty) {
            return Err("no token in the create answer".into());
        }
        self.ids.lock().map_err(|e| e.to_string())?.push(id);
        Ok(())
    }
}

/// `DELETE /api/v2/authorizations/{id}` for each ID, once; runs out when they do.
struct Delete {
    ids: Mutex<Vec<String>>,
}

impl Workload for Delete {
    fn next(&self, _: usize, _: &mut Rng) -> Option<Call> {
        let id = self.ids.lock().ok()?.pop()?;
        Some(Call {
            method: Method::DELETE,
            path: format!("/api/v2/authorizations/{id}"),
            token: Some(ADMIN_TOKEN.into()),
            body: None,
        })
    }
    fn check(&self, status: StatusCode, _: &Bytes, _: bool) -> Result<(), String> {
        expect_status(status, StatusCode::NO_CONTENT)
    }
}

/// The same requests as `inner`, sent to the baseline, which must answer its fixed body every time.
struct Baseline<W>(W);

impl<W: Workload> Workload for Baseline<W> {
    fn next(&self, connection: usize, rng: &mut Rng) -> Option<Call> {
        self.0.next(connection, rng)
    }
    fn check(&self, status: StatusCode, body: &Bytes, _: bool) -> Result<(), String> {
        expect_status(status, StatusCode::OK)?;
        if body.len() != BASELINE_BODY.len() {
            return Err(format!("baseline body of {} bytes", body.len()));
        }
        Ok(())
    }
}

/// `workload` as sent to the baseline (each answer checked against its fixed body) or to influx-authz.
fn for_server<W: Workload + 'static>(base: bool, workload: W) -> Arc<dyn Workload> {
    if base {
        Arc::new(Baseline(workload))
    } else {
        Arc::new(workload)
    }
}

fn expect_status(got: StatusCode, want: StatusCode) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("expected {want}"))
    }
}

fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// -- measuring ---------------------------------------------------------------------------------------------------

/// One table row: a scenario at one concurrency, ours and the baseline's figures.
struct Row {
    scenario: &'static str,
    what: String,
    concurrency: usize,
    ours: Summary,
    baseline: Summary,
}

/// Medians of the wrk runs of one scenario.
struct WrkRow {
    scenario: &'static str,
    ours: f64,
    baseline: f64,
    ours_cpu_us: f64,
    baseline_cpu_us: f64,
}

struct Bench {
    config: Config,
    baseline: Server,
    rows: Vec<Row>,
    wrk_rows: Vec<WrkRow>,
    seed: std::cell::Cell<u64>,
}

impl Bench {
    async fn one(
        &self,
        server: &Server,
        workload: Arc<dyn Workload>,
        concurrency: usize,
        duration: Duration,
    ) -> Result<RunResult, String> {
        self.seed.set(self.seed.get() + 1);
        load::run(
            server.address,
            server.pid(),
            workload,
            concurrency,
            duration,
            self.seed.get(),
        )
        .await
        .map_err(|e| format!("{}: {e}{}", server.name, server.log_tail()))
    }

    /// Warm-up, then `runs` × (baseline run, influx-authz run), each a fresh workload from `make`.
    async fn compare(
        &mut self,
        ours: &Server,
        scenario: &'static str,
        what: String,
        concurrency: usize,
        make: &dyn Fn(bool) -> Arc<dyn Workload>,
    ) -> Result<(), String> {
        eprintln!("  {scenario} c={concurrency}");
        let warmup = self.config.warmup();
        let baseline = &self.baseline;
        self.one(baseline, make(true), concurrency, warmup).await?;
        self.one(ours, make(false), concurrency, warmup).await?;
        let (mut base_runs, mut our_runs) = (Vec::new(), Vec::new());
        for _ in 0..self.config.runs {
            base_runs.push(
                self.one(baseline, make(true), concurrency, self.config.duration)
                    .await?,
            );
            our_runs.push(self.one(ours, make(false), concurrency, self.config.duration).await?);
        }
        self.push_row(scenario, what, concurrency, &our_runs, &base_runs);
        Ok(())
    }

    /// `GET /api/v2/me`, each request with a token drawn from `tokens`.
    async fn token_check(
        &mut self,
        ours: &Server,
        scenario: &'static str,
        what: String,
        tokens: &[Arc<str>],
    ) -> Result<(), String> {
        for c in [1, 64] {
            let make = |base: bool| -> Arc<dyn Workload> {
                let workload = RandomToken {
                    path: "/api/v2/me".into(),
                    tokens: tokens.to_vec(),
                };
                for_server(base, workload)
            };
            self.compare(ours, scenario, what.clone(), c, &make).await?;
        }
        Ok(())
    }

    /// The token check through three replicas at once (c=64 in all: 22 + 21 + 21), against the baseline at
    /// c=64; one row whose figures add the replicas' requests and server CPU up.
    async fn replicas(
        &mut self,
        replicas: [&Server; 3],
        scenario: &'static str,
        what: String,
        tokens: &[Arc<str>],
    ) -> Result<(), String> {
        eprintln!("  {scenario} c=64");
        let make = |base: bool| -> Arc<dyn Workload> {
            for_server(
                base,
                RandomToken {
                    path: "/api/v2/me".into(),
                    tokens: tokens.to_vec(),
                },
            )
        };
        let (mut base_runs, mut our_runs) = (Vec::new(), Vec::new());
        for _ in 0..self.config.runs {
            base_runs.push(self.one(&self.baseline, make(true), 64, self.config.duration).await?);
            let duration = self.config.duration;
            let (a, b, c) = tokio::join!(
                self.one(replicas[0], make(false), 22, duration),
                self.one(replicas[1], make(false), 21, duration),
                self.one(replicas[2], make(false), 21, duration),
            );
            let runs = [a, b, c];
            let mut merged = RunResult {
                requests: 0,
                elapsed: Duration::ZERO,
                latencies_ns: Vec::new(),
                server_cpu: 0.0,
                client_cpu: 0.0,
            };
            for run in runs {
                let run = run?;
                merged.requests += run.requests;
                merged.elapsed = merged.elapsed.max(run.elapsed);
                merged.latencies_ns.extend(run.latencies_ns);
                merged.server_cpu += run.server_cpu;
                merged.client_cpu += run.client_cpu;
            }
            merged.latencies_ns.sort_unstable();
            our_runs.push(merged);
        }
        self.push_row(scenario, what, 64, &our_runs, &base_runs);
        Ok(())
    }

    /// `GET path` with the operator token, whose answer must list exactly `n` authorizations.
    async fn list(
        &mut self,
        ours: &Server,
        scenario: &'static str,
        what: String,
        path: String,
        n: usize,
    ) -> Result<(), String> {
        for c in [1, 64] {
            let make = |base: bool| -> Arc<dyn Workload> {
                let fixed = Fixed {
                    call: Call::get(path.clone(), Some(ADMIN_TOKEN.into())),
                    expect: StatusCode::OK,
                    first: Box::new(move |body| {
                        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
                        let got = value["authorizations"].as_array().map_or(0, Vec::len);
                        if got == n {
                            Ok(())
                        } else {
                            Err(format!("{got} authorizations, expected {n}"))
                        }
                    }),
                };
                for_server(base, fixed)
            };
            self.compare(ours, scenario, what.clone(), c, &make).await?;
        }
        Ok(())
    }

    /// Create then delete, alternating with the baseline: each delete run removes what the create run before it
    /// made, so both write paths are measured on the same store size.
    async fn create_delete(&mut self, ours: &Server, org: &str, concurrency: usize) -> Result<(), String> {
        eprintln!("  create/delete c={concurrency}");
        let body = Bytes::from(
            serde_json::json!({
                "orgID": org,
                "description": "bench",
                "permissions": [{"action": "read", "resource": {"type": "authorizations", "orgID": org}}],
            })
            .to_string(),
        );
        let create_call = Call {
            method: Method::POST,
            path: "/api/v2/authorizations".into(),
            token: Some(ADMIN_TOKEN.into()),
            body: Some(body),
        };
        let baseline = &self.baseline;
        let (mut creates, mut base_creates, mut deletes, mut base_deletes) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..self.config.runs {
            let duration = self.config.duration;
            let call = create_call.clone();
            base_creates.push(
                self.one(
                    baseline,
                    Arc::new(Baseline(Fixed {
                        call,
                        expect: StatusCode::OK,
                        first: Box::new(|_| Ok(())),
                    })),
                    concurrency,
                    duration,
                )
                .await?,
            );
            let create = Arc::new(Create {
                call: create_call.clone(),
                ids: Mutex::new(Vec::new()),
            });
            creates.push(self.one(ours, create.clone(), concurrency, duration).await?);
            let ids = std::mem::take(&mut *create.ids.lock().map_err(|e| e.to_string())?);
            base_deletes.push(
                self.one(
                    baseline,
                    Arc::new(Baseline(Fixed {
                        call: Call {
                            method: Method::DELETE,
                            path: "/api/v2/authorizations/0d8c5a9f1e2b3000".into(),
                            token: Some(ADMIN_TOKEN.into()),
                            body: None,
                        },
                        expect: StatusCode::OK,
                        first: Box::new(|_| Ok(())),
                    })),
                    concurrency,
                    duration,
                )
                .await?,
            );
            // No time limit: every token created above is deleted, so the store ends as it began.
            let delete = Arc::new(Delete { ids: Mutex::new(ids) });
            deletes.push(self.one(ours, delete, concurrency, Duration::from_secs(3600)).await?);
        }
        let what = "durable: answered after the group commit holding it is fsynced".to_owned();
        self.push_row("create", what.clone(), concurrency, &creates, &base_creates);
        self.push_row("delete", what, concurrency, &deletes, &base_deletes);
        Ok(())
    }

    fn push_row(
        &mut self,
        scenario: &'static str,
        what: String,
        concurrency: usize,
        ours: &[RunResult],
        baseline: &[RunResult],
    ) {
        let row = Row {
            scenario,
            what,
            concurrency,
            ours: Summary::of(ours),
            baseline: Summary::of(baseline),
        };
        eprintln!(
            "    {:.0} req/s (baseline {:.0}), p50 {:.0} µs, p99 {:.0} µs, {:.1} CPU µs/req",
            row.ours.per_second, row.baseline.per_second, row.ours.p50_us, row.ours.p99_us, row.ours.cpu_us
        );
        self.rows.push(row);
    }

    /// With `--wrk`: a warm-up, then `runs` × (baseline, influx-authz) of `wrk -t1 -c64` on `GET path`.
    async fn wrk_compare(
        &mut self,
        ours: &Server,
        scenario: &'static str,
        path: &str,
        token: Option<&str>,
        success: bool,
    ) -> Result<(), String> {
        if !self.config.wrk {
            return Ok(());
        }
        eprintln!("  {scenario} c=64, wrk");
        // The baseline answers 200 to everything.
        let run = |server: &Server, duration: Duration| {
            let (address, pid) = (server.address, server.pid());
            let (path, token) = (path.to_owned(), token.map(str::to_owned));
            let success = success || std::ptr::eq(server, &self.baseline);
            tokio::task::spawn_blocking(move || {
                bench::wrk::run(address, pid, &path, token.as_deref(), 64, duration, success)
            })
        };
        let warmup = self.config.warmup().max(Duration::from_secs(1));
        let joined = |e: tokio::task::JoinError| e.to_string();
        run(&self.baseline, warmup).await.map_err(joined)??;
        run(ours, warmup).await.map_err(joined)??;
        let (mut base, mut mine) = (Vec::new(), Vec::new());
        for _ in 0..self.config.runs {
            base.push(run(&self.baseline, self.config.duration).await.map_err(joined)??);
            mine.push(run(ours, self.config.duration).await.map_err(joined)??);
        }
        let row = WrkRow {
            scenario,
            ours: median(mine.iter().map(|r| r.per_second)),
            baseline: median(base.iter().map(|r| r.per_second)),
            ours_cpu_us: median(mine.iter().map(|r| r.server_cpu_us)),
            baseline_cpu_us: median(base.iter().map(|r| r.server_cpu_us)),
        };
        eprintln!(
            "    wrk: {:.0} req/s (baseline {:.0}), {:.1} CPU µs/req (baseline {:.1})",
            row.ours, row.baseline, row.ours_cpu_us, row.baseline_cpu_us
        );
        self.wrk_rows.push(row);
        Ok(())
    }

    fn row(&self, scenario: &str, concurrency: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.scenario == scenario && r.concurrency == concurrency)
    }
}

// -- the run -----------------------------------------------------------------------------------------------------

struct Paths {
    ours: PathBuf,
    baseline: PathBuf,
    work: PathBuf,
    /// Set when influx-authz runs on PostgreSQL.
    postgres: Option<Postgres>,
}

/// Memory of one server: RSS when idle after start-up, and the peak over its life (read before stopping it).
#[derive(Default, Clone, Copy)]
struct Memory {
    idle_kib: Option<u64>,
    peak_kib: Option<u64>,
}

fn start_ours(paths: &Paths, db: &Path, tag: &str) -> Result<(Server, Duration), String> {
    start_ours_with(paths, db, tag, true, &[])
}

/// influx-authz on the engine of this run: on the redb file `db`, or on the PostgreSQL database standing for it.
fn start_ours_with(
    paths: &Paths,
    db: &Path,
    tag: &str,
    setup: bool,
    extra: &[&str],
) -> Result<(Server, Duration), String> {
    let mut extra: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
    if let Some(postgres) = &paths.postgres {
        extra.push("--postgres-url".into());
        extra.push(postgres.database_for(db, &paths.ours)?);
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let log = paths.work.join(format!("{tag}.log"));
    let started = Instant::now();
    let mut server = Server::ours(&paths.ours, db, &log, setup, &extra)?;
    let took = server.wait_healthy(started, Duration::from_secs(600))?;
    Ok((server, took))
}

/// influx-authz on the redb file `db` whatever the run's engine: for seeding the files.
fn start_on_file(paths: &Paths, db: &Path, tag: &str) -> Result<(Server, Duration), String> {
    let log = paths.work.join(format!("{tag}.log"));
    let started = Instant::now();
    let mut server = Server::ours(&paths.ours, db, &log, true, &[])?;
    let took = server.wait_healthy(started, Duration::from_secs(600))?;
    Ok((server, took))
}

fn idle_rss(server: &Server) -> Result<u64, String> {
    std::thread::sleep(Duration::from_millis(500));
    procfs::status_kib(server.pid(), "VmRSS")
}

async fn json(server: &Server, path: &str) -> Result<serde_json::Value, String> {
    let (status, body) = load::once(server.address, Call::get(path, Some(ADMIN_TOKEN.into()))).await?;
    if status != StatusCode::OK {
        return Err(format!("GET {path}: {status} {}", String::from_utf8_lossy(&body)));
    }
    serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
}

/// The path of page `pages + 1` (of 100) of `user`'s tokens, found by following `links.next` from the first: an
/// `after=` deep in the user's index, as a client paging through would send.
async fn deep_page(server: &Server, user: &str, pages: usize) -> Result<String, String> {
    let mut path = format!("/api/v2/authorizations?user={user}&limit=100");
    for _ in 0..pages {
        let page = json(server, &path).await?;
        path = page["links"]["next"]
            .as_str()
            .ok_or_else(|| format!("{path}: no links.next"))?
            .to_owned();
    }
    Ok(path)
}

fn token_pool(population: std::ops::Range<u64>, size: usize, seed: u64) -> Vec<Arc<str>> {
    let count = population.end - population.start;
    if count as usize <= size {
        return population.map(|i| Arc::from(seed::token(i))).collect();
    }
    let mut rng = Rng::new(seed);
    (0..size)
        .map(|_| Arc::from(seed::token(population.start + rng.below(count as usize) as u64)))
        .collect()
}

fn start_perf(config: &Config, server: &Server, tag: &str) -> Result<Option<Child>, String> {
    let Some(out) = &config.perf else {
        return Ok(None);
    };
    let file = format!("{}-{tag}.data", out.display());
    let child = Command::new("perf")
        .args(["record", "-F", "999", "--call-graph", "dwarf,32768", "-o", &file, "-p"])
        .arg(server.pid().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start perf: {e}"))?;
    std::thread::sleep(Duration::from_millis(300));
    eprintln!("  recording a profile into {file}");
    Ok(Some(child))
}

fn stop_perf(perf: Option<Child>) {
    if let Some(mut child) = perf {
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let _ = child.wait();
    }
}

/// What one engine's run measured.
struct Measured {
    rows: Vec<Row>,
    startup: BTreeMap<&'static str, Vec<f64>>,
    large_count: u64,
}

async fn run(args: Args) -> Result<Vec<(&'static str, Measured)>, String> {
    let engines: &[&'static str] = match args.backend {
        BackendArg::Redb => &["redb"],
        BackendArg::Postgres => &["postgres"],
        BackendArg::Both => &["redb", "postgres"],
    };
    let mut out = Vec::new();
    for engine in engines {
        println!("\n## influx-authz on {engine}\n");
        out.push((*engine, run_on(args.clone(), engine == &"postgres").await?));
    }
    if let [(_, redb), (_, postgres)] = out.as_slice() {
        print_postgres_targets(redb, postgres);
    }
    Ok(out)
}

async fn run_on(args: Args, on_postgres: bool) -> Result<Measured, String> {
    let config = Config {
        runs: args.runs.max(1),
        duration: Duration::from_secs_f64(args.duration.unwrap_or(if args.quick { 1.0 } else { 5.0 })),
        large: args.large.unwrap_or(if args.quick { 20_000 } else { 1_000_000 }),
        only: args.only,
        perf: args.perf,
        wrk: args.wrk && {
            let found = bench::wrk::available();
            if !found {
                eprintln!("bench: --wrk: wrk is not installed (Debian package: wrk); its runs are skipped");
            }
            found
        },
    };
    let bin_dir = match args.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .parent()
            .map(Path::to_path_buf)
            .ok_or("no directory for this binary")?,
    };
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = match args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            dir
        }
        None => temp.path().to_owned(),
    };
    let paths = Paths {
        ours: bin_dir.join("influx-authz"),
        baseline: bin_dir.join("baseline"),
        work,
        postgres: if on_postgres { Some(Postgres::start()?) } else { None },
    };
    for binary in [&paths.ours, &paths.baseline] {
        if !binary.exists() {
            return Err(format!(
                "{} is missing: run `cargo build --release -p server -p bench` first",
                binary.display()
            ));
        }
    }
    print_machine(&config);

    // Seed: set up through the server itself, then add the bench users and tokens offline.
    eprintln!("seeding the small store ({} tokens)", seed::SMALL_TOKENS.end);
    let small = paths.work.join("small.redb");
    let large = paths.work.join("large.redb");
    let _ = std::fs::remove_file(&small);
    let (server, _) = start_on_file(&paths, &small, "setup")?;
    server.stop()?;
    seed::seed_small(&small, true)?;
    // The same store without expiry times, for the token check with expiry and last use off.
    let plain = paths.work.join("plain.redb");
    if config.wants("token_check_plain") {
        let _ = std::fs::remove_file(&plain);
        let (server, _) = start_on_file(&paths, &plain, "setup-plain")?;
        server.stop()?;
        seed::seed_small(&plain, false)?;
    }
    let want_large = config.wants("token_check_large") || config.wants("page_large") || config.wants("startup");
    if want_large {
        eprintln!("seeding the large store (+{} tokens)", config.large);
        let _ = std::fs::remove_file(&large);
        std::fs::copy(&small, &large).map_err(|e| format!("copying the store: {e}"))?;
        let took = seed::seed_bulk(&large, config.large)?;
        let size = std::fs::metadata(&large).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "  {} tokens in {:.1} s; file {:.0} MiB",
            config.large,
            took.as_secs_f64(),
            size as f64 / 1048576.0
        );
    }

    let mut baseline = Server::baseline(&paths.baseline)?;
    baseline.wait_healthy(Instant::now(), Duration::from_secs(30))?;
    let mut bench = Bench {
        config,
        baseline,
        rows: Vec::new(),
        wrk_rows: Vec::new(),
        seed: std::cell::Cell::new(1),
    };
    let mut memory: BTreeMap<&str, Memory> = BTreeMap::new();
    memory.insert(
        "baseline",
        Memory {
            idle_kib: Some(idle_rss(&bench.baseline)?),
            peak_kib: None,
        },
    );

    // -- the small store: ~1,000 tokens ------------------------------------------------------------------------
    eprintln!("influx-authz on the small store");
    let (ours, _) = start_ours(&paths, &small, "small")?;
    let mut small_memory = Memory {
        idle_kib: Some(idle_rss(&ours)?),
        peak_kib: None,
    };
    let perf = start_perf(&bench.config, &ours, "small")?;
    let org = json(&ours, &format!("/api/v2/orgs?org={ORG}")).await?["orgs"][0]["id"]
        .as_str()
        .ok_or("no org id")?
        .to_owned();
    let listed = json(&ours, &format!("/api/v2/authorizations?user={}", seed::USER_10)).await?;
    let first_id = listed["authorizations"][0]["id"]
        .as_str()
        .ok_or("no seeded authorization")?
        .to_owned();
    let admin: Option<Arc<str>> = Some(ADMIN_TOKEN.into());

    if bench.config.wants("get_by_id") {
        for c in [1, 64] {
            let (path, id) = (format!("/api/v2/authorizations/{first_id}"), first_id.clone());
            let make = |base: bool| -> Arc<dyn Workload> {
                let id = id.clone();
                let fixed = Fixed {
                    call: Call::get(path.clone(), admin.clone()),
                    expect: StatusCode::OK,
                    first: Box::new(move |body| {
                        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
                        if value["id"].as_str() == Some(id.as_str()) {
                            Ok(())
                        } else {
                            Err("not the record asked for".into())
                        }
                    }),
                };
                for_server(base, fixed)
            };
            bench
                .compare(
                    &ours,
                    "get_by_id",
                    "GET /api/v2/authorizations/{id}, operator token".into(),
                    c,
                    &make,
                )
                .await?;
        }
        let path = format!("/api/v2/authorizations/{first_id}");
        bench
            .wrk_compare(&ours, "get_by_id", &path, Some(ADMIN_TOKEN), true)
            .await?;
    }
    for (scenario, user, n) in [("list_10", seed::USER_10, 10), ("list_1000", seed::USER_1000, 1000)] {
        if bench.config.wants(scenario) {
            let what = format!("GET /api/v2/authorizations?user=… ({n} tokens)");
            bench
                .list(&ours, scenario, what, format!("/api/v2/authorizations?user={user}"), n)
                .await?;
        }
    }
    if bench.config.wants("page_small") {
        let what = format!(
            "GET …?user=…&limit=100&after=…: a page of 100 of 1,000 tokens among {}",
            seed::SMALL_TOKENS.end
        );
        let path = deep_page(&ours, seed::USER_1000, 5).await?;
        bench.list(&ours, "page_small", what, path, 100).await?;
    }
    if bench.config.wants("unauthorized") {
        let unknown: Option<Arc<str>> = Some(seed::unknown_token().into());
        for c in [1, 64] {
            let path = format!("/api/v2/authorizations/{first_id}");
            let make = |base: bool| -> Arc<dyn Workload> {
                let fixed = Fixed {
                    call: Call::get(path.clone(), unknown.clone()),
                    expect: StatusCode::UNAUTHORIZED,
                    first: Box::new(|body| {
                        if contains(body, "unauthorized") {
                            Ok(())
                        } else {
                            Err("not InfluxDB's 401 body".into())
                        }
                    }),
                };
                for_server(base, fixed)
            };
            bench
                .compare(&ours, "unauthorized", "same GET, unknown token: 401".into(), c, &make)
                .await?;
        }
        let path = format!("/api/v2/authorizations/{first_id}");
        bench
            .wrk_compare(&ours, "unauthorized", &path, Some(&seed::unknown_token()), false)
            .await?;
    }
    let small_tokens = token_pool(seed::population(0), 50_000, 7);
    if bench.config.wants("token_check_1k") {
        let what = format!(
            "GET /api/v2/me, random token of {}, each with an expiry; last use tracked",
            seed::population(0).end
        );
        bench.token_check(&ours, "token_check_1k", what, &small_tokens).await?;
    }
    if bench.config.wants("create_delete") {
        for c in [1, 16] {
            bench.create_delete(&ours, &org, c).await?;
        }
    }
    if paths.postgres.is_some() && bench.config.wants("replicas") {
        // Two more replicas on the same database; the same token check, its load spread over the three.
        let (second, _) = start_ours_with(&paths, &small, "small-2", false, &[])?;
        let (third, _) = start_ours_with(&paths, &small, "small-3", false, &[])?;
        let what = format!(
            "GET /api/v2/me, random token of {}, through 3 replicas on one database",
            seed::population(0).end
        );
        bench
            .replicas([&ours, &second, &third], "replicas_3", what, &small_tokens)
            .await?;
        second.stop()?;
        third.stop()?;
    }
    stop_perf(perf);
    small_memory.peak_kib = Some(procfs::status_kib(ours.pid(), "VmHWM")?);
    memory.insert("influx-authz, ~1k tokens", small_memory);
    ours.stop()?;

    // The same check with neither extension at work: tokens without expiry, last-use tracking off.
    if bench.config.wants("token_check_plain") {
        eprintln!("influx-authz on the same store without expiry, --track-last-used=false");
        let (ours, _) = start_ours_with(&paths, &plain, "plain", true, &["--track-last-used=false"])?;
        let what = format!(
            "GET /api/v2/me, random token of {}, no expiry; --track-last-used=false",
            seed::population(0).end
        );
        bench
            .token_check(&ours, "token_check_plain", what, &small_tokens)
            .await?;
        ours.stop()?;
    }

    // -- the large store: ~1,000,000 tokens --------------------------------------------------------------------
    let large_count = seed::population(bench.config.large).end;
    if bench.config.wants("token_check_large") || bench.config.wants("page_large") {
        eprintln!("influx-authz on the large store");
        let (ours, _) = start_ours(&paths, &large, "large")?;
        let mut large_memory = Memory {
            idle_kib: Some(idle_rss(&ours)?),
            peak_kib: None,
        };
        let perf = start_perf(&bench.config, &ours, "large")?;
        if bench.config.wants("token_check_large") {
            let tokens = token_pool(seed::population(bench.config.large), 50_000, 7);
            let what = format!("GET /api/v2/me, random token of {large_count}");
            bench.token_check(&ours, "token_check_large", what, &tokens).await?;
        }
        if bench.config.wants("page_large") {
            let per_user = bench.config.large / seed::BULK_USERS;
            let what =
                format!("GET …?user=…&limit=100&after=…: a page of 100 of {per_user} tokens among {large_count}");
            // Five pages deep, or as deep as a quick run's smaller store allows.
            let pages = (per_user / 100).saturating_sub(1).min(5) as usize;
            let path = deep_page(&ours, &seed::bulk_user(7), pages).await?;
            bench.list(&ours, "page_large", what, path, 100).await?;
        }
        stop_perf(perf);
        large_memory.peak_kib = Some(procfs::status_kib(ours.pid(), "VmHWM")?);
        memory.insert("influx-authz, large store", large_memory);
        ours.stop()?;
    }

    // -- start-up, alternating: baseline, empty store, large store ---------------------------------------------
    let mut startup: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    if bench.config.wants("startup") {
        eprintln!("start-up");
        let mut empty_idle = Vec::new();
        for run in 0..bench.config.runs {
            let started = Instant::now();
            let mut base = Server::baseline(&paths.baseline)?;
            let took = base.wait_healthy(started, Duration::from_secs(30))?;
            startup.entry("baseline").or_default().push(took.as_secs_f64() * 1e3);
            base.stop()?;

            let bare = paths.work.join(format!("bare-{run}.redb"));
            let (server, took) = start_ours_with(&paths, &bare, "bare", false, &[])?;
            startup
                .entry("influx-authz, empty store, no setup")
                .or_default()
                .push(took.as_secs_f64() * 1e3);
            server.stop()?;
            let _ = std::fs::remove_file(&bare);

            let empty = paths.work.join(format!("empty-{run}.redb"));
            let (server, took) = start_ours(&paths, &empty, "empty")?;
            startup
                .entry("influx-authz, empty store + DOCKER_INFLUXDB_INIT setup")
                .or_default()
                .push(took.as_secs_f64() * 1e3);
            empty_idle.push(idle_rss(&server)? as f64);
            server.stop()?;
            let _ = std::fs::remove_file(&empty);

            let (server, took) = start_ours(&paths, &large, "large-start")?;
            startup
                .entry("influx-authz, large store")
                .or_default()
                .push(took.as_secs_f64() * 1e3);
            server.stop()?;
        }
        memory.insert(
            "influx-authz, empty store",
            Memory {
                idle_kib: Some(median(empty_idle) as u64),
                peak_kib: None,
            },
        );
    }
    print_tables(&bench, &startup, &memory, large_count);
    bench.baseline.stop()?;
    Ok(Measured {
        rows: bench.rows,
        startup,
        large_count,
    })
}

/// The PostgreSQL engine's targets (issue 13), against redb's figures of the same run.
fn print_postgres_targets(redb: &Measured, postgres: &Measured) {
    let row = |m: &'_ Measured, scenario: &str, c: usize| -> Option<Summary> {
        m.rows
            .iter()
            .find(|r| r.scenario == scenario && r.concurrency == c)
            .map(|r| r.ours)
    };
    let verdict = |ok: bool| if ok { "MEETS" } else { "MISSES" };
    println!();
    println!("Targets of the PostgreSQL engine (issue 13), against redb in this run:");
    if let (Some(pg), Some(rb)) = (row(postgres, "get_by_id", 64), row(redb, "get_by_id", 64)) {
        let ratio = pg.per_second / rb.per_second;
        println!(
            "- GET by id at c=64 ≥ 0.5× redb: {:.0} vs {:.0} req/s = {ratio:.2}× — {}",
            pg.per_second,
            rb.per_second,
            verdict(ratio >= 0.5)
        );
    }
    for (scenario, what) in [
        ("unauthorized", "401"),
        ("token_check_1k", "token check, ~1k tokens"),
        ("token_check_large", "token check, large store"),
    ] {
        if let (Some(pg), Some(rb)) = (row(postgres, scenario, 64), row(redb, scenario, 64)) {
            println!(
                "- {what} at c=64: {:.0} vs {:.0} req/s = {:.2}× redb",
                pg.per_second,
                rb.per_second,
                pg.per_second / rb.per_second
            );
        }
    }
    if let Some(pg) = row(postgres, "create", 16) {
        println!(
            "- durable creates ≥ 2,000/s at c=16 (synchronous_commit=on): {:.0}/s — {}",
            pg.per_second,
            verdict(pg.per_second >= 2000.0)
        );
    }
    if let Some(runs) = postgres.startup.get("influx-authz, large store") {
        let ms = median(runs.iter().copied());
        println!(
            "- start-up to the first /health 200 < 100 ms with {} tokens: {ms:.1} ms — {}",
            postgres.large_count,
            verdict(ms < 100.0)
        );
    }
    if let (Some(three), Some(one)) = (row(postgres, "replicas_3", 64), row(postgres, "token_check_1k", 64)) {
        println!(
            "- 3 replicas on one database, token check c=64 in all: {:.0} req/s vs one replica {:.0} req/s",
            three.per_second, one.per_second
        );
    }
}

// -- printing ----------------------------------------------------------------------------------------------------

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// `/proc/loadavg`: other work on the machine skews every figure, so the table says how busy it was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn print_machine(config: &Config) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned())
        })
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1048576.0))
        .unwrap_or_default();
    println!(
        "machine: {} cores ({}), {cpu}, {memory}, Linux {}",
        command_output("nproc", &[]),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        command_output("uname", &["-r"]),
    );
    println!("load average at start: {}", loadavg());
    println!(
        "run: {} runs of {:.1} s per figure (medians), warm-up {:.1} s, large store {} tokens{}",
        config.runs,
        config.duration.as_secs_f64(),
        config.warmup().as_secs_f64(),
        config.large,
        if config.only.is_empty() {
            String::new()
        } else {
            format!(", only {:?}", config.only)
        },
    );
}

fn print_tables(bench: &Bench, startup: &BTreeMap<&str, Vec<f64>>, memory: &BTreeMap<&str, Memory>, large_count: u64) {
    println!();
    println!(
        "| scenario | c | influx-authz req/s | baseline req/s | ratio | p50 µs ours / base | p99 µs ours / base | server CPU µs/req ours / base | CPU ratio | client CPU µs/req |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &bench.rows {
        println!(
            "| {} ({}) | {} | {} | {} | {:.2} | {} / {} | {} / {} | {} / {} | {:.1} | {} |",
            row.scenario,
            row.what,
            row.concurrency,
            fmt(row.ours.per_second),
            fmt(row.baseline.per_second),
            row.ours.per_second / row.baseline.per_second,
            fmt(row.ours.p50_us),
            fmt(row.baseline.p50_us),
            fmt(row.ours.p99_us),
            fmt(row.baseline.p99_us),
            fmt(row.ours.cpu_us),
            fmt(row.baseline.cpu_us),
            row.ours.cpu_us / row.baseline.cpu_us,
            fmt(row.ours.client_cpu_us),
        );
    }
    if !startup.is_empty() {
        println!();
        println!("| start-up to first 200 from /health | median ms | runs ms |");
        println!("|---|---:|---|");
        for (what, runs) in startup {
            let list: Vec<String> = runs.iter().map(|ms| fmt(*ms)).collect();
            println!(
                "| {what} | {} | {} |",
                fmt(median(runs.iter().copied())),
                list.join(", ")
            );
        }
    }
    println!();
    println!("| memory | idle VmRSS MiB | peak VmHWM MiB |");
    println!("|---|---:|---:|");
    let mib = |kib: Option<u64>| kib.map_or("–".to_owned(), |k| fmt(k as f64 / 1024.0));
    for (what, m) in memory {
        println!("| {what} | {} | {} |", mib(m.idle_kib), mib(m.peak_kib));
    }

    println!();
    println!("load average at the end: {}", loadavg());
    println!();
    if bench.row("token_check_large", 64).is_some() || !startup.is_empty() {
        println!("Targets (issue 7), large store = {large_count} tokens:");
    } else {
        println!("Targets (issue 7):");
    }
    let verdict = |ok: bool| if ok { "MEETS" } else { "MISSES" };
    if let Some(r) = bench.row("get_by_id", 64) {
        let ratio = r.ours.per_second / r.baseline.per_second;
        println!(
            "- GET by id at c=64 ≥ 0.8× baseline: {:.2}× — {}",
            ratio,
            verdict(ratio >= 0.8)
        );
    }
    if let Some(r) = bench.row("unauthorized", 64) {
        let ratio = r.ours.per_second / r.baseline.per_second;
        println!(
            "- 401 at c=64 ≥ 0.9× baseline: {:.2}× — {}",
            ratio,
            verdict(ratio >= 0.9)
        );
    }
    for row in &bench.wrk_rows {
        let (name, target) = match row.scenario {
            "get_by_id" => ("GET by id", 0.8),
            _ => ("401", 0.9),
        };
        let ratio = row.ours / row.baseline;
        println!(
            "- {name} at c=64 ≥ {target}× baseline, with wrk: {ratio:.2}× ({:.0} vs {:.0} req/s; {:.1} vs {:.1} server CPU µs/req) — {}",
            row.ours,
            row.baseline,
            row.ours_cpu_us,
            row.baseline_cpu_us,
            verdict(ratio >= target)
        );
    }
    if let (Some(small), Some(large)) = (bench.row("token_check_1k", 64), bench.row("token_check_large", 64)) {
        let ratio = large.ours.per_second / small.ours.per_second;
        println!(
            "- token check, large store within 10% of ~1k at c=64: {:.0} vs {:.0} req/s = {:.2}× — {}",
            large.ours.per_second,
            small.ours.per_second,
            ratio,
            verdict(ratio >= 0.9)
        );
    }
    if let (Some(on), Some(off)) = (bench.row("token_check_1k", 64), bench.row("token_check_plain", 64)) {
        let ratio = on.ours.per_second / off.ours.per_second;
        println!(
            "- token check with expiry and last use on vs off (issue 8), c=64: {:.0} vs {:.0} req/s = {:.2}×, CPU {:.1} vs {:.1} µs/req",
            on.ours.per_second, off.ours.per_second, ratio, on.ours.cpu_us, off.ours.cpu_us
        );
    }
    if let (Some(small), Some(large)) = (bench.row("page_small", 64), bench.row("page_large", 64)) {
        println!(
            "- a page of 100 deep in one user's tokens (issue 8), c=64: among {large_count} {:.0} req/s vs among ~1k {:.0} req/s = {:.2}×",
            large.ours.per_second,
            small.ours.per_second,
            large.ours.per_second / small.ours.per_second
        );
    }
    if let Some(r) = bench.row("create", 16) {
        println!(
            "- durable creates ≥ 2,000/s at c=16: {:.0}/s — {}",
            r.ours.per_second,
            verdict(r.ours.per_second >= 2000.0)
        );
    }
    if let Some(runs) = startup.get("influx-authz, large store") {
        let ms = median(runs.iter().copied());
        println!(
            "- start-up < 50 ms on the large store: {ms:.1} ms — {}",
            verdict(ms < 50.0)
        );
    }
    let worst_idle = memory
        .iter()
        .filter(|(what, _)| what.starts_with("influx-authz"))
        .filter_map(|(_, m)| m.idle_kib)
        .max();
    if let Some(kib) = worst_idle {
        let mib = kib as f64 / 1024.0;
        println!(
            "- idle RSS < 20 MiB (largest of our stores): {mib:.1} MiB — {}",
            verdict(mib < 20.0)
        );
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nbench: ABORTED: {message}");
            ExitCode::FAILURE
        }
    }
}
