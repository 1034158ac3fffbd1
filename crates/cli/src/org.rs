//! The `org` subcommands, with `influx org`'s request flow and output (`ID Name`, `Deleted` for delete, the server's
//! org object with `--json`):
//! - create: one POST; update: one PATCH with the fields that were given;
//! - delete: GET (a 404 there is `org "…" not found`), then DELETE;
//! - list: one GET with the `org`/`orgID` filters that were given;
//! - members list: GET the members, then each member's user (`ID Name User Type Status`);
//! - members add/remove: POST `{"id": …}` / DELETE, and one line of text.
//!
//! For `members`, the org is `--id`, else `--name`, else the config's org (looked up by name), as with influx; both
//! `--id` and `--name` is an error, as for `auth`.

use model::Id;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::args::{
    MemberArgs, MembersCommand, MembersListArgs, MembersOrgArgs, OrgCommand, OrgCreateArgs, OrgIdArgs, OrgListArgs,
    OrgUpdateArgs, OrganizationArgs, PrintArgs,
};
use crate::auth::{connect, connect_with, given, org_choice, parse_id, resolve_org};
use crate::configs::Config;
use crate::http::Client;
use crate::output::{self, OrgRow, UserRow};
use crate::user::{required, user_path};

pub fn run(args: OrganizationArgs) -> Result<(), Error> {
    match args.command {
        OrgCommand::Create(args) => create(args),
        OrgCommand::Delete(args) => delete(args),
        OrgCommand::List(args) => list(args),
        OrgCommand::Update(args) => update(args),
        OrgCommand::Members(members) => match members.command {
            MembersCommand::List(args) => list_members(args),
            MembersCommand::Add(args) => add_member(args),
            MembersCommand::Remove(args) => remove_member(args),
        },
    }
}

fn org_path(id: Id) -> String {
    format!("/api/v2/orgs/{id}")
}

fn print_orgs(print: PrintArgs, orgs: &[OrgRow], one: bool, deleted: bool) -> Result<(), Error> {
    if print.json {
        if one && let Some(org) = orgs.first() {
            return output::print(&output::go_json(org)?);
        }
        return output::print(&output::go_json(&orgs)?);
    }
    let rows = orgs.iter().map(|o| (o.id.as_str(), o.name.as_str()));
    output::print(&output::id_name_table(rows, deleted, print.hide_headers))
}

// -- create, update -------------------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct OrgBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

fn create(args: OrgCreateArgs) -> Result<(), Error> {
    let name = required(&args.name, "--name", "the organization name")?;
    let (client, _) = connect(&args.common)?;
    let body = OrgBody {
        name: Some(name),
        description: given(&args.description),
    };
    let org: OrgRow = client
        .post("/api/v2/orgs", &body)
        .map_err(|e| Error::new(format!("failed to create org {name:?}: {e}")))?;
    print_orgs(args.common.print, &[org], true, false)
}

fn update(args: OrgUpdateArgs) -> Result<(), Error> {
    let id = parse_id(
        "org",
        required(&args.id, "--id", "the organization ID (or INFLUX_ORG_ID)")?,
    )?;
    let (client, _) = connect(&args.common)?;
    let body = OrgBody {
        name: given(&args.name),
        description: given(&args.description),
    };
    let org: OrgRow = client
        .patch(&org_path(id), &body)
        .map_err(|e| Error::new(format!("failed to update org \"{id}\": {e}")))?;
    print_orgs(args.common.print, &[org], true, false)
}

// -- delete, list ---------------------------------------------------------------------------------------------------

fn delete(args: OrgIdArgs) -> Result<(), Error> {
    let id = parse_id(
        "org",
        required(&args.id, "--id", "the organization ID (or INFLUX_ORG_ID)")?,
    )?;
    let (client, _) = connect(&args.common)?;
    let path = org_path(id);
    let org: OrgRow = client
        .get(&path, &[])
        .map_err(|e| Error::new(format!("org \"{id}\" not found: {e}")))?;
    client
        .delete(&path)
        .map_err(|e| Error::new(format!("failed to delete org \"{id}\": {e}")))?;
    print_orgs(args.common.print, &[org], true, true)
}

