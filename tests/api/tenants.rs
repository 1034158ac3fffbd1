//! What clients need around tokens: ping, health, ready, the API root, resources, orgs, users, me, buckets.

use reqwest::Method;
use serde_json::json;
use tests::{OPERATOR_TOKEN, TestApp, assert_error, json_of};

#[tokio::test(flavor = "multi_thread")]
async fn ping_health_ready_and_the_api_root_answer_like_influxdb() {
    let app = TestApp::spawn().await;
    let ping = app.send(Method::GET, "/ping", None, None).await;
    assert_eq!(ping.status(), 204);
    assert_eq!(ping.headers()["x-influxdb-build"], "OSS");
    assert!(ping.headers().get("content-type").is_none());

    let health = json_of(app.send(Method::GET, "/health", None, None).await, 200).await;
    assert_eq!(health["name"], "influxdb");
    assert_eq!(health["status"], "pass");
    assert_eq!(health["checks"], json!([]));

    let ready = json_of(app.send(Method::GET, "/ready", None, None).await, 200).await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["up"].as_str().unwrap().ends_with('s'));

    let root = json_of(app.send(Method::GET, "/api/v2", None, None).await, 200).await;
    assert_eq!(root["authorizations"], "/api/v2/authorizations");
    assert_eq!(root["query"]["self"], "/api/v2/query");
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_lists_the_23_types_in_order() {
    let app = TestApp::spawn().await;
    let types = json_of(app.get("/api/v2/resources", OPERATOR_TOKEN).await, 200).await;
    let types = types.as_array().unwrap();
    assert_eq!(types.len(), 23);
    assert_eq!(types[0], "authorizations");
    assert_eq!(types[3], "orgs");
    assert_eq!(types[22], "instance");
}

