//! The function's settings: read once from the environment at cold start.
//!
//! Every variable that names the same thing as a CLI flag's `env =` fallback
//! has the same name (`GLUE_CODEARTIFACT_DOMAIN` is `--domain`, …). An
//! invalid setting fails the cold start with a message naming the variable,
//! so a misconfigured deployment fails its first invocation with the init
//! error instead of half-working.
//!
//! The variables, their meaning and defaults: [`DOCUMENTED`] (rendered into
//! docs/lambda/settings.md by `cargo run -p docgen`).
//!
//! Whatever the timeouts, every invocation also ends before its own deadline
//! (the function's timeout), less a margin ([`DEADLINE_MARGIN`]), with a
//! clear error rather than being killed.
//!
//! A served token must have `GLUE_CODEARTIFACT_MIN_TOKEN_LIFE` plus a
//! one-minute safety margin left ([`DEFAULT_SAFETY_MARGIN`]), so the duration
//! must be longer than both together. So must the refresh duration, when
//! refresh is enabled, and it may not be `0`: a token that lives "as long as
//! the function's credentials" has a life no schedule can be planned on.
//! A function must serve start events, refresh events, or both.
//!
//! The four settings that once lacked the prefix (`ALLOWED_JOBS`,
//! `ALLOWED_EVENT_OVERRIDES`, `START_ENABLED`, `REFRESH_ENABLED`) are still
//! read under their old names, with a deprecation warning in the cold
//! start's log ([`Settings::deprecated`]); both names set to different
//! values fail the cold start.

use std::{fmt, time::Duration};

use glue_codeartifact_app::RepositoryRef;
use glue_codeartifact_aws::{
    Timeouts,
    config::{ATTEMPT_TIMEOUT_ENV, CONNECT_TIMEOUT_ENV, OPERATION_TIMEOUT_ENV},
};
use glue_codeartifact_domain::{
    duration::{TokenDuration, parse_duration},
    glue_parameters::ArgumentAllowlist,
    installer_option::IndexMode,
    job_pattern::JobPatterns,
    repository_endpoint::EndpointType,
    token_cache::{DEFAULT_SAFETY_MARGIN, MinTokenLife},
};

/// `--domain`.
pub const DOMAIN: &str = "GLUE_CODEARTIFACT_DOMAIN";
/// `--repository`.
pub const REPOSITORY: &str = "GLUE_CODEARTIFACT_REPOSITORY";
/// `--domain-owner`.
pub const DOMAIN_OWNER: &str = "GLUE_CODEARTIFACT_DOMAIN_OWNER";
/// `--duration`.
pub const DURATION: &str = "GLUE_CODEARTIFACT_DURATION";
/// The minimum remaining life of a served token.
pub const MIN_TOKEN_LIFE: &str = "GLUE_CODEARTIFACT_MIN_TOKEN_LIFE";
/// `--mode`.
pub const MODE: &str = "GLUE_CODEARTIFACT_MODE";
/// The jobs the function may start.
pub const ALLOWED_JOBS: &str = "GLUE_CODEARTIFACT_ALLOWED_JOBS";
/// `ipv4` or `dualstack`: GetRepositoryEndpoint's endpoint type (optional).
pub const ENDPOINT_TYPE: &str = "GLUE_CODEARTIFACT_ENDPOINT_TYPE";
/// The DNS name of a `codeartifact.repositories` VPC endpoint without
/// private DNS (optional).
pub const REPOSITORY_ENDPOINT_HOST: &str = "GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST";
/// `--allow-any-endpoint-host`: accept a `REPOSITORY_ENDPOINT_HOST` that
/// does not have the VPC endpoint's documented shape (`true` or `false`).
pub const ALLOW_ANY_ENDPOINT_HOST: &str = "GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST";
/// What events may set: the fields that may override settings, and the run
/// arguments.
pub const ALLOWED_EVENT_OVERRIDES: &str = "GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES";
/// Whether start events are served (`true` or `false`).
pub const START_ENABLED: &str = "GLUE_CODEARTIFACT_START_ENABLED";
/// Whether refresh events are served (`true` or `false`).
pub const REFRESH_ENABLED: &str = "GLUE_CODEARTIFACT_REFRESH_ENABLED";
/// Whether each invocation writes its metrics line (`true` or `false`).
pub const METRICS: &str = "GLUE_CODEARTIFACT_METRICS";
/// The settings' former names, without the prefix: `(new, old)`. Still
/// read, with a deprecation warning.
pub const DEPRECATED_NAMES: [(&str, &str); 4] = [
    (ALLOWED_JOBS, "ALLOWED_JOBS"),
    (ALLOWED_EVENT_OVERRIDES, "ALLOWED_EVENT_OVERRIDES"),
    (START_ENABLED, "START_ENABLED"),
    (REFRESH_ENABLED, "REFRESH_ENABLED"),
];
/// The duration of the token a refresh writes into job definitions (the
/// CLI's `refresh --duration`, and `refresh_duration` in its config file).
pub const REFRESH_DURATION: &str = "GLUE_CODEARTIFACT_REFRESH_DURATION";

