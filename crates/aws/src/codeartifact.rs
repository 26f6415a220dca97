//! CodeArtifact: where the token is made.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::SystemTime,
};

use aws_config::SdkConfig;
use aws_sdk_codeartifact::{
    Client,
    types::{EndpointType as SdkEndpointType, PackageFormat as SdkPackageFormat},
};
use glue_codeartifact_domain::{
    duration::TokenDuration, index_url::PackageFormat, repository_endpoint::EndpointType,
    secret::AuthToken, timestamp::TokenExpiration, token_cache::IssuedToken,
};

use crate::error::{AwsError, AwsErrorKind, Operation};

/// The CodeArtifact operations this tool calls.
///
/// Clones share one count of the tokens CodeArtifact issued
/// ([`CodeArtifact::take_tokens_minted`]): the Lambda reports it per
/// invocation as a metric.
#[derive(Clone, Debug)]
pub struct CodeArtifact {
    client: Client,
    minted: Arc<AtomicU64>,
}

impl CodeArtifact {
    /// A client from the shared SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
            minted: Arc::default(),
        }
    }

    /// How many tokens CodeArtifact issued (`GetAuthorizationToken`
    /// answered) since the last call; resets the count. Each token is
    /// counted once, whichever use case asked for it.
    pub fn take_tokens_minted(&self) -> u64 {
        self.minted.swap(0, Ordering::Relaxed)
    }

    /// `GetAuthorizationToken`: a fresh token for `domain`.
    pub async fn get_authorization_token(
        &self,
        domain: &str,
        domain_owner: Option<&str>,
        duration: TokenDuration,
    ) -> Result<IssuedToken, AwsError> {
        const OP: Operation = Operation::GetAuthorizationToken;
        let seconds = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        let output = self
            .client
            .get_authorization_token()
            .domain(domain)
            .set_domain_owner(domain_owner.map(str::to_owned))
            .duration_seconds(seconds)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        self.minted.fetch_add(1, Ordering::Relaxed);
        let missing = |field: &str| AwsError {
            operation: OP,
            kind: AwsErrorKind::Service,
            code: None,
            message: format!("the response has no {field}"),
        };
        let token = output
            .authorization_token()
            .ok_or_else(|| missing("authorizationToken"))?;
        let expiration = output.expiration().ok_or_else(|| missing("expiration"))?;
        // Checked here, where it enters: a value in milliseconds or a
        // negative one is refused before any run starts or job changes.
        let expiration = SystemTime::try_from(*expiration)
            .map_err(|_| AwsError {
                operation: OP,
                kind: AwsErrorKind::Service,
                code: None,
                message: format!(
                    "the response's expiration ({} s from the Unix epoch) is not a time",
                    expiration.secs()
                ),
            })
            .and_then(|t| {
                TokenExpiration::checked(t, SystemTime::now()).map_err(|e| AwsError {
                    operation: OP,
                    kind: AwsErrorKind::Service,
                    code: None,
                    message: e.to_string(),
                })
            })?;
        tracing::debug!(domain, %expiration, "token issued");
        Ok(IssuedToken {
            token: AuthToken::new(token),
            expiration,
        })
    }

    /// `GetRepositoryEndpoint`: the repository's base URL for `format`.
    pub async fn get_repository_endpoint(
        &self,
        domain: &str,
        domain_owner: Option<&str>,
        repository: &str,
        format: PackageFormat,
        endpoint_type: Option<EndpointType>,
    ) -> Result<String, AwsError> {
        const OP: Operation = Operation::GetRepositoryEndpoint;
        let endpoint_type = endpoint_type.map(|t| match t {
            EndpointType::Ipv4 => SdkEndpointType::Ipv4,
            EndpointType::Dualstack => SdkEndpointType::Dualstack,
        });
        let format = match format {
            PackageFormat::Pypi => SdkPackageFormat::Pypi,
        };
        let output = self
            .client
            .get_repository_endpoint()
            .domain(domain)
            .set_domain_owner(domain_owner.map(str::to_owned))
            .repository(repository)
            .format(format)
            .set_endpoint_type(endpoint_type)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e))?;
        let endpoint = output.repository_endpoint().ok_or_else(|| AwsError {
            operation: OP,
            kind: AwsErrorKind::Service,
            code: None,
            message: "the response has no repositoryEndpoint".to_owned(),
        })?;
        tracing::debug!(domain, repository, endpoint, "repository endpoint");
        Ok(endpoint.to_owned())
    }
}
