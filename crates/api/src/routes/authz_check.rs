//! `/api/v2/authz/check` and `/api/v2/authz/check/{*path}` (an extension; InfluxDB has no such route): the
//! question a reverse proxy asks before it lets a request through (nginx `auth_request`, Traefik ForwardAuth,
//! Envoy ext_authz over HTTP). Any method is answered. The token middleware leaves these paths alone: the
//! handler reads the forwarded request's credential itself, in InfluxDB's v2 and v1 forms ([`request_token`]),
//! and the required permissions from the query parameter `permission` and the header
//! `X-Influx-Authz-Permission`. The decision is `Service::check_access`, the same one `authz-layer` makes.
//!
//! Answers: 204 with headers naming the authorization, user and org; 401/403 with InfluxDB's error body;
//! 400 when the permission to check is missing or unreadable.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use model::{Permission, Token};
use service::{Attempt, AuthenticationError, Caller, Credential};

use crate::middleware::bearer_token;
use crate::routes::session::basic_credentials;
use crate::{ApiError, AppState};

const CHECK_PATH: &str = "/api/v2/authz/check";

/// The header a proxy names the required permissions in (as does the query parameter `permission`).
pub const PERMISSION_HEADER: &str = "x-influx-authz-permission";
/// nginx: the original request's URI, as `proxy_set_header X-Original-URI $request_uri` passes it.
const ORIGINAL_URI: &str = "x-original-uri";
/// Traefik ForwardAuth: the original request's path and query.
const FORWARDED_URI: &str = "x-forwarded-uri";

const AUTHORIZATION_ID: &str = "x-influx-authz-authorization-id";
const USER_ID: &str = "x-influx-authz-user-id";
const USER: &str = "x-influx-authz-user";
const ORG_ID: &str = "x-influx-authz-org-id";
const ORG: &str = "x-influx-authz-org";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(CHECK_PATH, any(check))
        .route("/api/v2/authz/check/{*path}", any(check_forwarded_path))
}

/// Whether `path` is the check endpoint, which authenticates the forwarded request itself.
pub(crate) fn is_check_path(path: &str) -> bool {
    path.strip_prefix(CHECK_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// nginx and Traefik call the check itself: its query may name the permissions (and carry `u`/`p`).
async fn check(
    State(app): State<AppState>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let address = remote.map(|Extension(info)| info.0.ip());
    let required = required_permissions(&headers, uri.query())?;
    decide(&app, address, &headers, uri.query(), &required).await
}

/// Envoy appends the original path to the check's, and sends the original query: that query is the client's,
/// so here the permissions come from the header only (which the proxy sets).
async fn check_forwarded_path(
    State(app): State<AppState>,
    remote: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let address = remote.map(|Extension(info)| info.0.ip());
    let required = required_permissions(&headers, None)?;
    decide(&app, address, &headers, uri.query(), &required).await
}

async fn decide(
    app: &AppState,
    address: Option<IpAddr>,
    headers: &HeaderMap,
    query: Option<&str>,
    required: &[Permission],
) -> Result<Response, ApiError> {
    // The same per-address limit and failure counter as the token middleware's.
    let per_minute = app.limits.auth_failures_per_minute;
    if address.is_some_and(|a| app.auth_failures.is_blocked(a, per_minute)) {
        return Err(ApiError::TooManyFailures);
    }
    let token = forwarded_token(headers, query);
    let decision = match &token {
        Some(token) => app.service.check_access(token.clone(), required).await,
        None => Err(AuthenticationError::UnknownToken),
    };
    match decision {
        Ok(caller) => allowed(app, &caller).await,
        Err(error) => {
            // A refused credential is recorded like one the token middleware refuses (a missing permission is not
            // an authentication failure: the token was good).
            let attempt = token.as_ref().map_or(Attempt::Nothing, Attempt::Token);
            app.service.audit_failed_authentication(attempt, address, &error);
            if matches!(error, AuthenticationError::UnknownToken) {
                app.auth_failures.record(address, per_minute);
                tracing::debug!(remote = ?address, "authentication failed (authz check)");
            }
            Err(error.into())
        }
    }
}

/// 204, naming who was let through, for the proxy to pass on to the service it guards.
async fn allowed(app: &AppState, caller: &Caller) -> Result<Response, ApiError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    set(headers, USER_ID, &caller.user.id.to_string());
    set(headers, USER, &caller.user.name);
    if let Credential::Token(authorization) = &caller.credential {
        set(headers, AUTHORIZATION_ID, &authorization.id.to_string());
        set(headers, ORG_ID, &authorization.org_id.to_string());
        if let Some(name) = app.service.org_name(authorization.org_id).await? {
            set(headers, ORG, &name);
        }
    }
    Ok(response)
}

/// Sets a header; a name that cannot be a header value (control characters) is left out rather than failing.
fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

/// The token of a request, in the forms InfluxDB accepts (contract §4.1 and §4.2), in this order:
/// `Authorization: Token <t>` or `Bearer <t>` (scheme in any case), `Authorization: Basic base64(user:token)`
/// (the password is the token; the user name is ignored), then the `p` of the `u`/`p` query parameters.
pub fn request_token(headers: &HeaderMap, query: Option<&str>) -> Option<Token> {
    bearer_token(headers)
        .or_else(|| basic_credentials(headers).map(|(_, password)| Token::new(password)))
        .filter(|token| !token.expose().is_empty())
        .or_else(|| query.and_then(query_token))
}

/// [`request_token`] of the request a proxy forwards: the check's own headers and query, else the `u`/`p` of
/// the original URI that nginx (`X-Original-URI`) or Traefik (`X-Forwarded-Uri`) passes along.
fn forwarded_token(headers: &HeaderMap, query: Option<&str>) -> Option<Token> {
    request_token(headers, query).or_else(|| {
        [ORIGINAL_URI, FORWARDED_URI]
            .iter()
            .filter_map(|name| headers.get(*name)?.to_str().ok())
            .filter_map(|uri| uri.split_once('?').map(|(_, query)| query))
            .find_map(|query| query_token(query.split('#').next().unwrap_or_default()))
    })
}

fn query_token(query: &str) -> Option<Token> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "p")
        .map(|(_, value)| Token::new(value.into_owned()))
        .filter(|token| !token.expose().is_empty())
}

