//! Preflight: the pure rules behind `glue-codeartifact doctor`.
//!
//! Each rule looks at what was already fetched (the job, the token duration,
//! the repository's index pages) and returns [`Finding`]s: a severity, a
//! stable [`CheckId`], a one-line cause and a one-line fix. Nothing here does
//! I/O; the use case in `glue-codeartifact-app` fetches and calls these.
//!
//! - [`job_rules`]: job type and Glue version (and so the job's Python),
//!   overridability, conflicting pip options, token life;
//! - [`modules`]: `--additional-python-modules` parsed into PEP 508
//!   requirements;
//! - [`index_page`]: a PEP 691 JSON or PEP 503 HTML project page parsed
//!   into files;
//! - [`wheel`]: distribution file names and wheel-tag compatibility with a
//!   Glue worker;
//! - [`resolve`]: one requirement judged against its project page, roughly
//!   as pip would choose;
//! - [`bound`]: a job bound to a wheelhouse (S3 wheels, `--no-index`).
//!
//! ```
//! use glue_codeartifact_domain::preflight::{
//!     CheckId, Severity,
//!     index_page::ProjectPage,
//!     job_rules::job_environment,
//!     modules::{ModuleItem, parse_modules},
//!     resolve::check_requirement,
//! };
//! use glue_codeartifact_domain::job::{JobCommand, JobDefinition};
//!
//! let job = JobDefinition {
//!     name: "nightly".into(),
//!     command: Some(JobCommand::SparkEtl),
//!     glue_version: Some("4.0".into()),
//!     ..Default::default()
//! };
//! let env = job_environment(&job).environment.unwrap();
//! assert_eq!(env.python.to_string(), "3.10");
//!
//! let items = parse_modules("acme-tools==1.2.0", env.placement);
//! let ModuleItem::Requirement { requirement, .. } = &items[0] else { panic!() };
//! let page = ProjectPage::from_json(
//!     br#"{"name":"acme-tools","files":[{"filename":"acme_tools-1.2.0-py3-none-any.whl","url":"x"}]}"#,
//! )?;
//! let finding = check_requirement("acme-tools==1.2.0", requirement, &page, &env.python);
//! assert_eq!(finding.check, CheckId::PackageOk);
//! assert_eq!(finding.severity, Severity::Info);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bound;
pub mod index_page;
pub mod job_rules;
pub mod modules;
pub mod requirements_file;
pub mod resolve;
/// Wheel tags, from `glue-codeartifact-python-env` (one wheel-tag module).
pub use glue_codeartifact_python_env::wheel;

use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix.
    Info,
    /// The run may fail or behave unexpectedly.
    Warning,
    /// The run would fail, or pip would not use the repository.
    Error,
}

