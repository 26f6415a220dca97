//! Where the index option is merged into pip options.
//!
//! Glue passes `--python-modules-installer-option` to pip ("options as you
//! would in the command line, separated by spaces"). A run's value replaces
//! the job's whole value, so the index option is merged into the options
//! already there: the value is split the way a shell splits words, stale
//! index options are removed, every other option is kept, and ours is added
//! last. pip stores `--index-url` with optparse's "store" action, so the last
//! one wins even where an abbreviation we did not recognise survives.
//!
//! Python shell jobs do not support the installer option; there the pip
//! options sit inline in `--additional-python-modules`
//! (`"scikit-learn==0.21.3 -i https://…/simple/"`), which
//! [`merge_inline_modules`] handles.

use url::Url;

use crate::index_url::{IndexUrl, same_index};
use crate::pip_options::{
    IndexOption, index_option, is_requirement_option, short_index_value, wants_next_word,
};
use crate::secret::{SecretText, redact_word};

/// How the CodeArtifact index is given to pip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IndexMode {
    /// `--index-url`: CodeArtifact is the only index (it can proxy PyPI
    /// through an upstream). Any other `--index-url` is replaced.
    #[default]
    IndexUrl,
    /// `--extra-index-url`: CodeArtifact is searched besides the primary
    /// index, which is kept.
    ExtraIndexUrl,
}

impl IndexMode {
    /// The pip option this mode adds.
    pub fn option(self) -> &'static str {
        match self {
            IndexMode::IndexUrl => "--index-url",
            IndexMode::ExtraIndexUrl => "--extra-index-url",
        }
    }

    /// The mode's name on the command line and in events (`index-url`,
    /// `extra-index-url`).
    pub fn as_str(self) -> &'static str {
        &self.option()[2..]
    }
}

/// Why pip options could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallerOptionError {
    /// The value does not split into words (an unbalanced quote), or holds
    /// a NUL character, which no command line can carry (and no quoting can
    /// keep, so a merge could not give it back unchanged).
    #[error("it does not split into shell words (an unbalanced quote, or a NUL character?)")]
    Unparsable,
    /// The options hold `--no-index`, so pip would ignore every index.
    #[error("it holds `--no-index`, so pip would ignore the CodeArtifact index")]
    NoIndex,
    /// The options end with an option that takes a value and has none
    /// (`-r`, `--find-links`): pip would read the index option added after
    /// it as that option's value.
    #[error(
        "it ends with `{0}`, which takes a value and has none, so pip would read the index option added after it as {0}'s value"
    )]
    DanglingOption(String),
}

/// The outcome of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new value, with the token (redacted when formatted).
    pub value: SecretText,
    /// Index options of ours or of another index that were removed,
    /// redacted. Reported so that a user sees what changed.
    pub replaced: Vec<String>,
}

/// Merges the index option into pip installer options (Spark jobs).
pub fn merge_installer_option(
    existing: &str,
    mode: IndexMode,
    index: &IndexUrl,
) -> Result<Merged, InstallerOptionError> {
    let words = split_words(existing)?;
    let stripped = strip_index_options(&words, mode, index.without_credentials());
    if stripped.no_index {
        return Err(InstallerOptionError::NoIndex);
    }
    // Glue 5.0's requirements-file pattern: `-r` as the last option, whose
    // value is the S3 requirements file Glue gives pip from
    // `--additional-python-modules` (Glue guide, "Using Python libraries
    // with AWS Glue": requirements.txt for Glue 5.0 and later). Ours goes
    // before it, so `-r` stays last and next to the file.
    let mut kept = stripped.kept;
    let trailing = match kept.last() {
        Some(last) if is_requirement_option(last) => kept.pop(),
        _ => None,
    };
    refuse_dangling(&kept)?;
    let mut merged = append_ours(
        (join(&kept), join_redacted(&kept)),
        mode,
        index,
        stripped.removed,
    );
    if let Some(option) = trailing {
        merged.value = SecretText::new(
            format!("{} {option}", merged.value.expose_secret()),
            format!("{} {option}", merged.value.redacted()),
        );
    }
    Ok(merged)
}

