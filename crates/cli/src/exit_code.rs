//! Exit codes: one per thing a user can fix. Each variant's doc comment is
//! its meaning, then (after a blank `///` line) what to do: docs/
//! troubleshooting.md's table is generated from them (`cargo run -p docgen`).
//!
//! The inputs an error tells the user to fix are named by the CLI's flags
//! and environment variables: [`flag`].

use std::process::ExitCode;

use glue_codeartifact_app::{Error, ErrorClass};
use glue_codeartifact_domain::input::Input;

/// How the CLI names an input in a message (an
/// [`InputName`](glue_codeartifact_domain::input::InputName)): by its flag,
/// or its environment variables where no flag sets it. Exhaustive: a new
/// input must be named here (and by the Lambda function).
pub fn flag(input: Input) -> String {
    match input {
        Input::Job => "--job",
        Input::Tags => "--tag",
        Input::RunId => "--run-id",
        Input::Domain => "--domain",
        Input::DomainOwner => "--domain-owner",
        Input::Repository => "--repository",
        Input::Region => "AWS_REGION (or --region)",
        Input::Credentials => {
            "AWS_PROFILE (and `aws sso login` for SSO profiles), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        }
        Input::RepositoryEndpointHost => "--repository-endpoint-host",
        Input::Duration => "--duration",
        Input::Mode => "--mode",
        Input::RunArguments => "--arg",
        Input::OperationTimeout => "--operation-timeout",
        // Only the Lambda function limits the jobs; the CLI allows any.
        Input::AllowedJobs => "the Lambda function's GLUE_CODEARTIFACT_ALLOWED_JOBS",
    }
    .to_owned()
}

/// The exit codes of `glue-codeartifact`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Success = 0,
    /// An unexpected failure (a bug, or stdout closed).
    ///
    /// Run again with `-vv` and report it with the output (it never contains a
    /// token). If stdout was closed (a pipe into `head`), nothing is wrong.
    Failure = 1,
    /// Invalid command line: an unknown flag, an invalid value or duration, a bad --arg.
    ///
    /// Read the message: it names the flag or value and an example of a valid
    /// one. `--help` and [the CLI reference](cli.md) list every flag.
    Usage = 2,
    /// The Glue job does not exist.
    ///
    /// Check the job name (`aws glue get-job --job-name NAME`) and the region
    /// (`--region`, `AWS_REGION`): jobs are regional. With `refresh --tag`, no
    /// job carries all the tags.
    JobNotFound = 3,
    /// The CodeArtifact domain or repository does not exist.
    ///
    /// Check `--domain`, `--repository`, `--domain-owner` (another account's
    /// domain needs it) and the region: `aws codeartifact
    /// list-repositories-in-domain --domain DOMAIN`.
    RepositoryNotFound = 4,
    /// A permission is missing (the message names the IAM action).
    ///
    /// Grant the IAM action the message names; `glue-codeartifact iam-policy`
    /// prints the whole least-privilege policy for the jobs and the repository.
    AccessDenied = 5,
    /// AWS throttled the call past the SDK's retries.
    ///
    /// Retry later, lower `--concurrency`, or raise `AWS_MAX_ATTEMPTS`; ask for
    /// a higher quota if it persists.
    Throttled = 6,
    /// No valid AWS credentials.
    ///
    /// Configure credentials (`aws configure`, `aws sso login`, `--profile`,
    /// `AWS_PROFILE`, or the role of the machine) and check them with `aws sts
    /// get-caller-identity`.
    Credentials = 7,
    /// No AWS region configured.
    ///
    /// Pass `--region`, set `AWS_REGION`, set `region` in the AWS profile, or
    /// `region` in the config file.
    NoRegion = 8,
    /// The job's configuration does not allow a run with an index URL.
    ///
    /// The message names the job setting that is in the way (e.g. a
    /// DefaultArguments option a run cannot override) and how to change it;
    /// `doctor --job JOB` lists every such finding.
    JobNotSupported = 9,
    /// AWS could not be reached, or timed out.
    ///
    /// Check the network path to the AWS endpoints (proxy, VPC endpoints, DNS)
    /// or raise `--connect-timeout` / `--operation-timeout`. A start that was
    /// sent and lost exits 14 instead.
    Unreachable = 10,
    /// AWS rejected the request for another reason.
    ///
    /// Read AWS's message in the error (an invalid parameter, too many
    /// concurrent runs of the job, a concurrent edit); fix that and run again.
    AwsRejected = 11,
    /// `doctor` found at least one error (its report says what to fix).
    ///
    /// Fix each finding of severity error; each comes with its check id, cause
    /// and fix.
    DoctorFoundErrors = 12,
    /// Several jobs (`refresh`, or `start` with several jobs): one or more
    /// failed, the others were done.
    ///
    /// One line per job says which failed and why; run again with only those
    /// jobs. The others were started (or refreshed).
    SomeJobsFailed = 13,
    /// `StartJobRun`'s answer was lost (a timeout or reset after sending,
    /// or a 5xx answer) and the run could not be found: a run may or may not
    /// have started. Nothing was retried; check the job's runs.
    ///
    /// Do not simply run again: look at the job's runs first (`aws glue
    /// get-job-runs --job-name JOB`) and start it again only if no run started
    /// at the time.
    StartOutcomeUnknown = 14,
    /// The token CodeArtifact issued has expired, or would expire before a
    /// run's start-up (10 minutes plus a 1-minute margin): nothing was
    /// started or changed.
    ///
    /// Ask for a longer `--duration`; with `--duration 0` (as long as the
    /// caller's credentials) renew them first (`aws sso login`); check this
    /// machine's clock.
    TokenLifeTooShort = 15,
    /// `refresh`: a job changed under the refresh (someone else edited it
    /// between our read and our check after `UpdateJob`), and no job failed
    /// for another reason. The job is not reported as refreshed.
    ///
    /// Look at the job's definition (their edit may have been replaced by
    /// ours, or ours by theirs; see docs/refresh.md), then run refresh again.
    RefreshConflict = 16,
    /// `refresh` (or `wheelhouse --bind`): the job WAS updated (`UpdateJob`
    /// succeeded), but reading it back to verify the update failed (the
    /// message gives that read's error), and no job failed for another
    /// reason. The job is not reported as refreshed (or bound).
    ///
    /// The job most likely holds the new arguments: check them (`aws glue
    /// get-job --job-name JOB`), or run the same command again (it is
    /// idempotent) once the read's cause is fixed.
    UpdateNotVerified = 17,
    /// `lock` (and doctor's whole-tree check): the requirements do not
    /// resolve for the Glue runtime (a missing dependency, no wheel, a
    /// conflict with a package Glue provides); the message names it.
    ///
    /// Publish what is missing to the repository (or give it a public:pypi
    /// upstream), publish a wheel, or pin versions that fit what Glue
    /// provides (see docs/install-sources.md).
    ResolutionFailed = 40,
    /// `lock`: no usable uv (not found, cannot run, older than the tested
    /// minimum, or its output could not be read).
    ///
    /// Install or upgrade uv (`pipx install uv`, `pip install -U uv`), or name
    /// it with `--uv PATH` or `GLUE_CODEARTIFACT_UV`.
    UvUnavailable = 41,
    /// `lock`: the Glue version (or Python shell version) is not one
    /// glue-codeartifact can lock for.
    ///
    /// Move the job to Glue 4.0, 5.0, 5.1 or 6.0 (or Python shell 3.9), or
    /// give `--glue-version` one of them.
    UnsupportedRuntime = 42,
    /// `lock` (or `wheelhouse` locking first): what the job installs cannot
    /// be locked (an S3 path, a direct URL, no modules; a job already bound
    /// to a wheelhouse lists S3 wheels), or a requirements file is invalid.
    ///
    /// Lock the requirements it stands for with `--requirements FILE
    /// --glue-version V` (`wheelhouse --job JOB --requirements FILE` takes
    /// the job's runtime), or mirror an existing lock with `wheelhouse
    /// --lock FILE`; the message names the item or line.
    NotLockable = 43,
    /// `wheelhouse`: the S3 bucket of `--s3-prefix` does not exist.
    ///
    /// Create the bucket (`aws s3 mb s3://BUCKET`) in the account and
    /// partition of the job, or give another `--s3-prefix`.
    BucketNotFound = 44,
    /// `wheelhouse`: the lock was made for another runtime (Glue version,
    /// job type, Python, platform) than the job's. Nothing was changed.
    ///
    /// Lock again for the job: `glue-codeartifact lock --job JOB`.
    LockMismatch = 45,
    /// `wheelhouse`: a file downloaded from CodeArtifact does not match the
    /// lock's SHA-256 or size. Nothing was uploaded, the job was not changed.
    ///
    /// The repository's file changed since the lock was made, or the
    /// download was corrupted: lock again, and check who may publish to the
    /// repository.
    DownloadCorrupt = 46,
    /// `wheelhouse`: an uploaded object is not in S3 with the locked size
    /// and SHA-256. The job was not changed.
    ///
    /// Run `wheelhouse` again; if it persists, check what else writes to the
    /// prefix (a lifecycle rule, another tool).
    NotVerified = 47,
    /// `start --wait`: the run ended FAILED.
    ///
    /// The triage printed after the final state shows pip's own lines and
    /// what they mean; `glue-codeartifact why --job JOB` shows it again.
    /// Read the run's error message and its logs in CloudWatch
    /// (`/aws-glue/jobs/error`).
    RunFailed = 20,
    /// `start --wait`: the run ended ERROR.
    ///
    /// Read the run's error message: Glue could not run it (e.g. its role, its
    /// script path, or a pip install that failed).
    RunError = 21,
    /// `start --wait`: the run ended TIMEOUT (the job's own Timeout).
    ///
    /// Raise the job's Timeout, or make the job faster.
    RunTimeout = 22,
    /// `start --wait`: the run ended STOPPED.
    ///
    /// Someone or something stopped the run (BatchStopJobRun, or
    /// `--stop-on-interrupt`).
    RunStopped = 23,
    /// `start --wait`: the run ended EXPIRED.
    ///
    /// The run waited too long for capacity; check the job's worker type and
    /// the account's Glue quotas.
    RunExpired = 24,
    /// `start --wait`: `--wait-timeout` passed before the run ended (it goes on).
    ///
    /// The run goes on: follow it in the console or with `aws glue
    /// get-job-run`, or pass a longer `--wait-timeout`.
    WaitTimedOut = 25,
    /// `why`: the job has no run, or not the one given with --run-id.
    ///
    /// Check `--run-id` (`aws glue get-job-runs --job-name JOB`; Glue keeps
    /// runs 90 days), or leave it out to explain the latest run.
    RunNotFound = 30,
    /// `why`: the run has no log stream yet (Glue writes them once the run's
    /// driver starts).
    ///
    /// Try again in a minute. A run that failed before its driver started
    /// has no logs: read its error message. Custom log groups not named by
    /// the run's arguments are not searched.
    RunLogsNotFound = 31,
    /// `start --wait`: interrupted (Ctrl-C) while waiting.
    ///
    /// The run goes on unless `--stop-on-interrupt` was given.
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
            ErrorClass::Credentials => Exit::Credentials,
            // A token that would expire too soon: its own code, since the
            // fix differs (a longer --duration, fresh credentials with
            // --duration 0, or the clock).
            ErrorClass::TokenLifeTooShort => Exit::TokenLifeTooShort,
            ErrorClass::ConcurrentEdit => Exit::RefreshConflict,
            ErrorClass::UpdateNotVerified => Exit::UpdateNotVerified,
            ErrorClass::JobNotSupported => Exit::JobNotSupported,
            ErrorClass::Unreachable | ErrorClass::DeadlineReached => Exit::Unreachable,
            ErrorClass::StartOutcomeUnknown => Exit::StartOutcomeUnknown,
            ErrorClass::RunNotFound => Exit::RunNotFound,
            ErrorClass::InvalidParameter
            | ErrorClass::ConcurrentRunsExceeded
            | ErrorClass::Service
            | ErrorClass::InvalidEndpoint => Exit::AwsRejected,
            ErrorClass::ResolutionFailed => Exit::ResolutionFailed,
            ErrorClass::UvUnavailable => Exit::UvUnavailable,
            ErrorClass::UnsupportedRuntime => Exit::UnsupportedRuntime,
            ErrorClass::NotLockable => Exit::NotLockable,
            ErrorClass::BucketNotFound => Exit::BucketNotFound,
            ErrorClass::LockMismatch => Exit::LockMismatch,
            ErrorClass::DownloadCorrupt => Exit::DownloadCorrupt,
            ErrorClass::NotVerified => Exit::NotVerified,
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

    #[test]
    fn every_flag_an_input_is_named_by_exists() {
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        let mut longs: Vec<String> = Vec::new();
        let mut commands = vec![&cli];
        while let Some(command) = commands.pop() {
            longs.extend(
                command
                    .get_arguments()
                    .filter_map(|a| a.get_long().map(|l| format!("--{l}"))),
            );
            commands.extend(command.get_subcommands());
        }
        for input in Input::ALL {
            let name = flag(input);
            for word in name.split([' ', '(', ')', ',']) {
                if word.starts_with("--") {
                    assert!(longs.contains(&word.to_owned()), "{input:?}: {word}");
                }
            }
        }
    }
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
