//! Where we call AWS: a thin adapter over the AWS SDK for Rust.
//!
//! One wrapper per service, one method per operation, each returning domain
//! types and this crate's [`AwsError`]. No decisions are made here; they live
//! in `glue-codeartifact-domain` and `glue-codeartifact-app`.
//!
//! - [`config`]: the SDK configuration from the default AWS chain
//!   (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL_*`, …);
//! - [`glue`]: `GetJob`, `StartJobRun`, `UpdateJob`, `ListJobs`;
//! - [`job_update`]: a whole job carried into `UpdateJob` (which replaces);
//! - [`start_run`]: `StartJobRun` without the SDK's retries, each failure
//!   sorted by what it proves, and the `GetJobRuns` look-up of a run whose
//!   answer was lost;
//! - [`codeartifact`]: `GetAuthorizationToken` (where the token is made),
//!   `GetRepositoryEndpoint`;
//! - [`s3`]: `HeadObject`, `GetObject`, `PutObject`, `ListObjectsV2` (the
//!   wheelhouse's objects);
//! - [`logs`]: `DescribeLogStreams`, `GetLogEvents` (a run's log lines,
//!   redacted where they enter);
//! - [`error`]: SDK errors sorted into what a user can act on.
#![deny(missing_docs)]

pub mod codeartifact;
pub mod config;
pub mod error;
pub mod glue;
pub mod job_update;
pub mod logs;
pub mod s3;
pub mod start_run;

#[cfg(test)]
mod response_props;

pub use codeartifact::CodeArtifact;
pub use config::{AwsSettings, ConfigError, Timeouts, load_sdk_config};
pub use error::{AwsError, AwsErrorKind, Operation};
pub use glue::{Glue, JobRunStatus, JobSnapshot, UpdateJobError};
pub use logs::Logs;
pub use s3::{ObjectHead, ObjectSummary, S3};

/// The SDK configuration, re-exported so that callers need no direct
/// dependency on aws-config.
pub use aws_config::SdkConfig;

/// Whether a tracing event is an SDK or HTTP-stack TRACE event. Those
/// describe requests and responses (`aws_sigv4` logs the signed body when
/// `LOG_SIGNABLE_BODY=true`, and a `StartJobRun` body holds the index URL),
/// so every binary drops them, whatever `RUST_LOG` says.
pub fn is_transport_trace(meta: &tracing::Metadata<'_>) -> bool {
    const TARGETS: [&str; 6] = ["aws_", "hyper", "h2", "rustls", "tower", "reqwest"];
    *meta.level() == tracing::Level::TRACE && TARGETS.iter().any(|t| meta.target().starts_with(t))
}
