//! v1 authorizations (issue 15): `/private/legacy/authorizations` (contract §1.8) and v1 credentials at the check
//! endpoint (contract §4.2), through the real server on a real store (redb, or PostgreSQL in the PostgreSQL pass).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::RequestBuilder;
use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, Options, TestApp, USERNAME, assert_error, json_of};

const V1: &str = "/private/legacy/authorizations";
const CHECK: &str = "/api/v2/authz/check";
const PASSWORD: &str = "telegraf-password";

/// A set-up server and its org.
struct Fixture {
    app: TestApp,
    org: String,
}

impl Fixture {
    async fn new() -> Self {
        Self::on(TestApp::spawn().await).await
    }

    async fn on(app: TestApp) -> Self {
        let org = app.org_id().await;
        Self { app, org }
    }

    /// `read:orgs/<org>/buckets` for the v1 authorization `username`, owned by the operator's user.
    fn body(&self, username: &str) -> Value {
        json!({"token": username, "orgID": self.org, "description": "v1 client", "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": self.org}}
        ]})
    }

    /// Creates a v1 authorization with the operator token (and sets `password`, if given); returns it.
    async fn create(&self, username: &str, password: Option<&str>) -> Value {
        let created = json_of(self.app.post(V1, OPERATOR_TOKEN, self.body(username)).await, 201).await;
        if let Some(password) = password {
            self.set_password(created["id"].as_str().unwrap(), password, 204).await;
        }
        created
    }

    async fn set_password(&self, id: &str, password: &str, status: u16) {
        let response = self
            .app
            .post(
                &format!("{V1}/{id}/password"),
                OPERATOR_TOKEN,
                json!({"password": password}),
            )
            .await;
        assert_eq!(response.status().as_u16(), status, "{}", response.text().await.unwrap());
    }

    fn check(&self) -> RequestBuilder {
        self.app
            .client
            .get(self.app.url(CHECK))
            .query(&[("permission", format!("read:orgs/{}/buckets", self.org))])
    }

    /// The status of a check with `?u=&p=`.
    async fn check_query(&self, user: &str, password: &str) -> u16 {
        let response = self
            .check()
            .query(&[("u", user), ("p", password)])
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    /// A check with `?u=&p=` that must be refused as InfluxDB's v1 authorizer refuses: 401 `Unauthorized`.
    async fn assert_refused(&self, user: &str, password: &str) {
        let response = self
            .check()
            .query(&[("u", user), ("p", password)])
            .send()
            .await
            .unwrap();
        assert_error(response, 401, "unauthorized", "Unauthorized").await;
    }

    async fn list(&self, query: &str) -> Vec<Value> {
        let list = json_of(self.app.get(&format!("{V1}{query}"), OPERATOR_TOKEN).await, 200).await;
        assert_eq!(list["links"], json!({"self": V1}));
        list["authorizations"].as_array().unwrap().clone()
    }
}

