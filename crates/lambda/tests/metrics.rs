//! The function's metrics (CloudWatch Embedded Metric Format lines), read
//! from the real `bootstrap`'s log under cargo-lambda's Runtime API, checked
//! against the EMF specification's rules and counted after a known sequence
//! of invocations; and the template's alarms against the code's names.

use std::collections::BTreeMap;

use glue_codeartifact_domain::metrics::{Dimension, Metric, NAMESPACE};
use serde_json::{Value, json};
use test_stack::{command_with_env, repo_root};

use crate::util::{Lambda, Stack};

/// The CloudWatch units of `MetricDatum` (the specification: "Values SHOULD
/// be valid CloudWatch metric units").
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

fn only_keys(object: &Value, allowed: &[&str], what: &str) {
    let object = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object"));
    for key in object.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what} has the member {key:?}, which the specification does not define"
        );
    }
}

/// One metric of a line: its name, value and resolved dimension sets.
type Extracted = (String, f64, Vec<Vec<String>>);
/// One EMF line, parsed, and its metrics.
type EmfLine = (Value, Vec<Extracted>);

/// Checks one EMF document against the specification
/// (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
/// written from its text rather than from the code under test. Returns each
/// metric's value with its dimension sets, resolved (`name=value` pairs).
#[track_caller]
fn check_emf(line: &str) -> Vec<Extracted> {
    assert!(
        line.len() < 256 * 1024,
        "larger than a CloudWatch Logs event"
    );
    // "The LogEvent message MUST be a valid JSON object with no additional
    // data at the beginning or end".
    let root: Value = serde_json::from_str(line).expect("a JSON object, alone on its line");
    let aws = &root["_aws"];
    only_keys(aws, &["Timestamp", "CloudWatchMetrics"], "_aws");
    let timestamp = aws["Timestamp"].as_u64().expect("Timestamp: an integer");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        timestamp <= now && now - timestamp < 600_000,
        "Timestamp is milliseconds since the epoch, of now: {timestamp}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics: an array");
    assert!(!directives.is_empty());
    let mut out = Vec::new();
    for directive in directives {
        only_keys(
            directive,
            &["Namespace", "Dimensions", "Metrics"],
            "a MetricDirective",
        );
        let namespace = directive["Namespace"].as_str().expect("Namespace");
        assert!((1..=255).contains(&namespace.len()));
        assert_eq!(namespace, NAMESPACE, "one namespace");
        let sets = directive["Dimensions"]
            .as_array()
            .expect("Dimensions: an array of DimensionSets");
        assert!(!sets.is_empty(), "at least one DimensionSet");
        let mut resolved_sets = Vec::new();
        for set in sets {
            let set = set.as_array().expect("a DimensionSet is an array");
            assert!(set.len() <= 9, "at most 9 dimensions (the older limit)");
            let mut resolved = Vec::new();
            for key in set {
                let key = key.as_str().expect("a dimension key is a string");
                let value = root[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("dimension {key}: no string target member"));
                assert!(
                    !value.is_empty()
                        && value.len() <= 1024
                        && value.is_ascii()
                        && !value.trim().is_empty(),
                    "{key}={value:?} is no CloudWatch dimension value"
                );
                resolved.push(format!("{key}={value}"));
            }
            resolved_sets.push(resolved);
        }
        let metrics = directive["Metrics"].as_array().expect("Metrics: an array");
        assert!(!metrics.is_empty() && metrics.len() <= 100);
        for definition in metrics {
            only_keys(
                definition,
                &["Name", "Unit", "StorageResolution"],
                "a MetricDefinition",
            );
            let name = definition["Name"].as_str().expect("Name");
            let unit = definition["Unit"].as_str().unwrap_or("None");
            assert!(UNITS.contains(&unit), "{unit} is no CloudWatch unit");
            let value = root[name]
                .as_f64()
                .unwrap_or_else(|| panic!("metric {name}: no numeric target member"));
            out.push((name.to_owned(), value, resolved_sets.clone()));
        }
    }
    out
}

