//! Authentication (token → caller) and the permission check a caller runs against a record.

use model::permission::any_allows;
use model::{Authorization, Permission, Token, User};
use thiserror::Error;

use crate::{Service, ServiceError};

/// Who is making a request: the token's record and its (active) user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub authorization: Authorization,
    pub user: User,
}

impl Caller {
    /// Whether the caller holds a permission that allows `required`. An inactive token holds none.
    pub fn may(&self, required: &Permission) -> bool {
        self.authorization.is_active() && any_allows(&self.authorization.permissions, required)
    }

    /// InfluxDB's direct check: 401 `token is inactive`, or 401 `<permission> is unauthorized`.
    pub fn check(&self, required: &Permission) -> Result<(), ServiceError> {
        if !self.authorization.is_active() {
            return Err(ServiceError::Unauthorized("token is inactive".into()));
        }
        if any_allows(&self.authorization.permissions, required) {
            Ok(())
        } else {
            Err(ServiceError::Unauthorized(format!(
                "{required} is unauthorized"
            )))
        }
    }
}

/// Why a request could not be authenticated.
#[derive(Debug, Error)]
pub enum AuthenticationError {
    /// No such token (never existed, or deleted): 401 `unauthorized access`.
    #[error("unauthorized access")]
    UnknownToken,
    /// The token's user is inactive or gone: 403 `User is inactive`.
    #[error("User is inactive")]
    InactiveUser,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl Service {
    /// Looks the token up by its hash, in the store, on every call: there is no cache that could outlive a
    /// delete. An inactive token still authenticates (InfluxDB fails it later, at each permission check).
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, token: Token) -> Result<Caller, AuthenticationError> {
        let hash = token.hash();
        let found = self
            .blocking(move |store| -> Result<_, store::StoreError> {
                let Some(authorization) = store.authorization_by_token(&hash)? else {
                    return Ok(None);
                };
                let user = store.user(authorization.user_id)?;
                Ok(Some((authorization, user)))
            })
            .await?;
        match found {
            None => Err(AuthenticationError::UnknownToken),
            Some((authorization, Some(user))) if user.status == model::Status::Active => {
                Ok(Caller {
                    authorization,
                    user,
                })
            }
            Some(_) => Err(AuthenticationError::InactiveUser),
        }
    }
}
