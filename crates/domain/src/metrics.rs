//! The Lambda function's metrics, as CloudWatch Embedded Metric Format (EMF)
//! documents: which metrics there are, their names, units and dimensions,
//! and the JSON document of one invocation. Pure: the caller passes the
//! clock's reading and writes the document (one log line) where CloudWatch
//! Logs takes it.
//!
//! The format follows the EMF specification,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>:
//!
//! - the root node is a JSON object with an `_aws` metadata object holding
//!   exactly `Timestamp` (milliseconds since the Unix epoch) and
//!   `CloudWatchMetrics`, an array of MetricDirectives;
//! - a MetricDirective holds exactly `Namespace`, `Dimensions` (an array of
//!   DimensionSets, each an array of at most 9 dimension keys in the older
//!   text, 30 in the newer; "a DimensionSet MAY be empty") and `Metrics` (at
//!   most 100 MetricDefinitions of `Name` and `Unit`, a valid CloudWatch
//!   unit);
//! - every dimension key and metric name referenced is a member of the root
//!   node (a "target member"): a dimension's with a string value, a metric's
//!   with a number; other root members are allowed and are not metrics;
//! - "objects defined by this specification MUST NOT contain any additional
//!   members".
//!
//! Dimension values follow CloudWatch's `Dimension` rules
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html>):
//! ASCII only, at least one non-whitespace character, no control
//! characters, at most 1024 characters. A value that does not qualify is
//! left out (with its dimension) rather than making CloudWatch reject the
//! whole document.
//!
//! Every dimension is bounded, since each value makes a custom metric of its
//! own (the specification warns against high-cardinality dimensions):
//! `FunctionName` is the function's own name; `ErrorType` comes from the
//! closed set of the function's error types (a `&'static str`, never text
//! from an event); `JobName` is set only for a job that `ALLOWED_JOBS` names
//! exactly ([`InvocationMetrics::run_of`]): a pattern such as `etl-*`
//! allows any number of jobs, and a refused job's name is the caller's to
//! choose. A metric document never holds a token: none of its inputs can.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::job_pattern::JobPatterns;

/// The one CloudWatch namespace of every metric the function publishes.
pub const NAMESPACE: &str = "GlueCodeArtifact";

/// A CloudWatch unit (`MetricDatum`'s `Unit`) the metrics use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `Count`.
    Count,
    /// `Milliseconds`.
    Milliseconds,
}

impl Unit {
    /// The unit's CloudWatch name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// A dimension: the key of a target member on the document's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    /// The Lambda function (`AWS_LAMBDA_FUNCTION_NAME`): on every metric,
    /// so that two stacks in one account never mix.
    FunctionName,
    /// The Glue job, only for jobs `ALLOWED_JOBS` names exactly.
    JobName,
    /// The invocation's `errorType`.
    ErrorType,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 3] = [
        Dimension::FunctionName,
        Dimension::JobName,
        Dimension::ErrorType,
    ];

    /// The dimension's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::FunctionName => "FunctionName",
            Dimension::JobName => "JobName",
            Dimension::ErrorType => "ErrorType",
        }
    }
}

/// One metric the function publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Tokens CodeArtifact issued to the invocation
    /// (`GetAuthorizationToken`): a start's warm-cache miss, a refresh, a
    /// preflight.
    TokensMinted,
    /// Starts served a token from the warm cache (no CodeArtifact call).
    TokenCacheHits,
    /// Runs started (`StartJobRun` answered with a run ID); by `JobName`
    /// where `ALLOWED_JOBS` names the job.
    RunsStarted,
    /// Start events that started no run, by `ErrorType`: refused events
    /// (`JobNotAllowed`, `InvalidEvent`, …) and failed starts (`AccessDenied`,
    /// `Throttled`, …) alike.
    StartsRefused,
    /// The first round of a start: `GetJob` ∥ `GetRepositoryEndpoint` ∥
    /// `GetAuthorizationToken` (on a warm-cache hit, `GetJob` alone).
    ReadRoundLatency,
    /// The second round of a start: `StartJobRun` (its retries, and a lost
    /// answer's lookup, included).
    StartRoundLatency,
    /// Refresh events served.
    Refreshes,
    /// Refresh events that failed, by `ErrorType` (`RefreshIncomplete` when
    /// some jobs were refreshed and others not).
    RefreshFailures,
}

impl Metric {
    /// Every metric, in the order the docs list them.
    pub const ALL: [Metric; 8] = [
        Metric::TokensMinted,
        Metric::TokenCacheHits,
        Metric::RunsStarted,
        Metric::StartsRefused,
        Metric::ReadRoundLatency,
        Metric::StartRoundLatency,
        Metric::Refreshes,
        Metric::RefreshFailures,
    ];

