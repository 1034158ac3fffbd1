//! What `GET /metrics` exports, counted on the request path at the cost of a few relaxed atomic additions, and the
//! one place that writes the Prometheus text format.
//!
//! - [`Metrics::record_response`], called by the one layer every request passes (`middleware::Front`, outside
//!   authentication), times each request and counts it by method, route and status.
//! - [`RouteLayer`] sits on every route of the router (`Router::layer`). It learns its route's template from
//!   axum's `MatchedPath` on its first request and keeps the slot index. When its route's answer is ready it
//!   leaves the slot in a thread-local cell, and `Front`, polling through [`answered`], picks it up in that same
//!   poll: the answer goes up from the route to `Front` without a pause (no layer in between awaits anything
//!   after its inner service answers), so the cell always holds the mark of the answer being handed up. That
//!   costs no allocation, where a mark in the response's extensions cost a map of its own per response. An
//!   answer of no route (the fallback's 404, or a request refused before routing: 401, 403 `User is inactive`,
//!   429, 408, a CORS preflight) counts as `route="unmatched"`.
//! - Authentication outcomes are fed by the token middleware and by sign-in.
//!
//! Labels are only ever a method from a fixed list, a route template, a status code or a fixed word: never a raw
//! path (IDs), a query, a header, a token or a name.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use http::Method;
use service::{AuthenticationError, HistogramSnapshot, LatencyHistogram, StoreFigures};

use crate::AuthFailures;

/// Route slots; the first is `unmatched`, the last `other` (only if there were ever more route templates).
const MAX_ROUTES: usize = 64;
const UNMATCHED: u16 = 0;
const OVERFLOW: u16 = (MAX_ROUTES - 1) as u16;
/// The `method` label values; any other method counts as `other`.
const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"];
/// Distinct statuses kept per method and route; more would count as `status="other"`.
const STATUSES: usize = 16;

/// The server's counters. Shared by the layers, the middleware and the `/metrics` handler.
///
/// The counters every request adds to are kept in several [`Stripe`]s, one per thread as far as they go, each on
/// cache lines of its own: two workers counting at once then never write the same line (with one shared set,
/// the lines moved between the cores on every request; `bench`'s GET by id at c=64 went from 0.72× to 0.80× the
/// baseline without them). `/metrics` adds the stripes up.
pub struct Metrics {
    /// Route templates by slot, in the order first seen (slot 0 is `unmatched`).
    route_names: Mutex<Vec<Box<str>>>,
    stripes: Box<[Stripe]>,
    /// How many times a route layer resolved its template (once per route and method, by design).
    resolutions: AtomicU64,
}

/// Stripes per [`Metrics`]: enough for the workers of a machine of a few cores to have one each; more threads
/// share them (correct, only slower).
const STRIPES: usize = 8;

/// One thread's share of the counters. Aligned so that no two stripes share a cache line (128 bytes: the line
/// pair that x86's adjacent-line prefetch moves together).
#[repr(align(128))]
struct Stripe {
    /// Per route slot and method: statuses and latency, allocated on first use.
    series: Box<[[OnceLock<Box<Series>>; METHODS.len()]]>,
    authentications: [[AtomicU64; Outcome::ALL.len()]; Credential::ALL.len()],
}

