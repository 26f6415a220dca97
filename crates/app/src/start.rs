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

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use futures_util::{FutureExt, future};
use glue_codeartifact_aws::IssuedToken;
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    installer_option::IndexMode,
    job::JobDefinition,
    run_plan::{RunArgument, RunPlan, plan_run},
    timestamp::TokenExpiration,
    token_cache::{CachedToken, EndpointKey, MinTokenLife, TokenKey},
};
use tokio::sync::{Semaphore, watch};

use crate::{
    Error, RepositoryRef, Services, error::Context, index_url::IssuedIndexUrl,
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
    let repository = &request.repository;
    let cx = Context {
        job: Some(&request.job),
        repository,
        region: &services.region,
    };
    let owner = repository.domain_owner.as_deref();
    let format = PackageFormat::Pypi;
    let token_key = TokenKey::new(&repository.domain, owner, request.duration);
    let endpoint_key = EndpointKey::new(&repository.domain, owner, &repository.repository, format);
    let (cached_token, cached_endpoint) = match cache {
        Some(cache) => {
            cache.min_token_life().check_duration(request.duration)?;
            let mut cache = cache.lock();
            (
                cache.token(&token_key, SystemTime::now()),
                cache.endpoint(&endpoint_key).map(str::to_owned),
            )
        }
        None => (None, None),
    };
    let token_cached = cached_token.is_some();
    if let (Some(cache), true) = (cache, token_cached) {
        cache.count_token_hit();
    }
    let endpoint_cached = cached_endpoint.is_some();
    let endpoint = async {
        match cached_endpoint {
            Some(endpoint) => Ok(endpoint),
            None => {
                services
                    .codeartifact
                    .get_repository_endpoint(
                        &repository.domain,
                        owner,
                        &repository.repository,
                        format,
                        repository.endpoint_type,
                    )
                    .await
            }
        }
    };
    let token = async {
        match cached_token {
            Some(cached) => Ok(IssuedToken {
                token: cached.token,
                expiration: cached.expiration,
            }),
            None => {
                services
                    .codeartifact
                    .get_authorization_token(&repository.domain, owner, request.duration)
                    .await
            }
        }
    };
    let reads = async { tokio::try_join!(services.glue.get_job(&request.job), endpoint, token) };
    let reading = Instant::now();
    let reads = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline.into(), reads)
            .await
            .map_err(|_| Error::DeadlineReached {
                job: request.job.clone(),
            })?,
        None => reads.await,
    };
    let (job, endpoint, issued) = reads.map_err(|e| Error::from_aws(e, cx))?;
    let read = reading.elapsed();
    if cache.is_none() {
        // With a warm cache, storing the token checks the cache's own rule.
        crate::index_url::check_fresh_for_a_start(issued.expiration)?;
    }
    if let Some(cache) = cache {
        let now = SystemTime::now();
        let mut locked = cache.lock();
        if !endpoint_cached {
            locked.store_endpoint(endpoint_key, endpoint.clone());
        }
        if !token_cached {
            let minted = CachedToken {
                token: issued.token.clone(),
                expiration: issued.expiration,
            };
            locked.store_token(token_key, minted, now)?;
        }
        drop(locked);
        tracing::info!(
            job = %request.job,
            cache = if token_cached { "hit" } else { "miss" },
            endpoint_cached,
            token_life_seconds = MinTokenLife::remaining(issued.expiration.as_system_time(), now).as_secs(),
            "{}",
            if token_cached { "token from the warm cache" } else { "token minted" }
        );
    }
    let endpoint = repository.reachable(endpoint)?;
    let index = IndexUrl::build(&endpoint, &issued.token, format)?;
    let index = TokenIndex {
        url: &index,
        expiration: issued.expiration,
        cached: token_cached,
    };
    plan_and_start(services, request, &request.job, job, index, read, deadline).await
}

/// The index URL a run gets, and what is known of its token.
#[derive(Clone, Copy)]
struct TokenIndex<'a> {
    url: &'a IndexUrl,
    expiration: TokenExpiration,
    cached: bool,
}

/// Plans the run of one job and starts it (unless it is a dry run).
async fn plan_and_start(
    services: &Services,
    request: &StartRequest,
    job_name: &str,
    job: JobDefinition,
    index: TokenIndex<'_>,
    read: Duration,
    deadline: Option<Instant>,
) -> Result<StartOutcome, Error> {
    let TokenIndex {
        url: index,
        expiration: token_expiration,
        cached: token_cached,
    } = index;
    let cx = Context {
        job: Some(job_name),
        repository: &request.repository,
        region: &services.region,
    };
    let plan = plan_run(&job, &request.arguments, request.mode, index)?;
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
        let url = crate::index_url::index_url(
            services,
            repository,
            request.duration,
            PackageFormat::Pypi,
        )
        .await?;
        crate::index_url::check_fresh_for_a_start(url.expiration)?;
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
                    let index = TokenIndex {
                        url: &url.url,
                        expiration: url.expiration,
                        cached: false,
                    };
                    let read = reading.elapsed();
                    let _permit = starts.acquire().await.ok();
                    plan_and_start(services, request, name, job, index, read, None).await
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
        token_expiration: issued.expiration,
        runs,
    })
}
