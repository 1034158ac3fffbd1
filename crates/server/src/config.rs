//! Command line and environment. Every flag also reads an env var, reusing influxd's names where the option
//! matches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Manage API tokens on a running server, like `influx auth`.
    #[command(visible_alias = "authorization")]
    Auth(cli::AuthArgs),
    /// Set up a new server (first user, org, bucket, operator token) and save a config, like `influx setup`.
    Setup(cli::SetupArgs),
    /// Manage users on a running server, like `influx user`.
    User(cli::UserArgs),
    /// Manage organizations and their members on a running server, like `influx org`.
    #[command(visible_alias = "organization")]
    Org(cli::OrganizationArgs),
    /// Read the audit trail of a running server (an influx-authz extension; needs an operator token).
    Audit(cli::AuditArgs),
    /// InfluxDB 1.x compatibility: v1 authorizations on a running server, like `influx v1`.
    V1(cli::V1Args),
    /// Copy everything from one storage engine to the other: a redb file to PostgreSQL, or back.
    Migrate(MigrateArgs),
}

/// `influx-authz migrate`: exactly one source and one target, of different engines.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("from").required(true).args(["from_db_path", "from_postgres_url"])))]
#[command(group(clap::ArgGroup::new("to").required(true).args(["to_db_path", "to_postgres_url"])))]
pub struct MigrateArgs {
    /// The redb file to copy from (no server may have it open).
    #[arg(long, conflicts_with = "to_db_path")]
    pub from_db_path: Option<PathBuf>,
    /// The PostgreSQL database to copy from (libpq URL).
    #[arg(long, hide_env_values = true, value_parser = parse_postgres_url, conflicts_with = "to_postgres_url")]
    pub from_postgres_url: Option<PostgresUrl>,
    /// The redb file to copy to (made if missing).
    #[arg(long)]
    pub to_db_path: Option<PathBuf>,
    /// The PostgreSQL database to copy to (its schema is made if missing).
    #[arg(long, hide_env_values = true, value_parser = parse_postgres_url)]
    pub to_postgres_url: Option<PostgresUrl>,
    /// Copy into a target that already holds records (beside them; a clash of IDs, names or tokens copies
    /// nothing).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address the HTTP API listens on.
    #[arg(long, env = "INFLUXD_HTTP_BIND_ADDRESS", default_value = "127.0.0.1:8086")]
    pub http_bind_address: SocketAddr,

    /// The redb database file [default: data/influx-authz.redb under the working directory].
    #[arg(long, env = "INFLUX_AUTHZ_DB_PATH")]
    pub db_path: Option<PathBuf>,

    /// Keep everything in PostgreSQL instead of a redb file, shared by every replica that is given the same
    /// database: a libpq URL such as postgres://user:password@h1:5432,h2:5432/authz?target_session_attrs=read-write
    /// (several hosts allowed; sslmode disable, prefer, require, verify-ca or verify-full, with sslrootcert=<CA
    /// file> for the last two). --db-path is then ignored. The password is never printed.
    #[arg(long, env = "INFLUX_AUTHZ_POSTGRES_URL", hide_env_values = true, value_parser = parse_postgres_url)]
    pub postgres_url: Option<PostgresUrl>,

    /// Connections to PostgreSQL at most (with --postgres-url).
    #[arg(long, env = "INFLUX_AUTHZ_POSTGRES_POOL_SIZE", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub postgres_pool_size: u16,

    /// How long one call to PostgreSQL may take, waiting for a connection included, before the request is answered
    /// 503 (with --postgres-url; keep it below --http-request-timeout).
    #[arg(long, env = "INFLUX_AUTHZ_POSTGRES_TIMEOUT", default_value = "5s", value_parser = parse_go_duration)]
    pub postgres_timeout: Duration,

    /// Keep everything in memory (a throw-away test double); --db-path is ignored.
    #[arg(long, env = "INFLUX_AUTHZ_IN_MEMORY", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub in_memory: bool,

    /// Store only SHA-256 hashes of tokens; the plaintext is shown once, on creation (InfluxDB 2.9's default).
    /// With false, tokens are kept and returned as InfluxDB 2.7 does.
    #[arg(long, env = "INFLUXD_USE_HASHED_TOKENS", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "true", default_missing_value = "true")]
    pub use_hashed_tokens: bool,

