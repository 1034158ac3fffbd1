//! Helpers for influx-authz's integration tests: spawn the real server (in-process on `127.0.0.1:0`, or the real
//! binary as a child process) on a real redb file in a temp dir, and talk HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use reqwest::{Method, Response};
use serde_json::{Value, json};
use server::{App, Clock, Config, LogFormat, SystemClock};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub mod pg;

pub const OPERATOR_TOKEN: &str = "operator-token-for-tests";
pub const USERNAME: &str = "admin";
pub const PASSWORD: &str = "password123";
pub const ORG: &str = "my-org";
pub const BUCKET: &str = "my-bucket";

/// `DOCKER_INFLUXDB_INIT_*` for a binary set up like [`TestApp::spawn`]: user [`USERNAME`], org [`ORG`], bucket
/// [`BUCKET`], operator token [`OPERATOR_TOKEN`].
pub const SETUP_ENV: [(&str, &str); 6] = [
    ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
    ("DOCKER_INFLUXDB_INIT_USERNAME", USERNAME),
    ("DOCKER_INFLUXDB_INIT_PASSWORD", PASSWORD),
    ("DOCKER_INFLUXDB_INIT_ORG", ORG),
    ("DOCKER_INFLUXDB_INIT_BUCKET", BUCKET),
    ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", OPERATOR_TOKEN),
];

/// Serve options the tests vary.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub hashed_tokens: bool,
    pub set_up: bool,
    pub session_minutes: u32,
    pub allow_client_tokens: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            hashed_tokens: true,
            set_up: true,
            session_minutes: 60,
            allow_client_tokens: false,
        }
    }
}

pub fn config(db_path: &Path, options: Options) -> Config {
    use clap::Parser as _;
    // Start from the binary's own defaults, so new flags need no change here.
    let mut config = server::Cli::try_parse_from(["influx-authz"]).unwrap().serve;
    config.http_bind_address = "127.0.0.1:0".parse().unwrap();
    config.db_path = Some(db_path.to_path_buf());
    config.in_memory = false;
    config.use_hashed_tokens = options.hashed_tokens;
    config.session_length = options.session_minutes;
    config.allow_client_tokens = options.allow_client_tokens;
    config.log_format = LogFormat::Text;
    config.init_mode = options.set_up.then(|| "setup".to_owned());
    config.init_username = Some(USERNAME.into());
    config.init_password = Some(PASSWORD.into());
    config.init_org = Some(ORG.into());
    config.init_bucket = Some(BUCKET.into());
    config.init_retention = None;
    config.init_admin_token = Some(OPERATOR_TOKEN.into());
    // The PostgreSQL pass: the same test, its data in a database of its own instead of the redb file.
    config.postgres_url = pg::suite_database_for(db_path).map(server::PostgresUrl::new);
    config
}

/// The server, running in this process with the production wiring, on a redb file in a temp dir.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub dir: TempDir,
    pub options: Options,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The `name=value` of a sign-in answer's `Set-Cookie`.
