//! `StartJobRun` without the SDK's retries, and the `GetJobRuns` look-up
//! that tells whether a failed attempt started a run anyway.
//!
//! `StartJobRun` is not idempotent and Glue offers no client token: an
//! attempt whose answer is lost may have started a run, and a blind retry
//! then starts a second one. So the SDK must not retry it on its own; each
//! failed attempt is sorted by what it proves ([`SendOutcome`]), and the
//! caller (`glue-codeartifact-app`) decides whether to retry or look the run
//! up first.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_sdk_glue::error::SdkError;
use aws_sdk_glue::operation::start_job_run::StartJobRunError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::error::{AwsError, AwsErrorKind, Operation};
use crate::glue::Glue;

/// What a failed `StartJobRun` attempt proves about the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The request never reached Glue (the connection could not be made,
    /// or the request could not be built or signed): no run started.
    NotSent,
    /// Glue answered with a client error (HTTP 4xx: throttled, invalid,
    /// denied, too many concurrent runs): it refused the request, no run
    /// started.
    Refused,
    /// Glue answered, with a server error (HTTP 5xx) or an answer that could
    /// not be read: a run may have started before the failure.
    FailedAnswer,
    /// The request was sent and no answer came (a timeout, a connection
    /// reset): a run may have started, or may still start.
    NoAnswer,
}

impl SendOutcome {
    /// Whether the failure proves that no run started.
    pub fn proves_not_started(self) -> bool {
        matches!(self, SendOutcome::NotSent | SendOutcome::Refused)
    }
}

/// A failed `StartJobRun` attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartAttemptError {
    /// The error, sorted like any other AWS error.
    pub error: AwsError,
    /// What it proves about the run.
    pub outcome: SendOutcome,
}

impl StartAttemptError {
    /// Whether another attempt may follow without looking for a run first:
    /// the failure proves that no run started, and is transient (throttled,
    /// or the service could not be reached).
    pub fn retry_is_safe(&self) -> bool {
        self.outcome.proves_not_started()
            && matches!(
                self.error.kind,
                AwsErrorKind::Throttled | AwsErrorKind::Network | AwsErrorKind::Timeout
            )
    }
}

/// A run found by [`Glue::find_run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundRun {
    /// The run's ID.
    pub run_id: String,
    /// When it started, as Glue says.
    pub started_on: Option<SystemTime>,
}

/// How far back, before our first attempt, a run found by the look-up may
/// have started: clocks differ, and AWS refuses signatures more than five
/// minutes off, so five minutes bounds the skew.
pub const LOOKUP_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// At most this many `GetJobRuns` pages (of 200 runs) are read in a look-up.
pub const LOOKUP_MAX_PAGES: usize = 5;

impl Glue {
    /// The attempts a call may make (`AWS_MAX_ATTEMPTS`, default 3) and
    /// how long a whole call may take (`--operation-timeout`), as
    /// configured for this client.
    pub fn call_limits(&self) -> (u32, Option<Duration>) {
        let config = self.client.config();
        let attempts = config
            .retry_config()
            .map_or(1, |r| if r.has_retry() { r.max_attempts() } else { 1 });
        let operation = config.timeout_config().and_then(|t| t.operation_timeout());
        (attempts.max(1), operation)
    }

    /// One `StartJobRun` attempt, with the SDK's retries off: returns the
    /// run's ID, or what the failure proves about the run.
    pub async fn start_job_run_once(
        &self,
        name: &str,
        arguments: BTreeMap<String, String>,
    ) -> Result<String, StartAttemptError> {
        const OP: Operation = Operation::StartJobRun;
        let result = self
            .client
            .start_job_run()
            .job_name(name)
            .set_arguments(Some(arguments.into_iter().collect()))
            .customize()
            .config_override(
                aws_sdk_glue::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(err) => {
                let outcome = send_outcome(&err);
                return Err(StartAttemptError {
                    error: AwsError::from_sdk(OP, err),
                    outcome,
                });
            }
        };
        // A run was started; an answer without its ID (or with an empty
        // one) is looked up like a failed answer, never reported as a run.
        output
            .job_run_id()
            .filter(|id| !id.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| StartAttemptError {
                error: AwsError {
                    operation: OP,
                    kind: AwsErrorKind::Service,
                    code: None,
                    message: "the response has no JobRunId".to_owned(),
                },
                outcome: SendOutcome::FailedAnswer,
            })
    }

