//! The command line of `auth`, `setup`, `user` and `org`, with `influx`'s flag names, short forms and environment variables.
//! Flags come after the subcommand, as with `influx` (`influx-authz auth list --json`).

use std::path::PathBuf;

use clap::builder::FalseyValueParser;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};

const AUTH_EXAMPLES: &str = "\
Examples:
  # List every token the caller may see (the table has influx's columns plus Status)
  influx-authz auth list --host http://localhost:8086 --token $INFLUX_TOKEN

  # Create a token that can read and write one bucket
  influx-authz auth create --org my-org --read-bucket 0f1e2d3c4b5a6978 --write-bucket 0f1e2d3c4b5a6978

  # Revoke a token: find its ID, then delete it (refused from the very next request on)
  influx-authz auth find --user admin
  influx-authz auth delete --id 0a1b2c3d4e5f6a7b

Host, token and org default to the active config of the influx CLI's configs file (~/.influxdbv2/configs),
so an existing `influx setup` works unchanged.";

const CREATE_EXAMPLES: &str = "\
Examples:
  # Read and write one bucket of the active config's org
  influx-authz auth create --read-bucket 0f1e2d3c4b5a6978 --write-bucket 0f1e2d3c4b5a6978 -d 'iot device'

  # Read every bucket and dashboard of org my-org, owned by user alice
  influx-authz auth create --org my-org --user alice --read-buckets --read-dashboards

  # All access to one org, or operator access to everything (needs an operator token)
  influx-authz auth create --org my-org --all-access
  influx-authz auth create --org my-org --operator

  # A token that stops working in 30 days, or at a given time (influx-authz extensions)
  influx-authz auth create --org my-org --read-buckets --expires-in 30d
  influx-authz auth create --org my-org --read-buckets --expires-at 2030-01-31T12:00:00Z

Without --org or --org-id, the active config's org is used. Without --user, the token belongs to the first user
the caller can see. --read-orgs, --write-orgs, --read-users and --write-users are global (no org), as with influx, so they need an
operator token. --operator and --all-access cannot be combined with other permission flags.
The token is printed once, here: the server keeps only its hash.

--expires-in and --expires-at are influx-authz extensions (influx tokens never expire): the token is sent with an
expiresAt and refused with 401 `token has expired` from then on. Use one or the other; the expiry must be in the
future. Durations are a number and a unit (s, m, h, d, w), combinable: 90m, 12h, 30d, 1w2d.";

const LIST_EXAMPLES: &str = "\
Examples:
  influx-authz auth list
  influx-authz auth find --user alice --json
  influx-authz auth ls --org my-org --hide-headers
  influx-authz auth list --id 0a1b2c3d4e5f6a7b

  # influx-authz extensions: expired tokens, tokens unused for 90 days, by description, with expiry columns
  influx-authz auth list --status expired
  influx-authz auth list --unused-since 90d
  influx-authz auth list --description telegraf --wide

Without filters it lists every token the caller may see (it does not fall back to the config's org).
With --id the other filters are ignored.

influx-authz extensions: the Status column reads `expired` for a token whose expiry has passed (by this machine's
clock); in --json, `status` stays the server's active/inactive and `expiresAt`/`lastUsedAt` (RFC 3339) are added
when set. --status, --unused-since and --description filter on the server (influx has none of them):
--status active means active and not expired, inactive means made inactive, expired means past its expiry.
--unused-since takes an RFC 3339 time or a duration like 30d (meaning 30 days ago), and lists the tokens never used
or last used before then. --description matches a substring, ignoring case. --wide adds the Expires and Last Used
columns after Status (`never` when unset); without it the table keeps influx's columns.";

const DELETE_EXAMPLES: &str = "\
Examples:
  influx-authz auth delete --id 0a1b2c3d4e5f6a7b
  influx-authz auth delete -i \"$(influx-authz auth find --user alice --json | jq -r '.[0].id')\"

The deleted token is refused (401) from the very next request on.";

const ACTIVE_EXAMPLES: &str = "\
Examples:
  influx-authz auth active --id 0a1b2c3d4e5f6a7b
  influx-authz auth active -i 0a1b2c3d4e5f6a7b --host http://localhost:8086 --token $INFLUX_TOKEN --json";

const INACTIVE_EXAMPLES: &str = "\
Examples:
  influx-authz auth inactive --id 0a1b2c3d4e5f6a7b

An inactive token still authenticates, but every permission check fails with 401 `token is inactive` (lists come
back empty) until it is made active again. Unlike influx, active and inactive accept the common flags.";

const SETUP_EXAMPLES: &str = "\
Examples:
  # Non-interactive, as in CI
  influx-authz setup --host http://localhost:8086 --username admin --password password123 \\
    --org my-org --bucket my-bucket --token my-operator-token --force

  # Interactive: asks for what is missing when run in a terminal
  influx-authz setup

The operator token and org are written to the configs file (~/.influxdbv2/configs, or --configs-path) as a config
named 'default' (or --name), which `auth` commands and the influx CLI then use.";

/// `influx-authz auth`: manage API tokens, like `influx auth`.
#[derive(Debug, Clone, Args)]
#[command(after_help = AUTH_EXAMPLES, subcommand_required = true, arg_required_else_help = true)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuthCommand {
    /// Create a token.
    #[command(after_help = CREATE_EXAMPLES)]
    Create(CreateArgs),
    /// Delete a token (it is refused from the next request on).
    #[command(after_help = DELETE_EXAMPLES)]
    Delete(IdArgs),
    /// List tokens, optionally filtered by user or org.
    #[command(visible_aliases = ["find", "ls"], after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Make a token active again.
    #[command(after_help = ACTIVE_EXAMPLES)]
    Active(IdArgs),
    /// Make a token inactive: it stays listed but passes no permission check.
    #[command(after_help = INACTIVE_EXAMPLES)]
    Inactive(IdArgs),
}

