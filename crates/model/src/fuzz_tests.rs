//! Property tests ("fuzzing" on stable Rust) of everything that parses client input in this crate: IDs, and the
//! permission and request JSON. Run longer with `PROPTEST_CASES=100000 cargo test -p model fuzz`.

use proptest::prelude::*;

use crate::wire::{AuthorizationPostRequest, AuthorizationUpdateRequest, PermissionRequest, SetupRequest};
use crate::{Action, Id, Permission, Resource, ResourceType};

fn any_id() -> impl Strategy<Value = Id> {
    (1u64..=u64::MAX).prop_map(|v| Id::new(v).unwrap())
}

fn any_permission() -> impl Strategy<Value = Permission> {
    (
        prop_oneof![Just(Action::Read), Just(Action::Write)],
        prop::sample::select(ResourceType::ALL.to_vec()),
        prop::option::of(any_id()),
        prop::option::of(any_id()),
    )
        .prop_map(|(action, kind, id, org_id)| Permission::new(action, Resource { kind, id, org_id }))
}

/// Arbitrary JSON, a few levels deep.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 _:/-]{0,20}".prop_map(serde_json::Value::from),
        "[0-9a-f]{16}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "read", "write", "buckets", "orgs", "instance", "active", "inactive"
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "orgID",
                    "userID",
                    "id",
                    "type",
                    "action",
                    "resource",
                    "permissions",
                    "status",
                    "description",
                    "token",
                    "name",
                    "org",
                    "username",
                    "password",
                    "bucket",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn fuzz_id_parsing_never_panics_and_round_trips(text in ".{0,24}", value in 1u64..=u64::MAX) {
        let _ = text.parse::<Id>();
        let id = Id::new(value).unwrap();
        prop_assert_eq!(id.to_string().parse::<Id>(), Ok(id));
        prop_assert_eq!(id.to_string().len(), 16);
    }

    #[test]
    fn fuzz_permissions_round_trip_and_allow_themselves(permission in any_permission()) {
        let text = serde_json::to_string(&permission).unwrap();
        let back: Permission = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, permission);
        prop_assert!(permission.allows(&permission));
        // A global grant of the same action and type allows any narrower one.
        let global = Permission::new(permission.action, Resource::global(permission.resource.kind));
        prop_assert!(global.allows(&permission));
    }

    #[test]
    fn fuzz_permission_strings_round_trip(permission in any_permission()) {
        let text = permission.to_string();
        prop_assert_eq!(text.parse::<Permission>(), Ok(permission));
    }

    /// Any string parses to a permission or to an error, never a panic; what parses prints back the same way.
    #[test]
    fn fuzz_permission_parsing_never_panics(
        text in prop_oneof![
            ".{0,80}",
            "(read|write|x)?:?(orgs/)?([0-9a-f]{16}/)?(buckets|orgs|users|instance|x)?(/[0-9a-fA-F]{0,17})?/?",
        ]
    ) {
        if let Ok(permission) = text.parse::<Permission>() {
            prop_assert_eq!(permission.to_string().parse::<Permission>(), Ok(permission));
        }
    }

    #[test]
    fn fuzz_request_bodies_decode_or_fail_without_panicking(value in any_json(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let text = value.to_string();
        let _ = serde_json::from_str::<AuthorizationPostRequest>(&text);
        let _ = serde_json::from_str::<AuthorizationUpdateRequest>(&text);
        let _ = serde_json::from_str::<PermissionRequest>(&text);
        let _ = serde_json::from_str::<SetupRequest>(&text);
        let _ = serde_json::from_slice::<AuthorizationPostRequest>(&bytes);
    }
}
