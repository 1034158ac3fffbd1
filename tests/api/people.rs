//! Users and orgs: their routes, and revoking tokens through them.

use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, TestApp, assert_error, json_of};

fn bucket_read(org: &str) -> Value {
    json!([{"action": "read", "resource": {"type": "buckets", "orgID": org}}])
}

async fn token_for(app: &TestApp, org: &str, user: &str) -> (String, String) {
    app.create_token(json!({"orgID": org, "userID": user, "permissions": bucket_read(org)}))
        .await
}

async fn ids_of(app: &TestApp, path: &str) -> Vec<String> {
    let list = json_of(app.get(path, OPERATOR_TOKEN).await, 200).await;
    list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivating_a_user_refuses_all_their_tokens_at_once_until_reactivated() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let (_, first) = token_for(&app, &org, &user2).await;
    let (_, second) = token_for(&app, &org, &user2).await;
    for token in [&first, &second] {
        assert_eq!(app.get("/api/v2/buckets", token).await.status(), 200);
    }

    let path = format!("/api/v2/users/{user2}");
    let patched = json_of(
        app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"})).await,
        200,
    )
    .await;
    assert_eq!(patched["status"], "inactive");
    for token in [&first, &second] {
        assert_error(
            app.get("/api/v2/buckets", token).await,
            403,
            "forbidden",
            "User is inactive",
        )
        .await;
    }
    // The operator still sees the tokens; they are refused, not gone.
    assert_eq!(ids_of(&app, "/api/v2/authorizations?user=user2").await.len(), 2);

    json_of(app.patch(&path, OPERATOR_TOKEN, json!({"status": "active"})).await, 200).await;
    for token in [&first, &second] {
        assert_eq!(app.get("/api/v2/buckets", token).await.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_user_refuses_their_tokens_for_good() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let (_, token) = token_for(&app, &org, &user2).await;

    let deleted = app.delete(&format!("/api/v2/users/{user2}"), OPERATOR_TOKEN).await;
    assert_eq!(deleted.status(), 204);

    assert_error(
        app.get("/api/v2/buckets", &token).await,
        403,
        "forbidden",
        "User is inactive",
    )
    .await;
    // The list filters keep working for a deleted user (contract §1.3): the name is unknown, the ID lists nothing.
    assert_error(
        app.get("/api/v2/authorizations?user=user2", OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
    assert!(
        ids_of(&app, &format!("/api/v2/authorizations?userID={user2}"))
            .await
            .is_empty()
    );
    assert_eq!(ids_of(&app, "/api/v2/authorizations").await.len(), 1);
    // A new user with the same name gets a new ID, and the old token stays refused.
    let again = app.create_user("user2").await;
    assert_ne!(again, user2);
    assert_error(
        app.get("/api/v2/buckets", &token).await,
        403,
        "forbidden",
        "User is inactive",
    )
    .await;
    assert_error(
        app.delete(&format!("/api/v2/users/{user2}"), OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_org_revokes_its_tokens_and_removes_them_from_every_list() {
    let app = TestApp::spawn().await;
    let admin = app.admin_id().await;
    let other = json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "doomed"}))
            .await,
        201,
    )
    .await;
    let other = other["id"].as_str().unwrap().to_owned();
    let (id, token) = token_for(&app, &other, &admin).await;
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);

    assert_eq!(
        app.delete(&format!("/api/v2/orgs/{other}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );

    assert_error(
        app.get("/api/v2/buckets", &token).await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
    assert!(!ids_of(&app, "/api/v2/authorizations").await.contains(&id));
    assert!(
        !ids_of(&app, &format!("/api/v2/authorizations?userID={admin}"))
            .await
            .contains(&id)
    );
    assert!(
        ids_of(&app, &format!("/api/v2/authorizations?orgID={other}"))
            .await
            .is_empty()
    );
    assert_error(
        app.get("/api/v2/authorizations?org=doomed", OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization name \"doomed\" not found",
    )
    .await;
    let buckets = json_of(
        app.get(&format!("/api/v2/buckets?orgID={other}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(buckets["buckets"], json!([]));
    assert_error(
        app.get(&format!("/api/v2/orgs/{other}"), OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization not found",
    )
    .await;
    // The name is free again.
    json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "doomed"}))
            .await,
        201,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_can_be_renamed_and_given_passwords() {
    let app = TestApp::spawn().await;
    let user2 = app.create_user("user2").await;
    app.create_user("user3").await;
    let path = format!("/api/v2/users/{user2}");

    let renamed = json_of(app.patch(&path, OPERATOR_TOKEN, json!({"name": "renamed"})).await, 200).await;
    assert_eq!(renamed["name"], "renamed");
    let found = json_of(app.get("/api/v2/users?name=renamed", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(found["users"][0]["id"], user2.as_str());
    assert_error(
        app.get("/api/v2/users?name=user2", OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;

    assert_error(
        app.patch(&path, OPERATOR_TOKEN, json!({"name": "user3"})).await,
        422,
        "conflict",
        "user with name user3 already exists",
    )
    .await;
    assert_error(
        app.patch(&path, OPERATOR_TOKEN, json!({"name": ""})).await,
        400,
        "invalid",
        "user name is empty",
    )
    .await;
    assert_error(
        app.patch(&path, OPERATOR_TOKEN, json!({"status": "gone"})).await,
        400,
        "invalid",
        "invalid user status: must be active or inactive",
    )
    .await;
    assert_error(
        app.patch("/api/v2/users/0000000000000bad", OPERATOR_TOKEN, json!({}))
            .await,
        404,
        "not found",
        "user not found",
    )
    .await;

    let password = format!("{path}/password");
    assert_eq!(
        app.post(&password, OPERATOR_TOKEN, json!({"password": "long-enough"}))
            .await
            .status(),
        204
    );
    assert_error(
        app.post(&password, OPERATOR_TOKEN, json!({"password": "short"})).await,
        400,
        "invalid",
        "passwords must be at least 8 characters long",
    )
    .await;
    // Changing one's own password needs the current one: a token alone is not enough.
    let with_token = app
        .client
        .put(app.url("/api/v2/me/password"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&json!({"password": "new-password"}))
        .send()
        .await
        .unwrap();
    assert_error(
        with_token,
        401,
        "unauthorized",
        "the current password is required (Basic auth)",
    )
    .await;
    let signin = app
        .client
        .post(app.url("/api/v2/signin"))
        .basic_auth("admin", Some(tests::PASSWORD))
        .send()
        .await
        .unwrap();
    let cookie = signin.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let change = |old: &'static str| {
        app.client
            .put(app.url("/api/v2/me/password"))
            .header("Cookie", cookie.clone())
            .basic_auth("admin", Some(old))
            .json(&json!({"password": "new-password"}))
            .send()
    };
    assert_error(
        change("not-the-password").await.unwrap(),
        403,
        "forbidden",
        "your username or password is incorrect",
    )
    .await;
    assert_eq!(change(tests::PASSWORD).await.unwrap().status(), 204);
    let again = app
        .client
        .post(app.url("/api/v2/signin"))
        .basic_auth("admin", Some("new-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn people_routes_check_permissions() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let user2 = app.create_user("user2").await;
    let (_, token) = token_for(&app, &org, &admin).await;
    let user_path = format!("/api/v2/users/{user2}");
    let org_path = format!("/api/v2/orgs/{org}");

    let denied_user = format!("write:users/{user2} is unauthorized");
    assert_error(
        app.patch(&user_path, &token, json!({"status": "inactive"})).await,
        401,
        "unauthorized",
        &denied_user,
    )
    .await;
    assert_error(app.delete(&user_path, &token).await, 401, "unauthorized", &denied_user).await;
    assert_error(
        app.post(
            &format!("{user_path}/password"),
            &token,
            json!({"password": "long-enough"}),
        )
        .await,
        401,
        "unauthorized",
        &denied_user,
    )
    .await;
    let denied_org = format!("write:orgs/{org} is unauthorized");
    assert_error(
        app.patch(&org_path, &token, json!({"name": "x"})).await,
        401,
        "unauthorized",
        &denied_org,
    )
    .await;
    assert_error(app.delete(&org_path, &token).await, 401, "unauthorized", &denied_org).await;
    assert_error(
        app.post(&format!("{org_path}/members"), &token, json!({"id": user2}))
            .await,
        401,
        "unauthorized",
        &denied_org,
    )
    .await;
    assert_error(
        app.get(&format!("{org_path}/members"), &token).await,
        401,
        "unauthorized",
        &format!("read:orgs/{org} is unauthorized"),
    )
    .await;
    // Nothing changed.
    assert_eq!(
        json_of(app.get(&user_path, OPERATOR_TOKEN).await, 200).await["status"],
        "active"
    );
    assert_eq!(
        json_of(app.get(&org_path, OPERATOR_TOKEN).await, 200).await["name"],
        "my-org"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_can_be_renamed_and_have_members_and_owners() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let user2 = app.create_user("user2").await;
    let org_path = format!("/api/v2/orgs/{org}");

    let owners = json_of(app.get(&format!("{org_path}/owners"), OPERATOR_TOKEN).await, 200).await;
    assert_eq!(owners["users"][0]["id"], admin.as_str());
    assert_eq!(owners["users"][0]["role"], "owner");
    assert_eq!(owners["links"]["self"], format!("{org_path}/owners"));

    let added = json_of(
        app.post(&format!("{org_path}/members"), OPERATOR_TOKEN, json!({"id": user2}))
            .await,
        201,
    )
    .await;
    assert_eq!(added["role"], "member");
    assert_eq!(added["name"], "user2");
    let members = json_of(app.get(&format!("{org_path}/members"), OPERATOR_TOKEN).await, 200).await;
    assert_eq!(members["users"].as_array().unwrap().len(), 1);
    let mine = json_of(
        app.get(&format!("/api/v2/orgs?userID={user2}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(mine["orgs"][0]["id"], org.as_str());

    assert_eq!(
        app.delete(&format!("{org_path}/members/{user2}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );
    assert_error(
        app.delete(&format!("{org_path}/members/{user2}"), OPERATOR_TOKEN).await,
        404,
        "not found",
        "user is not a member of this organization",
    )
    .await;
    assert_error(
        app.post(
            &format!("{org_path}/members"),
            OPERATOR_TOKEN,
            json!({"id": "0000000000000bad"}),
        )
        .await,
        404,
        "not found",
        "user not found",
    )
    .await;
    assert_error(
        app.post(&format!("{org_path}/members"), OPERATOR_TOKEN, json!({}))
            .await,
        400,
        "invalid",
        "user id missing or invalid",
    )
    .await;
    assert_error(
        app.delete(&format!("{org_path}/members/xyz"), OPERATOR_TOKEN).await,
        400,
        "invalid",
        "id must have a length of 16 bytes",
    )
    .await;
    assert_eq!(
        json_of(
            app.get(&format!("/api/v2/orgs?userID={user2}"), OPERATOR_TOKEN).await,
            200
        )
        .await["orgs"],
        json!([])
    );

    let renamed = json_of(
        app.patch(
            &org_path,
            OPERATOR_TOKEN,
            json!({"name": "renamed", "description": "d"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(renamed["name"], "renamed");
    assert_eq!(renamed["description"], "d");
    let by_name = json_of(app.get("/api/v2/orgs?org=renamed", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(by_name["orgs"][0]["id"], org.as_str());
    json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "other"})).await,
        201,
    )
    .await;
    assert_error(
        app.patch(&org_path, OPERATOR_TOKEN, json!({"name": "other"})).await,
        422,
        "conflict",
        "organization with name other already exists",
    )
    .await;
    assert_error(
        app.patch(&org_path, OPERATOR_TOKEN, json!({"name": " "})).await,
        400,
        "invalid",
        "org name is empty",
    )
    .await;
    assert_error(
        app.delete("/api/v2/orgs/0000000000000bad", OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization not found",
    )
    .await;
}
