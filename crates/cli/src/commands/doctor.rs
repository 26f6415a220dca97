//! `glue-codeartifact doctor`: the preflight report, as text or JSON.

use std::io::Write;

use glue_codeartifact_app::doctor::{DoctorRequest, WholeTree, doctor};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_domain::preflight::{Report, Severity};
use serde_json::json;

use super::{Failure, services};
use crate::{
    cli::{DoctorArgs, Output},
    exit_code::{Exit, flag},
};

pub async fn run(
    args: DoctorArgs,
    output: Output,
    settings: &AwsSettings,
) -> Result<Exit, Failure> {
    // Validate everything local before any AWS call.
    let arguments = super::run_arguments(&args.args)?;
    let request = DoctorRequest {
        job: args.job,
        repository: args.index.repository.into(),
        duration: args.index.duration,
        mode: args.index.mode.into(),
        arguments,
        whole_tree: if args.no_whole_tree {
            WholeTree::NotAsked
        } else {
            WholeTree::Uv(args.uv)
        },
        names: flag,
    };
    let services = services(settings).await?;
    let report = doctor(&services, &request).await?;

    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => writeln!(stdout, "{}", report_json(&report)),
        Output::Text => write!(stdout, "{}", report_text(&report, &request)),
    }
    .map_err(Failure::output)?;
    Ok(if report.has_errors() {
        Exit::DoctorFoundErrors
    } else {
        Exit::Success
    })
}

/// `{job, findings: [{check, severity, cause, fix, subject?}], errors, warnings}`.
pub(super) fn report_json(report: &Report) -> serde_json::Value {
    json!({
        "job": report.job,
        "findings": report.findings,
        "errors": report.errors(),
        "warnings": report.warnings(),
    })
}

/// One block per finding, then a summary line:
///
/// ```text
/// doctor: job "nightly-etl", repository acme/py-internal
/// error    package-not-found: acme-typo==1.0: repository py-internal has no project acme-typo (its index answered 404)
///          fix: check the name, or publish acme-typo to py-internal, …
/// info     package-ok: acme-tools==1.2.0: pip would install acme_tools-1.2.0-py3-none-any.whl on Python 3.11 (…)
/// doctor: 1 error, 0 warnings, 1 info
/// ```
pub(super) fn report_text(report: &Report, request: &DoctorRequest) -> String {
    let mut out = format!(
        "doctor: job {:?}, repository {}/{}\n",
        report.job, request.repository.domain, request.repository.repository
    );
    for finding in &report.findings {
        let label = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        out.push_str(&format!(
            "{label:<8} {}: {}\n",
            finding.check, finding.cause
        ));
        if let Some(fix) = &finding.fix {
            out.push_str(&format!("{:<8} fix: {fix}\n", ""));
        }
    }
    out.push_str(&format!("doctor: {}\n", report.summary()));
    out
}
