//! The command line of `auth` and `setup`, with `influx`'s flag names, short forms and environment variables.
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

Without --org or --org-id, the active config's org is used. Without --user, the token belongs to the first user
the caller can see. --read-orgs, --write-orgs, --read-users and --write-users are global (no org), as with influx, so they need an
operator token. --operator and --all-access cannot be combined with other permission flags.
The token is printed once, here: the server keeps only its hash.";

const LIST_EXAMPLES: &str = "\
Examples:
  influx-authz auth list
  influx-authz auth find --user alice --json
  influx-authz auth ls --org my-org --hide-headers
  influx-authz auth list --id 0a1b2c3d4e5f6a7b

Without filters it lists every token the caller may see (it does not fall back to the config's org).
With --id the other filters are ignored.";

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
    #[arg(long, short = 't', env = "INFLUX_TOKEN", hide_env_values = true)]
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
    #[arg(long, short = 'd')]
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
    #[arg(long, short = 'p')]
    pub password: Option<String>,

    /// The operator token to create [default: generated]
    #[arg(long, short = 't', env = "INFLUX_TOKEN", hide_env_values = true)]
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
    fn delete_requires_an_id() {
        assert!(Top::try_parse_from(["auth", "delete"]).is_err());
    }

    #[test]
    fn the_hidden_cloud_flag_is_accepted() {
        assert!(Top::try_parse_from(["auth", "create", "--read-functions"]).is_ok());
    }
}
