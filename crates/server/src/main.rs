//! `influx-authz`: parse the command line, set up logging, run the server.

use std::process::ExitCode;

use clap::Parser;
use server::{App, Cli, Command, Config, LogFormat};
use tracing_subscriber::EnvFilter;

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn run(config: Config) -> Result<(), String> {
    // Before anything can be told to stop: from here on, SIGINT and SIGTERM mean a clean stop, also while the
    // start waits (for a database that is not there yet, say).
    let mut shutdown = Box::pin(server::shutdown_signal());
    let app = tokio::select! {
        built = App::build(&config) => built.map_err(|e| e.to_string())?,
        () = &mut shutdown => {
            tracing::info!("stopped before the start was done");
            return Ok(());
        }
    };
    let listener = tokio::net::TcpListener::bind(config.http_bind_address)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.http_bind_address))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%address, "listening on http://{address}");
    server::serve_with(listener, || server::with_tracing(app.router()), shutdown, app.limits)
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    if let Err(error) = app.service.flush_last_used().await {
        tracing::warn!(%error, "could not write the last last-used times");
    }
    if let Err(error) = app.service.flush_audit().await {
        tracing::warn!(%error, "could not write the last failed authentications to the audit trail");
    }
    tracing::info!("stopped");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match cli.command {
        Some(Command::Serve(config)) => config,
        // Client commands: no server, no runtime, no tracing output.
        Some(Command::Auth(args)) => return cli::auth(args),
        Some(Command::Setup(args)) => return cli::setup(args),
        Some(Command::User(args)) => return cli::user(args),
        Some(Command::Org(args)) => return cli::org(args),
        Some(Command::Audit(args)) => return cli::audit(args),
        Some(Command::V1(args)) => return cli::v1(args),
        Some(Command::Migrate(args)) => {
            // Warnings (a database not reachable yet, retried) on stderr; the report on stdout.
            tracing_subscriber::fmt()
                .with_env_filter(EnvFilter::new("warn"))
                .with_writer(std::io::stderr)
                .init();
            return match server::migrate(&args) {
                Ok(report) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("influx-authz migrate: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        None => cli.serve,
    };
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("influx-authz: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(config));
    // A start stopped while it waited leaves its connection attempts on the blocking pool: do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("influx-authz: {message}");
            ExitCode::FAILURE
        }
    }
}
