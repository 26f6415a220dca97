//! Start a Glue job run with a fresh index URL (`glue-codeartifact start`).
//!
//! Two sequential round trips: `GetJob`, `GetRepositoryEndpoint` and
//! `GetAuthorizationToken` run concurrently, then `StartJobRun`.
//!
//! With a [`WarmCache`] ([`start_cached`], the Lambda), a cached endpoint
//! and a cached token that still meets the minimum token life rule are used instead
//! of their calls: a warm invocation is `GetJob`, then `StartJobRun`, with
//! no CodeArtifact call at all.
//!
//! Several jobs ([`start_many`]) share one token, and each job's run starts
//! as soon as that job has been read.
//!
//! A preflighted start ([`start_preflighted`], [`start_many_preflighted`])
//! runs `doctor`'s checks on what the start reads, with the start's token,
//! so that each call is still made once.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{FutureExt, StreamExt, future, stream};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    input::InputName,
    installer_option::IndexMode,
    job::JobDefinition,
    preflight::Report,
    run_plan::{RunArgument, RunPlan, plan_run},
    timestamp::TokenExpiration,
};
use tokio::sync::{Semaphore, watch};

use crate::{
    Error, RepositoryRef, Services,
    doctor::{DoctorRequest, check},
    error::Context,
    mint::{IssuedIndexUrl, Mint},
    warm_cache::WarmCache,
};

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
    pub token_expiration: TokenExpiration,
    /// The run's arguments; formatting redacts the token.
    pub plan: RunPlan,
    /// Whether the token came from the warm cache (never, without one).
    pub token_cached: bool,
    /// How long each round of calls took.
    pub rounds: Rounds,
}

/// How long the two rounds of a start took (the Lambda's latency metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rounds {
    /// The reads: `GetJob` ∥ `GetRepositoryEndpoint` ∥
    /// `GetAuthorizationToken`, or `GetJob` alone with a cached token
    /// (with several jobs: until this job was read and the index URL was
    /// there).
    pub read: Duration,
    /// `StartJobRun`, its retries and a lost answer's lookup included;
    /// `None` in a dry run.
    pub start: Option<Duration>,
}

/// Starts one run (or plans it, in a dry run) with a freshly minted token.
pub async fn start(services: &Services, request: &StartRequest) -> Result<StartOutcome, Error> {
    start_with(services, None, request, None).await
}

/// Starts one run (or plans it) using, and filling, a warm cache: the
/// repository endpoint and a token that still has the cache's required
/// life are taken from it instead of calling CodeArtifact. A freshly
/// minted token that does not have that life is refused
/// ([`Error::TokenLife`]) and nothing is started.
pub async fn start_cached(
    services: &Services,
    cache: &WarmCache,
    request: &StartRequest,
) -> Result<StartOutcome, Error> {
    start_with(services, Some(cache), request, None).await
}

/// [`start_cached`], all done by `deadline` (a Lambda invocation's, less a
/// margin): the reads are abandoned at the deadline with
/// [`Error::DeadlineReached`] (nothing started), and `StartJobRun` is not
/// retried or looked up past it ([`Error::StartOutcomeUnknown`] if an attempt
/// was in flight).
pub async fn start_cached_until(
    services: &Services,
    cache: &WarmCache,
    request: &StartRequest,
    deadline: Instant,
) -> Result<StartOutcome, Error> {
    start_with(services, Some(cache), request, Some(deadline)).await
}

async fn start_with(
    services: &Services,
    cache: Option<&WarmCache>,
    request: &StartRequest,
    deadline: Option<Instant>,
) -> Result<StartOutcome, Error> {
    let cx = Context {
        job: Some(&request.job),
        repository: &request.repository,
        region: &services.region,
    };
    let mint = Mint::for_a_start(services, &request.repository, request.duration, cache)?
        .for_job(&request.job);
    let job = async {
        services
            .glue
            .get_job(&request.job)
            .await
            .map_err(|e| Error::from_aws(e, cx))
    };
    let reading = Instant::now();
    let (job, index) = by_deadline(deadline, &request.job, async {
        tokio::try_join!(job, mint.run())
    })
    .await??;
    let read = reading.elapsed();
    plan_and_start(services, request, &request.job, job, &index, read, deadline).await
}

