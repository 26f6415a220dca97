//! End-to-end tests of the `glue-codeartifact` binary against moto (Glue)
//! and the CodeArtifact emulator over HTTP. One test binary, one moto.

mod util;

mod bad_inputs;
mod config;
mod conventions;
mod doctor;
mod errors;
mod faults;
mod iam_policy;
mod index_url;
mod lock;
mod pip_package;
mod private_subnets;
mod refresh;
mod replay;
mod start;
mod tls;
mod token_leak;
mod upstream;
mod wait;
mod wheelhouse;
mod why;