impl Severity {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable identifier of what a finding is about. Scripts may match on
/// [`CheckId::as_str`]; the strings never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CheckId {
    /// `job-command`: the job type cannot install modules with our index
    /// (Ray, unknown, missing).
    JobCommand,
    /// `job-glue-version`: the Glue version of a Spark job.
    JobGlueVersion,
    /// `job-environment`: where pip runs (Python, OS) and where the index
    /// option goes.
    JobEnvironment,
    /// `job-streaming`: streaming support rests on the Spark ETL pages.
    JobStreaming,
    /// `job-python-shell`: a Python shell job, its Python version.
    JobPythonShell,
    /// `argument-non-overridable`: a key a run must set is in
    /// `NonOverridableArguments`.
    ArgumentNonOverridable,
    /// `installer-option-unparsable`: the pip options do not split into words.
    InstallerOptionUnparsable,
    /// `installer-option-no-index`: `--no-index` makes pip ignore every index.
    InstallerOptionNoIndex,
    /// `installer-option-index-url`: another index option is replaced or kept.
    InstallerOptionIndexUrl,
    /// `token-life`: whether the token outlives every pip install of a run.
    TokenLife,
    /// `modules-missing`: no `--additional-python-modules`.
    ModulesMissing,
    /// `module-invalid`: an item is not a requirement pip would accept.
    ModuleInvalid,
    /// `module-not-checked`: an S3 path, a requirements file or a URL.
    ModuleNotChecked,
    /// `module-marker-skipped`: a requirement whose markers are false on Glue.
    ModuleMarkerSkipped,
    /// `package-ok`: a requirement resolves to a wheel that installs.
    PackageOk,
    /// `package-not-found`: the repository has no such project (its index
    /// answered 404 to a token it accepted for another project).
    PackageNotFound,
    /// `package-not-found-or-refused`: the index answered 404 and no page
    /// proved the token good: CodeArtifact answers 404 to a token it
    /// refuses too (astral-sh/uv#11899), so either cause may be it.
    PackageNotFoundOrRefused,
    /// `package-no-matching-version`: no version satisfies the specifier.
    PackageNoMatchingVersion,
    /// `package-requires-python`: every matching version excludes the job's
    /// Python.
    PackageRequiresPython,
    /// `package-no-compatible-wheel`: no file installs on the job's Python
    /// and platform.
    PackageNoCompatibleWheel,
    /// `package-aarch64-only`: only ARM64 Linux wheels fit.
    PackageAarch64Only,
    /// `package-sdist-only`: pip would build from a source distribution.
    PackageSdistOnly,
    /// `package-yanked`: the pinned version is yanked.
    PackageYanked,
    /// `repository-not-found`: the domain or repository does not exist.
    RepositoryNotFound,
    /// `access-denied`: an AWS call was denied; names the IAM action.
    AccessDenied,
    /// `index-refused`: the index answered 401/403 to the token.
    IndexRefused,
    /// `index-unreachable`: the index could not be read.
    IndexUnreachable,
    /// `tree-ok`: the whole dependency tree resolves (by uv) with wheels.
    TreeOk,
    /// `tree-missing`: a package of the tree (a dependency, too) is not in
    /// the repository.
    TreeMissing,
    /// `tree-no-wheel`: a package of the tree has no wheel for the runtime.
    TreeNoWheel,
    /// `tree-provided-conflict`: the tree needs another version of a
    /// package Glue provides.
    TreeProvidedConflict,
    /// `tree-unresolvable`: the tree does not resolve for another reason.
    TreeUnresolvable,
    /// `tree-skipped`: the whole tree was not checked (no uv, …).
    TreeSkipped,
    /// `requirements-file-read`: the S3 requirements file was read; its requirements are checked.
    RequirementsFileRead,
    /// `requirements-file-unreadable`: the S3 requirements file (Glue 5.0+'s `-r` pattern) could not be read: missing, denied, not UTF-8.
    RequirementsFileUnreadable,
    /// `requirements-file-invalid`: a line of the S3 requirements file is not a requirement doctor can check.
    RequirementsFileInvalid,
    /// `wheelhouse-bound`: the job is bound to a wheelhouse (S3 wheels, `--no-index`).
    WheelhouseBound,
    /// `wheelhouse-module-form`: the job's runtime does not install S3 wheels (Python shell).
    WheelhouseModuleForm,
    /// `wheelhouse-no-index`: a bound job's installer option lacks `--no-index`.
    WheelhouseNoIndex,
    /// `wheelhouse-index-option`: a bound job's installer option still holds an index option.
    WheelhouseIndexOption,
    /// `wheelhouse-object-missing`: a wheelhouse object does not exist.
    WheelhouseObjectMissing,
    /// `wheelhouse-object-denied`: S3 answered 403 for a wheelhouse object (denied, or missing without `s3:ListBucket`).
    WheelhouseObjectDenied,
    /// `wheelhouse-object-changed`: a wheelhouse object's content is not the SHA-256 its key names.
    WheelhouseObjectChanged,
    /// `wheelhouse-wheel-incompatible`: a bound wheel's tags do not fit the job's Python and platform.
    WheelhouseWheelIncompatible,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 44] = [
        CheckId::JobCommand,
        CheckId::JobGlueVersion,
        CheckId::JobEnvironment,
        CheckId::JobStreaming,
        CheckId::JobPythonShell,
        CheckId::ArgumentNonOverridable,
        CheckId::InstallerOptionUnparsable,
        CheckId::InstallerOptionNoIndex,
        CheckId::InstallerOptionIndexUrl,
        CheckId::TokenLife,
        CheckId::ModulesMissing,
        CheckId::ModuleInvalid,
        CheckId::ModuleNotChecked,
        CheckId::ModuleMarkerSkipped,
        CheckId::PackageOk,
        CheckId::PackageNotFound,
        CheckId::PackageNotFoundOrRefused,
        CheckId::PackageNoMatchingVersion,
        CheckId::PackageRequiresPython,
        CheckId::PackageNoCompatibleWheel,
        CheckId::PackageAarch64Only,
        CheckId::PackageSdistOnly,
        CheckId::PackageYanked,
        CheckId::RepositoryNotFound,
        CheckId::AccessDenied,
        CheckId::IndexRefused,
        CheckId::IndexUnreachable,
        CheckId::TreeOk,
        CheckId::TreeMissing,
        CheckId::TreeNoWheel,
        CheckId::TreeProvidedConflict,
        CheckId::TreeUnresolvable,
        CheckId::TreeSkipped,
        CheckId::RequirementsFileRead,
        CheckId::RequirementsFileUnreadable,
        CheckId::RequirementsFileInvalid,
        CheckId::WheelhouseBound,
        CheckId::WheelhouseModuleForm,
        CheckId::WheelhouseNoIndex,
        CheckId::WheelhouseIndexOption,
        CheckId::WheelhouseObjectMissing,
        CheckId::WheelhouseObjectDenied,
        CheckId::WheelhouseObjectChanged,
        CheckId::WheelhouseWheelIncompatible,
    ];

    /// The stable identifier, e.g. `package-sdist-only`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::JobCommand => "job-command",
            CheckId::JobGlueVersion => "job-glue-version",
            CheckId::JobEnvironment => "job-environment",
            CheckId::JobStreaming => "job-streaming",
            CheckId::JobPythonShell => "job-python-shell",
            CheckId::ArgumentNonOverridable => "argument-non-overridable",
            CheckId::InstallerOptionUnparsable => "installer-option-unparsable",
            CheckId::InstallerOptionNoIndex => "installer-option-no-index",
            CheckId::InstallerOptionIndexUrl => "installer-option-index-url",
            CheckId::TokenLife => "token-life",
            CheckId::ModulesMissing => "modules-missing",
            CheckId::ModuleInvalid => "module-invalid",
            CheckId::ModuleNotChecked => "module-not-checked",
            CheckId::ModuleMarkerSkipped => "module-marker-skipped",
            CheckId::PackageOk => "package-ok",
            CheckId::PackageNotFound => "package-not-found",
            CheckId::PackageNotFoundOrRefused => "package-not-found-or-refused",
            CheckId::PackageNoMatchingVersion => "package-no-matching-version",
            CheckId::PackageRequiresPython => "package-requires-python",
            CheckId::PackageNoCompatibleWheel => "package-no-compatible-wheel",
            CheckId::PackageAarch64Only => "package-aarch64-only",
            CheckId::PackageSdistOnly => "package-sdist-only",
            CheckId::PackageYanked => "package-yanked",
            CheckId::RepositoryNotFound => "repository-not-found",
            CheckId::AccessDenied => "access-denied",
            CheckId::IndexRefused => "index-refused",
            CheckId::IndexUnreachable => "index-unreachable",
            CheckId::TreeOk => "tree-ok",
            CheckId::TreeMissing => "tree-missing",
            CheckId::TreeNoWheel => "tree-no-wheel",
            CheckId::TreeProvidedConflict => "tree-provided-conflict",
            CheckId::TreeUnresolvable => "tree-unresolvable",
            CheckId::TreeSkipped => "tree-skipped",
            CheckId::RequirementsFileRead => "requirements-file-read",
            CheckId::RequirementsFileUnreadable => "requirements-file-unreadable",
            CheckId::RequirementsFileInvalid => "requirements-file-invalid",
            CheckId::WheelhouseBound => "wheelhouse-bound",
            CheckId::WheelhouseModuleForm => "wheelhouse-module-form",
            CheckId::WheelhouseNoIndex => "wheelhouse-no-index",
            CheckId::WheelhouseIndexOption => "wheelhouse-index-option",
            CheckId::WheelhouseObjectMissing => "wheelhouse-object-missing",
            CheckId::WheelhouseObjectDenied => "wheelhouse-object-denied",
            CheckId::WheelhouseObjectChanged => "wheelhouse-object-changed",
            CheckId::WheelhouseWheelIncompatible => "wheelhouse-wheel-incompatible",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One thing preflight found. Never holds a token: causes name arguments,
