//! `v1 auth`, with `influx v1 auth`'s request flow and output, on `/private/legacy/authorizations`:
//! - create: resolve the org (`--org-id`, `--org`, the config's org), make sure no v1 authorization has the username
//!   (`GET ?token=<username>`; InfluxDB answers 404 when none has), ask for the password unless `--password`/`--no-password`, POST the authorization
//!   (the username as its `token`), POST its password (deleting the new authorization again if that fails), then
//!   read its owner (`GET /api/v2/users/<id>`) for the table;
//! - list: one GET with the filters that were given (`--id` sent as `authID`, `--username` as `token`), then the
//!   owner of each authorization;
//! - delete: GET, DELETE, then the owner; set-active/set-inactive: PATCH the status, then the owner;
//! - set-password: POST the password; it prints nothing, as influx does.
//!
//! An authorization is named by `--id` or by `--username` (looked up with `GET ?token=`), one of the two. Flags that
//! need no server (IDs, exclusive flags, password length, a terminal for the prompt) are checked before any request.
//! The table has influx's columns (`ID Description Username "v2 User Name" "v2 User ID" Permissions`, plus
//! `Deleted`); `--json` prints influx's `{id, description, token, status, userName, userID, permissions}`.

use std::io::IsTerminal;

use model::Id;
use model::wire::{AuthorizationView, AuthorizationsView};
use reqwest::StatusCode;
use serde::Serialize;

use crate::Error;
use crate::args::{
    PrintArgs, V1Args, V1AuthCommand, V1Command, V1CreateArgs, V1ListArgs, V1LookupArgs, V1LookupFlags, V1PasswordArgs,
};
use crate::auth::{bucket_ids, connect, connect_with, given, org_flags, parse_id, resolve_org};
use crate::http::{Client, HttpError};
use crate::output::{self, UserRow};
use crate::setup::MIN_PASSWORD_LEN;
use crate::user::{required, user_path};

const LEGACY: &str = "/private/legacy/authorizations";

pub fn run(args: V1Args) -> Result<(), Error> {
    let V1Command::Auth(auth) = args.command;
    match auth.command {
        V1AuthCommand::Create(args) => create(args),
        V1AuthCommand::List(args) => list(args),
        V1AuthCommand::Delete(args) => delete(args),
        V1AuthCommand::SetActive(args) => set_status(args, "active"),
        V1AuthCommand::SetInactive(args) => set_status(args, "inactive"),
        V1AuthCommand::SetPassword(args) => set_password(args),
    }
}

fn authorization_path(id: Id) -> String {
    format!("{LEGACY}/{id}")
}

/// A v1 authorization as influx prints it with `--json` (field names and order).
#[derive(Debug, Clone, PartialEq, Serialize)]
struct V1Row {
    id: String,
    description: String,
    token: String,
    status: String,
    #[serde(rename = "userName")]
    user_name: String,
    #[serde(rename = "userID")]
    user_id: String,
    permissions: Vec<String>,
}

impl V1Row {
    /// The row of `auth`, owned by `owner` (influx shows the user as the users API answers).
    fn new(auth: &AuthorizationView, owner: &UserRow) -> Self {
        Self {
            id: auth.id.to_string(),
            description: auth.description.clone(),
            token: auth.token.clone(),
            status: auth.status.to_string(),
            user_name: owner.name.clone(),
            user_id: owner.id.clone(),
            permissions: auth.permissions.iter().map(output::permission_string).collect(),
        }
    }
}

/// influx's v1 table: `ID Description Username "v2 User Name" "v2 User ID" Permissions`, and `Deleted` for delete.
fn table(rows: &[V1Row], deleted: bool, hide_headers: bool) -> String {
    let mut headers = vec![
        "ID",
        "Description",
        "Username",
        "v2 User Name",
        "v2 User ID",
        "Permissions",
    ];
    if deleted {
        headers.push("Deleted");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                row.id.clone(),
                row.description.clone(),
                row.token.clone(),
                row.user_name.clone(),
                row.user_id.clone(),
                // Go's `%v` of a `[]string`.
                format!("[{}]", row.permissions.join(" ")),
            ];
            if deleted {
                cells.push("true".to_owned());
            }
            cells
        })
        .collect();
    output::table(&headers, &cells, hide_headers)
}

fn print_one(print: PrintArgs, row: &V1Row, deleted: bool) -> Result<(), Error> {
    if print.json {
        output::print(&output::go_json(row)?)
    } else {
        output::print(&table(std::slice::from_ref(row), deleted, print.hide_headers))
    }
}

/// The owner of an authorization, as influx reads it for every row it prints.
fn owner(client: &Client, id: Id, context: &str) -> Result<UserRow, Error> {
    client
        .get(&user_path(id), &[])
        .map_err(|e| Error::new(format!("{context} {:?}: {e}", id.to_string())))
}

