//! Starting a run exactly once: the `StartJobRun` retry policy.
//!
//! `StartJobRun` is not idempotent, and Glue takes no client token. So:
//!
//! 1. The SDK's own retries are off for `StartJobRun` (read calls keep
//!    them: `AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`).
//! 2. A failure that **proves no run started** — Glue answered with a 4xx
//!    (throttled, denied, invalid, too many concurrent runs), or the
//!    connection could not even be made — is retried, with back-off, if it is
//!    transient (throttling, connect failures), up to `AWS_MAX_ATTEMPTS`
//!    attempts within `--operation-timeout`; any other such failure is
//!    reported at once.
//! 3. After a failure that **does not prove it** — a 5xx answer, a timeout or
//!    a connection reset after the request was sent — the run is looked up
//!    first (`GetJobRuns`: a run of the job started since our first attempt
//!    whose arguments carry all of ours, among them the index URL with this
//!    start's token, which no other start has). A few look-ups, a second
//!    apart, give a run that is still being created time to appear.
//!    - Found: that is our run; its ID is returned as a success.
//!    - Not found after a 5xx answer (Glue finished with the request and
//!      said it failed): another attempt follows, within `AWS_MAX_ATTEMPTS`
//!      and `--operation-timeout`.
//!    - Not found after a timeout or reset (the request may still be in
//!      flight, and start a run later): no retry. The error
//!      [`Error::StartOutcomeUnknown`] says a run may or may not have
//!      started and how to check (exit code 14).
//!
//! The Lambda's warm cache reuses a token, so two starts of the same job
//! with the same arguments carry the same index URL. The look-up therefore
//! skips runs this process already reported as another start's, and when an
//! earlier start with the same arguments ended unknown, a run it finds
//! cannot be attributed and this start ends unknown too (`Ledger`).
//!
//! So one start never makes two runs, except in one narrow case this module
//! cannot rule out: Glue answers 5xx *and* had created a run that stays
//! invisible to `GetJobRuns` for longer than the look-ups wait.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use glue_codeartifact_aws::{
    Glue,
    start_run::{FoundRun, LOOKUP_CLOCK_SKEW, SendOutcome, StartAttemptError},
};

use crate::Error;

/// Waits before each look-up after an answer-less failure (timeout,
/// reset): now, then one and two seconds later.
const LOOKUPS_AFTER_NO_ANSWER: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(1),
];
/// Waits before each look-up after a 5xx answer.
const LOOKUPS_AFTER_FAILED_ANSWER: [Duration; 2] = [Duration::ZERO, Duration::from_secs(1)];
/// The first back-off before a retry; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest back-off.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The time a `StartJobRun` (with its retries and look-ups) may take when no
/// operation timeout is configured.
const DEFAULT_BUDGET: Duration = Duration::from_secs(30);

/// A started run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StartedRun {
    /// The run's ID.
    pub run_id: String,
    /// How many `StartJobRun` attempts were made.
    pub attempts: u32,
    /// Whether the run was found by a look-up after its answer was lost.
    pub recovered: bool,
}

/// Why the start failed.
#[derive(Debug)]
pub(crate) enum StartRunError {
    /// An ordinary AWS error; no run started.
    Aws(glue_codeartifact_aws::AwsError),
    /// A run may or may not have started.
    Unknown(Error),
}

/// Starts a run of `job` with `arguments`, following the module's policy,
/// within `--operation-timeout` and the caller's `deadline`, if any (an
/// attempt still in flight at the deadline is abandoned, and its outcome is
/// unknown).
pub(crate) async fn start_run_once(
    glue: &Glue,
    job: &str,
    arguments: &BTreeMap<String, String>,
    deadline: Option<Instant>,
) -> Result<StartedRun, StartRunError> {
    let fingerprint = fingerprint(job, arguments);
    let result = start_run_inner(glue, job, arguments, deadline, fingerprint).await;
    let mut ledger = LEDGER.lock().unwrap_or_else(|e| e.into_inner());
    match &result {
        Ok(run) => ledger.claim(run.run_id.clone()),
        Err(StartRunError::Unknown(_)) => ledger.unresolved(fingerprint, SystemTime::now()),
        Err(StartRunError::Aws(_)) => {}
    }
    result
}

