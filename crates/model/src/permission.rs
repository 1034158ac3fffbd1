//! Permissions: an action on a resource, and the rule by which a held permission allows a required one
//! (InfluxDB's `Permission.matchesV1`, contract §2.2). A permission prints as InfluxDB's server prints it
//! (`write:orgs/<orgID>/buckets/<bucketID>`) and parses back from that form ([`Permission::from_str`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Action::Read),
            "write" => Some(Action::Write),
            _ => None,
        }
    }
}

macro_rules! resource_types {
    ($($variant:ident => $name:literal,)*) => {
        /// The 23 resource types of InfluxDB OSS 2.7, in `AllResourceTypes` order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ResourceType {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl ResourceType {
            /// Every type, in the order `GET /api/v2/resources` lists them.
            pub const ALL: &'static [ResourceType] = &[$(ResourceType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ResourceType::$variant => $name,)* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($name => Some(ResourceType::$variant),)* _ => None }
            }
        }
    };
}

resource_types! {
    Authorizations => "authorizations",
    Buckets => "buckets",
    Dashboards => "dashboards",
    Orgs => "orgs",
    Sources => "sources",
    Tasks => "tasks",
    Telegrafs => "telegrafs",
    Users => "users",
    Variables => "variables",
    Scrapers => "scrapers",
    Secrets => "secrets",
    Labels => "labels",
    Views => "views",
    Documents => "documents",
    NotificationRules => "notificationRules",
    NotificationEndpoints => "notificationEndpoints",
    Checks => "checks",
    Dbrp => "dbrp",
    Notebooks => "notebooks",
    Annotations => "annotations",
    Remotes => "remotes",
    Replications => "replications",
    Instance => "instance",
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a permission is about: every resource of a type (global), those of one org, or one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Id>,
}

impl Resource {
    pub fn global(kind: ResourceType) -> Self {
        Self {
            kind,
            id: None,
            org_id: None,
        }
    }

    pub fn in_org(kind: ResourceType, org_id: Id) -> Self {
        Self {
            kind,
            id: None,
            org_id: Some(org_id),
        }
    }

    pub fn one(kind: ResourceType, id: Id) -> Self {
        Self {
            kind,
            id: Some(id),
            org_id: None,
        }
    }

    pub fn one_in_org(kind: ResourceType, id: Id, org_id: Id) -> Self {
        Self {
            kind,
            id: Some(id),
            org_id: Some(org_id),
        }
    }
}

impl fmt::Display for Resource {
    /// InfluxDB's server form: `orgs/<org>/<type>/<id>`, `orgs/<org>/<type>`, `<type>/<id>` or `<type>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(org) = self.org_id {
            write!(f, "orgs/{org}/")?;
        }
        f.write_str(self.kind.as_str())?;
        if let Some(id) = self.id {
            write!(f, "/{id}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Permission {
    pub action: Action,
    pub resource: Resource,
}

impl Permission {
    pub fn new(action: Action, resource: Resource) -> Self {
        Self { action, resource }
    }

    pub fn read(resource: Resource) -> Self {
        Self::new(Action::Read, resource)
    }

    pub fn write(resource: Resource) -> Self {
        Self::new(Action::Write, resource)
    }

    /// Whether holding `self` allows `required` (contract §2.2). `write` does not imply `read`.
    pub fn allows(&self, required: &Permission) -> bool {
        if self.action != required.action {
            return false;
        }
        let held = &self.resource;
        let want = &required.resource;
        if held.kind == ResourceType::Instance {
            return true;
        }
        if held.kind != want.kind {
            return false;
        }
        match (held.id, held.org_id) {
            (None, None) => true,
            (None, Some(org)) => want.org_id == Some(org),
            (Some(id), _) => want.id == Some(id),
        }
    }

    /// Read and write on every resource type but `instance`: what setup gives the operator.
    pub fn operator() -> Vec<Permission> {
        ResourceType::ALL
            .iter()
            .filter(|kind| **kind != ResourceType::Instance)
            .flat_map(|kind| {
                [
                    Permission::read(Resource::global(*kind)),
                    Permission::write(Resource::global(*kind)),
                ]
            })
            .collect()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.action.as_str(), self.resource)
    }
}