/// Every EMF line of the function's log, checked.
fn emf_lines(lambda: &Lambda) -> Vec<EmfLine> {
    lambda
        .function_log()
        .lines()
        .filter(|l| l.contains("\"_aws\""))
        .map(|l| (serde_json::from_str(l).unwrap(), check_emf(l)))
        .collect()
}

/// The sum of `metric` over the lines, per resolved dimension set.
fn sums(lines: &[EmfLine], metric: Metric) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for (_, metrics) in lines {
        for (name, value, sets) in metrics {
            if name == metric.name() {
                for set in sets {
                    *sums.entry(set.join(",")).or_insert(0.0) += value;
                }
            }
        }
    }
    sums
}

#[test]
fn each_invocation_emits_one_emf_line_with_the_expected_counts() {
    let stack = Stack::new();
    let listed = stack.spark_job("mx-listed");
    let matched = stack.spark_job("mx-pat");
    let outside = stack.spark_job("mx-outside");
    let allowed = format!("{listed},mx-pat-*");
    let env = stack.settings_env(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &allowed),
        ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
    ]);
    let lambda = Lambda::start(&stack, &env);

    // cold, warm, warm by a pattern, refused, a refresh, a failed refresh.
    assert_eq!(
        lambda.invoke(&json!({"job_name": listed})).ok()["token_cached"],
        false
    );
    assert_eq!(
        lambda.invoke(&json!({"job_name": listed})).ok()["token_cached"],
        true
    );
    lambda.invoke(&json!({"job_name": matched})).ok();
    lambda
        .invoke(&json!({"job_name": outside}))
        .error("JobNotAllowed");
    lambda
        .invoke(&json!({"refresh": {"job_names": [listed]}}))
        .ok();
    let missing = test_stack::unique_name("mx-pat-missing");
    lambda
        .invoke(&json!({"refresh": {"job_names": [listed, missing]}}))
        .error("RefreshIncomplete");

    stack.assert_no_token(&lambda.function_log(), "the function's logs");
    let lines = emf_lines(&lambda);
    assert_eq!(lines.len(), 6, "one EMF line per invocation");
    for (line, _) in &lines {
        assert!(line["requestId"].is_string(), "{line}");
        assert_eq!(line["FunctionName"], "_", "{line}");
    }

    let f = "FunctionName=_";
    let expect = |metric: Metric, expected: &[(&str, f64)]| {
        let expected: BTreeMap<String, f64> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), *v))
            .collect();
        assert_eq!(sums(&lines, metric), expected, "{}", metric.name());
    };
    expect(
        Metric::RunsStarted,
        &[(f, 3.0), (&format!("{f},JobName={listed}"), 2.0)],
    );
    expect(
        Metric::StartsRefused,
        &[(f, 1.0), (&format!("{f},ErrorType=JobNotAllowed"), 1.0)],
    );
    // One mint for the starts (cold), one per refresh; CodeArtifact agrees.
    expect(Metric::TokensMinted, &[(f, 3.0)]);
    assert_eq!(stack.emulator.stats().get_authorization_token, 3);
    expect(Metric::TokenCacheHits, &[(f, 2.0)]);
    expect(Metric::Refreshes, &[(f, 2.0)]);
    expect(
        Metric::RefreshFailures,
        &[(f, 1.0), (&format!("{f},ErrorType=RefreshIncomplete"), 1.0)],
    );
    // Each started run has the latency of both rounds; a refusal has none.
    for (line, metrics) in &lines {
        let started = line["RunsStarted"] == 1.0;
        for metric in [Metric::ReadRoundLatency, Metric::StartRoundLatency] {
            let value = metrics
                .iter()
                .find(|(n, ..)| n == metric.name())
                .map(|(_, v, _)| *v);
            if started {
                assert!(value.is_some_and(|v| v > 0.0), "{line}");
            } else {
                assert_eq!(value, None, "{line}");
            }
        }
    }
    // The job's name is a dimension only where ALLOWED_JOBS names it.
    let log = lambda.function_log();
    for line in log.lines().filter(|l| l.contains("\"_aws\"")) {
        assert!(
            !line.contains(&matched) && !line.contains(&outside) && !line.contains(&missing),
            "{line}"
        );
    }
}

