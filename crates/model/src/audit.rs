//! The audit trail (an extension): one entry per change, sign-in, sign-out and failed authentication, saying who
//! did what, when and from where.
//!
//! An entry never holds a token, a password, a session key or a query string: it is built only from IDs, names,
//! the few fields an update changed, fixed reasons and the client's IP address. The store keeps each entry as the
//! same JSON the API answers with (`GET /api/v2/audit`) and the stdout mirror prints.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Id, ResourceType};

macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        /// What an entry records, named `<resource>.<verb>` (or `signin`, `signout`, `authentication`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl AuditAction {
            /// Every action, in the order of the documentation.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)*
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($name => Some(AuditAction::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    AuthorizationCreate => "authorization.create",
    AuthorizationUpdate => "authorization.update",
    AuthorizationDelete => "authorization.delete",
    V1AuthorizationCreate => "v1_authorization.create",
    V1AuthorizationUpdate => "v1_authorization.update",
    V1AuthorizationDelete => "v1_authorization.delete",
    V1AuthorizationPassword => "v1_authorization.password",
    UserCreate => "user.create",
    UserUpdate => "user.update",
    UserDelete => "user.delete",
    UserPassword => "user.password",
    OrgCreate => "org.create",
    OrgUpdate => "org.update",
    OrgDelete => "org.delete",
    BucketCreate => "bucket.create",
    MemberAdd => "member.add",
    MemberRemove => "member.remove",
    OwnerAdd => "owner.add",
    OwnerRemove => "owner.remove",
    Setup => "setup",
    SignIn => "signin",
    SignOut => "signout",
    Authentication => "authentication",
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the action happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// How the actor proved (or failed to prove) who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    /// An API token (`Authorization: Token|Bearer …`); its authorization ID is in the entry when known.
    Token,
    /// The sign-in session cookie.
    Session,
    /// A user name and password (`POST /api/v2/signin`).
    Password,
    /// Nothing: `POST /api/v2/setup`, or a protected path asked for without any credential.
    None,
    /// The server itself at start: `DOCKER_INFLUXDB_INIT_*` setup.
    Server,
    /// The `--seed` file, applied at start.
    Seed,
    /// A v1 user name and password (`?u=&p=`, `Token user:password` or Basic, where v1 credentials are taken).
    V1,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Token => "token",
            CredentialKind::Session => "session",
            CredentialKind::Password => "password",
            CredentialKind::None => "none",
            CredentialKind::Server => "server",
            CredentialKind::Seed => "seed",
            CredentialKind::V1 => "v1",
        }
    }
}

/// Who acted. For a failed authentication with an unknown token, only the credential kind is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditActor {
    #[serde(rename = "userID", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    #[serde(rename = "user", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub credential: CredentialKind,
    /// The authorization whose token was used (never the token itself).
    #[serde(rename = "authorizationID", default, skip_serializing_if = "Option::is_none")]
    pub authorization_id: Option<Id>,
}

impl AuditActor {
    /// An actor known only by how it (failed to) authenticate.
    pub fn anonymous(credential: CredentialKind) -> Self {
        Self {
            user_id: None,
            user: None,
            credential,
            authorization_id: None,
        }
    }
}

/// What an update changed: the new values of the fields the request set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AuditChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.status.is_none() && self.description.is_none()
    }
}

/// What was acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
    /// The user or org name, the bucket name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user an authorization belongs to, or the setup user.
    #[serde(rename = "userID", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<AuditChanges>,
}

impl AuditTarget {
    pub fn new(kind: ResourceType, id: Id) -> Self {
        Self {
            kind,
            id: Some(id),
            org_id: None,
            name: None,
            user_id: None,
            changes: None,
        }
    }