/// Why a string is not a permission in InfluxDB's printed form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionParseError {
    #[error("expected <action>:<resource>, e.g. write:orgs/<orgID>/buckets/<bucketID>")]
    NoAction,
    #[error("unknown action {0:?} (expected read or write)")]
    Action(String),
    #[error("unknown resource type {0:?}")]
    ResourceType(String),
    #[error("invalid {what} {text:?}: {error}")]
    Id {
        what: &'static str,
        text: String,
        error: crate::IdError,
    },
    #[error("expected <type>, <type>/<id>, orgs/<orgID>/<type> or orgs/<orgID>/<type>/<id> after the action")]
    Shape,
}

impl FromStr for Resource {
    type Err = PermissionParseError;

    /// The inverse of [`Resource`]'s `Display`: `<type>`, `<type>/<id>`, `orgs/<orgID>/<type>` or
    /// `orgs/<orgID>/<type>/<id>`. The number of segments tells the forms apart (`orgs/<id>` is the org itself).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let kind =
            |name: &str| ResourceType::parse(name).ok_or_else(|| PermissionParseError::ResourceType(name.into()));
        let id = |what: &'static str, text: &str| {
            text.parse::<Id>().map_err(|error| PermissionParseError::Id {
                what,
                text: text.into(),
                error,
            })
        };
        let segments: Vec<&str> = text.split('/').collect();
        match segments.as_slice() {
            [name] => Ok(Resource::global(kind(name)?)),
            [name, one] => Ok(Resource::one(kind(name)?, id("id", one)?)),
            ["orgs", org, name] => Ok(Resource::in_org(kind(name)?, id("org ID", org)?)),
            ["orgs", org, name, one] => Ok(Resource::one_in_org(kind(name)?, id("id", one)?, id("org ID", org)?)),
            _ => Err(PermissionParseError::Shape),
        }
    }
}

impl FromStr for Permission {
    type Err = PermissionParseError;

    /// The inverse of [`Permission`]'s `Display`, e.g. `read:authorizations` or
    /// `write:orgs/b6b3217f5a5e0559/buckets/3a87c03ace269000`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (action, resource) = text.split_once(':').ok_or(PermissionParseError::NoAction)?;
        let action = Action::parse(action).ok_or_else(|| PermissionParseError::Action(action.into()))?;
        Ok(Permission::new(action, resource.parse()?))
    }
}

