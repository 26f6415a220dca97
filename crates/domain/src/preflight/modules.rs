//! `--additional-python-modules`, split into what pip will be asked for.
//!
//! Glue documents the value as a comma-separated list of requirement
//! specifiers or S3 paths, and splits it on commas. So a specifier that has
//! a comma itself (`pkg>=1,<2`) reaches pip as two items, the second of
//! which (`<2`) is no requirement: that is reported here.
//!
//! - Spark jobs: each item is one PEP 508 requirement (spaces allowed), an
//!   S3 path, or (Glue 5.0+) an S3 `requirements.txt` or zip of wheels.
//! - Python shell jobs: each item may also carry pip options inline
//!   (`"scikit-learn==0.21.3 -i https://…/simple/"`). The item is split into
//!   words as a shell would; options and their values are dropped and each
//!   remaining word is one requirement.
//!
//! Requirements are parsed with `pep508_rs`, the parser uv uses.

use glue_codeartifact_python_env::pep508::parse_requirement;
use pep508_rs::{Requirement, VersionOrUrl};

use crate::job::IndexPlacement;
use crate::pip_options::wants_next_word;

/// One item of `--additional-python-modules`.
#[derive(Clone, Debug)]
pub enum ModuleItem {
    /// A requirement on a project name, which the index must serve.
    Requirement {
        /// The item as written.
        text: String,
        /// The parsed requirement.
        requirement: Box<Requirement>,
    },
    /// Something this check does not look into.
    NotChecked {
        /// The item as written.
        text: String,
        /// Why not.
        reason: NotChecked,
    },
    /// Not something pip would accept.
    Invalid {
        /// The item as written.
        text: String,
        /// What is wrong, in one line.
        reason: String,
        /// What to do.
        fix: String,
    },
}

/// Why an item is not checked against the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotChecked {
    /// An `s3://` path (a wheel, a zip of wheels, a requirements file).
    S3,
    /// A requirements file (`*.txt`).
    RequirementsFile,
    /// A direct URL or local path (`name @ https://…`, `./pkg.whl`).
    Url,
}

impl NotChecked {
    /// What was not checked, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            NotChecked::S3 => "an S3 path: Glue fetches it from S3, not from the index",
            NotChecked::RequirementsFile => {
                "a requirements file: its contents are not visible to glue-codeartifact"
            }
            NotChecked::Url => "a direct URL or path: pip fetches it without the index",
        }
    }
}

/// Splits `--additional-python-modules` into items.
pub fn parse_modules(value: &str, placement: IndexPlacement) -> Vec<ModuleItem> {
    let mut items = Vec::new();
    for raw in value.split(',') {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        match placement {
            IndexPlacement::InstallerOption => items.push(classify(item, false)),
            IndexPlacement::InlineModules => match shlex::split(item) {
                Some(words) => {
                    items.extend(
                        requirement_words(&words)
                            .into_iter()
                            .map(|w| classify(&w, true)),
                    );
                }
                None => items.push(ModuleItem::Invalid {
                    text: item.to_owned(),
                    reason: "it does not split into shell words (an unbalanced quote?)".into(),
                    fix: "balance the quotes in --additional-python-modules".into(),
                }),
            },
        }
    }
    items
}

/// The words of an inline item that are requirements: options and their
/// values dropped.
fn requirement_words(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if word.starts_with('-') && word != "-" {
            if wants_next_word(word) {
                i += 1;
            }
        } else {
            out.push(word.clone());
        }
    }
    out
}

/// One line of a requirements file, judged as one module item (not split
/// on commas: in a file, `pkg>=1,<2` is one requirement).
pub fn requirement_line(line: &str) -> ModuleItem {
    classify(line.trim(), false)
}

