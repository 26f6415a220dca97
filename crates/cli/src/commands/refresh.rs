//! `glue-codeartifact refresh`.

use std::io::Write;

use glue_codeartifact_app::{
    Error, ErrorClass,
    refresh::{JobSelector, RefreshRequest, failure_status, refresh},
};
use glue_codeartifact_aws::AwsSettings;
use serde_json::json;

use super::{Failure, services, timestamp};
use crate::{
    cli::{Output, RefreshArgs},
    exit_code::{Exit, flag},
};

pub async fn run(
    args: RefreshArgs,
    output: Output,
    settings: &AwsSettings,
) -> Result<Exit, Failure> {
    let jobs = if args.tags.is_empty() {
        JobSelector::Names(args.jobs)
    } else {
        JobSelector::Tags(args.tags.into_iter().collect())
    };
    let request = RefreshRequest {
        jobs,
        repository: args.repository.into(),
        duration: args.duration,
        mode: args.mode.into(),
        dry_run: args.dry_run,
        concurrency: usize::from(args.concurrency),
        allowed: None,
    };
    let services = services(settings).await?;
    let outcome = refresh(&services, &request).await?;

    let mut stdout = std::io::stdout().lock();
    let done = if request.dry_run {
        "would-refresh"
    } else {
        "refreshed"
    };
    match output {
        Output::Json => {
            let jobs: Vec<_> = outcome
                .jobs
                .iter()
                .map(|(job, result)| match result {
                    Ok(r) => {
                        let mut entry = json!({ "job": job, "status": done, "key": r.key, "replaced": r.replaced });
                        if request.dry_run {
                            entry["value"] = json!(r.value.redacted());
                        }
                        entry
                    }
                    Err(e) => json!({ "job": job, "status": failure_status(e), "error": e.message(flag) }),
                })
                .collect();
            let body = json!({
                "dry_run": request.dry_run,
                "token_expiration": timestamp(outcome.token_expiration),
                "refreshed": outcome.jobs.len().saturating_sub(outcome.failed()),
                "failed": outcome.failed(),
                "jobs": jobs,
            });
            writeln!(stdout, "{body}").map_err(Failure::output)?;
        }
        Output::Text => {
            for (job, result) in &outcome.jobs {
                match result {
                    Ok(r) if request.dry_run => {
                        writeln!(stdout, "{done} {job}: {}={}", r.key, r.value)
                    }
                    Ok(r) => writeln!(stdout, "{done} {job}: {}", r.key),
                    Err(e) => writeln!(stdout, "{} {job}: {}", failure_status(e), e.message(flag)),
                }
                .map_err(Failure::output)?;
            }
            crate::say!(
                "{} of {} jobs {done}; the token expires at {}",
                outcome.jobs.len().saturating_sub(outcome.failed()),
                outcome.jobs.len(),
                timestamp(outcome.token_expiration)
            );
        }
    }
    let failures: Vec<&Error> = outcome
        .jobs
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    Ok(if failures.is_empty() {
        Exit::Success
    } else if failures
        .iter()
        .all(|e| e.class() == ErrorClass::ConcurrentEdit)
    {
        Exit::RefreshConflict
    } else if failures
        .iter()
        .all(|e| e.class() == ErrorClass::UpdateNotVerified)
    {
        Exit::UpdateNotVerified
    } else {
        Exit::SomeJobsFailed
    })
}
