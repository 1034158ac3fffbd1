//! The authorizations resource (contract §1, §3): list, create, get, update, delete, for both kinds: v2 API
//! tokens (`/api/v2/authorizations`) and v1 authorizations (`/private/legacy/authorizations`, see `legacy`), which
//! share the store and these rules but never each other's routes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use model::wire::{
    AuthorizationPostRequest, AuthorizationUpdateRequest, AuthorizationView, AuthorizationsView, Links,
    PermissionRequest,
};
use model::{
    Action, AuditAction, AuditChanges, AuditTarget, Authorization, Id, Permission, Resource, ResourceType, Status,
    Token, TokenHash,
};
use store::{AuthorizationFilter, Conflict, Store, StoreError};

use bytes::Bytes;

use crate::rendered;
use crate::views::Names;
use crate::{Caller, Service, ServiceError};

/// Where v2 API tokens are served.
pub(crate) const V2_PATH: &str = "/api/v2/authorizations";
/// Where v1 authorizations are served, as InfluxDB 2.x serves them.
pub(crate) const V1_PATH: &str = "/private/legacy/authorizations";

/// The two kinds of authorization. Each route sees only its own kind: a v1 authorization's ID is not found under
/// `/api/v2/authorizations`, and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    V2,
    V1,
}

impl Kind {
    pub(crate) fn of(auth: &Authorization) -> Self {
        if auth.is_v1() { Kind::V1 } else { Kind::V2 }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::V2 => V2_PATH,
            Kind::V1 => V1_PATH,
        }
    }

    pub(crate) fn create_action(self) -> AuditAction {
        match self {
            Kind::V2 => AuditAction::AuthorizationCreate,
            Kind::V1 => AuditAction::V1AuthorizationCreate,
        }
    }

    fn update_action(self) -> AuditAction {
        match self {
            Kind::V2 => AuditAction::AuthorizationUpdate,
            Kind::V1 => AuditAction::V1AuthorizationUpdate,
        }
    }

    fn delete_action(self) -> AuditAction {
        match self {
            Kind::V2 => AuditAction::AuthorizationDelete,
            Kind::V1 => AuditAction::V1AuthorizationDelete,
        }
    }
}

/// Query parameters of `GET /api/v2/authorizations` (and of the v1 list), as sent (first value of each; empty
/// means absent).
#[derive(Debug, Clone, Default)]
pub struct AuthorizationQuery {
    pub id: Option<String>,
    /// v1 lists only: the v1 user name.
    pub token: Option<String>,
    pub user_id: Option<String>,
    pub user: Option<String>,
    pub org_id: Option<String>,
    pub org: Option<String>,
    // Extensions (InfluxDB ignores these parameters): paging, and filters served from the indexes.
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub after: Option<String>,
    /// `active`, `inactive` or `expired`.
    pub status: Option<String>,
    /// Case-insensitive substring of the description.
    pub description: Option<String>,
    /// RFC 3339: tokens never used, or last used before then.
    pub unused_since: Option<String>,
}

/// Most authorizations one page may hold.
const MAX_PAGE: usize = 1000;
/// The page size when paging is asked for (`offset` or `after`) without a `limit`.
const DEFAULT_PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Active,
    Inactive,
    Expired,
}

/// Paging and the extension filters, parsed.
#[derive(Debug, Clone)]
struct Narrowing {
    page: Option<(usize, usize)>,
    after: Option<Id>,
    status: Option<StatusFilter>,
    description: Option<String>,
    unused_since: Option<time::OffsetDateTime>,
}

