//! What a failed invocation returns: an `errorType` a caller can branch on
//! and a message naming what to fix in the function's terms: the inputs a
//! use-case error names are worded by [`setting_or_field`] (event fields,
//! settings, template parameters), where the CLI names its flags.
//!
//! Every `errorType`, what it means, whether a retry may succeed and what
//! to do: [`documented_error_types`], from which `cargo run -p docgen`
//! writes `docs/lambda/errors.md`. The types of use-case errors follow the
//! one classification, [`ErrorClass`] ([`class_error_type`]); their
//! retryability is [`ErrorClass::is_transient`].
//!
//! Every bad-input error is raised before any AWS call, so nothing was
//! started. A retryable error that comes from `StartJobRun` itself proves
//! that no run started (a throttle, a connection never made); an answer
//! lost after sending is looked up, and reported as `StartOutcomeUnknown`
//! if the run cannot be found (see `glue_codeartifact_app::start_run`), so
//! retrying a retryable error never starts a second run.

use glue_codeartifact_app::{Error as StartError, ErrorClass};
use glue_codeartifact_aws::config::OPERATION_TIMEOUT_ENV;
use glue_codeartifact_domain::input::Input;
use lambda_runtime::Diagnostic;

use crate::settings::{
    ALLOWED_EVENT_OVERRIDES, ALLOWED_JOBS, DOMAIN, DOMAIN_OWNER, DURATION, MODE, Override,
    REFRESH_DURATION, REFRESH_ENABLED, REPOSITORY, REPOSITORY_ENDPOINT_HOST, START_ENABLED,
};

/// How the function names an input in a message (an
/// [`InputName`](glue_codeartifact_domain::input::InputName)): by the event
/// field that sets it, or the setting (and the template parameter that sets
/// the setting), never by a CLI flag. Exhaustive: a new input must be named
/// here (and by the CLI).
pub fn setting_or_field(input: Input) -> String {
    match input {
        Input::Job => "the job name (the event's job_name, or refresh.job_names)".to_owned(),
        Input::Tags => "the event's refresh.tags".to_owned(),
        // Only the CLI's `why` reads runs.
        Input::RunId => "the run ID (this function reads no runs)".to_owned(),
        Input::Domain => format!("{DOMAIN} (the Domain parameter)"),
        Input::DomainOwner => format!("{DOMAIN_OWNER} (the DomainOwner parameter)"),
        Input::Repository => format!("{REPOSITORY} (the Repository parameter)"),
        Input::Region => "the function's region (AWS_REGION)".to_owned(),
        Input::Credentials => "the function's execution role".to_owned(),
        Input::RepositoryEndpointHost => {
            format!("{REPOSITORY_ENDPOINT_HOST} (the RepositoryEndpointHost parameter)")
        }
        Input::Duration => format!(
            "the event's duration (default: {DURATION}, or {REFRESH_DURATION} for a refresh)"
        ),
        Input::Mode => format!("the event's mode (default: {MODE})"),
        Input::RunArguments => "the event's arguments".to_owned(),
        Input::OperationTimeout => OPERATION_TIMEOUT_ENV.to_owned(),
        Input::AllowedJobs => format!("{ALLOWED_JOBS} (the AllowedJobs parameter)"),
    }
}

