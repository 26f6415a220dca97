//! The function's metrics: one CloudWatch Embedded Metric Format (EMF) line
//! per invocation on stdout, which CloudWatch Logs turns into metrics in the
//! `GlueCodeArtifact` namespace. No CloudWatch call and no permission: the
//! Lambda convention ("Using the embedded metric format with Lambda":
//! Lambda sends stdout to the function's log group, and CloudWatch Logs
//! extracts metrics from any log event that follows the specification).
//!
//! Which metrics, their names, units and dimensions, and the document itself
//! are pure logic: [`glue_codeartifact_domain::metrics`] (with the
//! specification's rules, cited). Here they are filled from an invocation's
//! outcome and emitted as a `tracing` event of target [`TARGET`], which
//! [`EmfLayer`] writes verbatim as one line (the JSON formatter could only
//! write `_aws` as a string, and the specification needs an object). The
//! layer ignores the log level: lowering `AWS_LAMBDA_LOG_LEVEL` must not
//! silence the alarms. Lambda's own log-level filter, though, treats a line
//! as INFO, so at `WARN` or above Lambda drops these lines (see
//! [`crate::logging`]).
//!
//! `GLUE_CODEARTIFACT_METRICS=false` ([`crate::settings::METRICS`]) turns
//! the line off.
//!
//! Counts (tokens minted, cache hits) are taken from counters that the
//! CodeArtifact client and the warm cache keep, reset as they are read: each
//! token is reported once, in the line of the invocation that minted it.

use std::{
    fmt,
    io::Write,
    time::{SystemTime, UNIX_EPOCH},
};

use glue_codeartifact_domain::metrics::{InvocationMetrics, Metric};
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::layer::{Context, Layer};

use crate::{
    HandlerError,
    handler::{RefreshResponse, State},
};

/// The `tracing` target of metric events: only [`EmfLayer`] writes them.
pub const TARGET: &str = "glue_codeartifact_lambda::metrics";

/// The field of a metric event that holds the EMF line.
const FIELD: &str = "emf";

/// The metrics of one invocation, filled in as it runs.
#[derive(Debug)]
pub struct Invocation {
    metrics: InvocationMetrics,
    request_id: String,
}

impl Invocation {
    /// An invocation of the function `function_name` (the dimension), with
    /// its request ID (a plain member of the line, for finding its logs).
    pub fn new(function_name: &str, request_id: &str) -> Self {
        Invocation {
            metrics: InvocationMetrics::new(function_name),
            request_id: request_id.to_owned(),
        }
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &InvocationMetrics {
        &self.metrics
    }

    /// The metrics so far, to add to.
    pub fn metrics_mut(&mut self) -> &mut InvocationMetrics {
        &mut self.metrics
    }

    /// A start event ended with `result`: counts the run (or the refusal,
    /// by its `errorType`) and the token's source.
    pub fn start_done<T>(&mut self, state: &State, result: &Result<T, HandlerError>) {
        let m = &mut self.metrics;
        m.count(
            Metric::TokensMinted,
            state.services.codeartifact.take_tokens_minted(),
        );
        m.count(Metric::TokenCacheHits, state.cache.take_token_hits());
        m.count(Metric::RunsStarted, u64::from(result.is_ok()));
        m.count(Metric::StartsRefused, u64::from(result.is_err()));
        if let Err(err) = result {
            m.failed_with(err.error_type());
        }
    }

    /// A refresh event ended with `result`.
    pub fn refresh_done(&mut self, state: &State, result: &Result<RefreshResponse, HandlerError>) {
        let m = &mut self.metrics;
        m.count(
            Metric::TokensMinted,
            state.services.codeartifact.take_tokens_minted(),
        );
        m.count(Metric::Refreshes, 1);
        m.count(Metric::RefreshFailures, u64::from(result.is_err()));
        if let Err(err) = result {
            m.failed_with(err.error_type());
        }
    }

    /// The EMF line: the document, with the log line's own members.
    pub fn line(&self, timestamp_ms: u64) -> Option<String> {
        let mut root = self.metrics.document(timestamp_ms)?;
        // Not dimensions, not metrics: plain members, as the specification
        // allows. Lambda's log-level filter reads `level`.
        root.insert("level".into(), "INFO".into());
        root.insert("message".into(), "metrics".into());
        root.insert("requestId".into(), self.request_id.as_str().into());
        Some(serde_json::Value::Object(root).to_string())
    }

    /// Emits the line (through `tracing`, to [`EmfLayer`]).
    pub fn emit(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or_default();
        if let Some(line) = self.line(now) {
            tracing::info!(target: TARGET, emf = line.as_str());
        }
    }
}

/// Writes each metric event's line to stdout as is, one line each.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmfLayer;

impl<S: Subscriber> Layer<S> for EmfLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut line = EmfField(None);
        event.record(&mut line);
        if let Some(line) = line.0 {
            // One write of the whole line, under stdout's lock: never
            // interleaved with the other log lines.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        }
    }
}

struct EmfField(Option<String>);

impl Visit for EmfField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == FIELD {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn fmt::Debug) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_the_document_with_the_log_members() {
        let mut invocation = Invocation::new("gca-start", "req-1");
        invocation.metrics_mut().count(Metric::RunsStarted, 1);
        let line: serde_json::Value =
            serde_json::from_str(&invocation.line(1_700_000_000_000).unwrap()).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(line["FunctionName"], "gca-start");
        assert_eq!(line["RunsStarted"], 1.0);
        assert_eq!(line["requestId"], "req-1");
        assert_eq!(line["message"], "metrics");
        assert_eq!(Invocation::new("f", "r").line(0), None);
    }
}
