//! Limits a trusted server has: header count and size, a header-read deadline (slowloris), a request deadline,
//! a connection cap, and rate-limited failed authentications. Each runs the real binary with small limits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::Process;

const INIT: &[(&str, &str)] = &[
    ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
    ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
    ("DOCKER_INFLUXDB_INIT_ORG", "org"),
    ("DOCKER_INFLUXDB_INIT_BUCKET", "bucket"),
    ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "limits-operator-token"),
];

fn start(args: &[&str]) -> (Process, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["--in-memory"];
    all.extend_from_slice(args);
    let process = Process::start(&all, INIT, &dir.path().join("log"));
    (process, dir)
}

/// Sends raw bytes and reads the whole answer (until the server closes or 5 s pass).
fn exchange(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or("")
}

#[test]
fn too_many_or_too_large_headers_are_431() {
    let (server, _dir) = start(&["--max-headers", "20", "--max-header-bytes", "8192"]);
    let many: String = (0..40).map(|i| format!("X-Filler-{i}: x\r\n")).collect();
    let answer = exchange(
        server.port,
        format!("GET /health HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n").as_bytes(),
    );
    assert!(status_line(&answer).contains("431"), "{answer}");
    let big = "a".repeat(20_000);
    let answer = exchange(
        server.port,
        format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert!(status_line(&answer).contains("431"), "{answer}");
    // A normal request still works.
    let answer = exchange(
        server.port,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(status_line(&answer).contains("200"), "{answer}");
}

#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let (server, _dir) = start(&["--http-read-header-timeout", "300ms"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 512];
    // The server closes the connection (read returns 0 or an error) instead of waiting for ever, and not before
    // the limit.
    let _ = stream.read(&mut buffer);
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "the slow client was not cut off"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "cut off before the limit: {:?}",
        started.elapsed()
    );
    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 4096];
    assert!(idle.read(&mut first).unwrap() > 0);
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "the idle connection was kept open"
    );
}

#[test]
fn a_connection_busy_with_requests_is_not_cut_off() {
    let (server, _dir) = start(&["--http-read-header-timeout", "300ms"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Twelve requests 100 ms apart on one keep-alive connection: 1.2 s in all, four times the limit, but never
    // 300 ms without a request.
    for n in 0..12 {
        stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut buffer = [0u8; 4096];
        let read = stream.read(&mut buffer).unwrap_or(0);
        let answer = String::from_utf8_lossy(&buffer[..read]);
        assert!(status_line(&answer).contains("200"), "request {n}: {answer:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_request_that_runs_longer_than_the_header_limit_is_answered() {
    let (server, _dir) = start(&["--http-read-header-timeout", "300ms"]);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The headers come at once; the body in three parts over 900 ms. Only the headers have a deadline.
    let body = br#"{"description": "sent slowly"}"#;
    let head = format!(
        "POST /api/v2/authorizations HTTP/1.1\r\nHost: x\r\nAuthorization: Token limits-operator-token\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    for part in body.chunks(body.len() / 3 + 1) {
        std::thread::sleep(Duration::from_millis(300));
        stream.write_all(part).unwrap();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    // No orgID: InfluxDB's 400, which is an answer, not a connection cut mid-request.
    assert!(status_line(&answer).contains("400"), "{answer:?}");
}

#[test]
fn a_request_whose_body_never_arrives_gets_a_json_408() {
    let (server, _dir) = start(&["--http-request-timeout", "300ms"]);
    let answer = {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let head = "POST /api/v2/authorizations HTTP/1.1\r\nHost: x\r\nAuthorization: Token limits-operator-token\r\n\
                    Content-Length: 100\r\nConnection: close\r\n\r\n{\"orgID\":";
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    };
    assert!(status_line(&answer).contains("408"), "{answer}");
    assert!(answer.contains("\"message\":\"request timed out\""), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-platform-error-code"),
        "{answer}"
    );
}

#[test]
fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let (server, _dir) = start(&["--max-connections", "1", "--http-read-header-timeout", "30s"]);
    // The one slot is held by a client that has said nothing yet.
    let holder = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut waiting = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    waiting
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    waiting.set_read_timeout(Some(Duration::from_millis(700))).unwrap();
    let mut buffer = [0u8; 64];
    assert!(
        waiting.read(&mut buffer).is_err(),
        "a second connection was served beyond the cap"
    );
    drop(holder);
    waiting.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = Vec::new();
    let _ = waiting.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn failed_authentications_are_counted_and_rate_limited_per_address() {
    let (server, _dir) = start(&["--auth-failure-limit", "3"]);
    let request = |token: &str| {
        exchange(
            server.port,
            format!("GET /api/v2/me HTTP/1.1\r\nHost: x\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
    };
    for _ in 0..3 {
        assert!(status_line(&request("wrong")).contains("401"));
    }
    let limited = request("wrong");
    assert!(status_line(&limited).contains("429"), "{limited}");
    assert!(limited.contains("\"code\":\"too many requests\""), "{limited}");
    let metrics = exchange(
        server.port,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(metrics.contains("influx_authz_auth_failures_total 3"), "{metrics}");
    assert!(metrics.contains("influx_authz_auth_rate_limited_total 1"), "{metrics}");
    assert!(!metrics.contains("wrong"));
}

#[test]
fn failed_sign_ins_count_towards_the_rate_limit() {
    let (server, _dir) = start(&["--auth-failure-limit", "2"]);
    // Basic admin:wrong-password
    let request = "POST /api/v2/signin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46d3JvbmctcGFzc3dvcmQ=\r\n\
                   Connection: close\r\n\r\n";
    for _ in 0..2 {
        assert!(status_line(&exchange(server.port, request.as_bytes())).contains("401"));
    }
    let limited = exchange(server.port, request.as_bytes());
    assert!(status_line(&limited).contains("429"), "{limited}");
}
