//! The handlers: one event in, one run started or some jobs refreshed (or
//! a clear error out). [`invoke`] tells the two events apart by their
//! shape and is what the function's runtime calls; [`handler`] serves start
//! events, [`refresh_handler`] refresh events.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use glue_codeartifact_app::{
    Services, WarmCache,
    refresh::refresh,
    start::{StartOutcome, start_cached, start_cached_until, start_preflighted},
};
use glue_codeartifact_domain::{
    metrics::Metric,
    preflight::{Finding, Report, Severity},
};
use lambda_runtime::LambdaEvent;
use serde::Serialize;

use crate::{
    error::{HandlerError, JobFailure, RefreshFailures, setting_or_field, start_error_type},
    event::{RefreshEvent, StartEvent},
    metrics::Invocation,
    settings::{DEADLINE_MARGIN, Settings},
};

/// What the function keeps between invocations of one execution
/// environment: the settings, the AWS clients and the warm cache.
#[derive(Debug)]
pub struct State {
    /// The deployment's settings.
    pub settings: Settings,
    /// The AWS clients.
    pub services: Services,
    /// Endpoints and tokens kept between invocations.
    pub cache: WarmCache,
}

impl State {
    /// The state of a fresh execution environment (an empty cache).
    pub fn new(settings: Settings, services: Services) -> State {
        let cache = WarmCache::new(settings.min_token_life);
        State {
            settings,
            services,
            cache,
        }
    }
}

/// The response, shaped for a Step Functions task's `ResultSelector`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StartResponse {
    /// The Glue job.
    pub job_name: String,
    /// The run's ID.
    pub job_run_id: String,
    /// When the token in the run's arguments expires (RFC 3339, UTC).
    pub token_expiration: String,
    /// The argument keys the run was started with (values are not
    /// returned: one of them holds the token).
    pub argument_keys: Vec<String>,
    /// Whether the token came from the warm cache.
    pub token_cached: bool,
    /// The preflight's warnings, when the event asked for a preflight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preflight_warnings: Option<Vec<Finding>>,
}

/// What an invocation answers: a start's or a refresh's response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// A run was started.
    Start(StartResponse),
    /// Jobs were refreshed.
    Refresh(RefreshResponse),
}

/// Handles one invocation, whichever event it is: an object with a
/// `refresh` field is a refresh event ([`refresh_handler`]), anything else
/// a start event ([`handler`]).
pub async fn invoke(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
) -> Result<Response, HandlerError> {
    if RefreshEvent::is_refresh(&event.payload) {
        refresh_handler(event, state).await.map(Response::Refresh)
    } else {
        handler(event, state).await.map(Response::Start)
    }
}

/// A refresh's response: counts and each job's result, never a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefreshResponse {
    /// When the token written into the jobs expires (RFC 3339, UTC).
    pub token_expiration: String,
    /// Jobs refreshed.
    pub refreshed: usize,
    /// Jobs that failed (the invocation then fails with
    /// `RefreshIncomplete`, so a response never has any).
    pub failed: usize,
    /// Jobs selected by tag that `ALLOWED_JOBS` does not allow: not touched.
    pub skipped: usize,
    /// Each job, in name order.
    pub jobs: Vec<RefreshedJobReport>,
}

/// One job of a refresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefreshedJobReport {
    /// The Glue job.
    pub job_name: String,
    /// `refreshed`, `skipped`, or for a failed job `failed`, `conflict` or
    /// `unverified` ([`glue_codeartifact_app::refresh::failure_status`]).
    pub status: &'static str,
    /// The default argument that now holds the index URL (its value is not
    /// returned: it holds the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argument_key: Option<String>,
    /// Why the job failed: its `errorType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<&'static str>,
    /// Why the job failed, and how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Handles a refresh event: validates it (no AWS call if it is refused),
/// mints a fresh token (never the warm cache's: a cached token would expire
/// before the duration the schedule counts on) and writes the index URL
/// into each selected job. Fails with `RefreshIncomplete` when some job
/// failed, after refreshing the others.
///
/// Emits the invocation's metrics ([`crate::metrics`]) before it returns.
pub async fn refresh_handler(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
) -> Result<RefreshResponse, HandlerError> {
    let mut metrics = Invocation::new(
        &event.context.env_config.function_name,
        &event.context.request_id,
    );
    let result = serve_refresh(event, state).await;
    metrics.refresh_done(state, &result);
    if state.settings.metrics {
        metrics.emit();
    }
    result
}

