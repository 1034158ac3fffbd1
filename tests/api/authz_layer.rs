//! `authz-layer` in another axum app: the `examples/guarded-service` router itself, on 127.0.0.1:0 with a real
//! redb file. Its `POST /write?bucket=<id>` needs `write:orgs/<org>/buckets/<id>`; the rest is influx-authz's API.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Client;
use serde_json::{Value, json};
use tests::{OPERATOR_TOKEN, Options, USERNAME, json_of};

struct Example {
    base: String,
    client: Client,
    org: String,
    _dir: tempfile::TempDir,
}

impl Example {
    async fn spawn() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = tests::config(&dir.path().join("influx-authz.redb"), Options::default());
        let guarded = guarded_service::app(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(server::serve(listener, guarded.router, std::future::pending()));
        Self {
            base,
            client: Client::new(),
            org: guarded.org_id.to_string(),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Through the example's fallback: influx-authz's own API, with the operator token.
    async fn operator(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("Authorization", format!("Token {OPERATOR_TOKEN}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn bucket(&self, name: &str) -> String {
        let list = json_of(
            self.operator(reqwest::Method::GET, &format!("/api/v2/buckets?name={name}"), None)
                .await,
            200,
        )
        .await;
        list["buckets"][0]["id"].as_str().unwrap().to_owned()
    }

    /// Creates a token with one permission on `bucket`; returns `(id, token)`.
    async fn token(&self, action: &str, bucket: &str) -> (String, String) {
        let body = json!({"orgID": self.org, "permissions": [
            {"action": action, "resource": {"type": "buckets", "id": bucket, "orgID": self.org}}
        ]});
        let created = json_of(
            self.operator(reqwest::Method::POST, "/api/v2/authorizations", Some(body))
                .await,
            201,
        )
        .await;
        (
            created["id"].as_str().unwrap().to_owned(),
            created["token"].as_str().unwrap().to_owned(),
        )
    }

    fn write(&self, bucket: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(&format!("/write?bucket={bucket}")))
            .body("cpu,host=a usage=1\n\n# a comment\ncpu,host=b usage=2\n")
    }
}

async fn error_of(response: reqwest::Response, status: u16) -> (String, String) {
    let code = response
        .headers()
        .get("x-platform-error-code")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = json_of(response, status).await;
    assert_eq!(code.as_deref(), body["code"].as_str(), "X-Platform-Error-Code");
    (
        body["code"].as_str().unwrap().to_owned(),
        body["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guarded_route_lets_in_only_tokens_that_may_write_the_bucket() {
    let example = Example::spawn().await;
    let bucket = example.bucket("my-bucket").await;
    let (_, writer) = example.token("write", &bucket).await;

    // Allowed, in each credential form; the handler sees the caller the layer put in.
    for request in [
        example
            .write(&bucket)
            .header("Authorization", format!("Token {writer}")),
        example
            .write(&bucket)
            .header("Authorization", format!("bearer {writer}")),
        example.write(&bucket).header(
            "Authorization",
            format!("Basic {}", STANDARD.encode(format!("me:{writer}"))),
        ),
        example.write(&format!("{bucket}&u=me&p={writer}")),
    ] {
        let accepted = json_of(request.send().await.unwrap(), 200).await;
        assert_eq!(accepted, json!({"bucket": bucket, "lines": 2, "user": USERNAME}));
    }

    // No token, an unknown one: 401 with InfluxDB's body.
    let none = example.write(&bucket).send().await.unwrap();
    assert_eq!(
        error_of(none, 401).await,
        ("unauthorized".into(), "unauthorized access".into())
    );
    let unknown = example
        .write(&bucket)
        .header("Authorization", "Token not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(unknown, 401).await.1, "unauthorized access");

    // A token that may only read the bucket, and the writer on another bucket: 403.
    let (_, reader) = example.token("read", &bucket).await;
    let read_only = example
        .write(&bucket)
        .header("Authorization", format!("Token {reader}"))
        .send()
        .await
        .unwrap();
    let need = format!("write:orgs/{}/buckets/{bucket}", example.org);
    assert_eq!(
        error_of(read_only, 403).await,
        ("forbidden".into(), format!("{need} is unauthorized"))
    );
    let created = json_of(
        example
            .operator(
                reqwest::Method::POST,
                "/api/v2/buckets",
                Some(json!({"orgID": example.org, "name": "other"})),
            )
            .await,
        201,
    )
    .await;
    let other = created["id"].as_str().unwrap();
    let elsewhere = example
        .write(other)
        .header("Authorization", format!("Token {writer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(elsewhere, 403).await.0, "forbidden");

    // A request that names no usable bucket is 400, before any token is looked at.
    let missing = example
        .client
        .post(example.url("/write"))
        .header("Authorization", format!("Token {writer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(missing, 400).await.0, "invalid");
    let bad = example
        .write("nope")
        .header("Authorization", format!("Token {writer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(bad, 400).await,
        ("invalid".into(), "bucket: id must have a length of 16 bytes".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inactive_or_deleted_token_is_refused_on_the_next_request() {
    let example = Example::spawn().await;
    let bucket = example.bucket("my-bucket").await;
    let (id, writer) = example.token("write", &bucket).await;
    let send = || {
        example
            .write(&bucket)
            .header("Authorization", format!("Token {writer}"))
            .send()
    };
    assert_eq!(send().await.unwrap().status(), 200);

    let path = format!("/api/v2/authorizations/{id}");
    let patched = example
        .operator(reqwest::Method::PATCH, &path, Some(json!({"status": "inactive"})))
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(
        error_of(send().await.unwrap(), 401).await,
        ("unauthorized".into(), "token is inactive".into())
    );
    let patched = example
        .operator(reqwest::Method::PATCH, &path, Some(json!({"status": "active"})))
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(send().await.unwrap().status(), 200);

    let deleted = example.operator(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        error_of(send().await.unwrap(), 401).await,
        ("unauthorized".into(), "unauthorized access".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_v1_user_name_and_password_pass_the_layer_until_revoked() {
    let example = Example::spawn().await;
    let bucket = example.bucket("my-bucket").await;
    let body = json!({"token": "telegraf", "orgID": example.org, "permissions": [
        {"action": "write", "resource": {"type": "buckets", "id": bucket, "orgID": example.org}}
    ]});
    let created = json_of(
        example
            .operator(reqwest::Method::POST, "/private/legacy/authorizations", Some(body))
            .await,
        201,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let password = example
        .operator(
            reqwest::Method::POST,
            &format!("/private/legacy/authorizations/{id}/password"),
            Some(json!({"password": "telegraf-password"})),
        )
        .await;
    assert_eq!(password.status(), 204);

    let forms = || {
        [
            example.write(&format!("{bucket}&u=telegraf&p=telegraf-password")),
            example
                .write(&bucket)
                .header("Authorization", "Token telegraf:telegraf-password"),
            example.write(&bucket).header(
                "Authorization",
                format!("Basic {}", STANDARD.encode("telegraf:telegraf-password")),
            ),
        ]
    };
    for request in forms() {
        let accepted = json_of(request.send().await.unwrap(), 200).await;
        assert_eq!(accepted, json!({"bucket": bucket, "lines": 2, "user": USERNAME}));
    }
    let wrong = example.write(&format!("{bucket}&u=telegraf&p=wrong-password"));
    assert_eq!(
        error_of(wrong.send().await.unwrap(), 401).await,
        ("unauthorized".into(), "Unauthorized".into())
    );

    let path = format!("/private/legacy/authorizations/{id}");
    let patched = example
        .operator(reqwest::Method::PATCH, &path, Some(json!({"status": "inactive"})))
        .await;
    assert_eq!(patched.status(), 200);
    for request in forms() {
        assert_eq!(error_of(request.send().await.unwrap(), 401).await.1, "Unauthorized");
    }
    example
        .operator(reqwest::Method::PATCH, &path, Some(json!({"status": "active"})))
        .await;
    assert_eq!(forms()[0].try_clone().unwrap().send().await.unwrap().status(), 200);
    assert_eq!(
        example.operator(reqwest::Method::DELETE, &path, None).await.status(),
        204
    );
    for request in forms() {
        assert_eq!(error_of(request.send().await.unwrap(), 401).await.1, "Unauthorized");
    }
}
