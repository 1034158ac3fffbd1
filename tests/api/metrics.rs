//! `GET /metrics` (issue 8, point 7): a known set of requests, then the exposition is parsed and every counter is
//! checked to have moved by exactly what was done; histograms are self-consistent, store gauges agree with what
//! the API lists, and nothing in the body names a token, a user, an ID or a raw path.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use reqwest::Method;
use serde_json::{Value, json};
use tests::{BUCKET, OPERATOR_TOKEN, ORG, Options, PASSWORD, USERNAME, json_of};

const EXPIRED_TOKEN: &str = "metrics-expired-token-0001";
const CAROL_TOKEN: &str = "metrics-carol-token-00001";
const UNKNOWN_TOKEN: &str = "metrics-unknown-token-001";

/// An expired token of the operator's user, and carol (a member of the setup org) with a token of her own.
const SEED: &str = r#"
users:
  - {name: carol, password: carol-password, orgs: [{org: my-org, role: member}]}
tokens:
  - token: metrics-expired-token-0001
    org: my-org
    user: admin
    expiresAt: "2001-01-01T00:00:00Z"
    permissions: [{action: read, resource: {type: buckets}}]
  - token: metrics-carol-token-00001
    org: my-org
    user: carol
    permissions: [{action: read, resource: {type: buckets}}]
"#;

/// The real server (set up as `TestApp`'s, plus the seed above) with a real redb file, with its own
/// `--auth-failure-limit`.
struct Server {
    address: SocketAddr,
    client: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Server {
    async fn start(auth_failure_limit: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed.yaml");
        std::fs::write(&seed, SEED).unwrap();
        let mut config = tests::config(&dir.path().join("influx-authz.redb"), Options::default());
        config.seed = Some(seed);
        config.auth_failure_limit = auth_failure_limit;
        let app = server::App::build(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(server::serve(listener, app.router(), std::future::pending()));
        Self {
            address,
            client: reqwest::Client::new(),
            dir,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("http://{}{path}", self.address))
    }

    /// A request with `Authorization: Token …`; returns the status.
    async fn with_token(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> u16 {
        let mut request = self
            .request(method, path)
            .header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap().status().as_u16()
    }

    async fn json(&self, path: &str) -> Value {
        let response = self
            .request(Method::GET, path)
            .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
            .send()
            .await
            .unwrap();
        json_of(response, 200).await
    }

    async fn scrape(&self) -> Scrape {
        let response = self.request(Method::GET, "/metrics").send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
        Scrape::parse(response.text().await.unwrap())
    }
}

type Labels = BTreeMap<String, String>;

/// One parsed exposition: samples by name and labels, and the `# TYPE` of each family.
struct Scrape {
    text: String,
    samples: HashMap<String, Vec<(Labels, f64)>>,
    types: HashMap<String, String>,
}

impl Scrape {
    fn parse(text: String) -> Self {
        let mut samples: HashMap<String, Vec<_>> = HashMap::new();
        let mut types = HashMap::new();
        let mut helped = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(
                    types.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "TYPE twice: {name}"
                );
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                helped.push(rest.split_once(' ').unwrap().0.to_owned());
                continue;
            }
            assert!(!line.starts_with('#') && !line.is_empty(), "unexpected line {line:?}");
            let (series, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, parse_labels(labels.strip_suffix('}').unwrap())),
                None => (series, BTreeMap::new()),
            };
            samples.entry(name.to_owned()).or_default().push((labels, value));
        }
        for name in samples.keys() {
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
                })
                .unwrap_or(name);
            assert!(types.contains_key(family), "no # TYPE for {name}");
            assert!(helped.iter().any(|h| h == family), "no # HELP for {name}");
        }
        Self { text, samples, types }
    }

    /// The value of the sample `name` whose labels are exactly `labels`; 0 when there is none (a counter not yet
    /// touched).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let found: Vec<f64> = self
            .samples
            .get(name)
            .into_iter()
            .flatten()
            .filter(|(l, _)| *l == wanted)
            .map(|(_, v)| *v)
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} appears twice");
        found.first().copied().unwrap_or(0.0)
    }

    fn series(&self, name: &str) -> &[(Labels, f64)] {
        self.samples.get(name).map_or(&[], Vec::as_slice)
    }

    fn total(&self, name: &str) -> f64 {
        self.series(name).iter().map(|(_, v)| v).sum()
    }
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap();
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().unwrap() {
                (i, '"') => break i,
                (_, '\\') => value.push(match chars.next().unwrap().1 {
                    'n' => '\n',
                    other => other,
                }),
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_owned(), value);
        rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
    }
    labels
}