async fn serve_refresh(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
) -> Result<RefreshResponse, HandlerError> {
    let (payload, context) = event.into_parts();
    let answer_by = answer_by(context.deadline, SystemTime::now(), Instant::now());
    let refused = |err: &HandlerError| {
        tracing::warn!(error_type = err.error_type(), error = %err, "refresh event refused; nothing changed");
    };
    if !state.settings.refresh_enabled {
        let err = HandlerError::RefreshNotEnabled;
        refused(&err);
        return Err(err);
    }
    let request = RefreshEvent::from_json(payload)
        .and_then(|event| event.validate(&state.settings))
        .inspect_err(refused)?;
    let refreshing = refresh(&state.services, &request);
    // Past the deadline the refresh is abandoned, an UpdateJob perhaps in
    // flight: harmless, as a refresh is idempotent.
    let outcome = match answer_by {
        Some(by) => match tokio::time::timeout_at(by.into(), refreshing).await {
            Ok(result) => result.map_err(HandlerError::from),
            Err(_) => Err(HandlerError::RefreshDeadlineReached),
        },
        None => refreshing.await.map_err(HandlerError::from),
    };
    let outcome = outcome.inspect_err(|err| {
        tracing::error!(
            error_type = err.error_type(),
            retryable = err.is_retryable(),
            error = %err,
            "refresh failed"
        );
    })?;
    let token_expiration = rfc3339(outcome.token_expiration);
    let mut jobs: Vec<RefreshedJobReport> = Vec::new();
    let mut failed = Vec::new();
    for (job, result) in outcome.jobs {
        match result {
            Ok(refreshed) => jobs.push(RefreshedJobReport {
                job_name: job,
                status: "refreshed",
                argument_key: Some(refreshed.key),
                error_type: None,
                error: None,
            }),
            Err(err) => {
                let error_type = start_error_type(&err);
                failed.push(JobFailure {
                    job: job.clone(),
                    error_type,
                    retryable: err.class().is_transient(),
                    message: err.message(setting_or_field),
                });
                jobs.push(RefreshedJobReport {
                    job_name: job,
                    status: glue_codeartifact_app::refresh::failure_status(&err),
                    argument_key: None,
                    error_type: Some(error_type),
                    error: Some(err.message(setting_or_field)),
                });
            }
        }
    }
    jobs.extend(outcome.skipped.iter().map(|job| RefreshedJobReport {
        job_name: job.clone(),
        status: "skipped",
        argument_key: None,
        error_type: None,
        error: None,
    }));
    jobs.sort_by(|a, b| a.job_name.cmp(&b.job_name));
    let refreshed = jobs.iter().filter(|j| j.status == "refreshed").count();
    tracing::info!(
        refreshed,
        failed = failed.len(),
        skipped = outcome.skipped.len(),
        token_expiration = %token_expiration,
        "refresh done"
    );
    if !failed.is_empty() {
        let err = HandlerError::RefreshIncomplete(RefreshFailures {
            refreshed,
            skipped: outcome.skipped.len(),
            token_expiration,
            failed,
        });
        tracing::error!(
            error_type = err.error_type(),
            retryable = err.is_retryable(),
            error = %err,
            "refresh incomplete"
        );
        return Err(err);
    }
    Ok(RefreshResponse {
        token_expiration,
        refreshed,
        failed: 0,
        skipped: outcome.skipped.len(),
        jobs,
    })
}

/// Handles a start event: validates it (no AWS call if it is refused),
/// then starts the run through the warm cache. Emits the invocation's
/// metrics ([`crate::metrics`]) before it returns.
pub async fn handler(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
) -> Result<StartResponse, HandlerError> {
    let mut metrics = Invocation::new(
        &event.context.env_config.function_name,
        &event.context.request_id,
    );
    let result = serve_start(event, state, &mut metrics).await;
    metrics.start_done(state, &result);
    if state.settings.metrics {
        metrics.emit();
    }
    result
}

