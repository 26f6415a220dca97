//! Refresh mode (`glue-codeartifact refresh`): write a fresh index URL into
//! jobs' `DefaultArguments`, so that runs started by Glue itself (triggers,
//! workflows, schedules, the console) install private packages too.
//!
//! One token serves every job. Each job is read and rewritten whole
//! (`UpdateJob` replaces the definition), with only the index option changed.
//! Glue's API has no conditional update, so the window for a concurrent edit
//! is kept to the one round trip between `GetJob` and `UpdateJob`; afterwards
//! the job is read again to confirm that our value is the one in place.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    installer_option::IndexMode,
    job_pattern::JobPatterns,
    run_plan::plan_run,
    secret::SecretText,
    timestamp::TokenExpiration,
};

use crate::{
    Error, RepositoryRef, Services,
    error::Context,
    index_url::{IssuedIndexUrl, index_url},
};

/// Which jobs to refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobSelector {
    /// These jobs, by name.
    Names(Vec<String>),
    /// Every job that carries all of these tags (Glue `ListJobs`).
    Tags(BTreeMap<String, String>),
}

/// What to refresh.
#[derive(Clone, Debug)]
pub struct RefreshRequest {
    /// The jobs.
    pub jobs: JobSelector,
    /// The CodeArtifact repository.
    pub repository: RepositoryRef,
    /// How long the token lives: it must outlast the time until the next
    /// refresh plus a run's start-up.
    pub duration: TokenDuration,
    /// `--index-url` or `--extra-index-url`.
    pub mode: IndexMode,
    /// Plan only; change nothing.
    pub dry_run: bool,
    /// How many jobs are read and updated at once.
    pub concurrency: usize,
    /// Only these jobs may be touched (the Lambda's `GLUE_CODEARTIFACT_ALLOWED_JOBS`); a
    /// selected job outside them is skipped, never read or updated. `None`:
    /// every selected job.
    pub allowed: Option<JobPatterns>,
}

/// One job's refresh.
#[derive(Clone, Debug)]
pub struct RefreshedJob {
    /// The argument that was (or would be) written.
    pub key: String,
    /// Its new value; formatting redacts the token.
    pub value: SecretText,
    /// Index options it replaced (redacted).
    pub replaced: Vec<String>,
}

/// The outcome for each job.
#[derive(Debug)]
pub struct RefreshOutcome {
    /// When the token written into the jobs expires.
    pub token_expiration: TokenExpiration,
    /// Each job, in name order, with its result.
    pub jobs: Vec<(String, Result<RefreshedJob, Error>)>,
    /// The selected jobs that [`RefreshRequest::allowed`] does not allow,
    /// in name order: not touched.
    pub skipped: Vec<String>,
}

impl RefreshOutcome {
    /// How many jobs failed.
    pub fn failed(&self) -> usize {
        self.jobs.iter().filter(|(_, r)| r.is_err()).count()
    }
}

/// Refreshes the selected jobs. Fails as a whole only when no job can be
/// refreshed at all (no token, no jobs, no allowed job); a failure on one
/// job is reported in its result and does not stop the others. The token is
/// minted here, for this refresh: never a cached one, whose remaining life
/// would be shorter than `duration`.
pub async fn refresh(
    services: &Services,
    request: &RefreshRequest,
) -> Result<RefreshOutcome, Error> {
    let repository = &request.repository;
    let cx = Context {
        job: None,
        repository,
        region: &services.region,
    };
    let names = match &request.jobs {
        JobSelector::Names(names) => {
            let mut names = names.clone();
            names.sort();
            names.dedup();
            names
        }
        JobSelector::Tags(tags) => {
            let names = services
                .glue
                .list_jobs_by_tags(tags)
                .await
                .map_err(|e| Error::from_aws(e, cx))?;
            if names.is_empty() {
                return Err(Error::NoJobsWithTags {
                    tags: tags.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    region: services.region.clone(),
                });
            }
            names
        }
    };
    let (names, skipped): (Vec<String>, Vec<String>) = match &request.allowed {
        Some(allowed) => names.into_iter().partition(|name| allowed.allows(name)),
        None => (names, Vec::new()),
    };
    for name in &skipped {
        tracing::info!(job = %name, "job skipped: not allowed");
    }
    if names.is_empty() {
        // Only reachable with an allowlist: every selection is non-empty.
        return Err(Error::NoJobsAllowed {
            skipped,
            allowed: request
                .allowed
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        });
    }
    let IssuedIndexUrl { url, expiration } =
        index_url(services, repository, request.duration, PackageFormat::Pypi).await?;
    crate::index_url::check_fresh_for_a_start(expiration)?;
    tracing::info!(jobs = names.len(), "refreshing jobs with one token");
    let jobs = stream::iter(names)
        .map(|name| {
            let url = &url;
            async move {
                let result = refresh_one(services, request, &name, url).await;
                match &result {
                    Ok(_) if request.dry_run => {
                        tracing::info!(job = %name, "dry run: job not changed")
                    }
                    Ok(_) => tracing::info!(job = %name, "job refreshed"),
                    Err(e) => tracing::warn!(job = %name, error = %e, "job not refreshed"),
                }
                (name, result)
            }
        })
        .buffer_unordered(request.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut jobs = jobs;
    jobs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(RefreshOutcome {
        token_expiration: expiration,
        jobs,
        skipped,
    })
}

async fn refresh_one(
    services: &Services,
    request: &RefreshRequest,
    name: &str,
    index: &IndexUrl,
) -> Result<RefreshedJob, Error> {
    let cx = Context {
        job: Some(name),
        repository: &request.repository,
        region: &services.region,
    };
    let snapshot = services
        .glue
        .get_job_snapshot(name)
        .await
        .map_err(|e| Error::from_aws(e, cx))?;
    // The plan of a run without run arguments is what the job's defaults
    // must hold.
    let plan = plan_run(&snapshot.definition, &[], request.mode, index)?;
    let (key, value) = plan
        .arguments
        .into_iter()
        .next()
        .expect("a plan without run arguments sets exactly the index key");
    let refreshed = RefreshedJob {
        key,
        value,
        replaced: plan.replaced,
    };
    if request.dry_run {
        return Ok(refreshed);
    }
    let mut defaults = snapshot.definition.default_arguments.clone();
    defaults.insert(
        refreshed.key.clone(),
        refreshed.value.expose_secret().to_owned(),
    );
    services
        .glue
        .update_job(&snapshot, defaults)
        .await
        .map_err(|e| Error::from_update(e, cx))?;
    // Confirm our value is the one in place: a concurrent edit after ours
    // would show here.
    let after = services
        .glue
        .get_job_snapshot(name)
        .await
        .map_err(|e| Error::from_aws(e, cx))?;
    if after
        .definition
        .default_arguments
        .get(&refreshed.key)
        .map(String::as_str)
        != Some(refreshed.value.expose_secret())
    {
        return Err(Error::ConcurrentEdit {
            job: name.to_owned(),
        });
    }
    Ok(refreshed)
}
