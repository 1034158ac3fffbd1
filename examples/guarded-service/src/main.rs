//! `cargo run -p guarded-service`: the example on 127.0.0.1:8087 (or `--http-bind-address`), with its data in
//! `data/guarded-service/` (or `--db-path`). Takes every flag and env var of `influx-authz serve`.

use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use tracing_subscriber::EnvFilter;

/// influx-authz embedded in another axum app, which guards `POST /write?bucket=<id>` with authz-layer.
#[derive(Debug, Parser)]
#[command(name = "guarded-service")]
struct Args {
    #[command(flatten)]
    config: server::Config,
}

async fn run(config: server::Config) -> Result<(), String> {
    let shutdown = server::shutdown_signal();
    let guarded = guarded_service::app(&config).await.map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(config.http_bind_address)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.http_bind_address))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, org = %guarded.org_id, "guarded-service on http://{address}: POST /write?bucket=<id>");
    server::serve_with(
        listener,
        || server::with_tracing(guarded.router.clone()),
        shutdown,
        guarded.limits,
    )
    .await
    .map_err(|e| format!("server failed: {e}"))?;
    if let Err(error) = guarded.service.flush_last_used().await {
        tracing::warn!(%error, "could not write the last last-used times");
    }
    Ok(())
}

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let mut config = match Args::from_arg_matches(&matches) {
        Ok(args) => args.config,
        Err(error) => error.exit(),
    };
    // Out of the way of an influx-authz on its default port and data file.
    if matches.value_source("http_bind_address") == Some(ValueSource::DefaultValue) {
        config.http_bind_address = std::net::SocketAddr::from(([127, 0, 0, 1], 8087));
    }
    if config.db_path.is_none() && !config.in_memory {
        config.db_path = Some("data/guarded-service/influx-authz.redb".into());
    }
    guarded_service::with_example_setup(&mut config);
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("guarded-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("guarded-service: {message}");
            ExitCode::FAILURE
        }
    }
}
