//! What a failed invocation returns: an `errorType` a caller can branch on
//! and the same fix-naming message as the CLI.
//!
//! | `errorType` | meaning | retry? |
//! |---|---|---|
//! | `InvalidEvent` | unknown field, wrong type, missing or bad value | no |
//! | `JobNotAllowed` | the job is outside `ALLOWED_JOBS` | no |
//! | `OverrideNotAllowed` | the event sets a field `ALLOWED_EVENT_OVERRIDES` does not list | no |
//! | `JobNotFound`, `RepositoryNotFound` | no such Glue job, domain or repository | no |
//! | `AccessDenied`, `Credentials` | the role lacks a permission, or has no valid credentials | no |
//! | `JobNotSupported` | the job cannot take an index URL (Ray, old Glue, non-overridable option, …) | no |
//! | `TokenTooShort` | a minted token would expire before the run's installs | no |
//! | `InvalidParameter`, `InvalidEndpoint`, `Configuration` | AWS rejected a value, or the setup is wrong | no |
//! | `Throttled`, `Unreachable`, `ConcurrentRunsExceeded`, `ServiceError` | transient AWS failures | yes |
//! | `DeadlineReached` | the invocation's deadline came before AWS answered the reads; nothing was started | yes |
//! | `StartOutcomeUnknown` | `StartJobRun`'s answer was lost and the run could not be found: a run may have started | **no**: check the job's runs first |
//!
//! Every bad-input error is raised before any AWS call, so nothing was
//! started. A retryable error that comes from `StartJobRun` itself proves
//! that no run started (a throttle, a connection never made); an answer
//! lost after sending is looked up, and reported as `StartOutcomeUnknown`
//! if the run cannot be found (see `glue_codeartifact_app::start_run`), so
//! retrying a retryable error never starts a second run.

use glue_codeartifact_app::Error as StartError;
use lambda_runtime::Diagnostic;

use crate::settings::{ALLOWED_EVENT_OVERRIDES, ALLOWED_JOBS, Override};

/// Why an invocation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The event is malformed or has an invalid value.
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// The job is not in the allowlist.
    #[error(
        "job {job:?} is not in {ALLOWED_JOBS}, so this function will not start it; add the job (or a pattern matching it) to {ALLOWED_JOBS} (the AllowedJobs parameter of deploy/template.yaml, which also grants the role glue:StartJobRun on it)"
    )]
    JobNotAllowed {
        /// The job asked for.
        job: String,
    },
    /// The event sets a field the deployment does not let it override.
    #[error(
        "the event sets {field}, but this deployment does not let events override {setting}; drop {field} from the event, or add {field} to {ALLOWED_EVENT_OVERRIDES}",
        setting = field.setting()
    )]
    OverrideNotAllowed {
        /// The field.
        field: Override,
    },
    /// The preflight checks found errors; nothing was started.
    #[error("preflight found {} error(s) in job {job:?}, so nothing was started: {}", errors.len(), errors.join("; "))]
    PreflightFailed {
        /// The job.
        job: String,
        /// Each error finding: `check: cause (fix: …)`.
        errors: Vec<String>,
    },
    /// Starting the run failed.
    #[error(transparent)]
    Start(#[from] StartError),
}

impl HandlerError {
    /// The `errorType` reported to the caller.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            HandlerError::JobNotAllowed { .. } => "JobNotAllowed",
            HandlerError::OverrideNotAllowed { .. } => "OverrideNotAllowed",
            HandlerError::PreflightFailed { .. } => "PreflightFailed",
            HandlerError::Start(err) => start_error_type(err),
        }
    }

    /// Whether the same event may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.error_type(),
            "Throttled"
                | "Unreachable"
                | "ConcurrentRunsExceeded"
                | "ServiceError"
                | "DeadlineReached"
        )
    }
}

/// The `errorType` of a use-case error.
pub fn start_error_type(err: &StartError) -> &'static str {
    match err {
        StartError::Config(_) => "Configuration",
        StartError::JobNotFound { .. } => "JobNotFound",
        StartError::RepositoryNotFound { .. } => "RepositoryNotFound",
        StartError::AccessDenied { .. } => "AccessDenied",
        StartError::Throttled { .. } => "Throttled",
        StartError::Credentials { .. } => "Credentials",
        StartError::InvalidParameter { .. } => "InvalidParameter",
        StartError::ConcurrentRunsExceeded { .. } => "ConcurrentRunsExceeded",
        StartError::Unreachable { .. } => "Unreachable",
        StartError::Service(_) => "ServiceError",
        StartError::Plan(_) => "JobNotSupported",
        StartError::IndexUrl(_) => "InvalidEndpoint",
        StartError::TokenLife(_) => "TokenTooShort",
        StartError::DeadlineReached { .. } => "DeadlineReached",
        StartError::StartOutcomeUnknown { .. } => "StartOutcomeUnknown",
        _ => "ServiceError",
    }
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
}
