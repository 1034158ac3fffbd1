//! `--seed FILE`: orgs, users, buckets and tokens loaded at start, idempotently, for reproducible test doubles.
//! The file is YAML or JSON (JSON is YAML). What exists already (by name, or by token) is left as it is.
//!
//! ```yaml
//! orgs:
//!   - name: acme
//!     buckets: [{name: telemetry, retentionSeconds: 604800}]
//! users:
//!   - {name: alice, password: alice-password, orgs: [{org: acme, role: owner}]}
//! tokens:
//!   - token: alice-fixed-token-0001
//!     org: acme
//!     user: alice
//!     description: CI writer
//!     permissions:
//!       - {action: write, resource: {type: buckets, name: telemetry}}
//!       - {action: read, resource: {type: buckets}}      # every bucket of the token's org
//! v1Authorizations:                                       # for 1.x clients: a user name and password
//!   - username: telegraf
//!     password: telegraf-password
//!     org: acme
//!     user: alice
//!     permissions: [{action: write, resource: {type: buckets, name: telemetry}}]
//! ```

use serde::Deserialize;

use model::{
    Action, AuditAction, AuditTarget, Authorization, CredentialKind, Id, Org, Permission, Resource, ResourceType,
    Status, Token, TokenHash, User, V1Credentials,
};
use store::{Conflict, Role, StoreError};