    pub fn in_org(mut self, org_id: Id) -> Self {
        self.org_id = Some(org_id);
        self
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn of_user(mut self, user_id: Id) -> Self {
        self.user_id = Some(user_id);
        self
    }

    /// Records `changes` unless nothing changed.
    pub fn changing(mut self, changes: AuditChanges) -> Self {
        self.changes = (!changes.is_empty()).then_some(changes);
        self
    }
}

/// One audit entry. `id` is the sequence number the store gives it when it is appended (0 before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub action: AuditAction,
    pub outcome: Outcome,
    /// Why it failed, in a few words (failures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub actor: AuditActor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<AuditTarget>,
    /// The client's IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<IpAddr>,
}

impl AuditEntry {
    /// A successful action, not yet appended; `time` is written in UTC.
    pub fn success(
        time: OffsetDateTime,
        action: AuditAction,
        actor: AuditActor,
        target: Option<AuditTarget>,
        remote: Option<IpAddr>,
    ) -> Self {
        Self {
            id: 0,
            time: time.to_offset(time::UtcOffset::UTC),
            action,
            outcome: Outcome::Success,
            reason: None,
            actor,
            target,
            remote,
        }
    }

    /// A failed action, with its reason.
    pub fn failure(
        time: OffsetDateTime,
        action: AuditAction,
        reason: impl Into<String>,
        actor: AuditActor,
        remote: Option<IpAddr>,
    ) -> Self {
        Self {
            outcome: Outcome::Failure,
            reason: Some(reason.into()),
            ..Self::success(time, action, actor, None, remote)
        }
    }

    /// Whether `user` acted, or was acted on (a user record, a membership, a token of theirs).
    pub fn concerns_user(&self, user: Id) -> bool {
        self.actor.user_id == Some(user)
            || self.target.as_ref().is_some_and(|target| {
                target.user_id == Some(user) || (target.kind == ResourceType::Users && target.id == Some(user))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
            let json = serde_json::to_string(action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
        assert_eq!(AuditAction::parse("authorization.read"), None);
    }

    #[test]
    fn an_entry_is_written_in_the_wire_shape_and_in_utc() {
        let id = |n: u64| Id::new(n).unwrap();
        let at = datetime!(2030-01-02 03:04:05 +01:00);
        let entry = AuditEntry::success(
            at,
            AuditAction::AuthorizationUpdate,
            AuditActor {
                user_id: Some(id(0x1000)),
                user: Some("admin".into()),
                credential: CredentialKind::Token,
                authorization_id: Some(id(0x2000)),
            },
            Some(
                AuditTarget::new(ResourceType::Authorizations, id(0x3000))
                    .in_org(id(0x4000))
                    .changing(AuditChanges {
                        status: Some("inactive".into()),
                        ..AuditChanges::default()
                    }),
            ),
            Some("127.0.0.1".parse().unwrap()),
        );
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 0,
                "time": "2030-01-02T02:04:05Z",
                "action": "authorization.update",
                "outcome": "success",
                "actor": {"userID": "0000000000001000", "user": "admin", "credential": "token",
                          "authorizationID": "0000000000002000"},
                "target": {"type": "authorizations", "id": "0000000000003000", "orgID": "0000000000004000",
                           "changes": {"status": "inactive"}},
                "remote": "127.0.0.1",
            })
        );
        let back: AuditEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn an_entry_concerns_its_actor_and_the_user_it_targets() {
        let id = |n: u64| Id::new(n).unwrap();
        let actor = AuditActor {
            user_id: Some(id(1)),
            ..AuditActor::anonymous(CredentialKind::Session)
        };
        let target = AuditTarget::new(ResourceType::Users, id(2)).in_org(id(3));
        let entry = AuditEntry::success(
            OffsetDateTime::UNIX_EPOCH,
            AuditAction::MemberAdd,
            actor,
            Some(target),
            None,
        );
        assert!(entry.concerns_user(id(1)));
        assert!(entry.concerns_user(id(2)));
        assert!(!entry.concerns_user(id(3)));
    }
}
