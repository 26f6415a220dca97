//! The handler: one event in, one run started (or a clear error out).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use glue_codeartifact_app::{
    Error as StartError, Services, WarmCache,
    doctor::{DoctorRequest, doctor},
    start::{start_cached, start_cached_until},
};
use glue_codeartifact_domain::preflight::{Finding, Severity};
use lambda_runtime::LambdaEvent;
use serde::Serialize;

use crate::{
    error::HandlerError,
    event::StartEvent,
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
        let cache = WarmCache::new(settings.freshness);
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

/// Handles one invocation: validates the event (no AWS call if it is
/// refused), then starts the run through the warm cache.
pub async fn handler(
    event: LambdaEvent<serde_json::Value>,
    state: &State,
) -> Result<StartResponse, HandlerError> {
    let (payload, context) = event.into_parts();
    let answer_by = answer_by(context.deadline, SystemTime::now(), Instant::now());
    let mut preflight = false;
    let request = StartEvent::from_json(payload)
        .and_then(|event| {
            preflight = event.preflight;
            event.validate(&state.settings)
        })
        .inspect_err(|err| {
            tracing::warn!(error_type = err.error_type(), error = %err, "event refused; nothing started");
        })?;
    let preflight_warnings = if preflight {
        let checks = run_preflight(state, &request);
        let checked = match answer_by {
            Some(by) => tokio::time::timeout_at(by.into(), checks)
                .await
                .unwrap_or_else(|_| {
                    let err = HandlerError::Start(StartError::DeadlineReached {
                        job: request.job.clone(),
                    });
                    tracing::error!(job = %request.job, error_type = err.error_type(), error = %err, "preflight did not finish before the deadline; nothing started");
                    Err(err)
                }),
            None => checks.await,
        };
        Some(checked?)
    } else {
        None
    };
    let started = match answer_by {
        Some(by) => start_cached_until(&state.services, &state.cache, &request, by).await,
        None => start_cached(&state.services, &state.cache, &request).await,
    };
    let outcome = started.map_err(HandlerError::from).inspect_err(|err| {
        tracing::error!(
            job = %request.job,
            error_type = err.error_type(),
            retryable = err.is_retryable(),
            error = %err,
            "start failed"
        );
    })?;
    Ok(StartResponse {
        job_name: outcome.job,
        job_run_id: outcome.job_run_id.unwrap_or_default(),
        token_expiration: rfc3339(outcome.token_expiration),
        argument_keys: outcome.plan.keys(),
        token_cached: outcome.token_cached,
        preflight_warnings,
    })
}

/// `doctor`'s checks (with a short token of their own, not the cache's):
/// any error refuses the start; the warnings go into the response.
async fn run_preflight(
    state: &State,
    request: &glue_codeartifact_app::start::StartRequest,
) -> Result<Vec<Finding>, HandlerError> {
    let report = doctor(&state.services, &DoctorRequest::from(request))
        .await
        .map_err(HandlerError::from)?;
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
        job = %request.job,
        errors = errors.len(),
        warnings = report.warnings(),
        "preflight"
    );
    if !errors.is_empty() {
        let err = HandlerError::PreflightFailed {
            job: request.job.clone(),
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
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    match deadline.duration_since(now) {
        Ok(left) => Some(now_instant + left.saturating_sub(DEADLINE_MARGIN)),
        Err(past) if past.duration() < Duration::from_secs(24 * 60 * 60) => Some(now_instant),
        Err(_) => None,
    }
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
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
    }
}
