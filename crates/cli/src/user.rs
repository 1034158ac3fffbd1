//! The `user` subcommands, with `influx user`'s request flow and output (`ID Name`, `Deleted` for delete, the
//! server's user object with `--json`):
//! - create: resolve the org first (`--org-id`, `--org`, the config's org), POST the user, print it, add it to the
//!   org's members, then set the password if one was given (without one, a warning on stderr);
//! - delete: GET (a 404 there is `user "…" not found`), then DELETE;
//! - list: one GET with the `id`/`name` filters that were given;
//! - update: one PATCH (`--status` is our extension);
//! - password: look the user up by name unless `--id`, then POST the password.
//!
//! IDs are checked before any request, like influx's ID flags.

use std::io::IsTerminal;

use model::Id;
use serde::Serialize;

use crate::Error;
use crate::args::{
    PrintArgs, UserArgs, UserCommand, UserCreateArgs, UserIdArgs, UserListArgs, UserPasswordArgs, UserUpdateArgs,
};
use crate::auth::{connect, connect_with, given, org_flags, parse_id, resolve_org};
use crate::http::Client;
use crate::output::{self, UserRow};
use crate::setup::MIN_PASSWORD_LEN;

pub fn run(args: UserArgs) -> Result<(), Error> {
    match args.command {
        UserCommand::Create(args) => create(args),
        UserCommand::Delete(args) => delete(args),
        UserCommand::List(args) => list(args),
        UserCommand::Update(args) => update(args),
        UserCommand::Password(args) => password(args),
    }
}

/// A required flag: `missing --<flag>: <what> is required`.
pub(crate) fn required<'a>(value: &'a Option<String>, flag: &str, what: &str) -> Result<&'a str, Error> {
    given(value).ok_or_else(|| Error::new(format!("missing {flag}: {what} is required")))
}

pub(crate) fn user_path(id: Id) -> String {
    format!("/api/v2/users/{id}")
}

fn print_users(print: PrintArgs, users: &[UserRow], one: bool, deleted: bool) -> Result<(), Error> {
    if print.json {
        if one && let Some(user) = users.first() {
            return output::print(&output::go_json(user)?);
        }
        return output::print(&output::go_json(&users)?);
    }
    let rows = users.iter().map(|u| (u.id.as_str(), u.name.as_str()));
    output::print(&output::id_name_table(rows, deleted, print.hide_headers))
}

fn check_password(password: &str) -> Result<(), Error> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::new(format!(
            "password is too short: it must be at least {MIN_PASSWORD_LEN} characters (--password)"
        )));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct PasswordBody<'a> {
    password: &'a str,
}

#[derive(Debug, Serialize)]
struct IdBody {
    id: Id,
}

// -- create ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct CreateBody<'a> {
    name: &'a str,
}

fn create(args: UserCreateArgs) -> Result<(), Error> {
    let name = required(&args.name, "--name", "the user name")?;
    let password = given(&args.password);
    if let Some(password) = password {
        check_password(password)?;
    }
    let (org_id, org_name) = org_flags(&args.org)?;

    let (client, config) = connect(&args.common)?;
    let org_id = resolve_org(&client, &config, org_id, org_name)?;
    let user: UserRow = client
        .post("/api/v2/users", &CreateBody { name })
        .map_err(|e| Error::new(format!("failed to create user {name:?}: {e}")))?;
    print_users(args.common.print, std::slice::from_ref(&user), true, false)?;
    let id = parse_id("user", &user.id)?;

    let _: serde_json::Value = client
        .post(&format!("/api/v2/orgs/{org_id}/members"), &IdBody { id })
        .map_err(|e| {
            Error::new(format!(
                "failed setting org membership for user {name:?}, use `influx-authz org members add` to retry: {e}"
            ))
        })?;

    let Some(password) = password else {
        eprintln!("WARN: initial password not set for user, use `influx-authz user password` to set it");
        return Ok(());
    };
    client
        .post_no_content(&format!("{}/password", user_path(id)), &PasswordBody { password })
        .map_err(|e| {
            Error::new(format!(
                "failed setting password for user {name:?}, use `influx-authz user password` to retry: {e}"
            ))
        })
}

// -- delete ---------------------------------------------------------------------------------------------------------

