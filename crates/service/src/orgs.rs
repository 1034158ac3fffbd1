//! Orgs: list, find, create, update, delete (with everything in them), and members and owners.

use model::wire::{
    MemberPostRequest, MemberView, MembersView, OrgPatchRequest, OrgPostRequest, OrgView, OrgsView, links,
};
use model::{AuditAction, AuditChanges, AuditTarget, Id, Org, Permission, Resource, ResourceType, User};
use store::{Conflict, Role, StoreError};

use crate::authorizations::parse_id;
use crate::buckets::system_buckets;
use crate::query::{non_empty, org_name_not_found, paging};
use crate::views::org_view;
use crate::{Caller, Service, ServiceError};

#[derive(Debug, Clone, Default)]
pub struct OrgQuery {
    pub org: Option<String>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_orgs(&self, caller: &Caller, query: OrgQuery) -> Result<OrgsView, ServiceError> {
        let (limit, offset) = paging(query.limit, query.offset)?;
        let org_id = non_empty(query.org_id).map(|v| parse_id(&v)).transpose()?;
        let user_id = non_empty(query.user_id).map(|v| parse_id(&v)).transpose()?;
        let name = non_empty(query.org);
        let caller = caller.clone();
        self.blocking(move |store| {
            let orgs = if let Some(id) = org_id {
                vec![
                    store
                        .org(id)?
                        .ok_or_else(|| ServiceError::NotFound("organization not found".into()))?,
                ]
            } else if let Some(name) = name {
                vec![store.org_by_name(&name)?.ok_or_else(|| org_name_not_found(&name))?]
            } else {
                store.orgs()?
            };
            let member_of = match user_id {
                Some(user) => Some(
                    store
                        .orgs_of(user)?
                        .into_iter()
                        .map(|(org, _)| org)
                        .collect::<std::collections::HashSet<_>>(),
                ),
                None => None,
            };
            let orgs = orgs
                .iter()
                .filter(|org| member_of.as_ref().is_none_or(|set| set.contains(&org.id)))
                .filter(|org| caller.may(&Permission::read(Resource::one(ResourceType::Orgs, org.id))))
                .skip(offset)
                .take(limit)
                .map(org_view)
                .collect();
            Ok::<_, ServiceError>(OrgsView {
                links: links([("self", "/api/v2/orgs".to_owned())]),
                orgs,
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn get_org(&self, caller: &Caller, id: Id) -> Result<OrgView, ServiceError> {
        let org = self
            .blocking(move |store| store.org(id))
            .await?
            .ok_or_else(|| ServiceError::NotFound("organization not found".into()))?;
        caller.check(&Permission::read(Resource::one(ResourceType::Orgs, id)))?;
        Ok(org_view(&org))
    }

    /// `POST /api/v2/orgs`: needs global `write:orgs`; creates the system buckets too.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_org(&self, caller: &Caller, request: OrgPostRequest) -> Result<OrgView, ServiceError> {
        caller.check(&Permission::write(Resource::global(ResourceType::Orgs)))?;
        let name = request.name.unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ServiceError::Invalid("org name is empty".into()));
        }
        let now = self.now();
        let org = Org {
            id: self.inner.ids.next(),
            name: name.clone(),
            description: request.description.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let buckets = system_buckets(self, org.id);
        let owner = caller.user.id;
        let stored = org.clone();
        let target = AuditTarget::new(ResourceType::Orgs, org.id).named(name.clone());
        let audit = self.audit_entry(caller, AuditAction::OrgCreate, target);
        self.blocking(move |store| store.create_org(&stored, &buckets, Some(owner), Some(&audit)))
            .await
            .map_err(|e| match e {
                ServiceError::Store(StoreError::Conflict(Conflict::OrgName)) => {
                    ServiceError::Conflict(format!("organization with name {name} already exists"))
                }
                other => other,
            })?;
        Ok(org_view(&org))
    }

    /// `PATCH /api/v2/orgs/{id}`: `name` and `description`; needs `write:orgs/<id>`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn update_org(&self, caller: &Caller, id: Id, request: OrgPatchRequest) -> Result<OrgView, ServiceError> {
        let before = self.org_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Orgs, id)))?;
        if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(ServiceError::Invalid("org name is empty".into()));
        }
        let now = self.now();
        let name = request.name.clone();
        let changes = AuditChanges {
            name: request.name.clone(),
            description: request.description.clone(),
            ..AuditChanges::default()
        };
        let target = AuditTarget::new(ResourceType::Orgs, id)
            .named(before.name)
            .changing(changes);
        let audit = self.audit_entry(caller, AuditAction::OrgUpdate, target);
        let updated = self
            .blocking(move |store| {
                store.update_org(
                    id,
                    Box::new(move |org: &mut Org| {
                        if let Some(name) = &request.name {
                            org.name.clone_from(name);
                        }
                        if let Some(description) = &request.description {
                            org.description.clone_from(description);
                        }
                        org.updated_at = now;
                    }),
                    Some(&audit),
                )
            })
            .await
            .map_err(|e| match e {
                ServiceError::Store(StoreError::Conflict(Conflict::OrgName)) => ServiceError::Conflict(format!(
                    "organization with name {} already exists",
                    name.unwrap_or_default()
                )),
                other => other,
            })?
            .ok_or_else(org_not_found)?;
        Ok(org_view(&updated))
    }

    /// `DELETE /api/v2/orgs/{id}`: the org, its buckets, members and authorizations go in one transaction, so
    /// its tokens stop working at once (InfluxDB leaves them dangling).
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn delete_org(&self, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        let org = self.org_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Orgs, id)))?;
        let target = AuditTarget::new(ResourceType::Orgs, id).named(org.name);
        let audit = self.audit_entry(caller, AuditAction::OrgDelete, target);
        if self.blocking(move |store| store.delete_org(id, Some(&audit))).await? {
            Ok(())
        } else {
            Err(org_not_found())
        }
    }

    /// `GET /api/v2/orgs/{id}/members|owners`: needs `read:orgs/<id>`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn list_members(&self, caller: &Caller, id: Id, role: Role) -> Result<MembersView, ServiceError> {
        self.org_record(id).await?;
        caller.check(&Permission::read(Resource::one(ResourceType::Orgs, id)))?;
        let users = self
            .blocking(move |store| {
                let mut users = Vec::new();
                for (user, held) in store.members(id)? {
                    if held == role
                        && let Some(user) = store.user(user)?
                    {
                        users.push(member_view(&user, role));
                    }
                }
                Ok::<_, StoreError>(users)
            })
            .await?;
        Ok(MembersView {
            links: links([("self", members_path(id, role))]),
            users,
        })
    }

    /// `POST /api/v2/orgs/{id}/members|owners` with `{"id": userID}`: needs `write:orgs/<id>`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn add_member(
        &self,
        caller: &Caller,
        id: Id,
        role: Role,
        request: MemberPostRequest,
    ) -> Result<MemberView, ServiceError> {
        let user_id = request
            .id
            .ok_or_else(|| ServiceError::Invalid("user id missing or invalid".into()))?;
        self.org_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Orgs, id)))?;
        let user = self
            .blocking(move |store| store.user(user_id))
            .await?
            .ok_or_else(|| ServiceError::NotFound("user not found".into()))?;
        let action = match role {
            Role::Member => AuditAction::MemberAdd,
            Role::Owner => AuditAction::OwnerAdd,
        };
        let target = membership_target(id, &user);
        let audit = self.audit_entry(caller, action, target);
        self.blocking(move |store| store.add_member(id, user_id, role, Some(&audit)))
            .await?;
        Ok(member_view(&user, role))
    }

    /// `DELETE /api/v2/orgs/{id}/members|owners/{userID}`: needs `write:orgs/<id>`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id, user = %user))]
    pub async fn remove_member(&self, caller: &Caller, id: Id, role: Role, user: Id) -> Result<(), ServiceError> {
        self.org_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Orgs, id)))?;
        let action = match role {
            Role::Member => AuditAction::MemberRemove,
            Role::Owner => AuditAction::OwnerRemove,
        };
        let name = self.blocking(move |store| store.user(user)).await?.map(|u| u.name);
        let mut target = AuditTarget::new(ResourceType::Users, user).in_org(id);
        target.name = name;
        let audit = self.audit_entry(caller, action, target);
        if self
            .blocking(move |store| store.remove_member(id, user, role, Some(&audit)))
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::NotFound(match role {
                Role::Member => "user is not a member of this organization".into(),
                Role::Owner => "user is not an owner of this organization".into(),
            }))
        }
    }

    async fn org_record(&self, id: Id) -> Result<Org, ServiceError> {
        self.blocking(move |store| store.org(id))
            .await?
            .ok_or_else(org_not_found)
    }
}

/// A membership's target: the user, in the org.
fn membership_target(org: Id, user: &User) -> AuditTarget {
    AuditTarget::new(ResourceType::Users, user.id)
        .in_org(org)
        .named(user.name.clone())
}

fn org_not_found() -> ServiceError {
    ServiceError::NotFound("organization not found".into())
}

fn members_path(org: Id, role: Role) -> String {
    match role {
        Role::Member => format!("/api/v2/orgs/{org}/members"),
        Role::Owner => format!("/api/v2/orgs/{org}/owners"),
    }
}

fn member_view(user: &User, role: Role) -> MemberView {
    MemberView {
        links: links([("self", format!("/api/v2/users/{}", user.id))]),
        id: user.id,
        name: user.name.clone(),
        status: user.status.as_str().to_owned(),
        role: match role {
            Role::Member => "member",
            Role::Owner => "owner",
        }
        .to_owned(),
    }
}
