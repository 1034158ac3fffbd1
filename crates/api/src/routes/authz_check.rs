//! `/api/v2/authz/check` and `/api/v2/authz/check/{*path}` (an extension; InfluxDB has no such route): the
//! question a reverse proxy asks before it lets a request through (nginx `auth_request`, Traefik ForwardAuth,
//! Envoy ext_authz over HTTP). Any method is answered. The token middleware leaves these paths alone: the
//! handler reads the forwarded request's credential itself, in InfluxDB's v2 and v1 forms and InfluxDB's v1 order
//! (`?u=&p=` first: [`request_credentials`]), and the required permissions from the query parameter `permission`
//! and the header `X-Influx-Authz-Permission`. The decision is `Service::check_access`, the same one `authz-layer` makes.
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
use service::{Attempt, AuthenticationError, Caller, Credential, Credentials};

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
    let credentials = forwarded_credentials(headers, query);
    let decision = match &credentials {
        Some(credentials) => app.service.check_access(credentials.clone(), required).await,
        None => Err(AuthenticationError::UnknownToken),
    };
    if let Some(Credentials::Password { .. }) = &credentials {
        app.metrics.authenticated(crate::metrics::Credential::V1, &decision);
    }
    match decision {
        Ok(caller) => allowed(app, &caller).await,
        Err(error) => {
            // A refused credential is recorded like one the token middleware refuses (a missing permission is not
            // an authentication failure: the token was good).
            let attempt = match &credentials {
                Some(Credentials::Token(token)) => Attempt::Token(token),
                Some(Credentials::Password { .. }) => Attempt::V1,
                None => Attempt::Nothing,
            };
            app.service.audit_failed_authentication(attempt, address, &error);
            if matches!(
                error,
                AuthenticationError::UnknownToken | AuthenticationError::V1Refused(_)
            ) {
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

/// The credentials of a request, in the forms InfluxDB accepts (contract §4.1, §4.2), in InfluxDB's v1 order:
/// 1. `?u=<user>&p=<password>` (both non-empty);
/// 2. the `Authorization` header: `Token <user>:<password>`; `Token <t>` or `Bearer <t>` (a v2 token; scheme in any
///    case); Basic `base64(user:password)`;
/// 3. a lone `?p=<token>` (an influx-authz extension: a v2 token).
///
/// A user name and password is a v1 authorization's, or any name with a v2 token as the password (see
/// `Service::authenticate_password`). No v2 token holds a `:` (neither generated nor client-chosen ones), so
/// `Token <user>:<password>` is never a v2 token read wrongly.
pub fn request_credentials(headers: &HeaderMap, query: Option<&str>) -> Option<Credentials> {
    query
        .and_then(query_password)
        .or_else(|| header_credentials(headers))
        .or_else(|| query.and_then(query_token).map(Credentials::Token))
}

/// [`request_credentials`] of the request a proxy forwards: the check's own query, then the `u`/`p` of the original
/// URI that nginx (`X-Original-URI`) or Traefik (`X-Forwarded-Uri`) passes along, then the headers, then a lone
/// `p` of either query.
fn forwarded_credentials(headers: &HeaderMap, query: Option<&str>) -> Option<Credentials> {
    let forwarded: Vec<&str> = [ORIGINAL_URI, FORWARDED_URI]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .filter_map(|uri| uri.split_once('?').map(|(_, query)| query))
        .map(|query| query.split('#').next().unwrap_or_default())
        .collect();
    query
        .and_then(query_password)
        .or_else(|| forwarded.iter().find_map(|query| query_password(query)))
        .or_else(|| header_credentials(headers))
        .or_else(|| query.and_then(query_token).map(Credentials::Token))
        .or_else(|| {
            forwarded
                .iter()
                .find_map(|query| query_token(query))
                .map(Credentials::Token)
        })
}

/// The `Authorization` header's credentials: `Token|Bearer <t>`, `Token <user>:<password>`, or Basic.
fn header_credentials(headers: &HeaderMap) -> Option<Credentials> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer") {
        if scheme.eq_ignore_ascii_case("token")
            && let Some((username, password)) = rest.split_once(':')
        {
            // InfluxDB's `Token <user>:<password>`; with no user, the rest is a v2 token.
            if password.is_empty() {
                return None;
            }
            return Some(if username.is_empty() {
                Credentials::Token(Token::new(password))
            } else {
                Credentials::Password {
                    username: username.to_owned(),
                    password: Token::new(password),
                }
            });
        }
        return (!rest.is_empty()).then(|| Credentials::Token(Token::new(rest)));
    }
    let (username, password) = basic_credentials(headers)?;
    (!password.is_empty()).then(|| Credentials::Password {
        username,
        password: Token::new(password),
    })
}

/// `u` and `p`, when both are there and non-empty.
fn query_password(query: &str) -> Option<Credentials> {
    let mut username = None;
    let mut password = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "u" if username.is_none() => username = Some(value.into_owned()),
            "p" if password.is_none() => password = Some(value.into_owned()),
            _ => {}
        }
    }
    match (username, password) {
        (Some(username), Some(password)) if !username.is_empty() && !password.is_empty() => {
            Some(Credentials::Password {
                username,
                password: Token::new(password),
            })
        }
        _ => None,
    }
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

    /// `token:<t>` for a v2 token, `v1:<user>:<password>` for a user name and password.
    fn shown(found: Option<Credentials>) -> Option<String> {
        found.map(|credentials| match credentials {
            Credentials::Token(token) => format!("token:{}", token.expose()),
            Credentials::Password { username, password } => format!("v1:{username}:{}", password.expose()),
        })
    }

    fn read(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
        shown(request_credentials(headers, query))
    }

    #[test]
    fn reads_every_credential_form_in_influxdbs_order() {
        let basic = |pair: &str| format!("Basic {}", STANDARD.encode(pair));
        let auth = |value: &str| with("authorization", value);
        assert_eq!(read(&auth("Token t1"), None).as_deref(), Some("token:t1"));
        assert_eq!(read(&auth("bearer t1"), None).as_deref(), Some("token:t1"));
        assert_eq!(read(&auth("Token me:pw"), None).as_deref(), Some("v1:me:pw"));
        // No user: the rest is a v2 token. The password may hold colons.
        assert_eq!(read(&auth("Token :t1"), None).as_deref(), Some("token:t1"));
        assert_eq!(read(&auth("Token me:p:w"), None).as_deref(), Some("v1:me:p:w"));
        assert_eq!(read(&auth(&basic("anyone:t2")), None).as_deref(), Some("v1:anyone:t2"));
        assert_eq!(read(&auth(&basic(":t:2")), None).as_deref(), Some("v1::t:2"));
        assert_eq!(read(&HeaderMap::new(), Some("u=me&p=t3")).as_deref(), Some("v1:me:t3"));
        assert_eq!(read(&HeaderMap::new(), Some("p=t%2B3")).as_deref(), Some("token:t+3"));
        // `u`/`p` come first, then the header, then a lone `p`.
        assert_eq!(read(&auth("Token t1"), Some("u=me&p=t3")).as_deref(), Some("v1:me:t3"));
        assert_eq!(read(&auth("Token t1"), Some("p=t3")).as_deref(), Some("token:t1"));
        assert_eq!(read(&auth("Basic %%%"), Some("p=t3")).as_deref(), Some("token:t3"));
        assert_eq!(read(&auth("Token t1"), Some("u=&p=t3")).as_deref(), Some("token:t1"));
        for bad in [
            "Basic %%%",
            "Basic dXNlcg==",
            "Digest x",
            "Token",
            "Token ",
            "Token me:",
            &basic("user:"),
        ] {
            assert_eq!(read(&auth(bad), None), None, "{bad}");
        }
        assert_eq!(read(&HeaderMap::new(), Some("u=me&p=")), None);
        assert_eq!(read(&HeaderMap::new(), Some("u=me")), None);
    }

    #[test]
    fn reads_the_forwarded_uri_of_nginx_and_traefik() {
        let nginx = with(ORIGINAL_URI, "/query?db=b&u=me&p=t4#top");
        assert_eq!(shown(forwarded_credentials(&nginx, None)).as_deref(), Some("v1:me:t4"));
        let traefik = with(FORWARDED_URI, "/write?p=t5");
        assert_eq!(
            shown(forwarded_credentials(&traefik, None)).as_deref(),
            Some("token:t5")
        );
        assert_eq!(shown(forwarded_credentials(&with(ORIGINAL_URI, "/write"), None)), None);
        // The check's own query (Envoy sends the original one) comes first.
        assert_eq!(
            shown(forwarded_credentials(&traefik, Some("p=t6"))).as_deref(),
            Some("token:t6")
        );
        // The forwarded `u`/`p` come before the forwarded request's header, as InfluxDB reads them.
        let mut both = with(ORIGINAL_URI, "/query?u=me&p=t7");
        both.insert(http::header::AUTHORIZATION, HeaderValue::from_static("Token t8"));
        assert_eq!(shown(forwarded_credentials(&both, None)).as_deref(), Some("v1:me:t7"));
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
                let _ = forwarded_credentials(&headers, Some(&query));
                let _ = required_permissions(&headers, Some(&query));
            }
        }
    }
}
