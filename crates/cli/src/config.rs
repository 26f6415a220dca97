//! The config file: domain, repository, owner and defaults per named
//! profile, so that people don't repeat flags.
//!
//! Precedence: flags > environment variables > the config file > built-in
//! defaults. The file's values become clap's defaults, so clap applies that
//! order itself.
//!
//! Where: `--config FILE` (or `GLUE_CODEARTIFACT_CONFIG`); else
//! `./glue-codeartifact.toml` in the current directory; else
//! `$XDG_CONFIG_HOME/glue-codeartifact/config.toml` (by default
//! `~/.config/glue-codeartifact/config.toml`). The first that exists is
//! used. The profile is `--config-profile NAME` (or
//! `GLUE_CODEARTIFACT_CONFIG_PROFILE`), else `default`.
//!
//! ```toml
//! [profile.default]
//! domain = "acme"
//! domain_owner = "111122223333"
//! repository = "py-internal"
//! mode = "index-url"            # or "extra-index-url"
//! duration = "1h"               # start, doctor and index-url (as GLUE_CODEARTIFACT_DURATION)
//! refresh_duration = "12h"      # refresh
//! endpoint_type = "dualstack"
//! repository_endpoint_host = "vpce-….d.codeartifact.us-west-2.vpce.amazonaws.com"
//! region = "eu-west-1"          # used when AWS_REGION is not set
//! aws_profile = "data-prod"     # used when AWS_PROFILE is not set
//! ```

use std::{
    collections::BTreeMap,
    ffi::OsString,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use crate::cli::{DURATION_ENV, REFRESH_DURATION_ENV};

/// `GLUE_CODEARTIFACT_CONFIG`.
pub const CONFIG_ENV: &str = "GLUE_CODEARTIFACT_CONFIG";
/// `GLUE_CODEARTIFACT_CONFIG_PROFILE`.
pub const PROFILE_ENV: &str = "GLUE_CODEARTIFACT_CONFIG_PROFILE";
/// The project-local file name.
pub const LOCAL_FILE: &str = "glue-codeartifact.toml";

/// The file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
}

/// One named profile.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub domain: Option<String>,
    pub domain_owner: Option<String>,
    pub repository: Option<String>,
    pub mode: Option<String>,
    pub duration: Option<String>,
    pub refresh_duration: Option<String>,
    pub endpoint_type: Option<String>,
    pub repository_endpoint_host: Option<String>,
    pub region: Option<String>,
    pub aws_profile: Option<String>,
}

/// The profile in force, and the file it came from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub profile: Profile,
    pub file: Option<PathBuf>,
}

/// Finds and reads the config file (`args` are the process arguments, read
/// for `--config` and `--config-profile` before clap parses them).
pub fn load(args: &[OsString]) -> Result<Loaded, String> {
    let flag = |name: &str| -> Option<String> {
        let long = format!("--{name}");
        let with_eq = format!("--{name}=");
        let mut iter = args.iter().map(|a| a.to_string_lossy().into_owned());
        while let Some(arg) = iter.next() {
            if arg == "--" {
                break;
            }
            if arg == long {
                return iter.next();
            }
            if let Some(value) = arg.strip_prefix(&with_eq) {
                return Some(value.to_owned());
            }
        }
        None
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let explicit = flag("config")
        .or_else(|| env(CONFIG_ENV))
        .map(PathBuf::from);
    let profile_name = flag("config-profile").or_else(|| env(PROFILE_ENV));
    let file = match &explicit {
        Some(path) => Some(path.clone()),
        None => candidates().into_iter().find(|p| p.is_file()),
    };
    let Some(file) = file else {
        return match profile_name {
            Some(name) if name != "default" => Err(format!(
                "config profile {name:?} was asked for, but there is no config file ({LOCAL_FILE} here, or ~/.config/glue-codeartifact/config.toml)"
            )),
            _ => Ok(Loaded::default()),
        };
    };
    let parsed = read(&file)?;
    let name = profile_name.unwrap_or_else(|| "default".to_owned());
    let profile = match parsed.profile.get(&name) {
        Some(profile) => profile.clone(),
        None if name == "default" => Profile::default(),
        None => {
            return Err(format!(
                "{} has no [profile.{name}]; it has: {}",
                file.display(),
                parsed
                    .profile
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    Ok(Loaded {
        profile,
        file: Some(file),
    })
}

fn read(path: &Path) -> Result<ConfigFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        format!(
            "the config file {} is not valid: {}",
            path.display(),
            e.message()
        )
    })
}

fn candidates() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from(LOCAL_FILE)];
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(base) = base {
        paths.push(base.join("glue-codeartifact").join("config.toml"));
    }
    paths
}

