//! Which Glue jobs a deployment may start: names or wildcard patterns.
//!
//! A pattern is a job name in which `*` matches any run of characters
//! (including none) and `?` matches exactly one: the wildcards of IAM
//! resource ARNs, with the same meaning. So the same list is both the
//! Lambda's allowlist (`ALLOWED_JOBS`) and the job part of the ARNs in the
//! policy [`iam_policy`](crate::iam_policy) generates, and neither can allow
//! more than the other. Matching is case-sensitive, as Glue job names are.
//!
//! ```
//! use glue_codeartifact_domain::job_pattern::JobPatterns;
//!
//! let allowed: JobPatterns = "nightly-*, adhoc-report".parse()?;
//! assert!(allowed.allows("nightly-etl"));
//! assert!(allowed.allows("adhoc-report"));
//! assert!(!allowed.allows("adhoc-report-2"));
//! assert!(!allowed.allows("Nightly-etl"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{fmt, str::FromStr};

use wildmatch::WildMatch;

/// The longest Glue job name (API reference, `Job.Name`).
pub const MAX_JOB_NAME_LEN: usize = 255;

/// Why a text is not a Glue job name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobNameError {
    /// Empty, or only spaces.
    #[error("the job name is empty; give the Glue job's name")]
    Empty,
    /// Longer than Glue allows.
    #[error(
        "the job name {shown:?}… is {len} characters long; a Glue job name has at most {MAX_JOB_NAME_LEN}"
    )]
    TooLong {
        /// The start of the name.
        shown: String,
        /// Its length, in characters.
        len: usize,
    },
    /// Starts or ends with a space: a copy-and-paste slip, not a job.
    #[error("the job name {name:?} starts or ends with whitespace; give the name without it")]
    Whitespace {
        /// The name.
        name: String,
    },
    /// A line break or another control character (Glue's names are
    /// single-line strings; a tab is the one control character they allow).
    #[error(
        "the job name {name:?} contains {found:?}; a Glue job name is a single line without control characters"
    )]
    InvalidCharacter {
        /// The name.
        name: String,
        /// The character.
        found: char,
    },
}

/// Checks that `name` can be a Glue job name, before any AWS call: 1 to
/// [`MAX_JOB_NAME_LEN`] characters of Glue's single-line string pattern
/// (`[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*`, API
/// reference, `NameString`), without leading or trailing whitespace.
pub fn check_job_name(name: &str) -> Result<(), JobNameError> {
    let shown = || name.chars().take(64).collect::<String>();
    if name.trim().is_empty() {
        return Err(JobNameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_JOB_NAME_LEN {
        return Err(JobNameError::TooLong {
            shown: shown(),
            len,
        });
    }
    if name.trim() != name {
        return Err(JobNameError::Whitespace { name: shown() });
    }
    if let Some(found) = name
        .chars()
        .find(|c| (*c < ' ' && *c != '\t') || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    {
        return Err(JobNameError::InvalidCharacter {
            name: shown(),
            found,
        });
    }
    Ok(())
}

/// One job name or wildcard pattern.
#[derive(Clone)]
pub struct JobPattern {
    text: String,
    matcher: WildMatch,
}

/// Why a job pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobPatternError {
    /// Nothing between two commas, or an empty list.
    #[error(
        "the job list is empty or has an empty entry; list Glue job names or patterns separated by commas, e.g. nightly-etl,reports-*"
    )]
    Empty,
    /// Longer than any Glue job name.
    #[error(
        "job pattern {pattern:?} is longer than {MAX_JOB_NAME_LEN} characters, the limit of a Glue job name"
    )]
    TooLong {
        /// The pattern.
        pattern: String,
    },
    /// Holds a character that cannot stand in an IAM resource ARN as is.
    #[error(
        "job pattern {pattern:?} contains {found:?}, which IAM would read as a policy variable or which no Glue job name has; use only the job's name, with * and ? as wildcards"
    )]
    InvalidCharacter {
        /// The pattern.
        pattern: String,
        /// The character.
        found: char,
    },
}

impl JobPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has a wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.text.contains(['*', '?'])
    }

    /// Whether `job` matches.
    pub fn matches(&self, job: &str) -> bool {
        self.matcher.matches(job)
    }
}

impl FromStr for JobPattern {
    type Err = JobPatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(JobPatternError::Empty);
        }
        if text.chars().count() > MAX_JOB_NAME_LEN {
            return Err(JobPatternError::TooLong {
                pattern: text.to_owned(),
            });
        }
        if let Some(found) = text
            .chars()
            .find(|c| c.is_control() || matches!(c, '$' | ',' | '"'))
        {
            return Err(JobPatternError::InvalidCharacter {
                pattern: text.to_owned(),
                found,
            });
        }
        Ok(JobPattern {
            text: text.to_owned(),
            matcher: WildMatch::new(text),
        })
    }
}

impl fmt::Debug for JobPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for JobPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for JobPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for JobPattern {}

/// A non-empty list of job patterns; a job is allowed if any matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPatterns(Vec<JobPattern>);