/// One documented setting: docs/lambda/settings.md is generated from
/// [`DOCUMENTED`] (`cargo run -p docgen`), and a test checks that it names
/// every variable [`Settings::from_lookup`] reads.
#[derive(Clone, Copy, Debug)]
pub struct SettingDoc {
    /// The environment variable.
    pub name: &'static str,
    /// What it sets (Markdown).
    pub meaning: &'static str,
    /// Its default, or `required`.
    pub default: &'static str,
}

/// Every setting, in the order the docs list them.
pub const DOCUMENTED: &[SettingDoc] = &[
    SettingDoc {
        name: DOMAIN,
        meaning: "CodeArtifact domain",
        default: "required",
    },
    SettingDoc {
        name: REPOSITORY,
        meaning: "CodeArtifact repository",
        default: "required",
    },
    SettingDoc {
        name: DOMAIN_OWNER,
        meaning: "account ID owning the domain",
        default: "the function's account",
    },
    SettingDoc {
        name: ALLOWED_JOBS,
        meaning: "comma-separated Glue job names or `*`/`?` patterns the function may start (or refresh)",
        default: "required",
    },
    SettingDoc {
        name: DURATION,
        meaning: "duration of minted tokens (`0`, `15m`–`12h`)",
        default: "`1h`",
    },
    SettingDoc {
        name: MIN_TOKEN_LIFE,
        meaning: "life a served token must still have, for the run's start-up and installs (plus a one-minute margin)",
        default: "`30m`",
    },
    SettingDoc {
        name: MODE,
        meaning: "`index-url` or `extra-index-url`",
        default: "`index-url`",
    },
    SettingDoc {
        name: ALLOWED_EVENT_OVERRIDES,
        meaning: "what events may set: the fields `duration` and `mode`, and run arguments by name (`--day`) or pattern (`--report_*`); Glue's own parameters (`--extra-py-files`, …) only by exact name, never by a pattern (see [security](../security.md))",
        default: "none: no field, no argument",
    },
    SettingDoc {
        name: ENDPOINT_TYPE,
        meaning: "`ipv4` or `dualstack`",
        default: "CodeArtifact's default",
    },
    SettingDoc {
        name: REPOSITORY_ENDPOINT_HOST,
        meaning: "a `codeartifact.repositories` VPC endpoint's DNS name (no private DNS), for jobs in private subnets: `vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com` (every token is sent to this host, so another shape fails the cold start unless `GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST` is `true`)",
        default: "none",
    },
    SettingDoc {
        name: ALLOW_ANY_ENDPOINT_HOST,
        meaning: "`true` accepts a `GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST` of any host name (the CLI's `--allow-any-endpoint-host`)",
        default: "`false`",
    },
    SettingDoc {
        name: START_ENABLED,
        meaning: "`false` refuses start events (`StartNotEnabled`): the SAM template's refresh function, whose role may not start runs",
        default: "`true`",
    },
    SettingDoc {
        name: REFRESH_ENABLED,
        meaning: "`true` lets `{\"refresh\": …}` events rewrite the allowed jobs' `DefaultArguments` (the role then needs `glue:UpdateJob`, `glue:ListJobs`, `iam:PassRole`)",
        default: "`false`",
    },
    SettingDoc {
        name: REFRESH_DURATION,
        meaning: "duration of the token a refresh writes (`15m`–`12h`): longer than the schedule's interval plus a run's start-up",
        default: "`12h`",
    },
    SettingDoc {
        name: METRICS,
        meaning: "`false` stops the per-invocation CloudWatch Embedded Metric Format line (the [metrics](metrics.md) and the template's metric alarms then get no data)",
        default: "`true`",
    },
    SettingDoc {
        name: CONNECT_TIMEOUT_ENV,
        meaning: "connecting to AWS (the CLI's `--connect-timeout`)",
        default: "`3s`",
    },
    SettingDoc {
        name: ATTEMPT_TIMEOUT_ENV,
        meaning: "one attempt of an AWS call (`--attempt-timeout`)",
        default: "`8s`",
    },
    SettingDoc {
        name: OPERATION_TIMEOUT_ENV,
        meaning: "one AWS call, its retries included (`--operation-timeout`)",
        default: "`12s`",
    },
];

