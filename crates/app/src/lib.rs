//! The use cases that the CLI and the Lambda share: the domain logic wired to
//! the AWS adapter.
//!
//! - [`start`]: start a Glue job run with a fresh index URL;
//! - [`mint`]: the one path from a repository to an index URL (endpoint and
//!   token in one round trip), for every use case;
//! - [`lock`]: resolve a job's whole tree for its Glue runtime into a PEP
//!   751 lock (by uv), and doctor's whole-tree check;
//! - [`doctor`]: check a job against the repository before it runs;
//! - [`package_index`]: where we fetch the package index (PEP 503/691 pages);
//! - [`warm_cache`]: endpoints and tokens kept between Lambda invocations;
//! - [`wheelhouse`]: mirror a lock's wheels to S3 and bind a job to them;
//! - [`wait`]: follow a run until it ends;
//! - [`refresh`]: write a fresh index URL into jobs' `DefaultArguments`;
//! - [`start_run`]: the `StartJobRun` retry policy that never starts a run
//!   twice;
//! - [`why`]: why a run failed at install (its logs, redacted, and a
//!   diagnosis);
//! - [`error`]: one error type, each variant naming what to fix.
#![deny(missing_docs)]

pub mod doctor;
pub mod error;
pub mod lock;
pub mod mint;
pub mod package_index;
pub mod refresh;
pub mod start;
pub mod start_run;
pub mod wait;
pub mod warm_cache;
pub mod wheelhouse;
pub mod why;

use glue_codeartifact_aws::{
    AwsSettings, CodeArtifact, Glue, Logs, S3, SdkConfig, load_sdk_config,
};
use glue_codeartifact_domain::repository_endpoint::{EndpointType, through_vpc_endpoint};

pub use error::{Error, ErrorClass};
pub use warm_cache::WarmCache;

/// A CodeArtifact repository, as the user names it, and how to reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepositoryRef {
    /// The domain.
    pub domain: String,
    /// The domain's owner (an AWS account ID); the caller's account if unset.
    pub domain_owner: Option<String>,
    /// The repository.
    pub repository: String,
    /// `GetRepositoryEndpoint`'s `endpointType`; the API's default if unset.
    pub endpoint_type: Option<EndpointType>,
    /// The DNS name of a `codeartifact.repositories` VPC endpoint without
    /// private DNS, which the index URL must then use.
    pub endpoint_host: Option<String>,
}

impl RepositoryRef {
    /// The endpoint pip should use: the one CodeArtifact returned, or the
    /// same repository through the VPC endpoint host.
    pub(crate) fn reachable(&self, endpoint: String) -> Result<String, Error> {
        match &self.endpoint_host {
            Some(host) => Ok(through_vpc_endpoint(&endpoint, host)?),
            None => Ok(endpoint),
        }
    }
}

/// The AWS clients a use case needs, built once per process (or per Lambda
/// execution environment).
#[derive(Clone, Debug)]
pub struct Services {
    /// Glue.
    pub glue: Glue,
    /// CodeArtifact.
    pub codeartifact: CodeArtifact,
    /// S3 (the wheelhouse's objects).
    pub s3: S3,
    /// CloudWatch Logs (a run's logs, for `why`).
    pub logs: Logs,
    /// The region the clients talk to.
    pub region: String,
}

impl Services {
    /// Loads the SDK configuration from the default chain and builds the
    /// clients. Fails early when no region is configured.
    pub async fn load(settings: &AwsSettings) -> Result<Self, Error> {
        let config = load_sdk_config(settings).await?;
        Ok(Self::from_config(&config))
    }

    /// Builds the clients from an SDK configuration.
    pub fn from_config(config: &SdkConfig) -> Self {
        Self {
            glue: Glue::new(config),
            codeartifact: CodeArtifact::new(config),
            s3: S3::new(config),
            logs: Logs::new(config),
            region: config
                .region()
                .map(|r| r.as_ref().to_owned())
                .unwrap_or_default(),
        }
    }
}
