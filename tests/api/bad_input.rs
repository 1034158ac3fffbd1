//! Every bad-input case of contract §1 answers with its status and InfluxDB's JSON body, and changes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, TestApp, assert_error, json_of};

async fn post_raw(app: &TestApp, path: &str, body: &'static str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn count_tokens(app: &TestApp) -> usize {
    json_of(app.get("/api/v2/authorizations", OPERATOR_TOKEN).await, 200).await["authorizations"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ids_in_paths_and_queries_are_400() {
    let app = TestApp::spawn().await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({}));
        let short = app
            .send(
                method.clone(),
                "/api/v2/authorizations/abc",
                Some(OPERATOR_TOKEN),
                body.clone(),
            )
            .await;
        assert_error(short, 400, "invalid", "id must have a length of 16 bytes").await;
        let zero = app
            .send(
                method.clone(),
                "/api/v2/authorizations/0000000000000000",
                Some(OPERATOR_TOKEN),
                body.clone(),
            )
            .await;
        assert_error(zero, 400, "invalid", "invalid ID").await;
        let hex = app
            .send(
                method.clone(),
                "/api/v2/authorizations/zzzzzzzzzzzzzzzz",
                Some(OPERATOR_TOKEN),
                body,
            )
            .await;
        assert_error(hex, 400, "invalid", "invalid ID").await;
    }
    for query in ["userID=abc", "orgID=abc", "id=abc"] {
        let response = app
            .get(&format!("/api/v2/authorizations?{query}"), OPERATOR_TOKEN)
            .await;
        assert_error(response, 400, "invalid", "id must have a length of 16 bytes").await;
    }
    let response = app.get("/api/v2/authorizations?userID=%zz%00", OPERATOR_TOKEN).await;
    assert_eq!(response.status(), 400);
    let missing = app.get("/api/v2/authorizations/0000000000000bad", OPERATOR_TOKEN).await;
    assert_error(missing, 404, "not found", "authorization not found").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_create_bodies_get_influxdb_errors_and_store_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let read = json!({"action": "read", "resource": {"type": "buckets", "orgID": org}});
    let before = count_tokens(&app).await;

    let cases: Vec<(Value, u16, &str, String)> = vec![
        (
            json!({"orgID": org}),
            400,
            "invalid",
            "authorization must include permissions".into(),
        ),
        (
            json!({"orgID": org, "permissions": []}),
            400,
            "invalid",
            "authorization must include permissions".into(),
        ),
        (
            json!({"permissions": [read]}),
            400,
            "invalid",
            "org id required: invalid ID".into(),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "flows"}}]}),
            400,
            "invalid",
            "invalid resource type for permission: unknown resource type for permission".into(),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {}}]}),
            400,
            "invalid",
            "invalid resource type for permission: unknown resource type for permission".into(),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "delete", "resource": {"type": "buckets"}}]}),
            400,
            "invalid",
            "invalid action type for permission: unknown action for permission".into(),
        ),
        (
            json!({"orgID": "abc", "permissions": [read]}),
            400,
            "invalid",
            "invalid json structure: id must have a length of 16 bytes".into(),
        ),
        (
            json!({"orgID": "0000000000000000", "permissions": [read]}),
            400,
            "invalid",
            "invalid json structure: invalid ID".into(),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "id": "xyz"}}]}),
            400,
            "invalid",
            "invalid json structure: id must have a length of 16 bytes".into(),
        ),
        (
            json!({"orgID": org, "status": "paused", "permissions": [read]}),
            400,
            "invalid",
            "invalid status: must be active or inactive".into(),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": "00000000000004d2"}}]}),
            400,
            "invalid",
            format!("permission read:orgs/00000000000004d2/buckets is not for org id {org}"),
        ),
        (
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "instance"}}]}),
            403,
            "forbidden",
            "permission read:instance is not allowed: read:instance is unauthorized".into(),
        ),
        (
            json!({"orgID": "00000000000004d2", "permissions": [{"action": "read", "resource": {"type": "buckets"}}]}),
            400,
            "invalid",
            "unable to create token".into(),
        ),
        (
            json!({"orgID": org, "userID": "00000000000004d2", "permissions": [read]}),
            400,
            "invalid",
            "unable to create token".into(),
        ),
        (
            json!([1, 2]),
            400,
            "invalid",
            "invalid json structure: expected a JSON object".into(),
        ),
    ];
    for (body, status, code, message) in cases {
        let response = app.post("/api/v2/authorizations", OPERATOR_TOKEN, body.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_error(response, status, code, &message).await;
    }
    for raw in ["", "{", "not json", "{\"orgID\": 5}"] {
        let response = post_raw(&app, "/api/v2/authorizations", raw).await;
        let body = json_of(response, 400).await;
        assert_eq!(body["code"], "invalid", "{raw:?}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("invalid json structure: "),
            "{raw:?}"
        );
    }
    assert_eq!(count_tokens(&app).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_patch_bodies_are_400_and_change_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (id, _) = app
        .create_token(
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}),
        )
        .await;
    let path = format!("/api/v2/authorizations/{id}");
    let before = json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await;

    let response = app
        .patch(&path, OPERATOR_TOKEN, json!({"status": "paused", "description": "x"}))
        .await;
    assert_error(response, 400, "invalid", "unknown authorization status").await;
    for raw in ["", "{", "[]", "{\"status\": 1}"] {
        let response = app
            .client
            .patch(app.url(&path))
            .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
            .body(raw)
            .send()
            .await
            .unwrap();
        let body = json_of(response, 400).await;
        assert_eq!(body["code"], "invalid", "{raw:?}");
    }
    assert_eq!(json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_413_with_the_json_error() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/api/v2/authorizations"))
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .body(format!("{{\"description\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_error(response, 413, "request too large", "request body is too large").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deeply_nested_json_is_400_not_a_crash() {
    let app = TestApp::spawn().await;
    let deep: &'static str = Box::leak(format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_boxed_str());
    let response = post_raw(&app, "/api/v2/authorizations", deep).await;
    assert_eq!(json_of(response, 400).await["code"], "invalid");
    assert_eq!(app.get("/health", OPERATOR_TOKEN).await.status(), 200);
}

/// Any text JSON can carry is kept as given, on either engine: a NUL (which PostgreSQL's `text` and `jsonb`
/// refuse) in a user's name, an org's name and a token's description.
#[tokio::test(flavor = "multi_thread")]
async fn names_and_descriptions_with_a_nul_are_stored_and_found_as_given() {
    let app = TestApp::spawn().await;
    let user = json_of(
        app.post("/api/v2/users", OPERATOR_TOKEN, json!({"name": "nul\u{0}user"}))
            .await,
        201,
    )
    .await;
    assert_eq!(user["name"], "nul\u{0}user");
    let found = json_of(app.get("/api/v2/users?name=nul%00user", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(found["users"][0]["id"], user["id"]);
    let org = json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "nul\u{0}org"}))
            .await,
        201,
    )
    .await;
    let found = json_of(app.get("/api/v2/orgs?org=nul%00org", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(found["orgs"][0]["id"], org["id"]);
    let org_id = app.org_id().await;
    let created = json_of(
        app.post(
            "/api/v2/authorizations",
            OPERATOR_TOKEN,
            json!({"orgID": org_id, "description": "a\u{0}b",
                   "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org_id}}]}),
        )
        .await,
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let read = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(read["description"], "a\u{0}b");
}

/// A name longer than a database index entry may be (PostgreSQL's btree: ~2.7 kB) is stored and found, on either
/// engine, as InfluxDB would.
#[tokio::test(flavor = "multi_thread")]
async fn a_very_long_name_is_stored_and_found() {
    let app = TestApp::spawn().await;
    let name = "n".repeat(5000);
    let user = json_of(
        app.post("/api/v2/users", OPERATOR_TOKEN, json!({"name": name})).await,
        201,
    )
    .await;
    let found = json_of(
        app.get(&format!("/api/v2/users?name={name}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(found["users"][0]["id"], user["id"]);
    let again = app.post("/api/v2/users", OPERATOR_TOKEN, json!({"name": name})).await;
    assert_eq!(again.status().as_u16(), 422, "the same long name twice is a conflict");
}
