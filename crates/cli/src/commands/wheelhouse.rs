//! `glue-codeartifact wheelhouse`.

use std::io::Write;

use glue_codeartifact_app::{
    RepositoryRef,
    lock::{LockRequest, lock_with_job},
    wheelhouse::{WheelhouseRequest, mirror, prepare},
};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_python_env::lock::Lock;
use serde_json::json;

use super::{Failure, services};
use crate::{
    cli::{Output, WheelhouseArgs},
    exit_code::Exit,
};

/// Where the lock comes from.
enum Source {
    /// `--lock FILE`.
    File(Lock),
    /// Locked first, and written to the path.
    Resolve(Box<LockRequest>, std::path::PathBuf),
}

pub async fn run(
    args: WheelhouseArgs,
    output: Output,
    settings: &AwsSettings,
) -> Result<Exit, Failure> {
    // Everything local first: nothing is minted for a bad command line.
    if args.bind && args.job.is_none() {
        return Err(Failure::usage(
            "--bind needs the job to bind: give --job JOB (its modules are locked, or --lock FILE is checked against it)",
        ));
    }
    let repository: RepositoryRef = args.repository.into();
    let source = match &args.lock {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("cannot read the lock file {}: {e}", path.display()))
            })?;
            let lock = Lock::parse(&text)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
            Source::File(lock)
        }
        None => {
            let (request, path) = super::lock::request(
                args.job.as_deref(),
                &args.requirements,
                repository.clone(),
                args.resolve,
            )?;
            Source::Resolve(Box::new(request), path)
        }
    };
    let request = WheelhouseRequest {
        job: args.job,
        repository,
        prefix: args.s3_prefix,
        bind: args.bind,
        dry_run: args.dry_run,
        concurrency: usize::from(args.concurrency),
        venv_storage_prefix: args.venv_storage_prefix,
    };
    let services = services(settings).await?;
    // The bucket is checked and the job read (once, for the lock and the
    // mirror) before uv runs or a token is minted.
    let prepared = prepare(&services, &request, matches!(source, Source::Resolve(..))).await?;
    // The lock step is `lock`'s use case; its lock is written (not in a dry
    // run) before anything is mirrored, so that a failed mirror can be run
    // again with --lock, and a CI can commit what the job installs.
    let (lock, lock_file, minted) = match source {
        Source::File(lock) => (lock, None, None),
        Source::Resolve(lock_request, path) => {
            let locked = lock_with_job(&services, &lock_request, prepared.job()).await?;
            if !request.dry_run {
                super::lock::write_lock(&path, &locked.lock.to_toml())?;
            }
            let packages = locked.lock.packages.len();
            let written = if request.dry_run {
                "dry run: not written to"
            } else {
                "written to"
            };
            tracing::debug!(packages, "locked");
            if output == Output::Text {
                crate::say!(
                    "locked {packages} package{} for {}, {written} {}",
                    if packages == 1 { "" } else { "s" },
                    locked.runtime.describe(),
                    path.display()
                );
            }
            (locked.lock, Some(path), Some(locked.index))
        }
    };
    let outcome = mirror(&services, &request, &lock, prepared, minted).await?;

    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => {
            let objects: Vec<_> = outcome
                .objects
                .iter()
                .map(|o| {
                    json!({
                        "package": o.package,
                        "version": o.version,
                        "file": o.filename,
                        "uri": o.uri.to_string(),
                        "state": o.state.as_str(),
                    })
                })
                .collect();
            let body = json!({
                "job": outcome.job,
                "lock_file": lock_file.as_ref().filter(|_| !request.dry_run).map(|p| p.display().to_string()),
                "runtime": outcome.runtime,
                "dry_run": request.dry_run,
                "bound": outcome.bound,
                "uploaded": outcome.uploaded(),
                "present": outcome.present(),
                "objects": objects,
                "provided": outcome.provided,
                "arguments": outcome.plan.arguments,
                "replaced_modules": outcome.plan.replaced_modules,
                "removed_options": outcome.plan.removed_options,
            });
            writeln!(stdout, "{body}").map_err(Failure::output)?;
        }
        Output::Text => {
            for object in &outcome.objects {
                writeln!(stdout, "{:<12} {}", object.state.as_str(), object.uri)
                    .map_err(Failure::output)?;
            }
            let would = if request.dry_run { "would be " } else { "" };
            crate::say!(
                "{} wheels for {}: {} {would}uploaded, {} already in S3",
                outcome.objects.len(),
                outcome.runtime,
                outcome.objects.len().saturating_sub(outcome.present()),
                outcome.present()
            );
            if !outcome.provided.is_empty() {
                crate::say!(
                    "provided by Glue, not mirrored: {}",
                    outcome.provided.join(", ")
                );
            }
            match &outcome.job {
                Some(job) if outcome.bound => {
                    crate::say!("job {job} bound; its DefaultArguments now hold:");
                }
                Some(job) if request.bind => crate::say!(
                    "dry run: job {job} not changed; --bind would set these DefaultArguments:"
                ),
                Some(job) => crate::say!(
                    "job {job} not changed; to bind it, set these DefaultArguments (or run again with --bind):"
                ),
                None => crate::say!("to bind a job to these wheels, set its DefaultArguments to:"),
            }
            for (key, value) in &outcome.plan.arguments {
                writeln!(stdout, "{key}={value}").map_err(Failure::output)?;
            }
            for removed in &outcome.plan.removed_options {
                crate::say!("removed from --python-modules-installer-option: {removed}");
            }
        }
    }
    Ok(Exit::Success)
}