async fn start_run_inner(
    glue: &Glue,
    job: &str,
    arguments: &BTreeMap<String, String>,
    deadline: Option<Instant>,
    fingerprint: u64,
) -> Result<StartedRun, StartRunError> {
    let (max_attempts, budget) = glue.call_limits();
    let now = Instant::now();
    // A huge `--operation-timeout` means no budget of our own.
    let budget = now.checked_add(budget.unwrap_or(DEFAULT_BUDGET));
    let deadline = match (deadline, budget) {
        (Some(d), Some(b)) => d.min(b),
        (Some(d), None) => d,
        (None, Some(b)) => b,
        (None, None) => now + Duration::from_secs(24 * 60 * 60),
    };
    let first_sent = SystemTime::now();
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = glue.start_job_run_once(job, arguments.clone());
        let failure: StartAttemptError = match tokio::time::timeout_at(deadline.into(), sent).await
        {
            Ok(Ok(run_id)) => {
                return Ok(StartedRun {
                    run_id,
                    attempts: attempt,
                    recovered: false,
                });
            }
            Ok(Err(failure)) => failure,
            Err(_) => StartAttemptError {
                error: glue_codeartifact_aws::AwsError {
                    operation: glue_codeartifact_aws::Operation::StartJobRun,
                    kind: glue_codeartifact_aws::AwsErrorKind::Timeout,
                    code: None,
                    message: "the deadline came while the request was in flight".to_owned(),
                },
                outcome: SendOutcome::NoAnswer,
            },
        };
        let may_retry = attempt < max_attempts;
        let cause = failure.error.to_string();
        match failure.outcome {
            SendOutcome::NotSent | SendOutcome::Refused => {
                if !(failure.retry_is_safe() && may_retry && sleep_within(backoff, deadline).await)
                {
                    return Err(StartRunError::Aws(failure.error));
                }
                tracing::info!(
                    job,
                    attempt,
                    error = %cause,
                    "StartJobRun failed before any run started; retrying"
                );
            }
            outcome @ (SendOutcome::FailedAnswer | SendOutcome::NoAnswer) => {
                tracing::warn!(
                    job,
                    attempt,
                    error = %cause,
                    "StartJobRun failed without saying whether a run started; looking for the run"
                );
                let waits: &[Duration] = if outcome == SendOutcome::NoAnswer {
                    &LOOKUPS_AFTER_NO_ANSWER
                } else {
                    &LOOKUPS_AFTER_FAILED_ANSWER
                };
                match look_up(glue, job, first_sent, arguments, waits, deadline).await {
                    Ok(Some(found))
                        if LEDGER
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .has_unresolved(fingerprint, first_sent) =>
                    {
                        return Err(StartRunError::Unknown(Error::StartOutcomeUnknown {
                            job: job.to_owned(),
                            since: first_sent,
                            cause,
                            lookup: format!(
                                "GetJobRuns shows run {} with this start's arguments, but an earlier start with the same arguments (and the same cached token) also lost its answer, so which start that run belongs to cannot be told",
                                found.run_id
                            ),
                        }));
                    }
                    Ok(Some(found)) => {
                        tracing::warn!(
                            job,
                            job_run_id = %found.run_id,
                            "found the run that StartJobRun started before its answer was lost"
                        );
                        return Ok(StartedRun {
                            run_id: found.run_id,
                            attempts: attempt,
                            recovered: true,
                        });
                    }
                    Ok(None)
                        if outcome == SendOutcome::FailedAnswer
                            && may_retry
                            && sleep_within(backoff, deadline).await =>
                    {
                        tracing::warn!(
                            job,
                            attempt,
                            "no run was started by the failed StartJobRun; retrying"
                        );
                    }
                    Ok(None) => {
                        return Err(StartRunError::Unknown(Error::StartOutcomeUnknown {
                            job: job.to_owned(),
                            since: first_sent,
                            cause,
                            lookup:
                                "no run carrying this start's arguments was found by GetJobRuns"
                                    .to_owned(),
                        }));
                    }
                    Err(lookup) => {
                        return Err(StartRunError::Unknown(Error::StartOutcomeUnknown {
                            job: job.to_owned(),
                            since: first_sent,
                            cause,
                            lookup: format!("the look-up of the job's runs failed ({lookup})"),
                        }));
                    }
                }
            }
        }
        backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
    }
}

