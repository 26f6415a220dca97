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
