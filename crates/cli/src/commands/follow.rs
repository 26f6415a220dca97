//! `start --wait`: follow the run, show its progress, exit with its state.

use std::{
    io::{IsTerminal, Write},
    time::Duration,
};

use glue_codeartifact_app::{
    Services,
    wait::{WaitEnd, WaitOptions, wait_for_run},
};
use glue_codeartifact_aws::JobRunStatus;
use glue_codeartifact_domain::run_state::{RunState, log_locations};
use serde_json::json;

use super::Failure;
use crate::{cli::Output, exit_code::Exit};

/// Follows `run_id` until it ends, `options.timeout` passes, or Ctrl-C.
pub async fn follow(
    services: &Services,
    job: &str,
    run_id: &str,
    options: WaitOptions,
    output: Output,
    stop_on_interrupt: bool,
) -> Result<Exit, Failure> {
    // A live line only where one can be drawn: a terminal that is not
    // `TERM=dumb` (indicatif hides itself otherwise, and then plain
    // state-change lines are printed instead).
    let bar = (output == Output::Text && std::io::stderr().is_terminal())
        .then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        })
        .filter(|bar| !bar.is_hidden());
    if let Some(bar) = &bar {
        bar.enable_steady_tick(Duration::from_millis(200));
    }
    let live = bar.is_some();
    let mut last: Option<RunState> = None;
    let on_status = |status: &JobRunStatus, elapsed: Duration| {
        let line = progress_line(status, elapsed);
        if let Some(bar) = &bar {
            bar.set_message(format!("{job} {run_id}: {line}"));
        }
        if last.as_ref() == Some(&status.state) {
            return;
        }
        last = Some(status.state.clone());
        match output {
            Output::Json => {
                let mut body = status_json(job, run_id, status, elapsed);
                if status.state.is_final() && status.state != RunState::Succeeded {
                    body["logs"] = json!(log_locations(status.log_group_name.as_deref(), run_id));
                }
                let _ = writeln!(std::io::stdout().lock(), "{body}");
            }
            Output::Text if bar.is_none() => crate::say!("{job} {run_id}: {line}"),
            Output::Text => {}
        }
    };
    let waited = tokio::select! {
        waited = wait_for_run(services, job, run_id, options, on_status) => Some(waited),
        _ = tokio::signal::ctrl_c() => None,
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let end = match waited {
        Some(end) => end?,
        None => return interrupted(services, job, run_id, stop_on_interrupt).await,
    };
    match end {
        WaitEnd::TimedOut(status) => Err(Failure {
            message: format!(
                "stopped waiting after {}: run {run_id} of {job:?} is still {} and goes on",
                humantime::format_duration(options.timeout),
                status.state
            ),
            exit: Exit::WaitTimedOut,
        }),
        WaitEnd::Final(status) => {
            if live {
                crate::say!("{job} {run_id}: {}", progress_line(&status, Duration::ZERO));
            }
            if status.state == RunState::Failed {
                super::why::after_failure(services, job, run_id, options.token_expiration, output)
                    .await;
            }
            let exit = match status.state {
                RunState::Succeeded => return Ok(Exit::Success),
                RunState::Failed => Exit::RunFailed,
                RunState::Error => Exit::RunError,
                RunState::Timeout => Exit::RunTimeout,
                RunState::Stopped => Exit::RunStopped,
                _ => Exit::RunExpired,
            };
            let reason = status
                .error_message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            Err(Failure {
                message: format!(
                    "run {run_id} of {job:?} ended {}{reason}\nlogs: {}",
                    status.state,
                    log_locations(status.log_group_name.as_deref(), run_id)
                ),
                exit,
            })
        }
    }
}

async fn interrupted(
    services: &Services,
    job: &str,
    run_id: &str,
    stop: bool,
) -> Result<Exit, Failure> {
    if !stop {
        return Err(Failure {
            message: format!("interrupted: stopped waiting; run {run_id} of {job:?} goes on"),
            exit: Exit::Interrupted,
        });
    }
    let message = match services.glue.batch_stop_job_run(job, run_id).await {
        Ok(()) => format!("interrupted: asked Glue to stop run {run_id} of {job:?}"),
        Err(e) => format!("interrupted: could not stop run {run_id} of {job:?}: {e}"),
    };
    Err(Failure {
        message,
        exit: Exit::Interrupted,
    })
}

fn progress_line(status: &JobRunStatus, elapsed: Duration) -> String {
    let mut line = format!("{}", status.state);
    if !elapsed.is_zero() {
        line.push_str(&format!(
            ", waited {}",
            humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
        ));
    }
    line.push_str(&format!(
        ", attempt {}, run time {}s",
        status.attempt, status.execution_time_seconds
    ));
    if let Some(dpu) = status.dpu_seconds {
        line.push_str(&format!(", {dpu:.1} DPU-seconds"));
    }
    line
}

fn status_json(
    job: &str,
    run_id: &str,
    status: &JobRunStatus,
    elapsed: Duration,
) -> serde_json::Value {
    json!({
        "job_name": job,
        "job_run_id": run_id,
        "state": status.state.as_str(),
        "waited_seconds": elapsed.as_secs(),
        "attempt": status.attempt,
        "execution_time_seconds": status.execution_time_seconds,
        "dpu_seconds": status.dpu_seconds,
        "error_message": status.error_message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `start --wait` prints after StartJobRun, for the extremes of
    /// every field GetJobRun may answer (the aws crate's property tests
    /// cover the reading): never a panic.
    #[test]
    fn progress_and_status_are_total() {
        let states = ["", "RUNNING", "FAILED", "\u{0}\u{feff}weird\n", "ü"];
        let ints = [i32::MIN, -1, 0, i32::MAX];
        let floats = [
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(f64::MAX),
            Some(-0.0),
        ];
        let waits = [Duration::ZERO, Duration::from_nanos(1), Duration::MAX];
        for state in states {
            for &n in &ints {
                for dpu in floats {
                    for elapsed in waits {
                        let status = JobRunStatus {
                            state: RunState::parse(state),
                            attempt: n,
                            execution_time_seconds: n,
                            dpu_seconds: dpu,
                            error_message: Some(state.to_owned()),
                            log_group_name: Some(state.to_owned()),
                            started_on: None,
                            arguments: Default::default(),
                        };
                        let _ = progress_line(&status, elapsed);
                        let _ = status_json(state, state, &status, elapsed).to_string();
                        let _ = log_locations(status.log_group_name.as_deref(), state);
                    }
                }
            }
        }
    }
}