/// Every permission named by the `permission` query parameters (when `query` is given) and the
/// `X-Influx-Authz-Permission` headers, each possibly a comma-separated list; all of them are required.
fn required_permissions(headers: &HeaderMap, query: Option<&str>) -> Result<Vec<Permission>, ApiError> {
    let mut texts: Vec<String> = query
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .filter(|(key, _)| key == "permission")
                .map(|(_, value)| value.into_owned())
                .collect()
        })
        .unwrap_or_default();
    for value in headers.get_all(PERMISSION_HEADER) {
        let text = value.to_str().map_err(|_| {
            ApiError::InvalidInput("the X-Influx-Authz-Permission header is not printable ASCII".into())
        })?;
        texts.push(text.to_owned());
    }
    let mut required = Vec::new();
    for text in texts.iter().flat_map(|text| text.split(',')).map(str::trim) {
        if text.is_empty() {
            continue;
        }
        let permission = text
            .parse::<Permission>()
            .map_err(|error| ApiError::InvalidInput(format!("invalid permission {text:?}: {error}")))?;
        required.push(permission);
    }
    if required.is_empty() {
        return Err(ApiError::InvalidInput(
            "no permission to check: name it in the query parameter `permission` or the header \
             X-Influx-Authz-Permission, e.g. write:orgs/<orgID>/buckets/<bucketID>"
                .into(),
        ));
    }
    Ok(required)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
        headers
    }

    fn token(found: Option<Token>) -> Option<String> {
        found.map(|t| t.expose().to_owned())
    }

    #[test]
    fn reads_every_credential_form_in_order() {
        let basic = |pair: &str| format!("Basic {}", STANDARD.encode(pair));
        assert_eq!(
            token(request_token(&with("authorization", "Token t1"), None)),
            Some("t1".into())
        );
        assert_eq!(
            token(request_token(&with("authorization", "bearer t1"), None)),
            Some("t1".into())
        );
        assert_eq!(
            token(request_token(&with("authorization", &basic("anyone:t2")), None)),
            Some("t2".into())
        );
        // The password may hold colons; the user name is ignored.
        assert_eq!(
            token(request_token(&with("authorization", &basic(":t:2")), None)),
            Some("t:2".into())
        );
        assert_eq!(
            token(request_token(&HeaderMap::new(), Some("u=me&p=t3"))),
            Some("t3".into())
        );
        assert_eq!(
            token(request_token(&HeaderMap::new(), Some("p=t%2B3"))),
            Some("t+3".into())
        );
        // A header wins over the query; a bad header falls back to it.
        assert_eq!(
            token(request_token(&with("authorization", "Token t1"), Some("p=t3"))),
            Some("t1".into())
        );
        assert_eq!(
            token(request_token(&with("authorization", "Basic %%%"), Some("p=t3"))),
            Some("t3".into())
        );
        for bad in ["Basic %%%", "Basic dXNlcg==", "Digest x", "Token", &basic("user:")] {
            assert_eq!(token(request_token(&with("authorization", bad), None)), None, "{bad}");
        }
        assert_eq!(token(request_token(&HeaderMap::new(), Some("u=me&p="))), None);
        assert_eq!(token(request_token(&HeaderMap::new(), Some("u=me"))), None);
    }

    #[test]
    fn reads_the_forwarded_uri_of_nginx_and_traefik() {
        let nginx = with(ORIGINAL_URI, "/write?bucket=b&u=me&p=t4#top");
        assert_eq!(token(forwarded_token(&nginx, None)), Some("t4".into()));
        let traefik = with(FORWARDED_URI, "/write?p=t5");
        assert_eq!(token(forwarded_token(&traefik, None)), Some("t5".into()));
        assert_eq!(token(forwarded_token(&with(ORIGINAL_URI, "/write"), None)), None);
        // The check's own query (Envoy sends the original one) comes first.
        assert_eq!(token(forwarded_token(&traefik, Some("p=t6"))), Some("t6".into()));
    }

    #[test]
    fn requires_every_permission_named() {
        let mut headers = with(PERMISSION_HEADER, "read:authorizations, write:buckets");
        headers.append(
            HeaderName::from_static(PERMISSION_HEADER),
            HeaderValue::from_static("read:users/0a6f3b2e5e6f5000"),
        );
        let query = "permission=read%3Aorgs%2Fb6b3217f5a5e0559%2Fbuckets&permission=write:instance,";
        let found: Vec<String> = required_permissions(&headers, Some(query))
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "read:orgs/b6b3217f5a5e0559/buckets",
                "write:instance",
                "read:authorizations",
                "write:buckets",
                "read:users/0a6f3b2e5e6f5000"
            ]
        );
        // Without the query (Envoy's prefixed form) only the header counts.
        assert_eq!(required_permissions(&headers, None).unwrap().len(), 3);
    }

    #[test]
    fn a_missing_or_bad_permission_says_so() {
        let message = |headers: &HeaderMap, query: Option<&str>| match required_permissions(headers, query) {
            Err(ApiError::InvalidInput(message)) => message,
            other => panic!("expected 400, got {other:?}"),
        };
        assert!(message(&HeaderMap::new(), Some("permission=")).starts_with("no permission to check"));
        assert!(message(&with(PERMISSION_HEADER, " , "), None).starts_with("no permission to check"));
        assert_eq!(
            message(&HeaderMap::new(), Some("permission=read:bukets")),
            r#"invalid permission "read:bukets": unknown resource type "bukets""#
        );
        let mut binary = HeaderMap::new();
        binary.insert(
            HeaderName::from_static(PERMISSION_HEADER),
            HeaderValue::from_bytes(b"read:\xffbuckets").unwrap(),
        );
        assert!(message(&binary, None).contains("not printable ASCII"));
    }

    #[test]
    fn only_the_check_paths_skip_the_token_middleware() {
        assert!(is_check_path("/api/v2/authz/check"));
        assert!(is_check_path("/api/v2/authz/check/write"));
        assert!(!is_check_path("/api/v2/authz/checks"));
        assert!(!is_check_path("/api/v2/authz"));
    }

    proptest::proptest! {
        /// Fuzz: any header bytes and query give a token and permissions or a 400, never a panic.
        #[test]
        fn fuzz_credentials_and_permissions(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120),
                                            query in ".{0,120}") {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                let mut headers = HeaderMap::new();
                for name in ["authorization", PERMISSION_HEADER, ORIGINAL_URI, FORWARDED_URI] {
                    headers.insert(HeaderName::from_static(name), value.clone());
                }
                let _ = forwarded_token(&headers, Some(&query));
                let _ = required_permissions(&headers, Some(&query));
            }
        }
    }
}