/// Why an invocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The event is malformed or has an invalid value.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// The job is not in the allowlist.
    #[error(
        "job {job:?} is not in {ALLOWED_JOBS}, so this function will not start it; add the job (or a pattern matching it) to {ALLOWED_JOBS} (the AllowedJobs parameter of deploy/template.yaml, which also grants the start function's role glue:StartJobRun on it)"
    )]
    JobNotAllowed {
        /// The job asked for.
        job: String,
    },
    /// A refresh event names a job outside the allowlist: nothing was
    /// refreshed.
    #[error(
        "job {job:?} is not in {ALLOWED_JOBS}, so this function will not refresh it, and refreshed nothing; add the job (or a pattern matching it) to {ALLOWED_JOBS} (the AllowedJobs parameter of deploy/template.yaml, which also grants the refresh function's role glue:UpdateJob on it), or drop it from refresh.job_names"
    )]
    RefreshJobNotAllowed {
        /// The job named.
        job: String,
    },
    /// A start event reached a function that only refreshes (whose role may
    /// not start runs).
    #[error(
        "this function does not start runs ({START_ENABLED}=false: it only refreshes jobs, and its role may not start runs), so nothing was started; with deploy/template.yaml, send start events {{\"job_name\": …}} to the start function (the stack's FunctionName output); send this function refresh events {{\"refresh\": …}}"
    )]
    StartNotEnabled,
    /// A refresh event reached a deployment without refresh.
    #[error(
        "this function does not serve refresh events ({REFRESH_ENABLED} is not true), so it refreshed nothing; with deploy/template.yaml, send {{\"refresh\": …}} events to the refresh function (the stack's RefreshFunctionName output), which a stack deployed with EnableRefresh=true has, with a role of its own that may update the jobs; send this function start events {{\"job_name\": …}}"
    )]
    RefreshNotEnabled,
    /// A refresh failed on some jobs (and refreshed the others).
    #[error("{}", refresh_incomplete_message(.0))]
    RefreshIncomplete(RefreshFailures),
    /// The invocation's deadline came before a refresh finished.
    #[error(
        "the invocation's deadline came before the refresh finished; some jobs may be refreshed and others not. A refresh is idempotent: invoke it again, or give the function a longer timeout (or select fewer jobs per event)"
    )]
    RefreshDeadlineReached,
    /// The event sets a field the deployment does not let it override.
    #[error(
        "the event sets {field}, but this deployment does not let events override {setting}; drop {field} from the event, or add {field} to {ALLOWED_EVENT_OVERRIDES}",
        setting = field.setting()
    )]
    OverrideNotAllowed {
        /// The field.
        field: Override,
    },
    /// The event sets a run argument the deployment does not let events set;
    /// nothing was started.
    #[error("{}", argument_not_allowed_message(key, *glue_parameter))]
    ArgumentNotAllowed {
        /// The argument's name (never its value).
        key: String,
        /// Whether it is one of Glue's own job parameters.
        glue_parameter: bool,
    },
    /// The preflight checks found errors; nothing was started.
    #[error("preflight found {} error(s) in job {job:?}, so nothing was started: {}", errors.len(), errors.join("; "))]
    PreflightFailed {
        /// The job.
        job: String,
        /// Each error finding: `check: cause (fix: …)`.
        errors: Vec<String>,
    },
    /// Starting the run failed. Its message names the event fields and
    /// settings to fix ([`setting_or_field`]).
    #[error("{}", .0.message(setting_or_field))]
    Start(#[from] StartError),
}

impl HandlerError {
    /// The `errorType` reported to the caller.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            HandlerError::JobNotAllowed { .. } | HandlerError::RefreshJobNotAllowed { .. } => {
                "JobNotAllowed"
            }
            HandlerError::StartNotEnabled => "StartNotEnabled",
            HandlerError::RefreshNotEnabled => "RefreshNotEnabled",
            HandlerError::RefreshIncomplete(_) => "RefreshIncomplete",
            HandlerError::RefreshDeadlineReached => "DeadlineReached",
            HandlerError::OverrideNotAllowed { .. } => "OverrideNotAllowed",
            HandlerError::ArgumentNotAllowed { .. } => "ArgumentNotAllowed",
            HandlerError::PreflightFailed { .. } => "PreflightFailed",
            HandlerError::Start(err) => start_error_type(err),
        }
    }

    /// Whether the same event may succeed later. A refresh that failed on
    /// some jobs may, when one of their failures is transient.
    pub fn is_retryable(&self) -> bool {
        match self {
            HandlerError::RefreshIncomplete(failures) => {
                failures.failed.iter().any(|f| f.retryable)
            }
            HandlerError::Start(err) => err.class().is_transient(),
            HandlerError::RefreshDeadlineReached => true,
            HandlerError::InvalidEvent(_)
            | HandlerError::JobNotAllowed { .. }
            | HandlerError::RefreshJobNotAllowed { .. }
            | HandlerError::StartNotEnabled
            | HandlerError::RefreshNotEnabled
            | HandlerError::OverrideNotAllowed { .. }
            | HandlerError::ArgumentNotAllowed { .. }
            | HandlerError::PreflightFailed { .. } => false,
        }
    }
}

