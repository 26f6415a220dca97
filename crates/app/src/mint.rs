//! Minting: the one path from a repository to an authenticated index URL.
//!
//! `GetRepositoryEndpoint` and `GetAuthorizationToken` run concurrently
//! (one round trip; with a [`WarmCache`], what it holds is used instead of
//! the call), the endpoint is made reachable (a VPC endpoint host), and the
//! [`IndexUrl`] is built. Every use case that needs an index URL gets it
//! here: `index-url`, `start` (and its preflight), `refresh`, `lock` and
//! `doctor`.
//!
//! The token stays in its redacting types ([`IssuedToken`]'s
//! [`glue_codeartifact_domain::secret::AuthToken`], then [`IndexUrl`]) from
//! the SDK's answer to the argument sent to Glue.

use std::time::SystemTime;

use glue_codeartifact_aws::AwsError;
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    timestamp::TokenExpiration,
    token_cache::{EndpointKey, IssuedToken, MIN_TOKEN_LIFE_AT_START, MinTokenLife, TokenKey},
};

use crate::{Error, RepositoryRef, Services, WarmCache, error::Context};

/// The package format every index URL here is for.
const FORMAT: PackageFormat = PackageFormat::Pypi;

/// An index URL and the token in it.
#[derive(Clone, Debug)]
pub struct IssuedIndexUrl {
    /// The URL; formatting redacts the token.
    pub url: IndexUrl,
    /// The token in it, and when it expires (the index client sends it as
    /// a header; formatting redacts it).
    pub token: IssuedToken,
    /// Whether the token came from the warm cache (never, without one).
    pub cached: bool,
}

impl IssuedIndexUrl {
    /// When the token expires.
    pub fn expiration(&self) -> TokenExpiration {
        self.token.expiration
    }
}

/// The endpoint and the token, fetched concurrently, each as it came
/// (`doctor` turns a denial into a finding rather than an error).
#[derive(Clone, Debug)]
pub(crate) struct Answers {
    /// `GetRepositoryEndpoint`'s answer (or the cached endpoint), as
    /// CodeArtifact returned it.
    pub endpoint: Result<String, AwsError>,
    /// `GetAuthorizationToken`'s answer (or the cached token).
    pub token: Result<IssuedToken, AwsError>,
}

/// One mint: which repository, for how long, through which cache, and
/// which rule a token must meet.
pub(crate) struct Mint<'a> {
    services: &'a Services,
    repository: &'a RepositoryRef,
    duration: TokenDuration,
    cache: Option<&'a WarmCache>,
    for_a_start: bool,
    job: Option<&'a str>,
    cached_endpoint: Option<String>,
    cached_token: Option<IssuedToken>,
}

impl<'a> Mint<'a> {
    /// A fresh token of `duration`, with no rule on its life (`index-url`,
    /// `lock`, `doctor`).
    pub(crate) fn new(
        services: &'a Services,
        repository: &'a RepositoryRef,
        duration: TokenDuration,
    ) -> Self {
        Self {
            services,
            repository,
            duration,
            cache: None,
            for_a_start: false,
            job: None,
            cached_endpoint: None,
            cached_token: None,
        }
    }

    /// A token for a run's start-up (`start`, `refresh`): with `cache`,
    /// its endpoint and a token that still has the cache's required life
    /// are used, and what is minted is kept (a token without that life is
    /// refused, [`Error::TokenLife`]); without one, a fresh token must meet
    /// [`MIN_TOKEN_LIFE_AT_START`]. A duration the cache's rule can never meet
    /// is refused here, before any call.
    pub(crate) fn for_a_start(
        services: &'a Services,
        repository: &'a RepositoryRef,
        duration: TokenDuration,
        cache: Option<&'a WarmCache>,
    ) -> Result<Self, Error> {
        let mut mint = Self::new(services, repository, duration);
        mint.for_a_start = true;
        if let Some(cache) = cache {
            cache.min_token_life().check_duration(duration)?;
            let mut locked = cache.lock();
            mint.cached_token = locked.token(&mint.token_key(), SystemTime::now());
            mint.cached_endpoint = locked.endpoint(&mint.endpoint_key()).map(str::to_owned);
            drop(locked);
            if mint.cached_token.is_some() {
                cache.count_token_hit();
            }
            mint.cache = Some(cache);
        }
        Ok(mint)
    }

    /// With the repository endpoint already read (as CodeArtifact returned
    /// it): only the token is fetched (`wheelhouse`'s downloads, whose
    /// endpoint was read with the job).
    pub(crate) fn with_endpoint(mut self, endpoint: String) -> Self {
        self.cached_endpoint = Some(endpoint);
        self
    }

    /// The job the index URL is for (named in the cache's log line).
    pub(crate) fn for_job(mut self, job: &'a str) -> Self {
        self.job = Some(job);
        self
    }

    fn token_key(&self) -> TokenKey {
        let r = self.repository;
        TokenKey::new(&r.domain, r.domain_owner.as_deref(), self.duration)
    }

