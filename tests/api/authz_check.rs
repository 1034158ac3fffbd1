//! `/api/v2/authz/check` (an extension): the question nginx `auth_request`, Traefik ForwardAuth and Envoy ext_authz
//! ask before letting a request through. Every credential form, every refusal, permission matching, the
//! forwarded-URI forms, the headers of a 204, the failure limit, and that no answer ever carries the token.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, ORG, Process, TestApp, USERNAME, json_of};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CHECK: &str = "/api/v2/authz/check";
const PERMISSION: &str = "X-Influx-Authz-Permission";

/// A check's answer, read whole.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// InfluxDB's error: status, code and message, twice (body and `X-Platform-Error-Code`).
    fn assert_error(&self, status: u16, code: &str, message: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("x-platform-error-code"), Some(code));
        let body: Value = serde_json::from_str(&self.body).unwrap();
        assert_eq!(body, json!({"code": code, "message": message}));
    }

    fn assert_allowed(&self) {
        assert_eq!(self.status, 204, "body: {}", self.body);
        assert!(self.body.is_empty());
    }
}

/// Sends a check and reads the answer, asserting that none of `secrets` appears in its headers or body.
async fn ask(request: RequestBuilder, secrets: &[&str]) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    for secret in secrets {
        assert!(!body.contains(secret), "the answer's body carries a token: {body}");
        for (name, value) in &headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains(secret), "header {name} carries a token");
        }
    }
    Answer { status, headers, body }
}

/// The set-up server, its org and bucket, a second bucket, and a token that may write the first bucket only.
struct Fixture {
    app: TestApp,
    org: String,
    bucket: String,
    other_bucket: String,
    writer_id: String,
    writer: String,
}

impl Fixture {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let org = app.org_id().await;
        let buckets = json_of(app.get("/api/v2/buckets?name=my-bucket", OPERATOR_TOKEN).await, 200).await;
        let bucket = buckets["buckets"][0]["id"].as_str().unwrap().to_owned();
        let other = json_of(
            app.post(
                "/api/v2/buckets",
                OPERATOR_TOKEN,
                json!({"orgID": org, "name": "other"}),
            )
            .await,
            201,
        )
        .await;
        let other_bucket = other["id"].as_str().unwrap().to_owned();
        let (writer_id, writer) = app
            .create_token(json!({"orgID": org, "description": "writer", "permissions": [
                {"action": "write", "resource": {"type": "buckets", "id": bucket, "orgID": org}}
            ]}))
            .await;
        Self {
            app,
            org,
            bucket,
            other_bucket,
            writer_id,
            writer,
        }
    }

    /// `write:orgs/<org>/buckets/<bucket>`.
    fn write_bucket(&self, bucket: &str) -> String {
        format!("write:orgs/{}/buckets/{bucket}", self.org)
    }

    /// A check at `path` whose permission is named in the header.
    fn check(&self, method: Method, path: &str, permission: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .header(PERMISSION, permission)
    }

    /// `GET /api/v2/authz/check?permission=…` with an `Authorization` header.
    fn get(&self, permission: &str, authorization: &str) -> RequestBuilder {
        self.app
            .client
            .get(self.app.url(CHECK))
            .query(&[("permission", permission)])
            .header("Authorization", authorization)
    }
}

