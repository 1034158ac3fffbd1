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
        v1: None,
    }
}

#[test]
fn delete_removes_record_and_token_index_together() {
    let store = RedbStore::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "t1"), None).unwrap();
    let hash = Token::new("t1").hash();
    assert_eq!(store.authorization_by_token(&hash).unwrap().unwrap().id, id(1));

    assert!(store.delete_authorization(id(1), None).unwrap());

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
    assert!(!store.delete_authorization(id(1), None).unwrap());
}

#[test]
fn duplicate_token_is_refused_and_nothing_is_written() {
    let store = RedbStore::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "same"), None).unwrap();
    let err = store.create_authorization(&auth(2, 11, 21, "same"), None).unwrap_err();
    assert!(matches!(err, Error::Conflict(Conflict::TokenExists)));
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
    let store = RedbStore::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "a"), None).unwrap();
    store.create_authorization(&auth(2, 10, 21, "b"), None).unwrap();
    store.create_authorization(&auth(3, 11, 20, "c"), None).unwrap();
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
    let store = RedbStore::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "secret"), None).unwrap();
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
    let _first = RedbStore::open(&path).unwrap();
    assert!(matches!(RedbStore::open(&path), Err(Error::AlreadyOpen)));
}

#[test]
fn user_names_are_unique() {
    let store = RedbStore::in_memory().unwrap();
    let user = User {
        id: id(1),
        name: "u".into(),
        status: Status::Active,
        password_hash: None,
        instance_owner: false,
    };
    store.create_user(&user, None).unwrap();
    let again = User { id: id(2), ..user };
    assert!(matches!(
        store.create_user(&again, None),
        Err(Error::Conflict(Conflict::UserName))
    ));
    assert_eq!(store.user_by_name("u").unwrap().unwrap().id, id(1));
}

// -- group commit ------------------------------------------------------------------------------------------------

/// Holds the leader inside its transaction until the other writers have queued, so that they form one batch.
fn with_writers_queued_behind_a_leader<T: Send>(
    store: &Arc<RedbStore>,
    writers: usize,
    queue: impl FnOnce() -> T + Send,
) -> T {
    let (entered, wait_entered) = std::sync::mpsc::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Mutex::new(released);
    let leader = {
        let store = Arc::clone(store);
        std::thread::spawn(move || {
            store.write(move |_| {
                let _ = entered.send(());
                let _ = released.lock().unwrap().recv();
                Ok(())
            })
        })
    };
    wait_entered.recv().unwrap();
    let out = std::thread::scope(|scope| {
        let queued = scope.spawn(queue);
        while store.commits.queued() < writers {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        release.send(()).unwrap();
        queued.join().unwrap()
    });
    leader.join().unwrap().unwrap();
    out
}

#[test]
fn concurrent_writes_share_one_commit() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    let before = store.commit_counts();

    let results = with_writers_queued_behind_a_leader(&store, 20, || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..=20u64)
                .map(|n| {
                    let store = Arc::clone(&store);
                    scope.spawn(move || store.create_authorization(&auth(n, 10, 20, &format!("token-{n}")), None))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        })
    });

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let after = store.commit_counts();
    // The leader's own write, then the 20 queued ones in one transaction.
    assert_eq!(after.writes - before.writes, 21);
    assert_eq!(after.transactions - before.transactions, 2);
    for n in 1..=20u64 {
        let found = store
            .authorization_by_token(&Token::new(format!("token-{n}")).hash())
            .unwrap();
        assert_eq!(found.unwrap().id, id(n));
    }
}

#[test]
fn a_failing_write_in_a_batch_fails_alone_and_leaves_nothing() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    store.create_authorization(&auth(100, 10, 20, "taken"), None).unwrap();

    let results = with_writers_queued_behind_a_leader(&store, 10, || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..=10u64)
                .map(|n| {
                    let store = Arc::clone(&store);
                    // Writer 5 reuses a token that exists: a conflict in the middle of the batch.
                    let token = if n == 5 {
                        "taken".to_owned()
                    } else {
                        format!("token-{n}")
                    };
                    scope.spawn(move || (n, store.create_authorization(&auth(n, 10, 20, &token), None)))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        })
    });

    for (n, result) in results {
        if n == 5 {
            assert!(
                matches!(result, Err(Error::Conflict(Conflict::TokenExists))),
                "{result:?}"
            );
            assert!(store.authorization(id(5)).unwrap().is_none());
        } else {
            assert!(result.is_ok(), "writer {n}: {result:?}");
            assert_eq!(store.authorization(id(n)).unwrap().unwrap().id, id(n));
        }
    }
    let user_tokens = store
        .authorizations(AuthorizationFilter {
            user_id: Some(id(10)),
            org_id: None,
        })
        .unwrap();
    assert_eq!(user_tokens.len(), 10, "nine new tokens and the one that was there");
}

