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

fn script() -> PathBuf {
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
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(script()).arg("start").arg(dir.path()).output().unwrap();
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

/// In the PostgreSQL pass, the URL of the database that stands for the redb file at `path` (made on first use).
pub fn suite_database_for(path: &Path) -> Option<String> {
    let port = suite_port()?;
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    let name = format!("t_{:016x}", hasher.finish());
    create_database(port, &name);
    Some(url(port, &name))
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