fn classify(item: &str, inline: bool) -> ModuleItem {
    let text = item.to_owned();
    let not_checked = |reason| ModuleItem::NotChecked {
        text: text.clone(),
        reason,
    };
    let lower = item.to_ascii_lowercase();
    if crate::s3_uri::S3Uri::has_scheme(item) {
        return not_checked(NotChecked::S3);
    }
    if lower.ends_with(".txt") {
        return not_checked(NotChecked::RequirementsFile);
    }
    if lower.contains("://")
        || item.starts_with(['.', '/', '~'])
        || [".whl", ".zip", ".tar.gz"]
            .iter()
            .any(|s| lower.ends_with(s))
    {
        return not_checked(NotChecked::Url);
    }
    if item.starts_with('-') {
        return ModuleItem::Invalid {
            text,
            reason: "a pip option, not a requirement".into(),
            fix: if inline {
                "check the pip options in --additional-python-modules".into()
            } else {
                "put pip options of Spark jobs in --python-modules-installer-option".into()
            },
        };
    }
    if item.contains('@') {
        // `name @ URL`: a direct reference, fetched without the index.
        return not_checked(NotChecked::Url);
    }
    match parse_requirement(item) {
        Ok(requirement) => {
            if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) {
                return not_checked(NotChecked::Url);
            }
            ModuleItem::Requirement {
                text,
                requirement: Box::new(requirement),
            }
        }
        Err(err) => {
            let mut reason = err.to_string();
            let fix = if item.starts_with(['<', '>', '=', '!', '~']) {
                reason.push_str(
                    "; Glue splits --additional-python-modules on commas, so `pkg>=1,<2` arrives as two items",
                );
                "give one bound (`pkg>=1`, `pkg~=1.4`, `pkg==1.*`), or list the requirements in a requirements file (Glue 5.0+)"
            } else {
                "write NAME, NAME==VERSION or another PEP 508 specifier"
            };
            ModuleItem::Invalid {
                text,
                reason,
                fix: fix.into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(value: &str, placement: IndexPlacement) -> Vec<String> {
        parse_modules(value, placement)
            .into_iter()
            .map(|item| match item {
                ModuleItem::Requirement { requirement, .. } => format!("req:{requirement}"),
                ModuleItem::NotChecked { text, reason } => format!("skip:{reason:?}:{text}"),
                ModuleItem::Invalid { text, .. } => format!("invalid:{text}"),
            })
            .collect()
    }

    const SPARK: IndexPlacement = IndexPlacement::InstallerOption;
    const SHELL: IndexPlacement = IndexPlacement::InlineModules;

    #[test]
    fn spark_items() {
        assert_eq!(
            kinds(
                "acme-tools==1.2.0, Pandas >= 2.0 ,boto3[crt]; python_version >= '3.8',,",
                SPARK
            ),
            [
                "req:acme-tools==1.2.0",
                "req:pandas>=2.0",
                "req:boto3[crt] ; python_full_version >= '3.8'",
            ]
        );
        assert_eq!(
            kinds(
                "s3://bucket/wheels/a-1.0-py3-none-any.whl,S3://b/requirements.txt,reqs.txt,https://h/a-1.0-py3-none-any.whl,acme @ https://h/acme.zip,./local.whl",
                SPARK
            ),
            [
                "skip:S3:s3://bucket/wheels/a-1.0-py3-none-any.whl",
                "skip:S3:S3://b/requirements.txt",
                "skip:RequirementsFile:reqs.txt",
                "skip:Url:https://h/a-1.0-py3-none-any.whl",
                "skip:Url:acme @ https://h/acme.zip",
                "skip:Url:./local.whl",
            ]
        );
    }

    #[test]
    fn a_comma_in_a_specifier_is_reported() {
        let items = parse_modules("pandas>=1.0,<2.0", SPARK);
        assert_eq!(items.len(), 2);
        let ModuleItem::Invalid { text, reason, fix } = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(text, "<2.0");
        assert!(
            reason.contains("splits --additional-python-modules on commas"),
            "{reason}"
        );
        assert!(fix.contains("one bound"), "{fix}");
        assert!(!reason.contains('\n'));
    }

    #[test]
    fn spark_items_with_options_are_invalid() {
        assert_eq!(kinds("--upgrade", SPARK), ["invalid:--upgrade"]);
        assert_eq!(kinds("not a valid ===", SPARK), ["invalid:not a valid ==="]);
    }

    #[test]
    fn python_shell_drops_inline_options() {
        assert_eq!(
            kinds(
                "scikit-learn==0.21.3 -i https://aws:T@h/simple/,acme --index-url=https://x/ --upgrade -Ui https://y/ other --extra-index-url https://z/ --no-deps",
                SHELL
            ),
            ["req:scikit-learn==0.21.3", "req:acme", "req:other"]
        );
        assert_eq!(kinds("a -ihttps://h/", SHELL), ["req:a"]);
        assert_eq!(kinds("a --ind https://h/ b", SHELL), ["req:a", "req:b"]);
        assert_eq!(kinds("'unbalanced", SHELL), ["invalid:'unbalanced"]);
    }

    #[test]
    fn names_pep508_rs_would_panic_on_are_invalid() {
        for item in [
            "a-==1",
            "a- ==1",
            "a_[x]",
            "a[x-]",
            "a[x-",
            "a[y, x.]==1",
            "a.;python_version>'3'",
        ] {
            for placement in [SPARK, SHELL] {
                let items = parse_modules(item, placement);
                assert!(
                    items
                        .iter()
                        .any(|i| matches!(i, ModuleItem::Invalid { .. })),
                    "{item}: {items:?}"
                );
            }
        }
        assert_eq!(kinds("a[x]==1", SPARK), ["req:a[x]==1"]);
    }

    proptest! {
        #[test]
        fn pep508_like_input_never_panics(value in "[a-zA-Z0-9 ._\\-\\[\\],;=<>!~'\"()@*+\\u{b}]{0,40}") {
            let _ = parse_modules(&value, SPARK);
            let _ = parse_modules(&value, SHELL);
        }

        #[test]
        fn never_panics(value in ".{0,120}") {
            let _ = parse_modules(&value, SPARK);
            let _ = parse_modules(&value, SHELL);
        }

        #[test]
        fn pinned_names_parse_to_their_normalized_name(
            names in proptest::collection::vec("[A-Za-z][A-Za-z0-9._-]{0,10}[A-Za-z0-9]", 1..5),
            version in "[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
        ) {
            let value = names.iter().map(|n| format!("{n}=={version}")).collect::<Vec<_>>().join(",");
            for placement in [SPARK, SHELL] {
                let items = parse_modules(&value, placement);
                prop_assert_eq!(items.len(), names.len());
                for (item, name) in items.iter().zip(&names) {
                    let ModuleItem::Requirement { requirement, .. } = item else {
                        return Err(TestCaseError::fail(format!("{item:?}")));
                    };
                    // PEP 503, written out as the test's own oracle.
                    let mut expected = String::new();
                    for c in name.chars() {
                        if matches!(c, '-' | '_' | '.') {
                            if !expected.ends_with('-') {
                                expected.push('-');
                            }
                        } else {
                            expected.push(c.to_ascii_lowercase());
                        }
                    }
                    prop_assert_eq!(requirement.name.as_ref(), expected);
                }
            }
        }
    }
}
