//! The audit trail (an extension), through the real server: every kind of change, sign-in and sign-out, and failed
//! authentication gets exactly its entry (actor, target, address, outcome); a refused change gets none; failures
//! arrive after the background flush, capped with a summary; pages walk every entry once; only operators may read
//! it; retention prunes; the stdout mirror prints what was committed; and no token, password or session key is
//! ever in an entry, the mirror or the database file.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use server::Clock;
use tests::{OPERATOR_TOKEN, Options, PASSWORD, Process, TestApp, USERNAME, assert_error, json_of, session_cookie};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How long to wait for the background flush (every second) before giving up. Generous: only the failure is timed.
const DEADLINE: Duration = Duration::from_secs(30);

/// A clock the test moves.
struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    fn at(at: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(Mutex::new(at)))
    }

    fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// `GET /api/v2/audit?<query>` with the operator token: the entries.
async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let page = json_of(app.get(&format!("/api/v2/audit?{query}"), OPERATOR_TOKEN).await, 200).await;
    page["entries"].as_array().unwrap().clone()
}

/// The entries of `action` whose target has the ID `id`.
async fn entries_for(app: &TestApp, action: &str, id: &str) -> Vec<Value> {
    audit(app, &format!("action={action}&limit=1000"))
        .await
        .into_iter()
        .filter(|entry| entry["target"]["id"] == id)
        .collect()
}

/// Exactly one entry of `action` about `id`.
async fn the_entry(app: &TestApp, action: &str, id: &str) -> Value {
    let found = entries_for(app, action, id).await;
    assert_eq!(found.len(), 1, "want exactly one {action} entry for {id}: {found:#?}");
    found.into_iter().next().unwrap()
}

