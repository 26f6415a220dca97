//! `glue-codeartifact start`.

use std::io::{BufRead, Write};

use glue_codeartifact_app::{
    doctor::DoctorRequest,
    start::{
        StartOutcome, StartRequest, start, start_many, start_many_preflighted, start_preflighted,
    },
    wait::WaitOptions,
};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_domain::preflight::Report;
use serde_json::{Value, json};

use super::{
    Failure,
    doctor::{report_json, report_text},
    follow::follow,
    services, timestamp,
};
use crate::{
    cli::{Output, StartArgs},
    exit_code::{Exit, flag},
};

pub async fn run(args: StartArgs, output: Output, settings: &AwsSettings) -> Result<Exit, Failure> {
    // Validate everything local before any AWS call.
    let arguments = super::run_arguments(&args.args)?;
    let mut jobs = args.jobs;
    if let Some(path) = &args.jobs_from {
        for job in read_job_list(path)? {
            crate::cli::parse_job_name(&job).map_err(|e| {
                Failure::usage(format!(
                    "invalid job name in --jobs-from {}: {e}",
                    path.display()
                ))
            })?;
            jobs.push(job);
        }
    }
    let mut seen = std::collections::HashSet::new();
    jobs.retain(|j| seen.insert(j.clone()));
    if jobs.is_empty() {
        return Err(Failure::usage(
            "no job to start: give --job or a non-empty --jobs-from",
        ));
    }
    let request = StartRequest {
        job: jobs[0].clone(),
        repository: args.index.repository.into(),
        duration: args.index.duration,
        mode: args.index.mode.into(),
        arguments,
        dry_run: args.dry_run,
    };
    if args.wait && jobs.len() > 1 {
        return Err(Failure::usage("--wait follows one run: give one --job"));
    }
    let services = services(settings).await?;
    if jobs.len() == 1 {
        let outcome = if args.preflight {
            // doctor's checks on what the start reads, with its token.
            let checked = start_preflighted(&services, None, &request, None, flag).await?;
            show_preflight(std::slice::from_ref(&checked.report), &request, output)?;
            match checked.started {
                Some(started) => started?,
                None => return Err(preflight_failed()),
            }
        } else {
            start(&services, &request).await?
        };
        print_one(&outcome, output).map_err(|failure| match &outcome.job_run_id {
            // The run started: say so, or a caller that retries on the
            // failure starts a second one.
            Some(run_id) => Failure {
                message: format!(
                    "run {run_id} of {:?} was started, but {}; do not start it again",
                    outcome.job, failure.message
                ),
                exit: failure.exit,
            },
            None => failure,
        })?;
        if let (true, Some(run_id)) = (args.wait, &outcome.job_run_id) {
            let options = WaitOptions {
                poll: args.poll,
                timeout: args.wait_timeout,
                token_expiration: Some(outcome.token_expiration.as_system_time()),
            };
            return follow(
                &services,
                &outcome.job,
                run_id,
                options,
                output,
                args.stop_on_interrupt,
            )
            .await;
        }
        return Ok(Exit::Success);
    }
    let concurrency = usize::from(args.concurrency);
    let outcome = if args.preflight {
        let checked = start_many_preflighted(&services, &request, &jobs, concurrency, flag).await?;
        show_preflight(&checked.reports, &request, output)?;
        match checked.started {
            Some(started) => started,
            None => return Err(preflight_failed()),
        }
    } else {
        start_many(&services, &request, &jobs, concurrency).await?
    };
    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => {
            let runs: Vec<Value> = outcome
                .runs
                .iter()
                .map(|(job, result)| match result {
                    Ok(o) => run_json(o),
                    Err(e) => json!({ "job_name": job, "error": e.to_string() }),
                })
                .collect();
            let body = json!({
                "dry_run": request.dry_run,
                "token_expiration": timestamp(outcome.token_expiration),
                "started": outcome.runs.len().saturating_sub(outcome.failed()),
                "failed": outcome.failed(),
                "concurrency": args.concurrency,
                "runs": runs,
            });
            writeln!(stdout, "{body}").map_err(Failure::output)?;
        }
        Output::Text => {
            for (job, result) in &outcome.runs {
                match result {
                    Ok(o) => match &o.job_run_id {
                        Some(id) => writeln!(stdout, "{job}\t{id}"),
                        None => writeln!(stdout, "{job}\t(dry run)"),
                    },
                    Err(e) => writeln!(stdout, "{job}\tfailed: {e}"),
                }
                .map_err(Failure::output)?;
            }
        }
    }
    Ok(if outcome.failed() > 0 {
        Exit::SomeJobsFailed
    } else {
        Exit::Success
    })
}

