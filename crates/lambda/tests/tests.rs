//! Tests of the Lambda function against moto (Glue) and the CodeArtifact
//! emulator: the handler called in-process, and the real `bootstrap` under
//! cargo-lambda's Runtime API emulator. One test binary, one moto.

mod util;

mod events;
mod handler;
mod metrics;
mod refresh;
mod reliability;
mod runtime;