#[test]
fn each_writer_gets_the_result_of_its_own_write() {
    let store = Arc::new(RedbStore::in_memory().unwrap());
    for n in 1..=8u64 {
        store
            .create_authorization(&auth(n, 10, 20, &format!("token-{n}")), None)
            .unwrap();
    }
    // Deletes of existing and missing records, queued together: each answer is its own.
    let results = with_writers_queued_behind_a_leader(&store, 16, || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..=16u64)
                .map(|n| {
                    let store = Arc::clone(&store);
                    scope.spawn(move || (n, store.delete_authorization(id(n), None).unwrap()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect::<Vec<_>>()
        })
    });
    for (n, deleted) in results {
        assert_eq!(deleted, n <= 8, "delete of {n}");
    }
}

#[test]
fn records_written_as_json_by_earlier_versions_are_read_and_rewritten_in_binary() {
    let store = RedbStore::in_memory().unwrap();
    let old = auth(7, 10, 20, "old-json-token");
    // What an earlier version left: the record as JSON, with its indexes.
    store.create_authorization(&old, None).unwrap();
    store
        .write_alone(|txn| {
            let json = serde_json::to_vec(&old).unwrap();
            txn.open_table(AUTHORIZATIONS)?.insert(7, json.as_slice())?;
            Ok(())
        })
        .unwrap();
    let raw = |store: &RedbStore| {
        store
            .read()
            .unwrap()
            .open_table(AUTHORIZATIONS)
            .unwrap()
            .get(7)
            .unwrap()
            .unwrap()
            .value()
            .to_vec()
    };
    assert_eq!(raw(&store)[0], b'{');

    let found = store
        .authorization_by_token(&Token::new("old-json-token").hash())
        .unwrap();
    assert_eq!(found.as_ref(), Some(&old));

    store
        .update_authorization(id(7), |a| a.description = "changed".into(), None)
        .unwrap();
    assert_eq!(raw(&store)[0], 1, "rewritten in the binary form");
    assert_eq!(store.authorization(id(7)).unwrap().unwrap().description, "changed");
}

#[test]
fn a_snapshot_is_shared_until_a_commit_and_never_outlives_an_acknowledged_write() {
    let store = RedbStore::in_memory().unwrap();
    store.create_authorization(&auth(1, 10, 20, "shared"), None).unwrap();
    let hash = Token::new("shared").hash();
    let first = store.snapshot().unwrap();
    let second = store.snapshot().unwrap();
    assert!(Arc::ptr_eq(&first.0, &second.0), "no write in between: one transaction");

    assert!(store.delete_authorization(id(1), None).unwrap());

    // Anyone asking after the delete was answered reads a new transaction, which no longer has the token...
    let after = store.snapshot().unwrap();
    assert!(!Arc::ptr_eq(&first.0, &after.0));
    assert!(after.authorization_and_user_by_token(&hash).unwrap().is_none());
    assert!(store.authorization_by_token(&hash).unwrap().is_none());
    // ...while a snapshot taken before it still reads the state it began with, as a redb read transaction does.
    assert!(first.authorization_and_user_by_token(&hash).unwrap().is_some());
}

#[test]
fn token_checks_kept_on_a_thread_end_with_their_generation_and_belong_to_their_store() {
    let one = RedbStore::in_memory().unwrap();
    let other = RedbStore::in_memory().unwrap();
    one.create_authorization(&auth(1, 10, 20, "kept"), None).unwrap();
    other.create_authorization(&auth(2, 10, 20, "elsewhere"), None).unwrap();
    assert_eq!(
        one.snapshot().unwrap().generation(),
        other.snapshot().unwrap().generation(),
        "the two stores are at the same generation, so only the store tells their checks apart"
    );
    let hash = Token::new("kept").hash();
    let check = |store: &RedbStore| store.authorization_and_user_by_token(&hash).unwrap();
    // The second check on this thread is answered from the first.
    assert_eq!(check(&one).unwrap().authorization.status, Status::Active);
    assert_eq!(check(&one).unwrap().authorization.id, id(1));
    assert!(check(&other).is_none(), "another store's kept check is not this one's");

    // A change is seen by the very next check on the same thread...
    one.update_authorization(id(1), |a| a.status = Status::Inactive, None)
        .unwrap()
        .unwrap();
    assert_eq!(check(&one).unwrap().authorization.status, Status::Inactive);
    // ...and so is a delete.
    assert!(one.delete_authorization(id(1), None).unwrap());
    assert!(check(&one).is_none());
}
