//! What the store keeps. These are domain records, not wire bodies: see [`crate::wire`] for those.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Id, Permission, Token, TokenHash};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Active,
    Inactive,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            _ => None,
        }
    }
}

/// An API token's record. The plaintext is kept only when hashed tokens are off (InfluxDB 2.7 style); the hash is
/// always kept, because the token index is keyed by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorization {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    pub hashed_token: TokenHash,
    pub status: Status,
    pub description: String,
    pub org_id: Id,
    pub user_id: Id,
    pub permissions: Vec<Permission>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Extension: after this instant the token is refused like a deleted one.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// Extension: when the token last authenticated a request. The store keeps it in a table of its own (written
    /// every few seconds) and fills it in on reads; it is never part of the stored record.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing)]
    pub last_used_at: Option<OffsetDateTime>,
    /// Set on a v1 authorization (InfluxDB's `/private/legacy/authorizations`, for 1.x clients): its user name and
    /// password. Such a record has no token: `hashed_token` is [`TokenHash::of_v1_username`] of the name, so the
    /// same unique index keeps v1 names unique and apart from v2 tokens.
    /// (Boxed: most records are v2 tokens, and every request carries its caller's record.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v1: Option<Box<V1Credentials>>,
}

/// The credentials of a v1 authorization: a user name (InfluxDB calls it the v1 authorization's `token`; it is not
/// secret) and, once set, a password hash (a PHC string from the same slow hash as user passwords).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V1Credentials {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

impl Authorization {
    /// Whether this is a v1 (legacy) authorization rather than a v2 API token.
    pub fn is_v1(&self) -> bool {
        self.v1.is_some()
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub status: Status,
    /// A PHC string from a slow password hash, when a password was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// The setup user owns the instance: its sessions may do anything.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instance_owner: bool,
}

/// A sign-in session. Stored under the SHA-256 of its key; the key itself lives only in the cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: Id,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    pub id: Id,
    pub name: String,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketKind {
    User,
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub id: Id,
    pub org_id: Id,
    pub kind: BucketKind,
    pub name: String,
    pub description: String,
    /// 0 means "keep forever".
    pub retention_seconds: i64,
    pub shard_group_seconds: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}
