//! Exit codes: one per thing a user can fix. Documented in the README.

use std::process::ExitCode;

use glue_codeartifact_app::Error;
use glue_codeartifact_aws::ConfigError;
use glue_codeartifact_domain::repository_endpoint::VpcEndpointError;

/// The exit codes of `glue-codeartifact`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Success = 0,
    /// An unexpected failure (a bug, or stdout closed).
    Failure = 1,
    /// Invalid command line: an unknown flag, an invalid value or duration, a bad --arg.
    Usage = 2,
    /// The Glue job does not exist.
    JobNotFound = 3,
    /// The CodeArtifact domain or repository does not exist.
    RepositoryNotFound = 4,
    /// A permission is missing (the message names the IAM action).
    AccessDenied = 5,
    /// AWS throttled the call past the SDK's retries.
    Throttled = 6,
    /// No valid AWS credentials.
    Credentials = 7,
    /// No AWS region configured.
    NoRegion = 8,
    /// The job's configuration does not allow a run with an index URL.
    JobNotSupported = 9,
    /// AWS could not be reached, or timed out.
    Unreachable = 10,
    /// AWS rejected the request for another reason.
    AwsRejected = 11,
    /// `doctor` found at least one error (its report says what to fix).
    DoctorFoundErrors = 12,
    /// Several jobs (`refresh`, or `start` with several jobs): one or more
    /// failed, the others were done.
    SomeJobsFailed = 13,
    /// `StartJobRun`'s answer was lost (a timeout or reset after sending,
    /// or a 5xx answer) and the run could not be found: a run may or may not
    /// have started. Nothing was retried; check the job's runs.
    StartOutcomeUnknown = 14,
    /// `start --wait`: the run ended FAILED.
    RunFailed = 20,
    /// `start --wait`: the run ended ERROR.
    RunError = 21,
    /// `start --wait`: the run ended TIMEOUT (the job's own Timeout).
    RunTimeout = 22,
    /// `start --wait`: the run ended STOPPED.
    RunStopped = 23,
    /// `start --wait`: the run ended EXPIRED.
    RunExpired = 24,
    /// `start --wait`: `--timeout` passed before the run ended (it goes on).
    WaitTimedOut = 25,
    /// `start --wait`: interrupted (Ctrl-C) while waiting.
    Interrupted = 130,
}

impl Exit {
    /// The exit code for a use-case error.
    pub fn of(err: &Error) -> Exit {
        match err {
            Error::Config(ConfigError::NoRegion) => Exit::NoRegion,
            Error::JobNotFound { .. } => Exit::JobNotFound,
            Error::RepositoryNotFound { .. } => Exit::RepositoryNotFound,
            Error::AccessDenied { .. } => Exit::AccessDenied,
            Error::Throttled { .. } => Exit::Throttled,
            Error::Credentials { .. } => Exit::Credentials,
            Error::Plan(_) | Error::JobUpdate(_) => Exit::JobNotSupported,
            Error::NoJobsWithTags { .. } => Exit::JobNotFound,
            Error::VpcEndpoint(VpcEndpointError::InvalidHost { .. }) => Exit::Usage,
            Error::VpcEndpoint(_) => Exit::AwsRejected,
            Error::Unreachable { .. } => Exit::Unreachable,
            Error::StartOutcomeUnknown { .. } => Exit::StartOutcomeUnknown,
            Error::DeadlineReached { .. } => Exit::Unreachable,
            Error::InvalidParameter { .. }
            | Error::ConcurrentRunsExceeded { .. }
            | Error::ConcurrentEdit { .. }
            | Error::Service(_)
            | Error::IndexUrl(_) => Exit::AwsRejected,
            _ => Exit::Failure,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}
