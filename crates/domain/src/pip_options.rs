//! `pip install`'s options, as pip's optparse reads them: the one place
//! that knows which options take a value, which are index options, and which
//! abbreviations pip accepts (optparse takes any unambiguous prefix of a
//! long option).
//!
//! Used where pip options are merged ([`crate::installer_option`]) and where
//! `--additional-python-modules` is split into requirements
//! ([`crate::preflight::modules`]).

/// `pip install` options that take a value (long names, and short letters).
const LONG_WITH_VALUE: [&str; 31] = [
    "--index-url",
    "--extra-index-url",
    "--find-links",
    "--constraint",
    "--requirement",
    "--editable",
    "--trusted-host",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--upgrade-strategy",
    "--global-option",
    "--config-settings",
    "--progress-bar",
    "--cache-dir",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--cert",
    "--client-cert",
    "--no-binary",
    "--only-binary",
    "--src",
    "--report",
    "--root-user-action",
];
/// Short options of `pip install` that take a value.
const SHORT_WITH_VALUE: &str = "rcetifC";
/// `pip install` options without a value whose names start like one that
/// takes a value (`--upgrade` and `--upgrade-strategy`): an exact name wins.
const LONG_WITHOUT_VALUE: [&str; 11] = [
    "--upgrade",
    "--pre",
    "--prefer-binary",
    "--no-index",
    "--no-deps",
    "--no-cache-dir",
    "--no-clean",
    "--no-compile",
    "--compile",
    "--user",
    "--report-only",
];

/// An index option of `pip install`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexOption {
    /// `--index-url` (`-i`).
    IndexUrl,
    /// `--extra-index-url`.
    ExtraIndexUrl,
    /// `--no-index`.
    NoIndex,
}

/// Recognises a long option, abbreviations included (pip's optparse accepts
/// any unambiguous prefix). Returns the option and its inline `=value`.
pub fn index_option(word: &str) -> Option<(IndexOption, Option<&str>)> {
    let body = word.strip_prefix("--")?;
    let (name, value) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    // Shortest unambiguous prefixes among pip install's options.
    let table = [
        ("index-url", 3, IndexOption::IndexUrl),
        ("extra-index-url", 3, IndexOption::ExtraIndexUrl),
        ("no-index", 6, IndexOption::NoIndex),
    ];
    table
        .iter()
        .find(|(full, min, _)| name.len() >= *min && full.starts_with(name))
        .map(|(_, _, option)| (*option, value))
}

/// In a short-option cluster (`-i`, `-iURL`, `-Ui`), finds `-i` and returns
/// its inline value (`Some("")` when the value is the next word). Returns
/// `None` when the cluster has no `-i`, or when an option that takes a value
/// comes first (then `i` is part of that value).
pub fn short_index_value(cluster: &str) -> Option<Option<&str>> {
    for (pos, c) in cluster.char_indices() {
        if c == 'i' {
            return Some(Some(&cluster[pos + 1..]));
        }
        if SHORT_WITH_VALUE.contains(c) {
            return None;
        }
    }
    None
}

/// `-r` or `--requirement` (or an unambiguous abbreviation, `--req`)
/// without a value: pip's requirements-file option, waiting for the file.
pub fn is_requirement_option(word: &str) -> bool {
    word == "-r"
        || word
            .strip_prefix("--")
            .is_some_and(|name| name.len() >= 3 && "requirement".starts_with(name))
}

/// Whether `word` is a `pip install` option that takes a value and has
/// none inline, so that pip reads the next word as its value: `-r`, `-i`,
/// `-Ui` (a value-taking letter ends the cluster), `--index-url`, `--ind`
/// (optparse accepts unambiguous prefixes). `-iURL`, `--index-url=URL` and
/// options without a value (`--upgrade`) do not.
pub fn wants_next_word(word: &str) -> bool {
    if let Some(long) = word.strip_prefix("--") {
        let name = long.split_once('=').map_or(long, |(n, _)| n);
        let exact = |list: &[&str]| list.iter().any(|full| full[2..] == *name);
        return !long.contains('=')
            && !exact(&LONG_WITHOUT_VALUE)
            && (exact(&LONG_WITH_VALUE)
                || (name.len() >= 3
                    && LONG_WITH_VALUE
                        .iter()
                        .any(|full| full[2..].starts_with(name))));
    }
    word.strip_prefix('-')
        .filter(|c| !c.is_empty())
        .and_then(|cluster| {
            cluster
                .find(|c| SHORT_WITH_VALUE.contains(c))
                .map(|pos| pos + 1 == cluster.len())
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_take_the_next_word() {
        for word in [
            "-r",
            "-i",
            "-Ui",
            "--index-url",
            "--ind",
            "--root-user-action",
        ] {
            assert!(wants_next_word(word), "{word}");
        }
        for word in [
            "-iURL",
            "--index-url=u",
            "--upgrade",
            "--pre",
            "--no-index",
            "-U",
            "x",
        ] {
            assert!(!wants_next_word(word), "{word}");
        }
    }

    #[test]
    fn index_options_and_their_abbreviations() {
        assert_eq!(
            index_option("--ind=u"),
            Some((IndexOption::IndexUrl, Some("u")))
        );
        assert_eq!(
            index_option("--ext"),
            Some((IndexOption::ExtraIndexUrl, None))
        );
        assert_eq!(index_option("--no-ind"), Some((IndexOption::NoIndex, None)));
        assert_eq!(index_option("--no-i"), None, "ambiguous with --no-input");
        assert_eq!(short_index_value("Ui"), Some(Some("")));
        assert_eq!(short_index_value("ri"), None, "i is -r's value");
        assert!(is_requirement_option("--req") && !is_requirement_option("--re"));
    }
}
