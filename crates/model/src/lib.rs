//! Wire and domain types of influx-authz, spelled as InfluxDB OSS 2.x spells them.
//!
//! # Layout
//! - [`id`]: 64-bit IDs shown as 16 lowercase hex characters.
//! - [`token`]: API tokens (never printed by `Debug`) and their SHA-256 hashes.
//! - [`permission`]: actions, resource types, resources, InfluxDB's matching rule, and the printed form
//!   (`write:orgs/<orgID>/buckets/<bucketID>`) both ways.
//! - [`record`]: what the store keeps: authorizations, users, orgs, buckets.
//! - [`wire`]: request and response bodies of the HTTP API, shared by the server and its clients.
//! - [`audit`]: audit-trail entries (an extension): who did what, when, from where; never a secret.
//!
//! This crate does no I/O: no clock, no randomness, no storage, no HTTP.

pub mod audit;
pub mod id;
pub mod permission;
pub mod record;
pub mod time_format;
pub mod token;
pub mod wire;

#[cfg(test)]
mod fuzz_tests;

pub use audit::{AuditAction, AuditActor, AuditChanges, AuditEntry, AuditTarget, CredentialKind, Outcome};
pub use id::{Id, IdError, WordHasher, WordMap};
pub use permission::{Action, Permission, PermissionParseError, Resource, ResourceType};
pub use record::{Authorization, Bucket, BucketKind, Org, Session, Status, User, V1Credentials};
pub use token::{Token, TokenHash};
