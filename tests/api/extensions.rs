//! Extensions beyond InfluxDB (issue 8): expiry, last use, paging and filters, client-chosen tokens. Each is
//! additive: without the new fields and parameters, answers are InfluxDB's.

use std::time::Duration;

use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, Options, TestApp, assert_error, json_of};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn bucket_read(org: &str) -> Value {
    json!([{"action": "read", "resource": {"type": "buckets", "orgID": org}}])
}

fn in_seconds(seconds: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
        .format(&Rfc3339)
        .unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refused_and_listed_as_expired() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let expires = in_seconds(2);
    let created = json_of(
        app.post(
            "/api/v2/authorizations",
            OPERATOR_TOKEN,
            json!({"orgID": org, "expiresAt": expires, "permissions": bucket_read(&org)}),
        )
        .await,
        201,
    )
    .await;
    let (id, token) = (
        created["id"].as_str().unwrap().to_owned(),
        created["token"].as_str().unwrap().to_owned(),
    );
    assert!(created["expiresAt"].is_string());
    let (_, forever) = app
        .create_token(json!({"orgID": org, "permissions": bucket_read(&org)}))
        .await;
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);

    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_error(
        app.get("/api/v2/buckets", &token).await,
        401,
        "unauthorized",
        "token has expired",
    )
    .await;
    assert_eq!(app.get("/api/v2/buckets", &forever).await.status(), 200);
    let expired = json_of(
        app.get("/api/v2/authorizations?status=expired", OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(ids(&expired), vec![id.clone()]);
    let active = json_of(
        app.get("/api/v2/authorizations?status=active", OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert!(!ids(&active).contains(&id));
    // The record itself is still there, still "active" in InfluxDB's terms: expiry is our own field.
    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(found["status"], "active");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_expiry_is_400() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    for (expires, message) in [
        (in_seconds(-60), "expiresAt must be in the future".to_owned()),
        (
            "tomorrow".to_owned(),
            "expiresAt must be an RFC 3339 time, not \"tomorrow\"".to_owned(),
        ),
    ] {
        let body = json!({"orgID": org, "expiresAt": expires, "permissions": bucket_read(&org)});
        assert_error(
            app.post("/api/v2/authorizations", OPERATOR_TOKEN, body).await,
            400,
            "invalid",
            &message,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn last_use_is_shown_at_once_and_kept_across_restarts() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (used, token) = app
        .create_token(json!({"orgID": org, "permissions": bucket_read(&org)}))
        .await;
    let (unused, _) = app
        .create_token(json!({"orgID": org, "permissions": bucket_read(&org)}))
        .await;
    let before = OffsetDateTime::now_utc();
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);

    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{used}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    let last = OffsetDateTime::parse(found["lastUsedAt"].as_str().unwrap(), &Rfc3339).unwrap();
    assert!(last >= before - time::Duration::seconds(1));
    let never = json_of(
        app.get(&format!("/api/v2/authorizations/{unused}"), OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    assert!(never.get("lastUsedAt").is_none());
    // unusedSince finds tokens never used, or last used before then.
    let stale = json_of(
        app.get(
            &format!("/api/v2/authorizations?unusedSince={}", in_seconds(-3600)),
            OPERATOR_TOKEN,
        )
        .await,
        200,
    )
    .await;
    assert!(ids(&stale).contains(&unused));
    assert!(!ids(&stale).contains(&used));

    // Written in the background within a few seconds, so a restart keeps it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir, Options::default()).await;
    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{used}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(
        OffsetDateTime::parse(found["lastUsedAt"].as_str().unwrap(), &Rfc3339).unwrap(),
        last
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_last_use_tracking_off_no_use_is_recorded() {
    let clock: std::sync::Arc<dyn server::Clock> = std::sync::Arc::new(server::SystemClock);
    let app = TestApp::spawn_custom(
        tempfile::tempdir().unwrap(),
        Options::default(),
        |config| config.track_last_used = false,
        clock,
    )
    .await;
    let org = app.org_id().await;
    let (id, token) = app
        .create_token(json!({"orgID": org, "permissions": bucket_read(&org)}))
        .await;
    assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);

    let found = json_of(
        app.get(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    // With tracking on, the use would show at once (the last test): here there is none, pending or written.
    assert!(found.get("lastUsedAt").is_none(), "{found}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_with_limit_and_after_and_filter_by_status_and_description() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let user2 = app.create_user("user2").await;
    let mut made = Vec::new();
    for n in 0..25 {
        let description = if n % 5 == 0 {
            format!("CI runner {n}")
        } else {
            format!("device {n}")
        };
        let status = if n % 2 == 0 { "active" } else { "inactive" };
        let (id, _) = app
            .create_token(json!({"orgID": org, "userID": user2, "description": description, "status": status, "permissions": bucket_read(&org)}))
            .await;
        made.push(id);
    }
    // Unpaged: InfluxDB's answer, everything and only links.self.
    let all = json_of(app.get("/api/v2/authorizations?user=user2", OPERATOR_TOKEN).await, 200).await;
    assert_eq!(ids(&all), made);
    assert_eq!(all["links"], json!({"self": "/api/v2/authorizations"}));

    // Paged: follow links.next to the end.
    let mut seen = Vec::new();
    let mut next = Some("/api/v2/authorizations?user=user2&limit=10".to_owned());
    while let Some(path) = next {
        let page = json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await;
        assert!(page["authorizations"].as_array().unwrap().len() <= 10);
        seen.extend(ids(&page));
        next = page["links"]["next"].as_str().map(str::to_owned);
        assert!(seen.len() <= 25, "paging does not end");
    }
    assert_eq!(seen, made);
    let third = json_of(
        app.get("/api/v2/authorizations?user=user2&limit=5&offset=10", OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&third), made[10..15].to_vec());

    let inactive = json_of(
        app.get("/api/v2/authorizations?user=user2&status=inactive", OPERATOR_TOKEN)
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&inactive).len(), 12);
    let ci = json_of(
        app.get(
            "/api/v2/authorizations?user=user2&description=ci%20RUNNER",
            OPERATOR_TOKEN,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        ids(&ci),
        vec![
            made[0].clone(),
            made[5].clone(),
            made[10].clone(),
            made[15].clone(),
            made[20].clone()
        ]
    );
    let both = json_of(
        app.get(
            "/api/v2/authorizations?user=user2&description=ci&status=active&limit=2",
            OPERATOR_TOKEN,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(ids(&both), vec![made[0].clone(), made[10].clone()]);
    assert!(both["links"]["next"].as_str().unwrap().contains("status=active"));

    for (query, message) in [
        ("limit=0", "limit must be between 1 and 1000"),
        ("limit=x", "limit must be between 1 and 1000"),
        ("offset=-1", "offset must be a non-negative integer"),
        ("after=xyz", "id must have a length of 16 bytes"),
        ("status=gone", "status must be active, inactive or expired"),
    ] {
        assert_error(
            app.get(&format!("/api/v2/authorizations?{query}"), OPERATOR_TOKEN)
                .await,
            400,
            "invalid",
            message,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_tokens_are_ignored_by_default_and_honoured_when_allowed() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let body = json!({"orgID": org, "token": "my-fixed-test-token-0001", "permissions": bucket_read(&org)});
    let created = json_of(
        app.post("/api/v2/authorizations", OPERATOR_TOKEN, body.clone()).await,
        201,
    )
    .await;
    assert_ne!(created["token"], "my-fixed-test-token-0001");
    assert_eq!(
        app.get("/api/v2/buckets", "my-fixed-test-token-0001").await.status(),
        401
    );

    let app = TestApp::spawn_with(Options {
        allow_client_tokens: true,
        ..Options::default()
    })
    .await;
    let org = app.org_id().await;
    let body = json!({"orgID": org, "token": "my-fixed-test-token-0001", "permissions": bucket_read(&org)});
    let created = json_of(
        app.post("/api/v2/authorizations", OPERATOR_TOKEN, body.clone()).await,
        201,
    )
    .await;
    assert_eq!(created["token"], "my-fixed-test-token-0001");
    assert_eq!(
        app.get("/api/v2/buckets", "my-fixed-test-token-0001").await.status(),
        200
    );
    assert_error(
        app.post("/api/v2/authorizations", OPERATOR_TOKEN, body).await,
        422,
        "conflict",
        "token already exists",
    )
    .await;
    let clash = json!({"orgID": org, "token": OPERATOR_TOKEN, "permissions": bucket_read(&org)});
    assert_error(
        app.post("/api/v2/authorizations", OPERATOR_TOKEN, clash).await,
        422,
        "conflict",
        "token already exists",
    )
    .await;
    for bad in ["short", "has spaces in it, too many", "ünïcödé-token-0000000"] {
        let body = json!({"orgID": org, "token": bad, "permissions": bucket_read(&org)});
        let response = app.post("/api/v2/authorizations", OPERATOR_TOKEN, body).await;
        assert_eq!(json_of(response, 400).await["code"], "invalid", "{bad}");
    }
}
