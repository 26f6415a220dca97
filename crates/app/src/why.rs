//! Why a run failed (`glue-codeartifact why`, and `start --wait` after a
//! failed run): read the run, walk its log streams, pick pip's and the
//! installer's lines, and say what we know on top.
//!
//! Where the streams are, and what is assumed about them, is in
//! [`glue_codeartifact_domain::install_failure`]. Every line is redacted
//! where it enters ([`glue_codeartifact_aws::logs`]), with the secrets of the
//! run's own arguments besides every URL password.

use std::collections::BTreeMap;
use std::time::SystemTime;

use glue_codeartifact_aws::{AwsErrorKind, JobRunStatus, Operation};
use glue_codeartifact_domain::install_failure::{
    Candidate, Diagnosis, LogLine, RunFacts, Selection, candidates, console_url,
    credentialed_hosts, diagnose, redact_line, secrets_in_arguments, select, stream_rank,
};
use glue_codeartifact_domain::job::JobDefinition;
use glue_codeartifact_domain::run_state::RunState;

use crate::{Error, RepositoryRef, Services, error::Context};

/// At most this many `DescribeLogStreams` pages per group.
const STREAM_LIST_PAGES: usize = 2;
/// At most this many streams read per group (the driver's first).
const STREAMS_PER_GROUP: usize = 8;
/// At most this many `GetLogEvents` pages per stream, from its head: the
/// installer runs before the job's own code.
const EVENT_PAGES: usize = 3;

/// Which run to explain.
#[derive(Clone, Debug, Default)]
pub struct WhyRequest<'a> {
    /// The job.
    pub job: &'a str,
    /// The run; the job's latest run if unset.
    pub run_id: Option<&'a str>,
    /// When the token in the run's index URL expires, if the caller minted
    /// it (`start --wait`).
    pub token_expiration: Option<SystemTime>,
}

/// A log stream that was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRead {
    /// Its log group.
    pub group: String,
    /// Its name.
    pub stream: String,
    /// Its page in the CloudWatch console.
    pub console_url: String,
    /// How many events were read.
    pub events: usize,
    /// Whether it holds more than was read.
    pub truncated: bool,
}

/// What a triage found.
#[derive(Clone, Debug)]
pub struct Triage {
    /// The job.
    pub job: String,
    /// The run.
    pub run_id: String,
    /// Its state.
    pub state: RunState,
    /// `GetJobRun`'s `ErrorMessage`, redacted.
    pub error_message: Option<String>,
    /// The log groups looked in, in order.
    pub groups: Vec<String>,
    /// The run's streams that were read.
    pub streams: Vec<StreamRead>,
    /// The installer's and pip's lines, redacted.
    pub selection: Selection,
    /// What we know on top of pip's words.
    pub diagnoses: Vec<Diagnosis>,
}

impl Triage {
    /// Whether any log stream of the run was found.
    pub fn found_logs(&self) -> bool {
        !self.streams.is_empty()
    }
}

/// Reads the run and its logs and explains its failure.
pub async fn why(services: &Services, request: &WhyRequest<'_>) -> Result<Triage, Error> {
    let repository = RepositoryRef::default();
    let cx = Context {
        job: Some(request.job),
        repository: &repository,
        region: &services.region,
    };
    let job = services
        .glue
        .get_job(request.job)
        .await
        .map_err(|e| Error::from_aws(e, cx))?;
    let run_id = match request.run_id {
        Some(id) => id.to_owned(),
        None => services
            .glue
            .latest_run_id(request.job)
            .await
            .map_err(|e| Error::from_aws(e, cx))?
            .ok_or_else(|| Error::RunNotFound {
                job: request.job.to_owned(),
                run_id: None,
            })?,
    };
    let run = services
        .glue
        .get_job_run(request.job, &run_id)
        .await
        .map_err(|e| match e.kind {
            AwsErrorKind::NotFound if e.operation == Operation::GetJobRun => Error::RunNotFound {
                job: request.job.to_owned(),
                run_id: Some(run_id.clone()),
            },
            _ => Error::from_aws(e, cx),
        })?;
    triage(services, &job, &run_id, run, request.token_expiration).await
}

/// The run's effective arguments: the job's defaults, then the run's own,
/// then the job's non-overridable ones (Glue's order; moto's `GetJobRun`
/// already merges them, real Glue may show only the run's own).
fn effective_arguments(job: &JobDefinition, run: &JobRunStatus) -> BTreeMap<String, String> {
    let mut merged = job.default_arguments.clone();
    for (key, value) in &run.arguments {
        merged.insert(key.clone(), value.expose_secret().to_owned());
    }
    for (key, value) in &job.non_overridable_arguments {
        merged.insert(key.clone(), value.clone());
    }
    merged
}

async fn triage(
    services: &Services,
    job: &JobDefinition,
    run_id: &str,
    run: JobRunStatus,
    token_expiration: Option<SystemTime>,
) -> Result<Triage, Error> {
    let repository = RepositoryRef::default();
    let cx = Context {
        job: Some(&job.name),
        repository: &repository,
        region: &services.region,
    };
    let arguments = effective_arguments(job, &run);
    let secrets = secrets_in_arguments(&arguments);
    let hosts = credentialed_hosts(&arguments);
    let candidates = candidates(run.log_group_name.as_deref(), run_id, &arguments);
    let mut streams = Vec::new();
    let mut lines: Vec<LogLine> = Vec::new();
    for Candidate {
        group,
        stream_prefixes,
    } in &candidates
    {
        let candidate = Candidate {
            group: group.clone(),
            stream_prefixes: stream_prefixes.clone(),
        };
        let Some(mut found) = services
            .logs
            .describe_log_streams(group, candidate.list_prefix(), STREAM_LIST_PAGES)
            .await
            .map_err(|e| Error::from_aws(e, cx))?
        else {
            continue;
        };
        found.retain(|s| candidate.owns(&s.name));
        found.sort_by(|a, b| (stream_rank(&a.name), &a.name).cmp(&(stream_rank(&b.name), &b.name)));
        for stream in found.into_iter().take(STREAMS_PER_GROUP) {
            let read = services
                .logs
                .get_log_events(group, &stream.name, EVENT_PAGES, &secrets)
                .await
                .map_err(|e| Error::from_aws(e, cx))?;
            streams.push(StreamRead {
                group: group.clone(),
                console_url: console_url(&services.region, group, &stream.name),
                stream: stream.name,
                events: read.lines.len(),
                truncated: read.truncated,
            });
            lines.extend(read.lines);
        }
    }
    let selection = select(lines);
    let installer_option = arguments
        .get("--python-modules-installer-option")
        .map(String::as_str);
    let diagnoses = diagnose(
        &selection.lines,
        &RunFacts {
            installer_option,
            token_expiration,
            index_hosts: &hosts,
        },
    );
    Ok(Triage {
        job: job.name.clone(),
        run_id: run_id.to_owned(),
        state: run.state,
        // AWS text we print: it may quote the run's arguments.
        error_message: run
            .error_message
            .as_deref()
            .map(|m| redact_line(m, &secrets)),
        groups: candidates.into_iter().map(|c| c.group).collect(),
        streams,
        selection,
        diagnoses,
    })
}
