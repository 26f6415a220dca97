//! The requirements-file parser (python-env::requirements: `lock
//! --requirements`, and doctor on Glue 5.0's S3 requirements file). The
//! `requirements` target covers the `--additional-python-modules` splitter;
//! this one the file. Property: no panic, for any text.
#![no_main]

use glue_codeartifact_python_env::requirements::parse_requirements_txt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = parse_requirements_txt(text);
});
