//! PostgreSQL for the tests: throw-away clusters (`tests/postgres/cluster.sh`: Debian's binaries, initdb in a
//! temp dir, a free loopback port), and the suite-wide mode in which every server a test starts keeps its data in
//! PostgreSQL instead of redb.
//!
//! - [`Cluster::start`] makes a cluster of a test's own, stopped when dropped (the replica tests).
//! - With `INFLUX_AUTHZ_TEST_POSTGRES=<port>` (set by `scripts/test` for its PostgreSQL pass, with a cluster it
//!   started), [`suite_database_for`] gives each data directory a database of its own in that cluster, so a
//!   restart on the same directory finds its data again, as with a redb file.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// `tests/postgres/cluster.sh`.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("postgres")
        .join("cluster.sh")
}

/// Whether a missing PostgreSQL fails the tests that need one (`scripts/test` sets it) instead of skipping them.
pub fn required() -> bool {
    std::env::var_os("INFLUX_AUTHZ_REQUIRE_POSTGRES").is_some_and(|v| v == "1")
}

/// A PostgreSQL cluster of a test's own.
pub struct Cluster {
    dir: TempDir,
    pub port: u16,
}

impl Cluster {
    /// Starts a new cluster; `None` (after saying so) when PostgreSQL is not installed and not required.
    pub fn start() -> Option<Self> {
        Self::start_on(None)
    }

    /// [`Cluster::start`] on `port` (a free one when `None`).
    pub fn start_on(port: Option<u16>) -> Option<Self> {
        Self::start_with(port, tempfile::tempdir().unwrap(), "")
    }

    /// A cluster in `dir` (which may hold files it needs, such as certificates), started with `options` (more
    /// `-c name=value` settings).
    pub fn start_with(port: Option<u16>, dir: TempDir, options: &str) -> Option<Self> {
        let mut command = Command::new(script());
        command.arg("start").arg(dir.path()).env("EXTRA_OPTIONS", options);
        if let Some(port) = port {
            command.arg(port.to_string());
        }
        let out = command.output().unwrap();
        if out.status.code() == Some(3) && !required() {
            eprintln!("SKIPPED: PostgreSQL is not installed (scripts/test installs it)");
            return None;
        }
        assert!(
            out.status.success(),
            "starting a PostgreSQL cluster failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        Some(Self { dir, port })
    }

    /// Creates database `name` (if missing) and returns its URL.
    pub fn database(&self, name: &str) -> String {
        create_database(self.port, name);
        url(self.port, name)
    }

    /// Stops the database at once (as a crash would), keeping its files.
    pub fn stop(&self) {
        let status = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Starts the stopped database again, on the same port.
    pub fn restart(&self) {
        let out = Command::new(script())
            .arg("restart")
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "restart: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the database: the postmaster and every backend.
    pub fn signal(&self, signal: &str) {
        let status = Command::new(script())
            .arg("signal")
            .arg(self.dir.path())
            .arg(signal)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Runs `sql` in `database` as the superuser; returns the rows, one per line.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let out = Command::new(script())
            .args(["sql", &self.port.to_string(), database, sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The cluster's files (its log is `log` there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(self.dir.path()).status();
    }
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

fn create_database(port: u16, name: &str) {
    let out = Command::new(script())
        .args(["createdb", &port.to_string(), name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "createdb {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The port of the suite-wide cluster, when the suite runs on PostgreSQL.
pub fn suite_port() -> Option<u16> {
    std::env::var("INFLUX_AUTHZ_TEST_POSTGRES").ok()?.trim().parse().ok()
}

/// Whether the servers of this run keep their data in PostgreSQL.
pub fn suite_on_postgres() -> bool {
    suite_port().is_some()
}

fn suite_database_name(path: &Path) -> String {
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    format!("t_{:016x}", hasher.finish())
}

/// In the PostgreSQL pass, the URL of the database that stands for the redb file at `path` (made on first use).
pub fn suite_database_for(path: &Path) -> Option<String> {
    let port = suite_port()?;
    let name = suite_database_name(path);
    create_database(port, &name);
    Some(url(port, &name))
}

/// Everything the store behind `path` keeps, as bytes to search for secrets: the redb file itself, or in the
/// PostgreSQL pass the rows of its database (`pg_dump --data-only`).
pub fn stored_bytes(path: &Path) -> Vec<u8> {
    let Some(port) = suite_port() else {
        return std::fs::read(path).unwrap();
    };
    let out = Command::new(script())
        .args(["dump", &port.to_string(), &suite_database_name(path)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Skips the calling test in the PostgreSQL pass, saying why: for tests of the redb file itself.
#[macro_export]
macro_rules! redb_only {
    ($why:literal) => {
        if $crate::pg::suite_on_postgres() {
            eprintln!(concat!("SKIPPED on PostgreSQL: ", $why));
            return;
        }
    };
}
