//! `guarded-service`: an example of influx-authz embedded in another axum app. It opens influx-authz's redb store
//! through [`server::App::build`] (set up at start from `DOCKER_INFLUXDB_INIT_*`, like the server), serves the
//! influx-authz API (tokens, users, orgs, buckets, the web page) for managing tokens, and one route of its own
//! behind [`authz_layer::RequirePermission`]:
//!
//! `POST /write?bucket=<bucketID>` needs `write:orgs/<orgID>/buckets/<bucketID>` (`<orgID>`: the set-up org) and
//! answers `200 {"bucket","lines","user"}`: how many lines of the body it took, for whom.
//!
//! [`app`] builds the whole router, so tests run exactly what `cargo run -p guarded-service` serves.

use api::ApiError;
use authz_layer::RequirePermission;
use axum::Router;
use axum::extract::{Extension, RawQuery};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use model::{Id, Permission, Resource, ResourceType, Token};
use service::{Caller, OrgQuery, Service};

/// Why the example could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Start(#[from] server::StartError),
    #[error("{0}")]
    Setup(String),
}

/// The example app, built.
pub struct Guarded {
    /// Its own route behind the layer, with the influx-authz API as the fallback.
    pub router: Router,
    pub service: Service,
    /// The org whose buckets `POST /write` guards.
    pub org_id: Id,
    pub limits: server::Limits,
}

/// Fills in an example setup (user `admin` / `password123`, org `my-org`, bucket `my-bucket`, operator token
/// `my-token`) where `DOCKER_INFLUXDB_INIT_*` leave it unset, so a plain `cargo run` can be tried at once.
pub fn with_example_setup(config: &mut server::Config) {
    let fill = |value: &mut Option<String>, default: &str| {
        if value.as_deref().is_none_or(str::is_empty) {
            *value = Some(default.to_owned());
        }
    };
    fill(&mut config.init_mode, "setup");
    fill(&mut config.init_username, "admin");
    fill(&mut config.init_password, "password123");
    fill(&mut config.init_org, "my-org");
    fill(&mut config.init_bucket, "my-bucket");
    fill(&mut config.init_admin_token, "my-token");
}

/// Builds influx-authz from `config` (which must set up an org and operator token through
/// `DOCKER_INFLUXDB_INIT_*`; see [`with_example_setup`]) and the example's router around it.
pub async fn app(config: &server::Config) -> Result<Guarded, Error> {
    let built = server::App::build(config).await?;
    let org_id = set_up_org(&built.service, config).await?;
    let guard = RequirePermission::try_new(built.service.clone(), move |parts| {
        let bucket = bucket_of(parts.uri.query())?;
        Ok(vec![Permission::write(Resource::one_in_org(
            ResourceType::Buckets,
            bucket,
            org_id,
        ))])
    });
    let router = Router::new()
        .route("/write", post(write).route_layer(guard))
        .fallback_service(built.router());
    Ok(Guarded {
        router,
        service: built.service,
        org_id,
        limits: built.limits,
    })
}

/// The ID of the org named by `DOCKER_INFLUXDB_INIT_ORG`, looked up with the operator token.
async fn set_up_org(service: &Service, config: &server::Config) -> Result<Id, Error> {
    let (Some(name), Some(token)) = (config.init_org.clone(), config.init_admin_token.clone()) else {
        return Err(Error::Setup(
            "set DOCKER_INFLUXDB_INIT_ORG and DOCKER_INFLUXDB_INIT_ADMIN_TOKEN".into(),
        ));
    };
    let operator = service
        .authenticate(&Token::new(token))
        .await
        .map_err(|e| Error::Setup(format!("the operator token does not work: {e}")))?;
    let query = OrgQuery {
        org: Some(name.clone()),
        ..OrgQuery::default()
    };
    let orgs = service
        .list_orgs(&operator, query)
        .await
        .map_err(|e| Error::Setup(format!("cannot find org {name:?}: {e}")))?;
    orgs.orgs
        .first()
        .map(|org| org.id)
        .ok_or_else(|| Error::Setup(format!("no org {name:?}")))
}

/// The `bucket` query parameter, as an ID (400 in InfluxDB's words otherwise).
fn bucket_of(query: Option<&str>) -> Result<Id, ApiError> {
    let text = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "bucket")
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| ApiError::InvalidInput("bucket is required: POST /write?bucket=<bucketID>".into()))?;
    text.parse()
        .map_err(|e: model::IdError| ApiError::InvalidInput(format!("bucket: {e}")))
}

/// Reached only through the layer: the caller it put in the extensions is who the token belongs to.
async fn write(Extension(caller): Extension<Caller>, RawQuery(query): RawQuery, body: String) -> Response {
    let bucket = match bucket_of(query.as_deref()) {
        Ok(bucket) => bucket,
        Err(error) => return error.into_response(),
    };
    let lines = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .count();
    tracing::info!(%bucket, lines, user = %caller.user.name, "write accepted");
    axum::Json(serde_json::json!({
        "bucket": bucket.to_string(),
        "lines": lines,
        "user": caller.user.name,
    }))
    .into_response()
}
