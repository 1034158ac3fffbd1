//! Onboarding over HTTP.

use reqwest::Method;
use serde_json::json;
use tests::{Options, TestApp, assert_error, json_of};

fn fresh() -> Options {
    Options {
        set_up: false,
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_creates_user_org_bucket_and_operator_token_once() {
    let app = TestApp::spawn_with(fresh()).await;
    assert_eq!(
        json_of(app.send(Method::GET, "/api/v2/setup", None, None).await, 200).await,
        json!({"allowed": true})
    );

    let body = json!({"username": "alice", "password": "password123", "org": "acme", "bucket": "metrics", "retentionPeriodSeconds": 3600});
    let done = json_of(
        app.send(Method::POST, "/api/v2/setup", None, Some(body.clone())).await,
        201,
    )
    .await;

    assert_eq!(done["user"]["name"], "alice");
    assert_eq!(done["user"]["status"], "active");
    assert_eq!(done["org"]["name"], "acme");
    assert_eq!(done["bucket"]["name"], "metrics");
    assert_eq!(done["bucket"]["retentionRules"][0]["everySeconds"], 3600);
    let auth = &done["auth"];
    assert_eq!(auth["description"], "alice's Token");
    assert_eq!(auth["permissions"].as_array().unwrap().len(), 44);
    assert!(
        auth["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["resource"]["type"] != "instance")
    );
    assert!(auth.get("org").is_none() && auth.get("user").is_none());
    assert!(auth["hashedToken"].as_str().unwrap().starts_with("$influxdb2-sha256$"));
    let token = auth["token"].as_str().unwrap();
    assert_eq!(token.len(), 88);

    // The token is the operator's, and setup is closed now.
    let me = json_of(app.get("/api/v2/me", token).await, 200).await;
    assert_eq!(me["name"], "alice");
    assert_eq!(
        json_of(app.send(Method::GET, "/api/v2/setup", None, None).await, 200).await,
        json!({"allowed": false})
    );
    let again = app.send(Method::POST, "/api/v2/setup", None, Some(body)).await;
    assert_error(again, 422, "conflict", "onboarding has already been completed").await;
    let buckets = json_of(app.get("/api/v2/buckets", token).await, 200).await;
    let mut names: Vec<&str> = buckets["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec!["_monitoring", "_tasks", "metrics"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_honours_a_given_token() {
    let app = TestApp::spawn_with(fresh()).await;
    let body = json!({"username": "u", "org": "o", "bucket": "b", "token": "my-known-token"});
    let done = json_of(app.send(Method::POST, "/api/v2/setup", None, Some(body)).await, 201).await;
    assert_eq!(done["auth"]["token"], "my-known-token");
    assert_eq!(app.get("/api/v2/authorizations", "my-known-token").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_setup_requests_are_refused_and_leave_setup_open() {
    let app = TestApp::spawn_with(fresh()).await;
    let short = json!({"username": "u", "password": "short", "org": "o", "bucket": "b"});
    let response = app.send(Method::POST, "/api/v2/setup", None, Some(short)).await;
    assert_error(response, 400, "invalid", "passwords must be at least 8 characters long").await;
    let missing = app
        .send(Method::POST, "/api/v2/setup", None, Some(json!({"org": "o"})))
        .await;
    assert_error(
        missing,
        422,
        "unprocessable entity",
        "onboarding failed: missing required fields [username,bucket]",
    )
    .await;
    let broken = app
        .client
        .post(app.url("/api/v2/setup"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(broken, 400).await["code"], "invalid");
    assert_eq!(
        json_of(app.send(Method::GET, "/api/v2/setup", None, None).await, 200).await,
        json!({"allowed": true})
    );
}