/// packages and AWS actions, and URLs only without credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked.
    pub check: CheckId,
    /// How bad it is.
    pub severity: Severity,
    /// What was found, in one line.
    pub cause: String,
    /// What to do about it, in one line; `None` when nothing needs doing.
    pub fix: Option<String>,
    /// What the finding is about, when it is one of several: a requirement
    /// as written, an argument key, an AWS operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl Finding {
    /// An error finding.
    pub fn error(check: CheckId, cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(check, Severity::Error, cause, Some(fix.into()))
    }

    /// A warning finding.
    pub fn warning(check: CheckId, cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(check, Severity::Warning, cause, Some(fix.into()))
    }

    /// An info finding, with nothing to fix.
    pub fn info(check: CheckId, cause: impl Into<String>) -> Self {
        Self::new(check, Severity::Info, cause, None)
    }

    fn new(
        check: CheckId,
        severity: Severity,
        cause: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            check,
            severity,
            cause: one_line(cause.into()),
            fix: fix.map(one_line),
            subject: None,
        }
    }

    /// The same finding about `subject`.
    #[must_use]
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(one_line(subject.into()));
        self
    }

    /// The same finding with an optional fix (for an info worth acting on).
    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(one_line(fix.into()));
        self
    }
}

/// Keeps a cause or fix on one line, whatever went into it.
fn one_line(text: String) -> String {
    if text.contains(['\n', '\r']) {
        text.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        text
    }
}

