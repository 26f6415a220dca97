//! `glue-codeartifact start`.

use std::io::Write;

use glue_codeartifact_app::start::{StartRequest, start};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_domain::run_plan::RunArgument;
use serde_json::json;

use super::{Failure, services, timestamp};
use crate::{
    cli::{Output, StartArgs},
    exit_code::Exit,
};

pub async fn run(args: StartArgs, output: Output, settings: &AwsSettings) -> Result<Exit, Failure> {
    // Validate everything local before any AWS call.
    let arguments = args
        .args
        .iter()
        .map(|text| text.parse::<RunArgument>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(format!("invalid --arg: {e}")))?;
    let request = StartRequest {
        job: args.job,
        repository: args.repository.into(),
        duration: args.duration,
        mode: args.mode.into(),
        arguments,
        dry_run: args.dry_run,
    };
    let services = services(settings).await?;
    let outcome = start(&services, &request).await?;

    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => {
            let mut body = json!({
                "job_name": outcome.job,
                "job_run_id": outcome.job_run_id,
                "dry_run": request.dry_run,
                "token_expiration": timestamp(outcome.token_expiration),
                "argument_keys": outcome.plan.keys(),
            });
            if request.dry_run {
                body["arguments"] = json!(outcome.plan.redacted_arguments());
            }
            writeln!(stdout, "{body}").map_err(Failure::output)?;
        }
        Output::Text => match &outcome.job_run_id {
            Some(run_id) => writeln!(stdout, "{run_id}").map_err(Failure::output)?,
            None => {
                for (key, value) in outcome.plan.redacted_arguments() {
                    writeln!(stdout, "{key}={value}").map_err(Failure::output)?;
                }
                eprintln!(
                    "dry run: no job run started for {:?} (the token would expire at {})",
                    outcome.job,
                    timestamp(outcome.token_expiration)
                );
            }
        },
    }
    Ok(Exit::Success)
}
