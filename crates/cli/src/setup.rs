//! `setup`, as `influx setup` does it: check `GET /api/v2/setup`, make sure the new config's name is free, build the
//! onboarding request (asking for what is missing only when a terminal is attached and `--force` is not given),
//! `POST /api/v2/setup`, then save the operator token, the org and the host as a config.

use std::io::{BufRead, IsTerminal, Write};

use model::wire::{SetupAllowed, SetupResponse};
use serde::Serialize;

use crate::Error;
use crate::args::SetupArgs;
use crate::auth::{client, host};
use crate::configs::{self, Config, Configs};
use crate::output;

pub(crate) const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, Serialize)]
struct SetupBody {
    username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    org: String,
    bucket: String,
    #[serde(rename = "retentionPeriodSeconds")]
    retention_period_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// `--json`'s keys, in Go's (sorted) map order.
#[derive(Debug, Serialize)]
struct Summary<'a> {
    bucket: &'a str,
    organization: &'a str,
    user: &'a str,
}

fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

pub fn run(args: SetupArgs) -> Result<(), Error> {
    let mut configs = Configs::load(configs::path(args.connection.configs_path.as_deref()))?;
    let active = configs.pick(args.connection.active_config.as_deref())?;
    let host = host(&args.connection, &active);
    let client = client(&args.connection, host.clone(), None, None)?;

    let allowed: SetupAllowed = client
        .get("/api/v2/setup", &[])
        .map_err(|e| Error::new(format!("failed to check if already set up: {e}")))?;
    if !allowed.allowed {
        return Err(Error::new("instance has already been set up"));
    }

    // Fail before the server is changed if the config cannot be written.
    let name = given(&args.name);
    if !configs.entries.is_empty() {
        match &name {
            None => {
                return Err(Error::new(format!(
                    "config name is required if you already have existing configs (in {}): pass --name",
                    configs.path.display()
                )));
            }
            Some(name) if configs.entries.contains_key(name) => {
                return Err(Error::new(format!("config name {name:?} already exists")));
            }
            Some(_) => {}
        }
    }

    let body = onboarding_request(&args)?;
    let response: SetupResponse = client
        .post("/api/v2/setup", &body)
        .map_err(|e| Error::new(format!("failed to setup instance: {e}")))?;

    let first = configs.entries.is_empty();
    configs.entries.insert(
        name.unwrap_or_else(|| "default".to_owned()),
        Config {
            url: host,
            token: response.auth.token.clone(),
            org: response.org.name.clone(),
            active: first,
            ..Config::default()
        },
    );
    configs
        .save()
        .map_err(|e| Error::new(format!("setup succeeded, but failed to write the new config: {e}")))?;

    let summary = Summary {
        bucket: &response.bucket.name,
        organization: &response.org.name,
        user: &response.user.name,
    };
    if args.print.json {
        output::print(&output::go_json(&summary)?)
    } else {
        let row = vec![
            summary.user.to_owned(),
            summary.organization.to_owned(),
            summary.bucket.to_owned(),
        ];
        output::print(&output::table(
            &["User", "Organization", "Bucket"],
            &[row],
            args.print.hide_headers,
        ))
    }
}

/// The onboarding request from the flags, asking for what is missing when a person is at the terminal.
fn onboarding_request(args: &SetupArgs) -> Result<SetupBody, Error> {
    let mut password = given(&args.password);
    if (args.force || password.is_some()) && password.as_deref().unwrap_or_default().chars().count() < MIN_PASSWORD_LEN
    {
        return Err(Error::new(format!(
            "the password must be at least {MIN_PASSWORD_LEN} characters (--password)"
        )));
    }
    let mut retention_seconds = match given(&args.retention) {
        Some(text) => Some(parse_retention(&text)?),
        None => None,
    };
    let mut username = given(&args.username);
    let mut org = given(&args.org);
    let mut bucket = given(&args.bucket);

    let interactive = !args.force && std::io::stdin().is_terminal();
    if interactive {
        eprintln!("Welcome to influx-authz! Let's set up this server.");
        if username.is_none() {
            username = Some(ask("Please type your primary username")?);
        }
        if password.is_none() {
            password = Some(ask_password()?);
        }
        if org.is_none() {
            org = Some(ask("Please type your primary organization name")?);
        }
        if bucket.is_none() {
            bucket = Some(ask("Please type your primary bucket name")?);
        }
        if retention_seconds.is_none() {
            retention_seconds = Some(ask_retention_hours()?);
        }
        let retention = match retention_seconds.unwrap_or(0) {
            0 => "infinite".to_owned(),
            seconds if seconds % 3600 == 0 => format!("{}h", seconds / 3600),
            seconds if seconds % 60 == 0 => format!("{}m", seconds / 60),
            seconds => format!("{seconds}s"),
        };
        let question = format!(
            "Setup with these parameters?\n  Username:          {}\n  Organization:      {}\n  Bucket:            {}\n  Retention Period:  {retention}\nConfirm (y/n)",
            username.as_deref().unwrap_or_default(),
            org.as_deref().unwrap_or_default(),
            bucket.as_deref().unwrap_or_default(),
        );
        let answer = ask(&question)?;
        if !matches!(answer.to_lowercase().as_str(), "y" | "yes") {
            return Err(Error::new("setup was canceled"));
        }
    }

    let missing: Vec<&str> = [("--username", &username), ("--org", &org), ("--bucket", &bucket)]
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(flag, _)| *flag)
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(format!(
            "missing {}: pass them as flags (setup asks for them only in a terminal)",
            missing.join(", ")
        )));
    }
    Ok(SetupBody {
        username: username.unwrap_or_default(),
        password,
        org: org.unwrap_or_default(),
        bucket: bucket.unwrap_or_default(),
        retention_period_seconds: retention_seconds.unwrap_or(0),
        token: given(&args.token),
    })
}

