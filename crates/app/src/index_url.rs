//! The authenticated index URL alone (`glue-codeartifact index-url`).

use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    timestamp::TokenExpiration,
    token_cache::MIN_TOKEN_LIFE_AT_START,
};

use crate::{Error, RepositoryRef, Services, error::Context};

/// An index URL and when its token expires.
#[derive(Clone, Debug)]
pub struct IssuedIndexUrl {
    /// The URL; formatting redacts the token.
    pub url: IndexUrl,
    /// When the token expires.
    pub expiration: TokenExpiration,
}

/// Refuses a token that would not cover a run's start-up: the warm cache's
/// rule ([`glue_codeartifact_domain::token_cache::MinTokenLife`]) with
/// [`MIN_TOKEN_LIFE_AT_START`], for a start or refresh without a warm cache.
/// Called once, before any run starts or any job changes.
pub(crate) fn check_fresh_for_a_start(expiration: TokenExpiration) -> Result<(), Error> {
    Ok(MIN_TOKEN_LIFE_AT_START
        .check_issued(expiration.as_system_time(), std::time::SystemTime::now())?)
}

/// Fetches the repository endpoint and a token concurrently (one round
/// trip) and builds the index URL.
pub async fn index_url(
    services: &Services,
    repository: &RepositoryRef,
    duration: TokenDuration,
    format: PackageFormat,
) -> Result<IssuedIndexUrl, Error> {
    let cx = Context {
        job: None,
        repository,
        region: &services.region,
    };
    let owner = repository.domain_owner.as_deref();
    let (endpoint, issued) = tokio::try_join!(
        services.codeartifact.get_repository_endpoint(
            &repository.domain,
            owner,
            &repository.repository,
            format,
            repository.endpoint_type,
        ),
        services
            .codeartifact
            .get_authorization_token(&repository.domain, owner, duration),
    )
    .map_err(|e| Error::from_aws(e, cx))?;
    let endpoint = repository.reachable(endpoint)?;
    let url = IndexUrl::build(&endpoint, &issued.token, format)?;
    Ok(IssuedIndexUrl {
        url,
        expiration: issued.expiration,
    })
}
