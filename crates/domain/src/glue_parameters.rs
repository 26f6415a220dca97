//! Glue's own job parameters, and which run arguments a deployment lets the
//! senders of its events set.
//!
//! A run argument is either one of Glue's special parameters, which Glue
//! itself consumes to set up the run (the script, the Python path, the
//! packages pip installs and from where, the JARs, Spark's configuration,
//! the driver's environment, …), or a user argument that only the job's own
//! script reads (`--day`). Whoever may set a special parameter of a run
//! chooses the code that runs with the job's IAM role: `--scriptLocation`,
//! `--extra-py-files` or `--python-modules-installer-option
//! "--extra-index-url https://elsewhere/ --trusted-host elsewhere"` are
//! enough. So the Lambda lets an event set a run argument only where the
//! deployment's [`ArgumentAllowlist`] allows it, and a special parameter
//! only where it is listed by its exact name: no pattern ever matches one.
//!
//! The CLI's `--arg` is not bound by this: its caller starts the run with
//! their own IAM rights.
//!
//! ```
//! use glue_codeartifact_domain::glue_parameters::{ArgumentAllowlist, Refusal};
//!
//! let allow: ArgumentAllowlist = "--day,--report_*,--TempDir".parse().unwrap();
//! assert_eq!(allow.check("--day"), Ok(()));
//! assert_eq!(allow.check("--report_kind"), Ok(()));
//! assert_eq!(allow.check("--TempDir"), Ok(()));
//! assert_eq!(allow.check("--env"), Err(Refusal::NotListed));
//! assert_eq!(allow.check("--extra-py-files"), Err(Refusal::GlueParameter));
//! // A pattern never matches one of Glue's own parameters.
//! let any: ArgumentAllowlist = "--*".parse().unwrap();
//! assert_eq!(any.check("--day"), Ok(()));
//! assert_eq!(any.check("--scriptLocation"), Err(Refusal::GlueParameter));
//! ```

use std::{fmt, str::FromStr};

use wildmatch::WildMatch;

use crate::run_plan::RESERVED_ARGUMENTS;

/// The job parameters Glue consumes itself: the "Job parameter reference" of
/// the Glue developer guide, "Using job parameters in AWS Glue jobs"
/// (<https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html>),
/// plus the parameters of Glue for Ray (`--pip-install`, `--s3-py-modules`,
/// "Using Python libraries with Glue for Ray"), the Python shell job's
/// (`--extra-py-files`, "Providing your own Python library") and those Glue
/// uses internally ([`RESERVED_ARGUMENTS`]).
///
/// The list cannot be complete for the future: Glue adds parameters with
/// new versions. That is why events may set no argument at all by default,
/// and why a pattern in an allowlist matches only names outside this list
/// (see [`ArgumentAllowlist`]): a deployment that allows `--*` accepts that
/// a parameter Glue adds later is matched too, and `docs/security.md` says
/// so. Compared without regard to case, so that `--tempdir` is refused like
/// `--TempDir`.
pub const GLUE_PARAMETERS: &[&str] = &[
    // The script and the code and files it gets.
    "--scriptLocation",
    "--job-language",
    "--class",
    "--extra-py-files",
    "--extra-jars",
    "--extra-files",
    "--user-jars-first",
    // Python modules: what pip installs, and from where.
    "--additional-python-modules",
    "--python-modules-installer-option",
    "--pip-install",
    "--s3-py-modules",
    // Spark, the JVM and the environment of the driver and executors.
    "--conf",
    "--customer-driver-env-vars",
    "--customer-executor-env-vars",
    "--datalake-formats",
    "--executor-cores",
    "--enable-auto-scaling",
    "--auto-scale-within-microbatch",
    "--enable-glue-datacatalog",
    "--enable-lakeformation-fine-grained-access",
    "--enable-rename-algorithm-v2",
    "--enable-s3-parquet-optimized-committer",
    "--use-postgres-driver",
    "--disable-proxy-v2",
    "--write-shuffle-files-to-s3",
    "--write-shuffle-spills-to-s3",
    // Where the run writes, logs and keeps state.
    "--TempDir",
    "--encryption-type",
    "--job-bookmark-option",
    "--enable-metrics",
    "--enable-observability-metrics",
    "--enable-job-insights",
    "--enable-spark-ui",
    "--spark-event-logs-path",
    "--enable-continuous-cloudwatch-log",
    "--enable-continuous-log-filter",
    "--continuous-log-logGroup",
    "--continuous-log-logStreamPrefix",
    "--continuous-log-conversionPattern",
    // Used by Glue internally ("never set").
    "--debug",
    "--mode",
    "--JOB_NAME",
    "--endpoint",
];

/// Whether `key` (with its leading `--`) is one of Glue's own job
/// parameters ([`GLUE_PARAMETERS`]), compared without regard to case.
pub fn is_glue_parameter(key: &str) -> bool {
    GLUE_PARAMETERS
        .iter()
        .chain(RESERVED_ARGUMENTS.iter())
        .any(|p| p.eq_ignore_ascii_case(key))
}

/// Why an argument is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// One of Glue's own parameters, not listed by its exact name.
    GlueParameter,
    /// A user argument that no entry allows.
    NotListed,
}

/// The run arguments a deployment lets events set: exact names and `*`/`?`
/// patterns (`--day`, `--report_*`). Empty by default: an event may set no
/// argument. A pattern matches only user arguments; one of Glue's own
/// parameters must be listed by its exact name.
#[derive(Clone, Default)]
pub struct ArgumentAllowlist {
    entries: Vec<(String, Option<WildMatch>)>,
}