/// `--id` or `--username`, exactly one; the ID is checked before any request.
enum Lookup<'a> {
    Id(Id),
    Username(&'a str),
}

fn lookup(flags: &V1LookupFlags) -> Result<Lookup<'_>, Error> {
    match (given(&flags.id), given(&flags.username)) {
        (None, None) => Err(Error::new("id or username required (--id or --username)")),
        (Some(_), Some(_)) => Err(Error::new("specify id or username, not both (--id or --username)")),
        (Some(id), None) => Ok(Lookup::Id(parse_id("authorization", id)?)),
        (None, Some(username)) => Ok(Lookup::Username(username)),
    }
}

/// The v1 authorizations whose username is `username` (at most one).
fn by_username(client: &Client, username: &str) -> Result<Vec<AuthorizationView>, HttpError> {
    let found: AuthorizationsView = client.get(LEGACY, &[("token", username)])?;
    Ok(found.authorizations)
}

/// The ID to act on: `--id` as given, or the authorization with that username.
fn resolve(client: &Client, lookup: &Lookup) -> Result<Id, Error> {
    match lookup {
        Lookup::Id(id) => Ok(*id),
        Lookup::Username(username) => {
            let found = by_username(client, username).map_err(|e| {
                Error::new(format!(
                    "could not find v1 auth with token (username) {username:?}: {e}"
                ))
            })?;
            found
                .first()
                .map(|auth| auth.id)
                .ok_or_else(|| Error::new(format!("could not find v1 auth with token (username) {username:?}")))
        }
    }
}

fn check_password(password: &str, flag: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::new(format!(
            "password is too short: it must be at least {MIN_PASSWORD_LEN} characters ({flag})"
        )));
    }
    Ok(())
}

/// Fails unless someone can be asked: the prompt reads the terminal, never piped input.
fn can_prompt(flags: &str) -> Result<(), Error> {
    if std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(Error::new(format!(
        "missing {flags}: the password is asked for only when a terminal is attached"
    )))
}

/// influx's password prompt: `<prompt>: ` until the answer is long enough, then `<prompt> again: `; answers that
/// differ are an error.
fn ask_password(prompt: &str) -> Result<String, Error> {
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| Error::new(format!("cannot read the password: {e}")))
    };
    let password = loop {
        let password = read(&format!("{prompt}: "))?;
        if password.chars().count() >= MIN_PASSWORD_LEN {
            break password;
        }
        eprintln!("The password must be at least {MIN_PASSWORD_LEN} characters.");
    };
    if read(&format!("{prompt} again: "))? != password {
        return Err(Error::new("Passwords do not match"));
    }
    Ok(password)
}

#[derive(Debug, Serialize)]
struct PasswordBody<'a> {
    password: &'a str,
}

// -- create ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct ResourceBody {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Id,
    #[serde(rename = "orgID")]
    org_id: Id,
}

#[derive(Debug, Serialize)]
struct PermissionBody {
    action: &'static str,
    resource: ResourceBody,
}

/// influx's request: the description always (`""` when not given), no user (the server takes the caller's).
#[derive(Debug, Serialize)]
struct CreateBody<'a> {
    description: &'a str,
    #[serde(rename = "orgID")]
    org_id: Id,
    permissions: Vec<PermissionBody>,
    token: &'a str,
}

fn create(args: V1CreateArgs) -> Result<(), Error> {
    // Everything that needs no server first.
    let username = required(&args.username, "--username", "the v1 username")?;
    let password = given(&args.password);
    if password.is_some() && args.no_password {
        return Err(Error::new("only one of --password and --no-password may be specified"));
    }
    match password {
        Some(password) => check_password(password, "--password")?,
        None if !args.no_password => can_prompt("--password or --no-password")?,
        None => {}
    }
    let (org_id, org_name) = org_flags(&args.org)?;
    let read_buckets = bucket_ids("read-bucket", &args.read_bucket)?;
    let write_buckets = bucket_ids("write-bucket", &args.write_bucket)?;

    let (client, config) = connect(&args.common)?;
    let org_id = resolve_org(&client, &config, org_id, org_name)?;

    // InfluxDB answers 404 when no authorization has the username.
    let taken = match by_username(&client, username) {
        Ok(found) => found,
        Err(HttpError::Status { status, .. }) if status == StatusCode::NOT_FOUND => Vec::new(),
        Err(e) => {
            return Err(Error::new(format!(
                "failed to verify username {username:?} has no auth: {e}"
            )));
        }
    };
    if !taken.is_empty() {
        return Err(Error::new(format!(
            "authorization with username {username:?} already exists"
        )));
    }

    let password = match password {
        Some(password) => Some(password.to_owned()),
        None if args.no_password => None,
        None => Some(ask_password("Please type your password")?),
    };

    let mut permissions = Vec::new();
    for (action, ids) in [("read", &read_buckets), ("write", &write_buckets)] {
        for id in ids {
            permissions.push(PermissionBody {
                action,
                resource: ResourceBody {
                    kind: "buckets",
                    id: *id,
                    org_id,
                },
            });
        }
    }
    let body = CreateBody {
        description: given(&args.description).unwrap_or_default(),
        org_id,
        permissions,
        token: username,
    };
    let created: AuthorizationView = client
        .post(LEGACY, &body)
        .map_err(|e| Error::new(format!("failed to create new authorization: {e}")))?;

    if let Some(password) = password {
        let path = format!("{}/password", authorization_path(created.id));
        if let Err(e) = client.post_no_content(&path, &PasswordBody { password: &password }) {
            // No authorization without the password that was asked for.
            let _ = client.delete(&authorization_path(created.id));
            return Err(Error::new(format!("failed to set password for {username:?}: {e}")));
        }
    }

    let user = owner(&client, created.user_id, "could not find user from user ID")?;
    print_one(args.common.print, &V1Row::new(&created, &user), false)
}