/// Merges the index option inline into a Python shell job's
/// `--additional-python-modules` (comma-separated items, each of which may
/// carry pip options). Our option is added to the last item.
pub fn merge_inline_modules(
    existing: &str,
    mode: IndexMode,
    index: &IndexUrl,
) -> Result<Merged, InstallerOptionError> {
    let mut items = Vec::new();
    let mut removed = Vec::new();
    for item in existing.split(',') {
        let words = split_words(item)?;
        let stripped = strip_index_options(&words, mode, index.without_credentials());
        if stripped.no_index {
            return Err(InstallerOptionError::NoIndex);
        }
        removed.extend(stripped.removed);
        if !stripped.kept.is_empty() {
            items.push(stripped.kept);
        }
    }
    if let Some(last) = items.last() {
        refuse_dangling(last)?;
    }
    let kept = (
        items.iter().map(|w| join(w)).collect::<Vec<_>>().join(","),
        items
            .iter()
            .map(|w| join_redacted(w))
            .collect::<Vec<_>>()
            .join(","),
    );
    Ok(append_ours(kept, mode, index, removed))
}

/// `KEPT --index-url=URL` (or `--extra-index-url=`), in both renderings:
/// with the token, and with it and any other URL's user-info redacted
/// (`kept` is `(exposed, redacted)`). Our URL needs no quoting: the token in
/// it is percent-encoded.
fn append_ours(
    kept: (String, String),
    mode: IndexMode,
    index: &IndexUrl,
    replaced: Vec<String>,
) -> Merged {
    let render = |kept: &str, url: &str| {
        let ours = format!("{}={url}", mode.option());
        if kept.is_empty() {
            ours
        } else {
            format!("{kept} {ours}")
        }
    };
    Merged {
        value: SecretText::new(
            render(&kept.0, index.expose_secret()),
            render(&kept.1, index.redacted()),
        ),
        replaced,
    }
}

/// Our option goes after `words`: it must not become the value of a
/// dangling option. (Found by fuzzing: `-si` in extra-index-url mode took
/// our `--extra-index-url=…` as `-i`'s value, and a second merge added ours
/// again.)
fn refuse_dangling(words: &[String]) -> Result<(), InstallerOptionError> {
    match words.last() {
        Some(last) if wants_next_word(last) => {
            Err(InstallerOptionError::DanglingOption(last.clone()))
        }
        _ => Ok(()),
    }
}

/// Splits pip options into words as a shell would. A NUL character is
/// refused: no command line can carry it, and [`join`] could not quote it
/// back (found by fuzzing: `"\u{7}\0\\\\"` did not merge idempotently).
fn split_words(text: &str) -> Result<Vec<String>, InstallerOptionError> {
    if text.contains('\0') {
        return Err(InstallerOptionError::Unparsable);
    }
    shlex::split(text).ok_or(InstallerOptionError::Unparsable)
}

/// Whether pip options (split as shell words) hold `--no-index`.
pub fn has_no_index(existing: &str) -> bool {
    shlex::split(existing).is_some_and(|words| {
        words
            .iter()
            .any(|w| matches!(index_option(w), Some((IndexOption::NoIndex, _))))
    })
}

/// Joins words with spaces, quoting (POSIX shell style) only the words that
/// need it, so that plain options and URLs stay as the user wrote them.
fn join(words: &[String]) -> String {
    words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

/// [`join`], with the user-info of every URL redacted: what may be shown.
/// Each word is redacted as quoted, so a quoted password (with a space, a
/// `~`, a `&`) is redacted whole and the words stay as [`join`] writes them.
fn join_redacted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| redact_word(&quote(w)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,^".contains(c));
    if plain {
        w.to_owned()
    } else {
        shlex::try_quote(w).map_or_else(|_| w.to_owned(), |q| q.into_owned())
    }
}

struct Stripped {
    kept: Vec<String>,
    removed: Vec<String>,
    no_index: bool,
}

/// Removes the index options that ours replaces: in `index-url` mode every
/// `--index-url`/`-i`; in both modes any option that points at our
/// repository (a stale token).
fn strip_index_options(words: &[String], mode: IndexMode, ours: &Url) -> Stripped {
    let mut kept = Vec::with_capacity(words.len());
    let mut removed = Vec::new();
    let mut no_index = false;
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        // (option, value, words consumed)
        let found: Option<(IndexOption, Option<&str>, usize)> =
            if let Some((option, inline)) = index_option(word) {
                match (option, inline) {
                    (IndexOption::NoIndex, _) => {
                        no_index = true;
                        None
                    }
                    (_, Some(v)) => Some((option, Some(v), 1)),
                    (_, None) => Some((option, words.get(i + 1).map(String::as_str), 2)),
                }
            } else if let Some(cluster) = word.strip_prefix('-').filter(|c| !c.starts_with('-')) {
                short_index_value(cluster).map(|inline| match inline {
                    Some(v) if !v.is_empty() => (IndexOption::IndexUrl, Some(v), 1),
                    _ => (
                        IndexOption::IndexUrl,
                        words.get(i + 1).map(String::as_str),
                        2,
                    ),
                })
            } else {
                None
            };
        let Some((option, value, consumed)) = found else {
            kept.push(word.clone());
            i += 1;
            continue;
        };
        let points_at_ours = value.is_some_and(|v| same_index(ours, v));
        let remove =
            points_at_ours || (mode == IndexMode::IndexUrl && option == IndexOption::IndexUrl);
        // A short cluster such as `-Ui URL` keeps its flags.
        let cluster_flags = word
            .strip_prefix('-')
            .filter(|c| !c.starts_with('-'))
            .and_then(|c| c.split_once('i'))
            .map(|(flags, _)| flags)
            .filter(|flags| !flags.is_empty());
        if remove {
            removed.push(join_redacted(&words[i..(i + consumed).min(words.len())]));
            if let Some(flags) = cluster_flags {
                kept.push(format!("-{flags}"));
            }
        } else {
            kept.extend(words[i..(i + consumed).min(words.len())].iter().cloned());
        }
        i += consumed;
    }
    Stripped {
        kept,
        removed,
        no_index,
    }
}