/// Whether an `errorType` names a transient failure: one of a transient
/// [`ErrorClass`]. The types of the handler's own refusals (`InvalidEvent`,
/// `JobNotAllowed`, …) never are.
pub fn is_retryable_type(error_type: &str) -> bool {
    ErrorClass::ALL
        .into_iter()
        .any(|class| class.is_transient() && class_error_type(class) == error_type)
}

fn argument_not_allowed_message(key: &str, glue_parameter: bool) -> String {
    if glue_parameter {
        format!(
            "the event sets the run argument {key}, one of Glue's own job parameters, which choose the code, the packages or the setup that the job's IAM role runs; this deployment does not let events set it, so nothing was started. Drop {key} from the event (set it in the job's DefaultArguments instead), or, only if every caller that may invoke this function may choose it, add {key} by its exact name to {ALLOWED_EVENT_OVERRIDES} (the AllowedEventOverrides parameter of deploy/template.yaml; see docs/security.md)"
        )
    } else {
        format!(
            "the event sets the run argument {key}, which this deployment does not let events set (events may set no argument unless {ALLOWED_EVENT_OVERRIDES} allows it), so nothing was started. Drop {key} from the event, or add {key} (or a pattern such as --report_*) to {ALLOWED_EVENT_OVERRIDES} (the AllowedEventOverrides parameter of deploy/template.yaml)"
        )
    }
}

/// The jobs a refresh could not refresh, and how many it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFailures {
    /// Jobs refreshed.
    pub refreshed: usize,
    /// Jobs skipped (outside `ALLOWED_JOBS`).
    pub skipped: usize,
    /// When the token written into the refreshed jobs expires (RFC 3339).
    pub token_expiration: String,
    /// Each job that failed.
    pub failed: Vec<JobFailure>,
}

/// One job a refresh could not refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    /// The job.
    pub job: String,
    /// The failure's `errorType`.
    pub error_type: &'static str,
    /// Whether it is transient.
    pub retryable: bool,
    /// What went wrong and how to fix it.
    pub message: String,
}

fn refresh_incomplete_message(f: &RefreshFailures) -> String {
    // Bounded: a selection by tag may be long, and the message is logged.
    const SHOWN: usize = 5;
    let mut jobs: Vec<String> = f
        .failed
        .iter()
        .take(SHOWN)
        .map(|j| format!("{:?}: {}: {}", j.job, j.error_type, j.message))
        .collect();
    if f.failed.len() > SHOWN {
        jobs.push(format!(
            "and {} more (see the logs)",
            f.failed.len() - SHOWN
        ));
    }
    format!(
        "refresh failed on {} of {} jobs ({} refreshed, their token expires at {}; {} skipped): {}. A refresh is idempotent: once the cause is fixed, invoking it again is safe",
        f.failed.len(),
        f.failed.len() + f.refreshed,
        f.refreshed,
        f.token_expiration,
        f.skipped,
        jobs.join("; ")
    )
}

/// The `errorType` of a use-case error: from its class ([`StartError::class`]),
/// the one classification the CLI's exit codes follow too.
pub fn start_error_type(err: &StartError) -> &'static str {
    class_error_type(err.class())
}