fn basic(user: &str, token: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{token}")))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_credential_form_is_accepted_and_named_in_the_headers() {
    let fx = Fixture::new().await;
    let admin = fx.app.admin_id().await;
    let permission = fx.write_bucket(&fx.bucket);
    let token = fx.writer.as_str();
    let query_form = fx.app.client.get(fx.app.url(CHECK)).query(&[
        ("permission", permission.as_str()),
        ("u", "anyone"),
        ("p", token),
    ]);
    let forms = [
        ("Token", fx.get(&permission, &format!("Token {token}"))),
        ("token", fx.get(&permission, &format!("token {token}"))),
        ("Bearer", fx.get(&permission, &format!("Bearer {token}"))),
        ("BEARER", fx.get(&permission, &format!("BEARER {token}"))),
        ("Basic", fx.get(&permission, &basic("anyone", token))),
        ("Basic without a user", fx.get(&permission, &basic("", token))),
        ("u/p query", query_form),
        (
            "POST, permission header",
            fx.check(Method::POST, CHECK, &permission)
                .header("Authorization", format!("Token {token}")),
        ),
        (
            "PUT",
            fx.check(Method::PUT, CHECK, &permission)
                .header("Authorization", format!("Token {token}")),
        ),
        (
            "HEAD",
            fx.check(Method::HEAD, CHECK, &permission)
                .header("Authorization", format!("Token {token}")),
        ),
    ];
    for (form, request) in forms {
        let answer = ask(request, &[token]).await;
        assert_eq!(answer.status, 204, "{form}: {}", answer.body);
        assert_eq!(
            answer.header("x-influx-authz-authorization-id"),
            Some(fx.writer_id.as_str()),
            "{form}"
        );
        assert_eq!(answer.header("x-influx-authz-user-id"), Some(admin.as_str()), "{form}");
        assert_eq!(answer.header("x-influx-authz-user"), Some(USERNAME), "{form}");
        assert_eq!(answer.header("x-influx-authz-org-id"), Some(fx.org.as_str()), "{form}");
        assert_eq!(answer.header("x-influx-authz-org"), Some(ORG), "{form}");
        assert_eq!(answer.header("x-influxdb-build"), Some("OSS"), "{form}");
        assert_eq!(answer.header("content-type"), None, "{form}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_forwarded_uri_forms_of_nginx_traefik_and_envoy() {
    let fx = Fixture::new().await;
    let permission = fx.write_bucket(&fx.bucket);
    let token = fx.writer.as_str();
    let original = format!("/write?bucket={}&u=anyone&p={token}", fx.bucket);
    // nginx: `auth_request` to the check, the original URI in X-Original-URI.
    let nginx = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", permission.as_str())])
        .header("X-Original-URI", &original);
    ask(nginx, &[token]).await.assert_allowed();
    // Traefik ForwardAuth: the original path and query in X-Forwarded-Uri.
    let traefik = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", permission.as_str())])
        .header("X-Forwarded-Method", "POST")
        .header("X-Forwarded-Uri", &original);
    ask(traefik, &[token]).await.assert_allowed();
    // Envoy ext_authz: the original method, and path + query appended to the check's path.
    let envoy = fx.check(Method::POST, &format!("{CHECK}{original}"), &permission);
    ask(envoy, &[token]).await.assert_allowed();
    let envoy_header = fx
        .check(Method::DELETE, &format!("{CHECK}/api/v2/thing/1"), &permission)
        .header("Authorization", format!("Bearer {token}"));
    ask(envoy_header, &[token]).await.assert_allowed();
    // Envoy's query is the client's: a `permission` in it does not count, so a client cannot pick its own.
    let picked = fx
        .app
        .client
        .post(fx.app.url(&format!("{CHECK}/write")))
        .query(&[("permission", "read:orgs/0a6f3b2e5e6f5000"), ("p", token)]);
    let answer = ask(picked, &[token]).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    // A forwarded URI without a token is no credential.
    let bare = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", permission.as_str())])
        .header("X-Original-URI", format!("/write?bucket={}", fx.bucket));
    ask(bare, &[token])
        .await
        .assert_error(401, "unauthorized", "unauthorized access");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_unknown_and_malformed_credentials_are_401() {
    let fx = Fixture::new().await;
    let permission = fx.write_bucket(&fx.bucket);
    let none = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", permission.as_str())]);
    ask(none, &[])
        .await
        .assert_error(401, "unauthorized", "unauthorized access");
    for authorization in [
        format!("Token {}x", fx.writer),
        "Token not-a-token".to_owned(),
        // Not base64, no colon, no password:
        "Basic %%%".to_owned(),
        format!("Basic {}", STANDARD.encode(&fx.writer)),
        basic(&fx.writer, ""),
        format!("Digest {}", fx.writer),
    ] {
        let answer = ask(fx.get(&permission, &authorization), &[&fx.writer]).await;
        answer.assert_error(401, "unauthorized", "unauthorized access");
    }
    // A user name and password is refused as InfluxDB's v1 authorizer refuses it.
    let answer = ask(fx.get(&permission, &basic("anyone", "not-a-token")), &[&fx.writer]).await;
    answer.assert_error(401, "unauthorized", "Unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_malformed_permission_is_400() {
    let fx = Fixture::new().await;
    let token = format!("Token {}", fx.writer);
    let missing = fx.app.client.get(fx.app.url(CHECK)).header("Authorization", &token);
    let answer = ask(missing, &[&fx.writer]).await;
    answer.assert_error(
        400,
        "invalid",
        "no permission to check: name it in the query parameter `permission` or the header \
         X-Influx-Authz-Permission, e.g. write:orgs/<orgID>/buckets/<bucketID>",
    );
    let cases = [
        (
            "write:bukets",
            r#"invalid permission "write:bukets": unknown resource type "bukets""#,
        ),
        (
            "delete:buckets",
            r#"invalid permission "delete:buckets": unknown action "delete" (expected read or write)"#,
        ),
        (
            "write:orgs/123/buckets",
            r#"invalid permission "write:orgs/123/buckets": invalid org ID "123": id must have a length of 16 bytes"#,
        ),
        (
            "buckets",
            r#"invalid permission "buckets": expected <action>:<resource>, e.g. write:orgs/<orgID>/buckets/<bucketID>"#,
        ),
    ];
    for (permission, message) in cases {
        ask(fx.get(permission, &token), &[&fx.writer])
            .await
            .assert_error(400, "invalid", message);
    }
    // One bad permission among good ones spoils the list.
    let list = format!("{},read:nope", fx.write_bucket(&fx.bucket));
    let answer = ask(fx.get(&list, &token), &[&fx.writer]).await;
    assert_eq!(answer.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_scoped_token_may_write_its_bucket_and_nothing_else() {
    let fx = Fixture::new().await;
    let token = format!("Token {}", fx.writer);
    let own = fx.write_bucket(&fx.bucket);
    ask(fx.get(&own, &token), &[&fx.writer]).await.assert_allowed();
    let org = &fx.org;
    let refused = [
        fx.write_bucket(&fx.other_bucket),
        format!("write:orgs/{org}/buckets"),
        format!("read:orgs/{org}/buckets/{}", fx.bucket),
        // Without the org, only a global or same-id grant matches (InfluxDB's rule): the same id does.
        format!("write:buckets/{}", fx.other_bucket),
        "write:buckets".to_owned(),
    ];
    for permission in refused {
        ask(fx.get(&permission, &token), &[&fx.writer]).await.assert_error(
            403,
            "forbidden",
            &format!("{permission} is unauthorized"),
        );
    }
    ask(fx.get(&format!("write:buckets/{}", fx.bucket), &token), &[&fx.writer])
        .await
        .assert_allowed();
    // Every permission named must be held: the first one missing is named.
    let both = format!("{own}, {}", fx.write_bucket(&fx.other_bucket));
    ask(fx.get(&both, &token), &[&fx.writer]).await.assert_error(
        403,
        "forbidden",
        &format!("{} is unauthorized", fx.write_bucket(&fx.other_bucket)),
    );
    let repeated = fx
        .app
        .client
        .get(fx.app.url(CHECK))
        .query(&[("permission", own.as_str()), ("permission", own.as_str())])
        .header(PERMISSION, format!("read:orgs/{org}/buckets"))
        .header("Authorization", &token);
    ask(repeated, &[&fx.writer]).await.assert_error(
        403,
        "forbidden",
        &format!("read:orgs/{org}/buckets is unauthorized"),
    );
    // An org-wide reader may read either bucket; the operator may do anything but the instance.
    let (_, reader) = fx
        .app
        .create_token(json!({"orgID": org, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": org}}
        ]}))
        .await;
    for bucket in [&fx.bucket, &fx.other_bucket] {
        let permission = format!("read:orgs/{org}/buckets/{bucket}");
        ask(fx.get(&permission, &format!("Token {reader}")), &[&reader])
            .await
            .assert_allowed();
    }
    let operator = format!("Token {OPERATOR_TOKEN}");
    ask(fx.get(&both, &operator), &[OPERATOR_TOKEN]).await.assert_allowed();
    ask(fx.get("read:instance", &operator), &[OPERATOR_TOKEN])
        .await
        .assert_error(403, "forbidden", "read:instance is unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_token_is_refused_on_the_next_check() {
    let fx = Fixture::new().await;
    let permission = fx.write_bucket(&fx.bucket);
    let token = format!("Token {}", fx.writer);
    ask(fx.get(&permission, &token), &[&fx.writer]).await.assert_allowed();
    let deleted = fx
        .app
        .delete(&format!("/api/v2/authorizations/{}", fx.writer_id), OPERATOR_TOKEN)
        .await;
    assert_eq!(deleted.status(), 204);
    ask(fx.get(&permission, &token), &[&fx.writer])
        .await
        .assert_error(401, "unauthorized", "unauthorized access");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inactive_token_is_401_and_an_inactive_user_403() {
    let fx = Fixture::new().await;
    let permission = fx.write_bucket(&fx.bucket);
    let path = format!("/api/v2/authorizations/{}", fx.writer_id);
    let token = format!("Token {}", fx.writer);
    json_of(
        fx.app.patch(&path, OPERATOR_TOKEN, json!({"status": "inactive"})).await,
        200,
    )
    .await;
    ask(fx.get(&permission, &token), &[&fx.writer])
        .await
        .assert_error(401, "unauthorized", "token is inactive");
    json_of(
        fx.app.patch(&path, OPERATOR_TOKEN, json!({"status": "active"})).await,
        200,
    )
    .await;
    ask(fx.get(&permission, &token), &[&fx.writer]).await.assert_allowed();

    let user = fx.app.create_user("user2").await;
    let (_, theirs) = fx
        .app
        .create_token(json!({"orgID": fx.org, "userID": user, "permissions": [
            {"action": "write", "resource": {"type": "buckets", "orgID": fx.org}}
        ]}))
        .await;
    let theirs_header = format!("Token {theirs}");
    let answer = ask(fx.get(&permission, &theirs_header), &[&theirs]).await;
    answer.assert_allowed();
    assert_eq!(answer.header("x-influx-authz-user"), Some("user2"));
    json_of(
        fx.app
            .patch(
                &format!("/api/v2/users/{user}"),
                OPERATOR_TOKEN,
                json!({"status": "inactive"}),
            )
            .await,
        200,
    )
    .await;
    ask(fx.get(&permission, &theirs_header), &[&theirs])
        .await
        .assert_error(403, "forbidden", "User is inactive");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refused() {
    let fx = Fixture::new().await;
    let expires = (OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .format(&Rfc3339)
        .unwrap();
    let (_, token) = fx
        .app
        .create_token(json!({"orgID": fx.org, "expiresAt": expires, "permissions": [
            {"action": "read", "resource": {"type": "buckets", "orgID": fx.org}}
        ]}))
        .await;
    let permission = format!("read:orgs/{}/buckets", fx.org);
    let header = format!("Token {token}");
    ask(fx.get(&permission, &header), &[&token]).await.assert_allowed();

    tokio::time::sleep(Duration::from_millis(1500)).await;

    ask(fx.get(&permission, &header), &[&token])
        .await
        .assert_error(401, "unauthorized", "token has expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_checks_count_towards_the_failure_limit_and_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let init = [
        ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
        ("DOCKER_INFLUXDB_INIT_USERNAME", "admin"),
        ("DOCKER_INFLUXDB_INIT_ORG", "org"),
        ("DOCKER_INFLUXDB_INIT_BUCKET", "bucket"),
        ("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", OPERATOR_TOKEN),
    ];
    let server = Process::start(
        &["--in-memory", "--auth-failure-limit", "2"],
        &init,
        &dir.path().join("log"),
    );
    let client = reqwest::Client::new();
    let check = |authorization: &str| {
        client
            .get(server.url(CHECK))
            .query(&[("permission", "read:buckets")])
            .header("Authorization", authorization.to_owned())
    };
    let operator = format!("Token {OPERATOR_TOKEN}");
    ask(check(&operator), &[OPERATOR_TOKEN]).await.assert_allowed();
    // A permission not held, or a missing one, is not a failed authentication.
    let denied = client
        .get(server.url(CHECK))
        .query(&[("permission", "read:instance")])
        .header("Authorization", &operator);
    assert_eq!(ask(denied, &[OPERATOR_TOKEN]).await.status, 403);
    for _ in 0..2 {
        ask(check("Token wrong-token"), &[])
            .await
            .assert_error(401, "unauthorized", "unauthorized access");
    }
    // The address is now blocked, even with a good token, as with the token middleware.
    ask(check(&operator), &[OPERATOR_TOKEN]).await.assert_error(
        429,
        "too many requests",
        "too many failed authentications; try again later",
    );
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("influx_authz_auth_failures_total 2\n"), "{metrics}");
    assert!(
        metrics.contains("influx_authz_auth_rate_limited_total 1\n"),
        "{metrics}"
    );
    assert!(!metrics.contains("wrong-token"));
}
