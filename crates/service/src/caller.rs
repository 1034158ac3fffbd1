//! Authentication (a token or a session → a caller) and the permission check a caller runs against a record.

use std::sync::Arc;

use model::permission::any_allows;
use model::{Authorization, Permission, Resource, ResourceType, Token, User};
use store::{Role, TokenCheck};
use thiserror::Error;

use crate::{Service, ServiceError};

/// How a caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An API token: its record, permissions and status (as the token check found it, shared with it).
    Token(Arc<Authorization>),
    /// A sign-in session: the user's permissions, computed for this request.
    Session { permissions: Vec<Permission> },
}

/// Who is making a request, and with what.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Shared with the token check that found it.
    pub user: Arc<User>,
    pub credential: Credential,
    /// The client's IP address (set by the HTTP layer), for the audit trail.
    pub remote: Option<std::net::IpAddr>,
}

impl Caller {
    fn is_active(&self) -> bool {
        match &self.credential {
            Credential::Token(auth) => auth.is_active(),
            Credential::Session { .. } => true,
        }
    }

    pub fn permissions(&self) -> &[Permission] {
        match &self.credential {
            Credential::Token(auth) => &auth.permissions,
            Credential::Session { permissions } => permissions,
        }
    }

    /// Whether the caller holds a permission that allows `required`. An inactive token holds none.
    pub fn may(&self, required: &Permission) -> bool {
        self.is_active() && any_allows(self.permissions(), required)
    }

    /// InfluxDB's direct check: 401 `token is inactive`, or 401 `<permission> is unauthorized`.
    pub fn check(&self, required: &Permission) -> Result<(), ServiceError> {
        if !self.is_active() {
            return Err(ServiceError::Unauthorized("token is inactive".into()));
        }
        if any_allows(self.permissions(), required) {
            Ok(())
        } else {
            Err(ServiceError::Unauthorized(format!("{required} is unauthorized")))
        }
    }
}

/// Why a request could not be authenticated.
#[derive(Debug, Error)]
pub enum AuthenticationError {
    /// No such token or session (never existed, deleted, expired), or a wrong password: 401
    /// `unauthorized access`.
    #[error("unauthorized access")]
    UnknownToken,
    /// The token's `expiresAt` has passed (an extension): 401 `token has expired`.
    #[error("token has expired")]
    Expired,
    /// The token's user is inactive or gone: 403 `User is inactive`.
    #[error("User is inactive")]
    InactiveUser,
    /// A v1 user name and password (or a v2 token given as the password) refused, for whatever reason: 401
    /// `Unauthorized`, as InfluxDB's v1 authorizer answers.
    #[error("Unauthorized")]
    V1Refused(crate::V1Refusal),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// What a session of `user` may do (contract §2.3): the instance for the setup user; per org, the owner's or
/// member's permissions; the union of the user's active tokens; and the user itself.
pub(crate) fn session_permissions(
    user: &User,
    orgs: &[(model::Id, Role)],
    tokens: &[Authorization],
    now: time::OffsetDateTime,
) -> Vec<Permission> {
    let mut permissions = Vec::new();
    if user.instance_owner {
        permissions.push(Permission::read(Resource::global(ResourceType::Instance)));
        permissions.push(Permission::write(Resource::global(ResourceType::Instance)));
    }
    for (org, role) in orgs {
        permissions.push(Permission::read(Resource::one(ResourceType::Orgs, *org)));
        if *role == Role::Owner {
            permissions.push(Permission::write(Resource::one(ResourceType::Orgs, *org)));
        }
        for kind in ResourceType::ALL.iter().filter(|k| **k != ResourceType::Instance) {
            permissions.push(Permission::read(Resource::in_org(*kind, *org)));
            if *role == Role::Owner {
                permissions.push(Permission::write(Resource::in_org(*kind, *org)));
            }
        }
    }
    // InfluxDB's sessions take the union of the user's v2 tokens only.
    for token in tokens
        .iter()
        .filter(|t| !t.is_v1() && t.is_active() && !t.is_expired(now))
    {
        permissions.extend(token.permissions.iter().copied());
    }
    permissions.push(Permission::read(Resource::one(ResourceType::Users, user.id)));
    permissions.push(Permission::write(Resource::one(ResourceType::Users, user.id)));
    permissions
}

impl Service {
    /// Looks the token up by its hash, in the store, on every call: there is no cache that could outlive a
    /// delete. An inactive token still authenticates (InfluxDB fails it later, at each permission check).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(&self, token: &Token) -> Result<Caller, AuthenticationError> {
        let hash = token.hash();
        let found = self.read_inline(move |store| store.authorization_and_user_by_token(&hash))?;
        let now = self.now();
        match found {
            None => Err(AuthenticationError::UnknownToken),
            Some(found) if found.authorization.is_expired(now) => Err(AuthenticationError::Expired),
            Some(TokenCheck {
                authorization,
                user: Some(user),
            }) if user.status == model::Status::Active => {
                self.note_use(authorization.id, now);
                Ok(Caller {
                    user,
                    credential: Credential::Token(authorization),
                    remote: None,
                })
            }
            Some(_) => Err(AuthenticationError::InactiveUser),
        }
    }
}