/// The `errorType` of a class of use-case error. Exhaustive: a new class
/// must get its type here (and, if transient, it is retryable by
/// [`is_retryable_type`], which follows [`ErrorClass::is_transient`]).
pub fn class_error_type(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::NoRegion | ErrorClass::InvalidSetting => "Configuration",
        ErrorClass::JobNotFound => "JobNotFound",
        ErrorClass::RepositoryNotFound => "RepositoryNotFound",
        ErrorClass::AccessDenied => "AccessDenied",
        ErrorClass::Throttled => "Throttled",
        ErrorClass::Credentials => "Credentials",
        ErrorClass::InvalidParameter => "InvalidParameter",
        ErrorClass::ConcurrentRunsExceeded => "ConcurrentRunsExceeded",
        ErrorClass::Unreachable => "Unreachable",
        ErrorClass::Service => "ServiceError",
        ErrorClass::JobNotSupported => "JobNotSupported",
        ErrorClass::InvalidEndpoint => "InvalidEndpoint",
        ErrorClass::TokenLifeTooShort => "TokenLifeTooShort",
        ErrorClass::DeadlineReached => "DeadlineReached",
        ErrorClass::StartOutcomeUnknown => "StartOutcomeUnknown",
        ErrorClass::RunNotFound => "RunNotFound",
        ErrorClass::NoJobsWithTags => "NoJobsWithTags",
        ErrorClass::NoJobsAllowed => "NoJobsAllowed",
        ErrorClass::ConcurrentEdit => "ConcurrentEdit",
        ErrorClass::UpdateNotVerified => "UpdateNotVerified",
        // Only `lock` (the CLI) makes these; the function never locks.
        ErrorClass::ResolutionFailed
        | ErrorClass::UvUnavailable
        | ErrorClass::UnsupportedRuntime
        | ErrorClass::NotLockable => "Configuration",
        // The Lambda never runs wheelhouse; classified for completeness.
        ErrorClass::BucketNotFound => "BucketNotFound",
        ErrorClass::LockMismatch => "LockMismatch",
        ErrorClass::DownloadCorrupt => "DownloadCorrupt",
        ErrorClass::NotVerified => "NotVerified",
    }
}

/// Whether the same event, sent again unchanged, may succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Never: something must be fixed first (or, for
    /// `StartOutcomeUnknown`, looked at).
    No,
    /// Yes: the failure is transient, and no run was started.
    Yes,
    /// When the reason given holds.
    Depends(&'static str),
}

/// One `errorType` as `docs/lambda/errors.md` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorTypeDoc {
    /// The `errorType`.
    pub error_type: &'static str,
    /// What it means.
    pub meaning: String,
    /// Whether a retry may succeed.
    pub retry: Retry,
    /// What to do.
    pub what_to_do: String,
}