/// The outcome of [`merge_no_index`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoIndexMerged {
    /// The new value: the user's other options, then `--no-index`.
    pub value: String,
    /// The index options removed, redacted.
    pub removed: Vec<String>,
}

/// Makes pip options install offline, from the wheelhouse only (a job
/// bound by `wheelhouse --bind`): every index option (`--index-url`, `-i`,
/// `--extra-index-url`, abbreviations included) is removed, since pip
/// ignores them under `--no-index` and one may be a CodeArtifact URL of
/// `repository` with a token; `--no-index` is added unless present; every
/// other option is kept as written.
pub fn merge_no_index(
    existing: &str,
    repository: &Url,
) -> Result<NoIndexMerged, InstallerOptionError> {
    let words = split_words(existing)?;
    let stripped = strip_index_options(&words, IndexMode::IndexUrl, repository);
    let mut removed = stripped.removed;
    let mut kept = Vec::with_capacity(stripped.kept.len() + 1);
    let mut i = 0;
    while i < stripped.kept.len() {
        let word = &stripped.kept[i];
        let consumed = match index_option(word) {
            Some((IndexOption::ExtraIndexUrl, Some(_))) => 1,
            Some((IndexOption::ExtraIndexUrl, None)) => 2,
            _ => 0,
        };
        if consumed == 0 {
            kept.push(word.clone());
            i += 1;
        } else {
            let end = (i + consumed).min(stripped.kept.len());
            removed.push(join_redacted(&stripped.kept[i..end]));
            i = end;
        }
    }
    if !stripped.no_index {
        refuse_dangling(&kept)?;
        kept.push("--no-index".to_owned());
    }
    Ok(NoIndexMerged {
        value: join(&kept),
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index_url::PackageFormat;
    use crate::secret::AuthToken;
    use proptest::prelude::*;

    const ENDPOINT: &str =
        "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/";
    const OURS: &str =
        "https://aws:TOKEN@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/";

    fn index(token: &str) -> IndexUrl {
        IndexUrl::build(ENDPOINT, &AuthToken::new(token), PackageFormat::Pypi).unwrap()
    }

    fn merge(existing: &str, mode: IndexMode) -> String {
        merge_installer_option(existing, mode, &index("TOKEN"))
            .unwrap()
            .value
            .expose_secret()
            .to_owned()
    }

    #[test]
    fn empty_gets_ours() {
        assert_eq!(
            merge("", IndexMode::IndexUrl),
            format!("--index-url={OURS}")
        );
        assert_eq!(
            merge("", IndexMode::ExtraIndexUrl),
            format!("--extra-index-url={OURS}")
        );
    }

    #[test]
    fn keeps_foreign_options_and_replaces_index_url_in_every_form() {
        for existing in [
            "--upgrade --index-url https://old.example/simple/",
            "--upgrade --index-url=https://old.example/simple/",
            "--upgrade -i https://old.example/simple/",
            "--upgrade -ihttps://old.example/simple/",
            "--upgrade --index https://old.example/simple/",
            "--upgrade --ind=https://old.example/simple/",
            "-i https://old.example/simple/ --upgrade",
        ] {
            let merged = merge(existing, IndexMode::IndexUrl);
            assert_eq!(
                merged,
                format!("--upgrade --index-url={OURS}"),
                "{existing}"
            );
        }
        assert_eq!(
            merge("-Ui https://old.example/simple/", IndexMode::IndexUrl),
            format!("-U --index-url={OURS}")
        );
    }

    #[test]
    fn keeps_extra_index_urls_and_requirement_files() {
        let merged = merge(
            "--no-cache-dir --extra-index-url https://pypi.example/simple/ -r reqs.txt --upgrade",
            IndexMode::IndexUrl,
        );
        assert_eq!(
            merged,
            format!(
                "--no-cache-dir --extra-index-url https://pypi.example/simple/ -r reqs.txt --upgrade --index-url={OURS}"
            )
        );
    }

    #[test]
    fn extra_mode_keeps_the_primary_index() {
        let merged = merge(
            "--index-url https://mirror.example/simple/ --upgrade",
            IndexMode::ExtraIndexUrl,
        );
        assert_eq!(
            merged,
            format!(
                "--index-url https://mirror.example/simple/ --upgrade --extra-index-url={OURS}"
            )
        );
    }

    #[test]
    fn stale_tokens_for_our_repository_go_in_both_modes() {
        let stale = "https://aws:OLD@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/";
        for mode in [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl] {
            for existing in [
                format!("--extra-index-url={stale}"),
                format!("--index-url {stale}"),
                format!("--ext {stale}"),
            ] {
                let merged = merge(&existing, mode);
                assert!(!merged.contains("OLD"), "{mode:?} {existing}: {merged}");
                assert_eq!(merged, format!("{}={OURS}", mode.option()));
            }
        }
    }

    #[test]
    fn quoted_words_survive() {
        let merged = merge(
            r#"--upgrade  "--trusted-host"   'a b'  --progress-bar=off"#,
            IndexMode::IndexUrl,
        );
        assert_eq!(
            merged,
            format!("--upgrade --trusted-host 'a b' --progress-bar=off --index-url={OURS}")
        );
        assert_eq!(
            shlex::split(&merged).unwrap()[2],
            "a b",
            "the quoted word is still one word"
        );
    }

    #[test]
    fn rejects_no_index_and_unbalanced_quotes() {
        let idx = index("TOKEN");
        assert_eq!(
            merge_installer_option("--no-index --find-links s3://x", IndexMode::IndexUrl, &idx),
            Err(InstallerOptionError::NoIndex)
        );
        assert_eq!(
            merge_installer_option("--upgrade 'oops", IndexMode::IndexUrl, &idx),
            Err(InstallerOptionError::Unparsable)
        );
        assert!(has_no_index("--no-ind"));
        assert!(!has_no_index("--no-input --no-in"));
    }

    #[test]
    fn redacted_rendering_hides_every_url_password() {
        let merged = merge_installer_option(
            "--extra-index-url https://bob:hunter2@other.example/simple/",
            IndexMode::IndexUrl,
            &index("TOKEN"),
        )
        .unwrap();
        let shown = merged.value.to_string();
        assert!(
            !shown.contains("TOKEN") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(
            shown.contains("https://bob:****@other.example/simple/"),
            "{shown}"
        );
        assert!(shown.contains("--index-url=https://aws:****@"), "{shown}");
    }

    #[test]
    fn foreign_passwords_are_redacted_in_every_form() {
        // The forms of issue #13.2: `~` in the path, `&` in the query, a
        // space in a quoted password, a bare token as user name; and every
        // way pip takes an index or a link.
        let options = [
            "--extra-index-url='https://user:pw1secret@h.example/~team/simple/'",
            "--extra-index-url 'https://user:pw2secret@h.example/simple/?a=1&b=2'",
            "--extra-index-url='https://user:pw3 secret@h.example/simple/'",
            "--extra-index-url=https://pw4secret@h.example/simple/",
            "--ext https://u:pw5secret@h.example/simple/",
            "-f https://u:pw6secret@h.example/links/",
            "--find-links=https://pw7secret@h.example/links/",
            "-fhttps://u:pw8secret@h.example/links/",
            "\"--trusted-host\" h.example --extra-index-url \"https://u:pw9@x secret@h.example/\"",
        ];
        for mode in [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl] {
            let merged = merge_installer_option(&options.join(" "), mode, &index("TOKEN")).unwrap();
            let shown = format!("{} {:?}", merged.value, merged.replaced);
            for n in 1..=9 {
                assert!(
                    !shown.contains(&format!("pw{n}")),
                    "{mode:?}: pw{n} in {shown}"
                );
            }
            assert!(!shown.contains("TOKEN"), "{shown}");
            // The exposed value keeps them.
            assert!(merged.value.expose_secret().contains("pw3 secret"));
        }
        // An `--index-url` that is replaced is reported redacted.
        for old in [
            "--index-url='https://u:pwsecret@h.example/~x/simple/'",
            "-i 'https://pwsecret@h.example/simple/?a&b'",
            "-ihttps://u:pwsecret@h.example/simple/",
        ] {
            let merged = merge_installer_option(old, IndexMode::IndexUrl, &index("TOKEN")).unwrap();
            assert_eq!(merged.replaced.len(), 1, "{old}");
            assert!(
                !merged.replaced[0].contains("pwsecret"),
                "{:?}",
                merged.replaced
            );
        }
        // Python shell: inline options and direct references.
        let merged = merge_inline_modules(
            "acme @ https://u:pwA@h.example/acme-1.0-py3-none-any.whl,b==1 --extra-index-url='https://pwB@h.example/~x/simple/'",
            IndexMode::IndexUrl,
            &index("TOKEN"),
        )
        .unwrap();
        let shown = merged.value.to_string();
        assert!(!shown.contains("pwA") && !shown.contains("pwB"), "{shown}");
        assert!(
            shown.contains("acme @ https://u:****@h.example/acme-1.0-py3-none-any.whl"),
            "{shown}"
        );
    }

    #[test]
    fn a_trailing_requirement_option_stays_last() {
        // Glue 5.0: `--additional-python-modules s3://…/requirements.txt`
        // with `--python-modules-installer-option -r`.
        for mode in [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl] {
            for existing in ["-r", "--upgrade -r", "--upgrade --requirement"] {
                let once = merge(existing, mode);
                let last = existing.rsplit(' ').next().unwrap();
                assert!(once.ends_with(&format!("{OURS} {last}")), "{once}");
                assert_eq!(merge(&once, mode), once, "idempotent");
            }
        }
        // A zip of wheels with its requirements file: `-r` has a value.
        assert_eq!(
            merge("-r requirements.txt", IndexMode::IndexUrl),
            format!("-r requirements.txt --index-url={OURS}")
        );
        // Other dangling options are still refused.
        assert_eq!(
            merge_installer_option("--upgrade -f", IndexMode::IndexUrl, &index("TOKEN")),
            Err(InstallerOptionError::DanglingOption("-f".into()))
        );
    }

    #[test]
    fn reports_what_it_replaced_redacted() {
        let merged = merge_installer_option(
            "--index-url https://u:p@old.example/simple/",
            IndexMode::IndexUrl,
            &index("TOKEN"),
        )
        .unwrap();
        assert_eq!(
            merged.replaced,
            vec!["--index-url https://u:****@old.example/simple/"]
        );
    }

    #[test]
    fn inline_modules_for_python_shell() {
        let idx = index("TOKEN");
        let merged = |existing: &str, mode| {
            merge_inline_modules(existing, mode, &idx)
                .unwrap()
                .value
                .expose_secret()
                .to_owned()
        };
        assert_eq!(
            merged("acme-tools==1.2.0", IndexMode::IndexUrl),
            format!("acme-tools==1.2.0 --index-url={OURS}")
        );
        assert_eq!(
            merged(
                "acme-tools==1.2.0,scikit-learn==0.21.3 -i https://old.example/simple/",
                IndexMode::IndexUrl
            ),
            format!("acme-tools==1.2.0,scikit-learn==0.21.3 --index-url={OURS}")
        );
        assert_eq!(
            merged("a,b", IndexMode::ExtraIndexUrl),
            format!("a,b --extra-index-url={OURS}")
        );
    }

    fn foreign_word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("--upgrade".to_owned()),
            Just("--no-cache-dir".to_owned()),
            Just("-U".to_owned()),
            Just("--extra-index-url https://pypi.example/simple/".to_owned()),
            Just("-r requirements.txt".to_owned()),
            Just("--trusted-host 'a b'".to_owned()),
            Just("--index-url https://old.example/simple/".to_owned()),
            Just("-i https://old.example/simple/".to_owned()),
            Just(format!("--extra-index-url={OURS}").replace("TOKEN", "OLD")),
            "[a-z][a-z0-9_-]{0,10}(==[0-9]{1,3})?",
        ]
    }

    proptest! {
        #[test]
        fn merge_is_idempotent(words in proptest::collection::vec(foreign_word(), 0..6), extra in any::<bool>()) {
            let mode = if extra { IndexMode::ExtraIndexUrl } else { IndexMode::IndexUrl };
            let existing = words.join(" ");
            let once = merge(&existing, mode);
            let twice = merge(&once, mode);
            prop_assert_eq!(&once, &twice);
            prop_assert_eq!(once.matches("TOKEN").count(), 1);
            prop_assert!(!once.contains("OLD"));
        }

        #[test]
        fn merge_keeps_foreign_options(words in proptest::collection::vec(foreign_word(), 0..6)) {
            let existing = words.join(" ");
            let merged = merge(&existing, IndexMode::ExtraIndexUrl);
            for word in shlex::split(&existing).unwrap() {
                if !word.contains("OLD") {
                    prop_assert!(shlex::split(&merged).unwrap().contains(&word), "{word} lost from {merged}");
                }
            }
        }

        #[test]
        fn no_foreign_password_is_shown(
            pw in "[A-Za-z0-9~&@:%=+!$()*; ._-]{6,20}",
            bare in any::<bool>(),
            option in prop_oneof![Just("--extra-index-url="), Just("--extra-index-url "), Just("-f "), Just("--find-links="), Just("--index-url "), Just("-i"), Just("--ind=")],
            extra in any::<bool>(),
        ) {
            prop_assume!(!"--index-url= https://user:@h.example/~x/simple/?a=1&b=2 TOKEN aws acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/ --upgrade".contains(pw.as_str()));
            // A bare token has no `:` (else its first part is a user name, kept).
            let pw = if bare { pw.replace(':', "") } else { pw };
            prop_assume!(pw.len() >= 6);
            let userinfo = if bare { pw.clone() } else { format!("user:{pw}") };
            let url = format!("https://{userinfo}@h.example/~x/simple/?a=1&b=2");
            let existing = format!("--upgrade {option}{}", shlex::try_quote(&url).unwrap());
            let mode = if extra { IndexMode::ExtraIndexUrl } else { IndexMode::IndexUrl };
            let merged = merge_installer_option(&existing, mode, &index("TOKEN")).unwrap();
            let shown = format!("{} {:?}", merged.value, merged.replaced);
            prop_assert!(!shown.contains(&pw), "{} -> {}", existing, shown);
        }

        #[test]
        fn merge_never_panics(existing in ".*", extra in any::<bool>()) {
            let mode = if extra { IndexMode::ExtraIndexUrl } else { IndexMode::IndexUrl };
            let _ = merge_installer_option(&existing, mode, &index("TOKEN"));
            let _ = merge_inline_modules(&existing, mode, &index("TOKEN"));
        }
    }

    #[test]
    fn no_index_replaces_every_index_option_and_keeps_the_rest() {
        let repo = url::Url::parse(ENDPOINT).unwrap();
        let merged = merge_no_index("", &repo).unwrap();
        assert_eq!(merged.value, "--no-index");
        assert!(merged.removed.is_empty());
        let merged = merge_no_index(
            &format!("--upgrade -i {OURS} --extra-index-url https://u:pw@other.example/simple/ --only-binary=:all: --extr=https://x.example/simple/"),
            &repo,
        )
        .unwrap();
        assert_eq!(merged.value, "--upgrade --only-binary=:all: --no-index");
        assert_eq!(merged.removed.len(), 3, "{:?}", merged.removed);
        assert!(
            merged
                .removed
                .iter()
                .all(|r| !r.contains("TOKEN") && !r.contains(":pw@")),
            "{:?}",
            merged.removed
        );
        // Idempotent, and a --no-index already there is not doubled.
        let again = merge_no_index(&merged.value, &repo).unwrap();
        assert_eq!(again.value, merged.value);
        assert!(again.removed.is_empty());
        assert_eq!(
            merge_no_index("--no-deps --no-index", &repo).unwrap().value,
            "--no-deps --no-index"
        );
        assert_eq!(
            merge_no_index("--find-links", &repo).unwrap_err(),
            InstallerOptionError::DanglingOption("--find-links".into())
        );
        assert_eq!(
            merge_no_index("'--a", &repo).unwrap_err(),
            InstallerOptionError::Unparsable
        );
    }
}
