//! Log output on stderr, human-readable. Tokens are never logged: our own
//! events carry none, and the SDK's TRACE events (which describe requests
//! and responses) are dropped, see
//! [`glue_codeartifact_aws::is_transport_trace`].

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::{
    EnvFilter,
    filter::{FilterExt, filter_fn},
    prelude::*,
};

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
    let no_transport_trace = filter_fn(|meta| !glue_codeartifact_aws::is_transport_trace(meta));
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .with_filter(filter.and(no_transport_trace)),
        )
        .init();
}