fn delete(args: UserIdArgs) -> Result<(), Error> {
    let id = parse_id("user", required(&args.id, "--id", "the user ID")?)?;
    let (client, _) = connect(&args.common)?;
    let path = user_path(id);
    let user: UserRow = client
        .get(&path, &[])
        .map_err(|e| Error::new(format!("user \"{id}\" not found: {e}")))?;
    client
        .delete(&path)
        .map_err(|e| Error::new(format!("failed to delete user \"{id}\": {e}")))?;
    print_users(args.common.print, &[user], true, true)
}

// -- list -----------------------------------------------------------------------------------------------------------

#[derive(Debug, serde::Deserialize)]
struct UsersBody {
    #[serde(default)]
    users: Vec<UserRow>,
}

fn list(args: UserListArgs) -> Result<(), Error> {
    let id = given(&args.id).map(|text| parse_id("user", text)).transpose()?;
    let (client, _) = connect(&args.common)?;
    let id = id.map(|id| id.to_string());
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(id) = id.as_deref() {
        query.push(("id", id));
    }
    if let Some(name) = given(&args.name) {
        query.push(("name", name));
    }
    let found: UsersBody = client
        .get("/api/v2/users", &query)
        .map_err(|e| Error::new(format!("failed to list users: {e}")))?;
    print_users(args.common.print, &found.users, false, false)
}

// -- update ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Default, Serialize)]
struct UpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

fn update(args: UserUpdateArgs) -> Result<(), Error> {
    let id = parse_id("user", required(&args.id, "--id", "the user ID")?)?;
    let (client, _) = connect(&args.common)?;
    let body = UpdateBody {
        name: given(&args.name),
        status: args.status.map(|s| s.as_str()),
    };
    let user: UserRow = client
        .patch(&user_path(id), &body)
        .map_err(|e| Error::new(format!("failed to update user \"{id}\": {e}")))?;
    print_users(args.common.print, &[user], true, false)
}

// -- password -------------------------------------------------------------------------------------------------------

fn password(args: UserPasswordArgs) -> Result<(), Error> {
    let id = given(&args.id).map(|text| parse_id("user", text)).transpose()?;
    let name = given(&args.name);
    if id.is_none() && name.is_none() {
        return Err(Error::new("must specify user ID or user name (--id or --name)"));
    }
    if let Some(password) = given(&args.password) {
        check_password(password)?;
    } else if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            "missing --password: the new password is asked for only when a terminal is attached",
        ));
    }

    let (client, _) = connect_with(&args.common.connection, &args.common.token)?;
    let (id, display) = match (id, name) {
        (Some(id), _) => (id, id.to_string()),
        (None, Some(name)) => (find_by_name(&client, name)?, name.to_owned()),
        (None, None) => unreachable!("checked above"),
    };
    let password = match given(&args.password) {
        Some(password) => password.to_owned(),
        None => ask_password(&display)?,
    };
    client
        .post_no_content(
            &format!("{}/password", user_path(id)),
            &PasswordBody { password: &password },
        )
        .map_err(|e| Error::new(format!("failed to set password for user {display:?}: {e}")))?;
    output::print(&format!("Successfully updated password for user {display:?}\n"))
}

fn find_by_name(client: &Client, name: &str) -> Result<Id, Error> {
    let found: UsersBody = client
        .get("/api/v2/users", &[("name", name)])
        .map_err(|e| Error::new(format!("failed to find user {name:?}: {e}")))?;
    let user = found
        .users
        .first()
        .ok_or_else(|| Error::new(format!("no user found with name {name:?}")))?;
    parse_id("user", &user.id)
}

/// influx's prompts: the password twice, again until both match and it is long enough.
fn ask_password(display: &str) -> Result<String, Error> {
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| Error::new(format!("cannot read the password: {e}")))
    };
    loop {
        let password = read(&format!("Please type new password for {display:?}: "))?;
        if password.chars().count() < MIN_PASSWORD_LEN {
            eprintln!("The password must be at least {MIN_PASSWORD_LEN} characters.");
            continue;
        }
        if read("Please type new password again: ")? == password {
            return Ok(password);
        }
        eprintln!("Passwords do not match");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_flags_name_themselves() {
        let error = required(&None, "--id", "the user ID").unwrap_err();
        assert_eq!(error.to_string(), "missing --id: the user ID is required");
        assert!(
            required(&Some(String::new()), "--id", "x").is_err(),
            "empty counts as unset"
        );
        assert_eq!(required(&Some("a".into()), "--id", "x").unwrap(), "a");
    }

    #[test]
    fn short_passwords_are_refused_before_any_request() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("ééééééé").is_err(), "counted in characters");
    }
}