/// Whether any of `held` allows `required`.
pub fn any_allows(held: &[Permission], required: &Permission) -> bool {
    held.iter().any(|p| p.allows(required))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn lists_23_types_in_influxdb_order() {
        assert_eq!(ResourceType::ALL.len(), 23);
        assert_eq!(ResourceType::ALL[0].as_str(), "authorizations");
        assert_eq!(ResourceType::ALL[22].as_str(), "instance");
        assert_eq!(Permission::operator().len(), 44);
    }

    #[test]
    fn matching_follows_influxdb() {
        let org = id(0x1000);
        let other_org = id(0x2000);
        let bucket = id(0x3000);
        let global = Permission::read(Resource::global(ResourceType::Buckets));
        let org_wide = Permission::read(Resource::in_org(ResourceType::Buckets, org));
        let one = Permission::read(Resource::one(ResourceType::Buckets, bucket));
        let need_one = Permission::read(Resource::one_in_org(ResourceType::Buckets, bucket, org));

        assert!(global.allows(&need_one));
        assert!(org_wide.allows(&need_one));
        assert!(one.allows(&need_one));
        assert!(!org_wide.allows(&Permission::read(Resource::one_in_org(
            ResourceType::Buckets,
            bucket,
            other_org
        ))));
        // A check without orgID is only met by a global or same-id grant.
        assert!(!org_wide.allows(&Permission::read(Resource::one(ResourceType::Buckets, bucket))));
        // A global requirement is only met globally.
        assert!(!org_wide.allows(&global));
        assert!(!one.allows(&org_wide));
        // write does not imply read; types must match.
        assert!(!Permission::write(Resource::global(ResourceType::Buckets)).allows(&global));
        assert!(!global.allows(&Permission::read(Resource::global(ResourceType::Orgs))));
        // instance allows anything with the same action.
        assert!(Permission::read(Resource::global(ResourceType::Instance)).allows(&need_one));
    }

    #[test]
    fn parses_what_it_prints() {
        let org = id(0xb6b3_217f_5a5e_0559);
        let bucket = id(0x3a87_c03a_ce26_9000);
        let cases = [
            (
                "write:orgs/b6b3217f5a5e0559/buckets/3a87c03ace269000",
                Permission::write(Resource::one_in_org(ResourceType::Buckets, bucket, org)),
            ),
            (
                "write:orgs/b6b3217f5a5e0559/buckets",
                Permission::write(Resource::in_org(ResourceType::Buckets, org)),
            ),
            (
                "read:authorizations",
                Permission::read(Resource::global(ResourceType::Authorizations)),
            ),
            (
                "read:users/3a87c03ace269000",
                Permission::read(Resource::one(ResourceType::Users, bucket)),
            ),
            // The org itself, and every org-scoped `orgs` permission, are told apart by their segments.
            (
                "read:orgs/b6b3217f5a5e0559",
                Permission::read(Resource::one(ResourceType::Orgs, org)),
            ),
            (
                "read:orgs/b6b3217f5a5e0559/orgs",
                Permission::read(Resource::in_org(ResourceType::Orgs, org)),
            ),
            (
                "write:instance",
                Permission::write(Resource::global(ResourceType::Instance)),
            ),
        ];
        for (text, permission) in cases {
            assert_eq!(text.parse::<Permission>(), Ok(permission), "{text}");
            assert_eq!(permission.to_string(), text);
        }
    }

    #[test]
    fn says_what_is_wrong_with_a_permission() {
        let error = |text: &str| text.parse::<Permission>().unwrap_err().to_string();
        assert_eq!(
            error("buckets"),
            "expected <action>:<resource>, e.g. write:orgs/<orgID>/buckets/<bucketID>"
        );
        assert_eq!(
            error("delete:buckets"),
            r#"unknown action "delete" (expected read or write)"#
        );
        assert_eq!(
            error("Read:buckets"),
            r#"unknown action "Read" (expected read or write)"#
        );
        assert_eq!(error("read:bukets"), r#"unknown resource type "bukets""#);
        assert_eq!(error("read:"), r#"unknown resource type """#);
        assert_eq!(
            error("read:buckets/123"),
            r#"invalid id "123": id must have a length of 16 bytes"#
        );
        assert_eq!(
            error("read:orgs/0000000000000000/buckets"),
            r#"invalid org ID "0000000000000000": invalid ID"#
        );
        for shape in [
            "read:buckets/",
            "read:/buckets",
            "read:teams/b6b3217f5a5e0559/buckets",
            "read:orgs/b6b3217f5a5e0559/buckets/3a87c03ace269000/x",
        ] {
            assert!(shape.parse::<Permission>().is_err(), "{shape}");
        }
        assert!(error("read:teams/b6b3217f5a5e0559/buckets").starts_with("expected <type>"));
    }

    #[test]
    fn displays_like_the_server() {
        let org = id(0xb6b3_217f_5a5e_0559);
        let bucket = id(0x3a87_c03a_ce26_9000);
        assert_eq!(
            Permission::write(Resource::one_in_org(ResourceType::Buckets, bucket, org)).to_string(),
            "write:orgs/b6b3217f5a5e0559/buckets/3a87c03ace269000"
        );
        assert_eq!(
            Permission::read(Resource::global(ResourceType::Authorizations)).to_string(),
            "read:authorizations"
        );
        assert_eq!(
            Permission::read(Resource::one(ResourceType::Users, bucket)).to_string(),
            "read:users/3a87c03ace269000"
        );
    }
}
