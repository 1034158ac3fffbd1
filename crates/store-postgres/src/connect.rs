//! Opening the store: the URL, the pool, the schema's migrations, and this replica's node number.
//!
//! The URL is libpq's (`postgres://user:password@h1:5432,h2:5432/authz?target_session_attrs=read-write`); its
//! password is never printed: logs and errors name the database with [`redact`]. A database that is not there
//! yet is retried with backoff, a line in the log each time, until it answers; a database whose schema is newer
//! than this binary knows, or that refuses our credentials, stops the start with one line.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use store::CommitStats;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Inner, PgStore};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Advisory-lock keys of this crate (any two numbers no other user of the database picks).
pub(crate) const MIGRATION_LOCK: i64 = 0x1f1c_0a07_0001;
pub(crate) const SETUP_LOCK: i64 = 0x1f1c_0a07_0002;
/// The node numbers' locks are `NODE_LOCKS + n`, n below [`NODES`] (the 10 bits of an ID's node field).
const NODE_LOCKS: i64 = 0x1f1c_0a07_1000;
const NODES: i64 = 1024;

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct Options {
    /// libpq-style URL, several hosts allowed.
    pub url: String,
    /// Connections at most.
    pub pool_size: usize,
    /// How long one storage call may take (waiting for a connection included) before it fails as unavailable.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("--postgres-url is not a valid PostgreSQL URL: {0}")]
    Url(String),
    #[error("PostgreSQL at {at} refused to let us in: {reason}")]
    Refused { at: String, reason: String },
    #[error("cannot connect to PostgreSQL at {at}: {reason}")]
    Failed { at: String, reason: String },
    #[error(
        "the database at {at} has schema version {found}, newer than this influx-authz knows ({known}); run a newer influx-authz"
    )]
    SchemaTooNew { at: String, found: i32, known: i32 },
    #[error("could not apply the schema to {at}: {reason}")]
    Migration { at: String, reason: String },
    #[error("could not start the PostgreSQL client: {0}")]
    Runtime(String),
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
}

/// The URL without its password (or anything else but users, hosts, ports and database): for logs and errors.
pub fn redact(url: &str) -> String {
    let Ok(config) = tokio_postgres::Config::from_str(url) else {
        return "postgres://(unreadable URL)".into();
    };
    let mut out = String::from("postgres://");
    if let Some(user) = config.get_user() {
        let _ = write!(out, "{user}@");
    }
    let ports = config.get_ports();
    for (i, host) in config.get_hosts().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match host {
            tokio_postgres::config::Host::Tcp(name) => out.push_str(name),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => out.push_str(&path.display().to_string()),
        }
        if let Some(port) = ports.get(i).or(ports.first()) {
            let _ = write!(out, ":{port}");
        }
    }
    if let Some(db) = config.get_dbname() {
        let _ = write!(out, "/{db}");
    }
    out
}

impl PgStore {
    /// Connects, applies the migrations this binary embeds (once among replicas starting together) and takes a
    /// node number. Waits for a database that is not reachable yet, retrying with backoff.
    pub fn connect(options: &Options) -> Result<Self, ConnectError> {
        let (url, mode) = crate::tls::split(&options.url)?;
        let tls = crate::tls::connector(&mode)?;
        let mut config = tokio_postgres::Config::from_str(&url)
            .map_err(|e| ConnectError::Url(e.to_string().replace(&options.url, "…")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.timeout.min(Duration::from_secs(5)));
        }
        config.application_name("influx-authz");
        // A peer that vanished without closing the connection (a node powered off, a network cut) is found within
        // seconds: keepalives while idle, and a bound on unacknowledged data while a query is out.
        config.keepalives_idle(Duration::from_secs(5));
        config.keepalives_interval(Duration::from_secs(2));
        config.keepalives_retries(3);
        config.tcp_user_timeout(options.timeout.max(Duration::from_secs(2)) * 2);
        // The database ends, on its side too, what the server has given up on: no statement, lock wait or
        // transaction left behind by a call that timed out keeps its locks.
        let limit = options.timeout.as_millis().max(1);
        let ours = format!(
            "-c statement_timeout={limit} -c lock_timeout={limit} -c idle_in_transaction_session_timeout={}",
            limit * 2
        );
        let theirs = config.get_options().map(str::to_owned);
        config.options(match theirs {
            Some(theirs) => format!("{theirs} {ours}"),
            None => ours,
        });
        let at = redact(&options.url);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("influx-authz-postgres")
            .enable_all()
            .build()
            .map_err(|e| ConnectError::Runtime(e.to_string()))?;
        let (node, lease) = crate::run_on(&runtime, prepare(&config, &tls, &at))?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .build()
            .map_err(|e| ConnectError::Runtime(e.to_string()))?;
        tracing::info!(database = %at, node, "connected to PostgreSQL");
        Ok(Self {
            inner: Arc::new(Inner {
                runtime: Some(runtime),
                pool,
                timeout: options.timeout,
                node,
                _node_lease: lease,
                audit_observer: OnceLock::new(),
                commit_stats: CommitStats::default(),
            }),
        })
    }
}

