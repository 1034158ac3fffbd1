//! The authorizations resource (contract §1, §3): list, create, get, update, delete.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use model::wire::{
    AuthorizationPostRequest, AuthorizationUpdateRequest, AuthorizationView, AuthorizationsView, PermissionRequest,
    links,
};
use model::{Action, Authorization, Id, Permission, Resource, ResourceType, Status, Token};
use store::{AuthorizationFilter, Conflict, Store, StoreError};

use crate::views::Names;
use crate::{Caller, Service, ServiceError};

/// Query parameters of `GET /api/v2/authorizations`, as sent (first value of each; empty means absent).
#[derive(Debug, Clone, Default)]
pub struct AuthorizationQuery {
    pub id: Option<String>,
    pub user_id: Option<String>,
    pub user: Option<String>,
    pub org_id: Option<String>,
    pub org: Option<String>,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("authorization not found".into())
}

/// Parses an ID from a query or path, with InfluxDB's messages.
pub(crate) fn parse_id(text: &str) -> Result<Id, ServiceError> {
    text.parse()
        .map_err(|e: model::IdError| ServiceError::Invalid(e.to_string()))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The permissions a record's reader (or writer) must hold: the token itself and its owner.
fn record_checks(action: Action, auth: &Authorization) -> [Permission; 2] {
    [
        Permission::new(
            action,
            Resource::one_in_org(ResourceType::Authorizations, auth.id, auth.org_id),
        ),
        Permission::new(action, Resource::one(ResourceType::Users, auth.user_id)),
    ]
}

/// 64 bytes from the OS CSPRNG, base64url with padding: 88 characters, as InfluxDB makes them.
pub(crate) fn generate_token() -> Result<Token, ServiceError> {
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(format!("no randomness for a token: {e}")))?;
    Ok(Token::new(URL_SAFE.encode(bytes)))
}

/// Validates a request permission, with InfluxDB's messages (contract §1.2).
fn parse_permission(request: &PermissionRequest) -> Result<Permission, ServiceError> {
    let resource = request.resource.clone().unwrap_or_default();
    let kind = resource.kind.as_deref().and_then(ResourceType::parse).ok_or_else(|| {
        ServiceError::Invalid("invalid resource type for permission: unknown resource type for permission".into())
    })?;
    let action = request.action.as_deref().and_then(Action::parse).ok_or_else(|| {
        ServiceError::Invalid("invalid action type for permission: unknown action for permission".into())
    })?;
    Ok(Permission::new(
        action,
        Resource {
            kind,
            id: resource.id,
            org_id: resource.org_id,
        },
    ))
}

impl Service {
    fn shown_token(&self, auth: &Authorization) -> String {
        match (&auth.token, self.options().hashed_tokens) {
            (Some(token), false) => token.expose().to_owned(),
            _ => String::new(),
        }
    }

    /// `GET /api/v2/authorizations`: filters, then keeps each record the caller may read.
    #[tracing::instrument(skip_all)]
    pub async fn list_authorizations(
        &self,
        caller: &Caller,
        query: AuthorizationQuery,
    ) -> Result<AuthorizationsView, ServiceError> {
        let user_id = non_empty(query.user_id).map(|v| parse_id(&v)).transpose()?;
        let org_id = non_empty(query.org_id).map(|v| parse_id(&v)).transpose()?;
        let id = non_empty(query.id).map(|v| parse_id(&v)).transpose()?;
        let user_name = if user_id.is_none() { non_empty(query.user) } else { None };
        let org_name = if org_id.is_none() { non_empty(query.org) } else { None };
        let caller = caller.clone();
        let service = self.clone();
        self.blocking(move |store| {
            let candidates = if let Some(id) = id {
                vec![store.authorization(id)?.ok_or_else(not_found)?]
            } else {
                let user_id = match (user_id, user_name) {
                    (Some(id), _) => Some(id),
                    (None, Some(name)) => Some(
                        store
                            .user_by_name(&name)?
                            .ok_or_else(|| ServiceError::NotFound("user not found".into()))?
                            .id,
                    ),
                    (None, None) => None,
                };
                let org_id = match (org_id, org_name) {
                    (Some(id), _) => Some(id),
                    (None, Some(name)) => Some(
                        store
                            .org_by_name(&name)?
                            .ok_or_else(|| ServiceError::NotFound(format!("organization name \"{name}\" not found")))?
                            .id,
                    ),
                    (None, None) => None,
                };
                store.authorizations(AuthorizationFilter { user_id, org_id })?
            };
            let mut names = Names::new(store);
            let mut authorizations = Vec::new();
            for auth in candidates {
                if !record_checks(Action::Read, &auth).iter().all(|p| caller.may(p)) {
                    continue;
                }
                if let Some(view) = names.authorization(&auth, service.shown_token(&auth))? {
                    authorizations.push(view);
                }
            }
            Ok::<_, ServiceError>(AuthorizationsView {
                links: links([("self", "/api/v2/authorizations".to_owned())]),
                authorizations,
            })
        })
        .await
    }