#[test]
fn metrics_are_written_whatever_the_log_level() {
    let stack = Stack::new();
    let job = stack.spark_job("mx-quiet");
    let env = stack.settings_env(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
    ]);
    let lambda = Lambda::start(&stack, &env);
    lambda.invoke(&json!({"job_name": job})).ok();
    let lines = lambda.log_lines();
    assert!(
        !lines.iter().any(|l| l["message"] == "job run started"),
        "INFO lines are filtered"
    );
    let warned = lines
        .iter()
        .find(|l| l["log_level"] == "WARN")
        .unwrap_or_else(|| panic!("no warning about the metrics: {lines:#?}"));
    assert!(
        warned["message"]
            .as_str()
            .unwrap()
            .contains("drops INFO lines, and with them the metric lines"),
        "{warned}"
    );
    let emf = emf_lines(&lambda);
    assert_eq!(emf.len(), 1);
    assert_eq!(emf[0].0["RunsStarted"], 1.0);
}

/// The alarms of deploy/template.yaml, read with cfn-lint's decoder.
fn template_alarms() -> BTreeMap<String, Value> {
    let script = "import json, sys\nfrom cfnlint.decode import decode\n\
        t, m = decode(sys.argv[1])\nassert t is not None, m\n\
        print(json.dumps({k: v['Properties'] for k, v in t['Resources'].items() \
        if v['Type'] == 'AWS::CloudWatch::Alarm'}))";
    let out = command_with_env(repo_root().join(".venv/bin/python"), &[])
        .args(["-c", script])
        .arg(repo_root().join("deploy/template.yaml"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_template_alarms_on_the_metrics_the_code_emits() {
    let alarms = template_alarms();
    let ours: Vec<(&String, &Value)> = alarms
        .iter()
        .filter(|(_, p)| p["Namespace"] != "AWS/Lambda")
        .collect();
    let mut alarmed = Vec::new();
    for (name, properties) in &ours {
        assert_eq!(properties["Namespace"], NAMESPACE, "{name}");
        let metric = properties["MetricName"].as_str().unwrap();
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.name() == metric)
            .unwrap_or_else(|| panic!("{name}: the code emits no metric {metric}"));
        // The alarm's dimensions must be a set the code publishes the metric
        // under: FunctionName alone.
        let dimensions: Vec<&str> = properties["Dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].as_str().unwrap())
            .collect();
        assert_eq!(dimensions, [Dimension::FunctionName.name()], "{name}");
        assert_eq!(properties["Statistic"], "Sum", "{name}");
        assert_eq!(properties["Threshold"], 0, "{name}: above zero");
        assert_eq!(
            properties["ComparisonOperator"], "GreaterThanThreshold",
            "{name}"
        );
        assert_eq!(properties["TreatMissingData"], "notBreaching", "{name}");
        alarmed.push(metric);
    }
    alarmed.sort();
    assert_eq!(alarmed, [Metric::StartsRefused, Metric::RefreshFailures]);
}

#[test]
fn the_metrics_doc_lists_every_metric_with_its_unit() {
    let doc = std::fs::read_to_string(repo_root().join("docs/lambda/metrics.md")).unwrap();
    assert!(doc.contains(&format!("Namespace: **`{NAMESPACE}`**")));
    let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
    for metric in Metric::ALL {
        let row = format!("| `{}` | {} |", metric.name(), metric.unit().as_str());
        assert!(
            rows.iter().any(|r| r.starts_with(&row)),
            "docs/lambda/metrics.md has no row {row}"
        );
    }
}

#[test]
fn metrics_can_be_turned_off() {
    let stack = Stack::new();
    let job = stack.spark_job("mx-off");
    let env = stack.settings_env(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_METRICS", "false"),
    ]);
    let lambda = Lambda::start(&stack, &env);
    lambda.invoke(&json!({"job_name": job})).ok();
    lambda
        .invoke(&json!({"job_name": "other"}))
        .error("JobNotAllowed");
    let lines = lambda.log_lines();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"] == "cold start")
            .count(),
        1
    );
    assert_eq!(lines[0]["metrics"], false, "{lines:#?}");
    assert!(emf_lines(&lambda).is_empty());
}
