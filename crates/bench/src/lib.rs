//! influx-authz's benchmark, shared by its two binaries: `bench` (the driver) and `baseline` (a bare axum server).
//!
//! # Layout
//! - [`load`]: the load generator: N keep-alive HTTP/1.1 connections (hyper), a fixed duration or a finite
//!   amount of work, every response checked, every latency recorded.
//! - [`procfs`]: a server's CPU time and RSS, read from `/proc/<pid>/{stat,status}`.
//! - [`process`]: starting and stopping the two servers, and timing start-up to the first `200` from `/health`.
//! - [`seed`]: deterministic tokens and the offline seeding of a store file (through `store`'s bulk loader).
//! - [`stats`]: medians, percentiles and the printed tables.
//!
//! Nothing here is timed in a test: correctness of each scenario is checked by the driver itself, which aborts
//! on the first unexpected answer.

pub mod load;
pub mod process;
pub mod procfs;
pub mod seed;
pub mod stats;
pub mod wrk;

/// What `baseline` answers to everything: about 600 bytes of JSON shaped like one authorization.
pub const BASELINE_BODY: &str = concat!(
    r#"{"id":"0d8c5a9f1e2b3000","token":"","status":"active","#,
    r#""description":"baseline: a fixed answer shaped like one authorization; no auth, no storage","#,
    r#""orgID":"0d8c5a9f1e2b1000","org":"my-org","userID":"0d8c5a9f1e2b2000","user":"admin","#,
    r#""permissions":[{"action":"read","resource":{"type":"authorizations","orgID":"0d8c5a9f1e2b1000","org":"my-org"}},"#,
    r#"{"action":"read","resource":{"type":"users","id":"0d8c5a9f1e2b2000","name":"admin"}}],"#,
    r#""createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z","#,
    r#""links":{"self":"/api/v2/authorizations/0d8c5a9f1e2b3000","user":"/api/v2/users/0d8c5a9f1e2b2000"}}"#,
);
