//! The token middleware: header forms, public routes, authentication before routing, fidelity headers.

use reqwest::Method;
use tests::{OPERATOR_TOKEN, TestApp, assert_error, json_of};

async fn get_with(app: &TestApp, path: &str, authorization: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn token_and_bearer_are_accepted_in_any_case() {
    let app = TestApp::spawn().await;
    for scheme in ["Token", "token", "TOKEN", "Bearer", "bearer"] {
        let response = get_with(&app, "/api/v2/authorizations", &format!("{scheme} {OPERATOR_TOKEN}")).await;
        assert_eq!(response.status(), 200, "scheme {scheme}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_malformed_and_unknown_credentials_are_401() {
    let app = TestApp::spawn().await;
    let none = app.send(Method::GET, "/api/v2/authorizations", None, None).await;
    assert_error(none, 401, "unauthorized", "unauthorized access").await;
    for header in [
        format!("Basic {OPERATOR_TOKEN}"),
        format!("Token{OPERATOR_TOKEN}"),
        "Token".to_owned(),
        "Token ".to_owned(),
        format!("Token  {OPERATOR_TOKEN}"),
        format!("Token {OPERATOR_TOKEN}x"),
        "Token a.b.c".to_owned(),
        OPERATOR_TOKEN.to_owned(),
    ] {
        let response = get_with(&app, "/api/v2/authorizations", &header).await;
        let text = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(text, "application/json; charset=utf-8");
        assert_error(response, 401, "unauthorized", "unauthorized access").await;
    }
    // A non-UTF-8 header value is refused the same way.
    let response = app
        .client
        .get(app.url("/api/v2/authorizations"))
        .header(
            "Authorization",
            reqwest::header::HeaderValue::from_bytes(b"Token \xff\xfe").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "unauthorized", "unauthorized access").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn middleware_errors_are_compact_and_handler_errors_tab_indented() {
    let app = TestApp::spawn().await;
    let compact = app
        .send(Method::GET, "/api/v2/authorizations", None, None)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(compact, r#"{"code":"unauthorized","message":"unauthorized access"}"#);
    let pretty = app
        .get("/api/v2/authorizations/abc", OPERATOR_TOKEN)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        pretty,
        "{\n\t\"code\": \"invalid\",\n\t\"message\": \"id must have a length of 16 bytes\"\n}\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_runs_before_routing() {
    let app = TestApp::spawn().await;
    let unknown = app.send(Method::GET, "/api/v2/no-such-thing", None, None).await;
    assert_error(unknown, 401, "unauthorized", "unauthorized access").await;
    let known = app.get("/api/v2/no-such-thing", OPERATOR_TOKEN).await;
    assert_error(known, 404, "not found", "path not found").await;
    let wrong_method = app
        .send(Method::PUT, "/api/v2/authorizations", Some(OPERATOR_TOKEN), None)
        .await;
    assert_error(wrong_method, 405, "method not allowed", "allow: GET, POST").await;
    let wrong_method = app.send(Method::PUT, "/api/v2/authorizations", None, None).await;
    assert_error(wrong_method, 401, "unauthorized", "unauthorized access").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn public_routes_need_no_token() {
    let app = TestApp::spawn().await;
    for path in ["/api/v2", "/api/v2/setup", "/health", "/ready"] {
        let response = app.send(Method::GET, path, None, None).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    let ping = app.send(Method::GET, "/ping", None, None).await;
    assert_eq!(ping.status(), 204);
    let head = app.send(Method::HEAD, "/ping", None, None).await;
    assert_eq!(head.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_carries_the_build_headers() {
    let app = TestApp::spawn().await;
    let responses = [
        app.send(Method::GET, "/ping", None, None).await,
        app.send(Method::GET, "/api/v2/authorizations", None, None).await,
        app.get("/api/v2/nope", OPERATOR_TOKEN).await,
        app.get("/api/v2/authorizations", OPERATOR_TOKEN).await,
        app.send(Method::GET, "/nope", None, None).await,
        app.send(Method::PUT, "/api/v2/authorizations", Some(OPERATOR_TOKEN), None)
            .await,
        app.client
            .request(Method::OPTIONS, app.url("/api/v2/authorizations"))
            .header("origin", "http://example.com")
            .send()
            .await
            .unwrap(),
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses,
        [204, 401, 404, 200, 404, 405, 204],
        "one of each kind of answer"
    );
    for response in responses {
        assert_eq!(response.headers()["x-influxdb-build"], "OSS", "{}", response.url());
        assert!(
            response.headers()["x-influxdb-version"]
                .to_str()
                .unwrap()
                .starts_with("v2.")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trailing_slash_means_the_same_path() {
    let app = TestApp::spawn().await;
    let admin = app.admin_id().await;
    let with_slash = json_of(
        app.get(&format!("/api/v2/authorizations/?userID={admin}"), OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    let without = json_of(
        app.get(&format!("/api/v2/authorizations?userID={admin}"), OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    // The operator token's lastUsedAt moves between the two calls; everything else must be the same.
    let strip = |mut list: serde_json::Value| {
        for auth in list["authorizations"].as_array_mut().unwrap() {
            auth.as_object_mut().unwrap().remove("lastUsedAt");
        }
        list
    };
    assert_eq!(strip(with_slash), strip(without));
    let users = json_of(app.get("/api/v2/users/", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(users["users"][0]["name"], "admin");
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_echoes_the_origin_and_answers_preflight() {
    let app = TestApp::spawn().await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/v2/authorizations"))
        .header("Origin", "http://example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://example.test"
    );
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    let get = app
        .client
        .get(app.url("/api/v2/authorizations"))
        .header("Origin", "http://example.test")
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["access-control-allow-origin"], "http://example.test");
}