/// Looks for our run, waiting `waits[i]` before look-up `i`, until found or
/// the deadline. An error of the last look-up made is returned if none
/// succeeded.
async fn look_up(
    glue: &Glue,
    job: &str,
    since: SystemTime,
    arguments: &BTreeMap<String, String>,
    waits: &[Duration],
    deadline: Instant,
) -> Result<Option<FoundRun>, String> {
    let mut last_error = None;
    let mut looked = false;
    for wait in waits {
        if !sleep_within(*wait, deadline).await {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let claimed = |id: &str| {
            LEDGER
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_claimed(id)
        };
        match tokio::time::timeout(left, glue.find_run(job, since, arguments, &claimed)).await {
            Ok(Ok(Some(found))) => return Ok(Some(found)),
            Ok(Ok(None)) => looked = true,
            Ok(Err(e)) => last_error = Some(e.to_string()),
            Err(_) => last_error = Some("it timed out".to_owned()),
        }
    }
    match (looked, last_error) {
        (true, _) => Ok(None),
        (false, Some(e)) => Err(e),
        (false, None) => Err("there was no time left for it (the operation timeout)".to_owned()),
    }
}

/// What this process knows of its own starts, for the look-up. The Lambda's
/// warm cache reuses a token across invocations, so two starts of the same
/// job with the same arguments carry the same index URL, and a look-up could
/// take an earlier start's run for its own (and report a run that this
/// start did not make). So runs already reported as started are excluded
/// from look-ups, and when an earlier start with the same arguments ended
/// unknown, a run found later cannot be attributed and stays unknown.
/// (The CLI mints a token per process, so its index URLs never repeat.)
struct Ledger {
    claimed: VecDeque<String>,
    unresolved: VecDeque<(u64, SystemTime)>,
}

/// How many run IDs and unresolved starts the ledger keeps.
const LEDGER_CAPACITY: usize = 4096;

static LEDGER: Mutex<Ledger> = Mutex::new(Ledger {
    claimed: VecDeque::new(),
    unresolved: VecDeque::new(),
});

impl Ledger {
    fn claim(&mut self, run_id: String) {
        if self.claimed.len() == LEDGER_CAPACITY {
            self.claimed.pop_front();
        }
        self.claimed.push_back(run_id);
    }

    fn is_claimed(&self, run_id: &str) -> bool {
        self.claimed.iter().any(|id| id == run_id)
    }

    fn unresolved(&mut self, fingerprint: u64, at: SystemTime) {
        if self.unresolved.len() == LEDGER_CAPACITY {
            self.unresolved.pop_front();
        }
        self.unresolved.push_back((fingerprint, at));
    }

    /// Whether a start with these arguments ended unknown within the
    /// look-up's window before `since`.
    fn has_unresolved(&self, fingerprint: u64, since: SystemTime) -> bool {
        let earliest = since.checked_sub(LOOKUP_CLOCK_SKEW).unwrap_or(since);
        self.unresolved
            .iter()
            .any(|(f, at)| *f == fingerprint && *at >= earliest)
    }
}

/// A process-local fingerprint of a start: the job and every argument sent
/// (the token included). Never leaves the process.
fn fingerprint(job: &str, arguments: &BTreeMap<String, String>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    job.hash(&mut hasher);
    arguments.hash(&mut hasher);
    hasher.finish()
}

/// Sleeps `wait` if that ends before `deadline`; false (without sleeping)
/// if it would not.
async fn sleep_within(wait: Duration, deadline: Instant) -> bool {
    if Instant::now()
        .checked_add(wait)
        .is_none_or(|end| end >= deadline)
    {
        return false;
    }
    tokio::time::sleep(wait).await;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_excludes_claimed_runs_and_remembers_unknown_starts() {
        let mut ledger = Ledger {
            claimed: VecDeque::new(),
            unresolved: VecDeque::new(),
        };
        ledger.claim("jr_1".into());
        assert!(ledger.is_claimed("jr_1"));
        assert!(!ledger.is_claimed("jr_2"));
        for i in 0..LEDGER_CAPACITY {
            ledger.claim(format!("jr_x{i}"));
        }
        assert!(!ledger.is_claimed("jr_1"), "the oldest is forgotten");
        assert_eq!(ledger.claimed.len(), LEDGER_CAPACITY);

        let args: BTreeMap<String, String> = [("--a".to_owned(), "1".to_owned())].into();
        let f = fingerprint("job", &args);
        assert_ne!(f, fingerprint("other", &args));
        let now = SystemTime::now();
        assert!(!ledger.has_unresolved(f, now));
        ledger.unresolved(f, now - Duration::from_secs(60));
        assert!(ledger.has_unresolved(f, now));
        assert!(!ledger.has_unresolved(f, now + LOOKUP_CLOCK_SKEW * 2));
    }
}
