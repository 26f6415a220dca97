//! Start a Glue job run with a fresh index URL (`glue-codeartifact start`).
//!
//! Two sequential round trips: `GetJob`, `GetRepositoryEndpoint` and
//! `GetAuthorizationToken` run concurrently, then `StartJobRun`.

use std::time::SystemTime;

use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    installer_option::IndexMode,
    run_plan::{RunArgument, RunPlan, plan_run},
};

use crate::{Error, RepositoryRef, Services, error::Context};

/// What to start.
#[derive(Clone, Debug)]
pub struct StartRequest {
    /// The Glue job.
    pub job: String,
    /// The CodeArtifact repository.
    pub repository: RepositoryRef,
    /// How long the token lives.
    pub duration: TokenDuration,
    /// `--index-url` or `--extra-index-url`.
    pub mode: IndexMode,
    /// The user's own run arguments.
    pub arguments: Vec<RunArgument>,
    /// Plan only; start nothing.
    pub dry_run: bool,
}

/// What was started (or, in a dry run, would be).
#[derive(Clone, Debug)]
pub struct StartOutcome {
    /// The job.
    pub job: String,
    /// The run's ID; `None` in a dry run.
    pub job_run_id: Option<String>,
    /// When the token in the run's arguments expires.
    pub token_expiration: SystemTime,
    /// The run's arguments; formatting redacts the token.
    pub plan: RunPlan,
}

/// Starts one run (or plans it, in a dry run).
pub async fn start(services: &Services, request: &StartRequest) -> Result<StartOutcome, Error> {
    let repository = &request.repository;
    let cx = Context {
        job: Some(&request.job),
        repository,
        region: &services.region,
    };
    let owner = repository.domain_owner.as_deref();
    let format = PackageFormat::Pypi;
    let (job, endpoint, issued) = tokio::try_join!(
        services.glue.get_job(&request.job),
        services.codeartifact.get_repository_endpoint(
            &repository.domain,
            owner,
            &repository.repository,
            format
        ),
        services
            .codeartifact
            .get_authorization_token(&repository.domain, owner, request.duration),
    )
    .map_err(|e| Error::from_aws(e, cx))?;
    let index = IndexUrl::build(&endpoint, &issued.token, format)?;
    let plan = plan_run(&job, &request.arguments, request.mode, &index)?;
    for replaced in &plan.replaced {
        tracing::info!(job = %request.job, replaced = %replaced, "replacing an index option");
    }
    if request.dry_run {
        tracing::info!(job = %request.job, keys = ?plan.keys(), "dry run: no job run started");
        return Ok(StartOutcome {
            job: job.name,
            job_run_id: None,
            token_expiration: issued.expiration,
            plan,
        });
    }
    let run_id = services
        .glue
        .start_job_run(&request.job, plan.expose_arguments())
        .await
        .map_err(|e| Error::from_aws(e, cx))?;
    tracing::info!(job = %request.job, job_run_id = %run_id, keys = ?plan.keys(), "job run started");
    Ok(StartOutcome {
        job: job.name,
        job_run_id: Some(run_id),
        token_expiration: issued.expiration,
        plan,
    })
}