/// Where the server is and how to reach it. Each flag overrides the active config.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// HTTP address of the server [default: the active config's url, or http://localhost:8086]
    #[arg(long, env = "INFLUX_HOST", value_name = "URL")]
    pub host: Option<String>,

    /// Skip TLS certificate verification (accepted for compatibility with influx; this build speaks plain HTTP)
    #[arg(long, env = "INFLUX_SKIP_VERIFY", action = ArgAction::SetTrue, value_parser = FalseyValueParser::new())]
    pub skip_verify: bool,

    /// Path to the influx CLI configurations [default: ~/.influxdbv2/configs]
    #[arg(long, env = "INFLUX_CONFIGS_PATH", value_name = "PATH")]
    pub configs_path: Option<PathBuf>,

    /// Config name to use for this command, instead of the active one
    #[arg(long, short = 'c', env = "INFLUX_ACTIVE_CONFIG", value_name = "NAME")]
    pub active_config: Option<String>,

    /// Print each request's method and URL and the response's status to stderr (never the token)
    #[arg(long)]
    pub http_debug: bool,

    /// Sent as the Zap-Trace-Span header.
    #[arg(long, env = "INFLUX_TRACE_DEBUG_ID", hide = true)]
    pub trace_debug_id: Option<String>,

    /// An extra header for every request, as `Name: value` (repeatable).
    #[arg(long, hide = true, action = ArgAction::Append)]
    pub extra_http_header: Vec<String>,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, Args)]
pub struct PrintArgs {
    /// Output data as JSON
    #[arg(long, env = "INFLUX_OUTPUT_JSON", action = ArgAction::SetTrue, value_parser = FalseyValueParser::new())]
    pub json: bool,

    /// Hide the table headers in output data
    #[arg(long, env = "INFLUX_HIDE_HEADERS", action = ArgAction::SetTrue, value_parser = FalseyValueParser::new())]
    pub hide_headers: bool,
}

/// `influx`'s common flags: connection, printing and the token.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub print: PrintArgs,

    /// Authentication token [default: the active config's token]
    #[arg(
        long,
        short = 't',
        env = "INFLUX_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,
}

/// The org a command is about: by ID or by name, not both.
#[derive(Debug, Clone, Args)]
pub struct OrgArgs {
    /// The ID of the organization
    #[arg(long, env = "INFLUX_ORG_ID", value_name = "ID")]
    pub org_id: Option<String>,

    /// The name of the organization
    #[arg(long, short = 'o', env = "INFLUX_ORG", value_name = "NAME")]
    pub org: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: OrgArgs,

    /// The user name that will own the token [default: the first user the caller can see]
    #[arg(long, short = 'u', value_name = "NAME")]
    pub user: Option<String>,

    /// Token description
    #[arg(long, short = 'd', allow_hyphen_values = true)]
    pub description: Option<String>,

    /// Grant read on one bucket, by ID (repeatable)
    #[arg(long, value_name = "BUCKET_ID", action = ArgAction::Append, help_heading = "Permissions")]
    pub read_bucket: Vec<String>,

    /// Grant write on one bucket, by ID (repeatable)
    #[arg(long, value_name = "BUCKET_ID", action = ArgAction::Append, help_heading = "Permissions")]
    pub write_bucket: Vec<String>,

    /// Grant read and write on every resource type, in every org (needs an operator token)
    #[arg(long, help_heading = "Permissions")]
    pub operator: bool,

    /// Grant read and write on every resource type of one org
    #[arg(long, help_heading = "Permissions")]
    pub all_access: bool,

    #[command(flatten)]
    pub grants: Grants,

    /// Make the token expire this long from now, like 30d, 12h or 1w2d (units s, m, h, d, w) [influx-authz extension]
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        help_heading = "influx-authz extensions"
    )]
    pub expires_in: Option<String>,

    /// Make the token expire at this RFC 3339 time, like 2030-01-31T12:00:00Z [influx-authz extension]
    #[arg(long, value_name = "TIME", help_heading = "influx-authz extensions")]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: OrgArgs,

    /// The authorization ID (the other filters are then ignored)
    #[arg(long, short = 'i')]
    pub id: Option<String>,

    /// Only the tokens of this user (by name)
    #[arg(long, short = 'u', value_name = "NAME")]
    pub user: Option<String>,

    /// Only the tokens of this user (by ID)
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// Only active (and not expired), inactive, or expired tokens [influx-authz extension]
    #[arg(long, value_enum, value_name = "STATUS", help_heading = "influx-authz extensions")]
    pub status: Option<TokenStatus>,

    /// Only tokens never used or last used before this RFC 3339 time, or this long ago (like 30d) [influx-authz extension]
    #[arg(long, value_name = "TIME|DURATION", help_heading = "influx-authz extensions")]
    pub unused_since: Option<String>,

    /// Only tokens whose description contains this text, ignoring case [influx-authz extension]
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        help_heading = "influx-authz extensions"
    )]
    pub description: Option<String>,

    /// Add the Expires and Last Used columns to the table [influx-authz extension]
    #[arg(long, help_heading = "influx-authz extensions")]
    pub wide: bool,
}