/// The default token duration in seconds (1 h, as `glue-codeartifact start`).
pub const DEFAULT_DURATION_SECS: u64 = 3600;
/// The default minimum remaining life of a served token.
pub const DEFAULT_MIN_TOKEN_LIFE: Duration = Duration::from_secs(30 * 60);
/// The default duration of a refresh's token (12 h, as `glue-codeartifact
/// refresh`): a schedule every 8 hours leaves 4 hours for a run's start-up.
pub const DEFAULT_REFRESH_DURATION_SECS: u64 = 43_200;
/// How many jobs a refresh reads and updates at once (the CLI's default
/// `--concurrency`).
pub const REFRESH_CONCURRENCY: usize = 4;

/// An event field that a deployment may let events override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Override {
    /// `duration`: the token's duration.
    Duration,
    /// `mode`: `index-url` or `extra-index-url`.
    Mode,
}

impl Override {
    /// Every field that may be allowed.
    pub const ALL: [Override; 2] = [Override::Duration, Override::Mode];

    /// The field's name in events and in `ALLOWED_EVENT_OVERRIDES`.
    pub fn name(self) -> &'static str {
        match self {
            Override::Duration => "duration",
            Override::Mode => "mode",
        }
    }

    /// The setting it overrides.
    pub fn setting(self) -> &'static str {
        match self {
            Override::Duration => DURATION,
            Override::Mode => MODE,
        }
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The validated settings of one deployment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The repository every run uses.
    pub repository: RepositoryRef,
    /// The duration of minted tokens, unless an event overrides it.
    pub duration: TokenDuration,
    /// What a served token must still have left.
    pub min_token_life: MinTokenLife,
    /// The index mode, unless an event overrides it.
    pub mode: IndexMode,
    /// The jobs that may be started.
    pub allowed_jobs: JobPatterns,
    /// The event fields that may override settings.
    pub overrides: Vec<Override>,
    /// The run arguments events may set (none by default).
    pub event_arguments: ArgumentAllowlist,
    /// How long AWS calls may take.
    pub timeouts: Timeouts,
    /// Whether start events are served.
    pub start_enabled: bool,
    /// Whether refresh events are served.
    pub refresh_enabled: bool,
    /// The duration of a refresh's token, unless an event overrides it.
    pub refresh_duration: TokenDuration,
    /// Whether each invocation writes its metrics line.
    pub metrics: bool,
    /// The settings read under a deprecated name: `(old, new)`, for the
    /// cold start to warn about.
    pub deprecated: Vec<(&'static str, &'static str)>,
}

/// How long before the invocation's deadline the function gives up on AWS
/// and answers with an error, so that it answers at all: the error must
/// reach the Runtime API before Lambda stops the function.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(1000);