/// Everything preflight found for one job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The job checked.
    pub job: String,
    /// The findings, in check order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// A report of `findings`, put in a stable order: errors first, then
    /// warnings, then infos; within one severity by [`CheckId`] (job,
    /// arguments, options, token, modules, packages, access), keeping the
    /// order within one check.
    pub fn new(job: impl Into<String>, mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|f| (std::cmp::Reverse(f.severity), f.check));
        Self {
            job: job.into(),
            findings,
        }
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// How many errors.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// How many warnings.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Whether a run would fail or miss the repository.
    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    /// The findings of one check.
    pub fn of(&self, check: CheckId) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }

    /// One line: `2 errors, 1 warning, 3 infos` or `no problems found (3 infos)`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let (errors, warnings, infos) =
            (self.errors(), self.warnings(), self.count(Severity::Info));
        if errors + warnings == 0 {
            format!("no problems found ({})", plural(infos, "info"))
        } else {
            format!(
                "{}, {}, {}",
                plural(errors, "error"),
                plural(warnings, "warning"),
                plural(infos, "info")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for id in CheckId::ALL {
            let s = id.as_str();
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{s}"
            );
            assert!(seen.insert(s), "{s} twice");
        }
        let mut sorted = CheckId::ALL;
        sorted.sort();
        assert_eq!(sorted, CheckId::ALL, "ALL is in report order");
    }

    #[test]
    fn findings_are_one_line_and_serialize_flat() {
        let f = Finding::error(CheckId::ModuleInvalid, "a\nb\r\n c", "fix\nit").about("x\ny");
        assert_eq!(f.cause, "a b c");
        assert_eq!(f.fix.as_deref(), Some("fix it"));
        assert_eq!(f.subject.as_deref(), Some("x y"));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["check"], "module-invalid");
        assert_eq!(json["severity"], "error");
        let info = serde_json::to_value(Finding::info(CheckId::PackageOk, "ok")).unwrap();
        assert!(info["fix"].is_null());
        assert!(info.get("subject").is_none());
    }

    #[test]
    fn report_orders_counts_and_summarises() {
        let report = Report::new(
            "j",
            vec![
                Finding::info(CheckId::PackageOk, "b"),
                Finding::warning(CheckId::TokenLife, "t", "f"),
                Finding::info(CheckId::JobEnvironment, "e"),
                Finding::error(CheckId::PackageNotFound, "n", "f"),
                Finding::error(CheckId::JobCommand, "c", "f"),
                Finding::info(CheckId::PackageOk, "a"),
            ],
        );
        let checks: Vec<_> = report.findings.iter().map(|f| f.check).collect();
        assert_eq!(
            checks,
            [
                CheckId::JobCommand,
                CheckId::PackageNotFound,
                CheckId::TokenLife,
                CheckId::JobEnvironment,
                CheckId::PackageOk,
                CheckId::PackageOk
            ]
        );
        assert_eq!(report.findings[4].cause, "b", "stable within a check");
        assert_eq!(report.errors(), 2);
        assert_eq!(report.warnings(), 1);
        assert!(report.has_errors());
        assert_eq!(report.summary(), "2 errors, 1 warning, 3 infos");
        assert_eq!(
            Report::new("j", vec![Finding::info(CheckId::PackageOk, "a")]).summary(),
            "no problems found (1 info)"
        );
    }
}
