//! Refresh mode (`glue-codeartifact refresh`): write a fresh index URL into
//! jobs' `DefaultArguments`, so that runs started by Glue itself (triggers,
//! workflows, schedules, the console) install private packages too.
//!
//! One token serves every job. Each job is read and rewritten whole
//! (`UpdateJob` replaces the definition), with only the index option changed.
//! Glue's API has no conditional update: the job is read again right before
//! `UpdateJob` (an edit since the first read is kept), and read once more
//! afterwards; if it is not exactly what was written, the job is reported as
//! a conflict ([`Error::ConcurrentEdit`]), never as refreshed. What cannot be
//! prevented is in `docs/refresh.md`.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use glue_codeartifact_domain::{
    duration::TokenDuration, index_url::IndexUrl, installer_option::IndexMode, job::JobDefinition,
    job_pattern::JobPatterns, run_plan::plan_run, secret::SecretText, timestamp::TokenExpiration,
    token_cache::MIN_TOKEN_LIFE_AT_START,
};

use crate::{Error, RepositoryRef, Services, error::Context, mint::mint_for_a_start};

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

/// A failed job's status, the same in the CLI's and the Lambda's reports:
/// `conflict` when someone else changed it during the refresh, `unverified`
/// when it was updated but the read that verifies the update failed, else
/// `failed`.
pub fn failure_status(e: &Error) -> &'static str {
    match e.class() {
        crate::ErrorClass::ConcurrentEdit => "conflict",
        crate::ErrorClass::UpdateNotVerified => "unverified",
        _ => "failed",
    }
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
    // Before any AWS call: a token of unknown or too short a life.
    MIN_TOKEN_LIFE_AT_START.check_refresh_duration(request.duration)?;
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
    let issued = mint_for_a_start(services, repository, request.duration).await?;
    let (expiration, url) = (issued.expiration(), issued.url);
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
    let read = || async {
        services
            .glue
            .get_job_snapshot(name)
            .await
            .map_err(|e| Error::from_aws(e, cx))
    };
    let snapshot = read().await?;
    let refreshed = plan_refresh(&snapshot.definition, request.mode, index)?;
    if request.dry_run {
        return Ok(refreshed);
    }
    // UpdateJob replaces the whole definition and Glue has no conditional
    // update: read the job again right before writing it, so that an edit
    // made since the first read is kept (planned again on the fresh copy).
    // What remains is the window between this read and UpdateJob.
    let fresh = read().await?;
    let (snapshot, refreshed) = if fresh.last_modified() == snapshot.last_modified() {
        (snapshot, refreshed)
    } else {
        tracing::info!(job = %name, "the job changed since it was read: planned again");
        let again = plan_refresh(&fresh.definition, request.mode, index)?;
        (fresh, again)
    };
    let mut expected = snapshot.definition.clone();
    expected.default_arguments.insert(
        refreshed.key.clone(),
        refreshed.value.expose_secret().to_owned(),
    );
    services
        .glue
        .update_job(&snapshot, expected.default_arguments.clone())
        .await
        .map_err(|e| Error::from_update(e, cx))?;
    // Verify: the job must now be exactly what we wrote. Anything else means
    // someone changed it after our read (their edit may have been replaced
    // by ours, or ours by theirs): a conflict, never "refreshed".
    let after = read().await.map_err(|e| Error::UpdateNotVerified {
        job: name.to_owned(),
        done: "refreshed",
        command: "refresh",
        source: Box::new(e),
    })?;
    let changed = changed_fields(&expected, &after.definition);
    if !changed.is_empty() {
        return Err(Error::ConcurrentEdit {
            job: name.to_owned(),
            changed,
        });
    }
    Ok(refreshed)
}

/// The index key and value a job's defaults must hold: the plan of a run
/// without run arguments.
fn plan_refresh(
    job: &JobDefinition,
    mode: IndexMode,
    index: &IndexUrl,
) -> Result<RefreshedJob, Error> {
    let plan = plan_run(job, &[], mode, index)?;
    let key = plan.placement.key().to_owned();
    let mut arguments = plan.arguments;
    let value = arguments
        .remove(&key)
        .unwrap_or_else(|| SecretText::public(String::new()));
    Ok(RefreshedJob {
        key,
        value,
        replaced: plan.replaced,
    })
}

/// The fields (and argument keys) in which `after` differs from `expected`.
/// Values are never named: they may hold secrets.
fn changed_fields(expected: &JobDefinition, after: &JobDefinition) -> Vec<String> {
    let mut changed = Vec::new();
    let arguments = |field: &str,
                     a: &BTreeMap<String, String>,
                     b: &BTreeMap<String, String>,
                     changed: &mut Vec<String>| {
        for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
            if a.get(key) != b.get(key) {
                // Keys come from AWS: shown redacted, like all AWS text.
                changed.push(format!(
                    "{field} {}",
                    glue_codeartifact_domain::secret::redact_text(key)
                ));
            }
        }
    };
    arguments(
        "DefaultArguments",
        &expected.default_arguments,
        &after.default_arguments,
        &mut changed,
    );
    arguments(
        "NonOverridableArguments",
        &expected.non_overridable_arguments,
        &after.non_overridable_arguments,
        &mut changed,
    );
    if expected.command != after.command || expected.python_version != after.python_version {
        changed.push("Command".to_owned());
    }
    if expected.glue_version != after.glue_version {
        changed.push("GlueVersion".to_owned());
    }
    if expected.timeout_minutes != after.timeout_minutes {
        changed.push("Timeout".to_owned());
    }
    if expected.max_retries != after.max_retries {
        changed.push("MaxRetries".to_owned());
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_name_keys_never_values() {
        let expected = JobDefinition {
            default_arguments: [
                ("--a".into(), "1".into()),
                ("--b".into(), "secret-old".into()),
            ]
            .into(),
            ..Default::default()
        };
        assert!(changed_fields(&expected, &expected).is_empty());
        let mut after = expected.clone();
        after
            .default_arguments
            .insert("--b".into(), "secret-new".into());
        after.default_arguments.insert("--c".into(), "x".into());
        after.glue_version = Some("5.0".into());
        let changed = changed_fields(&expected, &after);
        assert_eq!(
            changed,
            vec![
                "DefaultArguments --b",
                "DefaultArguments --c",
                "GlueVersion"
            ]
        );
    }
}