/// Polls `GET /api/v2/audit?<query>` until an entry satisfies `wanted` (failures are flushed in the background).
async fn wait_for(app: &TestApp, query: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(entry) = audit(app, query).await.into_iter().find(|e| wanted(e)) {
            return entry;
        }
        assert!(Instant::now() < deadline, "no entry for {query} appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn operator_authorization(app: &TestApp) -> String {
    let list = json_of(app.get("/api/v2/authorizations?user=admin", OPERATOR_TOKEN).await, 200).await;
    list["authorizations"][0]["id"].as_str().unwrap().to_owned()
}

/// The operator acting through its token, as entries name it.
async fn operator_actor(app: &TestApp) -> Value {
    json!({
        "userID": app.admin_id().await,
        "user": USERNAME,
        "credential": "token",
        "authorizationID": operator_authorization(app).await,
    })
}

fn bucket_read(org: &str) -> Value {
    json!([{"action": "read", "resource": {"type": "buckets", "orgID": org}}])
}

fn assert_recent_rfc3339(entry: &Value) {
    let text = entry["time"].as_str().unwrap();
    assert!(text.ends_with('Z'), "not UTC: {text}");
    OffsetDateTime::parse(text, &Rfc3339).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn token_changes_are_recorded_with_who_what_and_from_where() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let actor = operator_actor(&app).await;

    let (id, _) = app
        .create_token(json!({"orgID": org, "description": "ci", "permissions": bucket_read(&org)}))
        .await;
    let patched = app
        .patch(
            &format!("/api/v2/authorizations/{id}"),
            OPERATOR_TOKEN,
            json!({"status": "inactive", "description": "ci, retired"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let deleted = app
        .delete(&format!("/api/v2/authorizations/{id}"), OPERATOR_TOKEN)
        .await;
    assert_eq!(deleted.status(), 204);

    let target = json!({"type": "authorizations", "id": id, "orgID": org, "userID": admin});
    let created = the_entry(&app, "authorization.create", &id).await;
    assert_eq!(created["outcome"], "success");
    assert_eq!(created["actor"], actor);
    assert_eq!(created["target"], target);
    assert_eq!(created["remote"], "127.0.0.1");
    assert!(created.get("reason").is_none());
    assert_recent_rfc3339(&created);

    let updated = the_entry(&app, "authorization.update", &id).await;
    let mut changed = target.clone();
    changed["changes"] = json!({"status": "inactive", "description": "ci, retired"});
    assert_eq!(updated["target"], changed);
    assert_eq!(updated["actor"], actor);
    assert_eq!(updated["remote"], "127.0.0.1");

    let removed = the_entry(&app, "authorization.delete", &id).await;
    assert_eq!(removed["target"], target);
    assert_eq!(removed["outcome"], "success");

    // Newest first, each with its own sequence number.
    let newest = audit(&app, "limit=3").await;
    let actions: Vec<&str> = newest.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["authorization.delete", "authorization.update", "authorization.create"]
    );
    assert!(newest[0]["id"].as_u64() > newest[1]["id"].as_u64());

    // The boot-time setup (DOCKER_INFLUXDB_INIT_*) was the server's own doing.
    let setup = audit(&app, "action=setup").await;
    assert_eq!(setup.len(), 1);
    assert_eq!(setup[0]["actor"], json!({"credential": "server"}));
    assert_eq!(
        setup[0]["target"],
        json!({"type": "orgs", "id": org, "name": tests::ORG, "userID": admin})
    );
    assert!(setup[0].get("remote").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn user_org_bucket_and_membership_changes_are_recorded() {
    let app = TestApp::spawn().await;
    let actor = operator_actor(&app).await;

    let user = app.create_user("alice").await;
    let renamed = app
        .patch(
            &format!("/api/v2/users/{user}"),
            OPERATOR_TOKEN,
            json!({"name": "alice2", "status": "inactive"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let password = app
        .post(
            &format!("/api/v2/users/{user}/password"),
            OPERATOR_TOKEN,
            json!({"password": "alice-secret-password"}),
        )
        .await;
    assert_eq!(password.status(), 204);

    let org = json_of(
        app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": "acme"})).await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = app
        .patch(
            &format!("/api/v2/orgs/{org}"),
            OPERATOR_TOKEN,
            json!({"name": "acme2", "description": "the second"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let bucket = json_of(
        app.post(
            "/api/v2/buckets",
            OPERATOR_TOKEN,
            json!({"orgID": org, "name": "telemetry"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, status) in [
        (format!("/api/v2/orgs/{org}/members"), 201),
        (format!("/api/v2/orgs/{org}/owners"), 201),
    ] {
        let added = app.post(&path, OPERATOR_TOKEN, json!({"id": user})).await;
        assert_eq!(added.status(), status);
    }
    for path in [
        format!("/api/v2/orgs/{org}/owners/{user}"),
        format!("/api/v2/orgs/{org}/members/{user}"),
    ] {
        // The owner role replaced the member role, so the member removal finds nothing (404, and no entry).
        let _ = app.delete(&path, OPERATOR_TOKEN).await;
    }
    assert_eq!(
        app.delete(&format!("/api/v2/orgs/{org}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.delete(&format!("/api/v2/users/{user}"), OPERATOR_TOKEN)
            .await
            .status(),
        204
    );

    let check = |entry: &Value, target: Value| {
        assert_eq!(entry["outcome"], "success", "{entry}");
        assert_eq!(entry["actor"], actor, "{entry}");
        assert_eq!(entry["target"], target, "{entry}");
        assert_eq!(entry["remote"], "127.0.0.1", "{entry}");
    };
    check(
        &the_entry(&app, "user.create", &user).await,
        json!({"type": "users", "id": user, "name": "alice"}),
    );
    check(
        &the_entry(&app, "user.update", &user).await,
        json!({"type": "users", "id": user, "name": "alice", "changes": {"name": "alice2", "status": "inactive"}}),
    );
    let password_entry = the_entry(&app, "user.password", &user).await;
    check(&password_entry, json!({"type": "users", "id": user, "name": "alice2"}));
    assert!(!password_entry.to_string().contains("alice-secret-password"));
    check(
        &the_entry(&app, "org.create", &org).await,
        json!({"type": "orgs", "id": org, "name": "acme"}),
    );
    check(
        &the_entry(&app, "org.update", &org).await,
        json!({"type": "orgs", "id": org, "name": "acme", "changes": {"name": "acme2", "description": "the second"}}),
    );
    check(
        &the_entry(&app, "bucket.create", &bucket).await,
        json!({"type": "buckets", "id": bucket, "orgID": org, "name": "telemetry"}),
    );
    let membership = json!({"type": "users", "id": user, "orgID": org, "name": "alice2"});
    check(&the_entry(&app, "member.add", &user).await, membership.clone());
    check(&the_entry(&app, "owner.add", &user).await, membership.clone());
    check(&the_entry(&app, "owner.remove", &user).await, membership);
    assert!(
        entries_for(&app, "member.remove", &user).await.is_empty(),
        "a 404 removal left an entry"
    );
    check(
        &the_entry(&app, "org.delete", &org).await,
        json!({"type": "orgs", "id": org, "name": "acme2"}),
    );
    check(
        &the_entry(&app, "user.delete", &user).await,
        json!({"type": "users", "id": user, "name": "alice2"}),
    );

    // userID finds what the user did and what was done to them.
    let about = audit(&app, &format!("userID={user}&limit=1000")).await;
    let mut actions: Vec<&str> = about.iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "member.add",
            "owner.add",
            "owner.remove",
            "user.create",
            "user.delete",
            "user.password",
            "user.update"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_setup_is_recorded_with_its_address() {
    let app = TestApp::spawn_with(Options {
        set_up: false,
        ..Options::default()
    })
    .await;
    let body = json!({"username": "root", "password": "root-password", "org": "o", "bucket": "b",
                      "token": "client-setup-operator-token"});
    let done = json_of(app.send(Method::POST, "/api/v2/setup", None, Some(body)).await, 201).await;
    let page = json_of(app.get("/api/v2/audit", "client-setup-operator-token").await, 200).await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    assert_eq!(entries[0]["action"], "setup");
    assert_eq!(entries[0]["actor"], json!({"credential": "none"}));
    assert_eq!(entries[0]["remote"], "127.0.0.1");
    assert_eq!(
        entries[0]["target"],
        json!({"type": "orgs", "id": done["org"]["id"], "name": "o", "userID": done["user"]["id"]})
    );
    assert!(!page.to_string().contains("root-password"));
    assert!(!page.to_string().contains("client-setup-operator-token"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_sign_out_and_own_password_are_recorded_and_failed_sign_ins_after_the_flush() {
    let app = TestApp::spawn().await;
    let admin = app.admin_id().await;

    let signed_in = app.sign_in(USERNAME, PASSWORD).await;
    assert_eq!(signed_in.status(), 204);
    let cookie = session_cookie(&signed_in);
    let own = app
        .client
        .put(app.url("/api/v2/me/password"))
        .header("Cookie", &cookie)
        .basic_auth(USERNAME, Some(PASSWORD))
        .json(&json!({"password": "a-new-admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
    let out = app
        .client
        .post(app.url("/api/v2/signout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    // Signing out again (the session is gone) and without a cookie records nothing.
    for request in [
        app.client.post(app.url("/api/v2/signout")).header("Cookie", &cookie),
        app.client.post(app.url("/api/v2/signout")),
    ] {
        assert_eq!(request.send().await.unwrap().status(), 204);
    }

    assert_eq!(app.sign_in(USERNAME, "wrong-password-9876").await.status(), 401);
    assert_eq!(
        app.sign_in("mistyped-password-as-a-name", "whatever-1234")
            .await
            .status(),
        401
    );
    let bare = app.client.post(app.url("/api/v2/signin")).send().await.unwrap();
    assert_eq!(bare.status(), 401);

    let admin_by = |credential: &str| json!({"userID": admin, "user": USERNAME, "credential": credential});
    let successes = audit(&app, "action=signin").await;
    let success: Vec<&Value> = successes.iter().filter(|e| e["outcome"] == "success").collect();
    assert_eq!(success.len(), 1, "{successes:#?}");
    assert_eq!(success[0]["actor"], admin_by("password"));
    assert_eq!(success[0]["remote"], "127.0.0.1");
    assert!(success[0].get("target").is_none());

    let password = audit(&app, "action=user.password").await;
    assert_eq!(password.len(), 1);
    assert_eq!(password[0]["actor"], admin_by("session"));
    assert_eq!(
        password[0]["target"],
        json!({"type": "users", "id": admin, "name": USERNAME})
    );

    let signouts = audit(&app, "action=signout").await;
    assert_eq!(signouts.len(), 1, "{signouts:#?}");
    assert_eq!(signouts[0]["actor"], admin_by("session"));
    assert_eq!(signouts[0]["remote"], "127.0.0.1");

    for (reason, actor) in [
        ("wrong password", admin_by("password")),
        ("unknown user", json!({"credential": "password"})),
        ("no credentials", json!({"credential": "password"})),
    ] {
        let entry = wait_for(&app, "action=signin", |e| e["reason"] == reason).await;
        assert_eq!(entry["outcome"], "failure");
        assert_eq!(entry["actor"], actor, "{reason}");
        assert_eq!(entry["remote"], "127.0.0.1");
    }
    let all = json_of(app.get("/api/v2/audit?limit=1000", OPERATOR_TOKEN).await, 200)
        .await
        .to_string();
    for secret in [
        PASSWORD,
        "a-new-admin-password",
        "wrong-password-9876",
        "mistyped-password-as-a-name",
        "whatever-1234",
        cookie.trim_start_matches("influxdb-oss-session="),
    ] {
        assert!(!all.contains(secret), "{secret} is in the audit trail");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_authentications_are_recorded_after_the_flush() {
    let clock = ManualClock::at(OffsetDateTime::now_utc());
    let app = TestApp::spawn_custom(tempfile::tempdir().unwrap(), Options::default(), |_| {}, clock.clone()).await;
    let org = app.org_id().await;

    // An unknown token, no credential at all, an unknown session.
    let unknown = app.get("/api/v2/buckets", "not-a-real-token-secret").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(app.send(Method::GET, "/api/v2/buckets", None, None).await.status(), 401);
    let stale = app
        .client
        .get(app.url("/api/v2/buckets"))
        .header("Cookie", "influxdb-oss-session=not-a-real-session-key")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);

    // An expired token: made to expire in an hour, then the clock moves on two.
    let now = clock.now();
    let expires = (now + time::Duration::hours(1)).format(&Rfc3339).unwrap();
    let (expiring, expiring_token) = app
        .create_token(json!({"orgID": org, "expiresAt": expires, "permissions": bucket_read(&org)}))
        .await;
    clock.set(now + time::Duration::hours(2));
    assert_error(
        app.get("/api/v2/buckets", &expiring_token).await,
        401,
        "unauthorized",
        "token has expired",
    )
    .await;

    // An inactive user's token.
    let bob = app.create_user("bob").await;
    let (bobs, bobs_token) = app
        .create_token(json!({"orgID": org, "userID": bob, "permissions": bucket_read(&org)}))
        .await;
    let deactivated = app
        .patch(
            &format!("/api/v2/users/{bob}"),
            OPERATOR_TOKEN,
            json!({"status": "inactive"}),
        )
        .await;
    assert_eq!(deactivated.status(), 200);
    assert_eq!(app.get("/api/v2/buckets", &bobs_token).await.status(), 403);

    let query = "action=authentication&limit=1000";
    for (reason, actor) in [
        ("unknown or deleted token", json!({"credential": "token"})),
        ("no credential", json!({"credential": "none"})),
        ("unknown or expired session", json!({"credential": "session"})),
        (
            "token has expired",
            json!({"userID": app.admin_id().await, "user": USERNAME, "credential": "token", "authorizationID": expiring}),
        ),
        (
            "user is inactive",
            json!({"userID": bob, "user": "bob", "credential": "token", "authorizationID": bobs}),
        ),
    ] {
        let entry = wait_for(&app, query, |e| e["reason"] == reason).await;
        assert_eq!(entry["outcome"], "failure");
        assert_eq!(entry["actor"], actor, "{reason}");
        assert_eq!(entry["remote"], "127.0.0.1", "{reason}");
        assert!(entry.get("target").is_none());
    }
    let all = audit(&app, query).await;
    assert_eq!(all.len(), 5, "one entry per refused request: {all:#?}");
    let text = serde_json::to_string(&all).unwrap();
    for secret in [
        "not-a-real-token-secret",
        "not-a-real-session-key",
        &expiring_token,
        &bobs_token,
    ] {
        assert!(!text.contains(secret), "a credential is in the audit trail");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_or_failed_change_leaves_no_entry() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let admin = app.admin_id().await;
    let before = audit(&app, "limit=1000").await.len();

    // A token that may create tokens for admin in the org, but holds no bucket permission to hand out: 403.
    let (limited, limited_token) = app
        .create_token(json!({"orgID": org, "permissions": [
            {"action": "write", "resource": {"type": "authorizations", "orgID": org}},
            {"action": "write", "resource": {"type": "users", "id": admin}},
        ]}))
        .await;
    let escalation = app
        .post(
            "/api/v2/authorizations",
            &limited_token,
            json!({"orgID": org, "permissions": bucket_read(&org)}),
        )
        .await;
    assert_eq!(escalation.status(), 403);
    // A name that is taken: 422; an unknown record: 404; a bad body: 400.
    let taken = app
        .post("/api/v2/users", OPERATOR_TOKEN, json!({"name": USERNAME}))
        .await;
    assert_eq!(taken.status(), 422);
    let missing = app
        .delete("/api/v2/authorizations/0000000000000abc", OPERATOR_TOKEN)
        .await;
    assert_eq!(missing.status(), 404);
    let bad = app.post("/api/v2/orgs", OPERATOR_TOKEN, json!({"name": ""})).await;
    assert_eq!(bad.status(), 400);

    let after = audit(&app, "limit=1000").await;
    // Only the limited token's own creation was added.
    assert_eq!(after.len(), before + 1, "{after:#?}");
    assert_eq!(after[0]["action"], "authorization.create");
    assert_eq!(after[0]["target"]["id"], limited);
    assert!(
        after.iter().all(|e| e["actor"]["authorizationID"] != json!(limited)),
        "the refused create left an entry"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_walk_every_entry_exactly_once() {
    let app = TestApp::spawn().await;
    for n in 0..23 {
        app.create_user(&format!("pager-{n}")).await;
    }
    let everything = audit(&app, "limit=1000").await;
    assert_eq!(everything.len(), 24, "setup and 23 users");

    for (first, filter) in [
        ("/api/v2/audit?limit=5", ""),
        ("/api/v2/audit?action=user.create&limit=4", "user.create"),
    ] {
        let mut walked = Vec::new();
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(path) = next {
            let page = json_of(app.get(&path, OPERATOR_TOKEN).await, 200).await;
            assert!(page["links"]["self"].as_str().unwrap().starts_with("/api/v2/audit?"));
            walked.extend(page["entries"].as_array().unwrap().iter().map(|e| e["id"].clone()));
            next = page["links"]["next"].as_str().map(str::to_owned);
            if let Some(next) = &next
                && !filter.is_empty()
            {
                assert!(next.contains("action=user.create"), "{next}");
            }
            pages += 1;
            assert!(pages < 50, "paging does not end");
        }
        let wanted: Vec<Value> = everything
            .iter()
            .filter(|e| filter.is_empty() || e["action"] == filter)
            .map(|e| e["id"].clone())
            .collect();
        assert_eq!(walked, wanted, "walking {first}");
    }
    // The last page has no next link; a page past the end is empty.
    let oldest = everything.last().unwrap()["id"].as_u64().unwrap();
    let past = json_of(
        app.get(&format!("/api/v2/audit?after={oldest}"), OPERATOR_TOKEN).await,
        200,
    )
    .await;
    assert_eq!(past["entries"], json!([]));
    assert!(past["links"].get("next").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn time_filters_select_by_when() {
    let clock = ManualClock::at(OffsetDateTime::parse("2030-01-01T00:00:00Z", &Rfc3339).unwrap());
    let app = TestApp::spawn_custom(tempfile::tempdir().unwrap(), Options::default(), |_| {}, clock.clone()).await;
    clock.set(OffsetDateTime::parse("2030-01-02T00:00:00Z", &Rfc3339).unwrap());
    let second = app.create_user("second-day").await;
    clock.set(OffsetDateTime::parse("2030-01-03T00:00:00Z", &Rfc3339).unwrap());
    app.create_user("third-day").await;

    let on = audit(&app, "since=2030-01-02T00:00:00Z&until=2030-01-02T23:59:59Z").await;
    assert_eq!(on.len(), 1, "{on:#?}");
    assert_eq!(on[0]["target"]["id"], second);
    assert_eq!(on[0]["time"], "2030-01-02T00:00:00Z");
    assert_eq!(audit(&app, "since=2030-01-02T00:00:00%2B00:00").await.len(), 2);
    assert_eq!(audit(&app, "until=2030-01-01T12:00:00Z").await.len(), 1, "the setup");
    assert_eq!(
        audit(&app, "since=2030-01-05T00:00:00Z&until=2030-01-01T00:00:00Z")
            .await
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_operators_may_read_it_and_bad_parameters_are_400() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (_, org_reader) = app
        .create_token(json!({"orgID": org, "permissions": [
            {"action": "read", "resource": {"type": "authorizations", "orgID": org}},
            {"action": "read", "resource": {"type": "users"}},
        ]}))
        .await;
    assert_error(
        app.get("/api/v2/audit", &org_reader).await,
        401,
        "unauthorized",
        "read:authorizations is unauthorized",
    )
    .await;
    let (_, no_users) = app
        .create_token(json!({"orgID": org, "permissions": [
            {"action": "read", "resource": {"type": "authorizations"}},
        ]}))
        .await;
    assert_error(
        app.get("/api/v2/audit", &no_users).await,
        401,
        "unauthorized",
        "read:users is unauthorized",
    )
    .await;
    assert_eq!(app.send(Method::GET, "/api/v2/audit", None, None).await.status(), 401);

    for (query, message) in [
        ("limit=0", "limit must be between 1 and 1000"),
        ("limit=1001", "limit must be between 1 and 1000"),
        ("limit=ten", "limit must be between 1 and 1000"),
        ("after=-1", "after must be an audit entry id (a non-negative integer)"),
        ("since=yesterday", "since must be an RFC 3339 time, not \"yesterday\""),
        (
            "until=2030-13-01T00:00:00Z",
            "until must be an RFC 3339 time, not \"2030-13-01T00:00:00Z\"",
        ),
        ("userID=alice", "id must have a length of 16 bytes"),
    ] {
        assert_error(
            app.get(&format!("/api/v2/audit?{query}"), OPERATOR_TOKEN).await,
            400,
            "invalid",
            message,
        )
        .await;
    }
    let unknown = app.get("/api/v2/audit?action=token.steal", OPERATOR_TOKEN).await;
    let body = json_of(unknown, 400).await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown action \"token.steal\"; use one of")
    );

    // The answer is tab-indented, like every other success.
    let text = app.get("/api/v2/audit", OPERATOR_TOKEN).await.text().await.unwrap();
    assert!(text.starts_with("{\n\t\""), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_records_are_recorded_once_by_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.yaml");
    std::fs::write(
        &seed,
        "orgs:\n  - name: acme\n    buckets: [{name: telemetry}]\n\
         users:\n  - {name: alice, password: alice-password, orgs: [{org: acme, role: owner}]}\n\
         tokens:\n  - token: alice-fixed-token-0001\n    org: acme\n    user: alice\n    \
         permissions: [{action: read, resource: {type: buckets}}]\n",
    )
    .unwrap();
    let with_seed = |config: &mut server::Config| config.seed = Some(seed.clone());
    let app = TestApp::spawn_custom(dir, Options::default(), with_seed, Arc::new(server::SystemClock)).await;
    let seeded: Vec<Value> = audit(&app, "limit=1000")
        .await
        .into_iter()
        .filter(|e| e["actor"] == json!({"credential": "seed"}))
        .collect();
    let mut actions: Vec<&str> = seeded.iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "authorization.create",
            "bucket.create",
            "org.create",
            "owner.add",
            "user.create"
        ]
    );
    assert!(seeded.iter().all(|e| e.get("remote").is_none()));
    let text = serde_json::to_string(&seeded).unwrap();
    assert!(!text.contains("alice-password") && !text.contains("alice-fixed-token-0001"));

    // Applied again at the next start, the seed finds everything there and records nothing.
    let dir = app.stop().await;
    let again = TestApp::spawn_custom(dir, Options::default(), with_seed, Arc::new(server::SystemClock)).await;
    let after: Vec<Value> = audit(&again, "limit=1000")
        .await
        .into_iter()
        .filter(|e| e["actor"] == json!({"credential": "seed"}))
        .collect();
    assert_eq!(after.len(), seeded.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_removes_entries_older_than_it() {
    let now = OffsetDateTime::now_utc();
    let clock = ManualClock::at(now - time::Duration::days(100));
    let thirty_days = |config: &mut server::Config| config.audit_retention = Duration::from_secs(30 * 86_400);
    let app = TestApp::spawn_custom(
        tempfile::tempdir().unwrap(),
        Options::default(),
        thirty_days,
        clock.clone(),
    )
    .await;
    let old = app.create_user("from-long-ago").await;
    assert_eq!(entries_for(&app, "user.create", &old).await.len(), 1);

    clock.set(now);
    let new = app.create_user("from-today").await;
    let deadline = Instant::now() + DEADLINE;
    while !entries_for(&app, "user.create", &old).await.is_empty() {
        assert!(Instant::now() < deadline, "the 100-day-old entry was not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left = audit(&app, "limit=1000").await;
    assert_eq!(left.len(), 1, "only today's entry stays: {left:#?}");
    assert_eq!(left[0]["target"]["id"], new);
}

// -- the real binary ----------------------------------------------------------------------------------------------

const INIT: &[(&str, &str)] = &[
    ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
    ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
    ("DOCKER_INFLUXDB_INIT_PASSWORD", "admin-password-1234"),
    ("DOCKER_INFLUXDB_INIT_ORG", "audit-org"),
    ("DOCKER_INFLUXDB_INIT_BUCKET", "audit-bucket"),
    ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "audit-operator-token"),
];
const OPERATOR: &str = "audit-operator-token";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Token {token}"));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Every entry of the server, walking the pages.
async fn all_entries(client: &reqwest::Client, process: &Process, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(format!("/api/v2/audit?{query}"));
    while let Some(path) = next {
        let (status, page) = call(client, Method::GET, process.url(&path), Some(OPERATOR), None).await;
        assert_eq!(status, 200, "{page}");
        out.extend(page["entries"].as_array().unwrap().iter().cloned());
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    out
}

fn stdout_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON entry per line ({e}): {line}")))
        .collect()
}

/// Failed authentications recorded one by one per flush (the service's `MAX_FAILURES_PER_FLUSH`).
const CAP: usize = 1000;

#[test]
fn past_the_cap_failed_authentications_are_summed_up_in_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data.redb");
    let mut envs: Vec<(&str, &str)> = INIT.to_vec();
    envs.push(("INFLUX_AUTHZ_DB_PATH", db.to_str().unwrap()));
    // No flush while the requests arrive: they all fall into the flush at shutdown.
    envs.push(("INFLUX_AUTHZ_AUDIT_FLUSH_INTERVAL", "1h"));
    let process = Process::start(&[], &envs, &dir.path().join("first.log"));
    let extra = 5;
    runtime().block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..CAP + extra {
            let (status, _) = call(
                &client,
                Method::GET,
                process.url("/api/v2/buckets"),
                Some("wrong-token"),
                None,
            )
            .await;
            assert_eq!(status, 401);
        }
    });
    assert!(process.terminate().success());

    envs.pop();
    let again = Process::start(&[], &envs, &dir.path().join("second.log"));
    let entries = runtime()
        .block_on(async { all_entries(&reqwest::Client::new(), &again, "action=authentication&limit=1000").await });
    let individual = entries
        .iter()
        .filter(|e| e["reason"] == "unknown or deleted token")
        .count();
    assert_eq!(individual, CAP);
    let summaries: Vec<&Value> = entries
        .iter()
        .filter(|e| e["reason"] != "unknown or deleted token")
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:#?}");
    assert_eq!(
        summaries[0]["reason"],
        format!("{extra} more failed authentications from 127.0.0.1 not recorded individually")
    );
    assert_eq!(summaries[0]["remote"], "127.0.0.1");
    assert_eq!(summaries[0]["outcome"], "failure");
}

#[test]
fn the_stdout_mirror_prints_each_committed_entry_as_a_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = dir.path().join("stdout.jsonl");
    let process = Process::start_with_stdout(
        &["--in-memory", "--audit-stdout"],
        INIT,
        &dir.path().join("log"),
        &stdout,
    );
    let (created, answer) = runtime().block_on(async {
        let client = reqwest::Client::new();
        let (_, orgs) = call(&client, Method::GET, process.url("/api/v2/orgs"), Some(OPERATOR), None).await;
        let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
        let body = json!({"orgID": org, "permissions": bucket_read(&org)});
        let (status, created) = call(
            &client,
            Method::POST,
            process.url("/api/v2/authorizations"),
            Some(OPERATOR),
            Some(body),
        )
        .await;
        assert_eq!(status, 201);
        let (status, _) = call(
            &client,
            Method::GET,
            process.url("/api/v2/me"),
            Some("bogus-token"),
            None,
        )
        .await;
        assert_eq!(status, 401);
        let id = created["id"].as_str().unwrap().to_owned();
        // Wait for the failed authentication's flush, so that the trail is complete.
        let deadline = Instant::now() + DEADLINE;
        loop {
            let entries = all_entries(&client, &process, "limit=1000").await;
            if entries.iter().any(|e| e["action"] == "authentication") {
                return (id, entries);
            }
            assert!(Instant::now() < deadline, "the failed authentication was not flushed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    // stdout holds exactly the committed entries, oldest first, the same JSON the API answers with.
    let deadline = Instant::now() + DEADLINE;
    let mut lines = stdout_lines(&stdout);
    while lines.len() < answer.len() {
        assert!(
            Instant::now() < deadline,
            "stdout has {} of {} entries",
            lines.len(),
            answer.len()
        );
        std::thread::sleep(Duration::from_millis(50));
        lines = stdout_lines(&stdout);
    }
    let mut newest_first = lines.clone();
    newest_first.sort_by_key(|e| std::cmp::Reverse(e["id"].as_u64()));
    assert_eq!(newest_first, answer);
    assert!(
        lines
            .iter()
            .any(|e| e["action"] == "authorization.create" && e["target"]["id"] == created.as_str())
    );
    assert!(lines.iter().any(|e| e["action"] == "setup"));
    assert!(process.terminate().success());

    // Without the flag, stdout stays empty.
    let quiet = dir.path().join("quiet.jsonl");
    let process = Process::start_with_stdout(&["--in-memory"], INIT, &dir.path().join("log2"), &quiet);
    assert!(process.terminate().success());
    assert_eq!(std::fs::read_to_string(&quiet).unwrap(), "");
}

#[test]
fn no_token_password_or_session_key_is_in_the_trail_the_mirror_or_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data.redb");
    let stdout = dir.path().join("stdout.jsonl");
    let mut envs: Vec<(&str, &str)> = INIT.to_vec();
    envs.push(("INFLUX_AUTHZ_DB_PATH", db.to_str().unwrap()));
    envs.push(("INFLUX_AUTHZ_AUDIT_STDOUT", "true"));
    let process = Process::start_with_stdout(&[], &envs, &dir.path().join("log"), &stdout);
    let (secrets, answer) = runtime().block_on(async {
        let client = reqwest::Client::new();
        let url = |path: &str| process.url(path);
        let (_, orgs) = call(&client, Method::GET, url("/api/v2/orgs"), Some(OPERATOR), None).await;
        let org = orgs["orgs"][0]["id"].as_str().unwrap().to_owned();
        let (_, me) = call(&client, Method::GET, url("/api/v2/me"), Some(OPERATOR), None).await;
        let admin = me["id"].as_str().unwrap().to_owned();
        let body = json!({"orgID": org, "permissions": bucket_read(&org)});
        let (_, created) = call(
            &client,
            Method::POST,
            url("/api/v2/authorizations"),
            Some(OPERATOR),
            Some(body),
        )
        .await;
        let token = created["token"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        call(&client, Method::GET, url("/api/v2/buckets"), Some(&token), None).await;
        call(
            &client,
            Method::GET,
            url(&format!("/api/v2/authorizations?token={token}")),
            Some(OPERATOR),
            None,
        )
        .await;
        let patch = json!({"status": "inactive"});
        call(
            &client,
            Method::PATCH,
            url(&format!("/api/v2/authorizations/{id}")),
            Some(OPERATOR),
            Some(patch),
        )
        .await;
        call(&client, Method::GET, url("/api/v2/buckets"), Some(&token), None).await;
        call(
            &client,
            Method::DELETE,
            url(&format!("/api/v2/authorizations/{id}")),
            Some(OPERATOR),
            None,
        )
        .await;
        call(&client, Method::GET, url("/api/v2/buckets"), Some(&token), None).await;
        call(
            &client,
            Method::GET,
            url("/api/v2/buckets"),
            Some("made-up-token-secret-5555"),
            None,
        )
        .await;
        let password = json!({"password": "brand-new-password-4321"});
        let path = format!("/api/v2/users/{admin}/password");
        assert_eq!(
            call(&client, Method::POST, url(&path), Some(OPERATOR), Some(password))
                .await
                .0,
            204
        );
        let signin = client
            .post(url("/api/v2/signin"))
            .basic_auth("admin", Some("brand-new-password-4321"))
            .send()
            .await
            .unwrap();
        assert_eq!(signin.status(), 204);
        let cookie = session_cookie(&signin);
        client
            .get(url("/api/v2/me"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        client
            .post(url("/api/v2/signout"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        client
            .get(url("/api/v2/me"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        client
            .post(url("/api/v2/signin"))
            .basic_auth("admin", Some("wrong-password-secret-987"))
            .send()
            .await
            .unwrap();
        client
            .post(url("/api/v2/signin"))
            .basic_auth("typed-a-password-here-765", Some("x"))
            .send()
            .await
            .unwrap();
        let secrets = vec![
            token,
            OPERATOR.to_owned(),
            "made-up-token-secret-5555".to_owned(),
            "admin-password-1234".to_owned(),
            "brand-new-password-4321".to_owned(),
            "wrong-password-secret-987".to_owned(),
            "typed-a-password-here-765".to_owned(),
            cookie.trim_start_matches("influxdb-oss-session=").to_owned(),
        ];
        let deadline = Instant::now() + DEADLINE;
        loop {
            let entries = all_entries(&client, &process, "limit=1000").await;
            let failures = entries.iter().filter(|e| e["outcome"] == "failure").count();
            // The deleted token, the made-up token, the signed-out session, two refused sign-ins.
            if failures >= 5 {
                return (secrets, serde_json::to_string(&entries).unwrap());
            }
            assert!(Instant::now() < deadline, "the failures were not flushed: {entries:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert!(process.terminate().success());
    let mirror = std::fs::read_to_string(&stdout).unwrap();
    assert!(mirror.contains("\"action\":\"signout\""), "{mirror}");
    let file = tests::pg::stored_bytes(&db);
    for secret in &secrets {
        assert!(!answer.contains(secret.as_str()), "{secret} is in GET /api/v2/audit");
        assert!(!mirror.contains(secret.as_str()), "{secret} is in the stdout mirror");
        let needle = secret.as_bytes();
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "{secret} is in the redb file"
        );
    }
    assert!(!answer.contains("token="), "a query string is in the trail");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_check_records_refused_credentials_but_not_missing_permissions() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let (_, reader) = app
        .create_token(json!({"orgID": org, "permissions": bucket_read(&org)}))
        .await;
    let check = |token: &str| {
        app.client
            .get(app.url("/api/v2/authz/check?permission=write:orgs/0000000000000001/buckets"))
            .header("Authorization", format!("Token {token}"))
            .send()
    };
    // The 403 first: had it been recorded, it would be flushed no later than the 401 that follows.
    assert_eq!(check(&reader).await.unwrap().status(), 403);
    assert_eq!(check("not-a-real-proxied-token").await.unwrap().status(), 401);

    let entry = wait_for(&app, "action=authentication", |e| {
        e["reason"] == "unknown or deleted token"
    })
    .await;
    assert_eq!(entry["remote"], "127.0.0.1");
    let all = audit(&app, "action=authentication").await;
    assert_eq!(all.len(), 1, "the 403 is not an authentication failure: {all:#?}");
    assert!(
        !serde_json::to_string(&all)
            .unwrap()
            .contains("not-a-real-proxied-token")
    );
}