    /// The metric's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Metric::TokensMinted => "TokensMinted",
            Metric::TokenCacheHits => "TokenCacheHits",
            Metric::RunsStarted => "RunsStarted",
            Metric::StartsRefused => "StartsRefused",
            Metric::ReadRoundLatency => "ReadRoundLatency",
            Metric::StartRoundLatency => "StartRoundLatency",
            Metric::Refreshes => "Refreshes",
            Metric::RefreshFailures => "RefreshFailures",
        }
    }

    /// The metric's unit.
    pub fn unit(self) -> Unit {
        match self {
            Metric::ReadRoundLatency | Metric::StartRoundLatency => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The dimension the metric is also broken down by (besides
    /// `FunctionName` alone), when the invocation has a value for it.
    pub fn breakdown(self) -> Option<Dimension> {
        match self {
            Metric::RunsStarted => Some(Dimension::JobName),
            Metric::StartsRefused | Metric::RefreshFailures => Some(Dimension::ErrorType),
            _ => None,
        }
    }
}

/// The longest dimension value CloudWatch accepts.
pub const MAX_DIMENSION_VALUE_LEN: usize = 1024;

/// `value` if CloudWatch accepts it as a dimension value.
pub fn dimension_value(value: &str) -> Option<&str> {
    let valid = !value.is_empty()
        && value.len() <= MAX_DIMENSION_VALUE_LEN
        && value.is_ascii()
        && !value.chars().any(|c| c.is_ascii_control())
        && !value.trim().is_empty();
    valid.then_some(value)
}

/// The metrics of one invocation, and the values of its dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct InvocationMetrics {
    function_name: Option<String>,
    job_name: Option<String>,
    error_type: Option<&'static str>,
    values: Vec<(Metric, f64)>,
}

impl InvocationMetrics {
    /// No metric yet, for the function named `function_name` (left out of
    /// the dimensions if it is not a valid dimension value).
    pub fn new(function_name: &str) -> Self {
        InvocationMetrics {
            function_name: dimension_value(function_name).map(str::to_owned),
            job_name: None,
            error_type: None,
            values: Vec::new(),
        }
    }

    /// Sets `metric` to a count (replacing an earlier value).
    pub fn count(&mut self, metric: Metric, n: u64) {
        // Counts of one invocation are small: exact in an f64.
        self.set(metric, n as f64);
    }

    /// Sets `metric` to a duration, in milliseconds (microsecond precision).
    pub fn duration(&mut self, metric: Metric, d: Duration) {
        self.set(metric, (d.as_micros() as f64) / 1000.0);
    }

    fn set(&mut self, metric: Metric, value: f64) {
        match self.values.iter_mut().find(|(m, _)| *m == metric) {
            Some(slot) => slot.1 = value,
            None => self.values.push((metric, value)),
        }
    }

    /// The value of `metric`, if set.
    pub fn value(&self, metric: Metric) -> Option<f64> {
        self.values
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, v)| *v)
    }

    /// The invocation concerns `job`: it becomes the `JobName` dimension
    /// only if `allowed` names it exactly (a pattern does not bound the
    /// names it matches) and it is a valid dimension value.
    pub fn run_of(&mut self, job: &str, allowed: &JobPatterns) {
        let exact = allowed
            .patterns()
            .iter()
            .any(|p| !p.is_wildcard() && p.as_str() == job);
        self.job_name = exact
            .then(|| dimension_value(job))
            .flatten()
            .map(str::to_owned);
    }

    /// The invocation failed with `error_type` (one of the function's
    /// closed set of error types).
    pub fn failed_with(&mut self, error_type: &'static str) {
        self.error_type = dimension_value(error_type);
    }

    fn dimension(&self, dimension: Dimension) -> Option<&str> {
        match dimension {
            Dimension::FunctionName => self.function_name.as_deref(),
            Dimension::JobName => self.job_name.as_deref(),
            Dimension::ErrorType => self.error_type,
        }
    }

    /// The EMF document, as the root node's members: `_aws` (with
    /// `timestamp_ms`, milliseconds since the Unix epoch), the dimension
    /// values and the metric values. The caller may add members of its own
    /// (`requestId`, …) that are neither a dimension nor a metric name.
    /// `None` when no metric is set.
    pub fn document(&self, timestamp_ms: u64) -> Option<Map<String, Value>> {
        if self.values.is_empty() {
            return None;
        }
        let base: Vec<&str> = self
            .function_name
            .as_ref()
            .map(|_| Dimension::FunctionName.name())
            .into_iter()
            .collect();
        // One directive per distinct list of dimension sets, in the order
        // metrics were set.
        let mut directives: Vec<(Vec<Vec<&str>>, Vec<Value>)> = Vec::new();
        let mut used = vec![Dimension::FunctionName];
        for (metric, _) in &self.values {
            let mut sets = vec![base.clone()];
            if let Some(by) = metric.breakdown().filter(|d| self.dimension(*d).is_some()) {
                let mut set = base.clone();
                set.push(by.name());
                sets.push(set);
                used.push(by);
            }
            let definition = json!({"Name": metric.name(), "Unit": metric.unit().as_str()});
            match directives.iter_mut().find(|(s, _)| *s == sets) {
                Some((_, metrics)) => metrics.push(definition),
                None => directives.push((sets, vec![definition])),
            }
        }
        let directives: Vec<Value> = directives
            .into_iter()
            .map(|(sets, metrics)| {
                json!({"Namespace": NAMESPACE, "Dimensions": sets, "Metrics": metrics})
            })
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
        );
        for dimension in Dimension::ALL {
            if let Some(value) = self
                .dimension(dimension)
                .filter(|_| used.contains(&dimension))
            {
                root.insert(dimension.name().into(), Value::from(value));
            }
        }
        for (metric, value) in &self.values {
            root.insert(metric.name().into(), json!(value));
        }
        Some(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &str) -> JobPatterns {
        list.parse().unwrap()
    }

    #[test]
    fn names_are_unique_and_never_collide_with_dimensions() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.extend(Dimension::ALL.iter().map(|d| d.name()));
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    #[test]
    fn a_started_run_of_a_listed_job_is_counted_by_job() {
        let mut m = InvocationMetrics::new("gca-start");
        m.run_of("nightly-etl", &allowed("nightly-etl,reports-*"));
        m.count(Metric::TokensMinted, 0);
        m.count(Metric::TokenCacheHits, 1);
        m.count(Metric::RunsStarted, 1);
        m.count(Metric::StartsRefused, 0);
        m.duration(Metric::ReadRoundLatency, Duration::from_micros(12_345));
        let doc = Value::Object(m.document(1_700_000_000_000).unwrap());
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_000u64,
                    "CloudWatchMetrics": [
                        {"Namespace": "GlueCodeArtifact", "Dimensions": [["FunctionName"]], "Metrics": [
                            {"Name": "TokensMinted", "Unit": "Count"},
                            {"Name": "TokenCacheHits", "Unit": "Count"},
                            {"Name": "StartsRefused", "Unit": "Count"},
                            {"Name": "ReadRoundLatency", "Unit": "Milliseconds"},
                        ]},
                        {"Namespace": "GlueCodeArtifact", "Dimensions": [["FunctionName"], ["FunctionName", "JobName"]], "Metrics": [
                            {"Name": "RunsStarted", "Unit": "Count"},
                        ]},
                    ]
                },
                "FunctionName": "gca-start",
                "JobName": "nightly-etl",
                "TokensMinted": 0.0,
                "TokenCacheHits": 1.0,
                "RunsStarted": 1.0,
                "StartsRefused": 0.0,
                "ReadRoundLatency": 12.345,
            })
        );
    }

    #[test]
    fn a_job_allowed_by_a_pattern_or_refused_is_no_dimension() {
        for (job, list) in [
            ("reports-daily", "nightly-etl,reports-*"),
            ("anything", "*"),
            ("other", "nightly-etl"),
            // Not ASCII: CloudWatch would refuse the dimension value.
            ("étl", "étl"),
        ] {
            let mut m = InvocationMetrics::new("f");
            m.run_of(job, &allowed(list));
            m.count(Metric::RunsStarted, 1);
            let doc = m.document(0).unwrap();
            assert!(!doc.contains_key("JobName"), "{job} in {list}: {doc:?}");
            assert_eq!(
                doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                json!([["FunctionName"]])
            );
        }
    }

    #[test]
    fn a_refusal_is_counted_by_error_type() {
        let mut m = InvocationMetrics::new("f");
        m.failed_with("JobNotAllowed");
        m.count(Metric::StartsRefused, 1);
        m.count(Metric::TokensMinted, 0);
        let doc = m.document(0).unwrap();
        assert_eq!(doc["ErrorType"], "JobNotAllowed");
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(
            directives[0]["Dimensions"],
            json!([["FunctionName"], ["FunctionName", "ErrorType"]])
        );
        assert_eq!(directives[0]["Metrics"][0]["Name"], "StartsRefused");
        assert_eq!(directives[1]["Dimensions"], json!([["FunctionName"]]));
    }

    #[test]
    fn no_valid_function_name_leaves_the_empty_dimension_set() {
        let mut m = InvocationMetrics::new("");
        m.count(Metric::Refreshes, 1);
        let doc = m.document(0).unwrap();
        assert!(!doc.contains_key("FunctionName"));
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(InvocationMetrics::new("f").document(0), None);
    }

    #[test]
    fn dimension_values_follow_cloudwatch() {
        assert_eq!(dimension_value("nightly-etl"), Some("nightly-etl"));
        for bad in ["", " ", "tab\there", "é", &"x".repeat(1025)] {
            assert_eq!(dimension_value(bad), None, "{bad:?}");
        }
    }
}