impl Narrowing {
    fn parse(query: &AuthorizationQuery) -> Result<Self, ServiceError> {
        let limit = non_empty(query.limit.clone())
            .map(|text| match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
                _ => Err(ServiceError::Invalid(format!("limit must be between 1 and {MAX_PAGE}"))),
            })
            .transpose()?;
        let offset = non_empty(query.offset.clone())
            .map(|text| {
                text.parse::<usize>()
                    .map_err(|_| ServiceError::Invalid("offset must be a non-negative integer".into()))
            })
            .transpose()?;
        let after = non_empty(query.after.clone()).map(|v| parse_id(&v)).transpose()?;
        let page = (limit.is_some() || offset.is_some() || after.is_some())
            .then(|| (limit.unwrap_or(DEFAULT_PAGE), offset.unwrap_or(0)));
        let status = non_empty(query.status.clone())
            .map(|text| match text.as_str() {
                "active" => Ok(StatusFilter::Active),
                "inactive" => Ok(StatusFilter::Inactive),
                "expired" => Ok(StatusFilter::Expired),
                _ => Err(ServiceError::Invalid(
                    "status must be active, inactive or expired".into(),
                )),
            })
            .transpose()?;
        let unused_since = non_empty(query.unused_since.clone())
            .map(|text| {
                time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| ServiceError::Invalid(format!("unusedSince must be an RFC 3339 time, not {text:?}")))
            })
            .transpose()?;
        Ok(Self {
            page,
            after,
            status,
            description: non_empty(query.description.clone()).map(|d| d.to_lowercase()),
            unused_since,
        })
    }

    /// `pending` (the not-yet-written last use) is only asked for when `unusedSince` needs it: it takes a lock.
    fn keeps(
        &self,
        auth: &Authorization,
        now: time::OffsetDateTime,
        pending: impl FnOnce() -> Option<time::OffsetDateTime>,
    ) -> bool {
        let status_ok = match self.status {
            None => true,
            Some(StatusFilter::Expired) => auth.is_expired(now),
            Some(StatusFilter::Active) => auth.is_active() && !auth.is_expired(now),
            Some(StatusFilter::Inactive) => !auth.is_active(),
        };
        let description_ok = self
            .description
            .as_ref()
            .is_none_or(|d| auth.description.to_lowercase().contains(d));
        let unused_ok = self.unused_since.is_none_or(|since| {
            let last_used = auth.last_used_at.max(pending());
            last_used.is_none_or(|used| used < since)
        });
        status_ok && description_ok && unused_ok
    }
}

/// The query string for a list link: the filters as given, then the page.
fn list_link(base: &str, query: &AuthorizationQuery, tail: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("id", &query.id),
        ("userID", &query.user_id),
        ("user", &query.user),
        ("orgID", &query.org_id),
        ("org", &query.org),
        ("status", &query.status),
        ("description", &query.description),
        ("unusedSince", &query.unused_since),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            out.append_pair(key, value);
        }
    }
    let filters = out.finish();
    match (filters.is_empty(), tail.is_empty()) {
        (true, true) => base.to_owned(),
        (true, false) => format!("{base}?{tail}"),
        (false, true) => format!("{base}?{filters}"),
        (false, false) => format!("{base}?{filters}&{tail}"),
    }
}

pub(crate) fn not_found() -> ServiceError {
    ServiceError::NotFound("authorization not found".into())
}

/// The authorization of this kind with this ID (another kind's is not found).
pub(crate) fn find(store: &dyn Store, kind: Kind, id: Id) -> Result<Authorization, ServiceError> {
    store
        .authorization(id)?
        .filter(|auth| Kind::of(auth) == kind)
        .ok_or_else(not_found)
}

/// Parses an ID from a query or path, with InfluxDB's messages.
pub(crate) fn parse_id(text: &str) -> Result<Id, ServiceError> {
    text.parse()
        .map_err(|e: model::IdError| ServiceError::Invalid(e.to_string()))
}

fn links_from(pairs: Vec<(&'static str, String)>) -> Links {
    pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The permissions a record's reader (or writer) must hold: the token itself and its owner.
/// The authorization `id` of `kind`, from the snapshot `names` reads, if `caller` may read it (404 if there is none
/// of that kind, InfluxDB's 401 if the caller may not read it).
fn readable(names: &Names, kind: Kind, caller: &Caller, id: Id) -> Result<Authorization, ServiceError> {
    let auth = names
        .snapshot()
        .authorization(id)?
        .filter(|auth| Kind::of(auth) == kind)
        .ok_or_else(not_found)?;
    record_checks(Action::Read, &auth)
        .iter()
        .try_for_each(|p| caller.check(p))?;
    Ok(auth)
}

pub(crate) fn record_checks(action: Action, auth: &Authorization) -> [Permission; 2] {
    checks_of(action, auth.id, auth.org_id, auth.user_id)
}

fn checks_of(action: Action, id: Id, org_id: Id, user_id: Id) -> [Permission; 2] {
    [
        Permission::new(action, Resource::one_in_org(ResourceType::Authorizations, id, org_id)),
        Permission::new(action, Resource::one(ResourceType::Users, user_id)),
    ]
}

/// 64 bytes from the OS CSPRNG, base64url with padding: 88 characters, as InfluxDB makes them.
pub(crate) fn generate_token() -> Result<Token, ServiceError> {
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(format!("no randomness for a token: {e}")))?;
    Ok(Token::new(URL_SAFE.encode(bytes)))
}

/// `expiresAt`: an RFC 3339 instant in the future.
fn parse_expiry(text: &str, now: time::OffsetDateTime) -> Result<time::OffsetDateTime, ServiceError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ServiceError::Invalid(format!("expiresAt must be an RFC 3339 time, not {text:?}")))?;
    if at <= now {
        return Err(ServiceError::Invalid("expiresAt must be in the future".into()));
    }
    Ok(at)
}