/// Why an allowlist entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentAllowlistError {
    /// The entry is not an argument name.
    #[error(
        "{entry:?} is not a run argument name: it must start with `--` and have no spaces, `=` or commas (e.g. --day, or a pattern like --report_*)"
    )]
    NotAnArgument {
        /// The entry.
        entry: String,
    },
    /// The entry names an argument Glue uses internally.
    #[error(
        "{entry} is used by Glue internally and must never be set (Glue guide, \"Using job parameters in AWS Glue jobs\"), so no event may set it; remove it"
    )]
    Reserved {
        /// The entry.
        entry: String,
    },
    /// A pattern (other than `--*`) that would match one of Glue's own
    /// parameters, as if it could allow it.
    #[error(
        "{entry:?} is a pattern that would match {glue}, one of Glue's own parameters; patterns never match Glue's parameters, so list each one by its exact name (e.g. {glue}), and only if every caller that may invoke the function may choose it, or narrow the pattern"
    )]
    GluePattern {
        /// The entry.
        entry: String,
        /// The Glue parameter it would match.
        glue: &'static str,
    },
}

impl ArgumentAllowlist {
    /// Whether no argument is allowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds one entry (`--name` or a `--pattern*`).
    pub fn push(&mut self, entry: &str) -> Result<(), ArgumentAllowlistError> {
        let entry = entry.trim();
        let name = entry.strip_prefix("--").unwrap_or("");
        if name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '=' | ','))
        {
            return Err(ArgumentAllowlistError::NotAnArgument {
                entry: entry.to_owned(),
            });
        }
        if RESERVED_ARGUMENTS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(entry))
        {
            return Err(ArgumentAllowlistError::Reserved {
                entry: entry.to_owned(),
            });
        }
        let pattern = entry.contains(['*', '?']);
        if pattern && !name.chars().all(|c| matches!(c, '*' | '?')) {
            let lower = WildMatch::new(&entry.to_ascii_lowercase());
            if let Some(glue) = GLUE_PARAMETERS
                .iter()
                .find(|p| lower.matches(&p.to_ascii_lowercase()))
            {
                return Err(ArgumentAllowlistError::GluePattern {
                    entry: entry.to_owned(),
                    glue,
                });
            }
        }
        if !self.entries.iter().any(|(e, _)| e == entry) {
            self.entries
                .push((entry.to_owned(), pattern.then(|| WildMatch::new(entry))));
        }
        Ok(())
    }

    /// Whether an event may set the run argument `key`.
    pub fn check(&self, key: &str) -> Result<(), Refusal> {
        let glue = is_glue_parameter(key);
        let allowed = self.entries.iter().any(|(entry, pattern)| match pattern {
            // A special parameter only by its exact name.
            None => entry == key,
            Some(pattern) => !glue && pattern.matches(key),
        });
        match (allowed, glue) {
            (true, _) => Ok(()),
            (false, true) => Err(Refusal::GlueParameter),
            (false, false) => Err(Refusal::NotListed),
        }
    }

    /// The Glue parameters listed by name (for a warning at cold start).
    pub fn glue_parameters(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(e, p)| p.is_none() && is_glue_parameter(e))
            .map(|(e, _)| e.as_str())
    }
}

impl FromStr for ArgumentAllowlist {
    type Err = ArgumentAllowlistError;

    /// A comma-separated list; empty entries are skipped.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut list = ArgumentAllowlist::default();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            list.push(entry)?;
        }
        Ok(list)
    }
}

impl fmt::Display for ArgumentAllowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|(e, _)| e.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for ArgumentAllowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArgumentAllowlist({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_allowed_by_default() {
        let none = ArgumentAllowlist::default();
        assert!(none.is_empty());
        assert_eq!(none.check("--day"), Err(Refusal::NotListed));
        assert_eq!(none.check("--extra-py-files"), Err(Refusal::GlueParameter));
    }

    #[test]
    fn every_glue_parameter_is_refused_by_any_pattern_in_any_case() {
        let any: ArgumentAllowlist = "--*,--?*,--x*".parse().unwrap();
        for p in GLUE_PARAMETERS {
            for key in [p.to_string(), p.to_lowercase(), p.to_uppercase()] {
                assert_eq!(any.check(&key), Err(Refusal::GlueParameter), "{key}");
            }
        }
        assert_eq!(any.check("--day"), Ok(()));
        assert_eq!(any.check("--enabled_flag"), Ok(()));
    }

    #[test]
    fn a_glue_parameter_listed_by_name_is_allowed_exactly() {
        let allow: ArgumentAllowlist = "--TempDir, --extra-py-files".parse().unwrap();
        assert_eq!(allow.check("--TempDir"), Ok(()));
        assert_eq!(allow.check("--extra-py-files"), Ok(()));
        assert_eq!(allow.check("--tempdir"), Err(Refusal::GlueParameter));
        assert_eq!(
            allow.glue_parameters().collect::<Vec<_>>(),
            ["--TempDir", "--extra-py-files"]
        );
        assert_eq!(allow.to_string(), "--TempDir,--extra-py-files");
    }

    #[test]
    fn bad_entries_are_refused() {
        for (text, expected) in [
            ("day", "must start with `--`"),
            ("--", "must start with `--`"),
            ("--a b", "must start with `--`"),
            ("--a=b", "must start with `--`"),
            ("--conf", "used by Glue internally"),
            ("--JOB_NAME", "used by Glue internally"),
            ("--extra-py-files*", "would match --extra-py-files"),
            ("--Temp?ir", "would match --TempDir"),
            ("--enable-*", "patterns never match"),
        ] {
            let err = text.parse::<ArgumentAllowlist>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