#[tokio::test(flavor = "multi_thread")]
async fn orgs_can_be_listed_filtered_and_created() {
    let app = TestApp::spawn().await;
    let orgs = json_of(app.get("/api/v2/orgs?org=my-org", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(orgs["links"]["self"], "/api/v2/orgs");
    let org = &orgs["orgs"][0];
    assert_eq!(org["name"], "my-org");
    assert_eq!(
        org["links"]["self"],
        format!("/api/v2/orgs/{}", org["id"].as_str().unwrap())
    );
    assert_error(
        app.get("/api/v2/orgs?org=nope", OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization name \"nope\" not found",
    )
    .await;
    let by_id = json_of(
        app.get(
            &format!("/api/v2/orgs?orgID={}", org["id"].as_str().unwrap()),
            OPERATOR_TOKEN,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_id["orgs"][0]["name"], "my-org");

    let created = json_of(
        app.post(
            "/api/v2/orgs",
            OPERATOR_TOKEN,
            json!({"name": "second", "description": "d"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["description"], "d");
    let duplicate = app
        .post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "second"}))
        .await;
    assert_error(
        duplicate,
        422,
        "conflict",
        "organization with name second already exists",
    )
    .await;
    assert_error(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": ""})).await,
        400,
        "invalid",
        "org name is empty",
    )
    .await;
    assert_eq!(
        json_of(app.get("/api/v2/orgs", OPERATOR_TOKEN).await, 200).await["orgs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_error(
        app.get("/api/v2/orgs?limit=1000", OPERATOR_TOKEN).await,
        400,
        "invalid",
        "limit must be between 1 and 100",
    )
    .await;
    let paged = json_of(app.get("/api/v2/orgs?limit=1&offset=1", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(paged["orgs"][0]["name"], "second");
}

#[tokio::test(flavor = "multi_thread")]
async fn users_and_me() {
    let app = TestApp::spawn().await;
    let me = json_of(app.get("/api/v2/me", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(me["name"], "admin");
    assert_eq!(
        me["links"]["self"],
        format!("/api/v2/users/{}", me["id"].as_str().unwrap())
    );
    let user2 = app.create_user("user2").await;
    let by_name = json_of(app.get("/api/v2/users?name=user2", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(by_name["users"][0]["id"], user2.as_str());
    let everyone = json_of(app.get("/api/v2/users?name=", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(everyone["users"].as_array().unwrap().len(), 2);
    assert_error(
        app.get("/api/v2/users?name=nobody", OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
    assert_error(
        app.get("/api/v2/users?id=0000000000000bad", OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
    let by_id = json_of(app.get(&format!("/api/v2/users/{user2}"), OPERATOR_TOKEN).await, 200).await;
    assert_eq!(by_id["name"], "user2");
    let duplicate = app
        .post("/api/v2/users", OPERATOR_TOKEN, json!({"name": "user2"}))
        .await;
    assert_error(duplicate, 422, "conflict", "user with name user2 already exists").await;

    // A bucket-only token may not read its own user.
    let org = app.org_id().await;
    let (_, token) = app
        .create_token(
            json!({"orgID": org, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}),
        )
        .await;
    let admin = app.admin_id().await;
    assert_error(
        app.get("/api/v2/me", &token).await,
        401,
        "unauthorized",
        &format!("read:users/{admin} is unauthorized"),
    )
    .await;
    let users = json_of(app.get("/api/v2/users", &token).await, 200).await;
    assert_eq!(users["users"], json!([]));
    let create = app.post("/api/v2/users", &token, json!({"name": "x"})).await;
    assert_error(create, 401, "unauthorized", "write:users is unauthorized").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_can_be_listed_filtered_and_created() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let list = json_of(
        app.get("/api/v2/buckets?org=my-org&name=my-bucket", OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    let bucket = &list["buckets"][0];
    assert_eq!(bucket["type"], "user");
    assert_eq!(bucket["orgID"], org.as_str());
    assert!(
        list["links"]["self"]
            .as_str()
            .unwrap()
            .starts_with("/api/v2/buckets?descending=false&limit=20&offset=0")
    );

    let body = json!({"orgID": org, "name": "new", "retentionRules": [{"type": "expire", "everySeconds": 86400}]});
    let created = json_of(app.post("/api/v2/buckets", OPERATOR_TOKEN, body.clone()).await, 201).await;
    assert_eq!(created["retentionRules"][0]["everySeconds"], 86400);
    assert_error(
        app.post("/api/v2/buckets", OPERATOR_TOKEN, body).await,
        422,
        "conflict",
        "bucket with name new already exists",
    )
    .await;
    let missing_org = app
        .post(
            "/api/v2/buckets",
            OPERATOR_TOKEN,
            json!({"orgID": "00000000000004d2", "name": "x"}),
        )
        .await;
    assert_error(missing_org, 404, "not found", "organization not found").await;
    assert_error(
        app.get("/api/v2/buckets?org=nope", OPERATOR_TOKEN).await,
        404,
        "not found",
        "organization name \"nope\" not found",
    )
    .await;
    let by_id = json_of(
        app.get(
            &format!("/api/v2/buckets?id={}", created["id"].as_str().unwrap()),
            OPERATOR_TOKEN,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_id["buckets"][0]["name"], "new");
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_page_with_after_and_next_links_and_are_found_by_id() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    for name in ["b1", "b2", "b3"] {
        json_of(
            app.post("/api/v2/buckets", OPERATOR_TOKEN, json!({"orgID": org, "name": name}))
                .await,
            201,
        )
        .await;
    }
    // 6 buckets: my-bucket, _tasks, _monitoring, b1, b2, b3. Walk them two at a time with `after`.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(id) => format!("/api/v2/buckets?limit=2&after={id}"),
            None => "/api/v2/buckets?limit=2".to_owned(),
        };
        let page = json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await;
        let buckets = page["buckets"].as_array().unwrap();
        seen.extend(buckets.iter().map(|b| b["id"].as_str().unwrap().to_owned()));
        if page["links"].get("next").is_none() {
            break;
        }
        after = Some(buckets.last().unwrap()["id"].as_str().unwrap().to_owned());
        assert!(seen.len() <= 6, "paging does not end");
    }
    assert_eq!(seen.len(), 6);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);

    let first = json_of(
        app.get(&format!("/api/v2/buckets/{}", seen[0]), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(first["id"], seen[0].as_str());
    assert_error(
        app.get("/api/v2/buckets/0000000000000bad", OPERATOR_TOKEN).await,
        404,
        "not found",
        "bucket not found",
    )
    .await;
    assert_error(
        app.get("/api/v2/buckets/bad", OPERATOR_TOKEN).await,
        400,
        "invalid",
        "id must have a length of 16 bytes",
    )
    .await;
}
