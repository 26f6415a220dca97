//! The one way into PEP 508 parsing.
//!
//! `pep508_rs` 0.9.2 (the current release) panics on some inputs that are
//! not requirements at all instead of returning its error:
//! - a name or extra ending in `-`, `_` or `.` followed by more text
//!   (`acme-==1`, `acme[x-]`, `"A-¡"`): its parser assumes its own
//!   character checks match the name validation, and `expect`s it;
//! - a non-ASCII character in the environment marker
//!   (`a; python_version > '3' é`, found by fuzzing): after a whole marker
//!   it measures the next word in characters and slices it in bytes,
//!   which panics inside a multi-byte character.
//!
//! A panic before a Glue call is a crash; in the release profile (`panic = "abort"`) it is an abort.
//! Every requirement this project parses therefore comes through
//! [`parse_requirement`], which refuses those shapes with a message first
//! and only then hands the text to `pep508_rs`.

use std::str::FromStr;

use pep508_rs::{Requirement, VerbatimUrl};

/// Why a text is not a PEP 508 requirement, worded for a person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a PEP 508 requirement ({reason})")]
pub struct NotARequirement {
    /// What is wrong, without the caret diagram `pep508_rs` adds.
    pub reason: String,
}

/// Parses one PEP 508 requirement; never panics.
pub fn parse_requirement(text: &str) -> Result<Requirement<VerbatimUrl>, NotARequirement> {
    guard(text).map_err(|reason| NotARequirement { reason })?;
    Requirement::<VerbatimUrl>::from_str(text).map_err(|err| NotARequirement {
        // The error's message alone: its Display adds a caret diagram.
        reason: err.message.to_string(),
    })
}

/// Refuses the shapes on which `pep508_rs` 0.9.2 panics.
fn guard(text: &str) -> Result<(), String> {
    if let Some((_, marker)) = text.split_once(';')
        && let Some(c) = marker.chars().find(|c| !c.is_ascii())
    {
        return Err(format!(
            "its environment marker contains {c:?}; markers are ASCII"
        ));
    }
    let identifier = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let bad_end = |run: &str| run.ends_with(['-', '_', '.']);
    let rest = text.trim_start();
    let name_len = rest.find(|c: char| !identifier(c)).unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_len);
    if bad_end(name) {
        return Err(format!(
            "the package name {name:?} must end with a letter or digit"
        ));
    }
    let rest = rest.trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let extras = extras.split(']').next().unwrap_or_default();
        for run in extras.split(|c: char| !identifier(c)) {
            if bad_end(run) {
                return Err(format!("the extra {run:?} must end with a letter or digit"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_shapes_pep508_rs_panics_on_are_errors() {
        for text in [
            "A-¡",
            "a- b",
            "a_ ; x",
            "a.(",
            "a[b-¡]",
            "a ; python_version == 'é'",
        ] {
            let err = parse_requirement(text).unwrap_err();
            assert!(!err.reason.is_empty(), "{text}");
        }
        assert_eq!(
            parse_requirement("acme-tools>=1.2").unwrap().name.as_ref(),
            "acme-tools"
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "(?s).{0,80}") {
            let _ = parse_requirement(&text);
        }

        #[test]
        fn never_panics_near_names(text in "[A-Za-z0-9][A-Za-z0-9._-]{0,6}[-_.][^A-Za-z0-9._-]{1,3}.{0,10}") {
            let _ = parse_requirement(&text);
        }
    }
}
