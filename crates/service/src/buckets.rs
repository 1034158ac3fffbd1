//! Buckets: list (with InfluxDB's paging), find, create; the system buckets every org gets.

use model::wire::{BucketPostRequest, BucketView, BucketsView};
use model::{AuditAction, AuditTarget, Bucket, BucketKind, Id, Permission, Resource, ResourceType};
use store::{Conflict, StoreError};

use crate::authorizations::parse_id;
use crate::query::{non_empty, org_name_not_found, paging};
use crate::views::{bucket_view, shard_group_seconds};
use crate::{Caller, Service, ServiceError};

#[derive(Debug, Clone, Default)]
pub struct BucketQuery {
    pub org: Option<String>,
    pub org_id: Option<String>,
    pub name: Option<String>,
    pub id: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// Seek: only buckets whose ID sorts after this one.
    pub after: Option<String>,
}

fn new_bucket(service: &Service, org_id: Id, name: &str, kind: BucketKind, retention_seconds: i64) -> Bucket {
    let now = service.now();
    Bucket {
        id: service.inner.ids.next(),
        org_id,
        kind,
        name: name.to_owned(),
        description: String::new(),
        retention_seconds,
        shard_group_seconds: shard_group_seconds(retention_seconds),
        created_at: now,
        updated_at: now,
    }
}

/// The two system buckets InfluxDB gives every org.
pub(crate) fn system_buckets(service: &Service, org_id: Id) -> [Bucket; 2] {
    [
        new_bucket(service, org_id, "_tasks", BucketKind::System, 3 * 24 * 3600),
        new_bucket(service, org_id, "_monitoring", BucketKind::System, 7 * 24 * 3600),
    ]
}

pub(crate) fn user_bucket(service: &Service, org_id: Id, name: &str, retention_seconds: i64) -> Bucket {
    new_bucket(service, org_id, name, BucketKind::User, retention_seconds)
}

impl Service {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_buckets(&self, caller: &Caller, query: BucketQuery) -> Result<BucketsView, ServiceError> {
        let (limit, offset) = paging(query.limit, query.offset)?;
        let org_id = non_empty(query.org_id.clone()).map(|v| parse_id(&v)).transpose()?;
        let id = non_empty(query.id).map(|v| parse_id(&v)).transpose()?;
        let org_name = if org_id.is_none() {
            non_empty(query.org.clone())
        } else {
            None
        };
        let name = non_empty(query.name);
        let after = non_empty(query.after).map(|v| parse_id(&v)).transpose()?;
        let caller = caller.clone();
        let mut filters = String::new();
        if let Some(org) = non_empty(query.org) {
            filters.push_str(&format!("&org={org}"));
        }
        if let Some(org_id) = org_id {
            filters.push_str(&format!("&orgID={org_id}"));
        }
        self.blocking(move |store| {
            let org_id = match (org_id, org_name) {
                (Some(id), _) => Some(id),
                (None, Some(name)) => Some(store.org_by_name(&name)?.ok_or_else(|| org_name_not_found(&name))?.id),
                (None, None) => None,
            };
            let buckets = match id {
                Some(id) => store
                    .bucket(id)?
                    .into_iter()
                    .filter(|b| org_id.is_none_or(|o| o == b.org_id))
                    .collect(),
                None => store.buckets(org_id)?,
            };
            let page: Vec<&Bucket> = buckets
                .iter()
                .filter(|b| after.is_none_or(|a| b.id > a))
                .filter(|b| name.as_deref().is_none_or(|n| n == b.name))
                .filter(|b| {
                    caller.may(&Permission::read(Resource::one_in_org(
                        ResourceType::Buckets,
                        b.id,
                        b.org_id,
                    )))
                })
                .skip(offset)
                .take(limit)
                .collect();
            let base = format!("/api/v2/buckets?descending=false&limit={limit}");
            let mut page_links = vec![(
                "self",
                match after {
                    Some(after) => format!("{base}&after={after}{filters}"),
                    None => format!("{base}&offset={offset}{filters}"),
                },
            )];
            // A full page may have a successor: say where it starts, as InfluxDB's paging links do.
            if page.len() == limit
                && let Some(last) = page.last()
            {
                let next = match after {
                    Some(_) => format!("{base}&after={}{filters}", last.id),
                    None => format!("{base}&offset={}{filters}", offset.saturating_add(limit)),
                };
                page_links.push(("next", next));
            }
            let buckets: Vec<BucketView> = page.into_iter().map(bucket_view).collect();
            Ok::<_, ServiceError>(BucketsView {
                links: page_links.into_iter().map(|(k, v)| (k.into(), v)).collect(),
                buckets,
            })
        })
        .await
    }

    /// `GET /api/v2/buckets/{id}`: needs `read:orgs/<org>/buckets/<id>`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn get_bucket(&self, caller: &Caller, id: Id) -> Result<BucketView, ServiceError> {
        let bucket = self
            .blocking(move |store| store.bucket(id))
            .await?
            .ok_or_else(|| ServiceError::NotFound("bucket not found".into()))?;
        caller.check(&Permission::read(Resource::one_in_org(
            ResourceType::Buckets,
            id,
            bucket.org_id,
        )))?;
        Ok(bucket_view(&bucket))
    }

    /// `POST /api/v2/buckets`: needs `write:orgs/<org>/buckets`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_bucket(&self, caller: &Caller, request: BucketPostRequest) -> Result<BucketView, ServiceError> {
        let org_id = request
            .org_id
            .ok_or_else(|| ServiceError::Invalid("organization id must be provided".into()))?;
        let name = request.name.unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ServiceError::Invalid("bucket name is required".into()));
        }
        if name.starts_with('_') {
            return Err(ServiceError::Invalid(format!(
                "bucket name {name} is invalid. Buckets may not start with underscore"
            )));
        }
        let retention_seconds = request
            .retention_rules
            .unwrap_or_default()
            .first()
            .map_or(0, |r| r.every_seconds);
        if retention_seconds < 0 {
            return Err(ServiceError::Invalid("expiration seconds cannot be negative".into()));
        }
        caller.check(&Permission::write(Resource::in_org(ResourceType::Buckets, org_id)))?;
        let mut bucket = user_bucket(self, org_id, &name, retention_seconds);
        bucket.description = request.description.unwrap_or_default();
        let stored = bucket.clone();
        let target = AuditTarget::new(ResourceType::Buckets, bucket.id)
            .in_org(org_id)
            .named(name.clone());
        let audit = self.audit_entry(caller, AuditAction::BucketCreate, target);
        self.blocking(move |store| store.create_bucket(&stored, Some(&audit)))
            .await
            .map_err(|e| match e {
                ServiceError::Store(StoreError::Conflict(Conflict::BucketName)) => {
                    ServiceError::Conflict(format!("bucket with name {name} already exists"))
                }
                other => other,
            })?;
        Ok(bucket_view(&bucket))
    }
}