// -- list -----------------------------------------------------------------------------------------------------------

fn list(args: V1ListArgs) -> Result<(), Error> {
    let (org_id, org_name) = org_flags(&args.org)?;
    let (client, _) = connect(&args.common)?;

    // Only the filters that were given, in influx's order.
    let org_id = org_id.map(|id| id.to_string());
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(user) = given(&args.user) {
        query.push(("user", user));
    }
    if let Some(user_id) = given(&args.user_id) {
        query.push(("userID", user_id));
    }
    if let Some(org_id) = org_id.as_deref() {
        query.push(("orgID", org_id));
    }
    if let Some(org) = org_name {
        query.push(("org", org));
    }
    if let Some(username) = given(&args.lookup.username) {
        query.push(("token", username));
    }
    if let Some(id) = given(&args.lookup.id) {
        query.push(("authID", id));
    }
    let found: AuthorizationsView = client
        .get(LEGACY, &query)
        .map_err(|e| Error::new(format!("could not find Authorizations for specified arguments: {e}")))?;

    let mut rows = Vec::with_capacity(found.authorizations.len());
    for auth in &found.authorizations {
        let user = owner(&client, auth.user_id, "could not find user with ID")?;
        rows.push(V1Row::new(auth, &user));
    }
    let print = args.common.print;
    if print.json {
        // influx prints `null` for none.
        let value = if rows.is_empty() { None } else { Some(&rows) };
        output::print(&output::go_json(&value)?)
    } else {
        output::print(&table(&rows, false, print.hide_headers))
    }
}

// -- delete, set-active, set-inactive -------------------------------------------------------------------------------

fn delete(args: V1LookupArgs) -> Result<(), Error> {
    let lookup = lookup(&args.lookup)?;
    let (client, _) = connect(&args.common)?;
    let id = resolve(&client, &lookup)?;
    let path = authorization_path(id);
    // The DELETE answers 204 with no body, so the authorization is read first, to print it.
    let auth: AuthorizationView = client
        .get(&path, &[])
        .map_err(|e| Error::new(format!("could not find Authorization from ID \"{id}\": {e}")))?;
    client
        .delete(&path)
        .map_err(|e| Error::new(format!("could not remove Authorization with ID \"{id}\": {e}")))?;
    let user = owner(&client, auth.user_id, "could not find user from user ID")?;
    print_one(args.common.print, &V1Row::new(&auth, &user), true)
}

#[derive(Debug, Serialize)]
struct StatusBody<'a> {
    status: &'a str,
}

fn set_status(args: V1LookupArgs, status: &str) -> Result<(), Error> {
    let lookup = lookup(&args.lookup)?;
    let (client, _) = connect(&args.common)?;
    let id = resolve(&client, &lookup)?;
    let updated: AuthorizationView = client
        .patch(&authorization_path(id), &StatusBody { status })
        .map_err(|e| {
            Error::new(format!(
                "failed to update status of authorization with ID \"{id}\": {e}"
            ))
        })?;
    let user = owner(&client, updated.user_id, "could not find user from User ID")?;
    print_one(args.common.print, &V1Row::new(&updated, &user), false)
}

// -- set-password ---------------------------------------------------------------------------------------------------

