//! The invocation event, and its validation against the settings.
//!
//! ```json
//! {"job_name": "nightly-etl", "arguments": {"--day": "2024-01-31"}, "duration": "1h", "mode": "index-url"}
//! {"refresh": {"job_names": ["nightly-etl", "reports"]}}
//! {"refresh": {"tags": {"team": "data"}}, "duration": "12h", "mode": "index-url"}
//! ```
//!
//! Only `job_name` is required. `arguments` are extra run arguments (keys
//! start with `--`, values are strings), checked like the CLI's `--arg`, and
//! only those that `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` allows (none
//! by default; Glue's own parameters such as `--extra-py-files` only by
//! their exact name: see `glue_codeartifact_domain::glue_parameters` and
//! `docs/security.md`). `duration` and `mode` override the deployment's
//! settings, and only where that setting lists them; `null` means "not given". Any other
//! field, or a field of the wrong type, rejects the event. The JSON Schema,
//! `docs/lambda-event.schema.json`, is generated from these types (the
//! `schema` feature, [`schema`]; `cargo run -p docgen`); examples per
//! trigger are in `docs/events/`.
//!
//! New fields are added as `Option`s with `#[serde(default)]`, so older
//! events stay valid.

use std::{collections::BTreeMap, fmt};

use glue_codeartifact_app::{
    refresh::{JobSelector, RefreshRequest},
    start::StartRequest,
};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    glue_parameters::Refusal,
    installer_option::IndexMode,
    job_pattern::{MAX_JOB_NAME_LEN, check_job_name},
    run_plan::{RunArgument, RunArgumentError, check_arguments_size},
};
use serde::Deserialize;

#[cfg(feature = "schema")]
pub mod schema;

use crate::{
    error::{HandlerError, setting_or_field},
    settings::{Override, REFRESH_CONCURRENCY, Settings, check_refresh_duration, parse_mode},
};

/// A start event: start one run of a Glue job with the index URL merged
/// into the run's pip options. The function must serve start events
/// (`GLUE_CODEARTIFACT_START_ENABLED`, true by default; errorType
/// `StartNotEnabled` otherwise, as the SAM template's refresh function
/// answers).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(title = "start event"))]
#[serde(deny_unknown_fields)]
pub struct StartEvent {
    /// The Glue job to start. It must match `GLUE_CODEARTIFACT_ALLOWED_JOBS`.
    #[cfg_attr(feature = "schema", schemars(with = "schema::JobName"))]
    pub job_name: String,
    /// Extra run arguments, as Glue takes them: keys start with `--`, values
    /// are strings. Only those `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES`
    /// allows (by name, or by a pattern such as `--report_*`); by default
    /// none, so a deployment that lists nothing refuses any argument
    /// (errorType `ArgumentNotAllowed`). Glue's own job parameters
    /// (`--scriptLocation`, `--extra-py-files`, `--additional-python-modules`,
    /// `--python-modules-installer-option`, `--extra-jars`, `--TempDir`, ...)
    /// choose the code that runs with the job's role: no pattern allows them,
    /// only their exact name (docs/security.md). The keys Glue reserves are
    /// always refused.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(transform = schema::run_arguments))]
    pub arguments: BTreeMap<String, String>,
    /// The duration of this run's token: `0`, or 900 to 43200 seconds, as
    /// seconds (`"3600"`) or a human form (`"15m"`, `"1h"`, `"12h"`). Only if
    /// `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` lists `duration`; null
    /// means the deployment's `GLUE_CODEARTIFACT_DURATION`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(regex(pattern = schema::DURATION_PATTERN)))]
    pub duration: Option<String>,
    /// `index-url` (the repository is pip's only index) or `extra-index-url`
    /// (besides the primary index). Only if
    /// `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` lists `mode`; null means
    /// the deployment's `GLUE_CODEARTIFACT_MODE`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(transform = schema::mode))]
    pub mode: Option<String>,
    /// Run `doctor`'s checks first (job type and version, overridability,
    /// conflicting options, token life, every package resolving to an
    /// installable file) and start nothing if any finds an error (errorType
    /// `PreflightFailed`). Costs a few more calls, a short token of its own
    /// and the index pages.
    #[serde(default)]
    pub preflight: bool,
}

