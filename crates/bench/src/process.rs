//! Starting and stopping the servers under test, and timing their start-up.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The operator token every benchmark store is set up with.
pub const ADMIN_TOKEN: &str = "bench-operator-token";
pub const ORG: &str = "bench-org";
pub const ADMIN: &str = "bench-admin";

/// A server process we started. Dropping it kills the process, so an aborted run leaves nothing behind.
pub struct Server {
    pub name: &'static str,
    pub address: SocketAddr,
    child: Child,
    log: Option<PathBuf>,
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl Server {
    /// `influx-authz serve` on `db_path`, with `setup`: set up (when the store is empty) from
    /// `DOCKER_INFLUXDB_INIT_*` with [`ADMIN_TOKEN`]. Its log goes to `log`.
    pub fn ours(binary: &Path, db_path: &Path, log: &Path, setup: bool, extra: &[&str]) -> Result<Self, String> {
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .arg("--http-bind-address")
            .arg(address.to_string())
            .arg("--db-path")
            .arg(db_path)
            .args(extra);
        if setup {
            command
                .env("DOCKER_INFLUXDB_INIT_MODE", "setup")
                .env("DOCKER_INFLUXDB_INIT_USERNAME", ADMIN)
                .env("DOCKER_INFLUXDB_INIT_PASSWORD", "bench-password")
                .env("DOCKER_INFLUXDB_INIT_ORG", ORG)
                .env("DOCKER_INFLUXDB_INIT_BUCKET", "bench-bucket")
                .env("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", ADMIN_TOKEN);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Self {
            name: "influx-authz",
            address,
            child,
            log: Some(log.to_owned()),
        })
    }

    /// The bare axum `baseline`.
    pub fn baseline(binary: &Path) -> Result<Self, String> {
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let child = Command::new(binary)
            .arg("--bind")
            .arg(address.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Self {
            name: "baseline",
            address,
            child,
            log: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health` every 200 µs until it answers `200`: the time from just before `spawn` (`since`) to
    /// that answer is the start-up time.
    pub fn wait_healthy(&mut self, since: Instant, timeout: Duration) -> Result<Duration, String> {
        loop {
            if health_ok(self.address) {
                return Ok(since.elapsed());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited with {status}{}", self.name, self.log_tail()));
            }
            if since.elapsed() > timeout {
                return Err(format!(
                    "{} did not answer /health within {timeout:?}{}",
                    self.name,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// SIGTERM (a graceful stop, so redb closes its file cleanly), then SIGKILL after 60 s.
    pub fn stop(mut self) -> Result<(), String> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!("{} did not stop on SIGTERM", self.name));
                }
            }
        }
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let Some(log) = &self.log else {
            return String::new();
        };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        format!("\n--- last lines of {} ---\n{tail}", log.display())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `GET /health` on a fresh connection: true on `200`.
fn health_ok(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(100)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
