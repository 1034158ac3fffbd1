//! The `auth` subcommands, with `influx auth`'s request flow: create looks up the org (unless `--org-id`), the user
//! (always, `?name=` even when empty) and, for `--operator`/`--all-access`, `/api/v2/resources`, then POSTs; delete,
//! active and inactive GET the token first (a 404 there is `could not find auth with ID …`), then DELETE or PATCH.
//! Flag combinations are checked before any request.

use model::wire::{AuthorizationView, AuthorizationsView, OrgsView, UsersView};
use model::{Id, ResourceType};
use serde::Serialize;
use time::OffsetDateTime;

use crate::args::{
    AuthArgs, AuthCommand, CommonArgs, ConnectionArgs, CreateArgs, IdArgs, ListArgs, OrgArgs, PrintArgs,
};
use crate::configs::{self, Config, Configs, DEFAULT_HOST};
use crate::http::{Client, Settings};
use crate::output::{self, TokenRow, TokenTable};
use crate::{Error, expiry};

pub fn run(args: AuthArgs) -> Result<(), Error> {
    match args.command {
        AuthCommand::Create(args) => create(args),
        AuthCommand::List(args) => list(args),
        AuthCommand::Delete(args) => delete(args),
        AuthCommand::Active(args) => set_status(args, "active"),
        AuthCommand::Inactive(args) => set_status(args, "inactive"),
    }
}

/// `Some` only for a non-empty value (an empty flag or env var counts as unset, as with influx).
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// The active config (or the one `-c` names), from the configs file.
pub fn active_config(connection: &ConnectionArgs) -> Result<Config, Error> {
    let configs = Configs::load(configs::path(connection.configs_path.as_deref()))?;
    configs.pick(connection.active_config.as_deref())
}

/// The host to talk to: `--host`/`INFLUX_HOST`, else the config's url, else `http://localhost:8086`.
pub fn host(connection: &ConnectionArgs, config: &Config) -> String {
    given(&connection.host)
        .map(str::to_owned)
        .or_else(|| Some(config.url.clone()).filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_owned())
}

pub fn client(
    connection: &ConnectionArgs,
    host: String,
    token: Option<String>,
    cookie: Option<String>,
) -> Result<Client, Error> {
    Client::new(Settings {
        host,
        token,
        cookie,
        debug: connection.http_debug,
        trace_id: connection.trace_debug_id.clone(),
        extra_headers: connection.extra_http_header.clone(),
    })
}

/// A client with the token of `--token`/`INFLUX_TOKEN`, else of the config (else the config's session cookie); and
/// the config.
pub(crate) fn connect(common: &CommonArgs) -> Result<(Client, Config), Error> {
    connect_with(&common.connection, &common.token)
}

/// [`connect`] for commands without the printing flags.
pub(crate) fn connect_with(connection: &ConnectionArgs, token: &Option<String>) -> Result<(Client, Config), Error> {
    let config = active_config(connection)?;
    let token = given(token)
        .map(str::to_owned)
        .or_else(|| Some(config.token.clone()).filter(|t| !t.is_empty()));
    let host = host(connection, &config);
    let cookie = Some(config.cookie.clone());
    Ok((client(connection, host, token, cookie)?, config))
}

/// `--org-id` (validated) or `--org`, never both.
pub(crate) fn org_flags(org: &OrgArgs) -> Result<(Option<Id>, Option<&str>), Error> {
    org_choice(&org.org_id, &org.org, "--org-id", "--org")
}

/// An org given by ID (validated) or by name, never both; the flag names are for the error message.
pub(crate) fn org_choice<'a>(
    id: &'a Option<String>,
    name: &'a Option<String>,
    id_flag: &str,
    name_flag: &str,
) -> Result<(Option<Id>, Option<&'a str>), Error> {
    let (id, name) = (given(id), given(name));
    if id.is_some() && name.is_some() {
        return Err(Error::new(format!(
            "ambiguous org: use {id_flag} or {name_flag}, not both (INFLUX_ORG_ID and INFLUX_ORG count too)"
        )));
    }
    let id = id.map(|text| parse_id("org", text)).transpose()?;
    Ok((id, name))
}