impl Default for Stripe {
    fn default() -> Self {
        Self {
            series: (0..MAX_ROUTES).map(|_| Default::default()).collect(),
            authentications: Default::default(),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            route_names: Mutex::new(vec!["unmatched".into()]),
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
            resolutions: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Series {
    statuses: [StatusCount; STATUSES],
    other_status: AtomicU64,
    latency: LatencyHistogram,
}

/// One status code (0 while the slot is free) and how many responses had it.
#[derive(Default)]
struct StatusCount {
    code: AtomicU16,
    count: AtomicU64,
}

impl Series {
    fn count_status(&self, status: u16) {
        for slot in &self.statuses {
            let mut code = slot.code.load(Ordering::Relaxed);
            if code == 0 {
                // Claim the free slot, unless another request just took it (for this status or another).
                code = match slot
                    .code
                    .compare_exchange(0, status, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => status,
                    Err(taken) => taken,
                };
            }
            if code == status {
                slot.count.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        self.other_status.fetch_add(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts an answered request by method, route (as [`answered`] found it) and status, with its time.
    pub(crate) fn record_response(
        &self,
        method: &Method,
        route: AnsweredRoute,
        response: &Response,
        elapsed: Duration,
    ) {
        self.record_request(route.0, method_slot(method), response.status().as_u16(), elapsed);
    }

    /// This thread's stripe.
    fn stripe(&self) -> &Stripe {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        &self.stripes[INDEX.with(|index| *index) % self.stripes.len()]
    }

    fn record_request(&self, route: u16, method: usize, status: u16, elapsed: Duration) {
        let series = self.stripe().series[usize::from(route)][method].get_or_init(Box::default);
        series.count_status(status);
        series.latency.observe(elapsed);
    }

    /// The slot of a route template, given one on first sight (under the lock: once per route and method).
    fn route_slot(&self, template: Option<&MatchedPath>) -> u16 {
        self.resolutions.fetch_add(1, Ordering::Relaxed);
        let Some(template) = template.map(MatchedPath::as_str) else {
            return UNMATCHED;
        };
        let mut names = self.route_names.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = names.iter().position(|name| &**name == template) {
            return u16::try_from(slot).unwrap_or(OVERFLOW);
        }
        if names.len() >= usize::from(OVERFLOW) {
            return OVERFLOW;
        }
        names.push(template.into());
        u16::try_from(names.len() - 1).unwrap_or(OVERFLOW)
    }

    /// Counts one authentication attempt.
    pub(crate) fn authentication(&self, credential: Credential, outcome: Outcome) {
        self.stripe().authentications[credential as usize][outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the outcome of an authentication that was attempted.
    pub(crate) fn authenticated<T>(&self, credential: Credential, result: &Result<T, AuthenticationError>) {
        self.authentication(credential, Outcome::of(result));
    }

    /// The whole exposition, in the Prometheus text format (version 0.0.4).
    pub(crate) fn render(&self, auth_failures: &AuthFailures, store: &StoreFigures) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.render_http(&mut out);
        self.render_authentications(&mut out, auth_failures);
        render_store(&mut out, store);
        out
    }

    fn render_http(&self, out: &mut String) {
        let mut routes: Vec<(String, usize)> = {
            let names = self.route_names.lock().unwrap_or_else(PoisonError::into_inner);
            names
                .iter()
                .enumerate()
                .map(|(slot, name)| (name.to_string(), slot))
                .collect()
        };
        routes.push(("other".into(), usize::from(OVERFLOW)));
        routes.sort();
        // One read of every series, so the counter and the histogram come from the same moment.
        let mut rows = Vec::new();
        for (name, slot) in &routes {
            for (method, index) in METHODS.iter().zip(0..) {
                let mut used = false;
                let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
                let mut other = 0;
                let mut latency = LatencyHistogram::default().snapshot();
                for series in self
                    .stripes
                    .iter()
                    .filter_map(|stripe| stripe.series[*slot][index].get())
                {
                    used = true;
                    for status in &series.statuses {
                        let code = status.code.load(Ordering::Relaxed);
                        if code != 0 {
                            *counts.entry(code).or_default() += status.count.load(Ordering::Relaxed);
                        }
                    }
                    other += series.other_status.load(Ordering::Relaxed);
                    latency += series.latency.snapshot();
                }
                if !used {
                    continue;
                }
                let mut statuses: Vec<(String, u64)> = counts
                    .into_iter()
                    .map(|(code, count)| (code.to_string(), count))
                    .collect();
                statuses.sort();
                if other > 0 {
                    statuses.push(("other".into(), other));
                }
                rows.push((labels(&[("method", method), ("route", name)]), statuses, latency));
            }
        }
        header(
            out,
            "influx_authz_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template (or unmatched) and status.",
        );
        for (labels, statuses, _) in &rows {
            for (status, count) in statuses {
                let _ = writeln!(
                    out,
                    "influx_authz_http_requests_total{{{labels},status=\"{status}\"}} {count}"
                );
            }
        }
        header(
            out,
            "influx_authz_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its response headers, by method and route template (or unmatched).",
        );
        for (labels, _, latency) in &rows {
            histogram(out, "influx_authz_http_request_duration_seconds", labels, latency);
        }
    }

    fn render_authentications(&self, out: &mut String, auth_failures: &AuthFailures) {
        header(
            out,
            "influx_authz_authentications_total",
            "counter",
            "Authentication attempts by credential (token, session cookie, sign-in password, none) and outcome.",
        );
        for credential in Credential::ALL {
            for outcome in Outcome::ALL.into_iter().filter(|o| credential.may_end(*o)) {
                let count: u64 = self
                    .stripes
                    .iter()
                    .map(|stripe| stripe.authentications[credential as usize][outcome as usize].load(Ordering::Relaxed))
                    .sum();
                let _ = writeln!(
                    out,
                    "influx_authz_authentications_total{{credential=\"{}\",outcome=\"{}\"}} {count}",
                    credential.label(),
                    outcome.label(),
                );
            }
        }
        header(
            out,
            "influx_authz_auth_failures_total",
            "counter",
            "Requests refused for an unknown, deleted or missing token or session, or a failed sign-in.",
        );
        let _ = writeln!(out, "influx_authz_auth_failures_total {}", auth_failures.total());
        header(
            out,
            "influx_authz_auth_rate_limited_total",
            "counter",
            "Requests refused with 429 after too many failed authentications.",
        );
        let _ = writeln!(out, "influx_authz_auth_rate_limited_total {}", auth_failures.limited());
    }
}

fn render_store(out: &mut String, store: &StoreFigures) {
    if let Some(records) = store.records {
        header(
            out,
            "influx_authz_store_records",
            "gauge",
            "Records in the store, by kind.",
        );
        for (kind, count) in [
            ("authorizations", records.authorizations),
            ("users", records.users),
            ("orgs", records.orgs),
            ("buckets", records.buckets),
            ("sessions", records.sessions),
        ] {
            let _ = writeln!(out, "influx_authz_store_records{{kind=\"{kind}\"}} {count}");
        }
    }
    if let Some(bytes) = store.file_bytes {
        header(
            out,
            "influx_authz_store_file_bytes",
            "gauge",
            "Size of the database on disk (the redb file, or the PostgreSQL database).",
        );
        let _ = writeln!(out, "influx_authz_store_file_bytes {bytes}");
    }
    header(
        out,
        "influx_authz_last_used_pending",
        "gauge",
        "Tokens whose last use is held in memory, not yet written to the store.",
    );
    let _ = writeln!(out, "influx_authz_last_used_pending {}", store.last_used_pending);
    header(
        out,
        "influx_authz_store_commits_total",
        "counter",
        "Write transactions committed (ok) or whose commit failed (error).",
    );
    let _ = writeln!(
        out,
        "influx_authz_store_commits_total{{outcome=\"ok\"}} {}",
        store.commits.ok
    );
    let _ = writeln!(
        out,
        "influx_authz_store_commits_total{{outcome=\"error\"}} {}",
        store.commits.failed
    );
    header(
        out,
        "influx_authz_store_commit_duration_seconds",
        "histogram",
        "Time the store's durable commits took.",
    );
    histogram(
        out,
        "influx_authz_store_commit_duration_seconds",
        "",
        &store.commits.latency,
    );
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// `a="x",b="y"`, with the values escaped as the text format wants.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out
}

fn histogram(out: &mut String, name: &str, labels: &str, snapshot: &HistogramSnapshot) {
    let sep = if labels.is_empty() { "" } else { "," };
    for (le, count) in snapshot.cumulative() {
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {count}");
    }
    let braced = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(out, "{name}_sum{braced} {}", snapshot.sum_seconds());
    let _ = writeln!(out, "{name}_count{braced} {}", snapshot.count());
}

fn method_slot(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// What a request authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Token|Bearer …`.
    Token,
    /// The session cookie.
    Session,
    /// `POST /api/v2/signin`'s Basic user name and password.
    Password,
    /// Nothing usable.
    None,
    /// A v1 user name and password at the check endpoint (`?u=&p=`, `Token user:password`, Basic).
    V1,
}

impl Credential {
    const ALL: [Self; 5] = [Self::Token, Self::Session, Self::Password, Self::None, Self::V1];

    fn label(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Session => "session",
            Self::Password => "password",
            Self::None => "none",
            Self::V1 => "v1",
        }
    }

    /// Whether an attempt with this credential can end so (the rest are not written out).
    fn may_end(self, outcome: Outcome) -> bool {
        match self {
            Self::Token => true,
            // An expired session is deleted and answered as unknown.
            Self::Session | Self::Password => outcome != Outcome::Expired,
            Self::None => matches!(outcome, Outcome::Unknown | Outcome::RateLimited),
            // Every v1 refusal is one answer, `Unauthorized`.
            Self::V1 => !matches!(outcome, Outcome::Expired | Outcome::InactiveUser),
        }
    }
}

/// How an authentication attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    /// No such token or session (never existed, deleted, expired session), no credential, or a wrong password.
    Unknown,
    /// The token's `expiresAt` has passed.
    Expired,
    /// The user is inactive or gone.
    InactiveUser,
    /// Refused with 429 before looking, after too many failures from the address.
    RateLimited,
    /// The store could not be read.
    Error,
}

impl Outcome {
    const ALL: [Self; 6] = [
        Self::Success,
        Self::Unknown,
        Self::Expired,
        Self::InactiveUser,
        Self::RateLimited,
        Self::Error,
    ];

    fn of<T>(result: &Result<T, AuthenticationError>) -> Self {
        match result {
            Ok(_) => Self::Success,
            Err(AuthenticationError::UnknownToken | AuthenticationError::V1Refused(_)) => Self::Unknown,
            Err(AuthenticationError::Expired) => Self::Expired,
            Err(AuthenticationError::InactiveUser) => Self::InactiveUser,
            Err(AuthenticationError::Service(_)) => Self::Error,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Unknown => "unknown",
            Self::Expired => "expired",
            Self::InactiveUser => "inactive_user",
            Self::RateLimited => "rate_limited",
            Self::Error => "error",
        }
    }
}

// -- the outer layer: time and count every request -------------------------------------------------------------

// -- the route layer: tell the outer layer which route answered ------------------------------------------------

thread_local! {
    /// The slot of the route whose answer was the last to be ready on this thread: written by [`MarkFuture`],
    /// read (and cleared) by [`Answered`] in the same poll.
    static ANSWERED: Cell<u16> = const { Cell::new(UNMATCHED) };
}

/// The route an answer came from, or `unmatched`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AnsweredRoute(u16);

/// `future`'s output with the route that answered it: the mark a [`RouteLayer`] route left when its answer was
/// ready, within the poll in which `future` was. See the module documentation.
pub(crate) fn answered<F: Future>(future: F) -> Answered<F> {
    Answered { inner: future }
}

pin_project_lite::pin_project! {
    /// See [`answered`].
    pub(crate) struct Answered<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Answered<F> {
    type Output = (F::Output, AnsweredRoute);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Whatever another poll on this thread left is not this answer's.
        ANSWERED.set(UNMATCHED);
        let output = ready!(self.project().inner.poll(cx));
        Poll::Ready((output, AnsweredRoute(ANSWERED.replace(UNMATCHED))))
    }
}

/// Marks each answer with its route's slot (see [`answered`]). For `Router::layer`, which gives every route (and
/// method, and the fallback) its own service: each resolves its template once and keeps it.
#[derive(Clone)]
pub(crate) struct RouteLayer(pub(crate) Arc<Metrics>);

impl<S> tower::Layer<S> for RouteLayer {
    type Service = MarkRoute<S>;

    fn layer(&self, inner: S) -> MarkRoute<S> {
        MarkRoute {
            inner,
            slot: Arc::new(RouteSlot {
                metrics: Arc::clone(&self.0),
                slot: OnceLock::new(),
            }),
        }
    }
}

struct RouteSlot {
    metrics: Arc<Metrics>,
    slot: OnceLock<u16>,
}

#[derive(Clone)]
pub(crate) struct MarkRoute<S> {
    inner: S,
    slot: Arc<RouteSlot>,
}

impl<S> tower::Service<Request> for MarkRoute<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = MarkFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let cell = &self.slot;
        let slot = *cell
            .slot
            .get_or_init(|| cell.metrics.route_slot(request.extensions().get::<MatchedPath>()));
        MarkFuture {
            inner: self.inner.call(request),
            slot,
        }
    }
}

pin_project_lite::pin_project! {
    pub(crate) struct MarkFuture<F> {
        #[pin]
        inner: F,
        slot: u16,
    }
}

impl<F, E> Future for MarkFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        ANSWERED.set(*this.slot);
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use http::StatusCode;
    use tower::ServiceExt as _;

    fn figures() -> StoreFigures {
        StoreFigures {
            records: None,
            file_bytes: None,
            commits: service::CommitSnapshot {
                ok: 3,
                failed: 1,
                latency: LatencyHistogram::default().snapshot(),
            },
            last_used_pending: 2,
        }
    }

    /// The route layer as `api::app` uses it, and the counting `middleware::Front` does around the router.
    fn app(metrics: &Arc<Metrics>) -> Router {
        let router = Router::new()
            .route(
                "/things/{id}",
                get(|| async { "thing" }).post(|| async { StatusCode::CREATED }),
            )
            .route("/other", get(|| async { StatusCode::NO_CONTENT }))
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(RouteLayer(Arc::clone(metrics)))
            .with_state(());
        let metrics = Arc::clone(metrics);
        Router::new().fallback_service(tower::service_fn(move |request: Request| {
            let (router, metrics) = (router.clone(), Arc::clone(&metrics));
            async move {
                let method = request.method().clone();
                let started = std::time::Instant::now();
                let (response, route) = answered(router.oneshot(request)).await;
                let response = response?;
                metrics.record_response(&method, route, &response, started.elapsed());
                Ok::<_, std::convert::Infallible>(response)
            }
        }))
    }

    async fn send(app: &Router, method: Method, path: &str) -> StatusCode {
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        app.clone().oneshot(request).await.unwrap().status()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn requests_are_counted_by_template_and_each_route_resolves_once() {
        let metrics = Arc::new(Metrics::default());
        let app = app(&metrics);
        for id in 0..5 {
            assert_eq!(send(&app, Method::GET, &format!("/things/{id}")).await, StatusCode::OK);
        }
        assert_eq!(send(&app, Method::POST, "/things/9").await, StatusCode::CREATED);
        assert_eq!(send(&app, Method::GET, "/other").await, StatusCode::NO_CONTENT);
        assert_eq!(
            send(&app, Method::DELETE, "/things/1").await,
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(send(&app, Method::GET, "/nope/123").await, StatusCode::NOT_FOUND);
        assert_eq!(send(&app, Method::GET, "/nope/456").await, StatusCode::NOT_FOUND);

        let text = metrics.render(&AuthFailures::default(), &figures());
        for line in [
            r#"influx_authz_http_requests_total{method="GET",route="/things/{id}",status="200"} 5"#,
            r#"influx_authz_http_requests_total{method="POST",route="/things/{id}",status="201"} 1"#,
            r#"influx_authz_http_requests_total{method="DELETE",route="/things/{id}",status="405"} 1"#,
            r#"influx_authz_http_requests_total{method="GET",route="/other",status="204"} 1"#,
            r#"influx_authz_http_requests_total{method="GET",route="unmatched",status="404"} 2"#,
            r#"influx_authz_http_request_duration_seconds_count{method="GET",route="/things/{id}"} 5"#,
            r#"influx_authz_http_request_duration_seconds_bucket{method="GET",route="/things/{id}",le="+Inf"} 5"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("/things/1") && !text.contains("/nope"), "{text}");
        // GET and POST of /things/{id}, its 405, GET /other, the fallback: five services, one resolution each.
        assert_eq!(metrics.resolutions.load(Ordering::Relaxed), 5);
        for _ in 0..3 {
            send(&app, Method::GET, "/things/1").await;
            send(&app, Method::GET, "/nope").await;
        }
        assert_eq!(
            metrics.resolutions.load(Ordering::Relaxed),
            5,
            "no lookup after the first request"
        );
    }

    #[test]
    fn an_answer_takes_the_mark_of_its_own_route_and_never_one_left_behind() {
        let metrics = Arc::new(Metrics::default());
        let router = Router::new()
            .route("/now", get(|| async { StatusCode::NO_CONTENT }))
            .route(
                "/later",
                get(|| async {
                    tokio::task::yield_now().await;
                    StatusCode::ACCEPTED
                }),
            )
            .layer(RouteLayer(Arc::clone(&metrics)))
            .with_state(());
        let get = |path: &str| {
            router
                .clone()
                .oneshot(http::Request::get(path).body(axum::body::Body::empty()).unwrap())
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let (now, route_now) = answered(get("/now")).await;
            assert_eq!(now.unwrap().status(), StatusCode::NO_CONTENT);
            assert_ne!(route_now, AnsweredRoute(UNMATCHED));
            // An answer ready only on a later poll still carries its route's mark.
            let (later, route_later) = answered(get("/later")).await;
            assert_eq!(later.unwrap().status(), StatusCode::ACCEPTED);
            assert_ne!(route_later, AnsweredRoute(UNMATCHED));
            assert_ne!(route_later, route_now);

            // A routed answer polled outside `answered` leaves its mark on this thread; an answer that passes no
            // route (as a 401 of `Front`) must not take it.
            let _ = get("/now").await;
            let (_, refused) = answered(async { StatusCode::UNAUTHORIZED }).await;
            assert_eq!(refused, AnsweredRoute(UNMATCHED));
            let (_, again) = answered(get("/now")).await;
            assert_eq!(again, route_now);
        });
    }

    #[test]
    fn statuses_beyond_the_slots_count_as_other_and_nothing_is_lost() {
        let series = Series::default();
        for status in 200..(200 + STATUSES as u16 + 2) {
            series.count_status(status);
        }
        series.count_status(200);
        let kept: u64 = series.statuses.iter().map(|s| s.count.load(Ordering::Relaxed)).sum();
        assert_eq!(kept, STATUSES as u64 + 1);
        assert_eq!(series.other_status.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn authentication_outcomes_and_store_figures_are_written_out() {
        let metrics = Metrics::default();
        metrics.authentication(Credential::Token, Outcome::Expired);
        metrics.authentication(Credential::Token, Outcome::Expired);
        metrics.authentication(Credential::None, Outcome::RateLimited);
        let text = metrics.render(&AuthFailures::default(), &figures());
        for line in [
            r#"influx_authz_authentications_total{credential="token",outcome="expired"} 2"#,
            r#"influx_authz_authentications_total{credential="none",outcome="rate_limited"} 1"#,
            r#"influx_authz_authentications_total{credential="session",outcome="success"} 0"#,
            r#"influx_authz_store_commits_total{outcome="ok"} 3"#,
            r#"influx_authz_store_commits_total{outcome="error"} 1"#,
            r#"influx_authz_store_commit_duration_seconds_bucket{le="+Inf"} 0"#,
            "influx_authz_store_commit_duration_seconds_count 0",
            "influx_authz_last_used_pending 2",
            "influx_authz_auth_failures_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(!text.contains(r#"credential="none",outcome="success""#));
        assert!(
            !text.contains("influx_authz_store_records"),
            "no counts when the store was unreadable"
        );
        assert!(!text.contains("influx_authz_store_file_bytes"), "no file in memory");
    }

    #[test]
    fn counts_from_many_threads_add_up_across_the_stripes() {
        // More threads than stripes, so some stripes are shared and every stripe is used.
        let threads = STRIPES * 2 + 1;
        let metrics = Metrics::default();
        std::thread::scope(|scope| {
            for thread in 0..threads {
                let metrics = &metrics;
                scope.spawn(move || {
                    for _ in 0..100 {
                        metrics.record_request(UNMATCHED, 0, 200, Duration::from_micros(80));
                        metrics.authentication(Credential::Token, Outcome::Success);
                    }
                    // One status only some threads see.
                    if thread % 3 == 0 {
                        metrics.record_request(UNMATCHED, 0, 404, Duration::from_secs(20));
                    }
                });
            }
        });
        let used = metrics
            .stripes
            .iter()
            .filter(|stripe| stripe.series[usize::from(UNMATCHED)][0].get().is_some())
            .count();
        assert!(used > 1, "the threads counted in {used} stripe(s)");
        let text = metrics.render(&AuthFailures::default(), &figures());
        let requests = threads * 100;
        let not_found = threads.div_ceil(3);
        for line in [
            format!(r#"influx_authz_http_requests_total{{method="GET",route="unmatched",status="200"}} {requests}"#),
            format!(r#"influx_authz_http_requests_total{{method="GET",route="unmatched",status="404"}} {not_found}"#),
            format!(
                r#"influx_authz_http_request_duration_seconds_bucket{{method="GET",route="unmatched",le="0.0001"}} {requests}"#
            ),
            format!(
                r#"influx_authz_http_request_duration_seconds_count{{method="GET",route="unmatched"}} {}"#,
                requests + not_found
            ),
            format!(r#"influx_authz_authentications_total{{credential="token",outcome="success"}} {requests}"#),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("a", "x\"y\\z\n"), ("b", "{id}")]),
            r#"a="x\"y\\z\n",b="{id}""#
        );
    }
}
