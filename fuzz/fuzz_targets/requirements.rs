//! The `--additional-python-modules` splitter and PEP 508 requirement parser
//! that `doctor` and `start --preflight` use. pep508_rs 0.9 panics on some
//! inputs (a name or extra ending in `-`, `_` or `.`); a pre-check guards
//! against that. Property: no panic, for any value and both placements.
#![no_main]

use glue_codeartifact_domain::{preflight::modules::parse_modules, run_plan::IndexPlacement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &str| {
    for placement in [
        IndexPlacement::InstallerOption,
        IndexPlacement::InlineModules,
    ] {
        let _ = parse_modules(value, placement);
    }
});