/// The function's own refusals (each raised before any AWS call, so
/// nothing was started or changed) and the cold start's: `errorType`,
/// meaning, retry, what to do. A test checks each against a sample error.
const OWN_TYPES: &[(&str, &str, Retry, &str)] = &[
    (
        "InvalidEvent",
        "the event is not a start or refresh event: an unknown field, a wrong type, a missing or invalid value (the message names it)",
        Retry::No,
        "fix the event as the message says; its shape: [events](events.md), [the schema](../lambda-event.schema.json)",
    ),
    (
        "JobNotAllowed",
        "the job (or one a refresh event names) is outside `GLUE_CODEARTIFACT_ALLOWED_JOBS`; a refresh naming one refreshes nothing",
        Retry::No,
        "add the job, or a pattern matching it, to the `AllowedJobs` parameter (which also grants the role on it), or drop it from the event",
    ),
    (
        "OverrideNotAllowed",
        "the event sets `duration` or `mode`, which `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` does not list",
        Retry::No,
        "drop the field from the event, or list it in `AllowedEventOverrides`",
    ),
    (
        "ArgumentNotAllowed",
        "the event sets a run argument that `GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES` does not allow (none by default; Glue's own parameters only by exact name)",
        Retry::No,
        "drop the argument (set it in the job's `DefaultArguments`), or allow it in `AllowedEventOverrides` ([security](../security.md))",
    ),
    (
        "PreflightFailed",
        "the event asked for a preflight (`\"preflight\": true`) and `doctor`'s checks found an error; nothing was started",
        Retry::No,
        "fix what each finding names (run `glue-codeartifact doctor --job J` for the details)",
    ),
    (
        "StartNotEnabled",
        "a start event to a function with `GLUE_CODEARTIFACT_START_ENABLED=false`: with the template, the refresh function",
        Retry::No,
        "send start events to the start function (the stack's `FunctionName` output)",
    ),
    (
        "RefreshNotEnabled",
        "a refresh event to a function without `GLUE_CODEARTIFACT_REFRESH_ENABLED=true`: with the template, the start function",
        Retry::No,
        "send refresh events to the refresh function (`RefreshFunctionName`; deploy with `EnableRefresh=true`)",
    ),
    (
        "RefreshIncomplete",
        "a refresh failed on some jobs (each named with its own error type) and refreshed the others",
        Retry::Depends(
            "if one job's failure is retryable; a refresh is idempotent, so a retry is always safe",
        ),
        "fix what each job's error names, then invoke the refresh again ([refresh mode](refresh.md))",
    ),
    (
        "InvalidSettings",
        "the function's environment is invalid (cold start; the message names the variable)",
        Retry::No,
        "fix the setting (the template parameter) and redeploy ([settings](settings.md))",
    ),
];