/// Shortest token a client may choose, and the characters it may use (base64url plus `.`, `~`, `+`, `/`, `=`).
const MIN_CLIENT_TOKEN: usize = 16;

fn validate_client_token(token: String) -> Result<Token, ServiceError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    if token.len() < MIN_CLIENT_TOKEN || token.len() > 512 || !token.chars().all(allowed) {
        return Err(ServiceError::Invalid(format!(
            "token must be {MIN_CLIENT_TOKEN} to 512 characters of A-Z a-z 0-9 - _ . ~ + / ="
        )));
    }
    Ok(Token::new(token))
}

/// Validates a request permission, with InfluxDB's messages (contract §1.2).
fn parse_permission(request: &PermissionRequest) -> Result<Permission, ServiceError> {
    let resource = request.resource.clone().unwrap_or_default();
    let kind = resource.kind.as_deref().and_then(ResourceType::parse).ok_or_else(|| {
        ServiceError::Invalid("invalid resource type for permission: unknown resource type for permission".into())
    })?;
    let action = request.action.as_deref().and_then(Action::parse).ok_or_else(|| {
        ServiceError::Invalid("invalid action type for permission: unknown action for permission".into())
    })?;
    Ok(Permission::new(
        action,
        Resource {
            kind,
            id: resource.id,
            org_id: resource.org_id,
        },
    ))
}

/// The checks of a create body that both kinds share, in InfluxDB's order: permissions (present, then each
/// readable), `orgID`, `status`.
pub(crate) fn vet_request(
    permissions: Option<Vec<PermissionRequest>>,
    org_id: Option<Id>,
    status: Option<String>,
) -> Result<(Vec<Permission>, Id, Status), ServiceError> {
    let requested = permissions.unwrap_or_default();
    if requested.is_empty() {
        return Err(ServiceError::Invalid("authorization must include permissions".into()));
    }
    let permissions = requested.iter().map(parse_permission).collect::<Result<Vec<_>, _>>()?;
    let org_id = org_id.ok_or_else(|| ServiceError::Invalid("org id required: invalid ID".into()))?;
    let status = match status.as_deref() {
        None | Some("") => Status::Active,
        Some(text) => Status::parse(text)
            .ok_or_else(|| ServiceError::Invalid("invalid status: must be active or inactive".into()))?,
    };
    Ok((permissions, org_id, status))
}

/// What the caller must hold to create an authorization of `user_id` in `org_id` with `permissions` (contract §3):
/// write on the org's authorizations and on the user, and every permission it hands out (403 otherwise); and the
/// permissions must be for that org, never the instance.
pub(crate) fn check_grants(
    caller: &Caller,
    org_id: Id,
    user_id: Id,
    permissions: &[Permission],
) -> Result<(), ServiceError> {
    caller.check(&Permission::write(Resource::in_org(
        ResourceType::Authorizations,
        org_id,
    )))?;
    caller.check(&Permission::write(Resource::one(ResourceType::Users, user_id)))?;
    for permission in permissions {
        if !caller.may(permission) {
            return Err(ServiceError::Forbidden(format!(
                "permission {permission} is not allowed: {permission} is unauthorized"
            )));
        }
    }
    if permissions.iter().any(|p| p.resource.kind == ResourceType::Instance) {
        // InfluxDB answers 500 here; it is the client's mistake, so we say 400.
        return Err(ServiceError::Invalid(
            "authorizations cannot be created with the instance type, it is only used during setup".into(),
        ));
    }
    if let Some(stray) = permissions
        .iter()
        .find(|p| p.resource.org_id.is_some_and(|o| o != org_id))
    {
        return Err(ServiceError::Invalid(format!(
            "permission {stray} is not for org id {org_id}"
        )));
    }
    Ok(())
}

