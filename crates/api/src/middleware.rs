//! What every request passes before routing, as one hand-written service ([`Front`]): its timing and count for
//! `/metrics`, CORS, the request deadline, token or session authentication (before routing, so an unknown path
//! without a token is 401, as in InfluxDB), InfluxDB's JSON 405, and the build headers on every answer. One
//! service call and one boxed future per request: the layers it replaces (axum's `from_fn`, the metrics layer, and
//! the catch-all `Router` that ran them before the real one) cost a service call, and most of them a boxed future
//! or a URL parameter, each; the profile of a 401 showed them as a third of its cost.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use model::Token;
use service::{Attempt, AuthenticationError};

use tower::ServiceExt as _;

use crate::metrics::{Credential, Outcome};
use crate::{ApiError, AppState};

/// Puts [`Front`] around the router.
#[derive(Clone)]
pub(crate) struct FrontLayer(AppState);

impl FrontLayer {
    pub(crate) fn new(state: AppState) -> Self {
        Self(state)
    }
}

impl<S> tower::Layer<S> for FrontLayer {
    type Service = Front<S>;

    fn layer(&self, inner: S) -> Front<S> {
        Front {
            inner,
            state: self.0.clone(),
        }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct Front<S> {
    inner: S,
    state: AppState,
}

impl<S> tower::Service<Request> for Front<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was polled ready is the one that gets called.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let state = self.state.clone();
        Box::pin(async move {
            let method = request.method().clone();
            let started = Instant::now();
            let (response, route) = crate::metrics::answered(gate(&state, inner, request, started)).await;
            state
                .metrics
                .record_response(&method, route, &response, started.elapsed());
            Ok(response)
        })
    }
}

/// Paths under the v2 API that need no token (`http/platform_handler.go`).
const PUBLIC_PATHS: &[&str] = &["/api/v2", "/api/v2/setup", "/api/v2/signin", "/api/v2/signout"];

fn needs_token(path: &str) -> bool {
    let in_api = path.starts_with("/api/v2/") || path == "/api/v2" || path.starts_with("/private/");
    // The proxy check endpoint reads the forwarded request's credential itself.
    in_api && !PUBLIC_PATHS.contains(&path) && !crate::routes::authz_check::is_check_path(path)
}

/// The token of an `Authorization: Token <t>` or `Bearer <t>` header (scheme in any case). The value after the
/// single space is taken as is, like InfluxDB does.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<Token> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && !token.is_empty()).then(|| Token::new(token))
}

/// The name of InfluxDB's session cookie.
pub(crate) const SESSION_COOKIE: &str = "influxdb-oss-session";

/// The value of the session cookie, if the request carries one.
pub(crate) fn session_key(headers: &HeaderMap) -> Option<Token> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| Token::new(value))
        .filter(|key| !key.expose().is_empty())
}

/// Resolves the caller of every `/api/v2/*` request but the public ones, before its handler, and stores it in the
/// request's extensions. A token (`Authorization: Token|Bearer …`) wins; without one, the session cookie is
/// used. Either is looked up in the store every time.
async fn gate<S>(state: &AppState, inner: S, request: Request, started: Instant) -> Response
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let origin = request.headers().get(header::ORIGIN).cloned();
    let response = if origin.is_some() && request.method() == Method::OPTIONS {
        preflight()
    } else {
        let deadline = tokio::time::Instant::from_std(started + state.limits.request_timeout);
        match within(deadline, authenticate(state, inner, request)).await {
            Some(response) => json_method_not_allowed(response),
            None => ApiError::RequestTimeout.into_response(),
        }
    };
    let mut response = match origin {
        Some(origin) => with_origin(response, origin),
        None => response,
    };
    let headers = response.headers_mut();
    headers.insert(BUILD_HEADER, HeaderValue::from_static("OSS"));
    headers.insert(VERSION_HEADER, HeaderValue::from_static(crate::INFLUXDB_VERSION));
    response
}

/// `future`'s output, or `None` once `deadline` has passed. The timer is armed only if the future waits: most
/// requests (every token check, every read) finish in their first poll, and arming a timer costs a clone of the
/// runtime's handle, whose count all workers share, and a timer entry, per request.
async fn within<T>(deadline: tokio::time::Instant, future: impl Future<Output = T>) -> Option<T> {
    let mut future = std::pin::pin!(future);
    if let Poll::Ready(output) = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await {
        return Some(output);
    }
    tokio::time::timeout_at(deadline, future).await.ok()
}

/// On every answer, as InfluxDB sends them. Set here rather than by two more layers around the router: each
/// layer is a service call and a future per request.
const BUILD_HEADER: HeaderName = HeaderName::from_static("x-influxdb-build");
const VERSION_HEADER: HeaderName = HeaderName::from_static("x-influxdb-version");