    /// `POST /api/v2/authorizations` (contract §1.4): validate, check the caller may write and holds every
    /// permission it hands out, then store a fresh token. The only answer that carries the plaintext.
    #[tracing::instrument(skip_all)]
    pub async fn create_authorization(
        &self,
        caller: &Caller,
        request: AuthorizationPostRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        let requested = request.permissions.unwrap_or_default();
        if requested.is_empty() {
            return Err(ServiceError::Invalid("authorization must include permissions".into()));
        }
        let permissions = requested.iter().map(parse_permission).collect::<Result<Vec<_>, _>>()?;
        let org_id = request
            .org_id
            .ok_or_else(|| ServiceError::Invalid("org id required: invalid ID".into()))?;
        let status = match request.status.as_deref() {
            None | Some("") => Status::Active,
            Some(text) => Status::parse(text)
                .ok_or_else(|| ServiceError::Invalid("invalid status: must be active or inactive".into()))?,
        };
        let user_id = request.user_id.unwrap_or(caller.user.id);

        caller.check(&Permission::write(Resource::in_org(
            ResourceType::Authorizations,
            org_id,
        )))?;
        caller.check(&Permission::write(Resource::one(ResourceType::Users, user_id)))?;
        for permission in &permissions {
            if !caller.may(permission) {
                return Err(ServiceError::Forbidden(format!(
                    "permission {permission} is not allowed: {permission} is unauthorized"
                )));
            }
        }
        if permissions.iter().any(|p| p.resource.kind == ResourceType::Instance) {
            // InfluxDB answers 500 here; it is the client's mistake, so we say 400.
            return Err(ServiceError::Invalid(
                "authorizations cannot be created with the instance type, it is only used during setup".into(),
            ));
        }
        if let Some(stray) = permissions
            .iter()
            .find(|p| p.resource.org_id.is_some_and(|o| o != org_id))
        {
            return Err(ServiceError::Invalid(format!(
                "permission {stray} is not for org id {org_id}"
            )));
        }

        let token = generate_token()?;
        let now = self.now();
        let mut auth = Authorization {
            id: self.inner.ids.next(),
            token: (!self.options().hashed_tokens).then(|| token.clone()),
            hashed_token: token.hash(),
            status,
            description: request.description.unwrap_or_default(),
            org_id,
            user_id,
            permissions,
            created_at: now,
            updated_at: now,
        };
        let service = self.clone();
        self.blocking(move |store| {
            if store.user(user_id)?.is_none() || store.org(org_id)?.is_none() {
                return Err(ServiceError::Invalid("unable to create token".into()));
            }
            // A clock that stepped back could hand out a taken ID: take the next one.
            let mut attempts = 0;
            loop {
                match store.create_authorization(&auth) {
                    Err(StoreError::Conflict(Conflict::IdTaken)) if attempts < 3 => {
                        attempts += 1;
                        auth.id = service.inner.ids.next();
                    }
                    other => break other?,
                }
            }
            Names::new(store)
                .authorization(&auth, token.expose().to_owned())?
                .ok_or_else(|| ServiceError::Invalid("unable to create token".into()))
        })
        .await
    }

    /// `GET /api/v2/authorizations/{id}`.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn get_authorization(&self, caller: &Caller, id: Id) -> Result<AuthorizationView, ServiceError> {
        let caller = caller.clone();
        let service = self.clone();
        self.blocking(move |store| {
            let auth = store.authorization(id)?.ok_or_else(not_found)?;
            record_checks(Action::Read, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            service.view(store, &auth)
        })
        .await
    }

    /// `PATCH /api/v2/authorizations/{id}`: status and description only; bumps `updatedAt`.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn update_authorization(
        &self,
        caller: &Caller,
        id: Id,
        request: AuthorizationUpdateRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        let caller = caller.clone();
        let service = self.clone();
        let now = self.now();
        self.blocking(move |store| {
            let auth = store.authorization(id)?.ok_or_else(not_found)?;
            record_checks(Action::Read, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            record_checks(Action::Write, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            let status = request
                .status
                .as_deref()
                .map(|s| Status::parse(s).ok_or_else(|| ServiceError::Invalid("unknown authorization status".into())))
                .transpose()?;
            let updated = store
                .update_authorization(id, |auth| {
                    if let Some(status) = status {
                        auth.status = status;
                    }
                    if let Some(description) = request.description {
                        auth.description = description;
                    }
                    auth.updated_at = now;
                })?
                .ok_or_else(not_found)?;
            service.view(store, &updated)
        })
        .await
    }

    /// `DELETE /api/v2/authorizations/{id}`: the record and its token index go in one transaction.
    #[tracing::instrument(skip_all, fields(id = %id))]
    pub async fn delete_authorization(&self, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        let caller = caller.clone();
        self.blocking(move |store| {
            let auth = store.authorization(id)?.ok_or_else(not_found)?;
            record_checks(Action::Write, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            if store.delete_authorization(id)? {
                Ok(())
            } else {
                Err(not_found())
            }
        })
        .await
    }

    fn view(&self, store: &Store, auth: &Authorization) -> Result<AuthorizationView, ServiceError> {
        Names::new(store)
            .authorization(auth, self.shown_token(auth))?
            .ok_or_else(not_found)
    }
}
