//! Request and response bodies of the HTTP API, with InfluxDB's field names and order.
//!
//! The server builds the response types; clients (the CLI, tests) can deserialize them. Request types keep loose
//! fields (`Option<String>`) where InfluxDB validates after decoding, so the error a client sees is InfluxDB's.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Action, AuditEntry, Id, ResourceType};

/// `links` maps. A `BTreeMap` writes them with sorted keys, as Go does.
pub type Links = BTreeMap<Cow<'static, str>, String>;

/// Links named by our constant keys (borrowed, not copied: a list has two per record).
pub fn links<const N: usize>(pairs: [(&'static str, String); N]) -> Links {
    pairs.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Authorizations

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceView {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Name>,
}

/// The name of an org, user or bucket in an answer: shared, since a list repeats the same few in every record.
pub type Name = std::sync::Arc<str>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionView {
    pub action: Action,
    pub resource: ResourceView,
}

/// An authorization's `links`: `self` and `user`, in that (sorted) order, as InfluxDB writes them. Two fields
/// rather than a map: a list has one per record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationLinks {
    #[serde(rename = "self", default)]
    pub this: String,
    #[serde(default)]
    pub user: String,
}

/// An authorization as `GET|POST|PATCH /api/v2/authorizations…` return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationView {
    pub id: Id,
    /// The plaintext on create, or always when hashed tokens are off; `""` otherwise.
    pub token: String,
    /// `active` or `inactive` (a constant when we write it).
    pub status: Cow<'static, str>,
    pub description: String,
    #[serde(rename = "orgID")]
    pub org_id: Id,
    pub org: Name,
    #[serde(rename = "userID")]
    pub user_id: Id,
    pub user: Name,
    pub permissions: Vec<PermissionView>,
    pub links: AuthorizationLinks,
    #[serde(rename = "createdAt", with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(rename = "updatedAt", with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Extension (not in InfluxDB): when the token stops working.
    #[serde(
        rename = "expiresAt",
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// Extension (not in InfluxDB): when the token last authenticated a request.
    #[serde(
        rename = "lastUsedAt",
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationsView {
    pub links: Links,
    pub authorizations: Vec<AuthorizationView>,
}

/// `resource` of a permission in a request. Decoded loosely; validated by the service with InfluxDB's messages.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ResourceRequest {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(rename = "orgID", default)]
    pub org_id: Option<Id>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PermissionRequest {
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub resource: Option<ResourceRequest>,
}

/// Body of `POST /api/v2/authorizations`. Unknown fields (`token`, `user`, `org`, …) are ignored, as InfluxDB does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizationPostRequest {
    #[serde(rename = "orgID", default)]
    pub org_id: Option<Id>,
    #[serde(rename = "userID", default)]
    pub user_id: Option<Id>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<PermissionRequest>>,
    /// Extension: RFC 3339 instant after which the token is refused.
    #[serde(rename = "expiresAt", default)]
    pub expires_at: Option<String>,
    /// Honoured only with `--allow-client-tokens` (InfluxDB ignores it).
    #[serde(default)]
    pub token: Option<String>,
}

/// Body of `POST /private/legacy/authorizations`: a v1 authorization. `token` is its v1 user name (required);
/// the password is set afterwards (`POST /private/legacy/authorizations/{id}/password`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct V1AuthorizationPostRequest {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(rename = "orgID", default)]
    pub org_id: Option<Id>,
    #[serde(rename = "userID", default)]
    pub user_id: Option<Id>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<PermissionRequest>>,
}

/// Body of `PATCH /api/v2/authorizations/{id}`. Only `status` and `description`; a `null` means "leave as is".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizationUpdateRequest {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// Users, orgs, buckets

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub links: Links,
    pub id: Id,
    pub name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsersView {
    pub links: Links,
    pub users: Vec<UserView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserPostRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// Body of `PATCH /api/v2/users/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserPatchRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// Body of `POST /api/v2/users/{id}/password` and `PUT /api/v2/me/password`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PasswordRequest {
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgView {
    pub links: Links,
    pub id: Id,
    pub name: String,
    pub description: String,
    #[serde(rename = "createdAt", with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(rename = "updatedAt", with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgsView {
    pub links: Links,
    pub orgs: Vec<OrgView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgPostRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Body of `PATCH /api/v2/orgs/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgPatchRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// A user in an org's `members` or `owners` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub links: Links,
    pub id: Id,
    pub name: String,
    pub status: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersView {
    pub links: Links,
    pub users: Vec<MemberView>,
}

/// Body of `POST /api/v2/orgs/{id}/members|owners`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemberPostRequest {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionRule {
    #[serde(rename = "type", default = "expire")]
    pub kind: String,
    #[serde(rename = "everySeconds")]
    pub every_seconds: i64,
    #[serde(
        rename = "shardGroupDurationSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub shard_group_duration_seconds: Option<i64>,
}

fn expire() -> String {
    "expire".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketView {
    pub id: Id,
    #[serde(rename = "orgID")]
    pub org_id: Id,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub name: String,
    #[serde(rename = "retentionRules")]
    pub retention_rules: Vec<RetentionRule>,
    #[serde(rename = "createdAt", with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(rename = "updatedAt", with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub links: Links,
    pub labels: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketsView {
    pub links: Links,
    pub buckets: Vec<BucketView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketPostRequest {
    #[serde(rename = "orgID", default)]
    pub org_id: Option<Id>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "retentionRules", default)]
    pub retention_rules: Option<Vec<RetentionRule>>,
}

// ---------------------------------------------------------------------------------------------------------------
// Setup

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SetupRequest {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub bucket: Option<String>,
    #[serde(rename = "retentionPeriodSeconds", default)]
    pub retention_period_seconds: Option<i64>,
    /// Deprecated, and (as in InfluxDB) in nanoseconds despite its name.
    #[serde(rename = "retentionPeriodHrs", default)]
    pub retention_period_hrs: Option<i64>,
    #[serde(default)]
    pub token: Option<String>,
}

/// The operator authorization in setup's answer: InfluxDB's raw struct, without `org`/`user` names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupAuthView {
    pub id: Id,
    pub token: String,
    pub status: String,
    pub description: String,
    #[serde(rename = "orgID")]
    pub org_id: Id,
    #[serde(rename = "userID")]
    pub user_id: Id,
    pub permissions: Vec<PermissionView>,
    #[serde(rename = "createdAt", with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(rename = "updatedAt", with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub links: AuthorizationLinks,
    #[serde(rename = "hashedToken", default, skip_serializing_if = "Option::is_none")]
    pub hashed_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupResponse {
    pub user: UserView,
    pub bucket: BucketView,
    pub org: OrgView,
    pub auth: SetupAuthView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupAllowed {
    pub allowed: bool,
}

/// InfluxDB's error body: `code` and `message`, nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Audit trail (an extension)

/// `GET /api/v2/audit`: one page of entries, newest first, with `links.next` while more remain. Each entry is
/// written as [`AuditEntry`] serializes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntriesView {
    pub links: Links,
    pub entries: Vec<AuditEntry>,
}