impl fmt::Debug for StartEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Argument values are the caller's and may be sensitive.
        f.debug_struct("StartEvent")
            .field("job_name", &self.job_name)
            .field("argument_keys", &self.arguments.keys())
            .field("duration", &self.duration)
            .field("mode", &self.mode)
            .field("preflight", &self.preflight)
            .finish()
    }
}

/// The shape of a valid event, for error messages.
pub const EVENT_SHAPE: &str = r#"{"job_name": "...", "arguments": {"--key": "value"}, "duration": "1h", "mode": "index-url", "preflight": true} (only job_name is required; see docs/lambda-event.schema.json)"#;

impl StartEvent {
    /// Reads an event from the JSON the function was invoked with.
    pub fn from_json(value: serde_json::Value) -> Result<StartEvent, HandlerError> {
        if !value.is_object() {
            return Err(HandlerError::InvalidEvent(format!(
                "the event is {}, not a JSON object; send {EVENT_SHAPE}",
                json_kind(&value)
            )));
        }
        if value.get("detail-type").is_some() && value.get("detail").is_some() {
            return Err(HandlerError::InvalidEvent(format!(
                "the event is an EventBridge envelope (detail-type, detail, …), not a start event; give the rule's target an Input (or an InputTransformer) that sends {EVENT_SHAPE}, as docs/events/eventbridge-rule.json shows"
            )));
        }
        deserialize(value, EVENT_SHAPE)
    }

    /// Checks the event against the deployment's settings and turns it into
    /// a start request. Nothing here calls AWS.
    pub fn validate(self, settings: &Settings) -> Result<StartRequest, HandlerError> {
        if !settings.start_enabled {
            return Err(HandlerError::StartNotEnabled);
        }
        if self.job_name.trim().is_empty() {
            return Err(HandlerError::InvalidEvent(format!(
                "job_name is empty; send {EVENT_SHAPE}"
            )));
        }
        let job = job_name("job_name", &self.job_name)?;
        if !settings.allowed_jobs.allows(job) {
            return Err(HandlerError::JobNotAllowed {
                job: job.to_owned(),
            });
        }
        check_overrides(settings, &self.duration, &self.mode)?;
        let arguments = self
            .arguments
            .into_iter()
            .map(|(key, value)| argument(key, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                HandlerError::InvalidEvent(format!(
                    "invalid arguments: {}",
                    e.message(setting_or_field)
                ))
            })?;
        for arg in &arguments {
            settings
                .event_arguments
                .check(&arg.key)
                .map_err(|refusal| HandlerError::ArgumentNotAllowed {
                    key: shorten(&arg.key),
                    glue_parameter: refusal == Refusal::GlueParameter,
                })?;
        }
        check_arguments_size(&arguments).map_err(|e| {
            HandlerError::InvalidEvent(format!(
                "invalid arguments: {}",
                e.message(setting_or_field)
            ))
        })?;
        let duration = match &self.duration {
            Some(text) => {
                let duration = text
                    .parse::<TokenDuration>()
                    .map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
                settings
                    .min_token_life
                    .check_duration(duration)
                    .map_err(|e| HandlerError::InvalidEvent(format!("invalid duration: {e}")))?;
                duration
            }
            None => settings.duration,
        };
        let mode = mode(settings, self.mode.as_deref())?;
        Ok(StartRequest {
            job: job.to_owned(),
            repository: settings.repository.clone(),
            duration,
            mode,
            arguments,
            dry_run: false,
        })
    }
}

/// A refresh event: write a fresh index URL into the `DefaultArguments` of
/// the selected jobs (the installer option, or the inline form for Python
/// shell jobs), so that runs Glue starts itself (triggers, workflows,
/// schedules, the console) install private packages too. The function must
/// be deployed with `GLUE_CODEARTIFACT_REFRESH_ENABLED=true`, as the SAM
/// template's refresh function is (errorType `RefreshNotEnabled` otherwise,
/// as its start function answers).
// {"refresh": {"job_names": ["nightly-etl", "reports"]}}
// {"refresh": {"tags": {"team": "data"}}, "duration": "12h", "mode": "index-url"}
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(title = "refresh event"))]
#[serde(deny_unknown_fields)]
pub struct RefreshEvent {
    /// Which jobs: exactly one of `job_names` and `tags`.
    pub refresh: RefreshSelection,
    /// The duration of the token written into the jobs: 900 to 43200
    /// seconds (not `0`), as seconds (`"43200"`) or a human form (`"12h"`),
    /// longer than `GLUE_CODEARTIFACT_MIN_TOKEN_LIFE` plus 1 minute. Only if
    /// `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` lists `duration`; null
    /// means the deployment's `GLUE_CODEARTIFACT_REFRESH_DURATION` (default
    /// 12h).
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(regex(pattern = schema::DURATION_PATTERN), transform = schema::not_zero)
    )]
    pub duration: Option<String>,
    /// `index-url` (the repository is pip's only index) or `extra-index-url`
    /// (besides the primary index). Only if
    /// `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` lists `mode`; null means
    /// the deployment's `GLUE_CODEARTIFACT_MODE`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(transform = schema::mode))]
    pub mode: Option<String>,
}