use crate::buckets::{system_buckets, user_bucket};
use crate::{Service, ServiceError, passwords};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub orgs: Vec<SeedOrg>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub tokens: Vec<SeedToken>,
    #[serde(default, rename = "v1Authorizations")]
    pub v1_authorizations: Vec<SeedV1Authorization>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedOrg {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub buckets: Vec<SeedBucket>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedBucket {
    pub name: String,
    #[serde(default)]
    pub retention_seconds: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub name: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub orgs: Vec<SeedMembership>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMembership {
    pub org: String,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedToken {
    pub token: String,
    pub org: String,
    pub user: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    pub permissions: Vec<SeedPermission>,
}

/// A v1 authorization: its user name and password (at least 8 characters; without one, the authorization exists
/// but no password matches it), and the token's fields. One that exists by user name is left as it is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SeedV1Authorization {
    pub username: String,
    #[serde(default)]
    pub password: Option<String>,
    pub org: String,
    pub user: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: Option<String>,
    pub permissions: Vec<SeedPermission>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPermission {
    pub action: String,
    pub resource: SeedResource,
}

/// `type`, and optionally one resource by `id` or by `name` (buckets in the token's org, orgs, users). Without
/// either, the permission covers the type in the token's org (`orgs` and `users`: everywhere, as the `influx` CLI
/// builds them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedResource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub name: Option<String>,
}

/// What applying a seed did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub orgs: usize,
    pub users: usize,
    pub buckets: usize,
    pub tokens: usize,
    pub v1_authorizations: usize,
}

fn bad(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(format!("seed: {}", message.into()))
}

impl Seed {
    /// Parses YAML or JSON.
    pub fn parse(text: &str) -> Result<Self, ServiceError> {
        serde_yaml_ng::from_str(text).map_err(|e| bad(e.to_string()))
    }
}

impl Service {
    /// Creates whatever of `seed` is missing. Names (orgs, users, buckets) and token values identify what exists.
    /// Each creation gets its audit entry (`org.create`, `user.create`, …), by the credential `seed`.
    ///
    /// Replicas that share a store and start together with the same seed apply it one at a time (the store's
    /// `exclusive` guard), so each thing is created once: the later ones find it there.
    pub async fn apply_seed(&self, seed: Seed) -> Result<SeedReport, ServiceError> {
        let _one_at_a_time = self.blocking(|store| store.exclusive("seed")).await?;
        let mut report = SeedReport::default();
        let now = self.now();
        for org in seed.orgs {
            let existing = {
                let name = org.name.clone();
                self.blocking(move |store| store.org_by_name(&name)).await?
            };
            let org_id = match existing {
                Some(found) => found.id,
                None => {
                    let record = Org {
                        id: self.inner.ids.next(),
                        name: org.name.clone(),
                        description: org.description.clone(),
                        created_at: now,
                        updated_at: now,
                    };
                    let buckets = system_buckets(self, record.id);
                    let id = record.id;
                    let audit = self.seeded(
                        AuditAction::OrgCreate,
                        AuditTarget::new(ResourceType::Orgs, id).named(record.name.clone()),
                    );
                    self.blocking(move |store| store.create_org(&record, &buckets, None, Some(&audit)))
                        .await?;
                    report.orgs += 1;
                    id
                }
            };
            for bucket in org.buckets {
                let wanted = user_bucket(self, org_id, &bucket.name, bucket.retention_seconds.max(0));
                let audit = self.seeded(
                    AuditAction::BucketCreate,
                    AuditTarget::new(ResourceType::Buckets, wanted.id)
                        .in_org(org_id)
                        .named(bucket.name.clone()),
                );
                match self
                    .blocking(move |store| store.create_bucket(&wanted, Some(&audit)))
                    .await
                {
                    Ok(()) => report.buckets += 1,
                    Err(ServiceError::Store(StoreError::Conflict(Conflict::BucketName))) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        for user in seed.users {
            let status = match user.status.as_deref() {
                None | Some("active") => Status::Active,
                Some("inactive") => Status::Inactive,
                Some(other) => return Err(bad(format!("user {}: unknown status {other:?}", user.name))),
            };
            let existing = {
                let name = user.name.clone();
                self.blocking(move |store| store.user_by_name(&name)).await?
            };
            let user_id = match existing {
                Some(found) => found.id,
                None => {
                    let password_hash = match user.password.as_deref() {
                        None => None,
                        Some(password) => {
                            passwords::validate(password)?;
                            Some(passwords::hash(password)?)
                        }
                    };
                    let record = User {
                        id: self.inner.ids.next(),
                        name: user.name.clone(),
                        status,
                        password_hash,
                        instance_owner: false,
                    };
                    let id = record.id;
                    let audit = self.seeded(
                        AuditAction::UserCreate,
                        AuditTarget::new(ResourceType::Users, id).named(record.name.clone()),
                    );
                    self.blocking(move |store| store.create_user(&record, Some(&audit)))
                        .await?;
                    report.users += 1;
                    id
                }
            };
            for membership in user.orgs {
                let role = match membership.role.as_deref() {
                    None | Some("member") => Role::Member,
                    Some("owner") => Role::Owner,
                    Some(other) => return Err(bad(format!("user {}: unknown role {other:?}", user.name))),
                };
                let org = self.seed_org(&membership.org).await?;
                let already = self
                    .blocking(move |store| store.members(org))
                    .await?
                    .contains(&(user_id, role));
                if already {
                    continue;
                }
                let action = match role {
                    Role::Member => AuditAction::MemberAdd,
                    Role::Owner => AuditAction::OwnerAdd,
                };
                let audit = self.seeded(
                    action,
                    AuditTarget::new(ResourceType::Users, user_id)
                        .in_org(org)
                        .named(user.name.clone()),
                );
                self.blocking(move |store| store.add_member(org, user_id, role, Some(&audit)))
                    .await?;
            }
        }
        for token in seed.tokens {
            let hash = Token::new(token.token.clone()).hash();
            if self
                .blocking(move |store| store.authorization_by_token(&hash))
                .await?
                .is_some()
            {
                continue;
            }
            let (org_id, user_id, permissions, status) = self
                .seed_grant(
                    &format!("token {:?}", token.description),
                    &token.org,
                    &token.user,
                    &token.permissions,
                    token.status.as_deref(),
                )
                .await?;
            let expires_at = token
                .expires_at
                .as_deref()
                .map(|text| time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339))
                .transpose()
                .map_err(|e| bad(format!("token {:?}: expiresAt: {e}", token.description)))?;
            let secret = Token::new(token.token);
            let record = Authorization {
                id: self.inner.ids.next(),
                token: (!self.options().hashed_tokens).then(|| secret.clone()),
                hashed_token: secret.hash(),
                status,
                description: token.description,
                org_id,
                user_id,
                permissions,
                created_at: now,
                updated_at: now,
                expires_at,
                last_used_at: None,
                v1: None,
            };
            let audit = self.seeded(
                AuditAction::AuthorizationCreate,
                AuditTarget::new(ResourceType::Authorizations, record.id)
                    .in_org(org_id)
                    .of_user(user_id),
            );
            self.blocking(move |store| store.create_authorization(&record, Some(&audit)))
                .await?;
            report.tokens += 1;
        }
        for v1 in seed.v1_authorizations {
            let key = TokenHash::of_v1_username(&v1.username);
            if self
                .blocking(move |store| store.authorization_by_token(&key))
                .await?
                .is_some()
            {
                continue;
            }
            let what = format!("v1 authorization {:?}", v1.username);
            if v1.username.is_empty() {
                return Err(bad("v1 authorization: empty username"));
            }
            let (org_id, user_id, permissions, status) = self
                .seed_grant(&what, &v1.org, &v1.user, &v1.permissions, v1.status.as_deref())
                .await?;
            let password_hash = match v1.password.as_deref() {
                None => None,
                Some(password) => {
                    passwords::validate(password).map_err(|e| bad(format!("{what}: {e}")))?;
                    Some(passwords::hash(password)?)
                }
            };
            let record = Authorization {
                id: self.inner.ids.next(),
                token: None,
                hashed_token: TokenHash::of_v1_username(&v1.username),
                status,
                description: v1.description,
                org_id,
                user_id,
                permissions,
                created_at: now,
                updated_at: now,
                expires_at: None,
                last_used_at: None,
                v1: Some(Box::new(V1Credentials {
                    username: v1.username,
                    password_hash,
                })),
            };
            let audit = self.seeded(
                AuditAction::V1AuthorizationCreate,
                AuditTarget::new(ResourceType::Authorizations, record.id)
                    .in_org(org_id)
                    .of_user(user_id),
            );
            self.blocking(move |store| store.create_authorization(&record, Some(&audit)))
                .await?;
            report.v1_authorizations += 1;
        }
        Ok(report)
    }

    /// The org, user, permissions and status of a seeded token or v1 authorization (`what` names it in errors).
    async fn seed_grant(
        &self,
        what: &str,
        org: &str,
        user: &str,
        permissions: &[SeedPermission],
        status: Option<&str>,
    ) -> Result<(Id, Id, Vec<Permission>, Status), ServiceError> {
        let org_id = self.seed_org(org).await?;
        let user_id = {
            let name = user.to_owned();
            self.blocking(move |store| store.user_by_name(&name))
                .await?
                .ok_or_else(|| bad(format!("{what}: no user {user:?}")))?
                .id
        };
        let mut granted = Vec::new();
        for permission in permissions {
            granted.push(self.seed_permission(permission, org_id).await?);
        }
        if granted.is_empty() {
            return Err(bad(format!("{what}: no permissions")));
        }
        let status = match status {
            None | Some("active") => Status::Active,
            Some("inactive") => Status::Inactive,
            Some(other) => return Err(bad(format!("{what}: unknown status {other:?}"))),
        };
        Ok((org_id, user_id, granted, status))
    }

    fn seeded(&self, action: AuditAction, target: AuditTarget) -> model::AuditEntry {
        self.audit_by(CredentialKind::Seed, action, target)
    }

    async fn seed_org(&self, name: &str) -> Result<Id, ServiceError> {
        let owned = name.to_owned();
        self.blocking(move |store| store.org_by_name(&owned))
            .await?
            .map(|org| org.id)
            .ok_or_else(|| bad(format!("no org {name:?} (list it under orgs)")))
    }

    async fn seed_permission(&self, permission: &SeedPermission, org_id: Id) -> Result<Permission, ServiceError> {
        let action =
            Action::parse(&permission.action).ok_or_else(|| bad(format!("unknown action {:?}", permission.action)))?;
        let resource = &permission.resource;
        let kind = ResourceType::parse(&resource.kind)
            .ok_or_else(|| bad(format!("unknown resource type {:?}", resource.kind)))?;
        let id = match (&resource.id, &resource.name) {
            (Some(id), _) => Some(*id),
            (None, Some(name)) => {
                let name = name.clone();
                let found = match kind {
                    ResourceType::Buckets => {
                        self.blocking(move |store| {
                            Ok::<_, StoreError>(
                                store
                                    .buckets(Some(org_id))?
                                    .into_iter()
                                    .find(|b| b.name == name)
                                    .map(|b| b.id),
                            )
                        })
                        .await?
                    }
                    ResourceType::Orgs => self
                        .blocking(move |store| store.org_by_name(&name))
                        .await?
                        .map(|o| o.id),
                    ResourceType::Users => self
                        .blocking(move |store| store.user_by_name(&name))
                        .await?
                        .map(|u| u.id),
                    _ => return Err(bad(format!("{kind} resources cannot be named; use an id"))),
                };
                Some(
                    found
                        .ok_or_else(|| bad(format!("no {kind} named {:?}", resource.name.as_deref().unwrap_or(""))))?,
                )
            }
            (None, None) => None,
        };
        let resource = match (kind, id) {
            (ResourceType::Orgs | ResourceType::Users, Some(id)) => Resource::one(kind, id),
            (ResourceType::Orgs | ResourceType::Users, None) => Resource::global(kind),
            (_, Some(id)) => Resource::one_in_org(kind, id, org_id),
            (_, None) => Resource::in_org(kind, org_id),
        };
        Ok(Permission::new(action, resource))
    }
}
