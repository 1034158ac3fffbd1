//! `baseline`: the bare axum server the benchmark compares influx-authz with. It answers every request, on every
//! path and method, with the same fixed JSON body of about 600 bytes (shaped like one authorization): no
//! authentication, no storage, no tracing. It is built from the same workspace dependencies and runs on the same
//! multi-threaded tokio runtime as `influx-authz`, so the gap between the two is the cost of our own work.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use clap::Parser;

#[derive(Parser)]
#[command(about = "A bare axum server answering a fixed ~600-byte JSON body")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8087")]
    bind: SocketAddr,
}

/// The fixed answer; `bench::BASELINE_BODY_LEN` is its length.
async fn fixed(body: Bytes) -> impl IntoResponse {
    // Reading the body keeps keep-alive connections clean for POSTs; its content is ignored.
    let _ = body;
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        bench::BASELINE_BODY,
    )
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let app = Router::new().fallback(fixed);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            tokio::select! {
                () = shutdown => {},
                () = terminate => {},
            }
        })
        .await
        .map_err(|e| format!("server failed: {e}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("baseline: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baseline: {message}");
            ExitCode::FAILURE
        }
    }
}
