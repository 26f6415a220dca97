//! The installer-option merge (Spark `--python-modules-installer-option`)
//! and the inline merge (Python shell `--additional-python-modules`), on any
//! existing value.
//!
//! Properties, for any input:
//! - no panic;
//! - a merge succeeds or fails the same way whatever the token is, and its
//!   redacted rendering (what may be printed) does not depend on the token;
//! - the merged value ends with our option, splits into shell words, and
//!   merging it again gives the same value (idempotence);
//! - merging it again with a new token leaves no trace of the old one.
#![no_main]

use arbitrary::Arbitrary;
use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat},
    installer_option::{IndexMode, Merged, merge_inline_modules, merge_installer_option},
    secret::AuthToken,
};
use libfuzzer_sys::fuzz_target;

const ENDPOINT: &str = "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/";

#[derive(Debug, Arbitrary)]
struct Input {
    existing: String,
    extra_index: bool,
    inline: bool,
}

fn index(token: &str) -> IndexUrl {
    IndexUrl::build(ENDPOINT, &AuthToken::new(token), PackageFormat::Pypi)
        .expect("a valid endpoint")
}

fn merge(existing: &str, mode: IndexMode, inline: bool, index: &IndexUrl) -> Option<Merged> {
    if inline {
        merge_inline_modules(existing, mode, index).ok()
    } else {
        merge_installer_option(existing, mode, index).ok()
    }
}

fuzz_target!(|input: Input| {
    let mode = if input.extra_index {
        IndexMode::ExtraIndexUrl
    } else {
        IndexMode::IndexUrl
    };
    // Two tokens that appear nowhere else: neither is a substring of the
    // other, of the endpoint or of an option name.
    let first = index("FIRSTtokenQ7");
    let second = index("SECONDtokenZ9");
    let once = merge(&input.existing, mode, input.inline, &first);
    let other = merge(&input.existing, mode, input.inline, &second);
    let (once, other) = match (once, other) {
        (None, None) => return,
        (Some(a), Some(b)) => (a, b),
        _ => panic!("the merge outcome depends on the token"),
    };
    assert_eq!(
        once.value.redacted(),
        other.value.redacted(),
        "redaction depends on the token"
    );
    assert_eq!(once.replaced, other.replaced);
    if !input.existing.contains("FIRSTtokenQ7") {
        assert!(!once.value.redacted().contains("FIRSTtokenQ7"));
        assert!(once.replaced.iter().all(|r| !r.contains("FIRSTtokenQ7")));
    }
    let exposed = once.value.expose_secret();
    let ours = format!("{}={}", mode.option(), first.expose_secret());
    assert!(
        exposed.ends_with(&ours),
        "{exposed:?} does not end with our option"
    );
    assert!(
        shlex::split(exposed).is_some(),
        "{exposed:?} does not split"
    );

    let twice = merge(exposed, mode, input.inline, &first).expect("a merged value merges again");
    assert_eq!(
        twice.value.expose_secret(),
        exposed,
        "the merge is not idempotent"
    );

    let renewed = merge(exposed, mode, input.inline, &second).expect("a merged value merges again");
    if !input.existing.contains("FIRSTtokenQ7") {
        assert!(
            !renewed.value.expose_secret().contains("FIRSTtokenQ7"),
            "the old token survives a renewal: {:?}",
            renewed.value.expose_secret()
        );
    }
});