pub fn session_cookie(response: &Response) -> String {
    let set = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

impl TestApp {
    /// `POST /api/v2/signin` with Basic credentials.
    pub async fn sign_in(&self, user: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/v2/signin"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap()
    }

    /// A set-up server (user `admin`, org `my-org`, bucket `my-bucket`, operator token [`OPERATOR_TOKEN`]).
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> Self {
        Self::spawn_in(tempfile::tempdir().unwrap(), options).await
    }

    /// Starts a server on the database in `dir` (for restarts on the same file).
    pub async fn spawn_in(dir: TempDir, options: Options) -> Self {
        Self::spawn_custom(dir, options, |_| {}, std::sync::Arc::new(SystemClock)).await
    }

    /// Starts a server on the database in `dir`, with `configure` applied to the configuration the options give,
    /// and the service's clock set to `clock`.
    pub async fn spawn_custom(
        dir: TempDir,
        options: Options,
        configure: impl FnOnce(&mut Config),
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        let mut config = config(&dir.path().join("influx-authz.redb"), options);
        configure(&mut config);
        let app = App::build_with_clock(&config, clock).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::serve(listener, app.router(), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            address,
            client: reqwest::Client::new(),
            dir,
            options,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Token {token}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.send(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    /// The setup org's ID.
    pub async fn org_id(&self) -> String {
        let orgs = json_of(self.get(&format!("/api/v2/orgs?org={ORG}"), OPERATOR_TOKEN).await, 200).await;
        orgs["orgs"][0]["id"].as_str().unwrap().to_owned()
    }

    /// The setup user's ID.
    pub async fn admin_id(&self) -> String {
        let me = json_of(self.get("/api/v2/me", OPERATOR_TOKEN).await, 200).await;
        me["id"].as_str().unwrap().to_owned()
    }

    /// Creates a user with the operator token; returns its ID.
    pub async fn create_user(&self, name: &str) -> String {
        let user = json_of(
            self.post("/api/v2/users", OPERATOR_TOKEN, json!({ "name": name }))
                .await,
            201,
        )
        .await;
        user["id"].as_str().unwrap().to_owned()
    }

    /// Creates a token with the operator token; returns `(id, token)`.
    pub async fn create_token(&self, body: Value) -> (String, String) {
        let created = json_of(self.post("/api/v2/authorizations", OPERATOR_TOKEN, body).await, 201).await;
        (
            created["id"].as_str().unwrap().to_owned(),
            created["token"].as_str().unwrap().to_owned(),
        )
    }
}

/// Asserts the status and returns the JSON body.
pub async fn json_of(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an InfluxDB error: status, `code`, `message`, and the `X-Platform-Error-Code` header.
pub async fn assert_error(response: Response, status: u16, code: &str, message: &str) {
    assert_eq!(
        response
            .headers()
            .get("x-platform-error-code")
            .and_then(|v| v.to_str().ok()),
        Some(code),
        "missing or wrong X-Platform-Error-Code"
    );
    let body = json_of(response, status).await;
    assert_eq!(body, json!({ "code": code, "message": message }));
}

// -- the real binary, as a child process ------------------------------------------------------------------------

/// Path of the `influx-authz` binary, built once per test run.
pub fn binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "--bin", "influx-authz"])
                .current_dir(&root)
                .status()
                .unwrap();
            assert!(status.success(), "building influx-authz failed");
            let target = std::env::var("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| root.join("target"));
            target.join("debug").join("influx-authz")
        })
        .clone()
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary running as a child process; killed on drop.
pub struct Process {
    pub child: Child,
    pub port: u16,
}

impl Process {
    /// Starts `influx-authz` with `args` and `envs` and waits until `/health` answers.
    pub fn start(args: &[&str], envs: &[(&str, &str)], log: &Path) -> Self {
        Self::spawn(args, envs, log, Stdio::null())
    }

    /// [`Process::start`], with stdout written to the file `stdout` (for `--audit-stdout`).
    pub fn start_with_stdout(args: &[&str], envs: &[(&str, &str)], log: &Path, stdout: &Path) -> Self {
        Self::spawn(args, envs, log, Stdio::from(std::fs::File::create(stdout).unwrap()))
    }

    fn spawn(args: &[&str], envs: &[(&str, &str)], log: &Path, stdout: Stdio) -> Self {
        let port = free_port();
        let log_file = std::fs::File::create(log).unwrap();
        let mut command = Command::new(binary());
        // The PostgreSQL pass: the database stands for the redb file the process is given (or, without one, the
        // directory of its log).
        let db_path = args
            .iter()
            .position(|a| *a == "--db-path")
            .and_then(|i| args.get(i + 1).map(PathBuf::from))
            .or_else(|| {
                envs.iter()
                    .find(|(k, _)| *k == "INFLUX_AUTHZ_DB_PATH")
                    .map(|(_, v)| PathBuf::from(v))
            })
            .unwrap_or_else(|| log.parent().unwrap_or(Path::new(".")).to_path_buf());
        if let Some(url) = pg::suite_database_for(&db_path) {
            command.env("INFLUX_AUTHZ_POSTGRES_URL", url);
        }
        let child = command
            .args(args)
            .env("INFLUXD_HTTP_BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .envs(envs.iter().copied())
            .stdout(stdout)
            .stderr(log_file)
            .spawn()
            .unwrap();
        let mut process = Self { child, port };
        process.wait_healthy();
        process
    }

    /// A child started by the caller (on `port`), once it listens: for starting several before waiting for any.
    pub fn adopt(child: Child, port: u16) -> Self {
        let mut process = Self { child, port };
        process.wait_healthy();
        process
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("influx-authz exited early: {status}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("influx-authz did not start listening");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "influx-authz did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
