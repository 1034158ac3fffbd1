//! Records → wire views. Names (org, user, bucket) are looked up once per call and reused.

use std::collections::HashMap;

use model::wire::{
    AuthorizationLinks, AuthorizationView, BucketView, Name, OrgView, PermissionView, ResourceView, RetentionRule,
    UserView, links,
};
use model::{Authorization, Bucket, BucketKind, Id, Org, Permission, ResourceType, User};
use store::{Snapshot, Store, StoreError};

/// Memoized name lookups for one response, all read from one snapshot of the store.
pub(crate) struct Names {
    snapshot: Box<dyn Snapshot>,
    orgs: Memo,
    users: Memo,
    buckets: Memo,
}

/// The names of one kind of record, by ID (`None`: no such record), the last one asked for kept in front of the
/// map: a list's records mostly share their org and user, and this spares them hashing the ID each time. (The map
/// keeps SipHash: a permission may name any ID a client chose.)
#[derive(Default)]
struct Memo {
    last: Option<(Id, Option<Name>)>,
    map: HashMap<Id, Option<Name>>,
}

impl Memo {
    fn get(
        &mut self,
        id: Id,
        read: impl FnOnce(Id) -> Result<Option<String>, StoreError>,
    ) -> Result<Option<Name>, StoreError> {
        if let Some((last, name)) = &self.last
            && *last == id
        {
            return Ok(name.clone());
        }
        let name = match self.map.get(&id) {
            Some(name) => name.clone(),
            None => {
                let name: Option<Name> = read(id)?.map(Name::from);
                self.map.insert(id, name.clone());
                name
            }
        };
        self.last = Some((id, name.clone()));
        Ok(name)
    }
}

impl Names {
    pub(crate) fn new(store: &dyn Store) -> Result<Self, StoreError> {
        Ok(Self::of(store.snapshot()?))
    }

    /// Names read from `snapshot`.
    pub(crate) fn of(snapshot: Box<dyn Snapshot>) -> Self {
        Self {
            snapshot,
            orgs: Memo::default(),
            users: Memo::default(),
            buckets: Memo::default(),
        }
    }

    /// The snapshot the names come from, for reading the records they name in the same transaction.
    pub(crate) fn snapshot(&self) -> &dyn Snapshot {
        &*self.snapshot
    }

    pub(crate) fn org(&mut self, id: Id) -> Result<Option<Name>, StoreError> {
        let snapshot = &self.snapshot;
        self.orgs.get(id, |id| Ok(snapshot.org(id)?.map(|o| o.name)))
    }

    pub(crate) fn user(&mut self, id: Id) -> Result<Option<Name>, StoreError> {
        let snapshot = &self.snapshot;
        self.users.get(id, |id| Ok(snapshot.user(id)?.map(|u| u.name)))
    }

    fn bucket(&mut self, id: Id) -> Result<Option<Name>, StoreError> {
        let snapshot = &self.snapshot;
        self.buckets.get(id, |id| Ok(snapshot.bucket(id)?.map(|b| b.name)))
    }

    /// A permission with the names InfluxDB adds: `name` for an `id` of a bucket, org or user, `org` for an
    /// `orgID`. When the named resource is gone, both are left out.
    pub(crate) fn permission(&mut self, permission: &Permission) -> Result<PermissionView, StoreError> {
        let resource = &permission.resource;
        let mut view = ResourceView {
            kind: resource.kind,
            id: resource.id,
            org_id: resource.org_id,
            name: None,
            org: None,
        };
        let name = match (resource.id, resource.kind) {
            (Some(id), ResourceType::Buckets) => Some(self.bucket(id)?),
            (Some(id), ResourceType::Orgs) => Some(self.org(id)?),
            (Some(id), ResourceType::Users) => Some(self.user(id)?),
            _ => None,
        };
        match name {
            Some(None) => {}
            Some(Some(name)) => {
                view.name = Some(name);
                view.org = resource.org_id.map(|org| self.org(org)).transpose()?.flatten();
            }
            None => view.org = resource.org_id.map(|org| self.org(org)).transpose()?.flatten(),
        }
        Ok(PermissionView {
            action: permission.action,
            resource: view,
        })
    }

    pub(crate) fn permissions(&mut self, permissions: &[Permission]) -> Result<Vec<PermissionView>, StoreError> {
        permissions.iter().map(|p| self.permission(p)).collect()
    }