async fn serve_start(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
    metrics: &mut Invocation,
) -> Result<StartResponse, HandlerError> {
    let (payload, context) = event.into_parts();
    let answer_by = answer_by(context.deadline, SystemTime::now(), Instant::now());
    if !state.settings.start_enabled {
        // Whatever the event is: this function starts nothing.
        let err = HandlerError::StartNotEnabled;
        tracing::warn!(error_type = err.error_type(), error = %err, "event refused; nothing started");
        return Err(err);
    }
    let mut preflight = false;
    let request = StartEvent::from_json(payload)
        .and_then(|event| {
            preflight = event.preflight;
            event.validate(&state.settings)
        })
        .inspect_err(|err| {
            tracing::warn!(error_type = err.error_type(), error = %err, "event refused; nothing started");
        })?;
    metrics
        .metrics_mut()
        .run_of(&request.job, &state.settings.allowed_jobs);
    let (started, preflight_warnings) = if preflight {
        // doctor's checks on what the start reads (the warm cache's
        // endpoint and token included), then the start: each call once.
        match start_preflighted(
            &state.services,
            Some(&state.cache),
            &request,
            answer_by,
            setting_or_field,
        )
        .await
        {
            Ok(checked) => {
                let warnings = preflight_verdict(&request.job, &checked.report)?;
                match checked.started {
                    Some(started) => (started, Some(warnings)),
                    // A report with errors starts nothing, and the verdict
                    // above has said so.
                    None => {
                        return Err(HandlerError::PreflightFailed {
                            job: request.job.clone(),
                            errors: Vec::new(),
                        });
                    }
                }
            }
            Err(err) => (Err(err), None),
        }
    } else {
        let started = match answer_by {
            Some(by) => start_cached_until(&state.services, &state.cache, &request, by).await,
            None => start_cached(&state.services, &state.cache, &request).await,
        };
        (started, None)
    };
    let outcome: StartOutcome = started.map_err(HandlerError::from).inspect_err(|err| {
        tracing::error!(
            job = %request.job,
            error_type = err.error_type(),
            retryable = err.is_retryable(),
            error = %err,
            "start failed"
        );
    })?;
    let m = metrics.metrics_mut();
    m.duration(Metric::ReadRoundLatency, outcome.rounds.read);
    if let Some(start) = outcome.rounds.start {
        m.duration(Metric::StartRoundLatency, start);
    }
    Ok(StartResponse {
        job_name: outcome.job,
        job_run_id: outcome.job_run_id.unwrap_or_default(),
        token_expiration: rfc3339(outcome.token_expiration),
        argument_keys: outcome.plan.keys(),
        token_cached: outcome.token_cached,
        preflight_warnings,
    })
}

/// The preflight's verdict on `report`: any error refuses the start (the
/// findings go into the error); the warnings go into the response.
fn preflight_verdict(job: &str, report: &Report) -> Result<Vec<Finding>, HandlerError> {
    let of = |severity: Severity| {
        report
            .findings
            .iter()
            .filter(move |f| f.severity == severity)
            .cloned()
    };
    let errors: Vec<String> = of(Severity::Error)
        .map(|f| match &f.fix {
            Some(fix) => format!("{}: {} (fix: {fix})", f.check, f.cause),
            None => format!("{}: {}", f.check, f.cause),
        })
        .collect();
    tracing::info!(
        job = %job,
        errors = errors.len(),
        warnings = report.warnings(),
        "preflight"
    );
    if !errors.is_empty() {
        let err = HandlerError::PreflightFailed {
            job: job.to_owned(),
            errors,
        };
        tracing::warn!(error_type = err.error_type(), error = %err, "preflight failed; nothing started");
        return Err(err);
    }
    Ok(of(Severity::Warning).collect())
}

/// The instant by which the invocation must answer: its deadline (epoch
/// milliseconds, from the Runtime API) less [`DEADLINE_MARGIN`], so that an
/// error is reported before Lambda stops the function. `None` when the
/// deadline is not a real one: cargo-lambda's local Runtime API sends a
/// fixed `600000` (ten minutes after 1970), and a deadline more than a day
/// in the past can only be such a placeholder.
pub fn answer_by(deadline_ms: u64, now: SystemTime, now_instant: Instant) -> Option<Instant> {
    // Total: a deadline past what the clocks can hold is no deadline.
    let deadline = UNIX_EPOCH.checked_add(Duration::from_millis(deadline_ms))?;
    match deadline.duration_since(now) {
        Ok(left) => now_instant.checked_add(left.saturating_sub(DEADLINE_MARGIN)),
        Err(past) if past.duration() < Duration::from_secs(24 * 60 * 60) => Some(now_instant),
        Err(_) => None,
    }
}

fn rfc3339(t: glue_codeartifact_domain::timestamp::TokenExpiration) -> String {
    t.rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_due_a_margin_before_the_deadline() {
        let now = SystemTime::now();
        let instant = Instant::now();
        let ms = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let by = answer_by(ms(now + Duration::from_secs(30)), now, instant).unwrap();
        let left = by - instant;
        assert!(
            left <= Duration::from_secs(29) && left > Duration::from_millis(28_900),
            "{left:?}"
        );
        // Less than the margin left, or just past: answer at once.
        let by = answer_by(ms(now + Duration::from_millis(300)), now, instant).unwrap();
        assert_eq!(by, instant);
        let by = answer_by(ms(now - Duration::from_secs(5)), now, instant).unwrap();
        assert_eq!(by, instant);
        // cargo-lambda's placeholder, and other impossible deadlines.
        assert_eq!(answer_by(600_000, now, instant), None);
        assert_eq!(answer_by(0, now, instant), None);
        let _ = answer_by(u64::MAX, now, instant);
    }
}