impl JobPatterns {
    /// A list from patterns; fails if there are none.
    pub fn new(patterns: Vec<JobPattern>) -> Result<Self, JobPatternError> {
        if patterns.is_empty() {
            Err(JobPatternError::Empty)
        } else {
            Ok(JobPatterns(patterns))
        }
    }

    /// Whether `job` matches one of the patterns.
    pub fn allows(&self, job: &str) -> bool {
        self.0.iter().any(|p| p.matches(job))
    }

    /// The patterns, in the order given.
    pub fn patterns(&self) -> &[JobPattern] {
        &self.0
    }

    /// Whether a pattern is `*` alone: every job is allowed.
    pub fn allows_everything(&self) -> bool {
        self.0.iter().any(|p| p.text.chars().all(|c| c == '*'))
    }
}

impl FromStr for JobPatterns {
    type Err = JobPatternError;

    /// Parses a comma-separated list (`nightly-etl, reports-*`); spaces
    /// around entries are ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let patterns = text
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<JobPattern>, _>>()?;
        JobPatterns::new(patterns)
    }
}

impl fmt::Display for JobPatterns {
    /// The comma-separated form, as `ALLOWED_JOBS` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(&p.text)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_follow_glue_s_rules() {
        for ok in [
            "nightly-etl",
            "a",
            "with space",
            "tab\tinside",
            "ünïcödé",
            &"a".repeat(255),
        ] {
            assert_eq!(check_job_name(ok), Ok(()), "{ok:?}");
        }
        assert_eq!(check_job_name(""), Err(JobNameError::Empty));
        assert_eq!(check_job_name("   "), Err(JobNameError::Empty));
        let long = "b".repeat(256);
        let err = check_job_name(&long).unwrap_err();
        assert!(matches!(err, JobNameError::TooLong { len: 256, .. }));
        assert!(
            !err.to_string().contains(&long),
            "the whole name is not echoed"
        );
        assert!(matches!(
            check_job_name(" etl"),
            Err(JobNameError::Whitespace { .. })
        ));
        assert!(matches!(
            check_job_name("etl\n"),
            Err(JobNameError::Whitespace { .. })
        ));
        for bad in ["a\nb", "a\rb", "a\u{1}b", "a\u{FFFF}"] {
            assert!(
                matches!(
                    check_job_name(bad),
                    Err(JobNameError::InvalidCharacter { .. })
                ),
                "{bad:?}"
            );
        }
    }
    use proptest::prelude::*;

    #[test]
    fn names_and_wildcards() {
        let allowed: JobPatterns = "exact,etl-*,job-?".parse().unwrap();
        assert!(allowed.allows("exact"));
        assert!(!allowed.allows("exact2"));
        assert!(!allowed.allows("xexact"));
        assert!(allowed.allows("etl-"));
        assert!(allowed.allows("etl-nightly/part"));
        assert!(allowed.allows("job-1"));
        assert!(!allowed.allows("job-12"));
        assert!(!allowed.allows("ETL-x"));
        assert!(!allowed.allows_everything());
        assert!("a,*".parse::<JobPatterns>().unwrap().allows_everything());
    }

    #[test]
    fn rejects_what_cannot_be_a_pattern() {
        for text in ["", " ", "a,,b", "a,", "${aws:username}", "a\tb", "a\"b"] {
            assert!(text.parse::<JobPatterns>().is_err(), "{text:?}");
        }
        let long = "x".repeat(256);
        assert!(matches!(
            long.parse::<JobPattern>(),
            Err(JobPatternError::TooLong { .. })
        ));
        let msg = "bad$name".parse::<JobPattern>().unwrap_err().to_string();
        assert!(msg.contains("policy variable"), "{msg}");
    }

    #[test]
    fn displays_the_list_form() {
        let allowed: JobPatterns = " a , b-* ".parse().unwrap();
        assert_eq!(allowed.to_string(), "a,b-*");
        assert_eq!(allowed.patterns()[1].as_str(), "b-*");
        assert!(allowed.patterns()[1].is_wildcard());
        assert!(!allowed.patterns()[0].is_wildcard());
    }

    proptest! {
        /// A pattern without wildcards allows exactly its own name.
        #[test]
        fn plain_names_match_only_themselves(name in "[A-Za-z0-9_.-]{1,40}", other in "[A-Za-z0-9_.-]{1,40}") {
            let p: JobPattern = name.parse().unwrap();
            prop_assert!(p.matches(&name));
            prop_assert_eq!(p.matches(&other), name == other);
        }

        /// `prefix*` allows exactly the names starting with the prefix.
        #[test]
        fn star_is_a_prefix_match(prefix in "[a-z-]{0,10}", name in "[a-z-]{0,20}") {
            let p: JobPattern = format!("{prefix}*").parse().unwrap();
            prop_assert_eq!(p.matches(&name), name.starts_with(&prefix));
        }

        #[test]
        fn never_panics(text in ".*") {
            let _ = text.parse::<JobPatterns>();
        }
    }
}
