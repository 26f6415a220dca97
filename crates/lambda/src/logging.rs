//! Logs: one JSON object per line on stdout (CloudWatch Logs takes the
//! function's stdout), through `tracing`.
//!
//! - Level: `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) if
//!   set, else `RUST_LOG` (full `EnvFilter` syntax), else `INFO`.
//! - Format: JSON, unless `AWS_LAMBDA_LOG_FORMAT=Text`.
//! - The SDK's and HTTP stack's TRACE events are always dropped
//!   ([`glue_codeartifact_aws::is_transport_trace`]): they describe requests
//!   and responses, and a `StartJobRun` body holds the index URL. Our own
//!   events never carry a token.
//!
//! Each line carries the fields of the invocation's span, which
//! lambda_runtime opens with the `requestId`.
//!
//! The metric lines ([`crate::metrics`]) are written by a layer of their
//! own, whatever the level and format: they are EMF documents. Lambda's
//! log-level filter counts a line as INFO, so `AWS_LAMBDA_LOG_LEVEL` above
//! INFO drops them; the cold start then warns.

use tracing::level_filters::LevelFilter;

use crate::metrics;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{FilterExt, filter_fn},
    prelude::*,
};

/// Installs the subscriber. Call once, first thing in `main`.
pub fn init() {
    let lookup = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let filter = match lookup("AWS_LAMBDA_LOG_LEVEL") {
        Some(level) => EnvFilter::builder()
            .with_default_directive(lambda_level(&level).into())
            .parse_lossy(""),
        None => EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            .from_env_lossy(),
    };
    let no_transport_trace = filter_fn(|meta| !glue_codeartifact_aws::is_transport_trace(meta));
    let text = lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("text"));
    let layer = if text {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(std::io::stdout)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stdout)
            .boxed()
    };
    let not_metrics = filter_fn(|meta| meta.target() != metrics::TARGET);
    let metrics_only = filter_fn(|meta| meta.target() == metrics::TARGET);
    tracing_subscriber::registry()
        .with(layer.with_filter(filter.and(no_transport_trace).and(not_metrics)))
        .with(metrics::EmfLayer.with_filter(metrics_only))
        .init();
    if let Some(level) =
        lookup("AWS_LAMBDA_LOG_LEVEL").filter(|l| lambda_level(l) < LevelFilter::INFO)
    {
        tracing::warn!(
            log_level = %level,
            "AWS_LAMBDA_LOG_LEVEL is {level}: Lambda's log-level filter drops INFO lines, and with them the metric lines (the metrics and their alarms get no data); set the level to INFO (the template's LogLevel parameter) to keep the metrics"
        );
    }
}

/// Lambda's log levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL).
fn lambda_level(level: &str) -> LevelFilter {
    match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "WARN" => LevelFilter::WARN,
        "ERROR" | "FATAL" => LevelFilter::ERROR,
        _ => LevelFilter::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels() {
        assert_eq!(lambda_level("debug"), LevelFilter::DEBUG);
        assert_eq!(lambda_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(lambda_level("whatever"), LevelFilter::INFO);
    }
}
