//! Fuzzing the whole HTTP surface (property tests on stable Rust): random methods, paths, IDs, queries, headers
//! and bodies against the real server. Nothing may answer 5xx or drop the connection, and every error is
//! InfluxDB's JSON body with its `X-Platform-Error-Code`. `PROPTEST_CASES` sets how many requests (CI: the default
//! 256; long mode: e.g. `PROPTEST_CASES=20000 cargo test -p tests --test api fuzz`).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tests::{OPERATOR_TOKEN, TestApp};

#[derive(Debug, Clone)]
struct Input {
    method: reqwest::Method,
    path: String,
    authorization: Option<String>,
    body: Option<Vec<u8>>,
}

fn any_id_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{16}",
        Just("0000000000000000".to_owned()),
        "[0-9a-zA-Z%._~-]{0,20}",
        Just("ffffffffffffffff".to_owned()),
    ]
}

fn any_path() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "/api/v2/authorizations",
        "/api/v2/authorizations/{id}",
        "/api/v2/orgs",
        "/api/v2/orgs/{id}",
        "/api/v2/orgs/{id}/members",
        "/api/v2/orgs/{id}/owners/{id}",
        "/api/v2/users",
        "/api/v2/users/{id}",
        "/api/v2/users/{id}/password",
        "/api/v2/me",
        "/api/v2/me/password",
        "/api/v2/buckets",
        "/api/v2/buckets/{id}",
        "/api/v2/setup",
        "/api/v2/signin",
        "/api/v2/resources",
        "/api/v2",
        "/ping",
        "/health",
        "/nope/{id}",
    ]);
    let query = prop::collection::vec(
        (
            prop::sample::select(vec![
                "user", "userID", "org", "orgID", "id", "name", "limit", "offset", "after", "token",
            ]),
            "[0-9a-zA-Z%&=+._-]{0,18}",
        ),
        0..4,
    );
    (base, any_id_segment(), any_id_segment(), query, any::<bool>()).prop_map(|(base, a, b, query, slash)| {
        let mut path = base.replacen("{id}", &a, 1).replacen("{id}", &b, 1);
        if slash {
            path.push('/');
        }
        if !query.is_empty() {
            path.push('?');
            path.push_str(
                &query
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&"),
            );
        }
        path
    })
}

fn any_body() -> impl Strategy<Value = Option<Vec<u8>>> {
    let json = prop_oneof![
        Just(
            r#"{"orgID":"ORG","permissions":[{"action":"read","resource":{"type":"buckets","orgID":"ORG"}}]}"#
                .to_owned()
        ),
        Just(r#"{"status":"inactive","description":"x"}"#.to_owned()),
        Just(r#"{"name":"fuzzed","status":"active"}"#.to_owned()),
        Just(r#"{"password":"long-enough-password"}"#.to_owned()),
        "\\{\"[a-zA-Z]{1,10}\": ?(null|true|1|\"[a-z0-9]{0,16}\"|\\[\\]|\\{\\})\\}",
        "[\\[\\]{}\":,0-9a-z ]{0,40}",
    ]
    .prop_map(String::into_bytes);
    prop_oneof![
        Just(None),
        json.prop_map(Some),
        prop::collection::vec(any::<u8>(), 0..80).prop_map(Some)
    ]
}

fn any_input() -> impl Strategy<Value = Input> {
    let method = prop::sample::select(vec![
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
        reqwest::Method::HEAD,
        reqwest::Method::OPTIONS,
    ]);
    let authorization = prop_oneof![
        6 => Just(Some(format!("Token {OPERATOR_TOKEN}"))),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
        1 => Just(Some(format!("Bearer {OPERATOR_TOKEN}x"))),
    ];
    (method, any_path(), authorization, any_body()).prop_map(|(method, path, authorization, body)| Input {
        method,
        path,
        authorization,
        body,
    })
}

#[test]
fn fuzz_no_input_gets_a_5xx_or_a_non_json_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let org = runtime.block_on(app.org_id());
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&any_input(), |input| {
        let (status, error_code, text) = runtime.block_on(async {
            let mut request = app.client.request(input.method.clone(), app.url(&input.path));
            if let Some(authorization) = &input.authorization {
                request = request.header("Authorization", authorization.as_str());
            }
            if let Some(body) = &input.body {
                let body = String::from_utf8_lossy(body).replace("ORG", &org).into_bytes();
                request = request.body(body);
            }
            let response = request.send().await.expect("the server dropped the connection");
            let status = response.status().as_u16();
            let code = response
                .headers()
                .get("x-platform-error-code")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, code, response.text().await.unwrap_or_default())
        });
        prop_assert!(status < 500, "{} {} -> {status}: {text}", input.method, input.path);
        if status >= 400 && input.method != reqwest::Method::HEAD {
            let body: Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert!(body["code"].is_string() && body["message"].is_string(), "{text}");
            prop_assert_eq!(error_code.as_deref(), body["code"].as_str());
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
