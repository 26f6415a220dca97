//! A job definition carried whole into an `UpdateJob` request.
//!
//! `UpdateJob` *replaces* the job definition: "the previous job definition is
//! completely overwritten" and unspecified configuration is reset (Glue API
//! reference, `JobUpdate`). So refresh mode converts the full `Job` that
//! `GetJob` returned into a `JobUpdate`, field by field, and changes only
//! `DefaultArguments`.

use std::collections::HashMap;

use aws_sdk_glue::types::{Job, JobUpdate};

/// Why a job cannot be updated without changing more than its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobUpdateError {
    /// The job has a usage profile, which `JobUpdate` cannot carry.
    #[error(
        "job {job:?} has the usage profile {profile:?}; UpdateJob cannot carry ProfileName and Glue assigns the caller's profile on save, so refresh leaves this job alone (use `start`, which does not change the job)"
    )]
    UsageProfile {
        /// The job.
        job: String,
        /// Its profile.
        profile: String,
    },
}

/// The `JobUpdate` that rewrites `job` as it is, with `default_arguments`.
#[allow(
    deprecated,
    reason = "AllocatedCapacity is deprecated, but a job that has only it keeps it"
)]
pub fn job_update(
    job: &Job,
    default_arguments: HashMap<String, String>,
) -> Result<JobUpdate, JobUpdateError> {
    if let Some(profile) = job.profile_name().filter(|p| !p.is_empty()) {
        return Err(JobUpdateError::UsageProfile {
            job: job.name().unwrap_or_default().to_owned(),
            profile: profile.to_owned(),
        });
    }
    // GetJob reports capacity in every form it knows (MaxCapacity is filled
    // in for worker-type jobs, AllocatedCapacity mirrors MaxCapacity), but
    // UpdateJob accepts only one: WorkerType + NumberOfWorkers, else
    // MaxCapacity, else the deprecated AllocatedCapacity.
    let workers = job.worker_type().is_some() && job.number_of_workers().is_some();
    let (max_capacity, allocated_capacity) = if workers {
        (None, None)
    } else if job.max_capacity().is_some() {
        (job.max_capacity(), None)
    } else {
        (None, Some(job.allocated_capacity()).filter(|c| *c != 0))
    };
    Ok(JobUpdate::builder()
        .set_job_mode(job.job_mode().cloned())
        .set_job_run_queuing_enabled(job.job_run_queuing_enabled())
        .set_description(job.description().map(str::to_owned))
        .set_log_uri(job.log_uri().map(str::to_owned))
        .set_role(job.role().map(str::to_owned))
        .set_execution_property(job.execution_property().cloned())
        .set_command(job.command().cloned())
        .set_default_arguments(Some(default_arguments))
        .set_non_overridable_arguments(job.non_overridable_arguments().cloned())
        .set_connections(job.connections().cloned())
        .set_max_retries(Some(job.max_retries()))
        .set_allocated_capacity(allocated_capacity)
        .set_timeout(job.timeout())
        .set_max_capacity(max_capacity)
        .set_worker_type(job.worker_type().filter(|_| workers).cloned())
        .set_number_of_workers(job.number_of_workers().filter(|_| workers))
        .set_security_configuration(job.security_configuration().map(str::to_owned))
        .set_notification_property(job.notification_property().cloned())
        .set_glue_version(job.glue_version().map(str::to_owned))
        .set_code_gen_configuration_nodes(job.code_gen_configuration_nodes().cloned())
        .set_execution_class(job.execution_class().cloned())
        .set_source_control_details(job.source_control_details().cloned())
        .set_maintenance_window(job.maintenance_window().map(str::to_owned))
        .build())
}

#[cfg(test)]
#[allow(deprecated, reason = "the tests build jobs with AllocatedCapacity")]
mod tests {
    use super::*;
    use aws_sdk_glue::types::{
        CodeGenConfigurationNode, ConnectionsList, ExecutionClass, ExecutionProperty, JobCommand,
        JobMode, NotificationProperty, SourceControlAuthStrategy, SourceControlDetails,
        SourceControlProvider, WorkerType,
    };

    fn full_job() -> aws_sdk_glue::types::builders::JobBuilder {
        Job::builder()
            .name("nightly")
            .job_mode(JobMode::Script)
            .job_run_queuing_enabled(true)
            .description("d")
            .log_uri("s3://logs")
            .role("arn:aws:iam::1:role/r")
            .execution_property(ExecutionProperty::builder().max_concurrent_runs(3).build())
            .command(
                JobCommand::builder()
                    .name("glueetl")
                    .script_location("s3://b/s.py")
                    .python_version("3")
                    .runtime("r")
                    .build(),
            )
            .default_arguments("--a", "1")
            .non_overridable_arguments("--b", "2")
            .connections(ConnectionsList::builder().connections("c").build())
            .max_retries(2)
            .allocated_capacity(10)
            .timeout(60)
            .max_capacity(10.0)
            .worker_type(WorkerType::G1X)
            .number_of_workers(10)
            .security_configuration("sc")
            .notification_property(
                NotificationProperty::builder()
                    .notify_delay_after(5)
                    .build(),
            )
            .glue_version("5.0")
            .code_gen_configuration_nodes("n", CodeGenConfigurationNode::builder().build())
            .execution_class(ExecutionClass::Flex)
            .source_control_details(
                SourceControlDetails::builder()
                    .provider(SourceControlProvider::Github)
                    .repository("r")
                    .owner("o")
                    .branch("b")
                    .folder("f")
                    .last_commit_id("c")
                    .auth_strategy(SourceControlAuthStrategy::PersonalAccessToken)
                    .auth_token("t")
                    .build(),
            )
            .maintenance_window("Sun:1")
    }

    #[test]
    fn carries_every_field_jobupdate_has() {
        let update =
            job_update(&full_job().build(), [("--a".into(), "new".into())].into()).unwrap();
        let shown = format!("{update:?}");
        // Every JobUpdate field is set, except the capacity forms UpdateJob
        // refuses next to WorkerType. A field added to JobUpdate by a newer
        // SDK shows up here as `None` and fails this test.
        let unset: Vec<&str> = shown
            .split(", ")
            .filter(|f| f.ends_with(": None") || f.ends_with(": 0"))
            .collect();
        assert_eq!(
            unset,
            vec!["allocated_capacity: 0", "max_capacity: None"],
            "{shown}"
        );
        assert_eq!(update.default_arguments().unwrap()["--a"], "new");
        assert_eq!(update.non_overridable_arguments().unwrap()["--b"], "2");
        assert_eq!(update.worker_type(), Some(&WorkerType::G1X));
    }

    #[test]
    fn capacity_without_workers_is_max_capacity() {
        let job = full_job()
            .set_worker_type(None)
            .set_number_of_workers(None)
            .build();
        let update = job_update(&job, HashMap::new()).unwrap();
        assert_eq!(update.max_capacity(), Some(10.0));
        assert_eq!(update.allocated_capacity(), 0);
        assert_eq!(update.worker_type(), None);
    }

    #[test]
    fn refuses_a_usage_profile() {
        let job = full_job().profile_name("team-a").build();
        assert!(matches!(
            job_update(&job, HashMap::new()),
            Err(JobUpdateError::UsageProfile { .. })
        ));
    }
}
