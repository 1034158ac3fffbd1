//! The access decision for other services: may this token do all of these things? Used by the check endpoint
//! for reverse proxies (`/api/v2/authz/check`) and by the tower layer (`authz-layer`), so both decide the same way.

use model::{Id, Permission};

use crate::{AuthenticationError, Caller, Credential, Credentials, Service, ServiceError};

impl Service {
    /// Authenticates `credentials`: a v2 token exactly as every API request is (unknown, deleted or expired: 401;
    /// user inactive: 403), a user name and password as InfluxDB's v1 authorizer does (any refusal: 401
    /// `Unauthorized`); then requires an active token (else 401 `token is inactive`) that holds every permission in
    /// `required` (else 403 `forbidden`, `<permission> is unauthorized`, for the first one missing). An empty
    /// `required` only authenticates.
    #[tracing::instrument(level = "debug", skip_all, fields(required = required.len()))]
    pub async fn check_access(
        &self,
        credentials: impl Into<Credentials>,
        required: &[Permission],
    ) -> Result<Caller, AuthenticationError> {
        let caller = self.authenticate_credentials(credentials.into()).await?;
        if !token_is_active(&caller) {
            // As InfluxDB's direct check (`Caller::check`) answers it, before looking at any permission.
            return Err(ServiceError::Unauthorized("token is inactive".into()).into());
        }
        match required.iter().find(|permission| !caller.may(permission)) {
            Some(missing) => Err(ServiceError::Forbidden(format!("{missing} is unauthorized")).into()),
            None => Ok(caller),
        }
    }

    /// The name of an org, if it still exists: for the headers of an allowed check.
    pub async fn org_name(&self, id: Id) -> Result<Option<String>, ServiceError> {
        self.read_inline(move |store| store.org(id))
            .map(|org| org.map(|org| org.name))
    }
}

fn token_is_active(caller: &Caller) -> bool {
    match &caller.credential {
        Credential::Token(authorization) => authorization.is_active(),
        Credential::Session { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use model::wire::SetupRequest;
    use model::{Resource, ResourceType, Token};

    use super::*;
    use crate::{Options, SystemClock};

    async fn set_up() -> (Service, Id) {
        let store = store_redb::RedbStore::in_memory().unwrap();
        let service = Service::new(Arc::new(store), Arc::new(SystemClock), Options::default()).unwrap();
        let done = service
            .setup(SetupRequest {
                username: Some("admin".into()),
                password: Some("password123".into()),
                org: Some("my-org".into()),
                bucket: Some("my-bucket".into()),
                retention_period_seconds: None,
                retention_period_hrs: None,
                token: Some("operator-token".into()),
            })
            .await
            .unwrap();
        (service, done.org.id)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn operator_holds_org_permissions_but_not_the_instance() {
        let (service, org) = set_up().await;
        let buckets = Permission::write(Resource::in_org(ResourceType::Buckets, org));
        let caller = service
            .check_access(Token::new("operator-token"), &[buckets])
            .await
            .unwrap();
        assert_eq!(caller.user.name, "admin");
        let instance = Permission::read(Resource::global(ResourceType::Instance));
        let denied = service
            .check_access(Token::new("operator-token"), &[buckets, instance])
            .await
            .unwrap_err();
        assert!(matches!(
            denied,
            AuthenticationError::Service(ServiceError::Forbidden(ref message)) if message == "read:instance is unauthorized"
        ));
        let unknown = service.check_access(Token::new("nope"), &[buckets]).await.unwrap_err();
        assert!(matches!(unknown, AuthenticationError::UnknownToken));
    }
}
