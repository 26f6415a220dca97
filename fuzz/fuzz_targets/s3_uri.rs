//! The S3 URI parser (`wheelhouse --prefix`, `--additional-python-modules
//! s3://…`, a bound job's wheel locations read back from Glue). Property: no
//! panic, for any text, in every form; a parsed URI prints as one that
//! parses to the same bucket and key.
#![no_main]

use glue_codeartifact_domain::s3_uri::S3Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = S3Uri::parse_prefix(text);
    let _ = S3Uri::parse_object(text);
    if let Ok(uri) = S3Uri::parse(text) {
        let _ = uri.file_name();
        let _ = uri.root().join(text);
        let again = S3Uri::parse(&uri.to_string());
        assert!(
            again
                .as_ref()
                .is_ok_and(|a| a.bucket() == uri.bucket() && a.key() == uri.key()),
            "{uri} does not parse back: {again:?}"
        );
    }
});
