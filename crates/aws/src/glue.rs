//! Glue: read a job, start a run.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_glue::Client;
use glue_codeartifact_domain::{
    job::{JobCommand, JobDefinition},
    run_state::RunState,
    secret::SecretText,
    secret::redact_text,
};

use crate::error::{AwsError, AwsErrorKind, Operation};
use crate::job_update::{JobUpdateError, job_update};

/// A job as `GetJob` returned it: the definition we read, and the whole SDK
/// job kept opaque so that an update can carry every field.
#[derive(Clone, Debug)]
pub struct JobSnapshot {
    /// What we read of the job.
    pub definition: JobDefinition,
    job: aws_sdk_glue::types::Job,
}

impl JobSnapshot {
    /// When the job definition was last modified.
    pub fn last_modified(&self) -> Option<std::time::SystemTime> {
        self.job
            .last_modified_on()
            .and_then(|t| std::time::SystemTime::try_from(*t).ok())
    }
}

/// What `GetJobRun` says of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRunStatus {
    /// `JobRunState`.
    pub state: RunState,
    /// `Attempt` (0 for the first).
    pub attempt: i32,
    /// `ExecutionTime`, in seconds.
    pub execution_time_seconds: i32,
    /// `DPUSeconds`, where Glue reports it (flexible and auto-scaling runs).
    pub dpu_seconds: Option<f64>,
    /// `ErrorMessage`.
    pub error_message: Option<String>,
    /// `LogGroupName`.
    pub log_group_name: Option<String>,
    /// `StartedOn`.
    pub started_on: Option<std::time::SystemTime>,
    /// `Arguments` (each value kept secret: an index URL holds a token;
    /// formatting shows URL passwords as `****`).
    pub arguments: BTreeMap<String, SecretText>,
}

