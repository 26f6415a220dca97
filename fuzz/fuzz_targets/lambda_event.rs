//! The Lambda event parser: any bytes, as the runtime would hand them over
//! (JSON first), through `StartEvent::from_json` and `validate` against a
//! deployment's settings, or, for a refresh event (`{"refresh": …}`), through
//! `RefreshEvent::from_json` and `validate`.
//!
//! Properties: no panic; an accepted event gives a request for an allowed,
//! non-empty job whose argument keys all start with `--`; `Debug` of an
//! event does not depend on its argument values. An accepted refresh event names
//! only allowed, non-empty jobs (1 to 50) or 1 to 50 tags, keeps the
//! allowlist for the jobs its tags select, and has a token of known life.
#![no_main]

use std::sync::OnceLock;

use glue_codeartifact_app::refresh::JobSelector;
use glue_codeartifact_lambda::{RefreshEvent, Settings, StartEvent};
use libfuzzer_sys::fuzz_target;

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        Settings::from_lookup(|name| {
            match name {
                "GLUE_CODEARTIFACT_DOMAIN" => Some("acme"),
                "GLUE_CODEARTIFACT_REPOSITORY" => Some("py-internal"),
                "ALLOWED_JOBS" => Some("nightly-*,adhoc,a?c"),
                "ALLOWED_EVENT_OVERRIDES" => Some("duration,mode"),
                "REFRESH_ENABLED" => Some("true"),
                _ => None,
            }
            .map(str::to_owned)
        })
        .expect("valid settings")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if RefreshEvent::is_refresh(&value) {
        return refresh(value);
    }
    let Ok(event) = StartEvent::from_json(value) else {
        return;
    };
    // Debug must not depend on the argument values at all (comparing
    // outputs, not searching for a value, which may be part of the job
    // name, a key or a field name).
    let mut blank = event.clone();
    blank.arguments.values_mut().for_each(String::clear);
    assert_eq!(
        format!("{event:?}"),
        format!("{blank:?}"),
        "Debug shows argument values"
    );
    let Ok(request) = event.validate(settings()) else {
        return;
    };
    assert!(!request.job.is_empty());
    assert!(settings().allowed_jobs.allows(&request.job));
    assert!(
        request
            .arguments
            .iter()
            .all(|a| a.key.starts_with("--") && a.key.len() > 2)
    );
});

fn refresh(value: serde_json::Value) {
    let Ok(request) = RefreshEvent::from_json(value).and_then(|e| e.validate(settings())) else {
        return;
    };
    match &request.jobs {
        JobSelector::Names(names) => {
            assert!((1..=50).contains(&names.len()));
            for name in names {
                assert!(!name.is_empty() && name.trim() == name);
                assert!(
                    settings().allowed_jobs.allows(name),
                    "{name:?} is not allowed"
                );
            }
        }
        JobSelector::Tags(tags) => assert!((1..=50).contains(&tags.len())),
    }
    assert_eq!(
        request.allowed.as_ref().map(ToString::to_string),
        Some(settings().allowed_jobs.to_string())
    );
    assert!(!request.duration.is_caller_credentials());
    assert!(!request.dry_run);
}
