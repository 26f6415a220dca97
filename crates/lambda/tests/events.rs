//! The documented example events (docs/events/*.json) are accepted by the
//! function's own event type; the schema side is checked by
//! crates/test-stack/python/tests/test_lambda_events.py.

use std::collections::BTreeMap;

use glue_codeartifact_app::refresh::JobSelector;
use glue_codeartifact_lambda::{RefreshEvent, Settings, StartEvent};
use test_stack::{command_with_env, repo_root};

fn permissive_settings() -> Settings {
    let env: BTreeMap<&str, &str> = [
        ("GLUE_CODEARTIFACT_DOMAIN", "acme"),
        ("GLUE_CODEARTIFACT_REPOSITORY", "py-internal"),
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", "*"),
        (
            "GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES",
            "duration,mode,--*",
        ),
        ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
    ]
    .into();
    Settings::from_lookup(|name| env.get(name).map(|v| (*v).to_owned())).unwrap()
}

#[test]
fn every_example_event_is_accepted() {
    let dir = repo_root().join("docs/events");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        if RefreshEvent::is_refresh(&value) {
            let request = RefreshEvent::from_json(value)
                .and_then(|event| event.validate(&permissive_settings()))
                .unwrap_or_else(|e| panic!("{} is refused: {e}", path.display()));
            assert_eq!(
                request.jobs,
                JobSelector::Tags([("team".to_owned(), "data".to_owned())].into()),
                "{}",
                path.display()
            );
        } else {
            let request = StartEvent::from_json(value)
                .and_then(|event| event.validate(&permissive_settings()))
                .unwrap_or_else(|e| panic!("{} is refused: {e}", path.display()));
            assert_eq!(request.job, "nightly-etl", "{}", path.display());
        }
        seen.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "eventbridge-rule",
            "manual",
            "scheduler",
            "scheduler-refresh",
            "step-functions"
        ],
        "one example per trigger kind"
    );
}

#[test]
fn the_template_schedule_sends_a_valid_event() {
    // deploy/template.yaml: Input: !Sub '{"job_name": "${ScheduleJob}"}'
    let template = std::fs::read_to_string(repo_root().join("deploy/template.yaml")).unwrap();
    let line = template
        .lines()
        .find(|l| l.trim_start().starts_with("Input: !Sub"))
        .expect("the schedule's Input");
    let input = line
        .split_once("!Sub '")
        .and_then(|(_, rest)| rest.strip_suffix('\''))
        .expect("a quoted !Sub")
        .replace("${ScheduleJob}", "nightly-etl");
    let value: serde_json::Value = serde_json::from_str(&input).unwrap();
    let request = StartEvent::from_json(value)
        .and_then(|e| e.validate(&permissive_settings()))
        .unwrap();
    assert_eq!(request.job, "nightly-etl");
}

/// The event deploy/template.yaml's refresh schedule sends for `params`
/// (deploy/policy_from_template.py evaluates the template); empty when the
/// template creates no refresh schedule.
fn refresh_schedule_input(params: &[&str]) -> String {
    let mut command = command_with_env(repo_root().join(".venv/bin/python"), &[]);
    command
        .arg(repo_root().join("deploy/policy_from_template.py"))
        .args(["--account", "123456789012", "--region", "us-east-1"])
        .args(["--schedule-input", "RefreshSchedule"]);
    for param in [
        "Domain=acme",
        "Repository=py-internal",
        "AllowedJobs=nightly-*",
        "GlueJobRoleArns=arn:aws:iam::123456789012:role/glue",
    ]
    .iter()
    .chain(params)
    {
        command.args(["--param", param]);
    }
    let out = command
        .current_dir(repo_root())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "policy_from_template.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_template_refresh_schedule_sends_a_valid_refresh_event() {
    let on = [
        "EnableRefresh=true",
        "RefreshScheduleExpression=rate(8 hours)",
    ];
    let cases: [(&str, JobSelector); 3] = [
        (
            "RefreshScheduleTag=team=data",
            JobSelector::Tags([("team".to_owned(), "data".to_owned())].into()),
        ),
        (
            "RefreshScheduleJobs=nightly-etl",
            JobSelector::Names(vec!["nightly-etl".into()]),
        ),
        (
            "RefreshScheduleJobs=nightly-etl,nightly-reports",
            JobSelector::Names(vec!["nightly-etl".into(), "nightly-reports".into()]),
        ),
    ];
    for (selection, expected) in cases {
        let input = refresh_schedule_input(&[on[0], on[1], selection]);
        let value: serde_json::Value = serde_json::from_str(&input)
            .unwrap_or_else(|e| panic!("{selection}: not JSON ({e}): {input}"));
        let request = RefreshEvent::from_json(value)
            .and_then(|e| e.validate(&permissive_settings()))
            .unwrap_or_else(|e| panic!("{selection}: {input} is refused: {e}"));
        assert_eq!(request.jobs, expected, "{selection}");
    }
    // No schedule unless both refresh and an expression are set.
    assert_eq!(
        refresh_schedule_input(&["RefreshScheduleTag=team=data"]),
        ""
    );
    assert_eq!(
        refresh_schedule_input(&["EnableRefresh=true", "RefreshScheduleTag=team=data"]),
        ""
    );
}