fn ids(list: &[Value]) -> Vec<&str> {
    list.iter().map(|a| a["id"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_v1_authorization_is_created_found_updated_and_deleted_as_influxdb_does() {
    let fx = Fixture::new().await;
    let response = fx.app.post(V1, OPERATOR_TOKEN, fx.body("telegraf")).await;
    assert_eq!(response.status(), 201);
    let text = response.text().await.unwrap();
    let created: Value = serde_json::from_str(&text).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let admin = fx.app.admin_id().await;
    // InfluxDB's shape, tab-indented, keys in its order; `token` is the user name, never a secret.
    let keys: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("\t\""))
        .filter_map(|rest| rest.split_once('"').map(|(key, _)| key))
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "token",
            "status",
            "description",
            "orgID",
            "org",
            "userID",
            "user",
            "permissions",
            "links",
            "createdAt",
            "updatedAt"
        ]
    );
    assert_eq!(created["token"], "telegraf");
    assert_eq!(created["status"], "active");
    assert_eq!(created["org"], "my-org");
    assert_eq!(created["user"], USERNAME);
    assert_eq!(created["userID"], admin);
    assert_eq!(
        created["links"],
        json!({"self": format!("{V1}/{id}"), "user": format!("/api/v2/users/{admin}")})
    );
    assert_eq!(created["permissions"][0]["resource"]["org"], "my-org");

    fx.set_password(&id, PASSWORD, 204).await;
    let found = json_of(fx.app.get(&format!("{V1}/{id}"), OPERATOR_TOKEN).await, 200).await;
    assert_eq!(found["token"], "telegraf");
    // The password is never shown, in any form.
    let text = found.to_string();
    assert!(
        !text.contains(PASSWORD) && !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );

    let patched = json_of(
        fx.app
            .patch(
                &format!("{V1}/{id}"),
                OPERATOR_TOKEN,
                json!({"status": "inactive", "description": "off"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        (patched["status"].as_str(), patched["description"].as_str()),
        (Some("inactive"), Some("off"))
    );
    assert!(patched["updatedAt"].as_str() > created["updatedAt"].as_str());

    let deleted = fx.app.delete(&format!("{V1}/{id}"), OPERATOR_TOKEN).await;
    assert_eq!(deleted.status(), 204);
    for response in [
        fx.app.get(&format!("{V1}/{id}"), OPERATOR_TOKEN).await,
        fx.app.delete(&format!("{V1}/{id}"), OPERATOR_TOKEN).await,
        fx.app
            .post(
                &format!("{V1}/{id}/password"),
                OPERATOR_TOKEN,
                json!({"password": PASSWORD}),
            )
            .await,
    ] {
        assert_error(response, 404, "not found", "authorization not found").await;
    }
    // The name is free again.
    fx.create("telegraf", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_create_bodies_and_passwords_get_influxdbs_errors_and_write_nothing() {
    let fx = Fixture::new().await;
    let mut no_token = fx.body("x");
    no_token.as_object_mut().unwrap().remove("token");
    let mut empty_token = fx.body("");
    empty_token["token"] = json!("");
    for body in [no_token, empty_token] {
        assert_error(
            fx.app.post(V1, OPERATOR_TOKEN, body).await,
            400,
            "invalid",
            "token required for v1 user authorization type",
        )
        .await;
    }
    let mut no_permissions = fx.body("x");
    no_permissions["permissions"] = json!([]);
    assert_error(
        fx.app.post(V1, OPERATOR_TOKEN, no_permissions).await,
        400,
        "invalid",
        "authorization must include permissions",
    )
    .await;
    let mut no_org = fx.body("x");
    no_org.as_object_mut().unwrap().remove("orgID");
    assert_error(
        fx.app.post(V1, OPERATOR_TOKEN, no_org).await,
        400,
        "invalid",
        "org id required: invalid ID",
    )
    .await;
    let mut bad_status = fx.body("x");
    bad_status["status"] = json!("paused");
    assert_error(
        fx.app.post(V1, OPERATOR_TOKEN, bad_status).await,
        400,
        "invalid",
        "invalid status: must be active or inactive",
    )
    .await;
    assert!(fx.list("").await.is_empty());

    let first = fx.create("grafana", None).await;
    assert_error(
        fx.app.post(V1, OPERATOR_TOKEN, fx.body("grafana")).await,
        422,
        "conflict",
        "token already exists",
    )
    .await;
    assert_eq!(ids(&fx.list("").await), [first["id"].as_str().unwrap()]);

    let id = first["id"].as_str().unwrap();
    let short = fx
        .app
        .post(
            &format!("{V1}/{id}/password"),
            OPERATOR_TOKEN,
            json!({"password": "short"}),
        )
        .await;
    assert_error(short, 400, "invalid", "passwords must be at least 8 characters long").await;
    // The failed password change left no password behind.
    fx.assert_refused("grafana", "short").await;
    let malformed = fx.app.get(&format!("{V1}/not-an-id"), OPERATOR_TOKEN).await;
    assert_error(malformed, 400, "invalid", "id must have a length of 16 bytes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_and_v2_authorizations_are_kept_apart() {
    let fx = Fixture::new().await;
    // A v1 user name equal to a v2 token's value: no clash, and neither stands for the other.
    let v1 = fx.create(OPERATOR_TOKEN, Some(PASSWORD)).await;
    let v1_id = v1["id"].as_str().unwrap();
    let (v2_id, _) = fx
        .app
        .create_token(json!({"orgID": fx.org, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": fx.org}}
        ]}))
        .await;

    let v2_list = json_of(fx.app.get("/api/v2/authorizations", OPERATOR_TOKEN).await, 200).await;
    let v2_ids: Vec<&str> = v2_list["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        v2_ids.contains(&v2_id.as_str()) && !v2_ids.contains(&v1_id),
        "{v2_ids:?}"
    );
    assert_eq!(ids(&fx.list("").await), [v1_id]);

    for path in [format!("/api/v2/authorizations/{v1_id}"), format!("{V1}/{v2_id}")] {
        assert_error(
            fx.app.get(&path, OPERATOR_TOKEN).await,
            404,
            "not found",
            "authorization not found",
        )
        .await;
        let patched = fx.app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"})).await;
        assert_error(patched, 404, "not found", "authorization not found").await;
        assert_error(
            fx.app.delete(&path, OPERATOR_TOKEN).await,
            404,
            "not found",
            "authorization not found",
        )
        .await;
    }
    let filtered = json_of(
        fx.app
            .get(&format!("/api/v2/authorizations?id={v1_id}"), OPERATOR_TOKEN)
            .await,
        404,
    )
    .await;
    assert_eq!(filtered["message"], "authorization not found");
    // The operator token still works as a token, and as a v1 password it is not the v1 authorization's.
    assert_eq!(fx.app.get("/api/v2/me", OPERATOR_TOKEN).await.status(), 200);
    fx.assert_refused(OPERATOR_TOKEN, OPERATOR_TOKEN).await;
    assert_eq!(fx.check_query(OPERATOR_TOKEN, PASSWORD).await, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_as_v2_does_and_shows_only_what_the_caller_may_read() {
    let fx = Fixture::new().await;
    let admin_v1 = fx.create("admin-v1", None).await;
    let bob = fx.app.create_user("bob").await;
    let mut body = fx.body("bob-v1");
    body["userID"] = json!(bob);
    let bob_v1 = json_of(fx.app.post(V1, OPERATOR_TOKEN, body).await, 201).await;
    let (admin_id, bob_id) = (admin_v1["id"].as_str().unwrap(), bob_v1["id"].as_str().unwrap());

    assert_eq!(ids(&fx.list("").await), [admin_id, bob_id]);
    assert_eq!(ids(&fx.list(&format!("?id={bob_id}")).await), [bob_id]);
    assert_eq!(ids(&fx.list(&format!("?authID={bob_id}")).await), [bob_id]);
    assert_eq!(ids(&fx.list("?token=bob-v1").await), [bob_id]);
    assert_error(
        fx.app.get(&format!("{V1}?token=nobody"), OPERATOR_TOKEN).await,
        404,
        "not found",
        "authorization not found",
    )
    .await;
    assert_eq!(ids(&fx.list("?user=bob").await), [bob_id]);
    assert_eq!(ids(&fx.list(&format!("?userID={bob}")).await), [bob_id]);
    // `userID` wins over `user`, as in v2.
    assert_eq!(ids(&fx.list(&format!("?userID={bob}&user={USERNAME}")).await), [bob_id]);
    assert_eq!(ids(&fx.list("?org=my-org").await), [admin_id, bob_id]);
    assert_eq!(ids(&fx.list(&format!("?orgID={}&user=bob", fx.org)).await), [bob_id]);
    assert_error(
        fx.app.get(&format!("{V1}?user=nobody"), OPERATOR_TOKEN).await,
        404,
        "not found",
        "user not found",
    )
    .await;
    assert_error(
        fx.app.get(&format!("{V1}?userID=xyz"), OPERATOR_TOKEN).await,
        400,
        "invalid",
        "id must have a length of 16 bytes",
    )
    .await;

    // bob's own token (all of his org's authorizations, and himself) sees his v1 authorization only.
    let (_, bob_token) = fx
        .app
        .create_token(json!({"orgID": fx.org, "userID": bob, "permissions": [
            {"action": "read", "resource": {"type": "authorizations", "orgID": fx.org}},
            {"action": "read", "resource": {"type": "users", "id": bob}},
        ]}))
        .await;
    let seen = json_of(fx.app.get(V1, &bob_token).await, 200).await;
    assert_eq!(ids(seen["authorizations"].as_array().unwrap()), [bob_id]);
    let denied = fx.app.get(&format!("{V1}/{admin_id}"), &bob_token).await;
    assert_error(
        denied,
        401,
        "unauthorized",
        &format!("read:users/{} is unauthorized", fx.app.admin_id().await),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_and_changing_v1_authorizations_needs_v2s_permissions() {
    let fx = Fixture::new().await;
    let (_, reader) = fx
        .app
        .create_token(json!({"orgID": fx.org, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": fx.org}}
        ]}))
        .await;
    let refused = fx.app.post(V1, &reader, fx.body("sneaky")).await;
    assert_error(
        refused,
        401,
        "unauthorized",
        &format!("write:orgs/{}/authorizations is unauthorized", fx.org),
    )
    .await;
    // A token that may write authorizations and its user, but does not hold what it would hand out: 403.
    let admin = fx.app.admin_id().await;
    let (_, minter) = fx
        .app
        .create_token(json!({"orgID": fx.org, "permissions": [
            {"action": "write", "resource": {"type": "authorizations", "orgID": fx.org}},
            {"action": "read", "resource": {"type": "authorizations", "orgID": fx.org}},
            {"action": "write", "resource": {"type": "users", "id": admin}},
            {"action": "read", "resource": {"type": "users", "id": admin}},
        ]}))
        .await;
    let escalation = fx.app.post(V1, &minter, fx.body("sneaky")).await;
    assert_eq!(escalation.status(), 403, "{}", escalation.text().await.unwrap());
    assert!(fx.list("").await.is_empty());

    // Setting a password needs write on the owner.
    let target = fx.create("owned", None).await;
    let id = target["id"].as_str().unwrap();
    let response = fx
        .app
        .post(&format!("{V1}/{id}/password"), &reader, json!({"password": PASSWORD}))
        .await;
    assert_error(
        response,
        401,
        "unauthorized",
        &format!("write:users/{admin} is unauthorized"),
    )
    .await;
    fx.assert_refused("owned", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_credentials_pass_the_check_in_every_form_until_revoked() {
    let fx = Fixture::new().await;
    let created = fx.create("telegraf", Some(PASSWORD)).await;
    let id = created["id"].as_str().unwrap();
    let basic = format!("Basic {}", STANDARD.encode(format!("telegraf:{PASSWORD}")));
    let forms = || {
        [
            fx.check().query(&[("u", "telegraf"), ("p", PASSWORD)]),
            fx.check().header("Authorization", format!("Token telegraf:{PASSWORD}")),
            fx.check().header("Authorization", basic.clone()),
            // nginx: the original request's `u`/`p`, in X-Original-URI.
            fx.check()
                .header("X-Original-URI", format!("/query?db=telegraf&u=telegraf&p={PASSWORD}")),
        ]
    };
    for request in forms() {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(response.headers()["x-influx-authz-authorization-id"], id);
        assert_eq!(response.headers()["x-influx-authz-user"], USERNAME);
    }
    // A permission it does not hold is 403, not 401.
    let denied = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", "write:buckets"), ("u", "telegraf"), ("p", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);

    fx.assert_refused("telegraf", "wrong-password").await;
    // An unknown name: the password is tried as a v2 token (the name is ignored), as InfluxDB does.
    fx.assert_refused("nobody", PASSWORD).await;
    assert_eq!(fx.check_query("nobody", OPERATOR_TOKEN).await, 204);
    // With `u` and `p` the `u` comes first, even before a valid header.
    let first = fx
        .check()
        .query(&[("u", "telegraf"), ("p", "wrong-password")])
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 401);

    // Deactivated: refused on the very next request, in every form; reactivated: let in again.
    let path = format!("{V1}/{id}");
    fx.app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"})).await;
    for request in forms() {
        assert_error(request.send().await.unwrap(), 401, "unauthorized", "Unauthorized").await;
    }
    fx.app.patch(&path, OPERATOR_TOKEN, json!({"status": "active"})).await;
    assert_eq!(fx.check_query("telegraf", PASSWORD).await, 204);
    // A new password replaces the old one at once.
    fx.set_password(id, "another-password", 204).await;
    fx.assert_refused("telegraf", PASSWORD).await;
    assert_eq!(fx.check_query("telegraf", "another-password").await, 204);
    // Its user deactivated: refused; back: let in.
    let bob = fx.app.create_user("bob").await;
    let mut body = fx.body("bob-v1");
    body["userID"] = json!(bob);
    let bob_v1 = json_of(fx.app.post(V1, OPERATOR_TOKEN, body).await, 201).await;
    fx.set_password(bob_v1["id"].as_str().unwrap(), PASSWORD, 204).await;
    assert_eq!(fx.check_query("bob-v1", PASSWORD).await, 204);
    let bob_path = format!("/api/v2/users/{bob}");
    fx.app
        .patch(&bob_path, OPERATOR_TOKEN, json!({"status": "inactive"}))
        .await;
    fx.assert_refused("bob-v1", PASSWORD).await;
    fx.app
        .patch(&bob_path, OPERATOR_TOKEN, json!({"status": "active"}))
        .await;
    assert_eq!(fx.check_query("bob-v1", PASSWORD).await, 204);

    // Deleted: refused on the very next request.
    assert_eq!(fx.app.delete(&path, OPERATOR_TOKEN).await.status(), 204);
    fx.assert_refused("telegraf", "another-password").await;
    // One without a password matches no password, not even an empty one.
    fx.create("no-password", None).await;
    fx.assert_refused("no-password", "anything-at-all").await;
    let empty = fx
        .check()
        .query(&[("u", "no-password"), ("p", "")])
        .send()
        .await
        .unwrap();
    assert_error(empty, 401, "unauthorized", "unauthorized access").await;
}

/// Median seconds of `runs` checks with `?u=&p=`.
async fn median_check(fx: &Fixture, user: &str, password: &str, runs: usize) -> f64 {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        assert_eq!(fx.check_query(user, password).await, 401);
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_takes_as_long_as_an_unknown_name() {
    let fx = Fixture::new().await;
    fx.create("telegraf", Some(PASSWORD)).await;
    fx.create("no-password", None).await;
    // Alternating rounds, so that the machine's load falls on each kind alike.
    let (mut wrong, mut unknown, mut unset) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        wrong.push(median_check(&fx, "telegraf", "wrong-password", 5).await);
        unknown.push(median_check(&fx, "nobody-at-all", "wrong-password", 5).await);
        unset.push(median_check(&fx, "no-password", "wrong-password", 5).await);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (wrong, unknown, unset) = (median(wrong), median(unknown), median(unset));
    // Each path verifies one slow password hash (milliseconds); a path that skipped it would be a hundred times
    // faster, far outside these bounds.
    for (name, other) in [("unknown name", unknown), ("no password set", unset)] {
        let ratio = other / wrong;
        assert!(
            (0.5..2.0).contains(&ratio),
            "{name}: {other:.4}s vs a wrong password's {wrong:.4}s (ratio {ratio:.2})"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_v1_passwords_count_towards_the_failure_limit_and_are_audited_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_custom(
        dir,
        Options::default(),
        |config| config.auth_failure_limit = 3,
        std::sync::Arc::new(server::SystemClock),
    )
    .await;
    let fx = Fixture::on(app).await;
    let created = fx.create("telegraf", Some(PASSWORD)).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(fx.check_query("telegraf", PASSWORD).await, 204);
    fx.assert_refused("telegraf", "wrong-password").await;
    fx.assert_refused("nobody", "wrong-password").await;

    // Audited: every change, and the failed sign-ins with their reason; never the password.
    let entries = |query: String| {
        let app = &fx.app;
        async move {
            let page = json_of(app.get(&format!("/api/v2/audit?{query}"), OPERATOR_TOKEN).await, 200).await;
            page["entries"].as_array().unwrap().clone()
        }
    };
    for action in ["v1_authorization.create", "v1_authorization.password"] {
        let found = entries(format!("action={action}")).await;
        assert_eq!(found.len(), 1, "{action}: {found:#?}");
        assert_eq!(found[0]["target"]["id"], id);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let failures = loop {
        let found = entries("action=authentication".to_owned()).await;
        if found.len() >= 2 || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let wrong = failures
        .iter()
        .find(|e| e["reason"] == "wrong v1 password")
        .unwrap_or_else(|| panic!("{failures:#?}"));
    assert_eq!(wrong["actor"]["credential"], "v1");
    assert_eq!(wrong["actor"]["authorizationID"], id);
    assert_eq!(wrong["actor"]["user"], USERNAME);
    assert!(
        failures.iter().any(|e| e["reason"] == "unknown v1 user name or token"),
        "{failures:#?}"
    );
    let everything = entries("limit=1000".to_owned()).await;
    let text = serde_json::to_string(&everything).unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("wrong-password"), "{text}");

    // Counted in /metrics, by outcome.
    let metrics = fx
        .app
        .client
        .get(fx.app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        r#"influx_authz_authentications_total{credential="v1",outcome="success"} 1"#,
        r#"influx_authz_authentications_total{credential="v1",outcome="unknown"} 2"#,
    ] {
        assert!(metrics.contains(line), "no {line} in\n{metrics}");
    }
    assert!(!metrics.contains(PASSWORD));

    // A third failure blocks the address, even with the right password.
    fx.assert_refused("telegraf", "wrong-password").await;
    let blocked = fx
        .check()
        .query(&[("u", "telegraf"), ("p", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_error(
        blocked,
        429,
        "too many requests",
        "too many failed authentications; try again later",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_org_removes_its_v1_authorizations() {
    let fx = Fixture::new().await;
    let other = json_of(
        fx.app
            .post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "other-org"}))
            .await,
        201,
    )
    .await;
    let other_id = other["id"].as_str().unwrap();
    let body = json!({"token": "doomed", "orgID": other_id, "permissions": [
        {"action": "read", "resource": {"type": "buckets", "orgID": other_id}}
    ]});
    let doomed = json_of(fx.app.post(V1, OPERATOR_TOKEN, body).await, 201).await;
    fx.set_password(doomed["id"].as_str().unwrap(), PASSWORD, 204).await;
    let kept = fx.create("kept", Some(PASSWORD)).await;
    let check = |org: &str| {
        fx.app
            .client
            .get(fx.app.url(CHECK))
            .query(&[("permission", format!("read:orgs/{org}/buckets"))])
    };
    let allowed = check(other_id)
        .query(&[("u", "doomed"), ("p", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 204);

    let deleted = fx.app.delete(&format!("/api/v2/orgs/{other_id}"), OPERATOR_TOKEN).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(ids(&fx.list("").await), [kept["id"].as_str().unwrap()]);
    let refused = check(other_id)
        .query(&[("u", "doomed"), ("p", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_error(refused, 401, "unauthorized", "Unauthorized").await;
    // The name is free again.
    fx.create("doomed", None).await;
}
