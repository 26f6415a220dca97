//! Where we call AWS: a thin adapter over the AWS SDK for Rust.
//!
//! One wrapper per service, one method per operation, each returning domain
//! types and this crate's [`AwsError`]. No decisions are made here; they live
//! in `glue-codeartifact-domain` and `glue-codeartifact-app`.
//!
//! - [`config`]: the SDK configuration from the default AWS chain
//!   (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL_*`, …);
//! - [`glue`]: `GetJob`, `StartJobRun`;
//! - [`codeartifact`]: `GetAuthorizationToken` (where the token is made),
//!   `GetRepositoryEndpoint`;
//! - [`error`]: SDK errors sorted into what a user can act on.
#![deny(missing_docs)]

pub mod codeartifact;
pub mod config;
pub mod error;
pub mod glue;

pub use codeartifact::{CodeArtifact, IssuedToken};
pub use config::{AwsSettings, ConfigError, load_sdk_config};
pub use error::{AwsError, AwsErrorKind, Operation};
pub use glue::Glue;

/// The SDK configuration, re-exported so that callers need no direct
/// dependency on aws-config.
pub use aws_config::SdkConfig;
