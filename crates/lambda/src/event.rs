//! The invocation event, and its validation against the settings.
//!
//! ```json
//! {"job_name": "nightly-etl", "arguments": {"--day": "2024-01-31"}, "duration": "1h", "mode": "index-url"}
//! ```
//!
//! Only `job_name` is required. `arguments` are extra run arguments (keys
//! start with `--`, values are strings), checked like the CLI's `--arg`.
//! `duration` and `mode` override the deployment's settings, and only where
//! `ALLOWED_EVENT_OVERRIDES` lists them; `null` means "not given". Any other
//! field, or a field of the wrong type, rejects the event. The JSON Schema is
//! `docs/lambda-event.schema.json`; examples per trigger are in
//! `docs/events/`.
//!
//! New fields are added as `Option`s with `#[serde(default)]`, so older
//! events stay valid.

use std::{collections::BTreeMap, fmt};

use glue_codeartifact_app::start::StartRequest;
use glue_codeartifact_domain::{
    duration::TokenDuration,
    job_pattern::{MAX_JOB_NAME_LEN, check_job_name},
    run_plan::{RunArgument, RunArgumentError, check_arguments_size},
};
use serde::Deserialize;

use crate::{
    error::HandlerError,
    settings::{Override, Settings, parse_mode},
};

/// What one invocation asks for.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StartEvent {
    /// The Glue job to start. Must be allowed by `ALLOWED_JOBS`.
    pub job_name: String,
    /// Extra run arguments, `{"--key": "value"}`.
    #[serde(default)]
    pub arguments: BTreeMap<String, String>,
    /// The token's lifetime (`15m`–`12h`, `0`, or seconds), if the
    /// deployment lets events choose it.
    #[serde(default)]
    pub duration: Option<String>,
    /// `index-url` or `extra-index-url`, if the deployment lets events
    /// choose it.
    #[serde(default)]
    pub mode: Option<String>,
    /// Run `doctor`'s checks first and start nothing if any finds an error.
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
        serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let at = if path == "." || path.is_empty() {
                String::new()
            } else {
                format!(" at {path}")
            };
            HandlerError::InvalidEvent(format!("{inner}{at}; send {EVENT_SHAPE}"))
        })
    }

    /// Checks the event against the deployment's settings and turns it into
    /// a start request. Nothing here calls AWS.
    pub fn validate(self, settings: &Settings) -> Result<StartRequest, HandlerError> {
        let job = self.job_name.trim();
        if job.is_empty() {
            return Err(HandlerError::InvalidEvent(format!(
                "job_name is empty; send {EVENT_SHAPE}"
            )));
        }
        if job.len() != self.job_name.len() || job.chars().count() > MAX_JOB_NAME_LEN {
            // A huge name is not echoed whole into the error and the logs.
            let mut shown: String = self.job_name.chars().take(64).collect();
            if shown.len() < self.job_name.len() {
                shown.push('…');
            }
            return Err(HandlerError::InvalidEvent(format!(
                "job_name {shown:?} is not a Glue job name (leading or trailing spaces, or longer than {MAX_JOB_NAME_LEN} characters)"
            )));
        }
        check_job_name(job).map_err(|e| HandlerError::InvalidEvent(format!("job_name: {e}")))?;
        if !settings.allowed_jobs.allows(job) {
            return Err(HandlerError::JobNotAllowed {
                job: job.to_owned(),
            });
        }
        for (field, given) in [
            (Override::Duration, self.duration.is_some()),
            (Override::Mode, self.mode.is_some()),
        ] {
            if given && !settings.allows_override(field) {
                return Err(HandlerError::OverrideNotAllowed { field });
            }
        }
        let arguments = self
            .arguments
            .into_iter()
            .map(|(key, value)| argument(key, value))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HandlerError::InvalidEvent(format!("invalid arguments: {e}")))?;
        check_arguments_size(&arguments)
            .map_err(|e| HandlerError::InvalidEvent(format!("invalid arguments: {e}")))?;
        let duration = match &self.duration {
            Some(text) => {
                let duration = text
                    .parse::<TokenDuration>()
                    .map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
                settings
                    .freshness
                    .check_duration(duration)
                    .map_err(|e| HandlerError::InvalidEvent(format!("invalid duration: {e}")))?;
                duration
            }
            None => settings.duration,
        };
        let mode = match &self.mode {
            Some(text) => parse_mode(text)
                .map_err(|e| HandlerError::InvalidEvent(format!("invalid mode: {e}")))?,
            None => settings.mode,
        };
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

/// One `"--key": "value"` pair, checked like the CLI's `--arg --key=value`.
fn argument(key: String, value: String) -> Result<RunArgument, RunArgumentError> {
    if key.contains('=') {
        return Err(RunArgumentError::InvalidKey { key });
    }
    let mut parsed: RunArgument = format!("{key}=").parse()?;
    parsed.value = value;
    Ok(parsed)
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

    fn settings(overrides: &str) -> Settings {
        Settings::from_lookup(|name| {
            match name {
                "GLUE_CODEARTIFACT_DOMAIN" => Some("acme"),
                "GLUE_CODEARTIFACT_REPOSITORY" => Some("py"),
                "ALLOWED_JOBS" => Some("nightly-*,adhoc"),
                "ALLOWED_EVENT_OVERRIDES" => Some(overrides),
                _ => None,
            }
            .map(str::to_owned)
        })
        .unwrap()
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
        let request = event.validate(&settings("duration,mode")).unwrap();
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
        let s = settings("duration,mode");
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
