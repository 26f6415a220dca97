//! Start a Glue job run with a fresh index URL (`glue-codeartifact start`).
//!
//! Two sequential round trips: `GetJob`, `GetRepositoryEndpoint` and
//! `GetAuthorizationToken` run concurrently, then `StartJobRun`.
//!
//! With a [`WarmCache`] ([`start_cached`], the Lambda), a cached endpoint
//! and a cached token that still meets the freshness rule are used instead
//! of their calls: a warm invocation is `GetJob`, then `StartJobRun`, with
//! no CodeArtifact call at all.

use std::time::SystemTime;

use glue_codeartifact_aws::IssuedToken;
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    installer_option::IndexMode,
    run_plan::{RunArgument, RunPlan, plan_run},
    token_cache::{CachedToken, EndpointKey, Freshness, TokenKey},
};

use crate::{Error, RepositoryRef, Services, error::Context, warm_cache::WarmCache};

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
    /// Whether the token came from the warm cache (never, without one).
    pub token_cached: bool,
}

/// Starts one run (or plans it, in a dry run) with a freshly minted token.
pub async fn start(services: &Services, request: &StartRequest) -> Result<StartOutcome, Error> {
    start_with(services, None, request).await
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
    start_with(services, Some(cache), request).await
}

async fn start_with(
    services: &Services,
    cache: Option<&WarmCache>,
    request: &StartRequest,
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
            cache.freshness().check_duration(request.duration)?;
            let mut cache = cache.lock();
            (
                cache.token(&token_key, SystemTime::now()),
                cache.endpoint(&endpoint_key).map(str::to_owned),
            )
        }
        None => (None, None),
    };
    let token_cached = cached_token.is_some();
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
    let (job, endpoint, issued) =
        tokio::try_join!(services.glue.get_job(&request.job), endpoint, token)
            .map_err(|e| Error::from_aws(e, cx))?;
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
            token_life_seconds = Freshness::remaining(issued.expiration, now).as_secs(),
            "{}",
            if token_cached { "token from the warm cache" } else { "token minted" }
        );
    }
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
            token_cached,
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
        token_cached,
    })
}
