//! Glue: read a job, start a run.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_glue::Client;
use glue_codeartifact_domain::job::{JobCommand, JobDefinition};

use crate::error::{AwsError, AwsErrorKind, Operation};

/// The Glue operations this tool calls.
#[derive(Clone, Debug)]
pub struct Glue {
    client: Client,
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
        const OP: Operation = Operation::GetJob;
        let output = self
            .client
            .get_job()
            .job_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let job = output.job().ok_or_else(|| AwsError {
            operation: OP,
            kind: AwsErrorKind::NotFound,
            code: None,
            message: format!("the response has no job named {name:?}"),
        })?;
        let sorted = |map: Option<&HashMap<String, String>>| -> BTreeMap<String, String> {
            map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let definition = JobDefinition {
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
        };
        tracing::debug!(job = ?definition, "job read");
        Ok(definition)
    }

    /// `StartJobRun`: starts a run with `arguments` and returns its ID.
    ///
    /// Not idempotent: a retry after a lost response can start a second run.
    pub async fn start_job_run(
        &self,
        name: &str,
        arguments: BTreeMap<String, String>,
    ) -> Result<String, AwsError> {
        const OP: Operation = Operation::StartJobRun;
        let output = self
            .client
            .start_job_run()
            .job_name(name)
            .set_arguments(Some(arguments.into_iter().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let run_id = output.job_run_id().ok_or_else(|| AwsError {
            operation: OP,
            kind: AwsErrorKind::Service,
            code: None,
            message: "the response has no JobRunId".to_owned(),
        })?;
        Ok(run_id.to_owned())
    }
}