/// The jobs a refresh event selects: exactly one of `job_names` and `tags`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(transform = schema::exactly_one_selector))]
#[serde(deny_unknown_fields)]
pub struct RefreshSelection {
    /// These jobs, 1 to 50. Every one must match
    /// `GLUE_CODEARTIFACT_ALLOWED_JOBS`, or the whole event is refused
    /// (errorType `JobNotAllowed`) and nothing changes. null means not
    /// given.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<Vec<schema::JobName>>", length(min = 1, max = MAX_REFRESH_JOB_NAMES))
    )]
    pub job_names: Option<Vec<String>>,
    /// Every job that carries all of these tags (Glue `ListJobs`' Tags
    /// filter; 1 to 50 tags, keys of 1 to 128 characters, values of at most
    /// 256). Jobs outside `GLUE_CODEARTIFACT_ALLOWED_JOBS` are skipped, never
    /// read or changed. null means not given.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(transform = schema::tags))]
    pub tags: Option<BTreeMap<String, String>>,
}

/// The shape of a valid refresh event, for error messages.
pub const REFRESH_SHAPE: &str = r#"{"refresh": {"job_names": ["..."]}} or {"refresh": {"tags": {"key": "value"}}}, optionally with "duration": "12h" and "mode": "index-url" (see docs/lambda-event.schema.json)"#;

/// Most jobs one refresh event may name (each is read, updated and read
/// again within the invocation's timeout).
pub const MAX_REFRESH_JOB_NAMES: usize = 50;
/// Most tags a selection may have (Glue `ListJobs`: 0 to 50 entries).
pub const MAX_REFRESH_TAGS: usize = 50;
/// Glue tag keys: 1 to 128 characters.
pub const MAX_TAG_KEY_LEN: usize = 128;
/// Glue tag values: at most 256 characters.
pub const MAX_TAG_VALUE_LEN: usize = 256;

impl RefreshEvent {
    /// Whether `value` is shaped like a refresh event (an object with a
    /// `refresh` field); anything else is read as a start event.
    pub fn is_refresh(value: &serde_json::Value) -> bool {
        value.get("refresh").is_some()
    }

    /// Reads a refresh event from the JSON the function was invoked with.
    pub fn from_json(value: serde_json::Value) -> Result<RefreshEvent, HandlerError> {
        deserialize(value, REFRESH_SHAPE)
    }

    /// Checks the event against the deployment's settings and turns it into
    /// a refresh request. Nothing here calls AWS: a job named outside
    /// `ALLOWED_JOBS` refuses the whole event before anything changes.
    pub fn validate(self, settings: &Settings) -> Result<RefreshRequest, HandlerError> {
        if !settings.refresh_enabled {
            return Err(HandlerError::RefreshNotEnabled);
        }
        let jobs = match (self.refresh.job_names, self.refresh.tags) {
            (Some(names), None) => JobSelector::Names(refresh_job_names(settings, names)?),
            (None, Some(tags)) => JobSelector::Tags(refresh_tags(tags)?),
            (Some(_), Some(_)) | (None, None) => {
                return Err(HandlerError::InvalidEvent(format!(
                    "refresh must hold exactly one of job_names and tags; send {REFRESH_SHAPE}"
                )));
            }
        };
        check_overrides(settings, &self.duration, &self.mode)?;
        let duration = match &self.duration {
            Some(text) => {
                let duration = text
                    .parse::<TokenDuration>()
                    .map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
                check_refresh_duration(duration, settings.min_token_life)
                    .map_err(|e| HandlerError::InvalidEvent(format!("invalid duration: {e}")))?;
                duration
            }
            None => settings.refresh_duration,
        };
        Ok(RefreshRequest {
            jobs,
            repository: settings.repository.clone(),
            duration,
            mode: mode(settings, self.mode.as_deref())?,
            dry_run: false,
            concurrency: REFRESH_CONCURRENCY,
            allowed: Some(settings.allowed_jobs.clone()),
        })
    }
}

