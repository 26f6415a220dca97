//! The documented example events (docs/events/*.json) are accepted by the
//! function's own event type; the schema side is checked by
//! crates/test-stack/python/tests/test_lambda_events.py.

use std::collections::BTreeMap;

use glue_codeartifact_lambda::{Settings, StartEvent};
use test_stack::repo_root;

fn permissive_settings() -> Settings {
    let env: BTreeMap<&str, &str> = [
        ("GLUE_CODEARTIFACT_DOMAIN", "acme"),
        ("GLUE_CODEARTIFACT_REPOSITORY", "py-internal"),
        ("ALLOWED_JOBS", "*"),
        ("ALLOWED_EVENT_OVERRIDES", "duration,mode"),
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
        let request = StartEvent::from_json(value)
            .and_then(|event| event.validate(&permissive_settings()))
            .unwrap_or_else(|e| panic!("{} is refused: {e}", path.display()));
        assert_eq!(request.job, "nightly-etl", "{}", path.display());
        seen.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        ["eventbridge-rule", "manual", "scheduler", "step-functions"],
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
