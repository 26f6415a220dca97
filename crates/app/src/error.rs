//! One error type for the use cases. Each variant says what is wrong and
//! how to fix it; none carries a token.

use glue_codeartifact_aws::{
    AwsError, AwsErrorKind, ConfigError, Operation, UpdateJobError, job_update::JobUpdateError,
};
use glue_codeartifact_domain::{
    index_url::IndexUrlError, repository_endpoint::VpcEndpointError, run_plan::PlanError,
    token_cache::TokenLifeError,
};

use glue_codeartifact_domain::input::{Input, InputName};

use crate::RepositoryRef;

/// Why a use case failed. Not `#[non_exhaustive]`: every crate of the
/// workspace that matches on it must decide for each variant; the shells
/// match on [`Error::class`] instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No region is configured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The Glue job does not exist.
    #[error("{}", self.message(Input::plain))]
    JobNotFound {
        /// The job.
        job: String,
        /// The region asked.
        region: String,
    },
    /// The CodeArtifact domain or repository does not exist.
    #[error("{}", self.message(Input::plain))]
    RepositoryNotFound {
        /// `domain "acme"` or `repository "acme/py"`.
        what: String,
        /// The region asked.
        region: String,
        /// What AWS said.
        message: String,
    },
    /// A permission is missing.
    #[error("access denied to {operation}: the caller needs the IAM permission {} ({message}); grant it to the role or user running glue-codeartifact (see `glue-codeartifact iam-policy`)", actions.join(" and "))]
    AccessDenied {
        /// The operation denied.
        operation: Operation,
        /// The IAM actions to grant.
        actions: Vec<String>,
        /// What AWS said.
        message: String,
    },
    /// Throttled past the retries.
    #[error(
        "{operation} was throttled and the retries did not get through; try again later, or allow more attempts with AWS_MAX_ATTEMPTS"
    )]
    Throttled {
        /// The operation throttled.
        operation: Operation,
    },
    /// Credentials are missing or rejected.
    #[error("{}", self.message(Input::plain))]
    Credentials {
        /// The operation attempted.
        operation: Operation,
        /// What failed.
        message: String,
    },
    /// The service rejected a parameter.
    #[error("{operation} rejected a parameter: {message}")]
    InvalidParameter {
        /// The operation.
        operation: Operation,
        /// What AWS said.
        message: String,
    },
    /// The job runs its maximum of concurrent runs.
    #[error(
        "job {job:?} already runs its maximum number of concurrent runs (MaxConcurrentRuns); wait for a run to end or raise the job's MaxConcurrentRuns"
    )]
    ConcurrentRunsExceeded {
        /// The job.
        job: String,
    },
    /// The service could not be reached or timed out.
    #[error(
        "could not reach AWS for {operation}: {message}; check the network, proxy settings and AWS_ENDPOINT_URL_* overrides"
    )]
    Unreachable {
        /// The operation.
        operation: Operation,
        /// What failed.
        message: String,
    },
    /// Any other service error.
    #[error("{0}")]
    Service(AwsError),
    /// The job's configuration does not allow a run with an index URL.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// No job carries the tags a refresh selects by.
    #[error("{}", self.message(Input::plain))]
    NoJobsWithTags {
        /// The tags, `KEY=VALUE`.
        tags: Vec<String>,
        /// The region asked.
        region: String,
    },
    /// Every job a refresh selected is outside the allowed jobs.
    #[error("{}", self.message(Input::plain))]
    NoJobsAllowed {
        /// The jobs selected, none allowed.
        skipped: Vec<String>,
        /// The allowed jobs (names and patterns).
        allowed: String,
    },
    /// The job cannot be updated without changing more than its arguments.
    #[error(transparent)]
    JobUpdate(#[from] JobUpdateError),
    /// Someone else changed the job while it was being refreshed.
    #[error(
        "job {job:?} was changed by someone else while it was being refreshed (after the update it differs in {}), so it is not reported as refreshed: check the job's definition (their edit may have been replaced by ours, or ours by theirs), then run refresh again",
        changed.join(", ")
    )]
    ConcurrentEdit {
        /// The job.
        job: String,
        /// What differs from what refresh wrote (fields and argument keys,
        /// never values).
        changed: Vec<String>,
    },
    /// `UpdateJob` succeeded, but the read that verifies the update failed:
    /// the job WAS updated, only the check is missing.
    #[error("{}", self.message(Input::plain))]
    UpdateNotVerified {
        /// The job.
        job: String,
        /// What the update was (`refreshed`, `bound`).
        done: &'static str,
        /// The command that updated it (`refresh`, `wheelhouse`).
        command: &'static str,
        /// Why the verifying read failed.
        source: Box<Error>,
    },
    /// The endpoint could not be rewritten for the VPC endpoint host.
    #[error(transparent)]
    VpcEndpoint(#[from] VpcEndpointError),
    /// The repository endpoint gave no usable index URL.
    #[error(transparent)]
    IndexUrl(#[from] IndexUrlError),
    /// A token would not live long enough for the run (warm cache only).
    #[error(transparent)]
    TokenLife(#[from] TokenLifeError),
    /// The job has no run, or not the one asked for.
    #[error("{}", self.message(Input::plain))]
    RunNotFound {
        /// The job.
        job: String,
        /// The run asked for, if any.
        run_id: Option<String>,
    },
    /// The caller's deadline (a Lambda invocation's) came before the reads
    /// answered; nothing was started.
    #[error(
        "the invocation's deadline came before GetJob, GetRepositoryEndpoint and GetAuthorizationToken answered for job {job:?}; nothing was started. Try again, or give the function a longer timeout (or shorter GLUE_CODEARTIFACT_*_TIMEOUTs)"
    )]
    DeadlineReached {
        /// The job.
        job: String,
    },
    /// What `lock` was asked to lock cannot be locked (an S3 module, no
    /// modules, an invalid requirements file, a job type without pip).
    #[error("{0}")]
    Lockable(String),
    /// The requirements do not resolve for the runtime (in Glue terms: what
    /// is missing, which wheel is absent, which provided package would be
    /// replaced).
    #[error("{0}")]
    Resolution(String),
    /// The job's Glue version or Python is not in the runtime table.
    #[error(transparent)]
    Runtime(glue_codeartifact_python_env::runtime::RuntimeError),
    /// uv is missing, too old, or failed.
    #[error(transparent)]
    Uv(glue_codeartifact_uv::UvError),
    /// `wheelhouse` failed (a missing bucket, a lock for another runtime, a
    /// corrupt download, an object not verified, a job that cannot be bound).
    #[error(transparent)]
    Wheelhouse(#[from] crate::wheelhouse::WheelhouseError),
    /// `StartJobRun` failed in a way that does not say whether a run started
    /// (its answer was lost), and the run could not be found.
    #[error(
        "StartJobRun for job {job:?} may or may not have started a run: {cause}, and {lookup}. Do not start it again blindly: list the job's runs (`aws glue get-job-runs --job-name {job}`) and look for one started after {}; start again only if there is none",
        glue_codeartifact_domain::timestamp::rfc3339(*since)
    )]
    StartOutcomeUnknown {
        /// The job.
        job: String,
        /// When the first `StartJobRun` attempt was sent.
        since: std::time::SystemTime,
        /// Why the attempt failed.
        cause: String,
        /// What the look-up found (or why it could not be made).
        lookup: String,
    },
}

