//! Sign-in sessions: the cookie, its permissions recomputed on every request, sign-out and expiry.

use reqwest::Method;
use serde_json::json;
use tests::{OPERATOR_TOKEN, Options, PASSWORD, TestApp, USERNAME, assert_error, json_of, session_cookie};

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_sets_influxdb_cookie_and_the_session_acts_as_the_user() {
    let app = TestApp::spawn().await;
    let response = app.sign_in(USERNAME, PASSWORD).await;
    assert_eq!(response.status(), 204);
    let set = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.starts_with("influxdb-oss-session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    let cookie = session_cookie(&response);

    let me = json_of(get_with_cookie(&app, "/api/v2/me", &cookie).await, 200).await;
    assert_eq!(me["name"], USERNAME);
    let tokens = json_of(get_with_cookie(&app, "/api/v2/authorizations", &cookie).await, 200).await;
    assert_eq!(tokens["authorizations"].as_array().unwrap().len(), 1);
    // A token header wins over the cookie.
    let with_bad_token = app
        .client
        .get(app.url("/api/v2/me"))
        .header("Cookie", &cookie)
        .header("Authorization", "Token nope")
        .send()
        .await
        .unwrap();
    assert_eq!(with_bad_token.status(), 401);

    // Sign-out ends the session.
    let out = app
        .client
        .post(app.url("/api/v2/signout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_error(
        get_with_cookie(&app, "/api/v2/me", &cookie).await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sign_ins_are_401() {
    let app = TestApp::spawn().await;
    assert_error(
        app.sign_in(USERNAME, "wrong-password").await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
    assert_error(
        app.sign_in("nobody", PASSWORD).await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
    let no_header = app.send(Method::POST, "/api/v2/signin", None, None).await;
    assert_error(no_header, 401, "unauthorized", "unauthorized access").await;
    let garbage = app
        .client
        .post(app.url("/api/v2/signin"))
        .header("Authorization", "Basic !!!")
        .send()
        .await
        .unwrap();
    assert_error(garbage, 401, "unauthorized", "unauthorized access").await;
    assert_error(
        get_with_cookie(&app, "/api/v2/me", "influxdb-oss-session=made-up").await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_loses_a_deleted_tokens_permissions_at_once() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let password = format!("/api/v2/users/{user2}/password");
    assert_eq!(
        app.post(&password, OPERATOR_TOKEN, json!({"password": "user2-password"}))
            .await
            .status(),
        204
    );
    let (id, _) = app
        .create_token(json!({"orgID": org, "userID": user2, "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]}))
        .await;
    let cookie = session_cookie(&app.sign_in("user2", "user2-password").await);
    let buckets = json_of(get_with_cookie(&app, "/api/v2/buckets", &cookie).await, 200).await;
    assert_eq!(buckets["buckets"].as_array().unwrap().len(), 3);

    assert_eq!(
        app.delete(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );

    let buckets = json_of(get_with_cookie(&app, "/api/v2/buckets", &cookie).await, 200).await;
    assert_eq!(buckets["buckets"], json!([]));
    // Deactivating the user ends what the session can do, too.
    app.patch(
        &format!("/api/v2/users/{user2}"),
        OPERATOR_TOKEN,
        json!({"status": "inactive"}),
    )
    .await;
    assert_error(
        get_with_cookie(&app, "/api/v2/me", &cookie).await,
        403,
        "forbidden",
        "User is inactive",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_is_refused() {
    let app = TestApp::spawn_with(Options {
        session_minutes: 0,
        ..Options::default()
    })
    .await;
    let cookie = session_cookie(&app.sign_in(USERNAME, PASSWORD).await);
    assert_error(
        get_with_cookie(&app, "/api/v2/me", &cookie).await,
        401,
        "unauthorized",
        "unauthorized access",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_never_allows_credentials() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v2/me"))
        .header("Origin", "http://evil.test")
        .header("Cookie", "influxdb-oss-session=whatever")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("access-control-allow-credentials").is_none());
}
