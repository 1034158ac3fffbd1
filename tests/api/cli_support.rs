//! Plumbing shared by the CLI tests (`cli`, `cli_people`, `cli_extensions`): the real `influx-authz` binary as a
//! subprocess, with `$HOME` in a scratch directory and none of the user's `INFLUX_*`, against a real server (another
//! child process), plus an HTTP helper to check the server's state afterwards.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;
use tests::{Process, binary};

/// Variables of the user's shell that would change what the CLI does.
const CLI_ENV: &[&str] = &[
    "INFLUX_HOST",
    "INFLUX_TOKEN",
    "INFLUX_ORG",
    "INFLUX_ORG_ID",
    "INFLUX_ORG_DESCRIPTION",
    "INFLUX_NAME",
    "INFLUX_CONFIGS_PATH",
    "INFLUX_CLI_CONFIGS_PATH",
    "INFLUX_ACTIVE_CONFIG",
    "INFLUX_OUTPUT_JSON",
    "INFLUX_HIDE_HEADERS",
    "INFLUX_SKIP_VERIFY",
    "INFLUX_TRACE_DEBUG_ID",
];

/// What a fixture's server is set up with (besides the user `admin` / `password123`): each test module has its own.
#[derive(Clone, Copy)]
pub struct Names {
    /// The operator token, sent by [`Fixture::cli`] and [`Fixture::auth`].
    pub operator: &'static str,
    pub org: &'static str,
    pub bucket: &'static str,
}

impl Names {
    /// The `DOCKER_INFLUXDB_INIT_*` variables that set the server up with these names.
    fn init(self) -> [(&'static str, &'static str); 6] {
        [
            ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
            ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
            ("DOCKER_INFLUXDB_INIT_PASSWORD", "password123"),
            ("DOCKER_INFLUXDB_INIT_ORG", self.org),
            ("DOCKER_INFLUXDB_INIT_BUCKET", self.bucket),
            ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", self.operator),
        ]
    }
}

/// A server (set up with [`Names`] unless `set_up` is false) and a scratch directory that is also `$HOME`.
pub struct Fixture {
    pub server: Process,
    pub dir: TempDir,
    names: Names,
}

impl Fixture {
    pub fn new(names: Names) -> Self {
        Self::with(names, true)
    }

    pub fn with(names: Names, set_up: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let init = names.init();
        let envs: &[(&str, &str)] = if set_up { &init } else { &[] };
        let server = Process::start(&["--in-memory"], envs, &dir.path().join("server.log"));
        Self { server, dir, names }
    }

    pub fn host(&self) -> String {
        self.server.url("")
    }

    /// Runs the binary with `args` and `envs`, `$HOME` in the scratch directory and none of the user's `INFLUX_*`.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S], envs: &[(&str, &str)]) -> Run {
        run_in(self.dir.path(), args, envs)
    }

    /// `<words…> --host <server> --token <operator>`, e.g. `cli(&["user", "list", "--json"])`.
    pub fn cli(&self, words: &[&str]) -> Run {
        let host = self.host();
        let mut all = words.to_vec();
        all.extend_from_slice(&["--host", &host, "--token", self.names.operator]);
        self.run(&all, &[])
    }

    /// `auth <sub> <args…> --host <server> --token <operator>`.
    pub fn auth(&self, sub: &str, args: &[&str]) -> Run {
        let mut words = vec!["auth", sub];
        words.extend_from_slice(args);
        self.cli(&words)
    }

    pub fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        call(method, &self.server.url(path), token, body)
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, token, None)
    }

    pub fn org_id(&self) -> String {
        let (_, orgs) = self.get(&format!("/api/v2/orgs?org={}", self.names.org), self.names.operator);
        orgs["orgs"][0]["id"].as_str().unwrap().to_owned()
    }

    /// A token made over HTTP with the operator token: `(id, token)`.
    pub fn create_token(&self, body: Value) -> (String, String) {
        let (status, created) = self.call(Method::POST, "/api/v2/authorizations", self.names.operator, Some(body));
        assert_eq!(status, 201, "{created}");
        (
            created["id"].as_str().unwrap().to_owned(),
            created["token"].as_str().unwrap().to_owned(),
        )
    }

    pub fn token_count(&self) -> usize {
        let (_, list) = self.get("/api/v2/authorizations", self.names.operator);
        list["authorizations"].as_array().unwrap().len()
    }
}

/// Whether `script` (util-linux) is here to give the binary a pseudo-terminal; if not, says the test is skipped.
pub fn terminal_available() -> bool {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` (util-linux) to provide a terminal");
        return false;
    }
    true
}

impl Fixture {
    /// Runs `influx-authz <args>` (`args` a shell command line) under `script`, which gives it a pseudo-terminal,
    /// with `$HOME` in the scratch directory and `typed` typed ahead on its stdin: whether it succeeded, and the screen.
    pub fn in_terminal(&self, args: &str, typed: &[u8]) -> (bool, String) {
        let command = format!("{} {args}", binary().display());
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("HOME", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed).unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// What a run of the binary printed, and its exit code.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "failed: {self:?}");
        self
    }

    pub fn ok_stdout(&self) -> String {
        assert_eq!(self.code, 0, "failed: {self:?}");
        self.stdout.clone()
    }

    pub fn json(self) -> Value {
        let run = self.ok();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.stdout))
    }

    /// Asserts InfluxDB-CLI-style failure: exit 1, nothing on stdout, one `Error: …` line on stderr.
    pub fn fails_with(self, needle: &str) -> Self {
        assert_eq!(self.code, 1, "expected a failure: {self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "not one line: {self:?}");
        assert!(self.stderr.starts_with("Error: "), "{self:?}");
        assert!(self.stderr.contains(needle), "expected {needle:?} in {:?}", self.stderr);
        self
    }

    /// The table's lines with their cells (tabs collapsed).
    pub fn cells(&self) -> Vec<Vec<String>> {
        self.stdout
            .lines()
            .map(|line| line.split('\t').filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .collect()
    }
}

/// Runs the binary with `args` and `envs`, `$HOME` in `home` and none of the user's `INFLUX_*`.
pub fn run_in<S: AsRef<OsStr>>(home: &Path, args: &[S], envs: &[(&str, &str)]) -> Run {
    let mut command = Command::new(binary());
    command.args(args).env("HOME", home).stdin(Stdio::null());
    for name in CLI_ENV {
        command.env_remove(name);
    }
    let output = command.envs(envs.iter().copied()).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// One HTTP request with `Authorization: Token <token>`: the status and the JSON body (`null` if there is none).
pub fn call(method: Method, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new()
            .request(method, url)
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}