/// `reads`, abandoned at `deadline` with [`Error::DeadlineReached`]
/// (nothing started).
async fn by_deadline<T>(
    deadline: Option<Instant>,
    job: &str,
    reads: impl Future<Output = T>,
) -> Result<T, Error> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.into(), reads)
            .await
            .map_err(|_| Error::DeadlineReached {
                job: job.to_owned(),
            }),
        None => Ok(reads.await),
    }
}

/// A start that `doctor` checked first (`start --preflight`, a Lambda event
/// with `"preflight": true`).
#[derive(Debug)]
pub struct PreflightedStart {
    /// doctor's report on the job, checked with the start's own token.
    pub report: Report,
    /// The start; `None` when the report has errors (nothing was started).
    pub started: Option<Result<StartOutcome, Error>>,
}

/// Checks the job as `doctor` does, then starts it, doing each call once:
/// `GetJob`, `GetRepositoryEndpoint` and `GetAuthorizationToken` (with the
/// start's duration, or the warm cache's endpoint and token) run
/// concurrently, doctor's rules run on that job and read the index with
/// that token, and the run is started with that same index URL. Two rounds
/// of AWS calls, as without the preflight, plus the index reads. A report
/// with errors starts nothing. [`StartOutcome::rounds`]' `read` includes
/// the checks.
///
/// With `deadline`, the reads and checks are abandoned at it with
/// [`Error::DeadlineReached`] (nothing started), and `StartJobRun` is not
/// retried or looked up past it. `names` words the inputs that the
/// findings tell the user to fix (the shell's: CLI flags, Lambda fields).
pub async fn start_preflighted(
    services: &Services,
    cache: Option<&WarmCache>,
    request: &StartRequest,
    deadline: Option<Instant>,
    names: InputName,
) -> Result<PreflightedStart, Error> {
    let mint = Mint::for_a_start(services, &request.repository, request.duration, cache)?
        .for_job(&request.job);
    let reading = Instant::now();
    let checked = by_deadline(deadline, &request.job, async {
        let (job, answers) = tokio::join!(services.glue.get_job(&request.job), mint.answers());
        check(
            services,
            &DoctorRequest::for_start(request, names),
            job,
            &mint,
            answers,
        )
        .await
    })
    .await??;
    let read = reading.elapsed();
    let report = checked.report;
    if report.has_errors() {
        tracing::warn!(job = %request.job, errors = report.errors(), "preflight found errors; nothing started");
        return Ok(PreflightedStart {
            report,
            started: None,
        });
    }
    let started = match (checked.job, checked.index) {
        (Ok(job), Ok(index)) => {
            plan_and_start(services, request, &request.job, job, &index, read, deadline).await
        }
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    Ok(PreflightedStart {
        report,
        started: Some(started),
    })
}

/// Plans the run of one job and starts it (unless it is a dry run).
async fn plan_and_start(
    services: &Services,
    request: &StartRequest,
    job_name: &str,
    job: JobDefinition,
    index: &IssuedIndexUrl,
    read: Duration,
    deadline: Option<Instant>,
) -> Result<StartOutcome, Error> {
    let (token_expiration, token_cached) = (index.expiration(), index.cached);
    let cx = Context {
        job: Some(job_name),
        repository: &request.repository,
        region: &services.region,
    };
    let plan = plan_run(&job, &request.arguments, request.mode, &index.url)?;
    for replaced in &plan.replaced {
        tracing::info!(job = %job_name, replaced = %replaced, "replacing an index option");
    }
    if request.dry_run {
        tracing::info!(job = %job_name, keys = ?plan.keys(), "dry run: no job run started");
        return Ok(StartOutcome {
            job: job.name,
            job_run_id: None,
            token_expiration,
            plan,
            token_cached,
            rounds: Rounds { read, start: None },
        });
    }
    // Not idempotent: see `start_run` for how failures are retried.
    let starting = Instant::now();
    let run_id = crate::start_run::start_run_once(
        &services.glue,
        job_name,
        &plan.expose_arguments(),
        deadline,
    )
    .await
    .map_err(|e| match e {
        crate::start_run::StartRunError::Aws(e) => Error::from_aws(e, cx),
        crate::start_run::StartRunError::Unknown(e) => e,
    })?
    .run_id;
    let start = starting.elapsed();
    tracing::info!(job = %job_name, job_run_id = %run_id, keys = ?plan.keys(), "job run started");
    Ok(StartOutcome {
        job: job.name,
        job_run_id: Some(run_id),
        token_expiration,
        plan,
        token_cached,
        rounds: Rounds {
            read,
            start: Some(start),
        },
    })
}

/// The outcome of starting several jobs with one token.
#[derive(Debug)]
pub struct StartManyOutcome {
    /// When the token in the runs' arguments expires.
    pub token_expiration: TokenExpiration,
    /// Each job, in the order given, with its result.
    pub runs: Vec<(String, Result<StartOutcome, Error>)>,
}

impl StartManyOutcome {
    /// How many jobs could not be started.
    pub fn failed(&self) -> usize {
        self.runs.iter().filter(|(_, r)| r.is_err()).count()
    }
}

/// Starts a run of each of `jobs` (`request.job` is ignored) with one token.
///
/// Each job is a pipeline of its own: read it (`GetJob`, at most
/// `concurrency` reads at a time), wait for the index URL, start its run
/// (`StartJobRun`, at most `concurrency` starts at a time). The endpoint and
/// token are fetched once, alongside the first reads. A job's run starts as
/// soon as that job has been read, so reads and starts overlap and the
/// critical path is 1 + `ceil(jobs / concurrency)` rounds of calls, not
/// twice that. Per-job `GetJob` rather than one `BatchGetJobs`: a batch read
/// fails as a whole when any one job's read is denied, and a failure on one
/// job must not stop the others.
///
/// Fails as a whole only when there is no index URL (and then starts
/// nothing); a failure on one job is reported in its result.
pub async fn start_many(
    services: &Services,
    request: &StartRequest,
    jobs: &[String],
    concurrency: usize,
) -> Result<StartManyOutcome, Error> {
    let concurrency = concurrency.max(1);
    let repository = &request.repository;
    let reads = Semaphore::new(concurrency);
    let starts = Semaphore::new(concurrency);
    let (publish, issued) = watch::channel(None::<Arc<IssuedIndexUrl>>);
    let fetch = async move {
        let url = Mint::for_a_start(services, repository, request.duration, None)?
            .run()
            .await?;
        let url = Arc::new(url);
        publish.send_replace(Some(Arc::clone(&url)));
        Ok::<_, Error>(url)
    };
    let (reads, starts) = (&reads, &starts);
    let runs = future::join_all(jobs.iter().map(|name| {
        let mut issued = issued.clone();
        async move {
            let reading = Instant::now();
            let cx = Context {
                job: Some(name),
                repository,
                region: &services.region,
            };
            let job = {
                // `acquire` fails only on a closed semaphore, and these are
                // never closed; no limit then rather than a panic (other
                // jobs' runs may have started).
                let _permit = reads.acquire().await.ok();
                services.glue.get_job(name).await
            };
            let result = match job {
                Ok(job) => {
                    // Without an index URL the fetch has failed, and its
                    // error ends `start_many` (and this future with it).
                    let Some(url) = issued
                        .wait_for(Option::is_some)
                        .await
                        .ok()
                        .and_then(|u| u.clone())
                    else {
                        return std::future::pending().await;
                    };
                    let read = reading.elapsed();
                    let _permit = starts.acquire().await.ok();
                    plan_and_start(services, request, name, job, &url, read, None).await
                }
                Err(e) => Err(Error::from_aws(e, cx)),
            };
            if let Err(e) = &result {
                tracing::warn!(job = %name, error = %e, "job run not started");
            }
            (name.clone(), result)
        }
    }));
    let (issued, runs) = tokio::try_join!(fetch, runs.map(Ok))?;
    Ok(StartManyOutcome {
        token_expiration: issued.expiration(),
        runs,
    })
}

/// The outcome of a preflighted start of several jobs.
#[derive(Debug)]
pub struct PreflightedMany {
    /// doctor's report on each job, in the order given.
    pub reports: Vec<Report>,
    /// The starts; `None` when any report has errors (nothing was started).
    pub started: Option<StartManyOutcome>,
}

/// [`start_preflighted`] for several jobs (`request.job` is ignored), with
/// one token: the endpoint and the token are fetched once, alongside the
/// jobs' reads (at most `concurrency` at a time); each job is checked on
/// what was read, at most `concurrency` at a time; if no report has errors,
/// each run is started with that index URL (at most `concurrency` at a
/// time). A job whose run cannot be started is reported in its result.
pub async fn start_many_preflighted(
    services: &Services,
    request: &StartRequest,
    jobs: &[String],
    concurrency: usize,
    names: InputName,
) -> Result<PreflightedMany, Error> {
    let concurrency = concurrency.max(1);
    let mint = Mint::for_a_start(services, &request.repository, request.duration, None)?;
    let reads = Semaphore::new(concurrency);
    let reading = Instant::now();
    let read_jobs = future::join_all(jobs.iter().map(|name| {
        let reads = &reads;
        async move {
            // Never closed: no limit rather than a panic.
            let _permit = reads.acquire().await.ok();
            services.glue.get_job(name).await
        }
    }));
    let (answers, read_jobs) = tokio::join!(mint.answers(), read_jobs);
    let requests: Vec<StartRequest> = jobs
        .iter()
        .map(|name| StartRequest {
            job: name.clone(),
            ..request.clone()
        })
        .collect();
    let checked: Vec<_> = stream::iter(requests.iter().zip(read_jobs))
        .map(|(one, job)| {
            let (mint, answers) = (&mint, answers.clone());
            async move {
                check(
                    services,
                    &DoctorRequest::for_start(one, names),
                    job,
                    mint,
                    answers,
                )
                .await
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    let checked = checked.into_iter().collect::<Result<Vec<_>, _>>()?;
    let read = reading.elapsed();
    let any_errors = checked.iter().any(|c| c.report.has_errors());
    let mut reports = Vec::with_capacity(checked.len());
    let mut ready = Vec::with_capacity(checked.len());
    for (one, c) in requests.iter().zip(checked) {
        reports.push(c.report);
        ready.push((one, c.job));
    }
    if any_errors {
        return Ok(PreflightedMany {
            reports,
            started: None,
        });
    }
    // One index URL for all (each job's check built the same one).
    let cx = Context {
        job: None,
        repository: &request.repository,
        region: &services.region,
    };
    let endpoint = answers.endpoint.map_err(|e| Error::from_aws(e, cx))?;
    let token = answers.token.map_err(|e| Error::from_aws(e, cx))?;
    let index = mint.settle(endpoint, token)?;
    let starts = Semaphore::new(concurrency);
    let runs = future::join_all(ready.into_iter().map(|(one, job)| {
        let (starts, index) = (&starts, &index);
        async move {
            let result = match job {
                Ok(job) => {
                    let _permit = starts.acquire().await.ok();
                    plan_and_start(services, one, &one.job, job, index, read, None).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = &result {
                tracing::warn!(job = %one.job, error = %e, "job run not started");
            }
            (one.job.clone(), result)
        }
    }))
    .await;
    Ok(PreflightedMany {
        reports,
        started: Some(StartManyOutcome {
            token_expiration: index.expiration(),
            runs,
        }),
    })
}