/// A token status for `auth list --status`: the stored one, or `expired` (derived from `expiresAt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenStatus {
    Active,
    Inactive,
    Expired,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Inactive => "inactive",
            TokenStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The authorization ID (required)
    #[arg(long, short = 'i', required = true)]
    pub id: String,
}

/// `influx-authz setup`: onboard a new server and save its operator token as a config.
#[derive(Debug, Clone, Args)]
#[command(after_help = SETUP_EXAMPLES)]
pub struct SetupArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub print: PrintArgs,

    /// Name of the initial user to create
    #[arg(long, short = 'u')]
    pub username: Option<String>,

    /// Password of the initial user (at least 8 characters)
    #[arg(long, short = 'p', allow_hyphen_values = true)]
    pub password: Option<String>,

    /// The operator token to create [default: generated]
    #[arg(
        long,
        short = 't',
        env = "INFLUX_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,

    /// Name of the initial organization to create
    #[arg(long, short = 'o')]
    pub org: Option<String>,

    /// Name of the initial bucket to create
    #[arg(long, short = 'b')]
    pub bucket: Option<String>,

    /// How long the initial bucket keeps data, like 72h, 1w or 1w2d, or 0 for infinite [default: infinite]
    #[arg(long, short = 'r')]
    pub retention: Option<String>,

    /// Skip the prompts and the confirmation
    #[arg(long, short = 'f')]
    pub force: bool,

    /// Name of the config to write, required if other configs exist [default: default]
    #[arg(long, short = 'n')]
    pub name: Option<String>,
}

// -- user and org ---------------------------------------------------------------------------------------------------

const USER_EXAMPLES: &str = "\
Examples:
  # Create user2 in the active config's org, with a password, then list users
  influx-authz user create --name user2 --password 'password123'
  influx-authz user list

  # Rename a user, deactivate one (every token of theirs is refused at once), delete one
  influx-authz user update --id 0a1b2c3d4e5f6a7b --name user3
  influx-authz user update --id 0a1b2c3d4e5f6a7b --status inactive
  influx-authz user delete --id 0a1b2c3d4e5f6a7b

Host, token and org default to the active config of the influx CLI's configs file (~/.influxdbv2/configs).";

const USER_CREATE_EXAMPLES: &str = "\
Examples:
  influx-authz user create --name user2 --password 'password123' --org my-org
  influx-authz user create -n user2 --org-id 0f1e2d3c4b5a6978 --json

The user is created, then made a member of the org (--org-id, --org, or the active config's org), then given the
password if one was passed (at least 8 characters). Without --password, set one later with `user password`.";

const USER_LIST_EXAMPLES: &str = "\
Examples:
  influx-authz user list
  influx-authz user find --name user2 --json
  influx-authz user ls --id 0a1b2c3d4e5f6a7b --hide-headers

An unknown --name or --id is an error (404), as with influx.";

const USER_DELETE_EXAMPLES: &str = "\
Examples:
  influx-authz user delete --id 0a1b2c3d4e5f6a7b

The user's tokens stay listed but are refused (403 `User is inactive`) from the very next request on.";

const USER_UPDATE_EXAMPLES: &str = "\
Examples:
  influx-authz user update --id 0a1b2c3d4e5f6a7b --name user3
  influx-authz user update -i 0a1b2c3d4e5f6a7b --status inactive

--status is an influx-authz extension (influx has no such flag): an inactive user's tokens are refused with 403
`User is inactive` until the user is made active again.";

const USER_PASSWORD_EXAMPLES: &str = "\
Examples:
  # Asks for the new password twice (needs a terminal)
  influx-authz user password --name user2

  # Non-interactive
  influx-authz user password --id 0a1b2c3d4e5f6a7b --password 'new-password-123'

Passwords have at least 8 characters.";

const ORG_EXAMPLES: &str = "\
Examples:
  influx-authz org create --name my-org-2 --description 'second org'
  influx-authz org list
  influx-authz org update --id 0f1e2d3c4b5a6978 --name renamed-org
  influx-authz org members add --name my-org-2 --member 0a1b2c3d4e5f6a7b
  influx-authz org members list --name my-org-2
  influx-authz org delete --id 0f1e2d3c4b5a6978

Deleting an org deletes its buckets and tokens too (its tokens are refused from the next request on).";

const ORG_CREATE_EXAMPLES: &str = "\
Examples:
  influx-authz org create --name my-org-2
  influx-authz org create -n my-org-2 -d 'second org' --json";

const ORG_LIST_EXAMPLES: &str = "\
Examples:
  influx-authz org list
  influx-authz org find --name my-org --json
  influx-authz org ls --id 0f1e2d3c4b5a6978

As with influx, --name and --id also read INFLUX_ORG and INFLUX_ORG_ID, so with those set only that org is listed.";

const ORG_UPDATE_EXAMPLES: &str = "\
Examples:
  influx-authz org update --id 0f1e2d3c4b5a6978 --name renamed-org
  influx-authz org update -i 0f1e2d3c4b5a6978 -d 'new description'

Unlike influx, --name does not read INFLUX_ORG (a stray INFLUX_ORG would rename the org).";

const ORG_DELETE_EXAMPLES: &str = "\
Examples:
  influx-authz org delete --id 0f1e2d3c4b5a6978

The org's buckets and tokens are deleted with it; its tokens are refused (401) from the next request on.";

const MEMBERS_EXAMPLES: &str = "\
Examples:
  influx-authz org members list --name my-org
  influx-authz org members add --name my-org --member 0a1b2c3d4e5f6a7b
  influx-authz org members remove --id 0f1e2d3c4b5a6978 --member 0a1b2c3d4e5f6a7b

The org is --name (or --org, INFLUX_ORG), --id (or --org-id, INFLUX_ORG_ID), else the active config's org.";

/// `influx-authz user`: manage users, like `influx user`.
#[derive(Debug, Clone, Args)]
#[command(after_help = USER_EXAMPLES, subcommand_required = true, arg_required_else_help = true)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create a user, make it a member of an org and optionally set its password.
    #[command(after_help = USER_CREATE_EXAMPLES)]
    Create(UserCreateArgs),
    /// Delete a user (its tokens are refused from the next request on).
    #[command(after_help = USER_DELETE_EXAMPLES)]
    Delete(UserIdArgs),
    /// List users, optionally by name or ID.
    #[command(visible_aliases = ["find", "ls"], after_help = USER_LIST_EXAMPLES)]
    List(UserListArgs),
    /// Rename a user, or make it active or inactive.
    #[command(after_help = USER_UPDATE_EXAMPLES)]
    Update(UserUpdateArgs),
    /// Set a user's password.
    #[command(after_help = USER_PASSWORD_EXAMPLES)]
    Password(UserPasswordArgs),
}