/// How much each sample of `name` grew from `before` to `after`, by labels; only the ones that moved.
fn deltas(before: &Scrape, after: &Scrape, name: &str) -> BTreeMap<String, f64> {
    after
        .series(name)
        .iter()
        .map(|(labels, value)| {
            let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let key = pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",");
            (key, value - before.value(name, &pairs))
        })
        .filter(|(_, delta)| *delta != 0.0)
        .collect()
}

fn expect(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Every histogram of `name`: buckets ascend in `le` and never decrease, `+Inf` equals `_count`, `_sum` is not
/// negative. Returns `_count` by the labels other than `le`.
fn check_histograms(scrape: &Scrape, name: &str) -> BTreeMap<BTreeMap<String, String>, f64> {
    let mut buckets: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
    for (labels, value) in scrape.series(&format!("{name}_bucket")) {
        let mut labels = labels.clone();
        let le = labels.remove("le").unwrap();
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap()
        };
        buckets.entry(labels).or_default().push((le, *value));
    }
    let mut counts = BTreeMap::new();
    for (labels, series) in &buckets {
        let les: Vec<f64> = series.iter().map(|(le, _)| *le).collect();
        assert_eq!(les.len(), 18, "{name} {labels:?}: 17 bounds and +Inf");
        assert_eq!((les[0], les[16]), (0.00005, 10.0), "{name}: 50 µs to 10 s");
        assert!(les.windows(2).all(|w| w[0] < w[1]), "{name} {labels:?}: le ascends");
        assert!(
            series.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name} {labels:?}: cumulative"
        );
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let count = scrape.value(&format!("{name}_count"), &pairs);
        assert_eq!(series.last().unwrap().1, count, "{name} {labels:?}: +Inf is _count");
        assert!(scrape.value(&format!("{name}_sum"), &pairs) >= 0.0);
        counts.insert(labels.clone(), count);
    }
    assert_eq!(
        counts.len(),
        scrape.series(&format!("{name}_count")).len(),
        "{name}: a _count without buckets"
    );
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn every_counter_moves_by_exactly_what_was_done() {
    let server = Server::start(0).await;
    let org = server.json(&format!("/api/v2/orgs?org={ORG}")).await["orgs"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carol = server.json("/api/v2/users?name=carol").await["users"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admins = server.json("/api/v2/authorizations?user=admin").await;
    let operator_auth = admins["authorizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["expiresAt"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = server.scrape().await;

    // 200s on a route with an ID, a 404 with a valid token, 401s (unknown, expired, none), a 403 for an inactive
    // user, a create that commits, a sign-in and a request with its session.
    let path = format!("/api/v2/authorizations/{operator_auth}");
    for _ in 0..2 {
        assert_eq!(server.with_token(Method::GET, &path, OPERATOR_TOKEN, None).await, 200);
    }
    assert_eq!(
        server
            .with_token(Method::GET, "/api/v2/nope/0123456789abcdef", OPERATOR_TOKEN, None)
            .await,
        404
    );
    assert_eq!(
        server.with_token(Method::GET, "/api/v2/me", UNKNOWN_TOKEN, None).await,
        401
    );
    assert_eq!(
        server.with_token(Method::GET, "/api/v2/me", EXPIRED_TOKEN, None).await,
        401
    );
    let deactivate = Some(json!({"status": "inactive"}));
    let carol_path = format!("/api/v2/users/{carol}");
    assert_eq!(
        server
            .with_token(Method::PATCH, &carol_path, OPERATOR_TOKEN, deactivate)
            .await,
        200
    );
    assert_eq!(
        server
            .with_token(Method::GET, "/api/v2/buckets", CAROL_TOKEN, None)
            .await,
        403
    );
    let create = json!({"orgID": org, "description": "made while counting",
                        "permissions": [{"action": "read", "resource": {"type": "buckets", "orgID": org}}]});
    let created = server
        .request(Method::POST, "/api/v2/authorizations")
        .header("Authorization", format!("Token {OPERATOR_TOKEN}"))
        .json(&create)
        .send()
        .await
        .unwrap();
    let created = json_of(created, 201).await;
    let signed_in = server
        .request(Method::POST, "/api/v2/signin")
        .basic_auth(USERNAME, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 204);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = server
        .request(Method::GET, "/api/v2/me")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        server.request(Method::GET, "/api/v2/me").send().await.unwrap().status(),
        401
    );

    let after = server.scrape().await;

    // Requests, by method, route template (never the raw path) and status; the first scrape counts too.
    assert_eq!(
        deltas(&before, &after, "influx_authz_http_requests_total"),
        expect(&[
            ("method=GET,route=/api/v2/authorizations/{id},status=200", 2.0),
            ("method=GET,route=/api/v2/me,status=200", 1.0),
            ("method=GET,route=/metrics,status=200", 1.0),
            ("method=GET,route=unmatched,status=401", 3.0),
            ("method=GET,route=unmatched,status=403", 1.0),
            ("method=GET,route=unmatched,status=404", 1.0),
            ("method=PATCH,route=/api/v2/users/{id},status=200", 1.0),
            ("method=POST,route=/api/v2/authorizations,status=201", 1.0),
            ("method=POST,route=/api/v2/signin,status=204", 1.0),
        ])
    );
    assert_eq!(
        deltas(&before, &after, "influx_authz_authentications_total"),
        expect(&[
            ("credential=none,outcome=unknown", 1.0),
            ("credential=password,outcome=success", 1.0),
            ("credential=session,outcome=success", 1.0),
            ("credential=token,outcome=expired", 1.0),
            ("credential=token,outcome=inactive_user", 1.0),
            // The two GETs, the 404, the PATCH and the create.
            ("credential=token,outcome=success", 5.0),
            ("credential=token,outcome=unknown", 1.0),
        ])
    );
    let failures = "influx_authz_auth_failures_total";
    assert_eq!(
        after.value(failures, &[]) - before.value(failures, &[]),
        2.0,
        "unknown token and none"
    );
    assert_eq!(
        deltas(&before, &after, "influx_authz_auth_rate_limited_total"),
        expect(&[])
    );

    // Latency: one observation per request, in consistent buckets.
    let latency = "influx_authz_http_request_duration_seconds";
    let counts_before = check_histograms(&before, latency);
    let counts_after = check_histograms(&after, latency);
    for (labels, count) in &counts_after {
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let requests: f64 = after
            .series("influx_authz_http_requests_total")
            .iter()
            .filter(|(l, _)| pairs.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(*count, requests, "{labels:?}: one observation per request");
    }
    let grown: f64 = counts_after.values().sum::<f64>() - counts_before.values().sum::<f64>();
    assert_eq!(grown, 12.0);
    assert_eq!(
        after.total("influx_authz_http_requests_total") - before.total("influx_authz_http_requests_total"),
        12.0
    );

    // Commits: the PATCH, the create and the sign-in each committed (the last-use flush may add more).
    let commits = |s: &Scrape, outcome| s.value("influx_authz_store_commits_total", &[("outcome", outcome)]);
    assert!(commits(&after, "ok") - commits(&before, "ok") >= 3.0);
    assert_eq!(commits(&after, "error"), 0.0);
    let commit_counts = check_histograms(&after, "influx_authz_store_commit_duration_seconds");
    assert_eq!(
        commit_counts.values().sum::<f64>(),
        commits(&after, "ok") + commits(&after, "error")
    );
    let commit_count = |s: &Scrape| s.value("influx_authz_store_commit_duration_seconds_count", &[]);
    assert!(commit_count(&after) - commit_count(&before) >= 3.0);

    // Store gauges agree with what the API lists.
    let records = |kind| after.value("influx_authz_store_records", &[("kind", kind)]);
    let listed = |body: Value, key: &str| body[key].as_array().unwrap().len() as f64;
    assert_eq!(
        records("authorizations"),
        listed(server.json("/api/v2/authorizations").await, "authorizations")
    );
    assert_eq!(
        records("authorizations"),
        4.0,
        "operator, expired, carol's, the new one"
    );
    assert_eq!(records("users"), listed(server.json("/api/v2/users").await, "users"));
    assert_eq!(records("orgs"), listed(server.json("/api/v2/orgs").await, "orgs"));
    assert_eq!(
        records("buckets"),
        listed(server.json("/api/v2/buckets").await, "buckets")
    );
    assert_eq!(records("sessions"), 1.0);
    if tests::pg::suite_on_postgres() {
        // The database's size, as PostgreSQL counts it.
        assert!(after.value("influx_authz_store_file_bytes", &[]) > 0.0);
    } else {
        let file = std::fs::metadata(server.dir.path().join("influx-authz.redb"))
            .unwrap()
            .len() as f64;
        let reported = after.value("influx_authz_store_file_bytes", &[]);
        assert!(reported > 0.0 && reported <= file, "{reported} of {file}");
    }
    assert!(
        after
            .types
            .get("influx_authz_last_used_pending")
            .is_some_and(|t| t == "gauge")
    );
    assert_eq!(after.series("influx_authz_last_used_pending").len(), 1);

    // Nothing that identifies a token, a user, a record or a raw path.
    let new_id = created["id"].as_str().unwrap();
    let new_token = created["token"].as_str().unwrap();
    let session_key = cookie.split_once('=').unwrap().1;
    for secret in [
        OPERATOR_TOKEN,
        EXPIRED_TOKEN,
        CAROL_TOKEN,
        UNKNOWN_TOKEN,
        new_token,
        session_key,
        &operator_auth,
        new_id,
        &carol,
        &org,
        "0123456789abcdef",
        "carol",
        USERNAME,
        ORG,
        BUCKET,
        "/api/v2/nope",
    ] {
        assert!(!after.text.contains(secret), "/metrics shows {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_for_too_many_failures_are_counted_per_credential() {
    let server = Server::start(2).await;
    let before = server.scrape().await;

    for _ in 0..2 {
        assert_eq!(
            server.with_token(Method::GET, "/api/v2/me", UNKNOWN_TOKEN, None).await,
            401
        );
    }
    // The address is now blocked, whatever it presents.
    assert_eq!(
        server.with_token(Method::GET, "/api/v2/me", OPERATOR_TOKEN, None).await,
        429
    );
    assert_eq!(
        server.request(Method::GET, "/api/v2/me").send().await.unwrap().status(),
        429
    );
    let sign_in = server
        .request(Method::POST, "/api/v2/signin")
        .basic_auth(USERNAME, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_in.status(), 429);

    let after = server.scrape().await;
    assert_eq!(
        deltas(&before, &after, "influx_authz_authentications_total"),
        expect(&[
            ("credential=none,outcome=rate_limited", 1.0),
            ("credential=password,outcome=rate_limited", 1.0),
            ("credential=token,outcome=rate_limited", 1.0),
            ("credential=token,outcome=unknown", 2.0),
        ])
    );
    assert_eq!(
        deltas(&before, &after, "influx_authz_auth_rate_limited_total"),
        expect(&[("", 3.0)])
    );
    assert_eq!(
        deltas(&before, &after, "influx_authz_http_requests_total"),
        expect(&[
            ("method=GET,route=/metrics,status=200", 1.0),
            ("method=GET,route=unmatched,status=401", 2.0),
            ("method=GET,route=unmatched,status=429", 2.0),
            ("method=POST,route=/api/v2/signin,status=429", 1.0),
        ])
    );
}
