//! The Lambda event parser: any bytes, as the runtime would hand them over
//! (JSON first), through `StartEvent::from_json` and `validate` against a
//! deployment's settings.
//!
//! Properties: no panic; an accepted event gives a request for an allowed,
//! non-empty job whose argument keys all start with `--`; `Debug` of an
//! event never shows an argument value.
#![no_main]

use std::sync::OnceLock;

use glue_codeartifact_lambda::{Settings, StartEvent};
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
    let Ok(event) = StartEvent::from_json(value) else {
        return;
    };
    let shown = format!("{event:?}");
    for value in event.arguments.values() {
        if value.len() >= 8 && !event.arguments.keys().any(|k| k.contains(value.as_str())) {
            assert!(
                !shown.contains(value.as_str()),
                "Debug shows an argument value"
            );
        }
    }
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
