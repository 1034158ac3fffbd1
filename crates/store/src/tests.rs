use model::{Authorization, Id, Permission, Resource, ResourceType, Status, Token, User};
use time::OffsetDateTime;

use super::*;

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

fn auth(n: u64, user: u64, org: u64, token: &str) -> Authorization {
    let now = OffsetDateTime::UNIX_EPOCH;
    Authorization {
        id: id(n),
        token: Some(Token::new(token)),
        hashed_token: Token::new(token).hash(),
        status: Status::Active,
        description: String::new(),
        org_id: id(org),
        user_id: id(user),
        permissions: vec![Permission::read(Resource::global(ResourceType::Buckets))],
        created_at: now,
        updated_at: now,
        expires_at: None,
        last_used_at: None,
    }
}

#[test]
fn delete_removes_record_and_token_index_together() {
    let store = Store::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "t1")).unwrap();
    let hash = Token::new("t1").hash();
    assert_eq!(store.authorization_by_token(&hash).unwrap().unwrap().id, id(1));

    assert!(store.delete_authorization(id(1)).unwrap());

    assert!(store.authorization_by_token(&hash).unwrap().is_none());
    assert!(store.authorization(id(1)).unwrap().is_none());
    assert!(
        store
            .authorizations(AuthorizationFilter {
                user_id: Some(id(10)),
                org_id: None
            })
            .unwrap()
            .is_empty()
    );
    assert!(!store.delete_authorization(id(1)).unwrap());
}

#[test]
fn duplicate_token_is_refused_and_nothing_is_written() {
    let store = Store::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "same")).unwrap();
    let err = store.create_authorization(&auth(2, 11, 21, "same")).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::TokenExists)));
    assert!(store.authorization(id(2)).unwrap().is_none());
    assert!(
        store
            .authorizations(AuthorizationFilter {
                user_id: Some(id(11)),
                org_id: None
            })
            .unwrap()
            .is_empty()
    );
}

#[test]
fn filters_by_user_and_org_and_both() {
    let store = Store::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "a")).unwrap();
    store.create_authorization(&auth(2, 10, 21, "b")).unwrap();
    store.create_authorization(&auth(3, 11, 20, "c")).unwrap();
    let ids = |f| {
        store
            .authorizations(f)
            .unwrap()
            .iter()
            .map(|a| a.id.get())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(AuthorizationFilter::default()), vec![1, 2, 3]);
    assert_eq!(
        ids(AuthorizationFilter {
            user_id: Some(id(10)),
            org_id: None
        }),
        vec![1, 2]
    );
    assert_eq!(
        ids(AuthorizationFilter {
            user_id: None,
            org_id: Some(id(20))
        }),
        vec![1, 3]
    );
    assert_eq!(
        ids(AuthorizationFilter {
            user_id: Some(id(10)),
            org_id: Some(id(20))
        }),
        vec![1]
    );
}

#[test]
fn forgetting_plaintext_keeps_the_hash_lookup() {
    let store = Store::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "secret")).unwrap();
    assert_eq!(store.forget_plaintext_tokens().unwrap(), 1);
    let found = store
        .authorization_by_token(&Token::new("secret").hash())
        .unwrap()
        .unwrap();
    assert!(found.token.is_none());
    assert_eq!(store.forget_plaintext_tokens().unwrap(), 0);
}

#[test]
fn second_open_of_the_same_file_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let _first = Store::open(&path).unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::AlreadyOpen)));
}

#[test]
fn user_names_are_unique() {
    let store = Store::in_memory().unwrap();
    let user = User {
        id: id(1),
        name: "u".into(),
        status: Status::Active,
        password_hash: None,
        instance_owner: false,
    };
    store.create_user(&user).unwrap();
    let again = User { id: id(2), ..user };
    assert!(matches!(
        store.create_user(&again),
        Err(StoreError::Conflict(Conflict::UserName))
    ));
    assert_eq!(store.user_by_name("u").unwrap().unwrap().id, id(1));
}