/// Why an update failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpdateJobError {
    /// The job cannot be carried into an update without loss.
    #[error(transparent)]
    Lossy(#[from] JobUpdateError),
    /// The call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What we read of a `GetJob` answer (total: any field values).
pub(crate) fn definition_of(job: &aws_sdk_glue::types::Job, name: &str) -> JobDefinition {
    let sorted = |map: Option<&HashMap<String, String>>| -> BTreeMap<String, String> {
        map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    JobDefinition {
        name: job.name().unwrap_or(name).to_owned(),
        command: job
            .command()
            .and_then(|c| c.name())
            .map(JobCommand::from_name),
        glue_version: job.glue_version().map(str::to_owned),
        python_version: job
            .command()
            .and_then(|c| c.python_version())
            .map(str::to_owned),
        default_arguments: sorted(job.default_arguments()),
        non_overridable_arguments: sorted(job.non_overridable_arguments()),
        timeout_minutes: job.timeout().and_then(|t| u32::try_from(t).ok()),
        max_retries: u32::try_from(job.max_retries()).ok(),
    }
}

/// What we read of a `GetJobRun` answer (total: any field values; this
/// runs after `StartJobRun`, in `start --wait`).
pub(crate) fn run_status(run: &aws_sdk_glue::types::JobRun) -> JobRunStatus {
    JobRunStatus {
        state: RunState::parse(run.job_run_state().map(|s| s.as_str()).unwrap_or("")),
        attempt: run.attempt(),
        execution_time_seconds: run.execution_time(),
        dpu_seconds: run.dpu_seconds(),
        // AWS text we print (`start --wait`): a run's ErrorMessage may
        // quote its arguments, our token's URL among them.
        error_message: run.error_message().map(redact_text),
        log_group_name: run.log_group_name().map(str::to_owned),
        started_on: run
            .started_on()
            .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
        arguments: run
            .arguments()
            .map(|args| {
                args.iter()
                    .map(|(k, v)| (k.clone(), SecretText::new(v.clone(), redact_text(v))))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The Glue operations this tool calls.
#[derive(Clone, Debug)]
pub struct Glue {
    pub(crate) client: Client,
}

impl Glue {
    /// A client from the shared SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// `GetJob`: the job's definition.
    pub async fn get_job(&self, name: &str) -> Result<JobDefinition, AwsError> {
        Ok(self.get_job_snapshot(name).await?.definition)
    }

    /// `GetJob`: the job's definition, plus the whole job as Glue returned
    /// it, for a lossless [`update_job`](Self::update_job).
    pub async fn get_job_snapshot(&self, name: &str) -> Result<JobSnapshot, AwsError> {
        const OP: Operation = Operation::GetJob;
        let output = self
            .client
            .get_job()
            .job_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let job = output.job.ok_or_else(|| AwsError {
            operation: OP,
            kind: AwsErrorKind::NotFound,
            code: None,
            message: format!("the response has no job named {name:?}"),
        })?;
        let definition = definition_of(&job, name);
        tracing::debug!(job = ?definition, "job read");
        Ok(JobSnapshot { definition, job })
    }

    /// `UpdateJob`: rewrites the job as `snapshot` holds it, with
    /// `default_arguments` in place of its `DefaultArguments`.
    pub async fn update_job(
        &self,
        snapshot: &JobSnapshot,
        default_arguments: BTreeMap<String, String>,
    ) -> Result<(), UpdateJobError> {
        const OP: Operation = Operation::UpdateJob;
        let update = job_update(&snapshot.job, default_arguments.into_iter().collect())?;
        self.client
            .update_job()
            .job_name(&snapshot.definition.name)
            .job_update(update)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        Ok(())
    }

    /// `ListJobs` with a tag filter: the names of the jobs that carry every
    /// one of `tags`, all pages.
    pub async fn list_jobs_by_tags(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, AwsError> {
        const OP: Operation = Operation::ListJobs;
        let mut names = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_jobs()
                .set_tags(Some(tags.clone().into_iter().collect()))
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(OP, e))?;
            names.extend(output.job_names().iter().cloned());
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => break,
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// `GetJobRun`: a run's state and figures.
    pub async fn get_job_run(&self, job: &str, run_id: &str) -> Result<JobRunStatus, AwsError> {
        const OP: Operation = Operation::GetJobRun;
        let output = self
            .client
            .get_job_run()
            .job_name(job)
            .run_id(run_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let run = output.job_run.ok_or_else(|| AwsError {
            operation: OP,
            kind: AwsErrorKind::NotFound,
            code: None,
            message: format!("the response has no run {run_id}"),
        })?;
        Ok(run_status(&run))
    }

    /// `GetJobRuns`, first page: the ID of the run of `job` that started
    /// last, or `None` when the job has no run.
    pub async fn latest_run_id(&self, job: &str) -> Result<Option<String>, AwsError> {
        const OP: Operation = Operation::GetJobRuns;
        let page = self
            .client
            .get_job_runs()
            .job_name(job)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        Ok(page
            .job_runs()
            .iter()
            .filter_map(|run| {
                Some((
                    run.started_on().map(|t| (t.secs(), t.subsec_nanos())),
                    run.id()?,
                ))
            })
            .max_by_key(|(started, _)| *started)
            .map(|(_, id)| id.to_owned()))
    }

    /// `BatchStopJobRun` for one run.
    pub async fn batch_stop_job_run(&self, job: &str, run_id: &str) -> Result<(), AwsError> {
        const OP: Operation = Operation::BatchStopJobRun;
        let output = self
            .client
            .batch_stop_job_run()
            .job_name(job)
            .job_run_ids(run_id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        if let Some(error) = output.errors().first() {
            return Err(AwsError {
                operation: OP,
                kind: AwsErrorKind::Service,
                code: error
                    .error_detail()
                    .and_then(|d| d.error_code())
                    .map(str::to_owned),
                message: error
                    .error_detail()
                    .and_then(|d| d.error_message())
                    .map_or_else(|| "the run was not stopped".to_owned(), redact_text),
            });
        }
        Ok(())
    }
}