/// What kind of failure an [`Error`] is: the one classification that the
/// CLI's exit codes (`crates/cli/src/exit_code.rs`) and the Lambda's
/// `errorType`s and retryability (`crates/lambda/src/error.rs`) follow.
/// Both match on it exhaustively, so a new class must be placed in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// No region is configured.
    NoRegion,
    /// A setting of ours is invalid (e.g. the VPC endpoint host): the user
    /// or the deployment must fix it; nothing was started.
    InvalidSetting,
    /// The Glue job does not exist.
    JobNotFound,
    /// The CodeArtifact domain or repository does not exist.
    RepositoryNotFound,
    /// A permission is missing.
    AccessDenied,
    /// Throttled past the retries.
    Throttled,
    /// No valid credentials.
    Credentials,
    /// AWS rejected a parameter.
    InvalidParameter,
    /// The job runs its maximum of concurrent runs.
    ConcurrentRunsExceeded,
    /// AWS could not be reached, or timed out.
    Unreachable,
    /// Another service error (5xx, unknown).
    Service,
    /// The job cannot take an index URL, or cannot be updated losslessly.
    JobNotSupported,
    /// No job carries the tags.
    NoJobsWithTags,
    /// No selected job is allowed.
    NoJobsAllowed,
    /// Someone else changed the job during a refresh.
    ConcurrentEdit,
    /// The job was updated, but the read that verifies the update failed.
    UpdateNotVerified,
    /// The repository endpoint gave no usable index URL.
    InvalidEndpoint,
    /// A token would not live long enough for the run.
    TokenLifeTooShort,
    /// The caller's deadline came before the reads answered; nothing was
    /// started.
    DeadlineReached,
    /// A run may or may not have started.
    StartOutcomeUnknown,
    /// The job has no run, or not the one asked for (`why`).
    RunNotFound,
    /// `lock`: the requirements do not resolve for the Glue runtime.
    ResolutionFailed,
    /// `lock`: no usable uv (missing, too old, or failed to run).
    UvUnavailable,
    /// `lock`: the Glue version is not in the runtime table.
    UnsupportedRuntime,
    /// `lock`: what the job installs cannot be locked.
    NotLockable,
    /// The wheelhouse's S3 bucket does not exist.
    BucketNotFound,
    /// A lock made for another runtime than the job's.
    LockMismatch,
    /// A download did not match the lock: nothing uploaded, nothing bound.
    DownloadCorrupt,
    /// An uploaded object could not be verified in S3: the job not bound.
    NotVerified,
}