#[derive(Debug, Deserialize)]
struct OrgsBody {
    #[serde(default)]
    orgs: Vec<OrgRow>,
}

fn list(args: OrgListArgs) -> Result<(), Error> {
    let id = given(&args.id).map(|text| parse_id("org", text)).transpose()?;
    let (client, _) = connect(&args.common)?;
    let id = id.map(|id| id.to_string());
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(name) = given(&args.name) {
        query.push(("org", name));
    }
    if let Some(id) = id.as_deref() {
        query.push(("orgID", id));
    }
    let found: OrgsBody = client
        .get("/api/v2/orgs", &query)
        .map_err(|e| Error::new(format!("failed to list orgs: {e}")))?;
    print_orgs(args.common.print, &found.orgs, false, false)
}

// -- members --------------------------------------------------------------------------------------------------------

/// The org of a `members` command, checked before any request.
fn members_org(org: &MembersOrgArgs) -> Result<(Option<Id>, Option<&str>), Error> {
    org_choice(&org.id, &org.name, "--id", "--name")
}

/// Resolves the org's ID (by name when needed) on the server.
fn members_org_id(client: &Client, config: &Config, org: (Option<Id>, Option<&str>)) -> Result<Id, Error> {
    if org.0.is_none() && org.1.is_none() && config.org.is_empty() {
        return Err(Error::new(
            "must specify org ID or org name (--id, --name, INFLUX_ORG_ID, INFLUX_ORG or the config's org)",
        ));
    }
    resolve_org(client, config, org.0, org.1)
}

#[derive(Debug, Deserialize)]
struct Member {
    id: String,
}

#[derive(Debug, Deserialize)]
struct MembersBody {
    #[serde(default)]
    users: Vec<Member>,
}

fn list_members(args: MembersListArgs) -> Result<(), Error> {
    let org = members_org(&args.org)?;
    let (client, config) = connect(&args.common)?;
    let org_id = members_org_id(&client, &config, org)?;
    let members: MembersBody = client
        .get(&format!("{}/members", org_path(org_id)), &[])
        .map_err(|e| Error::new(format!("failed to find members of org \"{org_id}\": {e}")))?;
    let mut users = Vec::with_capacity(members.users.len());
    for member in &members.users {
        let id = parse_id("user", &member.id)?;
        let user: UserRow = client
            .get(&user_path(id), &[])
            .map_err(|e| Error::new(format!("failed to retrieve details for user \"{id}\": {e}")))?;
        users.push(user);
    }
    if args.common.print.json {
        output::print(&output::go_json(&users)?)
    } else {
        output::print(&output::members_table(&users, args.common.print.hide_headers))
    }
}

#[derive(Debug, Serialize)]
struct IdBody {
    id: Id,
}

/// The member's ID and the org's, from the flags and (for an org name) the server.
fn member_and_org(args: &MemberArgs) -> Result<(Client, Id, Id), Error> {
    let member = parse_id("member", required(&args.member, "--member", "the member's user ID")?)?;
    let org = members_org(&args.org)?;
    let (client, config) = connect_with(&args.common.connection, &args.common.token)?;
    let org_id = members_org_id(&client, &config, org)?;
    Ok((client, member, org_id))
}

fn add_member(args: MemberArgs) -> Result<(), Error> {
    let (client, member, org_id) = member_and_org(&args)?;
    let added: Member = client
        .post(&format!("{}/members", org_path(org_id)), &IdBody { id: member })
        .map_err(|e| Error::new(format!("failed to add user \"{member}\" to org \"{org_id}\": {e}")))?;
    output::print(&format!(
        "user {:?} has been added as a member of org \"{org_id}\"\n",
        added.id
    ))
}

fn remove_member(args: MemberArgs) -> Result<(), Error> {
    let (client, member, org_id) = member_and_org(&args)?;
    client
        .delete(&format!("{}/members/{member}", org_path(org_id)))
        .map_err(|e| {
            Error::new(format!(
                "failed to remove member \"{member}\" from org \"{org_id}\": {e}"
            ))
        })?;
    output::print(&format!("user \"{member}\" has been removed from org \"{org_id}\"\n"))
}
