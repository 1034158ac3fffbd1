//! The authorizations resource: the docs' flows, status changes, permissions, visibility, persistence.

use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, Options, TestApp, assert_error, json_of};

fn bucket_read(org: &str) -> Value {
    json!({"action": "read", "resource": {"type": "buckets", "orgID": org}})
}

/// Read+write on authorizations and users of the org/user: enough to manage one's own tokens.
fn token_manager(org: &str, user: &str) -> Value {
    json!([
        {"action": "read", "resource": {"type": "authorizations", "orgID": org}},
        {"action": "write", "resource": {"type": "authorizations", "orgID": org}},
        {"action": "read", "resource": {"type": "users", "id": user}},
        {"action": "write", "resource": {"type": "users", "id": user}},
        {"action": "read", "resource": {"type": "buckets", "orgID": org}},
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn docs_delete_flow_revokes_on_the_very_next_request() {
    // Arrange: user2 with a token, as in the "Delete a token" page.
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let (_, token) = app
        .create_token(json!({"orgID": org, "userID": user2, "permissions": [bucket_read(&org)]}))
        .await;
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);

    // Act: GET ?user=user2 | jq .authorizations[0].id | DELETE, with the docs' headers.
    let listed = app
        .client
        .get(app.url("/api/v2/authorizations?user=user2"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .header("Content-type", "application/json")
        .send()
        .await
        .unwrap();
    let listed = json_of(listed, 200).await;
    let id = listed["authorizations"][0]["id"].as_str().unwrap().to_owned();
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v2/authorizations/{id}")))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .header("Content-type", "application/json")
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(deleted.status(), 204);
    assert!(deleted.headers().get("content-type").is_none());
    assert_eq!(deleted.text().await.unwrap(), "");
    assert_error(
        app.get("/api/v2/buckets", &token).await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
    let path = format!("/api/v2/authorizations/{id}");
    assert_error(
        app.get(&path, OPERATOR_TOKEN).await,
        404,
        "not found",
        "authorization not found",
    )
    .await;
    assert_error(
        app.delete(&path, OPERATOR_TOKEN).await,
        404,
        "not found",
        "authorization not found",
    )
    .await;
    let after = json_of(app.get("/api/v2/authorizations?user=user2", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(after["authorizations"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn inactive_token_is_refused_at_once_and_works_again_when_reactivated() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let (id, token) = app
        .create_token(json!({"orgID": org, "permissions": token_manager(&org, &admin)}))
        .await;
    let path = format!("/api/v2/authorizations/{id}");
    assert_eq!(app.get(&path, &token).await.status(), 200);

    let patched = json_of(
        app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"})).await,
        200,
    )
    .await;
    assert_eq!(patched["status"], "inactive");

    assert_error(app.get(&path, &token).await, 401, "unauthorized", "token is inactive").await;
    assert_error(
        app.delete(&path, &token).await,
        401,
        "unauthorized",
        "token is inactive",
    )
    .await;
    assert_error(
        app.patch(&path, &token, json!({"status": "active"})).await,
        401,
        "unauthorized",
        "token is inactive",
    )
    .await;
    // Filtered lists answer 200 and empty, as InfluxDB does.
    let list = json_of(app.get("/api/v2/authorizations", &token).await, 200).await;
    assert_eq!(list["authorizations"], json!([]));

    json_of(app.patch(&path, OPERATOR_TOKEN, json!({"status": "active"})).await, 200).await;
    assert_eq!(app.get(&path, &token).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_changes_only_status_and_description_and_bumps_updated_at() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (id, _) = app
        .create_token(json!({"orgID": org, "description": "before", "permissions": [bucket_read(&org)]}))
        .await;
    let path = format!("/api/v2/authorizations/{id}");
    let before = json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await;

    let body = json!({"description": "after", "status": null, "permissions": [], "orgID": "ffffffffffffffff"});
    let after = json_of(app.patch(&path, OPERATOR_TOKEN, body).await, 200).await;

    assert_eq!(after["description"], "after");
    assert_eq!(after["status"], "active");
    assert_eq!(after["permissions"], before["permissions"]);
    assert_eq!(after["orgID"], before["orgID"]);
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert_ne!(after["updatedAt"], before["updatedAt"]);
    // An empty patch answers 200 and only moves updatedAt.
    let empty = json_of(app.patch(&path, OPERATOR_TOKEN, json!({})).await, 200).await;
    assert_eq!(empty["description"], "after");
    assert_eq!(json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await, empty);
}

#[tokio::test(flavor = "multi_thread")]
async fn description_only_patch_keeps_an_inactive_token_inactive() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (id, _) = app
        .create_token(json!({"orgID": org, "status": "inactive", "permissions": [bucket_read(&org)]}))
        .await;
    let path = format!("/api/v2/authorizations/{id}");
    let after = json_of(
        app.patch(&path, OPERATOR_TOKEN, json!({"description": "d", "status": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(after["status"], "inactive");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_token_cannot_create_patch_delete_or_escalate() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let read_only = json!([
        {"action": "read", "resource": {"type": "authorizations", "orgID": org}},
        {"action": "read", "resource": {"type": "users", "id": admin}},
    ]);
    let (_, reader) = app.create_token(json!({"orgID": org, "permissions": read_only})).await;
    let (victim, _) = app
        .create_token(json!({"orgID": org, "permissions": [bucket_read(&org)]}))
        .await;
    let path = format!("/api/v2/authorizations/{victim}");

    // It can read...
    assert_eq!(app.get(&path, &reader).await.status(), 200);
    // ...but not write.
    let create = app
        .post(
            "/api/v2/authorizations",
            &reader,
            json!({"orgID": org, "permissions": [bucket_read(&org)]}),
        )
        .await;
    assert_error(
        create,
        401,
        "unauthorized",
        &format!("write:orgs/{org}/authorizations is unauthorized"),
    )
    .await;
    let message = format!("write:orgs/{org}/authorizations/{victim} is unauthorized");
    assert_error(
        app.patch(&path, &reader, json!({"status": "inactive"})).await,
        401,
        "unauthorized",
        &message,
    )
    .await;
    assert_error(app.delete(&path, &reader).await, 401, "unauthorized", &message).await;
    assert_eq!(
        json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await["status"],
        "active"
    );

    // A token that may write authorizations still cannot mint what it does not hold.
    let (_, manager) = app
        .create_token(json!({"orgID": org, "permissions": token_manager(&org, &admin)}))
        .await;
    let wider = json!({"action": "write", "resource": {"type": "buckets", "orgID": org}});
    let escalate = app
        .post(
            "/api/v2/authorizations",
            &manager,
            json!({"orgID": org, "permissions": [wider]}),
        )
        .await;
    let p = format!("write:orgs/{org}/buckets");
    assert_error(
        escalate,
        403,
        "forbidden",
        &format!("permission {p} is not allowed: {p} is unauthorized"),
    )
    .await;
    // A subset of its own permissions is fine, and the owner defaults to the caller's user.
    let ok = json_of(
        app.post(
            "/api/v2/authorizations",
            &manager,
            json!({"orgID": org, "permissions": [bucket_read(&org)]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(ok["userID"], admin.as_str());
    // Minting for another user needs write:users/<that user>.
    let user2 = app.create_user("user2").await;
    let other = app
        .post(
            "/api/v2/authorizations",
            &manager,
            json!({"orgID": org, "userID": user2, "permissions": [bucket_read(&org)]}),
        )
        .await;
    assert_error(
        other,
        401,
        "unauthorized",
        &format!("write:users/{user2} is unauthorized"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_someone_elses_token_is_401_with_influxdb_message() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let admin = app.admin_id().await;
    let (_, mine) = app
        .create_token(json!({"orgID": org, "permissions": token_manager(&org, &admin)}))
        .await;
    let (theirs, _) = app
        .create_token(json!({"orgID": org, "userID": user2, "permissions": [bucket_read(&org)]}))
        .await;
    let response = app.get(&format!("/api/v2/authorizations/{theirs}"), &mine).await;
    assert_error(
        response,
        401,
        "unauthorized",
        &format!("read:users/{user2} is unauthorized"),
    )
    .await;
    // And the list silently leaves it out.
    let list = json_of(app.get("/api/v2/authorizations", &mine).await, 200).await;
    let ids: Vec<&str> = list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&theirs.as_str()));
    assert!(!ids.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_follow_influxdb_precedence() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let user2 = app.create_user("user2").await;
    let other_org = json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "other"})).await,
        201,
    )
    .await;
    let other_org = other_org["id"].as_str().unwrap().to_owned();
    let (a, _) = app
        .create_token(json!({"orgID": org, "userID": user2, "permissions": [bucket_read(&org)]}))
        .await;
    let (b, _) = app
        .create_token(json!({"orgID": other_org, "userID": user2, "permissions": [bucket_read(&other_org)]}))
        .await;
    let ids = |v: Value| -> Vec<String> {
        v["authorizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |q: String| {
        let app = &app;
        async move {
            ids(json_of(
                app.get(&format!("/api/v2/authorizations{q}"), OPERATOR_TOKEN).await,
                200,
            )
            .await)
        }
    };

    assert_eq!(list("?user=user2".into()).await, vec![a.clone(), b.clone()]);
    assert_eq!(list(format!("?userID={user2}")).await, vec![a.clone(), b.clone()]);
    assert_eq!(
        list(format!("?userID={user2}&orgID={other_org}")).await,
        vec![b.clone()]
    );
    assert_eq!(list("?user=user2&org=my-org".into()).await, vec![a.clone()]);
    // userID beats user, and the loser is not even looked up.
    assert_eq!(
        list(format!("?userID={user2}&user=nobody")).await,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(list(format!("?orgID={org}&org=nowhere")).await.len(), 2); // admin's operator token + a
    // An empty value counts as absent.
    assert_eq!(list("?user=&org=".into()).await.len(), 3);
    // A well-formed but unknown ID is an empty list; an unknown name is 404.
    assert!(list("?userID=0000000000000bad".into()).await.is_empty());
    assert_error(
        app.get("/api/v2/authorizations?user=nobody", OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
    assert_error(
        app.get("/api/v2/authorizations?org=nowhere", OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization name \"nowhere\" not found",
    )
    .await;
    // `id` returns that record alone and ignores the rest.
    assert_eq!(list(format!("?id={b}&user=user2&orgID={org}")).await, vec![b.clone()]);
    assert_error(
        app.get("/api/v2/authorizations?id=0000000000000bad", OPERATOR_TOKEN)
            .await,
        404,
        "not found",
        "authorization not found",
    )
    .await;
    // A token that only may read its own user's tokens sees only those.
    let (_, mine) = app
        .create_token(json!({"orgID": org, "permissions": token_manager(&org, &admin)}))
        .await;
    let visible = ids(json_of(app.get("/api/v2/authorizations", &mine).await, 200).await);
    assert_eq!(visible.len(), 2); // the operator token and itself, both admin's
    assert!(!visible.contains(&a));
}

#[tokio::test(flavor = "multi_thread")]
async fn created_token_has_influxdb_shape_and_is_shown_once_when_hashed() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let bucket = json_of(app.get("/api/v2/buckets?name=my-bucket", OPERATOR_TOKEN).await, 200).await;
    let bucket = bucket["buckets"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({
        "status": "active", "description": "iot-center-device", "orgID": org, "token": "ignored",
        "permissions": [
            {"action": "read", "resource": {"orgID": org, "type": "authorizations"}},
            {"action": "write", "resource": {"orgID": org, "type": "buckets", "id": bucket, "name": "ignored"}},
        ]
    });
    let response = app.post("/api/v2/authorizations", OPERATOR_TOKEN, body).await;
    assert_eq!(response.headers()["content-type"], "application/json; charset=utf-8");
    let created = json_of(response, 201).await;

    let token = created["token"].as_str().unwrap();
    assert_eq!(token.len(), 88);
    assert!(token.ends_with("=="));
    assert!(
        token[..86]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(id.len(), 16);
    let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    let mut expected = vec![
        "createdAt",
        "description",
        "id",
        "links",
        "org",
        "orgID",
        "permissions",
        "status",
        "token",
        "updatedAt",
        "user",
        "userID",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(created["org"], "my-org");
    assert_eq!(created["user"], "admin");
    assert_eq!(
        created["links"],
        json!({"self": format!("/api/v2/authorizations/{id}"), "user": format!("/api/v2/users/{}", created["userID"].as_str().unwrap())})
    );
    assert_eq!(
        created["permissions"][0]["resource"],
        json!({"type": "authorizations", "orgID": org, "org": "my-org"})
    );
    assert_eq!(
        created["permissions"][1]["resource"],
        json!({"type": "buckets", "id": bucket, "orgID": org, "name": "my-bucket", "org": "my-org"})
    );
    assert_eq!(created["createdAt"], created["updatedAt"]);
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));

    // The plaintext is never shown again, but it works.
    let again = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(again["token"], "");
    let listed = json_of(app.get("/api/v2/authorizations", OPERATOR_TOKEN).await, 200).await;
    assert!(
        listed["authorizations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["token"] == "")
    );
    assert_eq!(
        app.get(&format!("/api/v2/authorizations/{id}"), token).await.status(),
        401
    ); // holds no read:users
}

#[tokio::test(flavor = "multi_thread")]
async fn plaintext_tokens_are_returned_when_hashing_is_off() {
    let app = TestApp::spawn_with(Options {
        hashed_tokens: false,
        ..Options::default()
    })
    .await;
    let org = app.org_id().await;
    let (id, token) = app
        .create_token(json!({"orgID": org, "permissions": [bucket_read(&org)]}))
        .await;
    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(found["token"], token.as_str());
    let list = json_of(app.get("/api/v2/authorizations", OPERATOR_TOKEN).await, 200).await;
    assert!(
        list["authorizations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["token"] == OPERATOR_TOKEN)
    );

    // Restarting with hashing on drops the stored plaintext, and the tokens keep working.
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, Options::default()).await;
    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(found["token"], "");
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn data_survives_a_restart_on_the_same_file() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (kept, token) = app
        .create_token(json!({"orgID": org, "description": "kept", "permissions": [bucket_read(&org)]}))
        .await;
    let (gone, gone_token) = app
        .create_token(json!({"orgID": org, "permissions": [bucket_read(&org)]}))
        .await;
    assert_eq!(
        app.delete(&format!("/api/v2/authorizations/{gone}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );
    let dir = app.stop().await;

    let app = TestApp::spawn_in(dir, Options::default()).await;
    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{kept}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(found["description"], "kept");
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);
    assert_eq!(app.get("/api/v2/buckets", &gone_token).await.status(), 401);
    assert_eq!(
        app.get(&format!("/api/v2/authorizations/{gone}"), OPERATOR_TOKEN)
            .await
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_deleted_or_deactivated_tokens_are_refused_on_the_next_request() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    for round in 0..50 {
        let (id, token) = app
            .create_token(json!({"orgID": org, "permissions": [bucket_read(&org)]}))
            .await;
        let before = json_of(app.get("/api/v2/buckets", &token).await, 200).await;
        assert_eq!(before["buckets"].as_array().unwrap().len(), 3);
        let path = format!("/api/v2/authorizations/{id}");
        if round % 2 == 0 {
            assert_eq!(app.delete(&path, OPERATOR_TOKEN).await.status(), 204);
            assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 401, "round {round}");
        } else {
            assert_eq!(
                app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"}))
                    .await
                    .status(),
                200
            );
            let buckets = json_of(app.get("/api/v2/buckets", &token).await, 200).await;
            assert_eq!(buckets["buckets"], json!([]), "round {round}");
        }
    }
}
