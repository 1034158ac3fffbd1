//! Users: list, find, me, create, update, delete (with their tokens), and passwords.

use model::wire::{PasswordRequest, UserPatchRequest, UserPostRequest, UserView, UsersView, links};
use model::{AuditAction, AuditChanges, AuditTarget, Id, Permission, Resource, ResourceType, Status, User};
use store::{Conflict, StoreError};

use crate::authorizations::parse_id;
use crate::query::non_empty;
use crate::views::user_view;
use crate::{Caller, Service, ServiceError, passwords};

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub name: Option<String>,
    pub id: Option<String>,
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_users(&self, caller: &Caller, query: UserQuery) -> Result<UsersView, ServiceError> {
        let id = non_empty(query.id).map(|v| parse_id(&v)).transpose()?;
        let name = non_empty(query.name);
        let caller = caller.clone();
        self.blocking(move |store| {
            // An ID or a name asks for one user, and an unknown one is 404, as InfluxDB's FindUsers answers.
            let users = match (id, name) {
                (Some(id), _) => vec![store.user(id)?.ok_or_else(user_not_found)?],
                (None, Some(name)) => vec![store.user_by_name(&name)?.ok_or_else(user_not_found)?],
                (None, None) => store.users()?,
            };
            let users = users
                .iter()
                .filter(|user| caller.may(&Permission::read(Resource::one(ResourceType::Users, user.id))))
                .map(user_view)
                .collect();
            Ok::<_, ServiceError>(UsersView {
                links: links([("self", "/api/v2/users".to_owned())]),
                users,
            })
        })
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn get_user(&self, caller: &Caller, id: Id) -> Result<UserView, ServiceError> {
        let user = self
            .blocking(move |store| store.user(id))
            .await?
            .ok_or_else(|| ServiceError::NotFound("user not found".into()))?;
        caller.check(&Permission::read(Resource::one(ResourceType::Users, id)))?;
        Ok(user_view(&user))
    }

    /// `GET /api/v2/me`: needs `read:users/<own id>`.
    pub async fn me(&self, caller: &Caller) -> Result<UserView, ServiceError> {
        caller.check(&Permission::read(Resource::one(ResourceType::Users, caller.user.id)))?;
        Ok(user_view(&caller.user))
    }

    /// `POST /api/v2/users`: needs global `write:users`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_user(&self, caller: &Caller, request: UserPostRequest) -> Result<UserView, ServiceError> {
        caller.check(&Permission::write(Resource::global(ResourceType::Users)))?;
        let name = request.name.unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ServiceError::Invalid("user name is empty".into()));
        }
        let status = match request.status.as_deref() {
            None | Some("") => Status::Active,
            Some(text) => Status::parse(text)
                .ok_or_else(|| ServiceError::Invalid("invalid user status: must be active or inactive".into()))?,
        };
        let user = User {
            id: self.inner.ids.next(),
            name: name.clone(),
            status,
            password_hash: None,
            instance_owner: false,
        };
        let stored = user.clone();
        let audit = self.audit_entry(
            caller,
            AuditAction::UserCreate,
            AuditTarget::new(ResourceType::Users, user.id).named(name.clone()),
        );
        self.blocking(move |store| store.create_user(&stored, Some(&audit)))
            .await
            .map_err(|e| match e {
                ServiceError::Store(StoreError::Conflict(Conflict::UserName)) => {
                    ServiceError::Conflict(format!("user with name {name} already exists"))
                }
                other => other,
            })?;
        Ok(user_view(&user))
    }

    /// `PATCH /api/v2/users/{id}`: `name` and `status`; needs `write:users/<id>`. Deactivating a user refuses
    /// all its tokens from the next request on (403 `User is inactive`); reactivating lets them work again.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: Id,
        request: UserPatchRequest,
    ) -> Result<UserView, ServiceError> {
        let before = self.user_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Users, id)))?;
        if request.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(ServiceError::Invalid("user name is empty".into()));
        }
        let status = request.status.as_deref().map(parse_status).transpose()?;
        let name = request.name.clone();
        let changes = AuditChanges {
            name: request.name.clone(),
            status: status.map(|s| s.as_str().to_owned()),
            ..AuditChanges::default()
        };
        let target = AuditTarget::new(ResourceType::Users, id)
            .named(before.name)
            .changing(changes);
        let audit = self.audit_entry(caller, AuditAction::UserUpdate, target);
        let updated = self
            .blocking(move |store| {
                store.update_user(
                    id,
                    Box::new(move |user: &mut User| {
                        if let Some(name) = &request.name {
                            user.name.clone_from(name);
                        }
                        if let Some(status) = status {
                            user.status = status;
                        }
                    }),
                    Some(&audit),
                )
            })
            .await
            .map_err(|e| match e {
                ServiceError::Store(StoreError::Conflict(Conflict::UserName)) => {
                    ServiceError::Conflict(format!("user with name {} already exists", name.unwrap_or_default()))
                }
                other => other,
            })?
            .ok_or_else(user_not_found)?;
        Ok(user_view(&updated))
    }

    /// `DELETE /api/v2/users/{id}`: the user and its memberships go in one transaction. Its tokens stay, refused
    /// with 403 `User is inactive` from the next request on (contract §4.1).
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn delete_user(&self, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        let user = self.user_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Users, id)))?;
        let target = AuditTarget::new(ResourceType::Users, id).named(user.name);
        let audit = self.audit_entry(caller, AuditAction::UserDelete, target);
        if self.blocking(move |store| store.delete_user(id, Some(&audit))).await? {
            Ok(())
        } else {
            Err(user_not_found())
        }
    }

    /// `POST /api/v2/users/{id}/password`: needs `write:users/<id>`; the rules are setup's. The audit entry
    /// (`user.password`) says whose password changed, never the password.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn set_password(&self, caller: &Caller, id: Id, request: PasswordRequest) -> Result<(), ServiceError> {
        let user = self.user_record(id).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Users, id)))?;
        let password = request.password.unwrap_or_default();
        passwords::validate(&password)?;
        let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
            .await
            .map_err(|e| ServiceError::Internal(format!("password task failed: {e}")))??;
        let target = AuditTarget::new(ResourceType::Users, id).named(user.name);
        let audit = self.audit_entry(caller, AuditAction::UserPassword, target);
        self.blocking(move |store| {
            store.update_user(
                id,
                Box::new(move |user: &mut User| user.password_hash = Some(hash.clone())),
                Some(&audit),
            )
        })
        .await?
        .ok_or_else(user_not_found)?;
        Ok(())
    }

    /// `PUT /api/v2/me/password`: the caller's own password, only with the current one (InfluxDB reads it from
    /// Basic auth next to the session cookie), so that a leaked token cannot take over its user's account.
    pub async fn set_own_password(
        &self,
        caller: &Caller,
        current: Option<(String, String)>,
        request: PasswordRequest,
    ) -> Result<(), ServiceError> {
        let Some((name, password)) = current else {
            return Err(ServiceError::Unauthorized(
                "the current password is required (Basic auth)".into(),
            ));
        };
        let stored = caller.user.password_hash.clone();
        let matches = name == caller.user.name
            && match stored {
                Some(stored) => tokio::task::spawn_blocking(move || passwords::verify(&password, &stored))
                    .await
                    .map_err(|e| ServiceError::Internal(format!("password task failed: {e}")))?,
                None => false,
            };
        if !matches {
            return Err(ServiceError::Forbidden("your username or password is incorrect".into()));
        }
        self.set_password(caller, caller.user.id, request).await
    }

    async fn user_record(&self, id: Id) -> Result<User, ServiceError> {
        self.blocking(move |store| store.user(id))
            .await?
            .ok_or_else(user_not_found)
    }
}

fn user_not_found() -> ServiceError {
    ServiceError::NotFound("user not found".into())
}

fn parse_status(text: &str) -> Result<Status, ServiceError> {
    Status::parse(text).ok_or_else(|| ServiceError::Invalid("invalid user status: must be active or inactive".into()))
}
