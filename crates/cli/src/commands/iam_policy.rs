//! `glue-codeartifact iam-policy`: the least-privilege policy document of
//! whoever mints tokens and starts the jobs, or (`--refresh`) of whoever
//! mints tokens and writes index URLs into the jobs, or (`--wheelhouse`)
//! of whoever runs `wheelhouse`, or (`--wheelhouse-job-role`) of a bound
//! job's own role. Pure: no AWS call.

use std::io::Write;

use glue_codeartifact_domain::{
    iam_policy::{
        MINTER_WARNING, PolicyError, PolicyScope, refresh_policy, s3_read_statements, start_policy,
        triage_statements, wheelhouse_job_role_policy, wheelhouse_policy,
    },
    job_pattern::{JobPattern, JobPatterns},
};

use super::Failure;
use crate::{
    cli::{IamPolicyArgs, Output},
    exit_code::Exit,
};

pub fn run(args: IamPolicyArgs, output: Output, region: Option<&str>) -> Result<Exit, Failure> {
    let patterns = args
        .jobs
        .iter()
        .map(|job| job.parse::<JobPattern>())
        .collect::<Result<Vec<_>, _>>()
        .and_then(JobPatterns::new)
        .map_err(|e| Failure::usage(format!("invalid --job: {e}")))?;
    // The global --region, else AWS_REGION; the policy needs no profile.
    let region = region
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .filter(|r| !r.trim().is_empty());
    let scope = PolicyScope {
        partition: args.partition,
        region: region.clone().unwrap_or_else(|| "*".to_owned()),
        account: args.account.clone().unwrap_or_else(|| "*".to_owned()),
        domain: args.repository.domain,
        domain_owner: args.repository.domain_owner,
        repository: args.repository.repository,
        jobs: patterns,
    };
    // Checked first, so that an invalid scope is reported as such.
    let start = start_policy(&scope).map_err(|e| Failure::usage(e.to_string()))?;
    let roles = |e: PolicyError| Failure::usage(format!("invalid --glue-job-role-arn: {e}"));
    let mut policy = match (&args.s3_prefix, args.wheelhouse, args.wheelhouse_job_role) {
        (Some(prefix), _, true) => wheelhouse_job_role_policy(&scope, prefix),
        (Some(prefix), true, _) => {
            wheelhouse_policy(&scope, prefix, &args.glue_job_role_arns).map_err(roles)?
        }
        _ if args.refresh => refresh_policy(&scope, &args.glue_job_role_arns).map_err(roles)?,
        _ => start,
    };
    // doctor reads the wheelhouse or the requirements file (start
    // --preflight too): the start and refresh identities get that read.
    if let Some(prefix) = &args.s3_prefix
        && !args.wheelhouse
        && !args.wheelhouse_job_role
    {
        policy.statement.extend(s3_read_statements(&scope, prefix));
    }
    if args.why {
        policy.statement.extend(triage_statements(&scope));
    }
    let text = match output {
        Output::Text => serde_json::to_string_pretty(&policy),
        Output::Json => serde_json::to_string(&policy),
    }
    .map_err(|e| Failure {
        message: format!("cannot render the policy: {e}"),
        exit: Exit::Failure,
    })?;
    writeln!(std::io::stdout().lock(), "{text}").map_err(Failure::output)?;
    crate::say!("note: {MINTER_WARNING}");
    if region.is_none() || args.account.is_none() {
        crate::say!(
            "note: the ARNs use * for the {} not given; pass --region and --account to narrow them",
            match (region.is_none(), args.account.is_none()) {
                (true, true) => "region and account",
                (true, false) => "region",
                _ => "account",
            }
        );
    }
    Ok(Exit::Success)
}
