//! Exit codes: one per thing a user can fix. Documented in the README.

use std::process::ExitCode;

use glue_codeartifact_app::{Error, ErrorClass};

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
    /// The exit code for a use-case error: from its class
    /// ([`Error::class`]), the one classification the Lambda's `errorType`s
    /// follow too. Exhaustive: a new class must get its code here.
    pub fn of(err: &Error) -> Exit {
        Exit::of_class(err.class())
    }

    /// The exit code for a class of error.
    pub fn of_class(class: ErrorClass) -> Exit {
        match class {
            ErrorClass::NoRegion => Exit::NoRegion,
            ErrorClass::InvalidSetting => Exit::Usage,
            ErrorClass::JobNotFound | ErrorClass::NoJobsWithTags | ErrorClass::NoJobsAllowed => {
                Exit::JobNotFound
            }
            ErrorClass::RepositoryNotFound => Exit::RepositoryNotFound,
            ErrorClass::AccessDenied => Exit::AccessDenied,
            ErrorClass::Throttled => Exit::Throttled,
            // A token that would expire too soon: the credentials that mint
            // it are near their end (`--duration 0`), or the clock is off.
            ErrorClass::Credentials | ErrorClass::TokenTooShort => Exit::Credentials,
            ErrorClass::JobNotSupported => Exit::JobNotSupported,
            ErrorClass::Unreachable | ErrorClass::DeadlineReached => Exit::Unreachable,
            ErrorClass::StartOutcomeUnknown => Exit::StartOutcomeUnknown,
            ErrorClass::InvalidParameter
            | ErrorClass::ConcurrentRunsExceeded
            | ErrorClass::ConcurrentEdit
            | ErrorClass::Service
            | ErrorClass::InvalidEndpoint => Exit::AwsRejected,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_codeartifact_domain::repository_endpoint::VpcEndpointError;

    #[test]
    fn no_error_falls_through_to_a_bug_or_success() {
        for class in ErrorClass::ALL {
            let exit = Exit::of_class(class);
            assert!(![Exit::Success, Exit::Failure].contains(&exit), "{class:?}");
        }
        let bad_host = Error::VpcEndpoint(VpcEndpointError::InvalidHost { host: "x".into() });
        assert_eq!(Exit::of(&bad_host), Exit::Usage);
    }
}
