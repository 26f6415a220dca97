//! Log output on stderr, human-readable. Tokens are never logged: our own
//! events carry none, and the SDK's trace events (which describe requests
//! and responses, GetAuthorizationToken's included) are dropped.

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::{EnvFilter, filter::filter_fn, prelude::*};

/// Targets whose TRACE events may describe HTTP bodies.
const TRANSPORT_TARGETS: [&str; 6] = [
    "aws_smithy",
    "aws_sdk",
    "aws_runtime",
    "aws_config",
    "hyper",
    "h2",
];

/// Installs the subscriber: warnings by default, `-v` info, `-vv` debug,
/// `-vvv` trace; `RUST_LOG` overrides.
pub fn init(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let no_transport_trace = filter_fn(|meta| {
        !(*meta.level() == tracing::Level::TRACE
            && TRANSPORT_TARGETS
                .iter()
                .any(|t| meta.target().starts_with(t)))
    });
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .with_filter(filter)
                .with_filter(no_transport_trace),
        )
        .init();
}