    /// Honour a `token` in `POST /api/v2/authorizations` bodies, for fixed tokens in tests and infrastructure as
    /// code (InfluxDB ignores it). At least 16 characters of A-Z a-z 0-9 - _ . ~ + / =; a duplicate is 422.
    #[arg(long, env = "INFLUX_AUTHZ_ALLOW_CLIENT_TOKENS", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub allow_client_tokens: bool,

    /// Record when each token was last used (`lastUsedAt`, kept in memory and written every 2 s). With false,
    /// nothing is recorded.
    #[arg(long, env = "INFLUX_AUTHZ_TRACK_LAST_USED", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "true", default_missing_value = "true")]
    pub track_last_used: bool,

    /// A YAML or JSON file of orgs, users, buckets and tokens to create at start if missing (see the README).
    #[arg(long, env = "INFLUX_AUTHZ_SEED")]
    pub seed: Option<PathBuf>,

    /// How long a sign-in session (`POST /api/v2/signin`) lasts, in minutes.
    #[arg(long, env = "INFLUXD_SESSION_LENGTH", default_value_t = 60)]
    pub session_length: u32,

    /// Open connections at most; more clients wait in the listen backlog.
    #[arg(long, env = "INFLUX_AUTHZ_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// How long a client may take to send request headers, and how long an idle connection is kept (e.g. 10s; 0:
    /// no limit).
    #[arg(long, env = "INFLUXD_HTTP_READ_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_go_duration)]
    pub http_read_header_timeout: Duration,

    /// How long one request may take, body included, before it is answered 408 (e.g. 30s).
    #[arg(long, env = "INFLUX_AUTHZ_HTTP_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_go_duration)]
    pub http_request_timeout: Duration,

    /// Largest request body, in bytes (larger: 413).
    #[arg(long, env = "INFLUX_AUTHZ_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most headers in one request (more: 431).
    #[arg(long, env = "INFLUX_AUTHZ_MAX_HEADERS", default_value_t = 64)]
    pub max_headers: usize,

    /// Most bytes of request line and headers (more: 431).
    #[arg(long, env = "INFLUX_AUTHZ_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,

    /// Failed authentications allowed per client address per minute before answering 429; 0 turns it off.
    #[arg(long, env = "INFLUX_AUTHZ_AUTH_FAILURE_LIMIT", default_value_t = 0)]
    pub auth_failure_limit: u32,

    /// How long audit-trail entries are kept, like 90d, 12h or 1w2d (units s, m, h, d, w); 0 keeps them forever.
    /// Older entries are removed in the background.
    #[arg(long, env = "INFLUX_AUTHZ_AUDIT_RETENTION", default_value = "90d", value_parser = parse_retention)]
    pub audit_retention: Duration,

    /// Also print each audit-trail entry, once committed, as one JSON line on stdout (logs go to stderr), for log
    /// shippers.
    #[arg(long, env = "INFLUX_AUTHZ_AUDIT_STDOUT", value_parser = BoolishValueParser::new(), num_args = 0..=1,
          default_value = "false", default_missing_value = "true")]
    pub audit_stdout: bool,

    /// How often failed authentications and sign-ins, buffered in memory, are appended to the audit trail.
    #[arg(long, env = "INFLUX_AUTHZ_AUDIT_FLUSH_INTERVAL", default_value = "1s", value_parser = parse_go_duration,
          hide = true)]
    pub audit_flush_interval: Duration,

    /// Log level: error, warn, info, debug or trace (or a tracing filter).
    #[arg(long, env = "INFLUXD_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "INFLUX_AUTHZ_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Boot-time setup, as the official Docker image does it (only "setup").
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_MODE", hide = true)]
    pub init_mode: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_USERNAME", hide = true)]
    pub init_username: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_PASSWORD", hide = true, hide_env_values = true)]
    pub init_password: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_ORG", hide = true)]
    pub init_org: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_BUCKET", hide = true)]
    pub init_bucket: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_RETENTION", hide = true)]
    pub init_retention: Option<String>,
    #[arg(long, env = "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", hide = true, hide_env_values = true)]
    pub init_admin_token: Option<String>,
}

