//! Answers of `GET /api/v2/authorizations/{id}` kept as written between requests (issue 16): each change is seen
//! by the very next request, whatever it changed (the record, a name it shows, its last use), and the caller's
//! permissions are checked on every request.

use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, TestApp, assert_error, json_of};

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    json_of(app.get(path, token).await, 200).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_answer_never_outlives_a_change() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (id, token) = app
        .create_token(json!({"orgID": org, "description": "first", "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": org}}
        ]}))
        .await;
    let path = format!("/api/v2/authorizations/{id}");
    for round in 0..3 {
        // Asked twice: the second is answered from what the first wrote.
        let first = get(&app, &path, OPERATOR_TOKEN).await;
        assert_eq!(get(&app, &path, OPERATOR_TOKEN).await, first);

        // The description changes: the next GET shows it.
        let description = format!("round {round}");
        let patched = app
            .patch(&path, OPERATOR_TOKEN, json!({"description": description}))
            .await;
        assert_eq!(patched.status(), 200);
        assert_eq!(get(&app, &path, OPERATOR_TOKEN).await["description"], description);

        // A name the answer shows (the org's) changes: the next GET shows it.
        let name = format!("org-{round}");
        let renamed = app
            .patch(&format!("/api/v2/orgs/{org}"), OPERATOR_TOKEN, json!({"name": name}))
            .await;
        assert_eq!(renamed.status(), 200);
        let seen = get(&app, &path, OPERATOR_TOKEN).await;
        assert_eq!(seen["org"], name);
        assert_eq!(seen["permissions"][0]["resource"]["org"], name);

        // The token is used (its last use is not written yet): the next GET shows it.
        let before = get(&app, &path, OPERATOR_TOKEN).await;
        assert_eq!(app.get("/api/v2/buckets", &token).await.status(), 200);
        let after = get(&app, &path, OPERATOR_TOKEN).await;
        assert!(
            after["lastUsedAt"].as_str() > before["lastUsedAt"].as_str(),
            "{before} then {after}"
        );

        // A caller that may not read it is refused, right after the operator's answer was kept.
        assert_error(
            app.get(&path, &token).await,
            401,
            "unauthorized",
            &format!("read:orgs/{org}/authorizations/{id} is unauthorized"),
        )
        .await;
        // Not under the other kind's route either.
        assert_error(
            app.get(&format!("/private/legacy/authorizations/{id}"), OPERATOR_TOKEN)
                .await,
            404,
            "not found",
            "authorization not found",
        )
        .await;
    }
    // The operator's token deactivated: its next GET is refused, though the answer was kept.
    let operator_list = get(&app, "/api/v2/authorizations?user=admin", OPERATOR_TOKEN).await;
    let operator_id = operator_list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["description"] == "admin's Token")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, second) = app
        .create_token(json!({"orgID": org, "permissions": [
            {"action": "read", "resource": {"type": "authorizations"}},
            {"action": "write", "resource": {"type": "authorizations"}},
            {"action": "read", "resource": {"type": "users"}},
            {"action": "write", "resource": {"type": "users"}},
        ]}))
        .await;
    get(&app, &path, &second).await;
    let off = app
        .patch(
            &format!("/api/v2/authorizations/{operator_id}"),
            &second,
            json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_error(
        app.get(&path, OPERATOR_TOKEN).await,
        401,
        "unauthorized",
        "token is inactive",
    )
    .await;
    // Deleted: the next GET is 404.
    assert_eq!(app.delete(&path, &second).await.status(), 204);
    assert_error(
        app.get(&path, &second).await,
        404,
        "not found",
        "authorization not found",
    )
    .await;
}