    /// `GetJobRuns`: the newest run of `job` that started at or after
    /// `since` (less [`LOOKUP_CLOCK_SKEW`]), carries every one of
    /// `arguments` with the same value, and is not `excluded` (runs the
    /// caller already knows to be another start's). With a fresh token in
    /// the index URL among the arguments, that is the run our `StartJobRun`
    /// started, if any.
    pub async fn find_run(
        &self,
        job: &str,
        since: SystemTime,
        arguments: &BTreeMap<String, String>,
        excluded: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Option<FoundRun>, AwsError> {
        const OP: Operation = Operation::GetJobRuns;
        let earliest = since.checked_sub(LOOKUP_CLOCK_SKEW).unwrap_or(since);
        let mut next_token: Option<String> = None;
        let mut best: Option<FoundRun> = None;
        for _ in 0..LOOKUP_MAX_PAGES {
            let page = self
                .client
                .get_job_runs()
                .job_name(job)
                .max_results(200)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(OP, e))?;
            best = best_run(best, page.job_runs(), earliest, arguments, excluded);
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
        Ok(best)
    }
}

/// The newest of `best` and the runs of one `GetJobRuns` page that started
/// at or after `earliest`, carry every one of `arguments` and are not
/// `excluded` (total: any field values).
pub(crate) fn best_run(
    mut best: Option<FoundRun>,
    runs: &[aws_sdk_glue::types::JobRun],
    earliest: SystemTime,
    arguments: &BTreeMap<String, String>,
    excluded: &(dyn Fn(&str) -> bool + Sync),
) -> Option<FoundRun> {
    for run in runs {
        let started_on = run.started_on().and_then(|t| SystemTime::try_from(*t).ok());
        if started_on.is_some_and(|t| t < earliest) {
            continue;
        }
        let carries_ours = run.arguments().is_some_and(|sent| {
            arguments
                .iter()
                .all(|(k, v)| sent.get(k).is_some_and(|s| s == v))
        });
        let Some(run_id) = run
            .id()
            .filter(|id| !id.trim().is_empty() && carries_ours && !excluded(id))
        else {
            continue;
        };
        let newer = best
            .as_ref()
            .is_none_or(|b| started_on.is_some() && b.started_on < started_on);
        if newer {
            best = Some(FoundRun {
                run_id: run_id.to_owned(),
                started_on,
            });
        }
    }
    best
}

/// What a failed `StartJobRun` proves, read from the SDK error.
fn send_outcome(err: &SdkError<StartJobRunError, HttpResponse>) -> SendOutcome {
    match err {
        SdkError::ConstructionFailure(_) => SendOutcome::NotSent,
        SdkError::DispatchFailure(failure) => {
            let connector = failure
                .as_connector_error()
                .map(|e| e as &(dyn StdError + 'static));
            if failure.is_user() || chain_has_connect_error(connector) {
                SendOutcome::NotSent
            } else {
                SendOutcome::NoAnswer
            }
        }
        SdkError::TimeoutError(_) => SendOutcome::NoAnswer,
        SdkError::ServiceError(service)
            if (400..500).contains(&service.raw().status().as_u16()) =>
        {
            SendOutcome::Refused
        }
        _ => SendOutcome::FailedAnswer,
    }
}

/// Whether the HTTP client failed to connect (hyper-util's `Connect`
/// kind): then no byte of the request was sent.
fn chain_has_connect_error(mut next: Option<&(dyn StdError + 'static)>) -> bool {
    while let Some(e) = next {
        if e.downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect)
        {
            return true;
        }
        next = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(kind: AwsErrorKind, outcome: SendOutcome) -> StartAttemptError {
        StartAttemptError {
            error: AwsError {
                operation: Operation::StartJobRun,
                kind,
                code: None,
                message: String::new(),
            },
            outcome,
        }
    }

    #[test]
    fn only_failures_that_prove_nothing_started_are_retried_blindly() {
        assert!(attempt(AwsErrorKind::Throttled, SendOutcome::Refused).retry_is_safe());
        assert!(attempt(AwsErrorKind::Network, SendOutcome::NotSent).retry_is_safe());
        assert!(!attempt(AwsErrorKind::AccessDenied, SendOutcome::Refused).retry_is_safe());
        assert!(!attempt(AwsErrorKind::Credentials, SendOutcome::NotSent).retry_is_safe());
        assert!(!attempt(AwsErrorKind::Service, SendOutcome::FailedAnswer).retry_is_safe());
        assert!(!attempt(AwsErrorKind::Network, SendOutcome::NoAnswer).retry_is_safe());
        assert!(!attempt(AwsErrorKind::Timeout, SendOutcome::NoAnswer).retry_is_safe());
        assert!(!attempt(AwsErrorKind::Throttled, SendOutcome::FailedAnswer).retry_is_safe());
    }
}
