//! v1 authorizations (contract §1.8, §4.2): InfluxDB 2.x's `/private/legacy/authorizations`, a user name and
//! password for 1.x clients, and the check of those credentials.
//!
//! A v1 authorization is an [`Authorization`] record with [`model::V1Credentials`]: it has the same org, user,
//! permissions and status rules as a v2 token, lives in the same store (so org deletion, export and migration
//! carry it), and is indexed by [`TokenHash::of_v1_username`] of its name, which keeps names unique and apart from
//! every v2 token. The list, get, update and delete flows are `authorizations`' own, for [`Kind::V1`].

use model::wire::{
    AuthorizationUpdateRequest, AuthorizationView, AuthorizationsView, PasswordRequest, V1AuthorizationPostRequest,
};
use model::{
    AuditAction, AuditTarget, Authorization, Id, Permission, Resource, ResourceType, Token, TokenHash, V1Credentials,
};
use store::TokenCheck;

use crate::authorizations::{Kind, check_grants, find, vet_request};
use crate::{AuthenticationError, AuthorizationQuery, Caller, Credential, Service, ServiceError, passwords};

/// Credentials where InfluxDB's v1 forms are taken (the check endpoint, the tower layer).
#[derive(Clone)]
pub enum Credentials {
    /// A v2 token: `Authorization: Token <t>` or `Bearer <t>`.
    Token(Token),
    /// A user name and password: `?u=&p=`, `Authorization: Token <user>:<password>` or Basic. A v1
    /// authorization's, or, when no v1 authorization has that name, any name with a v2 token as the password.
    Password { username: String, password: Token },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Token(_) => f.write_str("Credentials::Token(***)"),
            Credentials::Password { .. } => f.write_str("Credentials::Password(***)"),
        }
    }
}

/// Why v1 credentials were refused. The client only ever hears 401 `Unauthorized`; the audit trail keeps the
/// reason, and who was named when the name was a v1 authorization's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V1Refusal {
    pub reason: &'static str,
    /// The v1 authorization and its user, when the name was one.
    pub authorization: Option<(Id, Id)>,
}

impl From<Token> for Credentials {
    fn from(token: Token) -> Self {
        Credentials::Token(token)
    }
}

impl V1Refusal {
    fn of(reason: &'static str, auth: Option<&Authorization>) -> AuthenticationError {
        AuthenticationError::V1Refused(V1Refusal {
            reason,
            authorization: auth.map(|auth| (auth.id, auth.user_id)),
        })
    }
}