    fn endpoint_key(&self) -> EndpointKey {
        let r = self.repository;
        EndpointKey::new(&r.domain, r.domain_owner.as_deref(), &r.repository, FORMAT)
    }

    fn context(&self) -> Context<'a> {
        Context {
            job: None,
            repository: self.repository,
            region: &self.services.region,
        }
    }

    /// The endpoint and the token: the calls for what is not cached, run
    /// concurrently (one round trip, none when both are cached).
    pub(crate) async fn answers(&self) -> Answers {
        let (endpoint, token) = tokio::join!(self.endpoint(), self.token());
        Answers { endpoint, token }
    }

    /// The endpoint alone: the cached one, or `GetRepositoryEndpoint`
    /// (no token is minted).
    pub(crate) async fn endpoint(&self) -> Result<String, AwsError> {
        if let Some(endpoint) = &self.cached_endpoint {
            return Ok(endpoint.clone());
        }
        let r = self.repository;
        self.services
            .codeartifact
            .get_repository_endpoint(
                &r.domain,
                r.domain_owner.as_deref(),
                &r.repository,
                FORMAT,
                r.endpoint_type,
            )
            .await
    }

    /// The token alone: the cached one, or `GetAuthorizationToken`.
    pub(crate) async fn token(&self) -> Result<IssuedToken, AwsError> {
        if let Some(token) = &self.cached_token {
            return Ok(token.clone());
        }
        let r = self.repository;
        self.services
            .codeartifact
            .get_authorization_token(&r.domain, r.domain_owner.as_deref(), self.duration)
            .await
    }

    /// The endpoint as pip must reach it: the one CodeArtifact returned,
    /// or the same repository through the VPC endpoint host.
    pub(crate) fn reachable(&self, endpoint: String) -> Result<String, Error> {
        self.repository.reachable(endpoint)
    }

    /// Builds the index URL from the answers: keeps what was minted in
    /// the cache, checks the token's life for a start, and makes the
    /// endpoint reachable.
    pub(crate) fn settle(
        &self,
        endpoint: String,
        token: IssuedToken,
    ) -> Result<IssuedIndexUrl, Error> {
        let cached = self.cached_token.is_some();
        match self.cache {
            Some(cache) => {
                let now = SystemTime::now();
                let mut locked = cache.lock();
                if self.cached_endpoint.is_none() {
                    locked.store_endpoint(self.endpoint_key(), endpoint.clone());
                }
                if !cached {
                    // Storing checks the cache's own rule.
                    locked.store_token(self.token_key(), token.clone(), now)?;
                }
                drop(locked);
                tracing::info!(
                    job = self.job.unwrap_or_default(),
                    cache = if cached { "hit" } else { "miss" },
                    endpoint_cached = self.cached_endpoint.is_some(),
                    token_life_seconds =
                        MinTokenLife::remaining(token.expiration.as_system_time(), now).as_secs(),
                    "{}",
                    if cached {
                        "token from the warm cache"
                    } else {
                        "token minted"
                    }
                );
            }
            None if self.for_a_start => check_fresh_for_a_start(token.expiration)?,
            None => {}
        }
        let endpoint = self.reachable(endpoint)?;
        let url = IndexUrl::build(&endpoint, &token.token, FORMAT)?;
        Ok(IssuedIndexUrl { url, token, cached })
    }

    /// [`Mint::answers`], then [`Mint::settle`]; a failed call is an
    /// error (the endpoint's first).
    pub(crate) async fn run(&self) -> Result<IssuedIndexUrl, Error> {
        let Answers { endpoint, token } = self.answers().await;
        let cx = self.context();
        let endpoint = endpoint.map_err(|e| Error::from_aws(e, cx))?;
        let token = token.map_err(|e| Error::from_aws(e, cx))?;
        self.settle(endpoint, token)
    }
}

/// Refuses a token that would not cover a run's start-up: the warm cache's
/// rule ([`MinTokenLife`]) with [`MIN_TOKEN_LIFE_AT_START`], for a start or refresh
/// without a warm cache. Called once, before any run starts or any job
/// changes.
fn check_fresh_for_a_start(expiration: TokenExpiration) -> Result<(), Error> {
    Ok(MIN_TOKEN_LIFE_AT_START.check_issued(expiration.as_system_time(), SystemTime::now())?)
}

/// Fetches the repository endpoint and a fresh token of `duration`
/// concurrently (one round trip) and builds the index URL
/// (`glue-codeartifact index-url`, `lock`).
pub async fn mint(
    services: &Services,
    repository: &RepositoryRef,
    duration: TokenDuration,
) -> Result<IssuedIndexUrl, Error> {
    Mint::new(services, repository, duration).run().await
}

/// [`mint`] for a run's start-up (`refresh`): the fresh token must meet
/// [`MIN_TOKEN_LIFE_AT_START`].
pub async fn mint_for_a_start(
    services: &Services,
    repository: &RepositoryRef,
    duration: TokenDuration,
) -> Result<IssuedIndexUrl, Error> {
    Mint::for_a_start(services, repository, duration, None)?
        .run()
        .await
}