/// influx's common flags without the printing ones (for commands that print one line of text).
#[derive(Debug, Clone, Args)]
pub struct CommonNoPrintArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Authentication token [default: the active config's token]
    #[arg(
        long,
        short = 't',
        env = "INFLUX_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct UserCreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: OrgArgs,

    /// The user name (required)
    #[arg(long, short = 'n', env = "INFLUX_NAME", value_name = "NAME")]
    pub name: Option<String>,

    /// The user's password, at least 8 characters [default: none; set it later with `user password`]
    #[arg(long, short = 'p', allow_hyphen_values = true)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct UserIdArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The user ID (required)
    #[arg(long, short = 'i', value_name = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct UserListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Only the user with this ID
    #[arg(long, short = 'i', value_name = "ID")]
    pub id: Option<String>,

    /// Only the user with this name
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: Option<String>,
}

/// A user's status, for `user update --status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UserStatus {
    Active,
    Inactive,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct UserUpdateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The user ID (required)
    #[arg(long, short = 'i', value_name = "ID")]
    pub id: Option<String>,

    /// The new user name
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: Option<String>,

    /// Make the user active or inactive (an influx-authz extension; influx has no such flag)
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<UserStatus>,
}

#[derive(Debug, Clone, Args)]
pub struct UserPasswordArgs {
    #[command(flatten)]
    pub common: CommonNoPrintArgs,

    /// The user ID (this or --name is required; the ID wins if both are given)
    #[arg(long, short = 'i', value_name = "ID")]
    pub id: Option<String>,

    /// The user name
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: Option<String>,

    /// The new password, at least 8 characters [default: asked for twice, in a terminal]
    #[arg(long, short = 'p', allow_hyphen_values = true)]
    pub password: Option<String>,
}

/// `influx-authz org`: manage organizations, like `influx org`.
#[derive(Debug, Clone, Args)]
#[command(after_help = ORG_EXAMPLES, subcommand_required = true, arg_required_else_help = true)]
pub struct OrganizationArgs {
    #[command(subcommand)]
    pub command: OrgCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum OrgCommand {
    /// Create an organization.
    #[command(after_help = ORG_CREATE_EXAMPLES)]
    Create(OrgCreateArgs),
    /// Delete an organization, with its buckets and tokens.
    #[command(after_help = ORG_DELETE_EXAMPLES)]
    Delete(OrgIdArgs),
    /// List organizations, optionally by name or ID.
    #[command(visible_aliases = ["find", "ls"], after_help = ORG_LIST_EXAMPLES)]
    List(OrgListArgs),
    /// Organization membership: list, add and remove members.
    #[command(after_help = MEMBERS_EXAMPLES)]
    Members(MembersArgs),
    /// Rename an organization or change its description.
    #[command(after_help = ORG_UPDATE_EXAMPLES)]
    Update(OrgUpdateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct OrgCreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Name of the new organization (required)
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: Option<String>,

    /// Description of the new organization
    #[arg(long, short = 'd', allow_hyphen_values = true)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct OrgIdArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The organization ID (required)
    #[arg(long, short = 'i', env = "INFLUX_ORG_ID", value_name = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct OrgListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Only the organization with this name
    #[arg(long, short = 'n', env = "INFLUX_ORG", value_name = "NAME")]
    pub name: Option<String>,

    /// Only the organization with this ID
    #[arg(long, short = 'i', env = "INFLUX_ORG_ID", value_name = "ID")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct OrgUpdateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// The organization ID (required)
    #[arg(long, short = 'i', env = "INFLUX_ORG_ID", value_name = "ID")]
    pub id: Option<String>,

    /// New name of the organization
    #[arg(long, short = 'n', value_name = "NAME")]
    pub name: Option<String>,

    /// New description of the organization
    #[arg(long, short = 'd', env = "INFLUX_ORG_DESCRIPTION", allow_hyphen_values = true)]
    pub description: Option<String>,
}

/// `org members`.
#[derive(Debug, Clone, Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct MembersArgs {
    #[command(subcommand)]
    pub command: MembersCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MembersCommand {
    /// Add a user to an organization's members.
    #[command(after_help = MEMBERS_EXAMPLES)]
    Add(MemberArgs),
    /// List an organization's members.
    #[command(visible_aliases = ["find", "ls"], after_help = MEMBERS_EXAMPLES)]
    List(MembersListArgs),
    /// Remove a user from an organization's members.
    #[command(after_help = MEMBERS_EXAMPLES)]
    Remove(MemberArgs),
}

/// The org of `org members …`: influx's `--name`/`--id`, also spelled `--org`/`--org-id` as in the other commands.
#[derive(Debug, Clone, Args)]
pub struct MembersOrgArgs {
    /// The organization name [default: the active config's org]
    #[arg(
        long,
        short = 'n',
        env = "INFLUX_ORG",
        value_name = "NAME",
        visible_alias = "org",
        visible_short_alias = 'o'
    )]
    pub name: Option<String>,