impl Service {
    /// The `token` a view shows: a v1 authorization's user name (not a secret); a v2 token's plaintext only while
    /// hashed tokens are off.
    fn shown_token(&self, auth: &Authorization) -> String {
        if let Some(v1) = &auth.v1 {
            return v1.username.clone();
        }
        match (&auth.token, self.options().hashed_tokens) {
            (Some(token), false) => token.expose().to_owned(),
            _ => String::new(),
        }
    }

    /// `GET /api/v2/authorizations`: filters, then keeps each record the caller may read. Without paging
    /// parameters the answer is InfluxDB's (everything, `links.self` only); with `limit`, `offset` or `after` it is
    /// one page, with `links.next` when more remain.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_authorizations(
        &self,
        caller: &Caller,
        query: AuthorizationQuery,
    ) -> Result<AuthorizationsView, ServiceError> {
        self.list_of(Kind::V2, caller, query).await
    }

    /// The list of one kind: the filters (`id`, then the v1 `token`, then user and org), then each record the
    /// caller may read.
    pub(crate) async fn list_of(
        &self,
        kind: Kind,
        caller: &Caller,
        query: AuthorizationQuery,
    ) -> Result<AuthorizationsView, ServiceError> {
        let user_id = non_empty(query.user_id.clone()).map(|v| parse_id(&v)).transpose()?;
        let org_id = non_empty(query.org_id.clone()).map(|v| parse_id(&v)).transpose()?;
        let id = non_empty(query.id.clone()).map(|v| parse_id(&v)).transpose()?;
        let user_name = if user_id.is_none() {
            non_empty(query.user.clone())
        } else {
            None
        };
        let org_name = if org_id.is_none() {
            non_empty(query.org.clone())
        } else {
            None
        };
        let narrowing = Narrowing::parse(&query)?;
        let username = match kind {
            Kind::V1 => non_empty(query.token.clone()),
            Kind::V2 => None,
        };
        let caller = caller.clone();
        let service = self.clone();
        let now = self.now();
        self.blocking(move |store| {
            let mut keep = |auth: &Authorization| {
                Kind::of(auth) == kind
                    && record_checks(Action::Read, auth).iter().all(|p| caller.may(p))
                    && narrowing.keeps(auth, now, || service.pending_use(auth.id))
            };
            let wanted = narrowing.page.map_or(usize::MAX, |(limit, offset)| {
                offset.saturating_add(limit).saturating_add(1)
            });
            let mut candidates = if let Some(id) = id {
                let auth = find(store, kind, id)?;
                if keep(&auth) { vec![auth] } else { Vec::new() }
            } else if let Some(name) = username.as_deref() {
                // A v1 user name is unique: its index entry is the one record it can name (InfluxDB: 404 if none).
                let auth = store
                    .authorization_by_token(&TokenHash::of_v1_username(name))?
                    .filter(|auth| Kind::of(auth) == kind)
                    .ok_or_else(not_found)?;
                if keep(&auth) { vec![auth] } else { Vec::new() }
            } else {
                let user_id = match (user_id, user_name) {
                    (Some(id), _) => Some(id),
                    (None, Some(name)) => Some(
                        store
                            .user_by_name(&name)?
                            .ok_or_else(|| ServiceError::NotFound("user not found".into()))?
                            .id,
                    ),
                    (None, None) => None,
                };
                let org_id = match (org_id, org_name) {
                    (Some(id), _) => Some(id),
                    (None, Some(name)) => Some(
                        store
                            .org_by_name(&name)?
                            .ok_or_else(|| ServiceError::NotFound(format!("organization name \"{name}\" not found")))?
                            .id,
                    ),
                    (None, None) => None,
                };
                store.scan_authorizations(
                    AuthorizationFilter { user_id, org_id },
                    narrowing.after,
                    wanted,
                    &mut keep,
                )?
            };
            let mut more = false;
            if let Some((limit, offset)) = narrowing.page {
                more = candidates.len() > offset.saturating_add(limit);
                candidates = candidates.into_iter().skip(offset).take(limit).collect();
            }
            let mut names = Names::new(store)?;
            let mut authorizations = Vec::with_capacity(candidates.len());
            for auth in &candidates {
                if let Some(view) = names.authorization(auth, service.shown_token(auth))? {
                    authorizations.push(service.with_pending_use(view));
                }
            }
            // Unpaged, `links.self` is InfluxDB's, exactly; paged, it names the page.
            let mut page_links = vec![("self", kind.path().to_owned())];
            if let Some((limit, offset)) = narrowing.page {
                let here = match narrowing.after {
                    Some(after) => format!("limit={limit}&offset={offset}&after={after}"),
                    None => format!("limit={limit}&offset={offset}"),
                };
                page_links[0].1 = list_link(kind.path(), &query, &here);
                if more && let Some(last) = candidates.last() {
                    let next = format!("limit={limit}&after={}", last.id);
                    page_links.push(("next", list_link(kind.path(), &query, &next)));
                }
            }
            Ok::<_, ServiceError>(AuthorizationsView {
                links: links_from(page_links),
                authorizations,
            })
        })
        .await
    }

    /// `POST /api/v2/authorizations` (contract §1.4): validate, check the caller may write and holds every
    /// permission it hands out, then store a fresh token. The only answer that carries the plaintext.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_authorization(
        &self,
        caller: &Caller,
        request: AuthorizationPostRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        let (permissions, org_id, status) = vet_request(request.permissions, request.org_id, request.status)?;
        let user_id = request.user_id.unwrap_or(caller.user.id);
        let now = self.now();
        let expires_at = request
            .expires_at
            .as_deref()
            .map(|text| parse_expiry(text, now))
            .transpose()?;
        let chosen = match request.token {
            Some(token) if self.options().allow_client_tokens => Some(validate_client_token(token)?),
            _ => None,
        };
        check_grants(caller, org_id, user_id, &permissions)?;

        let token = match chosen {
            Some(token) => token,
            None => generate_token()?,
        };
        let auth = Authorization {
            id: self.inner.ids.next(),
            token: (!self.options().hashed_tokens).then(|| token.clone()),
            hashed_token: token.hash(),
            status,
            description: request.description.unwrap_or_default(),
            org_id,
            user_id,
            permissions,
            created_at: now,
            updated_at: now,
            expires_at,
            last_used_at: None,
            v1: None,
        };
        self.store_new(caller, auth, token.expose().to_owned()).await
    }

    /// Stores a new authorization of either kind (a fresh ID if a clock that stepped back hands out a taken one)
    /// with its audit entry, and answers with its view, showing `shown` as its token.
    pub(crate) async fn store_new(
        &self,
        caller: &Caller,
        mut auth: Authorization,
        shown: String,
    ) -> Result<AuthorizationView, ServiceError> {
        let (org_id, user_id) = (auth.org_id, auth.user_id);
        let service = self.clone();
        let target = move |id: Id| {
            AuditTarget::new(ResourceType::Authorizations, id)
                .in_org(org_id)
                .of_user(user_id)
        };
        let mut audit = self.audit_entry(caller, Kind::of(&auth).create_action(), target(auth.id));
        self.blocking(move |store| {
            if store.user(user_id)?.is_none() || store.org(org_id)?.is_none() {
                return Err(ServiceError::Invalid("unable to create token".into()));
            }
            let mut attempts = 0;
            loop {
                audit.target = Some(target(auth.id));
                match store.create_authorization(&auth, Some(&audit)) {
                    Err(StoreError::Conflict(Conflict::IdTaken)) if attempts < 3 => {
                        attempts += 1;
                        auth.id = service.inner.ids.next();
                    }
                    other => break other?,
                }
            }
            Names::new(store)?
                .authorization(&auth, shown)?
                .ok_or_else(|| ServiceError::Invalid("unable to create token".into()))
        })
        .await
    }

    /// `GET /api/v2/authorizations/{id}`.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn get_authorization(&self, caller: &Caller, id: Id) -> Result<AuthorizationView, ServiceError> {
        self.get_of(Kind::V2, caller, id)
    }

    /// `GET /api/v2/authorizations/{id}` (or the v1 route), written by `write` (the HTTP layer's JSON): the same
    /// answer as [`get_authorization`](Self::get_authorization), kept as written for the store's generation (see
    /// `rendered`) and checked against the caller on every request.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub fn get_written(
        &self,
        v1: bool,
        caller: &Caller,
        id: Id,
        write: fn(&AuthorizationView) -> Vec<u8>,
    ) -> Result<Bytes, ServiceError> {
        let kind = if v1 { Kind::V1 } else { Kind::V2 };
        self.read_inline(|store| {
            // An answer kept for the store's generation needs no snapshot.
            if let Some(generation) = store.generation()
                && let Some(kept) = self.inner.answers.get(generation, id)
            {
                if kept.kind != kind {
                    return Err(not_found());
                }
                checks_of(Action::Read, id, kept.org_id, kept.user_id)
                    .iter()
                    .try_for_each(|p| caller.check(p))?;
                if kept.pending_use == self.pending_use(id) {
                    return Ok(kept.body.clone());
                }
            }
            let snapshot = store.snapshot()?;
            let generation = snapshot.generation();
            let mut names = Names::of(snapshot);
            let auth = readable(&names, kind, caller, id)?;
            let pending_use = self.pending_use(id);
            let view = self.view_with(&mut names, &auth)?;
            let body = Bytes::from(write(&view));
            if let Some(generation) = generation {
                let answer = rendered::Answer {
                    kind,
                    org_id: auth.org_id,
                    user_id: auth.user_id,
                    pending_use,
                    body: body.clone(),
                };
                self.inner.answers.keep(generation, id, answer);
            }
            Ok(body)
        })
    }

    pub(crate) fn get_of(&self, kind: Kind, caller: &Caller, id: Id) -> Result<AuthorizationView, ServiceError> {
        self.read_inline(|store| {
            let mut names = Names::new(store)?;
            let auth = readable(&names, kind, caller, id)?;
            self.view_with(&mut names, &auth)
        })
    }

    /// `PATCH /api/v2/authorizations/{id}`: status and description only; bumps `updatedAt`. The audit entry
    /// records the new values of the fields sent.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn update_authorization(
        &self,
        caller: &Caller,
        id: Id,
        request: AuthorizationUpdateRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        self.update_of(Kind::V2, caller, id, request).await
    }

    pub(crate) async fn update_of(
        &self,
        kind: Kind,
        caller: &Caller,
        id: Id,
        request: AuthorizationUpdateRequest,
    ) -> Result<AuthorizationView, ServiceError> {
        let caller = caller.clone();
        let service = self.clone();
        let now = self.now();
        self.blocking(move |store| {
            let auth = find(store, kind, id)?;
            record_checks(Action::Read, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            record_checks(Action::Write, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            let status = request
                .status
                .as_deref()
                .map(|s| Status::parse(s).ok_or_else(|| ServiceError::Invalid("unknown authorization status".into())))
                .transpose()?;
            let changes = AuditChanges {
                status: status.map(|s| s.as_str().to_owned()),
                description: request.description.clone(),
                ..AuditChanges::default()
            };
            let target = AuditTarget::new(ResourceType::Authorizations, id)
                .in_org(auth.org_id)
                .of_user(auth.user_id)
                .changing(changes);
            let audit = service.audit_entry(&caller, kind.update_action(), target);
            let updated = store
                .update_authorization(
                    id,
                    Box::new(move |auth: &mut Authorization| {
                        if let Some(status) = status {
                            auth.status = status;
                        }
                        if let Some(description) = &request.description {
                            auth.description.clone_from(description);
                        }
                        auth.updated_at = now;
                    }),
                    Some(&audit),
                )?
                .ok_or_else(not_found)?;
            service.view(store, &updated)
        })
        .await
    }

    /// `DELETE /api/v2/authorizations/{id}`: the record and its token index go in one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(id = %id))]
    pub async fn delete_authorization(&self, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        self.delete_of(Kind::V2, caller, id).await
    }

    pub(crate) async fn delete_of(&self, kind: Kind, caller: &Caller, id: Id) -> Result<(), ServiceError> {
        let caller = caller.clone();
        let service = self.clone();
        self.blocking(move |store| {
            let auth = find(store, kind, id)?;
            record_checks(Action::Write, &auth)
                .iter()
                .try_for_each(|p| caller.check(p))?;
            let target = AuditTarget::new(ResourceType::Authorizations, id)
                .in_org(auth.org_id)
                .of_user(auth.user_id);
            let audit = service.audit_entry(&caller, kind.delete_action(), target);
            if store.delete_authorization(id, Some(&audit))? {
                Ok(())
            } else {
                Err(not_found())
            }
        })
        .await
    }

    pub(crate) fn view(&self, store: &dyn Store, auth: &Authorization) -> Result<AuthorizationView, ServiceError> {
        self.view_with(&mut Names::new(store)?, auth)
    }

    fn view_with(&self, names: &mut Names, auth: &Authorization) -> Result<AuthorizationView, ServiceError> {
        let view = names
            .authorization(auth, self.shown_token(auth))?
            .ok_or_else(not_found)?;
        Ok(self.with_pending_use(view))
    }

    /// A use not yet written is newer than the stored one.
    fn with_pending_use(&self, mut view: AuthorizationView) -> AuthorizationView {
        view.last_used_at = view.last_used_at.max(self.pending_use(view.id));
        view
    }
}
