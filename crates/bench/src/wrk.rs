//! The second load generator: Debian's `wrk` (`wrk -t1 -c64`), run against the baseline and influx-authz in
//! turn, for the two targets whose verdict should not depend on one client (`bench --wrk`). Its figures go beside
//! the bench's own: the two clients spend different CPU per request, and on two cores that moves req/s.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::procfs;

/// One wrk run: requests per second, and the server's CPU per request over the run.
#[derive(Debug, Clone, Copy)]
pub struct WrkRun {
    pub per_second: f64,
    pub server_cpu_us: f64,
}

/// Whether `wrk` is installed.
pub fn available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|out| !out.stdout.is_empty() || !out.stderr.is_empty())
}

/// `wrk -t1 -c<connections> -d<duration>` of `GET <path>` with `token`, checking every answer's status class:
/// `success` wants only 2xx answers, otherwise none may be 2xx (wrk counts "Non-2xx or 3xx responses").
pub fn run(
    address: SocketAddr,
    server_pid: u32,
    path: &str,
    token: Option<&str>,
    connections: usize,
    duration: Duration,
    success: bool,
) -> Result<WrkRun, String> {
    let url = format!("http://{address}{path}");
    let seconds = format!("{}s", duration.as_secs().max(1));
    let mut command = Command::new("wrk");
    command.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}")]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Token {token}")]);
    }
    command.arg(&url);
    let cpu_before = procfs::cpu_seconds(server_pid)?;
    let output = command.output().map_err(|e| format!("cannot run wrk: {e}"))?;
    let cpu_after = procfs::cpu_seconds(server_pid)?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr)));
    }
    let requests = parse_requests(&text).ok_or_else(|| format!("no request count in wrk's output:\n{text}"))?;
    let per_second = parse_rate(&text).ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let not_2xx = parse_not_2xx(&text);
    let wrong = if success {
        not_2xx
    } else {
        requests.saturating_sub(not_2xx)
    };
    if wrong > 0 || requests == 0 {
        return Err(format!(
            "{wrong} of {requests} answers had the wrong status class for {path}:\n{text}"
        ));
    }
    if text.contains("Socket errors") {
        return Err(format!("wrk saw socket errors:\n{text}"));
    }
    Ok(WrkRun {
        per_second,
        server_cpu_us: (cpu_after - cpu_before) * 1e6 / requests as f64,
    })
}

/// `  123456 requests in 5.00s, …`
fn parse_requests(text: &str) -> Option<u64> {
    text.lines()
        .find(|line| line.contains(" requests in "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `Requests/sec:  24680.12`
fn parse_rate(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()
}

/// `  Non-2xx or 3xx responses: 42` (absent when there were none).
fn parse_not_2xx(text: &str) -> u64 {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 5s test @ http://127.0.0.1:1/x
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms  400.00us   9.00ms   80.00%
    Req/Sec    30.12k     1.00k   32.00k    70.00%
  150600 requests in 5.00s, 40.00MB read
  Non-2xx or 3xx responses: 150600
Requests/sec:  30120.00
Transfer/sec:      8.00MB
";

    #[test]
    fn reads_wrks_summary() {
        assert_eq!(parse_requests(OUTPUT), Some(150_600));
        assert_eq!(parse_rate(OUTPUT), Some(30_120.0));
        assert_eq!(parse_not_2xx(OUTPUT), 150_600);
        assert_eq!(parse_not_2xx("  10 requests in 1.00s\nRequests/sec: 10\n"), 0);
    }
}