/// Runs `inner` on the request, a caller in its extensions where the path needs one.
async fn authenticate<S>(state: &AppState, inner: S, mut request: Request) -> Response
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let run = |request: Request| async move {
        match inner.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    };
    if !needs_token(request.uri().path()) {
        return run(request).await;
    }
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let per_minute = state.limits.auth_failures_per_minute;
    if let Some(address) = address
        && state.auth_failures.is_blocked(address, per_minute)
    {
        state
            .metrics
            .authentication(credential_of(request.headers()), Outcome::RateLimited);
        return ApiError::TooManyFailures.into_response();
    }
    // A token wins over the session cookie, which is then not even read.
    let token = bearer_token(request.headers());
    let session = if token.is_none() {
        session_key(request.headers())
    } else {
        None
    };
    let (credential, attempt, caller) = match (&token, &session) {
        (Some(token), _) => (
            Credential::Token,
            Attempt::Token(token),
            state.service.authenticate(token).await,
        ),
        (None, Some(key)) => (
            Credential::Session,
            Attempt::Session(key),
            state.service.authenticate_session(key).await,
        ),
        (None, None) => (
            Credential::None,
            Attempt::Nothing,
            Err(AuthenticationError::UnknownToken),
        ),
    };
    state.metrics.authenticated(credential, &caller);
    match caller {
        Ok(mut caller) => {
            caller.remote = address;
            // The caller carries the address from here on, and takes `ConnectInfo`'s place: with both, and the
            // router's `MatchedPath` and URL parameters, the map outgrows its first table on every request. (The
            // handlers that read `ConnectInfo` are all on paths without a token: setup, sign-in and -out, the
            // authz check.)
            let extensions = request.extensions_mut();
            extensions.remove::<ConnectInfo<SocketAddr>>();
            extensions.insert(caller);
            run(request).await
        }
        Err(error) => {
            // The audit trail records which kind of credential failed (never the credential itself).
            state.service.audit_failed_authentication(attempt, address, &error);
            if matches!(error, AuthenticationError::UnknownToken) {
                state.auth_failures.record(address, per_minute);
                // Counted in /metrics and written to the audit trail; a log line per refusal would let a flood of
                // bad tokens fill the log (and cost more than the refusal itself).
                tracing::debug!(remote = ?address, path = %request.uri().path(), "authentication failed");
            }
            ApiError::from(error).into_response()
        }
    }
}

/// Which credential [`authenticate`] would use, for counting a request refused before looking at it.
fn credential_of(headers: &HeaderMap) -> Credential {
    if bearer_token(headers).is_some() {
        Credential::Token
    } else if session_key(headers).is_some() {
        Credential::Session
    } else {
        Credential::None
    }
}

/// InfluxDB's CORS preflight: a preflight `OPTIONS` with an `Origin` is answered here, before any token check.
fn preflight() -> Response {
    let mut preflight = StatusCode::NO_CONTENT.into_response();
    let headers = preflight.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS, PUT, DELETE, PATCH"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Accept, Content-Type, Content-Length, Accept-Encoding, Authorization, User-Agent"),
    );
    preflight
}

/// InfluxDB's CORS: the request's `Origin` is echoed back. No `Allow-Credentials`: another site's script may call
/// the API with a token it holds, never with the session cookie of someone visiting it.
fn with_origin(mut response: Response, origin: HeaderValue) -> Response {
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    response
}

/// Turns the router's bare 405 into InfluxDB's `{"code":"method not allowed","message":"allow: GET, POST"}`.
fn json_method_not_allowed(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let allow = response
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty() && *m != "HEAD")
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let mut json = ApiError::MethodNotAllowed(allow).into_response();
    if let Some(value) = response.headers().get(header::ALLOW) {
        json.headers_mut().insert(header::ALLOW, value.clone());
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_done_in_its_first_poll_arms_no_timer_and_one_that_waits_is_cut_at_the_deadline() {
        // No time driver: arming a timer here would panic.
        let without_timers = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1);
        assert_eq!(without_timers.block_on(within(deadline, async { 7 })), Some(7));

        let with_timers = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        with_timers.block_on(async {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(50);
            let waits = tokio::time::sleep(std::time::Duration::from_millis(10));
            assert_eq!(
                within(deadline, async {
                    waits.await;
                    8
                })
                .await,
                Some(8)
            );
            let never = std::future::pending::<()>();
            let started = std::time::Instant::now();
            assert_eq!(within(deadline, never).await, None);
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
        });
    }

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn reads_token_and_bearer_in_any_case() {
        assert_eq!(bearer_token(&headers("Token abc")).unwrap().expose(), "abc");
        assert_eq!(bearer_token(&headers("token abc")).unwrap().expose(), "abc");
        assert_eq!(bearer_token(&headers("BEARER abc")).unwrap().expose(), "abc");
        assert_eq!(bearer_token(&headers("Token  abc")).unwrap().expose(), " abc");
        assert!(bearer_token(&headers("Basic abc")).is_none());
        assert!(bearer_token(&headers("Token")).is_none());
        assert!(bearer_token(&headers("Token ")).is_none());
        assert!(bearer_token(&HeaderMap::new()).is_none());
    }

    proptest::proptest! {
        /// Fuzz: any header bytes parse to a token or to nothing, never a panic; a well-formed header gives back
        /// exactly its token.
        #[test]
        fn fuzz_authorization_header(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                                     token in "[!-~]{1,100}") {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let mut headers = HeaderMap::new();
                headers.insert(header::AUTHORIZATION, value);
                let _ = bearer_token(&headers);
                let mut cookies = HeaderMap::new();
                if let Ok(cookie) = HeaderValue::from_bytes(&bytes) {
                    cookies.insert(header::COOKIE, cookie);
                    let _ = session_key(&cookies);
                }
            }
            let parsed = bearer_token(&headers(&format!("Token {token}")));
            proptest::prop_assert_eq!(parsed.map(|t| t.expose().to_owned()), Some(token.clone()));
            let parsed = bearer_token(&headers(&format!("bEaReR {token}")));
            proptest::prop_assert_eq!(parsed.map(|t| t.expose().to_owned()), Some(token));
        }
    }

    #[test]
    fn public_paths_need_no_token() {
        assert!(!needs_token("/api/v2"));
        assert!(!needs_token("/api/v2/setup"));
        assert!(!needs_token("/health"));
        assert!(!needs_token("/ping"));
        assert!(needs_token("/api/v2/authorizations"));
        assert!(needs_token("/api/v2/setup/user"));
        assert!(needs_token("/api/v2/nope"));
    }
}