    /// The organization ID
    #[arg(
        long,
        short = 'i',
        env = "INFLUX_ORG_ID",
        value_name = "ID",
        visible_alias = "org-id"
    )]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct MemberArgs {
    #[command(flatten)]
    pub common: CommonNoPrintArgs,

    #[command(flatten)]
    pub org: MembersOrgArgs,

    /// The member's user ID (required)
    #[arg(long, short = 'm', value_name = "USER_ID")]
    pub member: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct MembersListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: MembersOrgArgs,
}

// -- audit ----------------------------------------------------------------------------------------------------------

const AUDIT_EXAMPLES: &str = "\
Examples:
  # The last 100 entries, newest first (needs an operator token)
  influx-authz audit

  # Token changes of the last day, as JSON
  influx-authz audit --action authorization.create --since 24h --json

  # Everything done by or to one user in January
  influx-authz audit --user-id 0a1b2c3d4e5f6a7b --since 2030-01-01T00:00:00Z --until 2030-02-01T00:00:00Z

The audit trail is an influx-authz extension (influx has no such command). Each entry says when, what (the action),
whether it succeeded (and why not), who (the user, and the token's authorization ID or `session`), on what, and
from which address; never a token, a password or a session key. Failed authentications and sign-ins are written
about a second after they happen. Actions: authorization.create|update|delete, user.create|update|delete|password,
org.create|update|delete, bucket.create, member.add|remove, owner.add|remove, setup, signin, signout,
authentication. --since and --until take an RFC 3339 time or a duration meaning that long ago (like 30m, 24h,
7d). --json prints the entries as the server sends them.";

/// `influx-authz audit`: read the audit trail (an influx-authz extension).
#[derive(Debug, Clone, Args)]
#[command(after_help = AUDIT_EXAMPLES)]
pub struct AuditArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Most entries to print, newest first
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,

    /// Only entries at or after this RFC 3339 time, or this long ago (like 24h or 7d)
    #[arg(long, value_name = "TIME|DURATION")]
    pub since: Option<String>,

    /// Only entries at or before this RFC 3339 time, or this long ago
    #[arg(long, value_name = "TIME|DURATION")]
    pub until: Option<String>,

    /// Only entries of this action, like authorization.create, signin or authentication
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,

    /// Only entries by or about this user (by ID): what they did, and what was done to them or their tokens
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
}

// -- v1 auth --------------------------------------------------------------------------------------------------------

const V1_AUTH_EXAMPLES: &str = "\
Examples:
  # A v1 username that can read two buckets and write one; asks for its password twice (needs a terminal)
  influx-authz v1 auth create --username example-user --read-bucket 0f1e2d3c4b5a6978 \\
    --read-bucket 1f1e2d3c4b5a6978 --write-bucket 0f1e2d3c4b5a6978

  # List, deactivate, reactivate, change the password, delete (by ID or by v1 username)
  influx-authz v1 auth list
  influx-authz v1 auth set-inactive --username example-user
  influx-authz v1 auth set-active --id 0a1b2c3d4e5f6a7b
  influx-authz v1 auth set-password --username example-user --password 'new-password-1'
  influx-authz v1 auth delete --id 0a1b2c3d4e5f6a7b

A v1 authorization is a username and password for InfluxDB 1.x clients (`?u=&p=`, Basic, `Token user:password`),
kept apart from API tokens: `auth list` never shows it. Host, token and org default to the active config of the
influx CLI's configs file (~/.influxdbv2/configs).";

const V1_CREATE_EXAMPLES: &str = "\
Examples:
  # Asks for the password twice (needs a terminal)
  influx-authz v1 auth create --username example-user --read-bucket 0f1e2d3c4b5a6978 --write-bucket 0f1e2d3c4b5a6978

  # Non-interactive, as in a container's init script
  influx-authz v1 auth create --username telegraf --password 'telegraf-pass-1' --org my-org \\
    --write-bucket 0f1e2d3c4b5a6978 -d 'telegraf v1 writer'

  # No password yet (the username cannot sign in until `v1 auth set-password`)
  influx-authz v1 auth create --username example-user --read-bucket 0f1e2d3c4b5a6978 --no-password