fn refresh_job_names(settings: &Settings, names: Vec<String>) -> Result<Vec<String>, HandlerError> {
    if names.is_empty() {
        return Err(HandlerError::InvalidEvent(format!(
            "refresh.job_names is empty; name at least one job, or select by tags: {REFRESH_SHAPE}"
        )));
    }
    if names.len() > MAX_REFRESH_JOB_NAMES {
        return Err(HandlerError::InvalidEvent(format!(
            "refresh.job_names names {} jobs, more than the {MAX_REFRESH_JOB_NAMES} one event may; split them over several events (or schedules)",
            names.len()
        )));
    }
    let mut checked = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let job = job_name(&format!("refresh.job_names[{i}]"), name)?;
        if !settings.allowed_jobs.allows(job) {
            return Err(HandlerError::RefreshJobNotAllowed {
                job: job.to_owned(),
            });
        }
        checked.push(job.to_owned());
    }
    Ok(checked)
}

fn refresh_tags(tags: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, HandlerError> {
    if tags.is_empty() {
        return Err(HandlerError::InvalidEvent(format!(
            "refresh.tags is empty, which would select every job; give at least one tag, or name the jobs: {REFRESH_SHAPE}"
        )));
    }
    if tags.len() > MAX_REFRESH_TAGS {
        return Err(HandlerError::InvalidEvent(format!(
            "refresh.tags has {} tags, more than the {MAX_REFRESH_TAGS} Glue's ListJobs takes",
            tags.len()
        )));
    }
    for (key, value) in &tags {
        let key_len = key.chars().count();
        if key.trim().is_empty() || key_len > MAX_TAG_KEY_LEN {
            return Err(HandlerError::InvalidEvent(format!(
                "refresh.tags: the key {:?} is not a Glue tag key (1 to {MAX_TAG_KEY_LEN} characters, not blank)",
                shorten(key)
            )));
        }
        if value.chars().count() > MAX_TAG_VALUE_LEN {
            return Err(HandlerError::InvalidEvent(format!(
                "refresh.tags.{}: the value is longer than the {MAX_TAG_VALUE_LEN} characters of a Glue tag value",
                shorten(key)
            )));
        }
    }
    Ok(tags)
}

/// A job name from the event, checked as the CLI checks `--job`; `field`
/// names where it came from.
fn job_name<'a>(field: &str, name: &'a str) -> Result<&'a str, HandlerError> {
    let job = name.trim();
    if job.is_empty() {
        return Err(HandlerError::InvalidEvent(format!("{field} is empty")));
    }
    if job.len() != name.len() || job.chars().count() > MAX_JOB_NAME_LEN {
        return Err(HandlerError::InvalidEvent(format!(
            "{field} {:?} is not a Glue job name (leading or trailing spaces, or longer than {MAX_JOB_NAME_LEN} characters)",
            shorten(name)
        )));
    }
    check_job_name(job).map_err(|e| HandlerError::InvalidEvent(format!("{field}: {e}")))?;
    Ok(job)
}

