//! Follow a run until it ends (`glue-codeartifact start --wait`).

use std::time::{Duration, Instant};

use glue_codeartifact_aws::JobRunStatus;

use crate::{Error, RepositoryRef, Services, error::Context};

/// How to follow a run.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    /// Time between two `GetJobRun` calls.
    pub poll: Duration,
    /// How long to follow the run before giving up (the run goes on).
    pub timeout: Duration,
    /// When the token in the run's index URL expires (for the triage of a
    /// failed run: [`crate::why`]).
    pub token_expiration: Option<std::time::SystemTime>,
}

/// How following a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitEnd {
    /// The run reached a final state.
    Final(JobRunStatus),
    /// `timeout` passed first; the last status seen.
    TimedOut(JobRunStatus),
}

/// Polls `GetJobRun` until the run reaches a final state or `timeout`
/// passes, calling `on_status` with every status read and the time since
/// the wait began.
pub async fn wait_for_run(
    services: &Services,
    job: &str,
    run_id: &str,
    options: WaitOptions,
    mut on_status: impl FnMut(&JobRunStatus, Duration),
) -> Result<WaitEnd, Error> {
    let began = Instant::now();
    let repository = RepositoryRef::default();
    let cx = Context {
        job: Some(job),
        repository: &repository,
        region: &services.region,
    };
    loop {
        let status = services
            .glue
            .get_job_run(job, run_id)
            .await
            .map_err(|e| Error::from_aws(e, cx))?;
        let elapsed = began.elapsed();
        on_status(&status, elapsed);
        if status.state.is_final() {
            tracing::info!(job, job_run_id = run_id, state = %status.state, "run ended");
            return Ok(WaitEnd::Final(status));
        }
        // Saturating: `--poll` and `--timeout` may be huge, and this runs
        // after StartJobRun, where nothing may panic.
        if elapsed.saturating_add(options.poll) > options.timeout {
            return Ok(WaitEnd::TimedOut(status));
        }
        tokio::time::sleep(options.poll).await;
    }
}
