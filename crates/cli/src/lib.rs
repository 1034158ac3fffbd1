//! `influx-authz auth …`, `setup`, `user …` and `org …`: a drop-in for the `influx auth`, `influx setup`,
//! `influx user` and `influx org` commands of InfluxDB's CLI, with the same flags, environment variables, configs
//! file, HTTP requests and output (contract §8), plus a `Status` column for tokens and `user update --status`, and influx-authz's token extensions
//! (`auth create --expires-in|--expires-at`, `auth list --status|--unused-since|--description|--wide`).
//!
//! # Layout
//! - [`args`]: the clap definitions, with influx's flag names and the help text.
//! - `configs`: the influx CLI's TOML configs file (`~/.influxdbv2/configs`), read by every command, written by setup.
//! - `http`: a blocking HTTP client that reports InfluxDB errors on one line and never prints the token.
//! - `auth`, `setup`, `user`, `org`: the request flows (`user` and `org` reuse `auth`'s connection and org helpers).
//! - `audit`: `influx-authz audit`, the audit trail (an influx-authz extension, with no influx counterpart).
//! - `v1_auth`: `influx-authz v1 auth …`, a drop-in for `influx v1 auth` (v1 usernames and passwords).
//! - `expiry`: the durations and times of the expiry and last-use flags.
//! - `output`, `tabwriter`: influx's tables (Go `text/tabwriter` alignment) and its `--json` form.
//!
//! This crate is a client: it talks HTTP and never opens the database, and it needs no async runtime, so the
//! binary can run it before (instead of) starting the server.

pub mod args;
mod audit;
mod auth;
mod configs;
mod expiry;
mod http;
mod org;
mod output;
mod setup;
mod tabwriter;
mod user;
mod v1_auth;

use std::fmt;
use std::process::ExitCode;

pub use args::V1Args;
pub use args::{AuditArgs, AuthArgs, OrganizationArgs, SetupArgs, UserArgs};

/// A failed command: one line for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Runs `influx-authz auth …`; prints `Error: …` on one line and fails on error.
pub fn auth(args: AuthArgs) -> ExitCode {
    finish(auth::run(args))
}

/// Runs `influx-authz setup`; prints `Error: …` on one line and fails on error.
pub fn setup(args: SetupArgs) -> ExitCode {
    finish(setup::run(args))
}

/// Runs `influx-authz user …`; prints `Error: …` on one line and fails on error.
pub fn user(args: UserArgs) -> ExitCode {
    finish(user::run(args))
}

/// Runs `influx-authz org …`; prints `Error: …` on one line and fails on error.
pub fn org(args: OrganizationArgs) -> ExitCode {
    finish(org::run(args))
}

/// Runs `influx-authz audit`; prints `Error: …` on one line and fails on error.
pub fn audit(args: AuditArgs) -> ExitCode {
    finish(audit::run(args))
}

/// Runs `influx-authz v1 auth …`; prints `Error: …` on one line and fails on error.
pub fn v1(args: V1Args) -> ExitCode {
    finish(v1_auth::run(args))
}

fn finish(result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let line = error.to_string().replace(['\n', '\r'], " ");
            eprintln!("Error: {line}");
            ExitCode::FAILURE
        }
    }
}