impl ErrorClass {
    /// Every class.
    pub const ALL: [ErrorClass; 29] = [
        ErrorClass::NoRegion,
        ErrorClass::InvalidSetting,
        ErrorClass::JobNotFound,
        ErrorClass::RepositoryNotFound,
        ErrorClass::AccessDenied,
        ErrorClass::Throttled,
        ErrorClass::Credentials,
        ErrorClass::InvalidParameter,
        ErrorClass::ConcurrentRunsExceeded,
        ErrorClass::Unreachable,
        ErrorClass::Service,
        ErrorClass::JobNotSupported,
        ErrorClass::NoJobsWithTags,
        ErrorClass::NoJobsAllowed,
        ErrorClass::ConcurrentEdit,
        ErrorClass::UpdateNotVerified,
        ErrorClass::InvalidEndpoint,
        ErrorClass::TokenLifeTooShort,
        ErrorClass::DeadlineReached,
        ErrorClass::StartOutcomeUnknown,
        ErrorClass::RunNotFound,
        ErrorClass::ResolutionFailed,
        ErrorClass::UvUnavailable,
        ErrorClass::UnsupportedRuntime,
        ErrorClass::NotLockable,
        ErrorClass::BucketNotFound,
        ErrorClass::LockMismatch,
        ErrorClass::DownloadCorrupt,
        ErrorClass::NotVerified,
    ];

    /// Whether the same request may succeed later, unchanged. Never true
    /// where a run may have started ([`ErrorClass::StartOutcomeUnknown`]),
    /// nor for anything the user or the deployment must fix first.
    pub fn is_transient(self) -> bool {
        match self {
            ErrorClass::Throttled
            | ErrorClass::Unreachable
            | ErrorClass::ConcurrentRunsExceeded
            | ErrorClass::Service
            | ErrorClass::DeadlineReached
            | ErrorClass::ConcurrentEdit
            // The update is idempotent: doing it again is safe.
            | ErrorClass::UpdateNotVerified => true,
            ErrorClass::NoRegion
            | ErrorClass::InvalidSetting
            | ErrorClass::JobNotFound
            | ErrorClass::RepositoryNotFound
            | ErrorClass::AccessDenied
            | ErrorClass::Credentials
            | ErrorClass::InvalidParameter
            | ErrorClass::JobNotSupported
            | ErrorClass::NoJobsWithTags
            | ErrorClass::NoJobsAllowed
            | ErrorClass::InvalidEndpoint
            | ErrorClass::TokenLifeTooShort
            | ErrorClass::StartOutcomeUnknown
            | ErrorClass::RunNotFound
            | ErrorClass::ResolutionFailed
            | ErrorClass::UvUnavailable
            | ErrorClass::UnsupportedRuntime
            | ErrorClass::NotLockable => false,
            ErrorClass::BucketNotFound
            | ErrorClass::LockMismatch
            | ErrorClass::DownloadCorrupt
            | ErrorClass::NotVerified => false,
        }
    }
}

