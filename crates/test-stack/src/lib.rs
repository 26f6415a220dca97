//! Test support for glue-codeartifact: the local stand-ins for AWS and their fixtures.
//!
//! [`Stack`] is one test's stand-ins (moto and an emulator of its own), the
//! base of the CLI's and the Lambda's suites.
//!
//! Integration tests drive the real binaries over HTTP against two loopback
//! servers: **moto** for AWS Glue (started from
//! `crates/test-stack/python/moto_server.py`, which adds a faithful UpdateJob
//! and a recorder of the Glue requests sent) and the project's CodeArtifact
//! emulator. This crate starts moto, creates Glue jobs in it, builds wheels,
//! prepares the environment for the binaries, and replays what a Glue worker
//! would do with a run's arguments (`glue_replay.py`).
//!
//! The Python side lives in `<repo>/.venv`; run `scripts/setup` once first.
//!
//! Everything here is for tests: functions panic with a message that says what
//! to fix instead of returning errors.
//!
//! ```no_run
//! use test_stack::{JobSpec, Moto, unique_name};
//!
//! let moto = Moto::shared();
//! let job = unique_name("etl");
//! moto.create_job(&JobSpec::spark(&job).default_argument("--additional-python-modules", "pkg==1.0"));
//! // ... run the CLI with test_stack::command_with_env(bin, &test_stack::aws_env(&moto.url, emulator_url)) ...
//! for run in moto.job_runs(&job) {
//!     println!("{} {} {:?}", run.id, run.state, run.arguments);
//! }
//! let sent = moto.sent_requests("StartJobRun", &job);
//! ```
#![deny(missing_docs)]

mod catalogue;
mod env;
mod glue_faults;
mod glue_logs;
pub mod http;
mod moto;
mod python;
mod s3;
pub mod scratch;
mod stack;
mod token_forms;

pub use catalogue::{CatalogueRow, SURFACES, catalogue_rows, parse_catalogue};
pub use env::{aws_env, command_with_env, unique_name};
pub use glue_faults::{GlueFault, GlueFaultKind, Strike};
pub use moto::{JobRunSummary, JobSpec, Moto};
pub use python::{
    ReplayOutput, make_wheel, make_wheel_requiring, make_wheel_with, python, replay,
    replay_with_image, repo_root, uv,
};
pub use s3::{S3Fault, S3FaultKind, S3Request};
pub use stack::{DOMAIN, REPOSITORY, Stack, runtime};
pub use token_forms::{all_token_forms, assert_no_token, product_encoded, token_forms};