/// Makes the profile's values clap's defaults for every subcommand that has
/// the matching flag, so that a flag or its environment variable still wins.
pub fn apply(mut command: clap::Command, profile: &Profile) -> clap::Command {
    let pairs: [(&str, Option<&String>); 6] = [
        ("domain", profile.domain.as_ref()),
        ("domain_owner", profile.domain_owner.as_ref()),
        ("repository", profile.repository.as_ref()),
        ("mode", profile.mode.as_ref()),
        ("endpoint_type", profile.endpoint_type.as_ref()),
        (
            "repository_endpoint_host",
            profile.repository_endpoint_host.as_ref(),
        ),
    ];
    let names: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(&name, |mut sub| {
            let has = |sub: &clap::Command, id: &str| sub.get_arguments().any(|a| a.get_id() == id);
            for (id, value) in pairs {
                if let Some(value) = value
                    && has(&sub, id)
                {
                    let value = value.clone();
                    sub = sub.mut_arg(id, |a| a.required(false).default_value(value));
                }
            }
            let duration = match name.as_str() {
                "start" | "doctor" | "index-url" => profile.duration.as_ref(),
                "refresh" => profile.refresh_duration.as_ref(),
                _ => None,
            };
            if let Some(value) = duration
                && has(&sub, "duration")
            {
                let value = value.clone();
                sub = sub.mut_arg("duration", |a| a.default_value(value));
            }
            sub
        });
    }
    // AWS settings: only where the environment does not set them, so that
    // AWS_REGION and AWS_PROFILE keep their place above the file.
    let env_set = |names: &[&str]| {
        names
            .iter()
            .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
    };
    if let Some(region) = &profile.region
        && !env_set(&["AWS_REGION", "AWS_DEFAULT_REGION"])
    {
        let region = region.clone();
        command = command.mut_arg("region", |a| a.default_value(region));
    }
    if let Some(aws_profile) = &profile.aws_profile
        && !env_set(&["AWS_PROFILE"])
    {
        let aws_profile = aws_profile.clone();
        command = command.mut_arg("profile", |a| a.default_value(aws_profile));
    }
    command
}

/// The deprecated fallback for `refresh --duration`: while
/// [`REFRESH_DURATION_ENV`] is unset, a set [`DURATION_ENV`] (which
/// `refresh` read before) becomes the flag's default, above the config file
/// as it was. Returns the value it applied, so that `main` warns when the
/// parsed `--duration` came from it.
pub fn refresh_duration_fallback(
    command: clap::Command,
    lookup: impl Fn(&str) -> Option<String>,
) -> (clap::Command, Option<String>) {
    let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    if set(REFRESH_DURATION_ENV).is_some() {
        return (command, None);
    }
    let Some(value) = set(DURATION_ENV) else {
        return (command, None);
    };
    let fallback = value.clone();
    let command = command.mut_subcommand("refresh", |sub| {
        sub.mut_arg("duration", |a| a.default_value(fallback))
    });
    (command, Some(value))
}

/// The warning `main` prints when `refresh --duration` came from the
/// deprecated fallback.
pub fn refresh_duration_warning() -> String {
    format!(
        "warning: {DURATION_ENV} set `refresh --duration`, a deprecated fallback: set {REFRESH_DURATION_ENV} for refresh (as the Lambda function reads it); {DURATION_ENV} is the duration of start's, doctor's and index-url's token, and will stop setting refresh's in a future release"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<ConfigFile>("[profile.default]\ndomian = \"x\"\n").unwrap_err();
        assert!(err.message().contains("unknown field"), "{}", err.message());
    }

    #[test]
    fn profiles_parse() {
        let file: ConfigFile = toml::from_str(
            "[profile.default]\ndomain = \"acme\"\n[profile.prod]\nrepository = \"r\"\n",
        )
        .unwrap();
        assert_eq!(file.profile["default"].domain.as_deref(), Some("acme"));
        assert_eq!(file.profile["prod"].repository.as_deref(), Some("r"));
    }
}
