//! `glue-codeartifact wheelhouse`.

use std::io::Write;

use glue_codeartifact_app::wheelhouse::{WheelhouseRequest, wheelhouse};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_python_env::lock::Lock;
use serde_json::json;

use super::{Failure, services};
use crate::{
    cli::{Output, WheelhouseArgs},
    exit_code::Exit,
};

pub async fn run(
    args: WheelhouseArgs,
    output: Output,
    settings: &AwsSettings,
) -> Result<Exit, Failure> {
    let Some(path) = &args.lock else {
        return Err(Failure::usage(
            "give the lock to mirror with --lock FILE (write it with `glue-codeartifact lock --job JOB`)",
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::usage(format!("cannot read the lock file {}: {e}", path.display()))
    })?;
    let lock =
        Lock::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let request = WheelhouseRequest {
        job: args.job,
        repository: args.repository.into(),
        prefix: args.s3_prefix,
        bind: args.bind,
        dry_run: args.dry_run,
        concurrency: usize::from(args.concurrency),
        venv_storage_prefix: args.venv_storage_prefix,
    };
    let services = services(settings).await?;
    let outcome = wheelhouse(&services, &request, &lock).await?;

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
            eprintln!(
                "{} wheels for {}: {} {would}uploaded, {} already in S3",
                outcome.objects.len(),
                outcome.runtime,
                outcome.objects.len() - outcome.present(),
                outcome.present()
            );
            if !outcome.provided.is_empty() {
                eprintln!(
                    "provided by Glue, not mirrored: {}",
                    outcome.provided.join(", ")
                );
            }
            if outcome.bound {
                eprintln!("job {} bound; its DefaultArguments now hold:", outcome.job);
            } else if request.bind {
                eprintln!(
                    "dry run: job {} not changed; --bind would set these DefaultArguments:",
                    outcome.job
                );
            } else {
                eprintln!(
                    "job {} not changed; to bind it, set these DefaultArguments (or run again with --bind):",
                    outcome.job
                );
            }
            for (key, value) in &outcome.plan.arguments {
                writeln!(stdout, "{key}={value}").map_err(Failure::output)?;
            }
            for removed in &outcome.plan.removed_options {
                eprintln!("removed from --python-modules-installer-option: {removed}");
            }
        }
    }
    Ok(Exit::Success)
}
