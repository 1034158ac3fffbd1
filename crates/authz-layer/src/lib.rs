//! `authz-layer`: influx-authz as a library guard for another axum (or any tower) service. [`RequirePermission`]
//! is a tower [`Layer`]; each request it wraps must carry InfluxDB credentials (the forms of
//! [`api::request_credentials`], in InfluxDB's order: `?u=<user>&p=<password>`, `Authorization: Token <user>:<password>`,
//! `Token|Bearer <t>`, `Basic base64(user:password)`) whose authorization holds every permission asked for. A user
//! name and password is a v1 authorization's, or any name with a v2 token as the password. The decision is [`service::Service::check_access`],
//! the same one the `/api/v2/authz/check` endpoint makes for reverse proxies:
//!
//! - allowed: the [`service::Caller`] is put into the request's extensions and the inner service runs;
//! - no, unknown, deleted or expired token: 401; user inactive: 403; token inactive: 401 `token is inactive`;
//!   v1 credentials refused (wrong password, unknown name, inactive or deleted authorization or user): 401
//!   `Unauthorized`;
//!   a permission not held: 403 `<permission> is unauthorized`; all with InfluxDB's JSON error body, written
//!   by [`api::ApiError`] (this crate writes no error body of its own).
//!
//! ```no_run
//! # async fn example(service: service::Service, org: model::Id, bucket: model::Id) {
//! use authz_layer::RequirePermission;
//! use axum::{Extension, Router, routing::post};
//! use model::{Permission, Resource, ResourceType};
//!
//! async fn write(Extension(caller): Extension<service::Caller>) -> String {
//!     format!("written by {}", caller.user.name)
//! }
//!
//! let need = Permission::write(Resource::one_in_org(ResourceType::Buckets, bucket, org));
//! let app: Router = Router::new()
//!     .route("/write", post(write))
//!     .route_layer(RequirePermission::fixed(service, [need]));
//! # }
//! ```
//!
//! The permissions may also depend on the request ([`RequirePermission::new`], [`RequirePermission::try_new`]).
//! This crate keeps no state: every request's token is looked up in the store, so a deleted token is refused on
//! the next request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use api::ApiError;
use axum::response::{IntoResponse, Response};
use http::Request;
use http::request::Parts;
use model::Permission;
use service::AuthenticationError;
use tower::{Layer, Service};

type Required = dyn Fn(&Parts) -> Result<Vec<Permission>, ApiError> + Send + Sync;

/// A tower [`Layer`] that requires permissions of each request's token. Cheap to clone.
#[derive(Clone)]
pub struct RequirePermission {
    service: service::Service,
    required: Arc<Required>,
}

impl RequirePermission {
    /// The permissions come from each request (its path, query, headers): e.g. the bucket named in the query.
    pub fn new<F>(service: service::Service, required: F) -> Self
    where
        F: Fn(&Parts) -> Vec<Permission> + Send + Sync + 'static,
    {
        Self::try_new(service, move |parts| Ok(required(parts)))
    }

    /// Like [`new`](Self::new), for requests that may not name a usable resource: an `Err` (e.g.
    /// `ApiError::InvalidInput`) is the answer, and neither the token nor the inner service is looked at.
    pub fn try_new<F>(service: service::Service, required: F) -> Self
    where
        F: Fn(&Parts) -> Result<Vec<Permission>, ApiError> + Send + Sync + 'static,
    {
        Self {
            service,
            required: Arc::new(required),
        }
    }

    /// The same permissions for every request.
    pub fn fixed(service: service::Service, permissions: impl Into<Vec<Permission>>) -> Self {
        let permissions: Vec<Permission> = permissions.into();
        Self::try_new(service, move |_| Ok(permissions.clone()))
    }
}

impl<S> Layer<S> for RequirePermission {
    type Service = RequirePermissionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequirePermissionService {
            inner,
            guard: self.clone(),
        }
    }
}

/// The [`Service`] that [`RequirePermission`] wraps around an inner one.
#[derive(Clone)]
pub struct RequirePermissionService<S> {
    inner: S,
    guard: RequirePermission,
}

impl<S, B> Service<Request<B>> for RequirePermissionService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was polled ready is the one that gets called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let required = match (guard.required)(&parts) {
                Ok(required) => required,
                Err(error) => return Ok(error.into_response()),
            };
            let decision = match api::request_credentials(&parts.headers, parts.uri.query()) {
                Some(credentials) => guard.service.check_access(credentials, &required).await,
                None => Err(AuthenticationError::UnknownToken),
            };
            match decision {
                Ok(caller) => {
                    parts.extensions.insert(caller);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(error) => Ok(ApiError::from(error).into_response()),
            }
        })
    }
}
