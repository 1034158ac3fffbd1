//! The fuzzing corpus: inputs kept in `tests/api/fuzz_corpus/*.req` (first line `METHOD PATH`, the rest the body,
//! `ORG` replaced by the setup org's ID), replayed against the real server on every run. Add a file whenever the
//! fuzzer or a bug report finds an input worth keeping. No answer may be a 5xx, and every error is InfluxDB's JSON.

use serde_json::Value;
use tests::{OPERATOR_TOKEN, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn fuzz_corpus_replays_without_a_5xx() {
    let app = TestApp::spawn().await;
    let org = app.org_id().await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("api")
        .join("fuzz_corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus went missing");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap().replace("ORG", &org);
        let (head, body) = text.split_once('\n').unwrap();
        let (method, path) = head.split_once(' ').unwrap();
        let mut request = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("Authorization", format!("Token {OPERATOR_TOKEN}"));
        if !body.trim().is_empty() {
            request = request.body(body.trim_end().to_owned());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(status < 500, "{}: {status} {text}", file.display());
        if status >= 400 {
            let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", file.display()));
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{}: {text}",
                file.display()
            );
        }
    }
}
