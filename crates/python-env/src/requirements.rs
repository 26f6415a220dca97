//! A `requirements.txt` read into the requirements to lock.
//!
//! `lock --requirements FILE` takes pip's requirements-file format with
//! what a lock needs: one PEP 508 requirement per line, `#` comments, and
//! `\` line continuations. pip options (`-r`, `-c`, `-e`, `--index-url`,
//! `--hash`, …) are refused with the line named: the lock's index is the
//! CodeArtifact repository, included files are not followed, and the lock
//! records the hashes itself.

use crate::pep508::parse_requirement;

/// Why a requirements file cannot be locked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementsError {
    /// A line is a pip option.
    #[error(
        "line {line} of the requirements file is the pip option {option:?}; glue-codeartifact lock takes requirements only (it resolves against the CodeArtifact repository and records hashes itself): remove the line, or list the included file's requirements instead"
    )]
    Option {
        /// The 1-based line number.
        line: usize,
        /// The option (its first word).
        option: String,
    },
    /// A line is not a PEP 508 requirement.
    #[error("line {line} of the requirements file is not a valid requirement: {reason}")]
    Invalid {
        /// The 1-based line number.
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// No requirement at all.
    #[error("the requirements file lists no requirement")]
    Empty,
}

/// The requirements of a `requirements.txt`, as written (trimmed, comments
/// removed), each checked to parse as PEP 508.
pub fn parse_requirements_txt(text: &str) -> Result<Vec<String>, RequirementsError> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut first_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        if logical.is_empty() {
            first_line = line_no;
        }
        // A comment starts at `#` at the line's start or after whitespace.
        let without_comment = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(at) => &raw[..at],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(continued) = without_comment.trim_end().strip_suffix('\\') {
            logical.push_str(continued);
            logical.push(' ');
            continue;
        }
        logical.push_str(without_comment);
        let requirement = logical.trim().to_owned();
        logical.clear();
        if requirement.is_empty() {
            continue;
        }
        if requirement.starts_with('-') || requirement.contains(" --") {
            let option = requirement
                .split_whitespace()
                .find(|w| w.starts_with('-'))
                .unwrap_or_default();
            let option = option.split('=').next().unwrap_or(option).to_owned();
            return Err(RequirementsError::Option {
                line: first_line,
                option,
            });
        }
        parse_requirement(&requirement).map_err(|e| RequirementsError::Invalid {
            line: first_line,
            reason: e.reason,
        })?;
        out.push(requirement);
    }
    let tail = logical.trim();
    if !tail.is_empty() {
        parse_requirement(tail).map_err(|e| RequirementsError::Invalid {
            line: first_line,
            reason: e.reason,
        })?;
        out.push(tail.to_owned());
    }
    if out.is_empty() {
        return Err(RequirementsError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn requirements_comments_and_continuations() {
        let text = "# tools\nacme-tools==1.2.0  # pinned\n\nrequests>=2,<3 ; python_version >= '3.8'\nboto3 \\\n  >=1.20\n";
        assert_eq!(
            parse_requirements_txt(text).unwrap(),
            [
                "acme-tools==1.2.0",
                "requests>=2,<3 ; python_version >= '3.8'",
                "boto3    >=1.20"
            ]
        );
    }

    #[test]
    fn options_and_junk_are_refused_with_the_line() {
        let err = parse_requirements_txt("acme\n--index-url https://x/simple/\n").unwrap_err();
        assert_eq!(
            err,
            RequirementsError::Option {
                line: 2,
                option: "--index-url".into()
            }
        );
        let err = parse_requirements_txt("-r other.txt").unwrap_err();
        assert!(err.to_string().contains("\"-r\""), "{err}");
        let err = parse_requirements_txt("acme==1 --hash=sha256:00").unwrap_err();
        assert!(err.to_string().contains("--hash"), "{err}");
        let err = parse_requirements_txt("ok\nnot a requirement!\n").unwrap_err();
        assert!(
            matches!(err, RequirementsError::Invalid { line: 2, .. }),
            "{err}"
        );
        assert_eq!(
            parse_requirements_txt("# nothing\n\n"),
            Err(RequirementsError::Empty)
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "(?s).{0,300}") {
            let _ = parse_requirements_txt(&text);
        }
    }
}