impl Service {
    /// `GET /private/legacy/authorizations`: the filters `id` (or `authID`), `token` (the v1 user name), `userID`
    /// or `user`, `orgID` or `org`, with v2's precedence and per-record permission filtering.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_v1_authorizations(
        &self,
        caller: &Caller,
        query: AuthorizationQuery,
    ) -> Result<AuthorizationsView, ServiceError> {
        self.list_of(Kind::V1, caller, query).await
    }

    /// `POST /private/legacy/authorizations`: validated in InfluxDB's order (permissions, `orgID`, `status`, then
    /// the user name), with v2's permission checks; a name another v1 authorization has is 422 `conflict`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_v1_authorization(
        &self,
        caller: &Caller,
        request: V1AuthorizationPostRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        let (permissions, org_id, status) = vet_request(request.permissions, request.org_id, request.status)?;
        let username = request
            .token
            .filter(|name| !name.is_empty())
            .ok_or_else(|| ServiceError::Invalid("token required for v1 user authorization type".into()))?;
        let user_id = request.user_id.unwrap_or(caller.user.id);
        check_grants(caller, org_id, user_id, &permissions)?;
        let now = self.now();
        let auth = Authorization {
            id: self.inner.ids.next(),
            token: None,
            hashed_token: TokenHash::of_v1_username(&username),
            status,
            description: request.description.unwrap_or_default(),
            org_id,
            user_id,
            permissions,
            created_at: now,
            updated_at: now,
            expires_at: None,
            last_used_at: None,
            v1: Some(Box::new(V1Credentials {
                username: username.clone(),
                password_hash: None,
            })),
        };
        self.store_new(caller, auth, username).await
    }

    /// `GET /private/legacy/authorizations/{id}`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn get_v1_authorization(&self, caller: &Caller, id: Id) -> Result<AuthorizationView, ServiceError> {
        self.get_of(Kind::V1, caller, id)
    }

    /// `PATCH /private/legacy/authorizations/{id}`: status and description.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn update_v1_authorization(
        &self,
        caller: &Caller,
        id: Id,
        request: AuthorizationUpdateRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        self.update_of(Kind::V1, caller, id, request).await
    }

    /// `DELETE /private/legacy/authorizations/{id}`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn delete_v1_authorization(&self, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        self.delete_of(Kind::V1, caller, id).await
    }

    /// `POST /private/legacy/authorizations/{id}/password`: needs `write:users/<owner>` (InfluxDB's check); the
    /// length rule is user passwords'. Only the hash is stored; the audit entry never holds the password.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn set_v1_password(&self, caller: &Caller, id: Id, request: PasswordRequest) -> Result<(), ServiceError> {
        let owner = self.blocking(move |store| find(store, Kind::V1, id)).await?;
        caller.check(&Permission::write(Resource::one(ResourceType::Users, owner.user_id)))?;
        let password = request.password.unwrap_or_default();
        passwords::validate(&password)?;
        let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
            .await
            .map_err(|e| ServiceError::Internal(format!("password task failed: {e}")))??;
        let target = AuditTarget::new(ResourceType::Authorizations, id)
            .in_org(owner.org_id)
            .of_user(owner.user_id);
        let audit = self.audit_entry(caller, AuditAction::V1AuthorizationPassword, target);
        self.blocking(move |store| {
            store.update_authorization(
                id,
                Box::new(move |auth: &mut Authorization| {
                    if let Some(v1) = &mut auth.v1 {
                        v1.password_hash = Some(hash.clone());
                    }
                }),
                Some(&audit),
            )
        })
        .await?
        .ok_or_else(crate::authorizations::not_found)?;
        Ok(())
    }

    /// Authenticates a user name and password as InfluxDB's v1 authorizer does (contract §4.2): the v1
    /// authorization with that name and its password; when no v1 authorization has the name, the password as a
    /// v2 token. An inactive or expired authorization, or an inactive or missing user, is refused like a wrong
    /// password: 401 `Unauthorized`.
    ///
    /// Both lookups and one password verification run whatever is found, so a wrong password, an unknown name and
    /// a v1 authorization without a password all take the same time. The verification is a slow hash, so this
    /// runs on the blocking pool.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate_password(
        &self,
        username: String,
        password: Token,
    ) -> Result<Caller, AuthenticationError> {
        let now = self.now();
        let (v1, v2) = self
            .blocking(move |store| {
                let v1 = store.authorization_and_user_by_token(&TokenHash::of_v1_username(&username))?;
                let v2 = store.authorization_and_user_by_token(&password.hash())?;
                let stored = v1
                    .as_ref()
                    .and_then(|found| found.authorization.v1.as_ref()?.password_hash.as_deref());
                let matches = match stored {
                    Some(stored) => passwords::verify(password.expose(), stored),
                    None => {
                        passwords::verify_dummy(password.expose());
                        false
                    }
                };
                let v1 = v1
                    .filter(|found| found.authorization.is_v1())
                    .map(|found| (found, matches));
                let v2 = v2.filter(|found| !found.authorization.is_v1());
                Ok::<_, ServiceError>((v1, v2))
            })
            .await?;
        let TokenCheck {
            authorization: auth,
            user,
        } = match (v1, v2) {
            (Some((found, false)), _) => {
                return Err(V1Refusal::of("wrong v1 password", Some(&found.authorization)));
            }
            (Some((found, true)), _) => found,
            (None, Some(found)) => found,
            (None, None) => return Err(V1Refusal::of("unknown v1 user name or token", None)),
        };
        let user = match user {
            Some(user) if user.status == model::Status::Active => user,
            _ => return Err(V1Refusal::of("user is inactive", Some(&auth))),
        };
        if !auth.is_active() {
            return Err(V1Refusal::of("authorization is inactive", Some(&auth)));
        }
        if auth.is_expired(now) {
            return Err(V1Refusal::of("token has expired", Some(&auth)));
        }
        self.note_use(auth.id, now);
        Ok(Caller {
            user,
            credential: Credential::Token(auth),
            remote: None,
        })
    }

    /// Authenticates `credentials` in either form: a v2 token as every API request is, a user name and password
    /// as [`authenticate_password`](Self::authenticate_password) does.
    pub async fn authenticate_credentials(&self, credentials: Credentials) -> Result<Caller, AuthenticationError> {
        match credentials {
            Credentials::Token(token) => self.authenticate(&token).await,
            Credentials::Password { username, password } => self.authenticate_password(username, password).await,
        }
    }
}
