//! Inputs that `cargo fuzz` found to break a property, kept as plain tests
//! so that every `cargo test` replays them (see `fuzz/` and CONTRIBUTING.md,
//! "Faults, bad inputs, fuzzing").

use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat},
    installer_option::{
        IndexMode, InstallerOptionError, merge_inline_modules, merge_installer_option,
    },
    job::IndexPlacement,
    preflight::modules::{ModuleItem, parse_modules},
    secret::AuthToken,
};

fn index() -> IndexUrl {
    IndexUrl::build(
        "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/",
        &AuthToken::new("TOKEN"),
        PackageFormat::Pypi,
    )
    .unwrap()
}

/// fuzz/installer_option: a NUL byte cannot be quoted back by the merge,
/// so `\u{7}\0\\` came out as a bare `\` that swallowed the space before
/// our option, and a second merge gave another value. A value with NUL is
/// now refused like an unbalanced quote.
#[test]
fn installer_option_with_a_nul_byte_is_refused() {
    for mode in [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl] {
        for existing in ["\u{7}\0\\\\", "--upgrade \0", "a\0b"] {
            assert_eq!(
                merge_installer_option(existing, mode, &index()).unwrap_err(),
                InstallerOptionError::Unparsable,
                "{existing:?}"
            );
            assert_eq!(
                merge_inline_modules(existing, mode, &index()).unwrap_err(),
                InstallerOptionError::Unparsable,
                "{existing:?}"
            );
        }
    }
}

/// fuzz/installer_option: `-si` in extra-index-url mode kept `-i` without
/// its value, so pip would have read our `--extra-index-url=…` as `-i`'s
/// value (and a second merge added ours again). Options that end with a
/// value-taking option without its value are now refused.
#[test]
fn installer_option_ending_with_a_dangling_option_is_refused() {
    for (existing, dangling) in [
        ("-si", "-si"),
        ("--find-links", "--find-links"),
        ("--upgrade --ext", "--ext"),
    ] {
        let err = merge_installer_option(existing, IndexMode::ExtraIndexUrl, &index()).unwrap_err();
        assert_eq!(
            err,
            InstallerOptionError::DanglingOption(dangling.into()),
            "{existing}"
        );
        assert!(err.to_string().contains("takes a value"), "{err}");
    }
    // A trailing -r is Glue 5.0's requirements-file pattern (its value is
    // the S3 file of --additional-python-modules): ours goes before it, so
    // pip never reads our URL as -r's value.
    let merged = merge_installer_option("--upgrade -r", IndexMode::ExtraIndexUrl, &index())
        .expect("a trailing -r merges");
    let value = merged.value.to_string();
    assert!(value.starts_with("--upgrade --extra-index-url="), "{value}");
    assert!(value.ends_with(" -r"), "{value}");
    // In index-url mode a dangling -i is ours to replace; values inline or
    // next are fine.
    for existing in [
        "-si",
        "--upgrade -i",
        "-r reqs.txt",
        "--find-links=/w",
        "-Ui x",
    ] {
        merge_installer_option(existing, IndexMode::IndexUrl, &index()).expect(existing);
    }
    let err = merge_inline_modules("acme==1 -r", IndexMode::IndexUrl, &index()).unwrap_err();
    assert_eq!(err, InstallerOptionError::DanglingOption("-r".into()));
}

/// fuzz/index_url: `http://,/` was a valid URL with a comma in its host;
/// the index URL would have split a comma-separated Glue argument. So are
/// characters that need quoting in pip's options.
#[test]
fn endpoints_with_characters_that_split_or_need_quoting_are_refused() {
    for endpoint in [
        "http://,/",
        "http://h/pypi/a,b/",
        "http://h/pypi/a'b/",
        "http://h/pypi/a$b/",
        "http://a;b/pypi/r/",
        "http://h/pypi/r(1)/",
    ] {
        let err = IndexUrl::build(endpoint, &AuthToken::new("t"), PackageFormat::Pypi)
            .expect_err(endpoint)
            .to_string();
        assert!(
            err.contains("comma-separated Glue argument"),
            "{endpoint}: {err}"
        );
    }
    // What CodeArtifact returns (and the VPC and loopback forms) still works.
    for endpoint in [
        "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/",
        "https://vpce-0123-abcd.codeartifact.us-east-1.vpce.amazonaws.com/pypi/r/",
        "http://127.0.0.1:4566/acme-123456789012/pypi/r/",
        "http://[::1]:4566/acme-123456789012/pypi/r/",
    ] {
        let url = IndexUrl::build(endpoint, &AuthToken::new("a+b/c="), PackageFormat::Pypi)
            .expect(endpoint);
        assert_eq!(
            shlex::split(url.expose_secret()),
            Some(vec![url.expose_secret().to_owned()])
        );
    }
}

/// fuzz/requirements (and proptest before it): pep508_rs 0.9 panics on a
/// name or extra that ends in `-`, `_` or `.` followed by more text; the
/// pre-check must catch every such form. And (found by fuzzing) after a
/// whole marker it measures the next word in characters and slices it in
/// bytes: `0;"">"">\0\u{b51}`, `a; python_version > '3' é`. A non-ASCII
/// marker is now refused.
#[test]
fn requirement_parser_inputs_that_once_panicked() {
    for value in [
        "''a-\u{b}¡",
        "acme-==1",
        "acme[x-]",
        "a_ >1",
        "a. [b]",
        "x[y.]==1",
        "0;\"\">\"\">\0\u{b51}",
        "a; python_version > '3' é",
        "a; python_version > '3' >é x",
        "a; python_version > '3' andé",
    ] {
        for placement in [
            IndexPlacement::InstallerOption,
            IndexPlacement::InlineModules,
        ] {
            let _ = parse_modules(value, placement);
        }
    }
    let items = parse_modules("a; python_version > '3' é", IndexPlacement::InstallerOption);
    assert!(
        matches!(&items[..], [ModuleItem::Invalid { reason, .. }] if reason.contains("markers are ASCII")),
        "{items:?}"
    );
}