Without --org or --org-id, the active config's org is used. The authorization belongs to the caller's user.
Passwords have at least 8 characters. A username already taken by another v1 authorization is refused.";

const V1_LIST_EXAMPLES: &str = "\
Examples:
  influx-authz v1 auth list
  influx-authz v1 auth list --user admin
  influx-authz v1 auth ls --user-id 0a0b0c0d0e0f0a0b --json
  influx-authz v1 auth find --username example-user
  influx-authz v1 auth list --id 0a1b2c3d4e5f6a7b

Without filters it lists every v1 authorization the caller may see. --user and --user-id are the v2 user that owns
it; --username is the v1 username.";

const V1_LOOKUP_EXAMPLES: &str = "\
Examples:
  influx-authz v1 auth set-inactive --id 0a1b2c3d4e5f6a7b
  influx-authz v1 auth set-active --username example-user --json
  influx-authz v1 auth delete --username example-user

Give --id or --username, not both. Deactivated or deleted credentials are refused from the very next request on.";

const V1_PASSWORD_EXAMPLES: &str = "\
Examples:
  # Asks for the new password twice (needs a terminal)
  influx-authz v1 auth set-password --username example-user

  # Non-interactive
  influx-authz v1 auth set-password --id 0a1b2c3d4e5f6a7b --password 'ExAmPl3PA55W0rD'

Passwords have at least 8 characters. Like influx, it prints nothing on success.";

/// InfluxDB 1.x compatibility commands on a running server, like `influx v1` (here: `auth`).
#[derive(Debug, Clone, Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct V1Args {
    #[command(subcommand)]
    pub command: V1Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum V1Command {
    /// Authorization management commands for v1 APIs (usernames and passwords), like `influx v1 auth`.
    #[command(visible_alias = "authorization")]
    Auth(V1AuthArgs),
}

/// `influx-authz v1 auth`.
#[derive(Debug, Clone, Args)]
#[command(after_help = V1_AUTH_EXAMPLES, subcommand_required = true, arg_required_else_help = true)]
pub struct V1AuthArgs {
    #[command(subcommand)]
    pub command: V1AuthCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum V1AuthCommand {
    /// Create a v1 authorization: a username (and password) with read or write access to buckets.
    #[command(after_help = V1_CREATE_EXAMPLES)]
    Create(V1CreateArgs),
    /// Delete a v1 authorization (its credentials are refused from the next request on).
    #[command(after_help = V1_LOOKUP_EXAMPLES)]
    Delete(V1LookupArgs),
    /// List v1 authorizations.
    #[command(visible_aliases = ["ls", "find"], after_help = V1_LIST_EXAMPLES)]
    List(V1ListArgs),
    /// Change the status of a v1 authorization to active.
    #[command(after_help = V1_LOOKUP_EXAMPLES)]
    SetActive(V1LookupArgs),
    /// Change the status of a v1 authorization to inactive (its credentials are refused).
    #[command(after_help = V1_LOOKUP_EXAMPLES)]
    SetInactive(V1LookupArgs),
    /// Set the password of an existing v1 authorization.
    #[command(after_help = V1_PASSWORD_EXAMPLES)]
    SetPassword(V1PasswordArgs),
}

/// Which v1 authorization a command is about: by ID or by v1 username, one of the two.
#[derive(Debug, Clone, Args)]
pub struct V1LookupFlags {
    /// The ID of the authorization
    #[arg(long, short = 'i', value_name = "ID")]
    pub id: Option<String>,

    /// The username of the authorization
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct V1CreateArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: OrgArgs,

    /// Token description
    #[arg(long, short = 'd', allow_hyphen_values = true)]
    pub description: Option<String>,

    /// The username to identify this token (required)
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,

    /// The password to set on this token, at least 8 characters [default: asked for twice on the terminal]
    #[arg(long, allow_hyphen_values = true)]
    pub password: Option<String>,

    /// Don't prompt for a password (set one with `v1 auth set-password` before using the token)
    #[arg(long)]
    pub no_password: bool,

    /// Grant read on one bucket, by ID (repeatable)
    #[arg(long, value_name = "BUCKET_ID", action = ArgAction::Append)]
    pub read_bucket: Vec<String>,

    /// Grant write on one bucket, by ID (repeatable)
    #[arg(long, value_name = "BUCKET_ID", action = ArgAction::Append)]
    pub write_bucket: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct V1ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub org: OrgArgs,

    #[command(flatten)]
    pub lookup: V1LookupFlags,

    /// Only the authorizations of this v2 user (by name)
    #[arg(long, short = 'u', value_name = "NAME")]
    pub user: Option<String>,

    /// Only the authorizations of this v2 user (by ID)
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct V1LookupArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub lookup: V1LookupFlags,
}

#[derive(Debug, Clone, Args)]
pub struct V1PasswordArgs {
    #[command(flatten)]
    pub common: CommonNoPrintArgs,

    #[command(flatten)]
    pub lookup: V1LookupFlags,

    /// Password to set on the authorization, at least 8 characters [default: asked for twice on the terminal]
    #[arg(long, allow_hyphen_values = true)]
    pub password: Option<String>,
}

// -- --read-<type> / --write-<type> ----------------------------------------------------------------------------

/// Where a resource type exists, which only changes its help text (and `functions` is hidden, as in influx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Both,
    Oss,
    Cloud,
    CloudHidden,
}