fn set_password(args: V1PasswordArgs) -> Result<(), Error> {
    let lookup = lookup(&args.lookup)?;
    match given(&args.password) {
        Some(password) => check_password(password, "--password")?,
        None => can_prompt("--password")?,
    }
    let (client, _) = connect_with(&args.common.connection, &args.common.token)?;
    let id = resolve(&client, &lookup)?;
    let password = match given(&args.password) {
        Some(password) => password.to_owned(),
        None => ask_password("Please type new password")?,
    };
    client
        .post_no_content(
            &format!("{}/password", authorization_path(id)),
            &PasswordBody { password: &password },
        )
        .map_err(|e| Error::new(format!("error setting password: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, username: &str, permissions: &[&str]) -> V1Row {
        V1Row {
            id: id.into(),
            description: String::new(),
            token: username.into(),
            status: "active".into(),
            user_name: "admin".into(),
            user_id: "0a0b0c0d0e0f0a0b".into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn the_table_has_influxs_v1_columns_aligned_like_go() {
        let rows = [
            row(
                "0a1b2c3d4e5f6a7b",
                "example-user",
                &[
                    "read:orgs/b6b3217f5a5e0559/buckets/0a6f3ee0b4ab6e23",
                    "write:orgs/b6b3217f5a5e0559/buckets/0a6f3ee0b4ab6e23",
                ],
            ),
            row("1a1b2c3d4e5f6a7b", "t", &[]),
        ];
        let expected = "\
ID\t\t\tDescription\tUsername\tv2 User Name\tv2 User ID\t\tPermissions
0a1b2c3d4e5f6a7b\t\t\texample-user\tadmin\t\t0a0b0c0d0e0f0a0b\t[read:orgs/b6b3217f5a5e0559/buckets/0a6f3ee0b4ab6e23 write:orgs/b6b3217f5a5e0559/buckets/0a6f3ee0b4ab6e23]
1a1b2c3d4e5f6a7b\t\t\tt\t\tadmin\t\t0a0b0c0d0e0f0a0b\t[]
";
        assert_eq!(table(&rows, false, false), expected);
        assert_eq!(
            table(&rows[1..], true, true),
            "1a1b2c3d4e5f6a7b\t\tt\tadmin\t0a0b0c0d0e0f0a0b\t[]\ttrue\n"
        );
    }

    #[test]
    fn json_has_influxs_fields_in_order() {
        let text = output::go_json(&row("0a1b2c3d4e5f6a7b", "u", &["read:/users"])).unwrap();
        let expected = "{\n\t\"id\": \"0a1b2c3d4e5f6a7b\",\n\t\"description\": \"\",\n\t\"token\": \"u\",\n\t\"status\": \"active\",\n\t\"userName\": \"admin\",\n\t\"userID\": \"0a0b0c0d0e0f0a0b\",\n\t\"permissions\": [\n\t\t\"read:/users\"\n\t]\n}\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn an_authorization_is_named_by_id_or_username_not_both() {
        let flags = |id: Option<&str>, username: Option<&str>| V1LookupFlags {
            id: id.map(str::to_owned),
            username: username.map(str::to_owned),
        };
        let message = |f: V1LookupFlags| lookup(&f).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message(flags(None, None)).starts_with("id or username required"));
        assert!(message(flags(Some(""), Some(""))).starts_with("id or username required"));
        assert!(message(flags(Some("0a1b2c3d4e5f6a7b"), Some("u"))).starts_with("specify id or username, not both"));
        assert!(message(flags(Some("nope"), None)).starts_with("invalid authorization ID \"nope\""));
        assert!(matches!(lookup(&flags(None, Some("u"))), Ok(Lookup::Username("u"))));
        assert!(matches!(
            lookup(&flags(Some("0a1b2c3d4e5f6a7b"), None)),
            Ok(Lookup::Id(_))
        ));
    }

    #[test]
    fn bucket_ids_and_passwords_are_checked_before_any_request() {
        assert!(bucket_ids("read-bucket", &["0a6f3ee0b4ab6e23".into()]).is_ok());
        let error = bucket_ids("read-bucket", &["my-bucket".into()]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("did you pass a bucket name instead of an ID?"),
            "{error}"
        );
        assert!(check_password("1234567", "--password").is_err());
        assert!(check_password("12345678", "--password").is_ok());
    }

    #[test]
    fn the_create_body_is_influxs() {
        let org: Id = "b6b3217f5a5e0559".parse().unwrap();
        let bucket: Id = "0a6f3ee0b4ab6e23".parse().unwrap();
        let body = CreateBody {
            description: "",
            org_id: org,
            permissions: vec![PermissionBody {
                action: "read",
                resource: ResourceBody {
                    kind: "buckets",
                    id: bucket,
                    org_id: org,
                },
            }],
            token: "example-user",
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "description": "", "orgID": "b6b3217f5a5e0559", "token": "example-user",
                "permissions": [{"action": "read", "resource": {"type": "buckets", "id": "0a6f3ee0b4ab6e23", "orgID": "b6b3217f5a5e0559"}}]
            })
        );
    }
}