/// Why the settings are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A required variable is unset or empty.
    #[error(
        "{name} is not set: {what}; set it in the function's environment (deploy/template.yaml sets it from a parameter)"
    )]
    Missing {
        /// The variable.
        name: &'static str,
        /// What it holds.
        what: &'static str,
    },
    /// A variable's value is invalid.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong, and how to fix it.
        reason: String,
    },
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in
    /// tests). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let raw = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut deprecated = Vec::new();
        for (new, old) in DEPRECATED_NAMES {
            match (raw(new), raw(old)) {
                (Some(a), Some(b)) if a.trim() != b.trim() => {
                    return Err(SettingsError::Invalid {
                        name: new,
                        reason: format!(
                            "{new} and its deprecated name {old} are both set, to different values ({:?} and {:?}); remove {old}",
                            a.trim(),
                            b.trim()
                        ),
                    });
                }
                (None, Some(_)) => deprecated.push((old, new)),
                _ => {}
            }
        }
        let get = |name: &str| {
            raw(name).or_else(|| {
                DEPRECATED_NAMES
                    .iter()
                    .find(|(new, _)| *new == name)
                    .and_then(|(_, old)| raw(old))
            })
        };
        let required = |name: &'static str, what: &'static str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .ok_or(SettingsError::Missing { name, what })
        };
        let invalid =
            |name: &'static str| move |reason: String| SettingsError::Invalid { name, reason };

        let domain = required(DOMAIN, "the CodeArtifact domain")?;
        glue_codeartifact_domain::names::check_domain_name(&domain).map_err(invalid(DOMAIN))?;
        let repository = required(REPOSITORY, "the CodeArtifact repository")?;
        glue_codeartifact_domain::names::check_repository_name(&repository)
            .map_err(invalid(REPOSITORY))?;
        let domain_owner = match get(DOMAIN_OWNER) {
            Some(owner) => {
                let owner = owner.trim().to_owned();
                if !glue_codeartifact_domain::names::is_account_id(&owner) {
                    return Err(invalid(DOMAIN_OWNER)(format!(
                        "{owner:?} is not an AWS account ID (12 digits, e.g. 111122223333)"
                    )));
                }
                Some(owner)
            }
            None => None,
        };
        let duration = match get(DURATION) {
            Some(text) => text
                .parse::<TokenDuration>()
                .map_err(|e| invalid(DURATION)(e.to_string()))?,
            None => TokenDuration::from_secs(DEFAULT_DURATION_SECS)
                .map_err(|e| invalid(DURATION)(e.to_string()))?,
        };
        let min_life = match get(MIN_TOKEN_LIFE) {
            Some(text) => parse_life(&text).map_err(invalid(MIN_TOKEN_LIFE))?,
            None => DEFAULT_MIN_TOKEN_LIFE,
        };
        let min_token_life = MinTokenLife::new(min_life, DEFAULT_SAFETY_MARGIN);
        min_token_life.check_duration(duration).map_err(|e| {
            invalid(MIN_TOKEN_LIFE)(format!("{e} (set by {DURATION} and {MIN_TOKEN_LIFE})"))
        })?;
        let mode = match get(MODE) {
            Some(text) => parse_mode(&text).map_err(invalid(MODE))?,
            None => IndexMode::IndexUrl,
        };
        let allowed_jobs = required(
            ALLOWED_JOBS,
            "the Glue jobs this function may start (names or patterns, comma-separated)",
        )?
        .parse::<JobPatterns>()
        .map_err(|e| invalid(ALLOWED_JOBS)(e.to_string()))?;
        let (overrides, event_arguments) = match get(ALLOWED_EVENT_OVERRIDES) {
            Some(text) => parse_overrides(&text).map_err(invalid(ALLOWED_EVENT_OVERRIDES))?,
            None => (Vec::new(), ArgumentAllowlist::default()),
        };
        let endpoint_type = match get(ENDPOINT_TYPE).as_deref().map(str::trim) {
            None => None,
            Some("ipv4") => Some(EndpointType::Ipv4),
            Some("dualstack") => Some(EndpointType::Dualstack),
            Some(other) => {
                return Err(invalid(ENDPOINT_TYPE)(format!(
                    "{other:?} is not an endpoint type; use ipv4 or dualstack"
                )));
            }
        };
        let switch = |name: &'static str, default: bool| match get(name).as_deref().map(str::trim) {
            None => Ok(default),
            Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(invalid(name)(format!(
                "{other:?} is not a switch; use true or false"
            ))),
        };
        let endpoint_host = get(REPOSITORY_ENDPOINT_HOST).map(|h| h.trim().to_owned());
        let allow_any_endpoint_host = switch(ALLOW_ANY_ENDPOINT_HOST, false)?;
        if let Some(host) = &endpoint_host {
            check_endpoint_host(host, allow_any_endpoint_host)
                .map_err(invalid(REPOSITORY_ENDPOINT_HOST))?;
        }
        let start_enabled = switch(START_ENABLED, true)?;
        let metrics = switch(METRICS, true)?;
        let refresh_enabled = switch(REFRESH_ENABLED, false)?;
        if !start_enabled && !refresh_enabled {
            return Err(invalid(START_ENABLED)(format!(
                "false, and {REFRESH_ENABLED} is not true: this function would serve no event; set {START_ENABLED}=true, or {REFRESH_ENABLED}=true for a function that only refreshes"
            )));
        }
        let refresh_duration = match get(REFRESH_DURATION) {
            Some(text) => text
                .parse::<TokenDuration>()
                .map_err(|e| invalid(REFRESH_DURATION)(e.to_string()))?,
            None => TokenDuration::from_secs(DEFAULT_REFRESH_DURATION_SECS)
                .map_err(|e| invalid(REFRESH_DURATION)(e.to_string()))?,
        };
        if refresh_enabled {
            check_refresh_duration(refresh_duration, min_token_life).map_err(|e| {
                invalid(REFRESH_DURATION)(format!(
                    "{e} (set by {REFRESH_DURATION} and {MIN_TOKEN_LIFE})"
                ))
            })?;
        }
        let timeouts = Timeouts::from_lookup(get).map_err(|reason| {
            let name = [
                CONNECT_TIMEOUT_ENV,
                ATTEMPT_TIMEOUT_ENV,
                OPERATION_TIMEOUT_ENV,
            ]
            .into_iter()
            .find(|name| reason.starts_with(name))
            .unwrap_or(OPERATION_TIMEOUT_ENV);
            invalid(name)(reason)
        })?;
        Ok(Settings {
            timeouts,
            repository: RepositoryRef {
                domain,
                domain_owner,
                repository,
                endpoint_type,
                endpoint_host,
            },
            duration,
            min_token_life,
            mode,
            allowed_jobs,
            overrides,
            event_arguments,
            start_enabled,
            metrics,
            refresh_enabled,
            refresh_duration,
            deprecated,
        })
    }

    /// Whether events may set `field`.
    pub fn allows_override(&self, field: Override) -> bool {
        self.overrides.contains(&field)
    }
}