/// An ID from a flag, checked before any request: `invalid <what> ID "…": …`.
pub(crate) fn parse_id(what: &str, text: &str) -> Result<Id, Error> {
    text.parse::<Id>()
        .map_err(|e| Error::new(format!("invalid {what} ID {text:?}: {e}")))
}

/// The ID of the org a command is about: `--org-id`, else the org named by `--org`, else by the config's `org`.
pub(crate) fn resolve_org(client: &Client, config: &Config, id: Option<Id>, name: Option<&str>) -> Result<Id, Error> {
    if let Some(id) = id {
        return Ok(id);
    }
    let name = name
        .map(str::to_owned)
        .or_else(|| Some(config.org.clone()).filter(|o| !o.is_empty()))
        .ok_or_else(|| {
            Error::new(
                "must specify org ID or org name (--org-id, --org, INFLUX_ORG_ID, INFLUX_ORG or the config's org)",
            )
        })?;
    let orgs: OrgsView = client
        .get("/api/v2/orgs", &[("org", &name)])
        .map_err(|e| Error::new(format!("failed to look up the ID of org {name:?}: {e}")))?;
    orgs.orgs
        .first()
        .map(|org| org.id)
        .ok_or_else(|| Error::new(format!("no organization found with name {name:?}")))
}

/// `/api/v2/authorizations/<id>`, with the ID escaped so that no input can change the path or add a query.
fn authorization_path(id: &str) -> String {
    let mut path = String::from("/api/v2/authorizations/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

fn print_one(print: PrintArgs, auth: &AuthorizationView, deleted: bool) -> Result<(), Error> {
    let row = TokenRow::from(auth);
    if print.json {
        output::print(&output::go_json(&row)?)
    } else {
        output::print(&output::token_table(&[row], deleted, print.hide_headers))
    }
}

// -- create -------------------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct ResourceBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Id>,
    #[serde(rename = "orgID", skip_serializing_if = "Option::is_none")]
    org_id: Option<Id>,
}

#[derive(Debug, Serialize)]
struct PermissionBody<'a> {
    action: &'static str,
    resource: ResourceBody<'a>,
}

impl<'a> PermissionBody<'a> {
    /// As influx builds them: `orgs` and `users` never carry the org.
    fn new(action: &'static str, kind: &'a str, id: Option<Id>, org_id: Option<Id>) -> Self {
        let org_id = if matches!(kind, "orgs" | "users") { None } else { org_id };
        Self {
            action,
            resource: ResourceBody { kind, id, org_id },
        }
    }
}

#[derive(Debug, Serialize)]
struct CreateBody<'a> {
    #[serde(rename = "orgID")]
    org_id: Id,
    #[serde(rename = "userID")]
    user_id: Id,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    permissions: Vec<PermissionBody<'a>>,
    /// Extension: RFC 3339; omitted for a token that never expires (what influx sends).
    #[serde(rename = "expiresAt", skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

pub(crate) fn bucket_ids(flag: &str, ids: &[String]) -> Result<Vec<Id>, Error> {
    ids.iter()
        .map(|text| {
            text.parse::<Id>().map_err(|e| {
                Error::new(format!(
                    "invalid bucket ID {text:?} in --{flag}: {e} (did you pass a bucket name instead of an ID?)"
                ))
            })
        })
        .collect()
}

