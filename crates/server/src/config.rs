//! Command line and environment. Every flag also reads an env var, reusing influxd's names where the option
//! matches.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Parser, Subcommand, ValueEnum};

use crate::StartError;

/// An InfluxDB-v2-compatible server for API tokens.
#[derive(Debug, Parser)]
#[command(name = "influx-authz", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, the server runs with these options.
    #[command(flatten)]
    pub serve: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(Config),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address the HTTP API listens on.
    #[arg(
        long,
        env = "INFLUXD_HTTP_BIND_ADDRESS",
        default_value = "127.0.0.1:8086"
    )]
    pub http_bind_address: SocketAddr,

    /// The redb database file [default: data/influx-authz.redb under the working directory].
    #[arg(long, env = "INFLUX_AUTHZ_DB_PATH")]
    pub db_path: Option<PathBuf>,

    /// Keep everything in memory (a throw-away test double); --db-path is ignored.
    #[arg(long, env = "INFLUX_AUTHZ_IN_MEMORY", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub in_memory: bool,

    /// Store only SHA-256 hashes of tokens; the plaintext is shown once, on creation (InfluxDB 2.9's default).
    /// With false, tokens are kept and returned as InfluxDB 2.7 does.
    #[arg(long, env = "INFLUXD_USE_HASHED_TOKENS", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "true", default_missing_value = "true")]
    pub use_hashed_tokens: bool,

    /// Log level: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, env = "INFLUXD_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(
        long,
        env = "INFLUX_AUTHZ_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// Boot-time setup, as the official Docker image does it (only "setup").
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_MODE", hide = true)]
    pub init_mode: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_USERNAME", hide = true)]
    pub init_username: Option<String>,
    #[arg(
        long,
        env = "DOCKER_INFLUXDB_INIT_PASSWORD",
        hide = true,
        hide_env_values = true
    )]
    pub init_password: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_ORG", hide = true)]
    pub init_org: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_BUCKET", hide = true)]
    pub init_bucket: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_RETENTION", hide = true)]
    pub init_retention: Option<String>,
    #[arg(
        long,
        env = "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub init_admin_token: Option<String>,
}

/// What `DOCKER_INFLUXDB_INIT_MODE=setup` asks for.
#[derive(Debug, Clone)]
pub struct InitSetup {
    pub username: String,
    pub password: Option<String>,
    pub org: String,
    pub bucket: String,
    pub retention_seconds: Option<i64>,
    pub admin_token: Option<String>,
}

impl Config {
    /// The database file: `--db-path`, or `data/influx-authz.redb` under the working directory.
    pub fn db_path(&self) -> PathBuf {
        self.db_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("data").join("influx-authz.redb"))
    }

    /// The boot-time setup, if `DOCKER_INFLUXDB_INIT_MODE=setup`.
    pub fn init_setup(&self) -> Result<Option<InitSetup>, StartError> {
        match self.init_mode.as_deref() {
            None | Some("") => return Ok(None),
            Some("setup") => {}
            Some(other) => return Err(StartError::InitMode(other.to_owned())),
        }
        let need = |value: &Option<String>, name: &str| {
            value
                .clone()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| StartError::InitIncomplete(name.to_owned()))
        };
        let retention_seconds = match self.init_retention.as_deref().filter(|r| !r.is_empty()) {
            None => None,
            Some(text) => Some(parse_duration(text).ok_or_else(|| {
                StartError::InitIncomplete(format!(
                    "a DOCKER_INFLUXDB_INIT_RETENTION like 1w or 72h, not {text:?}"
                ))
            })?),
        };
        Ok(Some(InitSetup {
            username: need(&self.init_username, "DOCKER_INFLUXDB_INIT_USERNAME")?,
            password: self.init_password.clone().filter(|p| !p.is_empty()),
            org: need(&self.init_org, "DOCKER_INFLUXDB_INIT_ORG")?,
            bucket: need(&self.init_bucket, "DOCKER_INFLUXDB_INIT_BUCKET")?,
            retention_seconds,
            admin_token: self.init_admin_token.clone().filter(|t| !t.is_empty()),
        }))
    }
}

/// InfluxDB-style durations for retention: `0`, `30s`, `90m`, `72h`, `7d`, `1w`, or a sum like `1w2d`.
fn parse_duration(text: &str) -> Option<i64> {
    if text == "0" {
        return Some(0);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let value: i64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        total = total.checked_add(value.checked_mul(unit)?)?;
    }
    number.is_empty().then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_retention_durations() {
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("72h"), Some(259_200));
        assert_eq!(parse_duration("1w2d"), Some(777_600));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("3y"), None);
    }

    #[test]
    fn hashed_tokens_flag_takes_a_value() {
        let cli = Cli::try_parse_from(["influx-authz", "--use-hashed-tokens=false"]).unwrap();
        assert!(!cli.serve.use_hashed_tokens);
        let cli = Cli::try_parse_from(["influx-authz", "serve", "--use-hashed-tokens"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(c)) if c.use_hashed_tokens));
    }
}