/// What a class means to a caller of the function, and what to do; `None`
/// for the classes only the CLI's commands make. Exhaustive: a new class
/// must be documented here.
fn class_doc(class: ErrorClass) -> Option<(&'static str, &'static str)> {
    Some(match class {
        ErrorClass::NoRegion => (
            "no AWS region is configured (Lambda sets `AWS_REGION` itself)",
            "outside Lambda, set `AWS_REGION`",
        ),
        ErrorClass::InvalidSetting => (
            "a setting of the deployment is invalid, e.g. `GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST`; nothing was started",
            "fix the setting the message names and redeploy",
        ),
        ErrorClass::JobNotFound => (
            "no Glue job by that name in the function's account and region",
            "check `job_name` (case matters) and the region",
        ),
        ErrorClass::RepositoryNotFound => (
            "no such CodeArtifact domain or repository (or not owned by `GLUE_CODEARTIFACT_DOMAIN_OWNER`)",
            "fix the `Domain`, `Repository` or `DomainOwner` parameter",
        ),
        ErrorClass::AccessDenied => (
            "the function's role lacks a permission (the message names the action)",
            "grant it: the template's policies are `glue-codeartifact iam-policy`'s ([security](../security.md))",
        ),
        ErrorClass::Credentials => (
            "the function has no valid credentials",
            "check the function's execution role and its trust policy",
        ),
        ErrorClass::Throttled => (
            "AWS throttled a call past the SDK's retries; nothing was started",
            "retry with backoff",
        ),
        ErrorClass::InvalidParameter => (
            "AWS rejected a value (a run argument, a job setting; the message names it)",
            "fix the value",
        ),
        ErrorClass::ConcurrentRunsExceeded => (
            "the job already runs its `MaxConcurrentRuns`; no run was started (a duplicate asynchronous event ends here too: [deploy](deploy.md#when-an-invocation-fails))",
            "retry once the current run ends, or raise `MaxConcurrentRuns`",
        ),
        ErrorClass::Unreachable => (
            "an AWS endpoint could not be reached or timed out; nothing was started",
            "retry; in a VPC, check the interface endpoints or the NAT",
        ),
        ErrorClass::Service => (
            "AWS answered with a server error; nothing was started",
            "retry",
        ),
        ErrorClass::JobNotSupported => (
            "the job cannot take an index URL (a Ray job, Glue before 2.0, a non-overridable option, …; the message says which)",
            "change the job as the message says, or bind it to a wheelhouse ([install sources](../install-sources.md))",
        ),
        ErrorClass::NoJobsWithTags => (
            "a refresh by tags found no job carrying them",
            "check the tags (keys and values match exactly)",
        ),
        ErrorClass::NoJobsAllowed => (
            "a refresh by tags found jobs, but none that `GLUE_CODEARTIFACT_ALLOWED_JOBS` allows",
            "add them to `AllowedJobs`, or fix the tags",
        ),
        ErrorClass::ConcurrentEdit => (
            "(per job, in `RefreshIncomplete`) someone changed the job during its refresh (the message names what changed, never values)",
            "refresh again",
        ),
        ErrorClass::UpdateNotVerified => (
            "(per job, in `RefreshIncomplete`) the job WAS updated (`UpdateJob` succeeded), but the read that verifies the update failed (the message gives that read's error); it is not reported as refreshed",
            "read the job to check its arguments, or refresh again (idempotent)",
        ),
        ErrorClass::InvalidEndpoint => (
            "CodeArtifact's repository endpoint gave no usable index URL",
            "check that the repository serves `pypi` and any `GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST`",
        ),
        ErrorClass::TokenLifeTooShort => (
            "a minted token would expire before the run's installs (`GLUE_CODEARTIFACT_MIN_TOKEN_LIFE` plus a minute), e.g. `duration` `0` in a short role session",
            "raise the `duration`, or lower `GLUE_CODEARTIFACT_MIN_TOKEN_LIFE`",
        ),
        ErrorClass::DeadlineReached => (
            "the invocation's deadline (the function's timeout, less 1 s) came before AWS answered; a start started nothing, a refresh may have refreshed some jobs",
            "retry; if it recurs, raise the function's `Timeout`",
        ),
        ErrorClass::StartOutcomeUnknown => (
            "`StartJobRun`'s answer was lost and the run could not be found: **a run may have started**",
            "list the job's runs (`aws glue get-job-runs`) before starting it again; never retry blindly ([why](../design/startjobrun-idempotency.md))",
        ),
        // `why`, `lock` and `wheelhouse` are the CLI's; the function never
        // runs them.
        ErrorClass::RunNotFound
        | ErrorClass::ResolutionFailed
        | ErrorClass::UvUnavailable
        | ErrorClass::UnsupportedRuntime
        | ErrorClass::NotLockable
        | ErrorClass::BucketNotFound
        | ErrorClass::LockMismatch
        | ErrorClass::DownloadCorrupt
        | ErrorClass::NotVerified => return None,
    })
}