/// A PostgreSQL URL, which may hold a password: shown only without it, in `Debug` as everywhere else.
#[derive(Clone)]
pub struct PostgresUrl(String);

impl PostgresUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, password included: for connecting only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&store_postgres::redact(&self.0))
    }
}

/// Takes any text: a URL that does not parse is reported when the store is opened, without echoing it (clap's own
/// error would print the value, password and all).
fn parse_postgres_url(text: &str) -> Result<PostgresUrl, std::convert::Infallible> {
    Ok(PostgresUrl(text.to_owned()))
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
    pub fn request_limits(&self) -> api::RequestLimits {
        api::RequestLimits {
            request_timeout: self.http_request_timeout,
            max_body_bytes: self.max_body_bytes,
            auth_failures_per_minute: self.auth_failure_limit,
        }
    }

    pub fn connection_limits(&self) -> crate::Limits {
        crate::Limits {
            max_connections: self.max_connections,
            header_read_timeout: self.http_read_header_timeout,
            max_headers: self.max_headers,
            max_header_bytes: self.max_header_bytes,
            ..crate::Limits::default()
        }
    }

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
                StartError::InitIncomplete(format!("a DOCKER_INFLUXDB_INIT_RETENTION like 1w or 72h, not {text:?}"))
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

/// A Go-style duration: `500ms`, `10s`, `2m`, `1h`, or a sum like `1m30s`.
fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let value: u64 = rest[..digits].parse().map_err(|_| format!("bad duration {text:?}"))?;
        rest = &rest[digits..];
        let (unit, length) = [("ms", 1u64), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
            .into_iter()
            .find(|(unit, _)| rest.starts_with(unit))
            .ok_or_else(|| format!("bad duration {text:?}: use ms, s, m or h"))?;
        rest = &rest[unit.len()..];
        total += Duration::from_millis(value.saturating_mul(length));
    }
    Ok(total)
}

/// `--audit-retention`: a retention duration ([`parse_duration`]); `0` means forever (a zero duration).
fn parse_retention(text: &str) -> Result<Duration, String> {
    match parse_duration(text.trim()).filter(|_| !text.trim().is_empty()) {
        Some(seconds) if seconds >= 0 => Ok(Duration::from_secs(seconds.unsigned_abs())),
        _ => Err(format!(
            "bad retention {text:?}: use 0 (forever) or a duration like 90d, 12h or 1w2d (units s, m, h, d, w)"
        )),
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
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_go_duration("10").is_err());
        assert!(parse_go_duration("").is_err());
    }

    #[test]
    fn parses_retention_durations() {
        assert_eq!(parse_duration("0"), Some(0));
        assert_eq!(parse_duration("72h"), Some(259_200));
        assert_eq!(parse_duration("1w2d"), Some(777_600));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("3y"), None);
    }

    #[test]
    fn audit_retention_takes_durations_and_zero() {
        assert_eq!(parse_retention("0"), Ok(Duration::ZERO));
        assert_eq!(parse_retention("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_retention("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert!(parse_retention("soon").is_err());
        assert!(parse_retention("").is_err());
        let cli = Cli::try_parse_from(["influx-authz"]).unwrap();
        assert_eq!(cli.serve.audit_retention, Duration::from_secs(90 * 86_400));
        assert!(!cli.serve.audit_stdout);
        let cli = Cli::try_parse_from(["influx-authz", "--audit-stdout", "--audit-retention", "0"]).unwrap();
        assert!(cli.serve.audit_stdout);
        assert_eq!(cli.serve.audit_retention, Duration::ZERO);
    }

    #[test]
    fn hashed_tokens_flag_takes_a_value() {
        let cli = Cli::try_parse_from(["influx-authz", "--use-hashed-tokens=false"]).unwrap();
        assert!(!cli.serve.use_hashed_tokens);
        let cli = Cli::try_parse_from(["influx-authz", "serve", "--use-hashed-tokens"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(c)) if c.use_hashed_tokens));
    }
}