struct Kind {
    name: &'static str,
    read: &'static str,
    write: &'static str,
    scope: Scope,
}

macro_rules! kinds {
    ($($name:literal => $scope:ident,)*) => {
        &[$(Kind { name: $name, read: concat!("read-", $name), write: concat!("write-", $name), scope: Scope::$scope },)*]
    };
}

/// The types with `--read-<t>`/`--write-<t>` flags, in influx's order: common to OSS and Cloud, OSS only, Cloud only.
/// The permissions of a new token come in this order too.
const KINDS: &[Kind] = kinds! {
    "authorizations" => Both,
    "buckets" => Both,
    "dashboards" => Both,
    "orgs" => Both,
    "tasks" => Both,
    "telegrafs" => Both,
    "users" => Both,
    "variables" => Both,
    "secrets" => Both,
    "labels" => Both,
    "views" => Both,
    "documents" => Both,
    "notificationRules" => Both,
    "notificationEndpoints" => Both,
    "checks" => Both,
    "dbrp" => Both,
    "annotations" => Both,
    "sources" => Oss,
    "scrapers" => Oss,
    "notebooks" => Oss,
    "remotes" => Oss,
    "replications" => Oss,
    "flows" => Cloud,
    "subscriptions" => Cloud,
    "functions" => CloudHidden,
};

/// The `--read-<type>`/`--write-<type>` flags that were given, as `(type, read, write)` in flag order.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub selected: Vec<(&'static str, bool, bool)>,
}

impl Grants {
    pub fn is_empty(&self) -> bool {
        self.selected.is_empty()
    }
}

fn help(kind: &Kind, write: bool) -> String {
    let verb = if write { "write" } else { "read" };
    let scope = match kind.name {
        "orgs" | "users" => " (global, in every org: needs an operator token)".to_owned(),
        _ => " in the org".to_owned(),
    };
    let note = match kind.scope {
        Scope::Both => "",
        Scope::Oss => " (OSS only)",
        Scope::Cloud | Scope::CloudHidden => " (Cloud only: this server refuses it)",
    };
    format!("Grant {verb} on all {}{scope}{note}", kind.name)
}

impl FromArgMatches for Grants {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let selected = KINDS
            .iter()
            .map(|kind| (kind.name, matches.get_flag(kind.read), matches.get_flag(kind.write)))
            .filter(|(_, read, write)| *read || *write)
            .collect();
        Ok(Self { selected })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for Grants {
    fn augment_args(mut command: Command) -> Command {
        for kind in KINDS {
            for (id, write) in [(kind.read, false), (kind.write, true)] {
                command = command.arg(
                    Arg::new(id)
                        .long(id)
                        .action(ArgAction::SetTrue)
                        .help(help(kind, write))
                        .help_heading("Permissions")
                        .hide(kind.scope == Scope::CloudHidden),
                );
            }
        }
        command
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(subcommand)]
        command: AuthCommand,
    }

    #[test]
    fn resource_flags_are_collected_in_influx_order() {
        let top = Top::try_parse_from([
            "auth",
            "create",
            "--write-dashboards",
            "--read-buckets",
            "--read-dashboards",
            "--read-dbrp",
        ])
        .unwrap();
        let AuthCommand::Create(create) = top.command else {
            panic!("not create")
        };
        assert_eq!(
            create.grants.selected,
            vec![
                ("buckets", true, false),
                ("dashboards", true, true),
                ("dbrp", true, false)
            ]
        );
    }

    #[test]
    fn list_has_the_find_and_ls_aliases_and_active_takes_common_flags() {
        for name in ["list", "find", "ls"] {
            let top = Top::try_parse_from(["auth", name, "-u", "alice"]).unwrap();
            assert!(matches!(top.command, AuthCommand::List(ListArgs { user: Some(ref u), .. }) if u == "alice"));
        }
        let top = Top::try_parse_from([
            "auth",
            "active",
            "-i",
            "0000000000000001",
            "--host",
            "http://x",
            "-t",
            "tok",
            "--json",
        ])
        .unwrap();
        let AuthCommand::Active(args) = top.command else {
            panic!("not active")
        };
        assert!(args.common.print.json);
        assert_eq!(args.common.token.as_deref(), Some("tok"));
    }

    #[test]
    fn create_and_list_take_the_extension_flags() {
        let top = Top::try_parse_from(["auth", "create", "--read-buckets", "--expires-in", "1w2d"]).unwrap();
        let AuthCommand::Create(create) = top.command else {
            panic!("not create")
        };
        assert_eq!(create.expires_in.as_deref(), Some("1w2d"));
        assert_eq!(create.expires_at, None);

        let top = Top::try_parse_from([
            "auth",
            "find",
            "--status",
            "expired",
            "--unused-since",
            "30d",
            "--description",
            "ci",
            "--wide",
        ])
        .unwrap();
        let AuthCommand::List(list) = top.command else {
            panic!("not list")
        };
        assert_eq!(list.status, Some(TokenStatus::Expired));
        assert_eq!(list.unused_since.as_deref(), Some("30d"));
        assert_eq!(list.description.as_deref(), Some("ci"));
        assert!(list.wide);
        assert!(Top::try_parse_from(["auth", "list", "--status", "asleep"]).is_err());
    }

    #[test]
    fn delete_requires_an_id() {
        assert!(Top::try_parse_from(["auth", "delete"]).is_err());
    }

