//! `glue-codeartifact why`: why a run failed, from its own logs; and the
//! same triage after `start --wait` sees a run fail.

use std::io::Write;
use std::time::SystemTime;

use glue_codeartifact_app::{
    Services,
    why::{Triage, WhyRequest, why},
};
use glue_codeartifact_aws::AwsSettings;
use serde_json::{Value, json};

use super::{Failure, services};
use crate::{
    cli::{Output, WhyArgs},
    exit_code::Exit,
};

pub async fn run(args: WhyArgs, output: Output, settings: &AwsSettings) -> Result<Exit, Failure> {
    let services = services(settings).await?;
    let request = WhyRequest {
        job: &args.job,
        run_id: args.run_id.as_deref(),
        token_expiration: None,
    };
    let triage = why(&services, &request).await?;
    match output {
        Output::Json => writeln!(std::io::stdout().lock(), "{}", to_json(&triage)),
        Output::Text => write!(std::io::stdout().lock(), "{}", to_text(&triage)),
    }
    .map_err(Failure::output)?;
    if triage.found_logs() {
        Ok(Exit::Success)
    } else {
        Err(Failure {
            message: no_logs_message(&triage),
            exit: Exit::RunLogsNotFound,
        })
    }
}

/// `start --wait`, after a run ended FAILED: prints the triage (to stderr
/// in text, as one JSON line on stdout in JSON). A failure to read the logs
/// is said, never raised: the run's own failure is what the exit code tells.
pub async fn after_failure(
    services: &Services,
    job: &str,
    run_id: &str,
    token_expiration: Option<SystemTime>,
    output: Output,
) {
    let request = WhyRequest {
        job,
        run_id: Some(run_id),
        token_expiration,
    };
    match (why(services, &request).await, output) {
        (Ok(triage), Output::Json) => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                json!({ "triage": to_json(&triage) })
            );
        }
        (Ok(triage), Output::Text) => {
            let mut text = to_text(&triage);
            if !triage.found_logs() {
                text.push_str(&no_logs_message(&triage));
                text.push('\n');
            }
            crate::say_raw!("{text}");
        }
        (Err(e), Output::Json) => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                json!({ "triage": { "error": e.to_string() } })
            );
        }
        (Err(e), Output::Text) => crate::say!("could not read the run's logs: {e}"),
    }
}

fn no_logs_message(triage: &Triage) -> String {
    format!(
        "no log stream of run {} was found yet in {}: Glue writes them once the run's driver starts (a run that failed before that has none); try again in a minute",
        triage.run_id,
        triage.groups.join(", ")
    )
}

fn to_text(triage: &Triage) -> String {
    let mut out = format!(
        "run {} of {:?}: {}",
        triage.run_id, triage.job, triage.state
    );
    if let Some(message) = &triage.error_message {
        out.push_str(&format!(": {message}"));
    }
    out.push('\n');
    for stream in &triage.streams {
        out.push_str(&format!(
            "read {} {} ({} events{}): {}\n",
            stream.group,
            stream.stream,
            stream.events,
            if stream.truncated {
                ", more not read"
            } else {
                ""
            },
            stream.console_url
        ));
    }
    if !triage.found_logs() {
        return out;
    }
    if triage.selection.lines.is_empty() {
        out.push_str(
            "no line from pip or the Python module installer in these streams: the run failed elsewhere (see the error above and the streams)\n",
        );
    } else {
        out.push_str("pip and the Python module installer said:\n");
        if triage.selection.omitted > 0 {
            out.push_str(&format!(
                "  ({} earlier lines left out)\n",
                triage.selection.omitted
            ));
        }
        for line in &triage.selection.lines {
            out.push_str(&format!("  {}\n", line.text));
        }
    }
    for diagnosis in &triage.diagnoses {
        out.push_str(&format!("why: {}\n", diagnosis.advice(&triage.job)));
    }
    out
}

fn to_json(triage: &Triage) -> Value {
    json!({
        "job_name": triage.job,
        "job_run_id": triage.run_id,
        "state": triage.state.as_str(),
        "error_message": triage.error_message,
        "log_groups": triage.groups,
        "streams": triage.streams.iter().map(|s| json!({
            "log_group": s.group,
            "log_stream": s.stream,
            "console_url": s.console_url,
            "events_read": s.events,
            "truncated": s.truncated,
        })).collect::<Vec<_>>(),
        "lines": triage.selection.lines.iter().map(|l| json!({
            "log_stream": l.stream,
            "timestamp_ms": l.timestamp_ms,
            "text": l.text,
        })).collect::<Vec<_>>(),
        "lines_omitted": triage.selection.omitted,
        "diagnoses": triage.diagnoses.iter().map(|d| d.advice(&triage.job)).collect::<Vec<_>>(),
    })
}
