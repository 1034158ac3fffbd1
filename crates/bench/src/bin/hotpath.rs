//! `hotpath`: one request kind, N times, through the production router in-process (no sockets), for counting
//! instructions per request under callgrind, which repeats exactly whatever else the machine is doing:
//!
//! ```sh
//! cargo build --release -p bench --bin hotpath
//! valgrind --tool=callgrind --toggle-collect='*measured*' target/release/hotpath get_by_id 20000
//! # or: baseline, health, unauthorized, me (a token's own user), list_100 (101 tokens of one user)
//! ```
//!
//! The count covers the N requests and the 100 of the warm-up before them (min(N, 100)): total instructions ÷
//! (N + 100) is the cost of our own work per request (HTTP parsing and TCP, which the baseline pays
//! too, are left out). `baseline` runs the bare axum router of `target/release/baseline` the same way.

use std::process::ExitCode;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use clap::Parser as _;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// The baseline's router or influx-authz's app, each as `server::with_tracing` gives it.
type Service = tower::util::Either<server::Traced<Router>, server::Traced<api::App>>;

const OPERATOR: &str = "hotpath-operator-token";

fn request(method: Method, path: &str, token: Option<&str>, body: Option<String>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Token {token}"));
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    builder
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap_or_else(|_| Request::new(Body::empty()))
}

async fn call(router: &Service, request: Request<Body>) -> Result<(StatusCode, bytes::Bytes), String> {
    let response = router.clone().oneshot(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

async fn json(router: &Service, request: Request<Body>, want: StatusCode) -> Result<serde_json::Value, String> {
    let (status, body) = call(router, request).await?;
    if status != want {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

/// The measured loop: `n` times the same request, each answer checked for its status.
#[inline(never)]
async fn measured(
    router: &Service,
    make: &dyn Fn() -> Request<Body>,
    want: StatusCode,
    n: usize,
) -> Result<(), String> {
    for _ in 0..n {
        let (status, _) = call(router, make()).await?;
        if status != want {
            return Err(format!("expected {want}, got {status}"));
        }
    }
    Ok(())
}

async fn run(scenario: &str, n: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    // Both as `influx-authz serve` serves its app (`server::with_tracing`), one or the other.
    let router = if scenario == "baseline" {
        Service::Left(server::with_tracing(Router::new().fallback(|| async {
            (
                [(http::header::CONTENT_TYPE, "application/json; charset=utf-8")],
                bench::BASELINE_BODY,
            )
        })))
    } else {
        let mut config = server::Cli::try_parse_from(["influx-authz"])
            .map_err(|e| e.to_string())?
            .serve;
        config.db_path = Some(dir.path().join("hotpath.redb"));
        config.init_mode = Some("setup".into());
        config.init_username = Some("admin".into());
        config.init_password = Some("password123".into());
        config.init_org = Some("my-org".into());
        config.init_bucket = Some("my-bucket".into());
        config.init_admin_token = Some(OPERATOR.into());
        let app = server::App::build(&config).await.map_err(|e| e.to_string())?;
        Service::Right(server::with_tracing(app.router()))
    };
    let (make, want): (Box<dyn Fn() -> Request<Body>>, StatusCode) = match scenario {
        "baseline" => (Box::new(|| request(Method::GET, "/x", None, None)), StatusCode::OK),
        "health" => (Box::new(|| request(Method::GET, "/health", None, None)), StatusCode::OK),
        "get_by_id" | "unauthorized" | "me" | "list_100" => {
            let orgs = json(
                &router,
                request(Method::GET, "/api/v2/orgs?org=my-org", Some(OPERATOR), None),
                StatusCode::OK,
            )
            .await?;
            let org = orgs["orgs"][0]["id"].as_str().ok_or("no org")?.to_owned();
            let me = json(
                &router,
                request(Method::GET, "/api/v2/me", Some(OPERATOR), None),
                StatusCode::OK,
            )
            .await?;
            let user = me["id"].as_str().ok_or("no user")?.to_owned();
            let body = serde_json::json!({
                "orgID": org,
                "description": "hotpath",
                "permissions": [{"action": "read", "resource": {"type": "authorizations", "orgID": org}},
                                {"action": "read", "resource": {"type": "users", "id": user}}],
            });
            // One token to use; list_100 lists it with 99 more of the same user (and the operator's).
            let count = if scenario == "list_100" { 100 } else { 1 };
            let mut created = serde_json::Value::Null;
            for n in 0..count {
                let made = json(
                    &router,
                    request(
                        Method::POST,
                        "/api/v2/authorizations",
                        Some(OPERATOR),
                        Some(body.to_string()),
                    ),
                    StatusCode::CREATED,
                )
                .await?;
                if n == 0 {
                    created = made;
                }
            }
            let id = created["id"].as_str().ok_or("no id")?.to_owned();
            let token = created["token"].as_str().ok_or("no token")?.to_owned();
            let path = format!("/api/v2/authorizations/{id}");
            match scenario {
                "get_by_id" => (
                    Box::new(move || request(Method::GET, &path, Some(OPERATOR), None)),
                    StatusCode::OK,
                ),
                "unauthorized" => (
                    Box::new(move || request(Method::GET, &path, Some("no-such-token-anywhere"), None)),
                    StatusCode::UNAUTHORIZED,
                ),
                "list_100" => (
                    Box::new(move || request(Method::GET, "/api/v2/authorizations?user=admin", Some(OPERATOR), None)),
                    StatusCode::OK,
                ),
                _ => (
                    Box::new(move || request(Method::GET, "/api/v2/me", Some(&token), None)),
                    StatusCode::OK,
                ),
            }
        }
        other => {
            return Err(format!(
                "unknown scenario {other:?}: baseline, health, get_by_id, unauthorized, me, list_100"
            ));
        }
    };
    // Warm up (caches, allocator), then measure.
    measured(&router, &make, want, 100.min(n)).await?;
    let started = Instant::now();
    measured(&router, &make, want, n).await?;
    let took = started.elapsed();
    eprintln!(
        "{scenario}: {n} requests, {:.2} µs each (wall, in-process)",
        took.as_secs_f64() * 1e6 / n.max(1) as f64
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "get_by_id".into());
    let n = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    // Logs at `info` into nothing: spans and events cost what they cost in production, without the terminal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(std::io::sink)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hotpath: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&scenario, n)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hotpath: {message}");
            ExitCode::FAILURE
        }
    }
}
