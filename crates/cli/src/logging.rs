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

/// Installs the subscriber. Our own crates log warnings by default, `-v`
/// info, `-vv` debug, `-vvv` trace. Dependencies (the AWS SDK, hyper, …)
/// are silent by default, so that stderr shows only our own messages (the
/// SDK's WARN lines about a missing config file or IMDS are noise before
/// our error, which names the fix); `-v` shows their warnings, `-vv` their
/// debug lines, `-vvv` everything. `RUST_LOG` replaces all of this.
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::builder()
            .with_default_directive(LevelFilter::WARN.into())
            .parse_lossy(directives),
        _ => EnvFilter::builder().parse_lossy(default_directives(verbose)),
    };
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

/// The filter without `RUST_LOG`: `<dependencies>,<our crates>=<level>`.
/// A target directive matches every target that starts with it, so
/// `glue_codeartifact` covers `glue_codeartifact_app`, `…_aws` and the rest.
fn default_directives(verbose: u8) -> String {
    let (dependencies, ours) = match verbose {
        0 => ("off", "warn"),
        1 => ("warn", "info"),
        2 => ("debug", "debug"),
        _ => ("trace", "trace"),
    };
    format!("{dependencies},glue_codeartifact={ours}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_silent_by_default_and_ours_warn() {
        let filter = EnvFilter::builder().parse_lossy(default_directives(0));
        let text = filter.to_string();
        assert!(text.contains("glue_codeartifact=warn"), "{text}");
        assert!(text.contains("off"), "{text}");
        assert_eq!(default_directives(1), "warn,glue_codeartifact=info");
        assert_eq!(default_directives(9), "trace,glue_codeartifact=trace");
    }
}