impl Error {
    /// This error's class. Exhaustive, with no wildcard: a new variant must
    /// be classified here.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Config(ConfigError::NoRegion) => ErrorClass::NoRegion,
            Error::JobNotFound { .. } => ErrorClass::JobNotFound,
            Error::RepositoryNotFound { .. } => ErrorClass::RepositoryNotFound,
            Error::AccessDenied { .. } => ErrorClass::AccessDenied,
            Error::Throttled { .. } => ErrorClass::Throttled,
            Error::Credentials { .. } => ErrorClass::Credentials,
            Error::InvalidParameter { .. } => ErrorClass::InvalidParameter,
            Error::ConcurrentRunsExceeded { .. } => ErrorClass::ConcurrentRunsExceeded,
            Error::Unreachable { .. } => ErrorClass::Unreachable,
            Error::Service(_) => ErrorClass::Service,
            Error::Plan(_) | Error::JobUpdate(_) => ErrorClass::JobNotSupported,
            Error::NoJobsWithTags { .. } => ErrorClass::NoJobsWithTags,
            Error::NoJobsAllowed { .. } => ErrorClass::NoJobsAllowed,
            Error::ConcurrentEdit { .. } => ErrorClass::ConcurrentEdit,
            Error::UpdateNotVerified { .. } => ErrorClass::UpdateNotVerified,
            // The host is ours to check: a bad setting, never a service
            // failure (and never retryable).
            Error::VpcEndpoint(VpcEndpointError::InvalidHost { .. }) => ErrorClass::InvalidSetting,
            Error::VpcEndpoint(VpcEndpointError::UnknownShape { .. }) | Error::IndexUrl(_) => {
                ErrorClass::InvalidEndpoint
            }
            // A refresh asked for `0`: a setting no token can fix.
            Error::TokenLife(TokenLifeError::RefreshOfUnknownLife) => ErrorClass::InvalidSetting,
            Error::TokenLife(_) => ErrorClass::TokenLifeTooShort,
            Error::DeadlineReached { .. } => ErrorClass::DeadlineReached,
            Error::StartOutcomeUnknown { .. } => ErrorClass::StartOutcomeUnknown,
            Error::RunNotFound { .. } => ErrorClass::RunNotFound,
            Error::Resolution(_) => ErrorClass::ResolutionFailed,
            Error::Runtime(_) => ErrorClass::UnsupportedRuntime,
            Error::Lockable(_) => ErrorClass::NotLockable,
            Error::Uv(err) => match err {
                glue_codeartifact_uv::UvError::Resolution(_) => ErrorClass::ResolutionFailed,
                glue_codeartifact_uv::UvError::Lock(_) => ErrorClass::NotLockable,
                _ => ErrorClass::UvUnavailable,
            },
            Error::Wheelhouse(err) => err.class(),
        }
    }
}

impl Error {
    /// The message, with each input to fix named by `name`: the shell's
    /// words (the CLI's flags, the Lambda function's event fields and
    /// settings). `Display` is this with [`Input::plain`].
    pub fn message(&self, name: InputName) -> String {
        match self {
            Error::Config(ConfigError::NoRegion) => format!(
                "no AWS region is configured; set {}, or a region in your AWS profile",
                name(Input::Region)
            ),
            Error::JobNotFound { job, region } => format!(
                "Glue job {job:?} was not found in region {region}; check {} and {}",
                name(Input::Job),
                name(Input::Region)
            ),
            Error::RepositoryNotFound {
                what,
                region,
                message,
            } => format!(
                "CodeArtifact {what} was not found in region {region} ({message}); check {}",
                repository_inputs(name)
            ),
            Error::Credentials { operation, message } => format!(
                "no valid AWS credentials for {operation} ({message}); check {}",
                name(Input::Credentials)
            ),
            Error::NoJobsWithTags { tags, region } => format!(
                "no Glue job in region {region} carries the tags {}; check {} and {}",
                tags.join(", "),
                name(Input::Tags),
                name(Input::Region)
            ),
            Error::NoJobsAllowed { skipped, allowed } => format!(
                "none of the jobs selected ({}) is allowed ({allowed}), so nothing was refreshed; allow them ({}) or select other jobs",
                some_names(skipped),
                name(Input::AllowedJobs)
            ),
            Error::RunNotFound {
                job,
                run_id: Some(id),
            } => format!(
                "run {id} of Glue job {job:?} was not found; check {} (runs are kept 90 days), or leave it out for the latest run",
                name(Input::RunId)
            ),
            Error::RunNotFound { job, run_id: None } => format!(
                "Glue job {job:?} has no run yet; start one with `glue-codeartifact start --job {job}`"
            ),
            Error::UpdateNotVerified {
                job,
                done,
                command,
                source,
            } => format!(
                "job {job:?} WAS updated (UpdateJob succeeded), but reading it back to verify the update failed, so it is not reported as {done}: {}. The job most likely holds the new arguments: read its definition to check, or run the same {command} again (it is idempotent)",
                source.message(name)
            ),
            Error::Plan(err) => err.message(name),
            Error::VpcEndpoint(err) => err.message(name),
            // Listed, not `_`: a variant whose `Display` is `message` and
            // that had no arm here would recurse.
            Error::AccessDenied { .. }
            | Error::Throttled { .. }
            | Error::InvalidParameter { .. }
            | Error::ConcurrentRunsExceeded { .. }
            | Error::Unreachable { .. }
            | Error::Service(_)
            | Error::JobUpdate(_)
            | Error::ConcurrentEdit { .. }
            | Error::IndexUrl(_)
            | Error::TokenLife(_)
            | Error::DeadlineReached { .. }
            | Error::Lockable(_)
            | Error::Resolution(_)
            | Error::Runtime(_)
            | Error::Uv(_)
            | Error::Wheelhouse(_)
            | Error::StartOutcomeUnknown { .. } => self.to_string(),
        }
    }
}