    /// The full view, or `None` when the authorization's org or user no longer exists (InfluxDB skips such
    /// records in lists).
    pub(crate) fn authorization(
        &mut self,
        auth: &Authorization,
        token: String,
    ) -> Result<Option<AuthorizationView>, StoreError> {
        let (Some(org), Some(user)) = (self.org(auth.org_id)?, self.user(auth.user_id)?) else {
            return Ok(None);
        };
        Ok(Some(AuthorizationView {
            id: auth.id,
            token,
            status: auth.status.as_str().into(),
            description: auth.description.clone(),
            org_id: auth.org_id,
            org,
            user_id: auth.user_id,
            user,
            permissions: self.permissions(&auth.permissions)?,
            links: authorization_links(auth),
            created_at: auth.created_at,
            updated_at: auth.updated_at,
            expires_at: auth.expires_at,
            last_used_at: auth.last_used_at,
        }))
    }
}

pub(crate) fn authorization_links(auth: &Authorization) -> AuthorizationLinks {
    let base = if auth.is_v1() {
        crate::authorizations::V1_PATH
    } else {
        crate::authorizations::V2_PATH
    };
    // Every record of a list has these two: concatenated, not through `format!` (a third of a view's cost).
    AuthorizationLinks {
        this: path(base, auth.id),
        user: path("/api/v2/users", auth.user_id),
    }
}

/// `<base>/<id>`.
fn path(base: &str, id: Id) -> String {
    let mut out = String::with_capacity(base.len() + 17);
    out.push_str(base);
    out.push('/');
    out.push_str(std::str::from_utf8(&id.hex()).unwrap_or_default());
    out
}

pub(crate) fn user_view(user: &User) -> UserView {
    UserView {
        links: links([("self", format!("/api/v2/users/{}", user.id))]),
        id: user.id,
        name: user.name.clone(),
        status: user.status.as_str().to_owned(),
    }
}

pub(crate) fn org_view(org: &Org) -> OrgView {
    let base = format!("/api/v2/orgs/{}", org.id);
    OrgView {
        links: links([
            ("buckets", format!("/api/v2/buckets?org={}", org.name)),
            ("dashboards", format!("/api/v2/dashboards?org={}", org.name)),
            ("labels", format!("{base}/labels")),
            ("logs", format!("{base}/logs")),
            ("members", format!("{base}/members")),
            ("owners", format!("{base}/owners")),
            ("secrets", format!("{base}/secrets")),
            ("self", base.clone()),
            ("tasks", format!("/api/v2/tasks?org={}", org.name)),
        ]),
        id: org.id,
        name: org.name.clone(),
        description: org.description.clone(),
        created_at: org.created_at,
        updated_at: org.updated_at,
    }
}

pub(crate) fn bucket_view(bucket: &Bucket) -> BucketView {
    let base = format!("/api/v2/buckets/{}", bucket.id);
    BucketView {
        id: bucket.id,
        org_id: bucket.org_id,
        kind: match bucket.kind {
            BucketKind::User => "user",
            BucketKind::System => "system",
        }
        .to_owned(),
        description: bucket.description.clone(),
        name: bucket.name.clone(),
        retention_rules: vec![RetentionRule {
            kind: "expire".to_owned(),
            every_seconds: bucket.retention_seconds,
            shard_group_duration_seconds: Some(bucket.shard_group_seconds),
        }],
        created_at: bucket.created_at,
        updated_at: bucket.updated_at,
        links: links([
            ("labels", format!("{base}/labels")),
            ("members", format!("{base}/members")),
            ("org", format!("/api/v2/orgs/{}", bucket.org_id)),
            ("owners", format!("{base}/owners")),
            ("self", base.clone()),
            (
                "write",
                format!("/api/v2/write?org={}&bucket={}", bucket.org_id, bucket.id),
            ),
        ]),
        labels: Vec::new(),
    }
}

/// InfluxDB's default shard group duration for a retention period (seconds).
pub(crate) fn shard_group_seconds(retention_seconds: i64) -> i64 {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    match retention_seconds {
        0 => 7 * DAY,
        r if r < 2 * DAY => HOUR,
        r if r < 180 * DAY => DAY,
        _ => 7 * DAY,
    }
}