/// Checks the duration of a token a refresh would write
/// ([`MinTokenLife::check_refresh_duration`], the rule the CLI's refresh
/// follows too), as this function's settings and events word it.
pub fn check_refresh_duration(
    duration: TokenDuration,
    min_token_life: MinTokenLife,
) -> Result<(), String> {
    min_token_life
        .check_refresh_duration(duration)
        .map_err(|e| e.to_string())
}

/// Checks `GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST` with the CLI's rule
/// for `--repository-endpoint-host`: a host name, of the documented VPC
/// endpoint shape unless `allow_any` (`GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST`).
/// Every minted token is sent to this host.
fn check_endpoint_host(host: &str, allow_any: bool) -> Result<(), String> {
    use glue_codeartifact_domain::repository_endpoint::{
        VPC_ENDPOINT_HOST_SHAPE, check_host_syntax, is_vpc_endpoint_host,
    };
    check_host_syntax(host).map_err(|_| {
        format!(
            "{host:?} is not a host name; set it to {VPC_ENDPOINT_HOST_SHAPE} (deploy/template.yaml: RepositoryEndpointHost), or leave it empty"
        )
    })?;
    if allow_any || is_vpc_endpoint_host(host) {
        return Ok(());
    }
    Err(format!(
        "{host:?} is not {VPC_ENDPOINT_HOST_SHAPE}, and every minted token would be sent to it; set the endpoint's DnsName (deploy/template.yaml: RepositoryEndpointHost), or, if this host is meant, set {ALLOW_ANY_ENDPOINT_HOST}=true (AllowAnyEndpointHost)"
    ))
}

/// Parses `index-url` or `extra-index-url`.
pub fn parse_mode(text: &str) -> Result<IndexMode, String> {
    [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl]
        .into_iter()
        .find(|m| m.as_str() == text.trim())
        .ok_or_else(|| format!("{text:?} is not a mode; use index-url or extra-index-url"))
}