/// Every `errorType` the function returns: its own refusals, then those of
/// the use-case errors, one row per type (classes that share a type share
/// its row). `cargo run -p docgen` writes `docs/lambda/errors.md` from it.
pub fn documented_error_types() -> Vec<ErrorTypeDoc> {
    let mut docs: Vec<ErrorTypeDoc> = OWN_TYPES
        .iter()
        .map(|&(error_type, meaning, retry, what_to_do)| ErrorTypeDoc {
            error_type,
            meaning: meaning.to_owned(),
            retry,
            what_to_do: what_to_do.to_owned(),
        })
        .collect();
    for class in ErrorClass::ALL {
        let Some((meaning, what_to_do)) = class_doc(class) else {
            continue;
        };
        let error_type = class_error_type(class);
        let retry = if class.is_transient() {
            Retry::Yes
        } else {
            Retry::No
        };
        match docs.iter_mut().find(|d| d.error_type == error_type) {
            Some(doc) => {
                doc.meaning = format!("{}; or {meaning}", doc.meaning);
                doc.what_to_do = format!("{}; or {what_to_do}", doc.what_to_do);
            }
            None => docs.push(ErrorTypeDoc {
                error_type,
                meaning: meaning.to_owned(),
                retry,
                what_to_do: what_to_do.to_owned(),
            }),
        }
    }
    docs
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_codeartifact_aws::Operation;

    #[test]
    fn every_input_is_named_without_a_cli_flag() {
        for input in Input::ALL {
            let name = setting_or_field(input);
            assert!(!name.contains("--"), "{input:?}: {name}");
        }
        // The use-case errors worded for the function: no flag.
        let missing = HandlerError::Start(StartError::JobNotFound {
            job: "etl".into(),
            region: "us-east-1".into(),
        });
        let msg = Diagnostic::from(missing).error_message;
        assert!(msg.contains("job_name") && !msg.contains("--job"), "{msg}");
        let bad_host = HandlerError::Start(StartError::VpcEndpoint(
            glue_codeartifact_domain::repository_endpoint::VpcEndpointError::InvalidHost {
                host: "x y".into(),
            },
        ));
        let msg = bad_host.to_string();
        assert!(
            msg.starts_with("GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST (the RepositoryEndpointHost parameter) \"x y\" is not a host name"),
            "{msg}"
        );
    }

    #[test]
    fn types_and_retries() {
        let throttled = HandlerError::Start(StartError::Throttled {
            operation: Operation::GetAuthorizationToken,
        });
        assert_eq!(throttled.error_type(), "Throttled");
        assert!(throttled.is_retryable());
        let denied = HandlerError::Start(StartError::AccessDenied {
            operation: Operation::StartJobRun,
            actions: vec!["glue:StartJobRun".into()],
            message: "no".into(),
        });
        assert_eq!(denied.error_type(), "AccessDenied");
        assert!(!denied.is_retryable());
        let refused = HandlerError::JobNotAllowed { job: "x".into() };
        assert!(!refused.is_retryable());
        let diagnostic = Diagnostic::from(refused);
        assert_eq!(diagnostic.error_type, "JobNotAllowed");
        assert!(diagnostic.error_message.contains("ALLOWED_JOBS"));
        // A run may have started: a retry of the event could start a second.
        let unknown = HandlerError::Start(StartError::StartOutcomeUnknown {
            job: "x".into(),
            since: std::time::SystemTime::UNIX_EPOCH,
            cause: "reset".into(),
            lookup: "none found".into(),
        });
        assert_eq!(unknown.error_type(), "StartOutcomeUnknown");
        assert!(!unknown.is_retryable());
        let late = HandlerError::Start(StartError::DeadlineReached { job: "x".into() });
        assert_eq!(late.error_type(), "DeadlineReached");
        assert!(late.is_retryable());
    }

    #[test]
    fn every_class_has_a_type_retryable_exactly_when_transient() {
        for class in ErrorClass::ALL {
            let error_type = class_error_type(class);
            assert_eq!(
                is_retryable_type(error_type),
                class.is_transient(),
                "{class:?} ({error_type})"
            );
        }
        // A misconfigured VPC endpoint host is the deployment's to fix: not
        // a retryable ServiceError.
        let bad_host = HandlerError::Start(StartError::VpcEndpoint(
            glue_codeartifact_domain::repository_endpoint::VpcEndpointError::InvalidHost {
                host: "x y".into(),
            },
        ));
        assert_eq!(bad_host.error_type(), "Configuration");
        assert!(!bad_host.is_retryable());
        assert!(HandlerError::RefreshDeadlineReached.is_retryable());
        assert!(is_retryable_type(
            HandlerError::RefreshDeadlineReached.error_type()
        ));
    }

    #[test]
    fn every_error_type_is_documented_with_its_retry() {
        let docs = documented_error_types();
        let doc = |error_type: &str| {
            let found: Vec<_> = docs.iter().filter(|d| d.error_type == error_type).collect();
            assert_eq!(found.len(), 1, "{error_type} has one row");
            found[0].clone()
        };
        for class in ErrorClass::ALL {
            if class_doc(class).is_none() {
                continue;
            }
            let row = doc(class_error_type(class));
            let expected = if class.is_transient() {
                Retry::Yes
            } else {
                Retry::No
            };
            assert_eq!(row.retry, expected, "{class:?}");
        }
        let samples = [
            HandlerError::InvalidEvent("x".into()),
            HandlerError::JobNotAllowed { job: "x".into() },
            HandlerError::RefreshJobNotAllowed { job: "x".into() },
            HandlerError::StartNotEnabled,
            HandlerError::RefreshNotEnabled,
            HandlerError::RefreshIncomplete(RefreshFailures {
                refreshed: 0,
                skipped: 0,
                token_expiration: String::new(),
                failed: Vec::new(),
            }),
            HandlerError::RefreshDeadlineReached,
            HandlerError::OverrideNotAllowed {
                field: Override::Mode,
            },
            HandlerError::ArgumentNotAllowed {
                key: "--x".into(),
                glue_parameter: false,
            },
            HandlerError::PreflightFailed {
                job: "x".into(),
                errors: Vec::new(),
            },
        ];
        for sample in samples {
            // A new variant must get a sample above (and a row).
            match &sample {
                HandlerError::InvalidEvent(_)
                | HandlerError::JobNotAllowed { .. }
                | HandlerError::RefreshJobNotAllowed { .. }
                | HandlerError::StartNotEnabled
                | HandlerError::RefreshNotEnabled
                | HandlerError::RefreshIncomplete(_)
                | HandlerError::RefreshDeadlineReached
                | HandlerError::OverrideNotAllowed { .. }
                | HandlerError::ArgumentNotAllowed { .. }
                | HandlerError::PreflightFailed { .. }
                | HandlerError::Start(_) => {}
            }
            let row = doc(sample.error_type());
            match row.retry {
                Retry::Yes => assert!(sample.is_retryable(), "{sample:?}"),
                Retry::No => assert!(!sample.is_retryable(), "{sample:?}"),
                Retry::Depends(_) => {}
            }
        }
        for error_type in ["InvalidSettings", "Configuration"] {
            doc(error_type);
        }
        for row in &docs {
            assert!(
                !row.meaning.is_empty() && !row.what_to_do.is_empty(),
                "{row:?}"
            );
        }
    }

    #[test]
    fn an_incomplete_refresh_names_each_failure_and_is_retryable_if_one_is() {
        let failure = |job: &str, error_type: &'static str| JobFailure {
            job: job.into(),
            error_type,
            retryable: is_retryable_type(error_type),
            message: format!("{job} went wrong"),
        };
        let mut failures = RefreshFailures {
            refreshed: 2,
            skipped: 1,
            token_expiration: "2026-01-01T12:00:00Z".into(),
            failed: vec![failure("gone", "JobNotFound")],
        };
        let err = HandlerError::RefreshIncomplete(failures.clone());
        assert_eq!(err.error_type(), "RefreshIncomplete");
        assert!(!err.is_retryable(), "a missing job stays missing");
        let msg = err.to_string();
        assert!(
            msg.starts_with("refresh failed on 1 of 3 jobs (2 refreshed, their token expires at 2026-01-01T12:00:00Z; 1 skipped)")
                && msg.contains("\"gone\": JobNotFound: gone went wrong")
                && msg.contains("idempotent"),
            "{msg}"
        );
        failures.failed.push(failure("busy", "Throttled"));
        assert!(HandlerError::RefreshIncomplete(failures.clone()).is_retryable());
        // A long selection stays a bounded message.
        failures.failed = (0..40)
            .map(|i| failure(&format!("job-{i}"), "AccessDenied"))
            .collect();
        let msg = HandlerError::RefreshIncomplete(failures).to_string();
        assert!(msg.contains("and 35 more (see the logs)"), "{msg}");
        assert!(!msg.contains("job-5"), "{msg}");
    }
}