/// Shows the preflight's reports (as text, those with errors or warnings,
/// on stderr). Any error stops the whole start (nothing was started: the
/// reports then go to stdout as JSON); warnings are shown and the start
/// goes on.
fn show_preflight(
    reports: &[Report],
    request: &StartRequest,
    output: Output,
) -> Result<(), Failure> {
    let shown = DoctorRequest::for_start(request, flag);
    for report in reports {
        if output == Output::Text && (report.has_errors() || report.warnings() > 0) {
            crate::say_raw!("{}", report_text(report, &shown));
        }
    }
    let failing: Vec<&str> = reports
        .iter()
        .filter(|r| r.has_errors())
        .map(|r| r.job.as_str())
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    if output == Output::Json {
        let body = json!({
            "started": 0,
            "preflight": reports.iter().map(report_json).collect::<Vec<_>>(),
        });
        writeln!(std::io::stdout().lock(), "{body}").map_err(Failure::output)?;
    }
    Err(Failure {
        message: format!(
            "preflight found errors in {}; nothing was started (run `glue-codeartifact doctor` for the full report)",
            failing
                .iter()
                .map(|j| format!("job {j:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        exit: Exit::DoctorFoundErrors,
    })
}

/// A preflight that started nothing (its reports were shown).
fn preflight_failed() -> Failure {
    Failure {
        message: "preflight found errors; nothing was started (run `glue-codeartifact doctor` for the full report)".to_owned(),
        exit: Exit::DoctorFoundErrors,
    }
}

fn run_json(outcome: &StartOutcome) -> Value {
    let mut body = json!({
        "job_name": outcome.job,
        "job_run_id": outcome.job_run_id,
        "dry_run": outcome.job_run_id.is_none(),
        "token_expiration": timestamp(outcome.token_expiration),
        "argument_keys": outcome.plan.keys(),
    });
    if outcome.job_run_id.is_none() {
        body["arguments"] = json!(outcome.plan.redacted_arguments());
    }
    body
}

fn print_one(outcome: &StartOutcome, output: Output) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => writeln!(stdout, "{}", run_json(outcome)).map_err(Failure::output)?,
        Output::Text => match &outcome.job_run_id {
            Some(run_id) => writeln!(stdout, "{run_id}").map_err(Failure::output)?,
            None => {
                for (key, value) in outcome.plan.redacted_arguments() {
                    writeln!(stdout, "{key}={value}").map_err(Failure::output)?;
                }
                crate::say!(
                    "dry run: no job run started for {:?} (the token would expire at {})",
                    outcome.job,
                    timestamp(outcome.token_expiration)
                );
            }
        },
    }
    Ok(())
}

/// Job names from a file (or `-`, standard input): one per line, blank lines
/// and `#` comments skipped.
fn read_job_list(path: &std::path::Path) -> Result<Vec<String>, Failure> {
    let fail = |e: std::io::Error| {
        Failure::usage(format!("cannot read --jobs-from {}: {e}", path.display()))
    };
    let lines: Vec<String> = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<_, _>>()
            .map_err(fail)?
    } else {
        std::fs::read_to_string(path)
            .map_err(fail)?
            .lines()
            .map(str::to_owned)
            .collect()
    };
    Ok(lines
        .iter()
        .enumerate()
        // A UTF-8 byte order mark (as Windows editors write) is not part of
        // the first job name.
        .map(|(i, l)| {
            if i == 0 {
                l.strip_prefix('\u{feff}').unwrap_or(l)
            } else {
                l
            }
        })
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