/// A huge value is not echoed whole into the error and the logs.
fn shorten(text: &str) -> String {
    let mut shown: String = text.chars().take(64).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

/// Refuses `duration` and `mode` where the deployment does not let events
/// set them.
fn check_overrides(
    settings: &Settings,
    duration: &Option<String>,
    mode: &Option<String>,
) -> Result<(), HandlerError> {
    for (field, given) in [
        (Override::Duration, duration.is_some()),
        (Override::Mode, mode.is_some()),
    ] {
        if given && !settings.allows_override(field) {
            return Err(HandlerError::OverrideNotAllowed { field });
        }
    }
    Ok(())
}

/// The event's mode, or the deployment's.
fn mode(settings: &Settings, mode: Option<&str>) -> Result<IndexMode, HandlerError> {
    match mode {
        Some(text) => {
            parse_mode(text).map_err(|e| HandlerError::InvalidEvent(format!("invalid mode: {e}")))
        }
        None => Ok(settings.mode),
    }
}

/// One `"--key": "value"` pair, checked like the CLI's `--arg --key=value`.
fn argument(key: String, value: String) -> Result<RunArgument, RunArgumentError> {
    if key.contains('=') {
        return Err(RunArgumentError::InvalidKey { key });
    }
    let mut parsed: RunArgument = format!("{key}=").parse()?;
    parsed.value = value;
    Ok(parsed)
}

/// Reads an event of type `T`; an error names the field at fault (its
/// path) and ends with the event's `shape`.
fn deserialize<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    shape: &str,
) -> Result<T, HandlerError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let at = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!(" at {path}")
        };
        HandlerError::InvalidEvent(format!("{inner}{at}; send {shape}"))
    })
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_codeartifact_domain::installer_option::IndexMode;
    use serde_json::json;

    /// A deployment for `acme`/`py` allowing `nightly-*` and `adhoc`, with
    /// `extra` settings.
    fn settings_with(extra: &[(&str, &str)]) -> Settings {
        Settings::from_lookup(|name| {
            let base = match name {
                "GLUE_CODEARTIFACT_DOMAIN" => Some("acme"),
                "GLUE_CODEARTIFACT_REPOSITORY" => Some("py"),
                "GLUE_CODEARTIFACT_ALLOWED_JOBS" => Some("nightly-*,adhoc"),
                _ => None,
            };
            extra
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| *value)
                .or(base)
                .map(str::to_owned)
        })
        .unwrap()
    }

    fn settings(overrides: &str) -> Settings {
        settings_with(&[("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", overrides)])
    }

    fn parse(value: serde_json::Value) -> Result<StartEvent, String> {
        StartEvent::from_json(value).map_err(|e| e.to_string())
    }

    #[test]
    fn minimal_and_full_events() {
        let event = parse(json!({"job_name": "adhoc"})).unwrap();
        let request = event.validate(&settings("")).unwrap();
        assert_eq!(request.job, "adhoc");
        assert_eq!(request.duration.as_secs(), 3600);
        assert_eq!(request.mode, IndexMode::IndexUrl);
        assert!(request.arguments.is_empty());
        assert!(!request.dry_run);

        let event = parse(json!({
            "job_name": "nightly-etl",
            "arguments": {"--day": "2024-01-31", "--env": "prod"},
            "duration": "2h",
            "mode": "extra-index-url"
        }))
        .unwrap();
        let request = event
            .validate(&settings("duration,mode,--day,--env"))
            .unwrap();
        assert_eq!(request.duration.as_secs(), 7200);
        assert_eq!(request.mode, IndexMode::ExtraIndexUrl);
        let keys: Vec<_> = request.arguments.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["--day", "--env"]);
        assert_eq!(request.arguments[0].value, "2024-01-31");
    }

    #[test]
    fn nulls_mean_not_given() {
        let event = parse(json!({"job_name": "adhoc", "duration": null, "mode": null})).unwrap();
        assert!(event.validate(&settings("")).is_ok());
    }

    #[test]
    fn malformed_events_say_what_is_wrong() {
        let cases = [
            (
                json!({"job_name": "adhoc", "jobname": "x"}),
                "unknown field `jobname`",
            ),
            (json!({"arguments": {}}), "missing field `job_name`"),
            (
                json!({"job_name": 5}),
                "invalid type: integer `5`, expected a string at job_name",
            ),
            (
                json!({"job_name": "adhoc", "arguments": {"--n": 1}}),
                "at arguments.--n",
            ),
            (
                json!({"job_name": "adhoc", "arguments": ["--n=1"]}),
                "at arguments",
            ),
            (json!("adhoc"), "the event is a string, not a JSON object"),
            (json!(null), "the event is null"),
        ];
        for (value, expected) in cases {
            let msg = parse(value.clone()).unwrap_err();
            assert!(msg.contains(expected), "{value}: {msg}");
            assert!(msg.contains("job_name"), "{value}: {msg}");
        }
    }

    #[test]
    fn an_eventbridge_envelope_gets_a_hint() {
        let envelope = json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2024-01-31T02:00:00Z",
            "region": "us-east-1", "resources": [], "detail": {}
        });
        let msg = parse(envelope).unwrap_err();
        assert!(
            msg.contains("EventBridge envelope") && msg.contains("Input"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_values_are_refused() {
        let s = settings("duration,mode,--*");
        let cases = [
            (json!({"job_name": ""}), "job_name is empty"),
            (json!({"job_name": " adhoc"}), "leading or trailing spaces"),
            (
                json!({"job_name": "adhoc", "arguments": {"day": "x"}}),
                "must start with `--`",
            ),
            (
                json!({"job_name": "adhoc", "arguments": {"--a=b": "x"}}),
                "not a valid Glue argument name",
            ),
            (
                json!({"job_name": "adhoc", "arguments": {"--JOB_NAME": "x"}}),
                "used by Glue internally",
            ),
            (
                json!({"job_name": "adhoc", "duration": "13h"}),
                "900 to 43200",
            ),
            (
                json!({"job_name": "adhoc", "duration": "15m"}),
                "minimum token life",
            ),
            (
                json!({"job_name": "adhoc", "mode": "pip"}),
                "index-url or extra-index-url",
            ),
        ];
        for (value, expected) in cases {
            let err = parse(value.clone()).unwrap().validate(&s).unwrap_err();
            assert_eq!(err.error_type(), "InvalidEvent", "{value}");
            assert!(err.to_string().contains(expected), "{value}: {err}");
        }
    }

    #[test]
    fn jobs_outside_the_allowlist_are_refused() {
        for job in ["other", "nightly", "Nightly-etl", "adhoc2"] {
            let err = parse(json!({"job_name": job}))
                .unwrap()
                .validate(&settings(""))
                .unwrap_err();
            assert_eq!(err.error_type(), "JobNotAllowed");
            assert!(err.to_string().contains("ALLOWED_JOBS"), "{err}");
        }
    }

    #[test]
    fn overrides_need_the_deployment_s_consent() {
        for (value, field) in [
            (json!({"job_name": "adhoc", "duration": "2h"}), "duration"),
            (json!({"job_name": "adhoc", "mode": "index-url"}), "mode"),
        ] {
            let err = parse(value).unwrap().validate(&settings("")).unwrap_err();
            assert_eq!(err.error_type(), "OverrideNotAllowed");
            let msg = err.to_string();
            assert!(
                msg.contains(field) && msg.contains("ALLOWED_EVENT_OVERRIDES"),
                "{msg}"
            );
        }
        let err = parse(json!({"job_name": "adhoc", "mode": "index-url"}))
            .unwrap()
            .validate(&settings("duration"))
            .unwrap_err();
        assert_eq!(err.error_type(), "OverrideNotAllowed");
    }

    fn refresh_settings(overrides: &str) -> Settings {
        settings_with(&[
            ("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", overrides),
            ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
        ])
    }

    fn refresh(
        value: serde_json::Value,
        settings: &Settings,
    ) -> Result<RefreshRequest, HandlerError> {
        assert!(RefreshEvent::is_refresh(&value), "{value}");
        RefreshEvent::from_json(value).and_then(|e| e.validate(settings))
    }

    #[test]
    fn refresh_events_by_name_and_by_tags() {
        let s = refresh_settings("");
        let request = refresh(
            json!({"refresh": {"job_names": ["nightly-b", "adhoc", "nightly-a"]}}),
            &s,
        )
        .unwrap();
        assert_eq!(
            request.jobs,
            JobSelector::Names(vec!["nightly-b".into(), "adhoc".into(), "nightly-a".into()])
        );
        assert_eq!(
            request.duration.as_secs(),
            43_200,
            "the refresh duration, not the start's"
        );
        assert_eq!(request.mode, IndexMode::IndexUrl);
        assert!(!request.dry_run);
        assert_eq!(
            request.allowed.as_ref().map(ToString::to_string).as_deref(),
            Some("nightly-*,adhoc")
        );

        let request = refresh(
            json!({"refresh": {"tags": {"team": "data", "env": ""}}, "duration": "10h", "mode": "extra-index-url"}),
            &refresh_settings("duration,mode"),
        )
        .unwrap();
        assert_eq!(
            request.jobs,
            JobSelector::Tags(
                [
                    ("env".into(), String::new()),
                    ("team".into(), "data".into())
                ]
                .into()
            )
        );
        assert_eq!(request.duration.as_secs(), 36_000);
        assert_eq!(request.mode, IndexMode::ExtraIndexUrl);
        assert!(
            refresh(
                json!({"refresh": {"tags": {"a": "b"}}, "duration": null, "mode": null}),
                &s
            )
            .is_ok()
        );
    }

    #[test]
    fn a_start_event_is_not_a_refresh_event() {
        assert!(!RefreshEvent::is_refresh(&json!({"job_name": "adhoc"})));
        assert!(!RefreshEvent::is_refresh(&json!("refresh")));
        assert!(!RefreshEvent::is_refresh(&json!(["refresh"])));
        assert!(RefreshEvent::is_refresh(&json!({"refresh": null})));
    }

    #[test]
    fn a_named_job_outside_the_allowlist_refuses_the_whole_refresh() {
        let err = refresh(
            json!({"refresh": {"job_names": ["nightly-etl", "payroll", "adhoc"]}}),
            &refresh_settings(""),
        )
        .unwrap_err();
        assert_eq!(err.error_type(), "JobNotAllowed");
        let msg = err.to_string();
        assert!(
            msg.contains("\"payroll\"")
                && msg.contains("ALLOWED_JOBS")
                && msg.contains("refreshed nothing"),
            "{msg}"
        );
    }

    #[test]
    fn a_start_is_refused_where_starts_are_not_enabled() {
        let refresh_only = settings_with(&[
            ("GLUE_CODEARTIFACT_START_ENABLED", "false"),
            ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
        ]);
        let err = StartEvent::from_json(json!({"job_name": "nightly-etl"}))
            .unwrap()
            .validate(&refresh_only)
            .unwrap_err();
        assert_eq!(err.error_type(), "StartNotEnabled");
        assert!(!err.is_retryable());
        let msg = err.to_string();
        assert!(
            msg.contains("START_ENABLED=false")
                && msg.contains("to the start function (the stack's FunctionName output)")
                && msg.contains("nothing was started"),
            "{msg}"
        );
    }

    #[test]
    fn refresh_is_refused_where_it_is_not_enabled() {
        let err = refresh(json!({"refresh": {"job_names": ["adhoc"]}}), &settings("")).unwrap_err();
        assert_eq!(err.error_type(), "RefreshNotEnabled");
        let msg = err.to_string();
        assert!(
            msg.contains("EnableRefresh")
                && msg.contains("REFRESH_ENABLED")
                && msg.contains("to the refresh function (the stack's RefreshFunctionName output)"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_refresh_events_say_what_is_wrong() {
        let s = refresh_settings("duration,mode");
        let cases = [
            (
                json!({"refresh": {}}),
                "InvalidEvent",
                "exactly one of job_names and tags",
            ),
            (
                json!({"refresh": {"job_names": ["adhoc"], "tags": {"a": "b"}}}),
                "InvalidEvent",
                "exactly one of job_names and tags",
            ),
            (
                json!({"refresh": {"job_names": []}}),
                "InvalidEvent",
                "job_names is empty",
            ),
            (
                json!({"refresh": {"tags": {}}}),
                "InvalidEvent",
                "would select every job",
            ),
            (
                json!({"refresh": {"jobs": ["adhoc"]}}),
                "InvalidEvent",
                "unknown field `jobs`",
            ),
            (
                json!({"refresh": {"job_names": ["adhoc"]}, "job_name": "adhoc"}),
                "InvalidEvent",
                "unknown field `job_name`",
            ),
            (
                json!({"refresh": {"job_names": "adhoc"}}),
                "InvalidEvent",
                "at refresh.job_names",
            ),
            (
                json!({"refresh": {"job_names": [5]}}),
                "InvalidEvent",
                "at refresh.job_names[0]",
            ),
            (
                json!({"refresh": {"tags": {"team": 1}}}),
                "InvalidEvent",
                "at refresh.tags.team",
            ),
            (json!({"refresh": ["adhoc"]}), "InvalidEvent", "at refresh"),
            (json!({"refresh": null}), "InvalidEvent", "at refresh"),
            (
                json!({"refresh": {"job_names": ["adhoc", " nightly-x"]}}),
                "InvalidEvent",
                "refresh.job_names[1] \" nightly-x\" is not a Glue job name",
            ),
            (
                json!({"refresh": {"job_names": ["adhoc\nx"]}}),
                "InvalidEvent",
                "single line",
            ),
            (
                json!({"refresh": {"tags": {" ": "x"}}}),
                "InvalidEvent",
                "not a Glue tag key",
            ),
            (
                json!({"refresh": {"tags": {"k": "v".repeat(257)}}}),
                "InvalidEvent",
                "longer than the 256 characters",
            ),
            (
                json!({"refresh": {"tags": {"a": "b"}}, "duration": "0"}),
                "InvalidEvent",
                "known life",
            ),
            (
                json!({"refresh": {"tags": {"a": "b"}}, "duration": "15m"}),
                "InvalidEvent",
                "minimum token life",
            ),
            (
                json!({"refresh": {"tags": {"a": "b"}}, "duration": "13h"}),
                "InvalidEvent",
                "900 to 43200",
            ),
            (
                json!({"refresh": {"tags": {"a": "b"}}, "mode": "pip"}),
                "InvalidEvent",
                "index-url or extra-index-url",
            ),
        ];
        for (value, error_type, expected) in cases {
            let err = refresh(value.clone(), &s).unwrap_err();
            assert_eq!(err.error_type(), error_type, "{value}: {err}");
            assert!(err.to_string().contains(expected), "{value}: {err}");
        }
        let many: Vec<String> = (0..51).map(|i| format!("nightly-{i}")).collect();
        let err = refresh(json!({"refresh": {"job_names": many}}), &s).unwrap_err();
        assert!(err.to_string().contains("more than the 50"), "{err}");
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("k{i}"), "v".into())).collect();
        let err = refresh(json!({"refresh": {"tags": many}}), &s).unwrap_err();
        assert!(err.to_string().contains("more than the 50"), "{err}");
    }

    #[test]
    fn refresh_overrides_need_the_deployment_s_consent() {
        for (value, field) in [
            (
                json!({"refresh": {"tags": {"a": "b"}}, "duration": "12h"}),
                "duration",
            ),
            (
                json!({"refresh": {"tags": {"a": "b"}}, "mode": "index-url"}),
                "mode",
            ),
        ] {
            let err = refresh(value, &refresh_settings("")).unwrap_err();
            assert_eq!(err.error_type(), "OverrideNotAllowed");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn events_set_only_the_arguments_the_deployment_allows() {
        let start = |arguments: serde_json::Value, allowed: &str| {
            parse(json!({"job_name": "adhoc", "arguments": arguments}))
                .unwrap()
                .validate(&settings(allowed))
        };
        // By default, no argument at all.
        let err = start(json!({"--day": "1"}), "").unwrap_err();
        assert_eq!(err.error_type(), "ArgumentNotAllowed");
        assert!(!err.is_retryable());
        let msg = err.to_string();
        assert!(
            msg.contains("--day")
                && msg.contains("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES")
                && msg.contains("nothing was started"),
            "{msg}"
        );
        assert!(start(json!({"--day": "1"}), "--day").is_ok());
        assert!(start(json!({"--report_kind": "1"}), "--report_*").is_ok());
        assert!(start(json!({"--day": "1", "--env": "x"}), "--*").is_ok());
        // Glue's own parameters: the confused deputy's tools. No pattern
        // reaches them, in any case; only the exact name does.
        for key in [
            "--scriptLocation",
            "--extra-py-files",
            "--additional-python-modules",
            "--python-modules-installer-option",
            "--extra-jars",
            "--user-jars-first",
            "--customer-driver-env-vars",
            "--TempDir",
            "--tempdir",
        ] {
            let value =
                "--extra-index-url https://evil.example/simple/ --trusted-host evil.example";
            let err = start(json!({ key: value }), "--*,duration").unwrap_err();
            assert_eq!(err.error_type(), "ArgumentNotAllowed", "{key}");
            let msg = err.to_string();
            assert!(
                msg.contains(key)
                    && msg.contains("Glue's own job parameters")
                    && !msg.contains("evil"),
                "{key}: {msg}"
            );
        }
        let request = start(json!({"--TempDir": "s3://b/t/"}), "--TempDir").unwrap();
        assert_eq!(request.arguments[0].key, "--TempDir");
        // Glue's internal ones stay refused as invalid, whatever is listed.
        let err = start(json!({"--conf": "x"}), "--*").unwrap_err();
        assert_eq!(err.error_type(), "InvalidEvent");
    }

    #[test]
    fn debug_hides_argument_values() {
        let event = parse(json!({"job_name": "adhoc", "arguments": {"--pw": "s3cr3t"}})).unwrap();
        let shown = format!("{event:?}");
        assert!(
            shown.contains("--pw") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
