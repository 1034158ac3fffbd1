//! The influx CLI's configs file: TOML tables `[name]` with `url`, `token`, `org`, and `active = true` on the one in
//! use (default path `~/.influxdbv2/configs`). Read so an existing `influx` setup just works; written by `setup`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;

/// The host a missing config stands for, as with influx.
pub const DEFAULT_HOST: &str = "http://localhost:8086";

/// One `[name]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub org: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub active: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub previous: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cookie: String,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The file and its configs, by name.
#[derive(Debug, Clone)]
pub struct Configs {
    pub path: PathBuf,
    pub entries: BTreeMap<String, Config>,
}

/// `--configs-path`, else `INFLUX_CLI_CONFIGS_PATH` (the influx CLI's older name), else `~/.influxdbv2/configs`.
pub fn path(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag.filter(|p| !p.as_os_str().is_empty()) {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os("INFLUX_CLI_CONFIGS_PATH").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    home.join(".influxdbv2").join("configs")
}

impl Configs {
    /// Reads the file; a missing file is no configs, as with influx.
    pub fn load(path: PathBuf) -> Result<Self, Error> {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::new(format!(
                    "cannot read the configs file {}: {e}",
                    path.display()
                )));
            }
        };
        let entries = parse(&text)
            .map_err(|message| Error::new(format!("cannot read the configs file {}: {message}", path.display())))?;
        Ok(Self { path, entries })
    }

    /// The config to use: the one named by `--active-config`, else the one marked active, else the first one, else
    /// influx's default (`http://localhost:8086`, no token, no org).
    pub fn pick(&self, name: Option<&str>) -> Result<Config, Error> {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            return self
                .entries
                .get(name)
                .cloned()
                .ok_or_else(|| Error::new(format!("config {name:?} is not found in {}", self.path.display())));
        }
        let chosen = self
            .entries
            .values()
            .find(|config| config.active)
            .or_else(|| self.entries.values().next());
        Ok(chosen.cloned().unwrap_or_else(|| Config {
            url: DEFAULT_HOST.to_owned(),
            active: true,
            ..Config::default()
        }))
    }

    /// Writes every config back (owner-only permissions; the directory is created).
    pub fn save(&self) -> Result<(), Error> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::new(format!("cannot write the configs file {}: {e}", self.path.display()))
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let text = toml::to_string(&self.entries).map_err(|e| fail(&e))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&self.path).map_err(|e| fail(&e))?;
        file.write_all(text.as_bytes()).map_err(|e| fail(&e))
    }
}

/// Parses the file, with a one-line error that names the line.
fn parse(text: &str) -> Result<BTreeMap<String, Config>, String> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().replace('\n', " ");
        match line {
            Some(line) => format!("line {line}: {message}"),
            None => message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFLUX_WRITTEN: &str = r#"[default]
  url = "http://localhost:8086"
  token = "tok-default"
  org = "my-org"

[other]
  url = "http://127.0.0.1:9999"
  token = "tok-other"
  org = "other-org"
  active = true
  previous = false
# 
# [eu-central]
#   url = "https://eu-central-1-1.aws.cloud2.influxdata.com"
#   token = "XXX"
#   org = ""
"#;

    fn configs(text: &str) -> Configs {
        Configs {
            path: PathBuf::from("configs"),
            entries: parse(text).unwrap(),
        }
    }

    #[test]
    fn reads_what_influx_writes_and_picks_the_active_one() {
        let configs = configs(INFLUX_WRITTEN);
        let active = configs.pick(None).unwrap();
        assert_eq!(active.url, "http://127.0.0.1:9999");
        assert_eq!(active.token, "tok-other");
        assert_eq!(active.org, "other-org");
        assert_eq!(configs.pick(Some("default")).unwrap().token, "tok-default");
    }

    #[test]
    fn an_unknown_config_name_is_an_error() {
        let error = configs(INFLUX_WRITTEN).pick(Some("nope")).unwrap_err();
        assert!(error.to_string().contains("config \"nope\" is not found"), "{error}");
    }

    #[test]
    fn without_an_active_config_the_first_is_used_and_without_any_the_default() {
        let configs1 = configs("[b]\nurl = \"http://b\"\n[a]\nurl = \"http://a\"\n");
        assert_eq!(configs1.pick(None).unwrap().url, "http://a");
        let empty = configs("");
        let default = empty.pick(None).unwrap();
        assert_eq!(default.url, DEFAULT_HOST);
        assert_eq!(default.token, "");
    }

    #[test]
    fn a_broken_file_gives_a_one_line_error_with_the_line() {
        let error = parse("[default]\nurl = \"http://x\"\ntoken = \n").unwrap_err();
        assert!(error.starts_with("line 3:"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn save_then_load_round_trips_and_keeps_the_file_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("configs");
        let mut configs = Configs::load(path.clone()).unwrap();
        assert!(configs.entries.is_empty());
        configs.entries.insert(
            "default".into(),
            Config {
                url: "http://127.0.0.1:8086".into(),
                token: "t".into(),
                org: "o".into(),
                active: true,
                ..Config::default()
            },
        );
        configs.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("[default]"), "{text}");
        assert!(text.contains("active = true"), "{text}");
        assert!(!text.contains("previous"), "{text}");
        let again = Configs::load(path.clone()).unwrap();
        assert_eq!(again.entries, configs.entries);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