/// Waits for the database, migrates it and takes a node number.
async fn prepare(
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    at: &str,
) -> Result<(u16, tokio_postgres::Client), ConnectError> {
    let mut delay = Duration::from_millis(100);
    let (mut client, connection) = loop {
        match config.connect(tls.clone()).await {
            Ok(pair) => break pair,
            Err(error) => {
                // A certificate that is refused now will be refused on every try.
                if error.to_string().contains("TLS") {
                    return Err(ConnectError::Refused {
                        at: at.to_owned(),
                        reason: tls_reason(&error),
                    });
                }
                if let Some(db) = error.as_db_error()
                    && (db.code().code().starts_with("28") || db.code().code() == "3D000")
                {
                    return Err(ConnectError::Refused {
                        at: at.to_owned(),
                        reason: db.message().to_owned(),
                    });
                }
                // Only a database that is not there (yet), or busy, is waited for; a wrong URL is said at once.
                if !worth_retrying(&error) {
                    return Err(ConnectError::Failed {
                        at: at.to_owned(),
                        reason: error.to_string(),
                    });
                }
                tracing::warn!(database = %at, %error, retry_in_ms = delay.as_millis() as u64,
                    "PostgreSQL is not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    };
    tokio::spawn(connection);
    let node = migrate(&mut client, at).await?;
    // This connection stays open for the process's life: it holds the node number's lease.
    Ok((node, client))
}

/// Whether a failed connection may work later: nobody listening, a network failure, no host taking writes yet (a
/// failover), or a database starting up, shutting down or out of connections.
fn worth_retrying(error: &tokio_postgres::Error) -> bool {
    if let Some(db) = error.as_db_error() {
        return matches!(db.code().code(), "57P01" | "57P02" | "57P03" | "53300") || db.code().code().starts_with("08");
    }
    std::error::Error::source(error).is_some_and(|cause| cause.is::<std::io::Error>())
}

/// A TLS failure in one line, with its cause (the certificate's fault, as rustls names it).
fn tls_reason(error: &tokio_postgres::Error) -> String {
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    reason
}

async fn migrate(client: &mut tokio_postgres::Client, at: &str) -> Result<u16, ConnectError> {
    let failed = |error: &dyn std::fmt::Display| ConnectError::Migration {
        at: at.to_owned(),
        reason: error.to_string(),
    };
    // Replicas starting together wait here while one of them migrates.
    client
        .batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
        .await
        .map_err(|e| failed(&e))?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| failed(&e))?;
    let runner = embedded::migrations::runner();
    let known = runner.get_migrations().iter().map(|m| m.version()).max().unwrap_or(0);
    // refinery keeps its history in `refinery_schema_history`, made by its first run.
    let has_history: bool = client
        .query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL", &[])
        .await
        .map_err(|e| failed(&e))?
        .get(0);
    let applied = if has_history {
        runner
            .get_last_applied_migration_async(client)
            .await
            .map_err(|e| failed(&e))?
    } else {
        None
    };
    if let Some(applied) = applied
        && applied.version() > known
    {
        return Err(ConnectError::SchemaTooNew {
            at: at.to_owned(),
            found: applied.version(),
            known,
        });
    }
    let report = runner.run_async(client).await.map_err(|e| failed(&e))?;
    for migration in report.applied_migrations() {
        tracing::info!(
            version = migration.version(),
            name = migration.name(),
            "applied a schema migration"
        );
    }
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| failed(&e))?;
    lease_node(client, at).await
}

/// A node number no other live process holds: starting from the next of a sequence (so that replicas starting
/// together try different ones first), the first whose advisory lock this connection gets. The lock lasts as long as
/// the connection, which the store keeps open.
async fn lease_node(client: &tokio_postgres::Client, at: &str) -> Result<u16, ConnectError> {
    let failed = |error: &dyn std::fmt::Display| ConnectError::Migration {
        at: at.to_owned(),
        reason: error.to_string(),
    };
    let start: i64 = client
        .query_one("SELECT nextval('replica_nodes')", &[])
        .await
        .map_err(|e| failed(&e))?
        .get(0);
    for step in 0..NODES {
        let node = (start + step).rem_euclid(NODES);
        let leased: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&(NODE_LOCKS + node)])
            .await
            .map_err(|e| failed(&e))?
            .get(0);
        if leased {
            return Ok(node as u16);
        }
    }
    Err(failed(&format!("all {NODES} node numbers are taken by live replicas")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_url_is_named_without_its_password() {
        let url = "postgres://authz:s3cret-pw@db1:5432,db2:5433/authz?target_session_attrs=read-write";
        let shown = redact(url);
        assert_eq!(shown, "postgres://authz@db1:5432,db2:5433/authz");
        assert!(!shown.contains("s3cret-pw"));
    }

    #[test]
    fn an_unknown_sslmode_is_refused_at_once_not_retried() {
        let options = Options {
            url: "postgres://authz:s3cret-pw@127.0.0.1:1/authz?sslmode=sometimes".into(),
            pool_size: 1,
            timeout: Duration::from_secs(1),
        };
        let Err(error) = PgStore::connect(&options) else {
            panic!("sslmode=require was accepted")
        };
        let message = error.to_string();
        assert!(message.contains("sslmode"), "{message}");
        assert!(!message.contains("s3cret-pw"), "{message}");
    }
}