fn create(args: CreateArgs) -> Result<(), Error> {
    // Everything that needs no server first.
    let (org_id, org_name) = org_flags(&args.org)?;
    let read_buckets = bucket_ids("read-bucket", &args.read_bucket)?;
    let write_buckets = bucket_ids("write-bucket", &args.write_bucket)?;
    let others = !read_buckets.is_empty() || !write_buckets.is_empty() || !args.grants.is_empty();
    if args.operator && others {
        return Err(Error::new("cannot compose other permissions with operator permissions"));
    }
    if args.all_access && (others || args.operator) {
        return Err(Error::new(
            "cannot compose other permissions with all access permissions",
        ));
    }
    let expires_at = expiry::expires_at(
        given(&args.expires_in),
        given(&args.expires_at),
        OffsetDateTime::now_utc(),
    )?;

    let (client, config) = connect(&args.common)?;
    let org_id = resolve_org(&client, &config, org_id, org_name)?;

    // influx always asks, with `?name=` when no --user was given, and takes the first user.
    let user = args.user.clone().unwrap_or_default();
    let users: UsersView = client
        .get("/api/v2/users", &[("name", &user)])
        .map_err(|e| Error::new(format!("could not find user with name {user:?}: {e}")))?;
    let user_id = users
        .users
        .first()
        .map(|u| u.id)
        .ok_or_else(|| Error::new(format!("could not find user with name {user:?}")))?;

    let mut permissions = Vec::new();
    for (action, ids) in [("read", &read_buckets), ("write", &write_buckets)] {
        for id in ids {
            permissions.push(PermissionBody::new(action, "buckets", Some(*id), Some(org_id)));
        }
    }
    for (kind, read, write) in &args.grants.selected {
        for (action, wanted) in [("read", read), ("write", write)] {
            if *wanted {
                permissions.push(PermissionBody::new(action, kind, None, Some(org_id)));
            }
        }
    }
    let resources: Vec<String> = if args.operator || args.all_access {
        client
            .get("/api/v2/resources", &[])
            .map_err(|e| Error::new(format!("could not list resource types: {e}")))?
    } else {
        Vec::new()
    };
    let instance = ResourceType::Instance.as_str();
    for kind in resources.iter().map(String::as_str).filter(|k| *k != instance) {
        if args.operator {
            for action in ["read", "write"] {
                permissions.push(PermissionBody::new(action, kind, None, None));
            }
        } else if kind == "orgs" {
            // All access is for one org, not every org.
            permissions.push(PermissionBody::new("read", kind, Some(org_id), None));
        } else if kind == "users" {
            // … and for the owner, not every user.
            for action in ["read", "write"] {
                permissions.push(PermissionBody::new(action, kind, Some(user_id), None));
            }
        } else {
            for action in ["read", "write"] {
                permissions.push(PermissionBody::new(action, kind, None, Some(org_id)));
            }
        }
    }

    let body = CreateBody {
        org_id,
        user_id,
        description: given(&args.description),
        permissions,
        expires_at,
    };
    let created: AuthorizationView = client
        .post("/api/v2/authorizations", &body)
        .map_err(|e| Error::new(format!("could not write auth with provided arguments: {e}")))?;
    print_one(args.common.print, &created, false)
}

// -- list ---------------------------------------------------------------------------------------------------------

fn list(args: ListArgs) -> Result<(), Error> {
    let (org_id, org_name) = org_flags(&args.org)?;
    let unused_since = given(&args.unused_since)
        .map(|text| expiry::unused_since(text, OffsetDateTime::now_utc()))
        .transpose()?;
    let (client, _) = connect(&args.common)?;
    let print = args.common.print;
    let shape = TokenTable {
        deleted: false,
        wide: args.wide,
        hide_headers: print.hide_headers,
    };

    if let Some(id) = given(&args.id) {
        let auth: AuthorizationView = client
            .get(&authorization_path(id), &[])
            .map_err(|e| Error::new(format!("could not find authorization with ID {id:?}: {e}")))?;
        let row = TokenRow::from(&auth);
        return if print.json {
            output::print(&output::go_json(&row)?)
        } else {
            output::print(&output::token_table_with(&[row], shape))
        };
    }

    // Only the filters that were given; unlike create, no fallback to the config's org.
    let org_id = org_id.map(|id| id.to_string());
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(user) = given(&args.user) {
        query.push(("user", user));
    }
    if let Some(user_id) = given(&args.user_id) {
        query.push(("userID", user_id));
    }
    if let Some(org) = org_name {
        query.push(("org", org));
    }
    if let Some(org_id) = org_id.as_deref() {
        query.push(("orgID", org_id));
    }
    // influx-authz's extensions, sent only when given (so a plain list is influx's request).
    if let Some(status) = args.status {
        query.push(("status", status.as_str()));
    }
    if let Some(since) = unused_since.as_deref() {
        query.push(("unusedSince", since));
    }
    if let Some(description) = given(&args.description) {
        query.push(("description", description));
    }
    let found: AuthorizationsView = client
        .get("/api/v2/authorizations", &query)
        .map_err(|e| Error::new(format!("could not find authorization with given parameters: {e}")))?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<TokenRow> = found.authorizations.iter().map(|a| TokenRow::new(a, now)).collect();
    if print.json {
        // influx prints `null` for no tokens.
        let value = if rows.is_empty() { None } else { Some(&rows) };
        output::print(&output::go_json(&value)?)
    } else {
        output::print(&output::token_table_with(&rows, shape))
    }
}

