//! The pure logic of glue-codeartifact. No I/O, no AWS SDK types.
//!
//! - [`secret`]: the token and values built from it, redacted when formatted;
//! - [`duration`]: how long a token lives (`0` or 900–43200 s);
//! - [`index_url`]: where the token becomes an authenticated pip index URL;
//! - [`install_failure`]: why a run failed at install (its log streams, pip's
//!   lines, redacted, and what we know on top);
//! - [`installer_option`]: where `--index-url=…` is merged into pip options;
//! - [`job`]: what we read of a Glue job;
//! - [`run_plan`]: where a run's arguments are planned;
//! - [`run_state`]: a run's state, for `start --wait`;
//! - [`repository_endpoint`]: endpoint type, and VPC endpoint host names;
//! - [`glue_parameters`]: Glue's own job parameters, and which run arguments
//!   a deployment lets events set;
//! - [`job_pattern`]: which jobs a deployment may start (`ALLOWED_JOBS`);
//! - [`token_cache`]: when a cached token may still be served;
//! - [`timestamp`]: a token's expiration, checked where it enters, and total RFC 3339;
//! - [`metrics`]: the Lambda's metrics, as CloudWatch Embedded Metric Format
//!   documents (names, units, bounded dimensions);
//! - [`iam_policy`]: the least-privilege policies of whoever mints tokens (to start
//!   runs, or to refresh jobs);
//! - [`s3_uri`]: `s3://bucket/key` locations (one parser);
//! - [`wheelhouse`]: content-addressed wheel keys in S3, and the arguments
//!   that bind a job to them (`--no-index`);
//! - [`preflight`]: the rules `doctor` checks a job with (job type, options,
//!   token life, requirements against the index pages).
//!
//! ```
//! use glue_codeartifact_domain::{
//!     index_url::{IndexUrl, PackageFormat},
//!     installer_option::IndexMode,
//!     job::{JobCommand, JobDefinition},
//!     run_plan::plan_run,
//!     secret::AuthToken,
//! };
//!
//! let token = AuthToken::new("eyJ2ZXIiOjEsImlzdSI6MTcwMH0.abc");
//! let index = IndexUrl::build(
//!     "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/",
//!     &token,
//!     PackageFormat::Pypi,
//! )?;
//! assert_eq!(
//!     index.to_string(),
//!     "https://aws:****@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/simple/"
//! );
//!
//! let job = JobDefinition {
//!     name: "nightly-etl".into(),
//!     command: Some(JobCommand::SparkEtl),
//!     glue_version: Some("5.0".into()),
//!     default_arguments: [
//!         ("--additional-python-modules".into(), "acme-tools==1.2.0".into()),
//!         ("--python-modules-installer-option".into(), "--upgrade".into()),
//!     ]
//!     .into(),
//!     ..Default::default()
//! };
//! let plan = plan_run(&job, &[], IndexMode::IndexUrl, &index)?;
//! assert_eq!(
//!     plan.redacted_arguments()["--python-modules-installer-option"],
//!     "--upgrade --index-url=https://aws:****@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/simple/"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod duration;
pub mod glue_parameters;
pub mod iam_policy;
pub mod index_url;
pub mod input;
pub mod install_failure;
pub mod installer_option;
pub mod job;
pub mod job_pattern;
pub mod metrics;
pub mod names;
pub mod pip_options;
pub mod preflight;
pub mod repository_endpoint;
pub mod run_plan;
pub mod run_state;
pub mod s3_uri;
pub mod secret;
pub mod timestamp;
pub mod token_cache;
pub mod wheelhouse;