/// The inputs that pick the repository, as `name` words them: what to
/// check when CodeArtifact does not find it.
pub fn repository_inputs(name: InputName) -> String {
    format!(
        "{}, {}, {} and {}",
        name(Input::Domain),
        name(Input::Repository),
        name(Input::DomainOwner),
        name(Input::Region)
    )
}

/// Up to ten names, and how many more: a selection by tag may be long.
fn some_names(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// What the use case was about, to name it in an error.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    pub job: Option<&'a str>,
    pub repository: &'a RepositoryRef,
    pub region: &'a str,
}

impl Error {
    pub(crate) fn from_update(err: UpdateJobError, cx: Context<'_>) -> Self {
        match err {
            UpdateJobError::Lossy(e) => Error::JobUpdate(e),
            UpdateJobError::Aws(e) => Error::from_aws(e, cx),
        }
    }

    pub(crate) fn from_aws(err: AwsError, cx: Context<'_>) -> Self {
        let operation = err.operation;
        match err.kind {
            AwsErrorKind::NotFound if operation == Operation::GetJob => Error::JobNotFound {
                job: cx.job.unwrap_or_default().to_owned(),
                region: cx.region.to_owned(),
            },
            AwsErrorKind::NotFound => Error::RepositoryNotFound {
                what: match operation {
                    Operation::GetRepositoryEndpoint => format!(
                        "repository {:?} in domain {:?}",
                        cx.repository.repository, cx.repository.domain
                    ),
                    _ => format!("domain {:?}", cx.repository.domain),
                },
                region: cx.region.to_owned(),
                message: err.message,
            },
            AwsErrorKind::AccessDenied => Error::AccessDenied {
                operation,
                actions: err.missing_actions(),
                message: err.message,
            },
            AwsErrorKind::Throttled => Error::Throttled { operation },
            AwsErrorKind::Credentials => Error::Credentials {
                operation,
                message: err.message,
            },
            AwsErrorKind::Invalid => Error::InvalidParameter {
                operation,
                message: err.message,
            },
            AwsErrorKind::ConcurrentRunsExceeded => Error::ConcurrentRunsExceeded {
                job: cx.job.unwrap_or_default().to_owned(),
            },
            AwsErrorKind::Timeout | AwsErrorKind::Network => Error::Unreachable {
                operation,
                message: err.message,
            },
            AwsErrorKind::Service => Error::Service(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_vpc_endpoint_host_is_a_setting_to_fix_not_a_service_failure() {
        let err = Error::VpcEndpoint(VpcEndpointError::InvalidHost { host: "x y".into() });
        assert_eq!(err.class(), ErrorClass::InvalidSetting);
        assert!(!err.class().is_transient());
        let err = Error::VpcEndpoint(VpcEndpointError::UnknownShape {
            endpoint: "https://example.com/".into(),
        });
        assert_eq!(err.class(), ErrorClass::InvalidEndpoint);
        assert!(!err.class().is_transient());
    }

    #[test]
    fn a_run_that_may_have_started_is_never_transient() {
        assert!(!ErrorClass::StartOutcomeUnknown.is_transient());
        let transient: Vec<_> = ErrorClass::ALL
            .into_iter()
            .filter(|c| c.is_transient())
            .collect();
        assert_eq!(
            transient,
            [
                ErrorClass::Throttled,
                ErrorClass::ConcurrentRunsExceeded,
                ErrorClass::Unreachable,
                ErrorClass::Service,
                ErrorClass::ConcurrentEdit,
                ErrorClass::UpdateNotVerified,
                ErrorClass::DeadlineReached,
            ]
        );
    }
}