/// Asks on stderr and reads one non-empty line from stdin.
fn ask(question: &str) -> Result<String, Error> {
    let stdin = std::io::stdin();
    loop {
        eprint!("{question}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let read = stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::new(format!("cannot read the answer: {e}")))?;
        if read == 0 {
            return Err(Error::new("setup was canceled (end of input)"));
        }
        let answer = line.trim();
        if !answer.is_empty() {
            return Ok(answer.to_owned());
        }
    }
}

fn ask_password() -> Result<String, Error> {
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| Error::new(format!("cannot read the password: {e}")))
    };
    loop {
        let password = read("Please type your password: ")?;
        if password.chars().count() < MIN_PASSWORD_LEN {
            eprintln!("The password must be at least {MIN_PASSWORD_LEN} characters.");
            continue;
        }
        if read("Please type your password again: ")? == password {
            return Ok(password);
        }
        eprintln!("The passwords do not match.");
    }
}

fn ask_retention_hours() -> Result<i64, Error> {
    loop {
        let answer = ask("Please type your retention period in hours, or 0 for infinite")?;
        match answer.parse::<i64>() {
            Ok(hours) if (0..=i64::MAX / 3600).contains(&hours) => return Ok(hours * 3600),
            _ => eprintln!("The retention period must be a whole number of hours, 0 or more."),
        }
    }
}

/// A retention like influx's: `0` (infinite) or a sum of `<n><unit>` with units `ns us µs ms s m h d w`, which must
/// come to whole seconds.
fn parse_retention(text: &str) -> Result<i64, Error> {
    let fail = |why: &str| Error::new(format!("failed to parse retention {text:?}: {why}"));
    if text == "0" {
        return Ok(0);
    }
    let mut nanos: i128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(fail("expected a number"));
        }
        let value: i128 = rest[..digits].parse().map_err(|_| fail("number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit: i128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "d" => 86_400 * 1_000_000_000,
            "w" => 604_800 * 1_000_000_000,
            "" => return Err(fail("a unit is missing (like 72h or 1w)")),
            other => return Err(fail(&format!("unknown unit {other:?}"))),
        };
        rest = &rest[unit_len..];
        nanos = value
            .checked_mul(unit)
            .and_then(|n| n.checked_add(nanos))
            .ok_or_else(|| fail("too long"))?;
    }
    if nanos % 1_000_000_000 != 0 {
        return Err(Error::new(format!(
            "retention policy {text:?} is too precise, must be divisible by 1s"
        )));
    }
    i64::try_from(nanos / 1_000_000_000).map_err(|_| fail("too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_takes_influx_durations() {
        assert_eq!(parse_retention("0").unwrap(), 0);
        assert_eq!(parse_retention("72h").unwrap(), 259_200);
        assert_eq!(parse_retention("1w2d").unwrap(), 777_600);
        assert_eq!(parse_retention("90m30s").unwrap(), 5_430);
        assert_eq!(parse_retention("2000ms").unwrap(), 2);
        assert!(
            parse_retention("1500ms")
                .unwrap_err()
                .to_string()
                .contains("too precise")
        );
        assert!(parse_retention("5").is_err());
        assert!(parse_retention("3y").is_err());
        assert!(parse_retention("h").is_err());
    }
}