// -- delete, active, inactive -------------------------------------------------------------------------------------

fn delete(args: IdArgs) -> Result<(), Error> {
    let (client, _) = connect(&args.common)?;
    let id = args.id.as_str();
    let path = authorization_path(id);
    // The DELETE answers 204 with no body, so the token is read first, to print it.
    let auth: AuthorizationView = client
        .get(&path, &[])
        .map_err(|e| Error::new(format!("could not find auth with ID {id:?}: {e}")))?;
    client
        .delete(&path)
        .map_err(|e| Error::new(format!("could not remove auth with ID {id:?}: {e}")))?;
    print_one(args.common.print, &auth, true)
}

#[derive(Debug, Serialize)]
struct StatusBody<'a> {
    status: &'a str,
}

fn set_status(args: IdArgs, status: &str) -> Result<(), Error> {
    let (client, _) = connect(&args.common)?;
    let id = args.id.as_str();
    let path = authorization_path(id);
    let _: AuthorizationView = client
        .get(&path, &[])
        .map_err(|e| Error::new(format!("could not find auth with ID {id:?}: {e}")))?;
    let updated: AuthorizationView = client
        .patch(&path, &StatusBody { status })
        .map_err(|e| Error::new(format!("could not update status of auth with ID {id:?}: {e}")))?;
    print_one(args.common.print, &updated, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_the_path() {
        assert_eq!(
            authorization_path("0a1b2c3d4e5f6a7b"),
            "/api/v2/authorizations/0a1b2c3d4e5f6a7b"
        );
        assert_eq!(
            authorization_path("../users?x=1"),
            "/api/v2/authorizations/..%2Fusers%3Fx%3D1"
        );
    }

    #[test]
    fn orgs_and_users_permissions_never_carry_the_org() {
        let org: Id = "b6b3217f5a5e0559".parse().unwrap();
        let json = |p: PermissionBody| serde_json::to_value(p).unwrap();
        assert_eq!(
            json(PermissionBody::new("read", "users", None, Some(org))),
            serde_json::json!({"action": "read", "resource": {"type": "users"}})
        );
        assert_eq!(
            json(PermissionBody::new("write", "buckets", None, Some(org))),
            serde_json::json!({"action": "write", "resource": {"type": "buckets", "orgID": "b6b3217f5a5e0559"}})
        );
    }

    #[test]
    fn org_id_and_org_name_are_exclusive_and_the_id_is_checked() {
        let flags = |id: Option<&str>, name: Option<&str>| OrgArgs {
            org_id: id.map(str::to_owned),
            org: name.map(str::to_owned),
        };
        let error = org_flags(&flags(Some("b6b3217f5a5e0559"), Some("my-org"))).unwrap_err();
        assert!(error.to_string().starts_with("ambiguous org"), "{error}");
        let error = org_flags(&flags(Some("nope"), None)).unwrap_err();
        assert!(error.to_string().starts_with("invalid org ID \"nope\""), "{error}");
        // An empty value counts as unset.
        assert!(org_flags(&flags(Some(""), Some("my-org"))).is_ok());
    }
}
