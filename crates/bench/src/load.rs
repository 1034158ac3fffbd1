//! The load generator: `connections` keep-alive HTTP/1.1 connections (hyper's client connection, one request in
//! flight on each), each sending requests back to back until the duration is over or the workload runs out.
//! Every response is read in full and checked by the workload; the first failure aborts the run.
//!
//! It runs on the caller's runtime; the driver uses a current-thread runtime, so the load generator never takes
//! more than one of the machine's cores away from the server it measures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Barrier;

use crate::procfs;

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    /// Sent as `Authorization: Token <token>`.
    pub token: Option<Arc<str>>,
    /// Sent as `application/json`.
    pub body: Option<Bytes>,
}

impl Call {
    pub fn get(path: impl Into<String>, token: Option<Arc<str>>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            token,
            body: None,
        }
    }
}

/// What to send, and what counts as a correct answer.
pub trait Workload: Send + Sync + 'static {
    /// The next request on connection `connection`, or `None` when there is no more work.
    fn next(&self, connection: usize, rng: &mut Rng) -> Option<Call>;
    /// Checks one answer. `first` is true for the first answer on each connection, where a workload may check
    /// the body in depth and only the status afterwards (so that checking never becomes the bottleneck).
    fn check(&self, status: StatusCode, body: &Bytes, first: bool) -> Result<(), String>;
}

/// xorshift64*: cheap, deterministic, good enough to pick tokens.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform enough in `0..n` for `n` far below 2^64.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// What one run measured.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    pub requests: u64,
    pub elapsed: Duration,
    /// Every request's latency in nanoseconds (send to last body byte), sorted.
    pub latencies_ns: Vec<u64>,
    /// CPU seconds the server used during the run.
    pub server_cpu: f64,
    /// CPU seconds this process (the load generator) used during the run.
    pub client_cpu: f64,
}

impl RunResult {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q`-quantile latency (0.5 for p50) in microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        if self.latencies_ns.is_empty() {
            return f64::NAN;
        }
        let rank = ((self.latencies_ns.len() as f64 * q).ceil() as usize).clamp(1, self.latencies_ns.len());
        self.latencies_ns[rank - 1] as f64 / 1_000.0
    }

    /// Server CPU microseconds per request.
    pub fn server_cpu_us(&self) -> f64 {
        self.server_cpu * 1e6 / (self.requests.max(1) as f64)
    }
}

struct Connection {
    requests: u64,
    latencies_ns: Vec<u64>,
    finished: Instant,
}

/// Runs `workload` against `address` over `connections` connections for `duration` (or until the workload has
/// no more work), measuring `server_pid`'s CPU over the same window.
pub async fn run(
    address: SocketAddr,
    server_pid: u32,
    workload: Arc<dyn Workload>,
    connections: usize,
    duration: Duration,
    seed: u64,
) -> Result<RunResult, String> {
    let connections = connections.max(1);
    let barrier = Arc::new(Barrier::new(connections + 1));
    let mut tasks = Vec::with_capacity(connections);
    for index in 0..connections {
        let (workload, barrier) = (Arc::clone(&workload), Arc::clone(&barrier));
        let rng = Rng::new(seed ^ ((index as u64 + 1) << 32));
        tasks.push(tokio::spawn(async move {
            let opened = open(address).await;
            barrier.wait().await;
            one_connection(opened?, index, workload, duration, rng).await
        }));
    }
    barrier.wait().await;
    let started = Instant::now();
    let server_before = procfs::cpu_seconds(server_pid)?;
    let client_before = procfs::cpu_seconds(std::process::id())?;
    let mut result = RunResult::default();
    let mut last = started;
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok(done)) => {
                result.requests += done.requests;
                result.latencies_ns.extend(done.latencies_ns);
                last = last.max(done.finished);
            }
            Ok(Err(e)) => failure = failure.or(Some(e)),
            Err(e) => failure = failure.or(Some(format!("load task failed: {e}"))),
        }
    }
    result.server_cpu = procfs::cpu_seconds(server_pid)? - server_before;
    result.client_cpu = procfs::cpu_seconds(std::process::id())? - client_before;
    if let Some(e) = failure {
        return Err(e);
    }
    result.elapsed = last - started;
    result.latencies_ns.sort_unstable();
    Ok(result)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn open(address: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect {address}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with {address}: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn one_connection(
    mut sender: Sender,
    index: usize,
    workload: Arc<dyn Workload>,
    duration: Duration,
    mut rng: Rng,
) -> Result<Connection, String> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut done = Connection {
        requests: 0,
        latencies_ns: Vec::with_capacity(4096),
        finished: started,
    };
    while Instant::now() < deadline {
        let Some(call) = workload.next(index, &mut rng) else {
            break;
        };
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(call.path.as_str())
            .header(header::HOST, "127.0.0.1");
        if let Some(token) = &call.token {
            request = request.header(header::AUTHORIZATION, format!("Token {token}"));
        }
        let body = match call.body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                body
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(body))
            .map_err(|e| format!("bad request {} {}: {e}", call.method, call.path))?;
        sender.ready().await.map_err(|e| format!("connection closed: {e}"))?;
        let sent = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{} {}: {e}", call.method, call.path))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{} {}: reading the body: {e}", call.method, call.path))?
            .to_bytes();
        let latency = sent.elapsed();
        workload.check(status, &body, done.requests == 0).map_err(|e| {
            format!(
                "{} {} answered {status}: {e}; body: {}",
                call.method,
                call.path,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )
        })?;
        done.requests += 1;
        done.latencies_ns.push(latency.as_nanos() as u64);
        done.finished = Instant::now();
    }
    Ok(done)
}

/// Sends one request on a fresh connection: for the driver's own look-ups (IDs to request), not for measuring.
pub async fn once(address: SocketAddr, call: Call) -> Result<(StatusCode, Bytes), String> {
    let mut sender = open(address).await?;
    let mut request = Request::builder()
        .method(call.method.clone())
        .uri(call.path.as_str())
        .header(header::HOST, "127.0.0.1");
    if let Some(token) = &call.token {
        request = request.header(header::AUTHORIZATION, format!("Token {token}"));
    }
    if call.body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(call.body.unwrap_or_default()))
        .map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("{} {}: {e}", call.method, call.path))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}
