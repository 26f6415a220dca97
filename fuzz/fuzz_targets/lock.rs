//! The PEP 751 lock reader (`wheelhouse --lock`, `doctor` on a bound job):
//! a lock file is user input, and may be hand-edited or hostile. Property:
//! no panic, for any text; a lock that reads also orders its packages and
//! writes back, and what it writes reads again.
#![no_main]

use glue_codeartifact_python_env::lock::{Lock, pinned_versions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = pinned_versions(text);
    if let Ok(lock) = Lock::parse(text) {
        let _ = lock.dependency_order();
        let written = lock.to_toml();
        assert!(
            Lock::parse(&written).is_ok(),
            "a lock we wrote does not read again:\n{written}"
        );
    }
});