    #[derive(Debug, Parser)]
    struct UserTop {
        #[command(subcommand)]
        command: UserCommand,
    }

    #[derive(Debug, Parser)]
    struct OrgTop {
        #[command(subcommand)]
        command: OrgCommand,
    }

    #[test]
    fn user_list_has_influxs_aliases_and_update_takes_a_status() {
        for name in ["list", "find", "ls"] {
            let top = UserTop::try_parse_from(["user", name, "-n", "alice", "-i", "0000000000000001"]).unwrap();
            assert!(
                matches!(top.command, UserCommand::List(UserListArgs { name: Some(ref n), id: Some(_), .. }) if n == "alice")
            );
        }
        let top =
            UserTop::try_parse_from(["user", "update", "-i", "0000000000000001", "--status", "inactive"]).unwrap();
        let UserCommand::Update(update) = top.command else {
            panic!("not update")
        };
        assert_eq!(update.status, Some(UserStatus::Inactive));
        assert!(UserTop::try_parse_from(["user", "update", "--status", "asleep"]).is_err());
        assert!(
            UserTop::try_parse_from(["user", "password", "-n", "a", "--json"]).is_err(),
            "no printing flags"
        );
    }

    #[test]
    fn org_members_take_influxs_name_and_id_flags_and_our_org_spellings() {
        for args in [
            ["org", "members", "add", "-n", "my-org", "-m", "0000000000000001"],
            ["org", "members", "add", "-o", "my-org", "-m", "0000000000000001"],
            [
                "org",
                "members",
                "add",
                "--org",
                "my-org",
                "--member",
                "0000000000000001",
            ],
        ] {
            let top = OrgTop::try_parse_from(args).unwrap();
            let OrgCommand::Members(MembersArgs {
                command: MembersCommand::Add(add),
            }) = top.command
            else {
                panic!("not members add")
            };
            assert_eq!(add.org.name.as_deref(), Some("my-org"));
            assert_eq!(add.member.as_deref(), Some("0000000000000001"));
        }
        for flag in ["-i", "--id", "--org-id"] {
            let top = OrgTop::try_parse_from(["org", "members", "ls", flag, "0000000000000002"]).unwrap();
            let OrgCommand::Members(MembersArgs {
                command: MembersCommand::List(list),
            }) = top.command
            else {
                panic!("not members list")
            };
            assert_eq!(list.org.id.as_deref(), Some("0000000000000002"));
        }
    }

    #[derive(Debug, Parser)]
    struct AuditTop {
        #[command(flatten)]
        audit: AuditArgs,
    }

    #[test]
    fn audit_takes_its_filters_and_a_positive_limit() {
        let top = AuditTop::try_parse_from([
            "audit", "--limit", "5", "--since", "24h", "--action", "signin", "--json",
        ])
        .unwrap();
        assert_eq!(top.audit.limit, 5);
        assert_eq!(top.audit.since.as_deref(), Some("24h"));
        assert_eq!(top.audit.action.as_deref(), Some("signin"));
        assert!(top.audit.common.print.json);
        assert_eq!(AuditTop::try_parse_from(["audit"]).unwrap().audit.limit, 100);
        assert!(AuditTop::try_parse_from(["audit", "--limit", "0"]).is_err());
    }

    #[derive(Debug, Parser)]
    struct V1Top {
        #[command(flatten)]
        v1: V1Args,
    }

    #[test]
    fn v1_auth_has_influxs_subcommands_aliases_and_flags() {
        let parse = |args: &[&str]| V1Top::try_parse_from(args).map(|top| top.v1.command);
        let V1Command::Auth(auth) = parse(&[
            "v1",
            "authorization",
            "create",
            "--username",
            "u",
            "--password",
            "-p4ssword",
            "--read-bucket",
            "0a6f3ee0b4ab6e23",
            "--read-bucket",
            "1a6f3ee0b4ab6e23",
            "-o",
            "my-org",
        ])
        .unwrap();
        let V1AuthCommand::Create(create) = auth.command else {
            panic!("not create")
        };
        assert_eq!(create.password.as_deref(), Some("-p4ssword"));
        assert_eq!(create.read_bucket, ["0a6f3ee0b4ab6e23", "1a6f3ee0b4ab6e23"]);
        assert_eq!(create.org.org.as_deref(), Some("my-org"));
        for name in ["list", "ls", "find"] {
            let V1Command::Auth(auth) = parse(&["v1", "auth", name, "--username", "u", "-u", "admin"]).unwrap();
            assert!(matches!(auth.command, V1AuthCommand::List(ref l) if l.user.as_deref() == Some("admin")));
        }
        for name in ["delete", "set-active", "set-inactive"] {
            assert!(
                parse(&["v1", "auth", name, "-i", "0a6f3ee0b4ab6e23", "--json"]).is_ok(),
                "{name}"
            );
        }
        assert!(
            parse(&[
                "v1",
                "auth",
                "set-password",
                "--id",
                "0a6f3ee0b4ab6e23",
                "--password",
                "x"
            ])
            .is_ok()
        );
        assert!(parse(&["v1", "auth", "set-password", "--id", "0a6f3ee0b4ab6e23", "--json"]).is_err());
        assert!(parse(&["v1", "auth", "set-active", "--user", "admin"]).is_err());
    }

    #[test]
    fn the_hidden_cloud_flag_is_accepted() {
        assert!(Top::try_parse_from(["auth", "create", "--read-functions"]).is_ok());
    }
}