/// Parses a remaining life: seconds (`1800`) or a human form (`30m`), by
/// the one duration rule.
fn parse_life(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// Parses `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES`: `none`, the fields
/// `duration` and `mode`, and run argument names or patterns (`--day`,
/// `--report_*`).
fn parse_overrides(text: &str) -> Result<(Vec<Override>, ArgumentAllowlist), String> {
    let mut overrides = Vec::new();
    let mut arguments = ArgumentAllowlist::default();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "none" {
            continue;
        }
        if name.starts_with('-') {
            arguments.push(name).map_err(|e| e.to_string())?;
            continue;
        }
        let field = Override::ALL
            .into_iter()
            .find(|o| o.name() == name)
            .ok_or_else(|| {
                format!(
                    "{name:?} is not an event field that may override a setting nor a run argument; list some of: duration, mode, run arguments such as --day or --report_* (or none)"
                )
            })?;
        if !overrides.contains(&field) {
            overrides.push(field);
        }
    }
    Ok((overrides, arguments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_setting_read_is_documented() {
        let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let values: HashMap<&str, &str> = [
            (DOMAIN, "acme"),
            (REPOSITORY, "py-internal"),
            (ALLOWED_JOBS, "nightly-*"),
            (REFRESH_ENABLED, "true"),
        ]
        .into_iter()
        .collect();
        Settings::from_lookup(|name| {
            read.borrow_mut().insert(name.to_owned());
            values.get(name).map(|v| (*v).to_owned())
        })
        .expect("valid settings");
        let documented: std::collections::BTreeSet<String> = DOCUMENTED
            .iter()
            .map(|s| s.name)
            .chain(DEPRECATED_NAMES.iter().map(|(_, old)| *old))
            .map(str::to_owned)
            .collect();
        assert_eq!(
            read.into_inner(),
            documented,
            "DOCUMENTED (and DEPRECATED_NAMES) must list exactly the variables from_lookup reads; then run `cargo run -p docgen`"
        );
    }

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| env.get(name).cloned())
    }

    const BASE: [(&str, &str); 3] = [
        (DOMAIN, "acme"),
        (REPOSITORY, "py-internal"),
        (ALLOWED_JOBS, "nightly-*,adhoc"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = BASE.to_vec();
        pairs.extend_from_slice(extra);
        pairs
    }

    #[test]
    fn defaults() {
        let s = settings(&BASE).unwrap();
        assert_eq!(s.repository.domain, "acme");
        assert_eq!(s.repository.domain_owner, None);
        assert_eq!(s.duration.as_secs(), 3600);
        assert_eq!(s.min_token_life.min_life(), Duration::from_secs(1800));
        assert_eq!(s.min_token_life.margin(), Duration::from_secs(60));
        assert_eq!(s.mode, IndexMode::IndexUrl);
        assert!(s.allowed_jobs.allows("nightly-etl"));
        assert!(!s.allowed_jobs.allows("other"));
        assert!(s.overrides.is_empty());
        assert!(s.start_enabled);
        assert!(!s.refresh_enabled);
        assert_eq!(s.refresh_duration.as_secs(), 43_200);
    }

    #[test]
    fn a_function_may_serve_refresh_events_only_but_not_nothing() {
        let s = settings(&with(&[
            (START_ENABLED, "false"),
            (REFRESH_ENABLED, "true"),
        ]))
        .unwrap();
        assert!(!s.start_enabled && s.refresh_enabled);
        assert!(
            settings(&with(&[(START_ENABLED, "true")]))
                .unwrap()
                .start_enabled
        );
        for pairs in [
            with(&[(START_ENABLED, "false")]),
            with(&[(START_ENABLED, "false"), (REFRESH_ENABLED, "false")]),
        ] {
            let err = settings(&pairs).unwrap_err().to_string();
            assert!(
                err.starts_with(START_ENABLED) && err.contains("would serve no event"),
                "{err}"
            );
        }
    }

    #[test]
    fn refresh_settings() {
        let s = settings(&with(&[
            (REFRESH_ENABLED, "true"),
            (REFRESH_DURATION, "10h"),
        ]))
        .unwrap();
        assert!(s.refresh_enabled);
        assert_eq!(s.refresh_duration.as_secs(), 36_000);
        assert!(
            !settings(&with(&[(REFRESH_ENABLED, "false")]))
                .unwrap()
                .refresh_enabled
        );
        // A refresh token of unknown life, or one shorter than the minimum
        // life, is refused when refresh is enabled.
        for (duration, expected) in [("0", "known life"), ("30m", "minimum token life")] {
            let err = settings(&with(&[
                (REFRESH_ENABLED, "true"),
                (REFRESH_DURATION, duration),
            ]))
            .unwrap_err()
            .to_string();
            assert!(
                err.starts_with(REFRESH_DURATION) && err.contains(expected),
                "{err}"
            );
        }
        // … and ignored when it is not: a start-only deployment is not
        // broken by a setting it does not use.
        assert!(settings(&with(&[(REFRESH_DURATION, "0")])).is_ok());
    }

    #[test]
    fn everything_set() {
        let s = settings(&with(&[
            (DOMAIN_OWNER, "111122223333"),
            (DURATION, "2h"),
            (MIN_TOKEN_LIFE, "45m"),
            (MODE, "extra-index-url"),
            (ALLOWED_EVENT_OVERRIDES, "mode, duration"),
        ]))
        .unwrap();
        assert_eq!(s.repository.domain_owner.as_deref(), Some("111122223333"));
        assert_eq!(s.duration.as_secs(), 7200);
        assert_eq!(s.min_token_life.min_life(), Duration::from_secs(2700));
        assert_eq!(s.mode, IndexMode::ExtraIndexUrl);
        assert!(s.allows_override(Override::Duration));
        assert!(s.allows_override(Override::Mode));
    }

    #[test]
    fn missing_and_invalid_settings_name_the_variable() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![(REPOSITORY, "py"), (ALLOWED_JOBS, "j")], DOMAIN),
            (vec![(DOMAIN, "acme"), (ALLOWED_JOBS, "j")], REPOSITORY),
            (vec![(DOMAIN, "acme"), (REPOSITORY, "py")], ALLOWED_JOBS),
            (with(&[(ALLOWED_JOBS, " ")]), ALLOWED_JOBS),
            (with(&[(ALLOWED_JOBS, "a,,b")]), ALLOWED_JOBS),
            (with(&[(DOMAIN_OWNER, "acme")]), DOMAIN_OWNER),
            (with(&[(DOMAIN, "Acme")]), DOMAIN),
            (with(&[(REPOSITORY, "py internal")]), REPOSITORY),
            (with(&[(DURATION, "13h")]), DURATION),
            (with(&[(MIN_TOKEN_LIFE, "soon")]), MIN_TOKEN_LIFE),
            (with(&[(MODE, "index")]), MODE),
            (with(&[(REFRESH_ENABLED, "yes")]), REFRESH_ENABLED),
            (with(&[(START_ENABLED, "no")]), START_ENABLED),
            (with(&[(REFRESH_DURATION, "13h")]), REFRESH_DURATION),
            (
                with(&[(ALLOWED_EVENT_OVERRIDES, "job_name")]),
                ALLOWED_EVENT_OVERRIDES,
            ),
        ];
        for (pairs, name) in cases {
            let err = settings(&pairs).unwrap_err();
            assert!(err.to_string().starts_with(name), "{name}: {err}");
        }
        // CodeArtifact's name rules, before any AWS call.
        let err = settings(&with(&[(DOMAIN, "Acme")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a CodeArtifact domain name is 2 to 50"),
            "{err}"
        );
        let err = settings(&with(&[(REPOSITORY, "-py")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a CodeArtifact repository name is 2 to 100"),
            "{err}"
        );
    }

    #[test]
    fn the_minimum_life_must_fit_in_the_duration() {
        // 1h tokens cannot have 1h of life left.
        let err = settings(&with(&[(MIN_TOKEN_LIFE, "1h")])).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(MIN_TOKEN_LIFE) && msg.contains(DURATION),
            "{msg}"
        );
        // 15m tokens with 13m59s + 1m margin: fits.
        assert!(settings(&with(&[(DURATION, "15m"), (MIN_TOKEN_LIFE, "839")])).is_ok());
        assert!(settings(&with(&[(DURATION, "15m"), (MIN_TOKEN_LIFE, "840")])).is_err());
        // 0 (the credentials' life) is judged when minted.
        assert!(settings(&with(&[(DURATION, "0")])).is_ok());
    }

    #[test]
    fn the_former_names_still_work_with_a_warning() {
        let old = settings(&[
            (DOMAIN, "acme"),
            (REPOSITORY, "py-internal"),
            ("ALLOWED_JOBS", "nightly-*"),
            ("ALLOWED_EVENT_OVERRIDES", "mode,--day"),
            ("START_ENABLED", "false"),
            ("REFRESH_ENABLED", "true"),
        ])
        .unwrap();
        assert!(old.allowed_jobs.allows("nightly-etl"));
        assert!(old.allows_override(Override::Mode));
        assert_eq!(old.event_arguments.check("--day"), Ok(()));
        assert!(!old.start_enabled && old.refresh_enabled);
        assert_eq!(
            old.deprecated,
            [
                ("ALLOWED_JOBS", ALLOWED_JOBS),
                ("ALLOWED_EVENT_OVERRIDES", ALLOWED_EVENT_OVERRIDES),
                ("START_ENABLED", START_ENABLED),
                ("REFRESH_ENABLED", REFRESH_ENABLED),
            ]
        );
        let new = settings(&with(&[(REFRESH_ENABLED, "true")])).unwrap();
        assert!(new.deprecated.is_empty() && new.refresh_enabled);
        assert_eq!(ALLOWED_JOBS, "GLUE_CODEARTIFACT_ALLOWED_JOBS");
        // Both names, same value: fine, and no warning about the old one
        // being the one read.
        let both = settings(&with(&[("ALLOWED_JOBS", "nightly-*,adhoc")])).unwrap();
        assert!(both.deprecated.is_empty());
        // Both names, different values: which one is meant is unknown.
        for (new, old) in DEPRECATED_NAMES {
            let mut pairs = with(&[]);
            pairs.retain(|(k, _)| *k != new);
            pairs.extend([(new, "true"), (old, "false")]);
            let err = settings(&pairs).unwrap_err().to_string();
            assert!(
                err.starts_with(new) && err.contains(old) && err.contains("different values"),
                "{err}"
            );
        }
    }

    #[test]
    fn event_arguments_are_none_by_default_and_listed_by_name() {
        assert!(settings(&BASE).unwrap().event_arguments.is_empty());
        let s = settings(&with(&[(
            ALLOWED_EVENT_OVERRIDES,
            "duration, --day, --report_*, --TempDir",
        )]))
        .unwrap();
        assert!(s.allows_override(Override::Duration));
        assert!(!s.allows_override(Override::Mode));
        assert_eq!(s.event_arguments.to_string(), "--day,--report_*,--TempDir");
        for (value, expected) in [
            ("--conf", "used by Glue internally"),
            ("--extra-*", "patterns never match"),
            ("-day", "must start with `--`"),
        ] {
            let err = settings(&with(&[(ALLOWED_EVENT_OVERRIDES, value)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(ALLOWED_EVENT_OVERRIDES) && err.contains(expected),
                "{value}: {err}"
            );
        }
    }

    const VPCE: &str =
        "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com";

    #[test]
    fn the_endpoint_host_has_the_vpc_endpoint_shape_unless_any_is_allowed() {
        let s = settings(&with(&[(REPOSITORY_ENDPOINT_HOST, VPCE)])).unwrap();
        assert_eq!(s.repository.endpoint_host.as_deref(), Some(VPCE));
        for host in ["evil.example.com", "127.0.0.1:4000", "localhost"] {
            let err = settings(&with(&[(REPOSITORY_ENDPOINT_HOST, host)]))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(REPOSITORY_ENDPOINT_HOST)
                    && err.contains("vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com")
                    && err.contains(&format!("{ALLOW_ANY_ENDPOINT_HOST}=true")),
                "{host}: {err}"
            );
            let s = settings(&with(&[
                (REPOSITORY_ENDPOINT_HOST, host),
                (ALLOW_ANY_ENDPOINT_HOST, "true"),
            ]))
            .unwrap();
            assert_eq!(s.repository.endpoint_host.as_deref(), Some(host));
            assert!(
                settings(&with(&[
                    (REPOSITORY_ENDPOINT_HOST, host),
                    (ALLOW_ANY_ENDPOINT_HOST, "false"),
                ]))
                .is_err()
            );
        }
        // Not a host at all: refused even with the opt-out.
        for host in [
            "https://evil.example.com/",
            "user@evil.example.com",
            "a b",
            "x\\y",
        ] {
            let err = settings(&with(&[
                (REPOSITORY_ENDPOINT_HOST, host),
                (ALLOW_ANY_ENDPOINT_HOST, "true"),
            ]))
            .unwrap_err()
            .to_string();
            assert!(
                err.starts_with(REPOSITORY_ENDPOINT_HOST) && err.contains("not a host name"),
                "{host}: {err}"
            );
        }
        let err = settings(&with(&[(ALLOW_ANY_ENDPOINT_HOST, "yes")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(ALLOW_ANY_ENDPOINT_HOST), "{err}");
        // The opt-out alone changes nothing.
        assert!(
            settings(&with(&[(ALLOW_ANY_ENDPOINT_HOST, "true")]))
                .unwrap()
                .repository
                .endpoint_host
                .is_none()
        );
    }

    #[test]
    fn none_allows_no_override() {
        let s = settings(&with(&[(ALLOWED_EVENT_OVERRIDES, "none")])).unwrap();
        assert!(s.overrides.is_empty());
    }
}
