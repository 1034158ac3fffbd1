//! Onboarding (`GET|POST /api/v2/setup`, and `DOCKER_INFLUXDB_INIT_MODE=setup` at boot): the first user, org,
//! bucket and operator token, written together.

use std::net::IpAddr;

use model::wire::{SetupAuthView, SetupRequest, SetupResponse};
use model::{
    AuditAction, AuditActor, AuditEntry, AuditTarget, Authorization, CredentialKind, Org, Permission, ResourceType,
    Status, Token, User,
};
use store::SetupRecords;

use crate::authorizations::generate_token;
use crate::buckets::{system_buckets, user_bucket};
use crate::views::{Names, authorization_links, bucket_view, org_view, user_view};
use crate::{Service, ServiceError, passwords};

impl Service {
    /// Whether setup may run: no users and no orgs yet.
    pub async fn setup_allowed(&self) -> Result<bool, ServiceError> {
        self.blocking(|store| store.setup_allowed()).await
    }

    /// Creates the user (with its password, if given), the org with its system buckets, the bucket and the
    /// operator token (`token` if given, else a fresh one). 422 `conflict` once setup has run. This is the
    /// server's own setup at start (`DOCKER_INFLUXDB_INIT_*`); see [`Service::setup_from`] for a client's.
    pub async fn setup(&self, request: SetupRequest) -> Result<SetupResponse, ServiceError> {
        self.setup_as(request, CredentialKind::Server, None).await
    }

    /// [`Service::setup`] asked for by a client (`POST /api/v2/setup`, which needs no credential), from `remote`.
    pub async fn setup_from(
        &self,
        request: SetupRequest,
        remote: Option<IpAddr>,
    ) -> Result<SetupResponse, ServiceError> {
        self.setup_as(request, CredentialKind::None, remote).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn setup_as(
        &self,
        request: SetupRequest,
        credential: CredentialKind,
        remote: Option<IpAddr>,
    ) -> Result<SetupResponse, ServiceError> {
        if !self.setup_allowed().await? {
            return Err(ServiceError::Conflict("onboarding has already been completed".into()));
        }
        let username = request.username.unwrap_or_default();
        let org_name = request.org.unwrap_or_default();
        let bucket_name = request.bucket.unwrap_or_default();
        let missing: Vec<&str> = [("username", &username), ("org", &org_name), ("bucket", &bucket_name)]
            .into_iter()
            .filter(|(_, value)| value.is_empty())
            .map(|(field, _)| field)
            .collect();
        if !missing.is_empty() {
            return Err(ServiceError::Unprocessable(format!(
                "onboarding failed: missing required fields [{}]",
                missing.join(",")
            )));
        }
        let password_hash = match request.password.as_deref() {
            None | Some("") => None,
            Some(password) => {
                passwords::validate(password)?;
                let password = password.to_owned();
                Some(
                    tokio::task::spawn_blocking(move || passwords::hash(&password))
                        .await
                        .map_err(|e| ServiceError::Internal(format!("password task failed: {e}")))??,
                )
            }
        };
        // `retentionPeriodSeconds` wins; the deprecated `retentionPeriodHrs` is, as in InfluxDB, nanoseconds.
        let retention_seconds = match (request.retention_period_seconds, request.retention_period_hrs) {
            (Some(seconds), _) if seconds > 0 => seconds,
            (_, Some(nanos)) if nanos > 0 => nanos / 1_000_000_000,
            _ => 0,
        };
        if retention_seconds < 0 {
            return Err(ServiceError::Invalid("expiration seconds cannot be negative".into()));
        }
        let token = match request.token {
            Some(token) if !token.is_empty() => Token::new(token),
            _ => generate_token()?,
        };

        let now = self.now();
        let user = User {
            id: self.inner.ids.next(),
            name: username.clone(),
            status: Status::Active,
            password_hash,
            instance_owner: true,
        };
        let org = Org {
            id: self.inner.ids.next(),
            name: org_name,
            description: String::new(),
            created_at: now,
            updated_at: now,
        };
        let bucket = user_bucket(self, org.id, &bucket_name, retention_seconds);
        let mut buckets = vec![bucket.clone()];
        buckets.extend(system_buckets(self, org.id));
        let authorization = Authorization {
            id: self.inner.ids.next(),
            token: (!self.options().hashed_tokens).then(|| token.clone()),
            hashed_token: token.hash(),
            status: Status::Active,
            description: format!("{username}'s Token"),
            org_id: org.id,
            user_id: user.id,
            permissions: Permission::operator(),
            created_at: now,
            updated_at: now,
            expires_at: None,
            last_used_at: None,
            v1: None,
        };
        let records = SetupRecords {
            user,
            org,
            buckets,
            authorization,
        };
        let hashed = self.options().hashed_tokens;
        let target = AuditTarget::new(ResourceType::Orgs, records.org.id)
            .named(records.org.name.clone())
            .of_user(records.user.id);
        let audit = AuditEntry::success(
            now,
            AuditAction::Setup,
            AuditActor::anonymous(credential),
            Some(target),
            remote,
        );
        self.blocking(move |store| {
            store.setup(&records, Some(&audit))?;
            let auth = &records.authorization;
            let permissions = Names::new(store)?.permissions(&auth.permissions)?;
            Ok::<_, ServiceError>(SetupResponse {
                user: user_view(&records.user),
                bucket: bucket_view(&bucket),
                org: org_view(&records.org),
                auth: SetupAuthView {
                    id: auth.id,
                    token: token.expose().to_owned(),
                    status: auth.status.as_str().to_owned(),
                    description: auth.description.clone(),
                    org_id: auth.org_id,
                    user_id: auth.user_id,
                    permissions,
                    created_at: auth.created_at,
                    updated_at: auth.updated_at,
                    links: authorization_links(auth),
                    hashed_token: hashed.then(|| auth.hashed_token.to_phc()),
                },
            })
        })
        .await
    }
}
