//! Rules about the job itself: its type and Glue version (and so its
//! Python), which arguments a run can change, pip options that conflict with
//! ours, and how long the token must live.

use crate::duration::{MAX_SECONDS, MIN_SECONDS, TokenDuration};
use crate::index_url::{IndexUrl, same_index};
use crate::input::{Input, InputName};
use crate::installer_option::{
    IndexMode, InstallerOptionError, merge_inline_modules, merge_installer_option,
};
use crate::job::{
    ADDITIONAL_PYTHON_MODULES, GlueVersion, INSTALLER_OPTION, JobClass, JobCommand, JobDefinition,
    SparkVersion,
};
use crate::preflight::wheel::PythonTarget;
use crate::preflight::{CheckId, Finding};
use crate::run_plan::{IndexPlacement, RunArgument};
use glue_codeartifact_python_env::runtime::{self, JobType, Runtime, RuntimeError};

/// Where a job's pip runs, as far as preflight needs to know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEnvironment {
    /// The job type.
    pub command: JobCommand,
    /// Where the index option goes.
    pub placement: IndexPlacement,
    /// The Python and platform pip installs for.
    pub python: PythonTarget,
    /// The job's row of the runtime table; `None` for a Python shell job on
    /// Python 3.6, which the table does not hold.
    pub runtime: Option<&'static Runtime>,
}

/// What [`job_environment`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentCheck {
    /// The environment, when the job can install modules from an index.
    pub environment: Option<JobEnvironment>,
    /// What was found on the way.
    pub findings: Vec<Finding>,
}

/// The runtime a Spark job on Glue `version` is checked for, from the
/// runtime table ([`runtime::spark`]): the one rule of which Python, glibc
/// and image each Glue version has. A version newer than the table is
/// checked as the newest row, and says so; an older one the table refuses
/// (2.0 and 3.0: Python 3.7, past end of support) is an error.
fn spark_runtime(version: GlueVersion, findings: &mut Vec<Finding>) -> Option<&'static Runtime> {
    match runtime::spark(version) {
        Ok(row) => Some(row),
        Err(RuntimeError::Unsupported { .. }) if version > newest_spark().0 => {
            let (newest, row) = newest_spark();
            findings.push(Finding::info(
                CheckId::JobGlueVersion,
                format!(
                    "Glue {version} is newer than glue-codeartifact's runtime table; packages are checked as for Glue {newest} ({}, {})",
                    row.describe(),
                    row.image
                ),
            ));
            Some(row)
        }
        Err(err) => {
            findings.push(Finding::error(
                CheckId::JobGlueVersion,
                err.to_string(),
                format!("set GlueVersion to one of {}", runtime::supported()),
            ));
            None
        }
    }
}

/// The newest Spark row of the runtime table.
fn newest_spark() -> (GlueVersion, &'static Runtime) {
    runtime::RUNTIMES
        .iter()
        .filter_map(|r| Some((r.glue_version?, r)))
        .filter(|(_, r)| r.job_type == JobType::Spark)
        .max_by_key(|(v, _)| *v)
        .expect("the runtime table has Spark rows")
}

/// Checks the job type and Glue version, and derives where pip runs.
pub fn job_environment(job: &JobDefinition) -> EnvironmentCheck {
    let mut findings = Vec::new();
    let environment = match job.class() {
        JobClass::SparkWithoutPip { version, assumed } => {
            let assumed = if assumed {
                " (no GlueVersion set: Glue's default)"
            } else {
                ""
            };
            findings.push(Finding::error(
                CheckId::JobGlueVersion,
                format!(
                    "the job runs Glue {version}{assumed}, which does not install --additional-python-modules with pip"
                ),
                "set GlueVersion to 2.0 or later (5.0 recommended)",
            ));
            None
        }
        JobClass::Spark { streaming, version } => {
            let version = match version {
                SparkVersion::Known(v) => v,
                SparkVersion::Unreadable(text) => {
                    findings.push(Finding::warning(
                        CheckId::JobGlueVersion,
                        format!(
                            "GlueVersion {text:?} is not a version glue-codeartifact can read; packages are checked as for Glue 5.0"
                        ),
                        "set GlueVersion to 5.0 (or 4.0, 3.0, 2.0)",
                    ));
                    GlueVersion { major: 5, minor: 0 }
                }
            };
            let command = if streaming {
                JobCommand::SparkStreaming
            } else {
                JobCommand::SparkEtl
            };
            let Some(row) = spark_runtime(version, &mut findings) else {
                return EnvironmentCheck {
                    environment: None,
                    findings,
                };
            };
            let (target, image) = (row.python, row.image);
            findings.push(Finding::info(
                CheckId::JobEnvironment,
                format!(
                    "{} job on Glue {version}: pip installs for Python {target} on {image} ({}); the index goes into {INSTALLER_OPTION}",
                    command.name(),
                    target.platform()
                ),
            ));
            if streaming {
                findings.push(Finding::info(
                    CheckId::JobStreaming,
                    "gluestreaming is treated like glueetl: Glue documents --additional-python-modules and the installer option on its Spark ETL pages only",
                ));
            }
            Some(JobEnvironment {
                command,
                placement: IndexPlacement::InstallerOption,
                python: target,
                runtime: Some(row),
            })
        }
        JobClass::PythonShell => python_shell(job, &mut findings),
        JobClass::Ray => {
            findings.push(Finding::error(
                CheckId::JobCommand,
                "the job is a Ray job (glueray): Glue for Ray installs modules with --pip-install and documents no index option",
                "use a glueetl (Spark) or pythonshell job for modules from CodeArtifact",
            ));
            None
        }
        JobClass::Other(name) => {
            findings.push(Finding::error(
                CheckId::JobCommand,
                format!(
                    "the job has command {name:?}; only glueetl, gluestreaming and pythonshell jobs install Python modules with pip"
                ),
                "use a glueetl (Spark) or pythonshell job",
            ));
            None
        }
        JobClass::NoCommand => {
            findings.push(Finding::error(
                CheckId::JobCommand,
                "the job has no Command.Name, so its type is unknown",
                "set Command.Name to glueetl or pythonshell",
            ));
            None
        }
    };
    EnvironmentCheck {
        environment,
        findings,
    }
}

/// Python shell: `PythonVersion` "3.9" is Python 3.9; "3" (and a job
/// without one) is Python shell 3.6, whose support ended on 1 March 2026
/// (Glue guide, "Configuring job properties for Python shell jobs"); "2" is
/// long gone. Python shell workers' glibc is not documented.
fn python_shell(job: &JobDefinition, findings: &mut Vec<Finding>) -> Option<JobEnvironment> {
    let inline = "the installer option is not supported there, so the index goes inline into --additional-python-modules";
    let environment = |runtime: Option<&'static Runtime>| JobEnvironment {
        command: JobCommand::PythonShell,
        placement: IndexPlacement::InlineModules,
        // Python shell 3.6 is not in the runtime table (its support ended).
        python: runtime.map_or_else(|| PythonTarget::cpython3(6, None), |r| r.python),
        runtime,
    };
    match job.python_version.as_deref().map(str::trim) {
        Some("3.9") => {
            findings.push(Finding::info(
                CheckId::JobPythonShell,
                format!("Python shell job on Python 3.9: {inline}"),
            ));
            // Both library sets share the Python; doctor reads no more of the row.
            Some(environment(runtime::python_shell(Some("3.9"), None).ok()))
        }
        Some("2") => {
            findings.push(Finding::error(
                CheckId::JobPythonShell,
                "the Python shell job runs Python 2 (PythonVersion 2), which Glue no longer supports",
                "set the job's PythonVersion to 3.9",
            ));
            None
        }
        other => {
            let shown = other.map_or_else(
                || "no PythonVersion set".to_owned(),
                |v| format!("PythonVersion {v:?}"),
            );
            findings.push(Finding::warning(
                CheckId::JobPythonShell,
                format!(
                    "the Python shell job runs Python 3.6 ({shown}), whose support in Glue ended on 1 March 2026; {inline}"
                ),
                "set the job's PythonVersion to 3.9",
            ));
            Some(environment(None))
        }
    }
}

/// Keys a run must set but Glue would silently ignore.
///
/// `name` names the inputs to fix, as the shell showing the findings does.
pub fn check_overridable(
    job: &JobDefinition,
    placement: IndexPlacement,
    run_arguments: &[RunArgument],
    name: InputName,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let args = name(Input::RunArguments);
    let key = placement.key();
    if job.non_overridable_arguments.contains_key(key) {
        findings.push(
            Finding::error(
                CheckId::ArgumentNonOverridable,
                format!(
                    "{key} is in the job's NonOverridableArguments, so Glue would silently ignore the index option a run passes"
                ),
                format!("move {key} from NonOverridableArguments to DefaultArguments"),
            )
            .about(key),
        );
    }
    let mut reported: Vec<&str> = vec![key];
    for arg in run_arguments {
        if job.non_overridable_arguments.contains_key(&arg.key)
            && !reported.contains(&arg.key.as_str())
        {
            reported.push(&arg.key);
            findings.push(
                Finding::error(
                    CheckId::ArgumentNonOverridable,
                    format!(
                        "{} is in the job's NonOverridableArguments, so Glue would silently ignore the {} given in {args}",
                        arg.key, arg.key
                    ),
                    format!("drop {} from {args}, or make it overridable", arg.key),
                )
                .about(arg.key.clone()),
            );
        }
    }
    findings
}

/// `--no-index`, and index options ours would replace or keep.
///
/// `ours` is the repository's index URL when it is known (the endpoint was
/// read); it tells a stale token for the same repository (refresh mode
/// leaves one) from another index. `name` names the inputs to fix, as the
/// shell showing the findings does.
pub fn check_index_options(
    job: &JobDefinition,
    placement: IndexPlacement,
    run_arguments: &[RunArgument],
    mode: IndexMode,
    ours: Option<&IndexUrl>,
    name: InputName,
) -> Vec<Finding> {
    let key = placement.key();
    let Some(existing) = job.effective_argument(run_arguments, key) else {
        return Vec::new();
    };
    // Only the shape of the options matters here: a placeholder stands in
    // for an index we could not read.
    let placeholder;
    let index = match ours {
        Some(index) => index,
        None => {
            placeholder = IndexUrl::build(
                "https://repository.invalid/pypi/unknown/",
                &crate::secret::AuthToken::new("preflight"),
                crate::index_url::PackageFormat::Pypi,
            )
            .expect("a valid placeholder URL");
            &placeholder
        }
    };
    let merge = |mode| match placement {
        IndexPlacement::InstallerOption => merge_installer_option(existing, mode, index),
        IndexPlacement::InlineModules => merge_inline_modules(existing, mode, index),
    };
    // In index-url mode every index-url goes; extra mode keeps foreign ones.
    let all_index_urls = match merge(IndexMode::IndexUrl) {
        Ok(merged) => merged.replaced,
        Err(InstallerOptionError::NoIndex) => {
            return vec![
                Finding::error(
                    CheckId::InstallerOptionNoIndex,
                    format!(
                        "{key} holds --no-index, so pip would ignore every index, CodeArtifact included"
                    ),
                    format!(
                        "remove --no-index from {key} (Glue 5.0's zip-of-wheels installs are the one use for it)"
                    ),
                )
                .about(key),
            ];
        }
        Err(InstallerOptionError::Unparsable) => {
            return vec![
                Finding::error(
                    CheckId::InstallerOptionUnparsable,
                    format!("{key} does not split into shell words (an unbalanced quote?), so it cannot be merged"),
                    format!("balance the quotes in the job's {key}"),
                )
                .about(key),
            ];
        }
        Err(InstallerOptionError::DanglingOption(option)) => {
            return vec![
                Finding::error(
                    CheckId::InstallerOptionUnparsable,
                    format!("{key} ends with {option}, which takes a value and has none, so pip would read the index option as its value"),
                    format!("give {option} its value, or remove it from the job's {key}"),
                )
                .about(key),
            ];
        }
    };
    let mut findings = Vec::new();
    for option in &all_index_urls {
        let url = option_url(option);
        let is_ours = ours.is_some_and(|o| same_index(o.without_credentials(), url));
        let finding = if is_ours {
            Finding::info(
                CheckId::InstallerOptionIndexUrl,
                format!(
                    "{key} holds an index option for this repository with an older token ({option}); a run replaces it"
                ),
            )
        } else if mode == IndexMode::IndexUrl {
            Finding::warning(
                CheckId::InstallerOptionIndexUrl,
                format!(
                    "{key} names another index ({option}); in index-url mode a run replaces it, so pip uses CodeArtifact only"
                ),
                format!(
                    "let CodeArtifact proxy that index through an upstream, or set {} to extra-index-url to keep it",
                    name(Input::Mode)
                ),
            )
        } else {
            Finding::info(
                CheckId::InstallerOptionIndexUrl,
                format!(
                    "{key} names another index ({option}); in extra-index-url mode it stays pip's primary index and CodeArtifact is searched too"
                ),
            )
        };
        findings.push(finding.about(key));
    }
    findings
}

/// Minutes added to a run's worst case for the start-up before pip runs
/// (queueing, worker provisioning, the pip install itself).
pub const STARTUP_MARGIN_MINUTES: u64 = 10;
/// Glue's timeout when a batch job (glueetl, pythonshell) sets none: 2880
/// minutes, 48 hours (API reference, `Job.Timeout`).
pub const DEFAULT_TIMEOUT_MINUTES: u32 = 2880;

/// Whether the token outlives every pip install a run may make.
///
/// Glue retries a failed run with the same arguments, and pip runs wherever
/// a worker starts: at the start of each attempt, and on executors that
/// join later (auto scaling, replaced workers). So the token must live for
/// `Timeout × (MaxRetries + 1)` plus [`STARTUP_MARGIN_MINUTES`]. A job
/// without `Timeout` has Glue's default, [`DEFAULT_TIMEOUT_MINUTES`]; a
/// streaming job without one runs until stopped. `name` names the duration
/// as the shell showing the finding does.
pub fn check_token_life(job: &JobDefinition, duration: TokenDuration, name: InputName) -> Finding {
    let duration_input = name(Input::Duration);
    let streaming = job.command == Some(JobCommand::SparkStreaming);
    let attempts = u64::from(job.max_retries.unwrap_or(0)) + 1;
    let timeout = match (job.timeout_minutes, streaming) {
        (Some(t), _) if t > 0 => Some((u64::from(t), "")),
        (_, true) => None,
        _ => Some((u64::from(DEFAULT_TIMEOUT_MINUTES), " (Glue's default)")),
    };
    let max_minutes = MAX_SECONDS / 60;
    let Some((timeout, default_note)) = timeout else {
        return Finding::warning(
            CheckId::TokenLife,
            "the streaming job has no Timeout and runs until stopped; workers that start later need the index after any token has expired",
            "use refresh mode (`glue-codeartifact refresh` on a schedule) so that the job always holds a live token",
        );
    };
    let needed = timeout * attempts + STARTUP_MARGIN_MINUTES;
    let worst = format!(
        "Timeout {}{default_note} × {attempts} attempt{} (MaxRetries {}) + {}m start-up = {}",
        minutes(timeout),
        if attempts == 1 { "" } else { "s" },
        attempts - 1,
        STARTUP_MARGIN_MINUTES,
        minutes(needed)
    );
    let suggestion = minutes(needed.max(MIN_SECONDS / 60));
    let beyond_max_fix = || {
        let longest_timeout = (max_minutes - STARTUP_MARGIN_MINUTES) / attempts;
        format!(
            "set the job's Timeout to at most {longest_timeout} minutes, or use refresh mode (`glue-codeartifact refresh` on a schedule)"
        )
    };
    if duration.is_caller_credentials() {
        let fix = if needed <= max_minutes {
            format!("set {duration_input} to an explicit {suggestion}")
        } else {
            format!("set {duration_input} to 12h and {}", beyond_max_fix())
        };
        return Finding::warning(
            CheckId::TokenLife,
            format!(
                "a token duration of 0 makes the token live as long as the caller's credentials, which glue-codeartifact cannot see; a run may need it for {worst}"
            ),
            fix,
        );
    }
    let have = duration.as_secs() / 60;
    if needed > max_minutes {
        Finding::warning(
            CheckId::TokenLife,
            format!(
                "a run may need the index for {worst}, longer than the 12h a CodeArtifact token can live"
            ),
            beyond_max_fix(),
        )
    } else if have < needed {
        Finding::warning(
            CheckId::TokenLife,
            format!(
                "the token lives {}, but a run may need the index for {worst}",
                minutes(have)
            ),
            format!("set {duration_input} to {suggestion}"),
        )
    } else {
        let finding = Finding::info(
            CheckId::TokenLife,
            format!("the token lives {}, enough for {worst}", minutes(have)),
        );
        // A token reads (or publishes) whatever its minter may: keep it short.
        let snug = needed.max(MIN_SECONDS / 60).div_ceil(15) * 15;
        if have > snug {
            finding.with_fix(format!(
                "optional: set {duration_input} to {}, which is enough, and a shorter-lived token is a smaller risk",
                minutes(snug)
            ))
        } else {
            finding
        }
    }
}

/// The URL of an index option as [`merge_installer_option`] reports it:
/// `--index-url URL`, `--index-url=URL`, `-i URL`, `-iURL`, `-Ui URL`.
fn option_url(option: &str) -> &str {
    let last = option.rsplit(' ').next().unwrap_or_default();
    if last.starts_with("--") {
        last.split_once('=').map_or(last, |(_, url)| url)
    } else if let Some(cluster) = last.strip_prefix('-') {
        cluster.split_once('i').map_or(last, |(_, url)| url)
    } else {
        last
    }
}

/// `1h10m`, `45m`, `48h`: a form `--duration` accepts.
fn minutes(total: u64) -> String {
    match (total / 60, total % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// `--additional-python-modules` as a run would see it, or a finding that
/// it is missing.
pub fn modules_value<'a>(
    job: &'a JobDefinition,
    run_arguments: &'a [RunArgument],
) -> Result<&'a str, Finding> {
    job.effective_argument(run_arguments, ADDITIONAL_PYTHON_MODULES)
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| {
            Finding::error(
                CheckId::ModulesMissing,
                "the job has no --additional-python-modules, so a run would install nothing from CodeArtifact",
                "add --additional-python-modules to the job's DefaultArguments (or pass --arg --additional-python-modules=NAME==VERSION)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the inputs as the CLI does (its own naming lives in the CLI).
    fn flag(input: Input) -> String {
        match input {
            Input::Duration => "--duration".to_owned(),
            Input::Mode => "--mode".to_owned(),
            Input::RunArguments => "--arg".to_owned(),
            other => other.plain(),
        }
    }
    use crate::index_url::PackageFormat;
    use crate::preflight::Severity;
    use crate::secret::AuthToken;
    use proptest::prelude::*;

    fn job(command: JobCommand, glue: Option<&str>) -> JobDefinition {
        JobDefinition {
            name: "j".into(),
            command: Some(command),
            glue_version: glue.map(str::to_owned),
            ..Default::default()
        }
    }

    fn checks(findings: &[Finding]) -> Vec<(CheckId, Severity)> {
        findings.iter().map(|f| (f.check, f.severity)).collect()
    }

    #[test]
    fn spark_versions_map_to_python_by_the_runtime_table() {
        for (glue, python, glibc) in [
            ("4.0", "3.10", (2, 26)),
            ("5.0", "3.11", (2, 34)),
            ("5.1", "3.11", (2, 34)),
            ("6.0", "3.13", (2, 34)),
        ] {
            let check = job_environment(&job(JobCommand::SparkEtl, Some(glue)));
            let env = check.environment.unwrap();
            assert_eq!(env.python.to_string(), python, "{glue}");
            assert_eq!(env.python.glibc, Some(glibc), "{glue}");
            assert_eq!(env.placement, IndexPlacement::InstallerOption);
            let row = env.runtime.unwrap();
            assert_eq!(row.python, env.python, "one rule: the table's row");
            assert_eq!(row.glue_version.unwrap().to_string(), glue);
            assert_eq!(
                checks(&check.findings),
                [(CheckId::JobEnvironment, Severity::Info)]
            );
        }
        // Newer than the table: checked as its newest row, and said so.
        let check = job_environment(&job(JobCommand::SparkEtl, Some("7.0")));
        assert_eq!(check.environment.unwrap().python.minor, 13);
        assert_eq!(check.findings[0].check, CheckId::JobGlueVersion);
        assert_eq!(check.findings[0].severity, Severity::Info);
        assert!(
            check.findings[0].cause.contains("Glue 6.0"),
            "{:?}",
            check.findings
        );
        // What the table refuses is an error naming why.
        for (glue, cause) in [("2.0", "Python 3.7"), ("3.0", "Python 3.7"), ("4.5", "4.5")] {
            let check = job_environment(&job(JobCommand::SparkEtl, Some(glue)));
            assert_eq!(check.environment, None, "{glue}");
            assert_eq!(
                checks(&check.findings),
                [(CheckId::JobGlueVersion, Severity::Error)],
                "{glue}"
            );
            assert!(
                check.findings[0].cause.contains(cause),
                "{:?}",
                check.findings
            );
        }
    }

    #[test]
    fn old_or_missing_glue_versions_are_errors() {
        for glue in [Some("1.0"), Some("0.9"), None] {
            let check = job_environment(&job(JobCommand::SparkEtl, glue));
            assert_eq!(check.environment, None);
            assert_eq!(
                checks(&check.findings),
                [(CheckId::JobGlueVersion, Severity::Error)]
            );
        }
        let check = job_environment(&job(JobCommand::SparkEtl, None));
        assert!(
            check.findings[0]
                .cause
                .contains("Glue 0.9 (no GlueVersion set")
        );
        let check = job_environment(&job(JobCommand::SparkEtl, Some("latest")));
        assert_eq!(check.findings[0].severity, Severity::Warning);
        assert!(check.environment.is_some());
    }

    #[test]
    fn streaming_shell_ray_and_others() {
        let check = job_environment(&job(JobCommand::SparkStreaming, Some("4.0")));
        assert_eq!(
            checks(&check.findings),
            [
                (CheckId::JobEnvironment, Severity::Info),
                (CheckId::JobStreaming, Severity::Info)
            ]
        );

        let mut shell = job(JobCommand::PythonShell, Some("3.0"));
        shell.python_version = Some("3.9".into());
        let check = job_environment(&shell);
        let env = check.environment.unwrap();
        assert_eq!((env.python.minor, env.python.glibc), (9, None));
        assert_eq!(env.placement, IndexPlacement::InlineModules);
        assert_eq!(
            checks(&check.findings),
            [(CheckId::JobPythonShell, Severity::Info)]
        );
        assert!(check.findings[0].cause.contains("inline"));

        for version in [Some("3"), None] {
            shell.python_version = version.map(str::to_owned);
            let check = job_environment(&shell);
            assert_eq!(check.environment.unwrap().python.minor, 6);
            assert_eq!(
                checks(&check.findings),
                [(CheckId::JobPythonShell, Severity::Warning)]
            );
        }
        shell.python_version = Some("2".into());
        assert_eq!(job_environment(&shell).environment, None);

        for command in [JobCommand::Ray, JobCommand::Other("gluefoo".into())] {
            let check = job_environment(&job(command, Some("4.0")));
            assert_eq!(check.environment, None);
            assert_eq!(
                checks(&check.findings),
                [(CheckId::JobCommand, Severity::Error)]
            );
        }
        let mut none = job(JobCommand::SparkEtl, Some("4.0"));
        none.command = None;
        assert_eq!(
            job_environment(&none).findings[0].check,
            CheckId::JobCommand
        );
    }

    #[test]
    fn non_overridable_keys() {
        let mut j = job(JobCommand::SparkEtl, Some("5.0"));
        assert!(check_overridable(&j, IndexPlacement::InstallerOption, &[], flag).is_empty());
        j.non_overridable_arguments
            .insert(INSTALLER_OPTION.into(), "--upgrade".into());
        j.non_overridable_arguments
            .insert("--env".into(), "prod".into());
        let args: Vec<RunArgument> = vec!["--env=dev".parse().unwrap(), "--env=x".parse().unwrap()];
        let findings = check_overridable(&j, IndexPlacement::InstallerOption, &args, flag);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].subject.as_deref(), Some(INSTALLER_OPTION));
        assert!(
            findings[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("DefaultArguments")
        );
        assert_eq!(findings[1].subject.as_deref(), Some("--env"));
        // Python shell jobs need --additional-python-modules overridable.
        let mut shell = job(JobCommand::PythonShell, None);
        shell
            .non_overridable_arguments
            .insert(ADDITIONAL_PYTHON_MODULES.into(), "a".into());
        assert_eq!(
            check_overridable(&shell, IndexPlacement::InlineModules, &[], flag).len(),
            1
        );
        assert!(check_overridable(&shell, IndexPlacement::InstallerOption, &[], flag).is_empty());
    }

    fn ours() -> IndexUrl {
        IndexUrl::build(
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/",
            &AuthToken::new("NEW"),
            PackageFormat::Pypi,
        )
        .unwrap()
    }

    fn options(value: &str, mode: IndexMode, known: bool) -> Vec<Finding> {
        let j = JobDefinition {
            default_arguments: [(INSTALLER_OPTION.to_owned(), value.to_owned())].into(),
            ..job(JobCommand::SparkEtl, Some("5.0"))
        };
        let index = ours();
        check_index_options(
            &j,
            IndexPlacement::InstallerOption,
            &[],
            mode,
            known.then_some(&index),
            flag,
        )
    }

    #[test]
    fn index_option_conflicts() {
        assert!(options("--upgrade", IndexMode::IndexUrl, true).is_empty());
        let f = options("--upgrade --no-index", IndexMode::IndexUrl, true);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionNoIndex, Severity::Error)]
        );
        let f = options("'unbalanced", IndexMode::ExtraIndexUrl, false);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionUnparsable, Severity::Error)]
        );

        let foreign = "--index-url https://mirror.example/simple/";
        let f = options(foreign, IndexMode::IndexUrl, true);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionIndexUrl, Severity::Warning)]
        );
        assert!(f[0].cause.contains("mirror.example"), "{}", f[0].cause);
        assert!(f[0].cause.contains("replaces"), "{}", f[0].cause);
        let f = options(foreign, IndexMode::ExtraIndexUrl, true);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionIndexUrl, Severity::Info)]
        );
        assert!(f[0].cause.contains("stays pip's primary"), "{}", f[0].cause);
        let f = options(
            "-i https://mirror.example/simple/",
            IndexMode::IndexUrl,
            false,
        );
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionIndexUrl, Severity::Warning)]
        );

        let stale = "--extra-index-url=https://aws:OLDTOKEN@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/";
        for mode in [IndexMode::IndexUrl, IndexMode::ExtraIndexUrl] {
            let f = options(stale, mode, true);
            assert_eq!(
                checks(&f),
                [(CheckId::InstallerOptionIndexUrl, Severity::Info)]
            );
            assert!(f[0].cause.contains("older token"), "{}", f[0].cause);
            assert!(!f[0].cause.contains("OLDTOKEN"), "redacted: {}", f[0].cause);
        }
        let stale_index = "--index-url=https://aws:OLDTOKEN@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/";
        let f = options(stale_index, IndexMode::ExtraIndexUrl, true);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionIndexUrl, Severity::Info)]
        );
        assert!(f[0].cause.contains("older token"), "{}", f[0].cause);
    }

    #[test]
    fn inline_options_of_python_shell() {
        let j = JobDefinition {
            default_arguments: [(
                ADDITIONAL_PYTHON_MODULES.to_owned(),
                "a==1 --no-index --find-links /w".to_owned(),
            )]
            .into(),
            ..job(JobCommand::PythonShell, None)
        };
        let f = check_index_options(
            &j,
            IndexPlacement::InlineModules,
            &[],
            IndexMode::IndexUrl,
            None,
            flag,
        );
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionNoIndex, Severity::Error)]
        );
    }

    fn judge(timeout: Option<u32>, retries: u32, duration: &str) -> Finding {
        let j = JobDefinition {
            timeout_minutes: timeout,
            max_retries: Some(retries),
            ..job(JobCommand::SparkEtl, Some("5.0"))
        };
        check_token_life(&j, duration.parse().unwrap(), flag)
    }

    #[test]
    fn token_life() {
        let f = judge(Some(30), 1, "1h");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.cause.contains("= 1h10m"), "{}", f.cause);
        assert_eq!(f.fix.as_deref(), Some("set --duration to 1h10m"));

        let f = judge(Some(30), 1, "2h");
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("set --duration to 1h15m"),
            "{:?}",
            f.fix
        );
        assert_eq!(option_url("--index-url=https://h/s/"), "https://h/s/");
        assert_eq!(option_url("-Uihttps://h/s/"), "https://h/s/");
        assert_eq!(option_url("-i https://h/s/"), "https://h/s/");
    }

    #[test]
    fn token_life_cases() {
        let f = judge(Some(30), 1, "1h15m");
        assert_eq!((f.severity, f.fix.as_deref()), (Severity::Info, None));
        let f = judge(Some(30), 1, "12h");
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.fix
                .as_deref()
                .unwrap()
                .contains("set --duration to 1h15m")
        );
        // Short jobs still need the 15 minutes AWS minimum.
        let f = judge(Some(1), 0, "15m");
        assert_eq!((f.severity, f.fix.as_deref()), (Severity::Info, None));
        // Glue's default Timeout is 48h: past what a token can live.
        let f = judge(None, 0, "12h");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.cause.contains("48h (Glue's default)"), "{}", f.cause);
        assert!(f.fix.as_deref().unwrap().contains("refresh"), "{:?}", f.fix);
        assert!(
            f.fix.as_deref().unwrap().contains("at most 710 minutes"),
            "{:?}",
            f.fix
        );
        let f = judge(Some(300), 2, "12h");
        assert!(
            f.fix.as_deref().unwrap().contains("at most 236 minutes"),
            "{:?}",
            f.fix
        );
        // 0: unknown to us.
        let f = judge(Some(30), 0, "0");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.cause.contains("cannot see"), "{}", f.cause);
        assert_eq!(f.fix.as_deref(), Some("set --duration to an explicit 40m"));
        // Streaming without a timeout runs until stopped.
        let mut j = job(JobCommand::SparkStreaming, Some("4.0"));
        j.max_retries = Some(0);
        let f = check_token_life(&j, TokenDuration::MAX, flag);
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.fix.as_deref().unwrap().contains("refresh"));
        j.timeout_minutes = Some(60);
        assert_eq!(
            check_token_life(&j, TokenDuration::MAX, flag).severity,
            Severity::Info
        );
    }

    #[test]
    fn modules_value_follows_glue_precedence() {
        let mut j = job(JobCommand::SparkEtl, Some("5.0"));
        assert_eq!(
            modules_value(&j, &[]).unwrap_err().check,
            CheckId::ModulesMissing
        );
        j.default_arguments
            .insert(ADDITIONAL_PYTHON_MODULES.into(), "default".into());
        let args: Vec<RunArgument> = vec!["--additional-python-modules=run".parse().unwrap()];
        assert_eq!(modules_value(&j, &args).unwrap(), "run");
        j.non_overridable_arguments
            .insert(ADDITIONAL_PYTHON_MODULES.into(), "fixed".into());
        assert_eq!(modules_value(&j, &args).unwrap(), "fixed");
        j.non_overridable_arguments
            .insert(ADDITIONAL_PYTHON_MODULES.into(), "  ".into());
        assert!(modules_value(&j, &args).is_err());
    }

    proptest! {
        #[test]
        fn token_life_warns_exactly_when_short(
            timeout in 1u32..3000, retries in 0u32..4,
            secs in prop_oneof![Just(0u64), 900u64..=43_200],
        ) {
            let j = JobDefinition {
                timeout_minutes: Some(timeout),
                max_retries: Some(retries),
                ..job(JobCommand::SparkEtl, Some("5.0"))
            };
            let duration = TokenDuration::from_secs(secs).unwrap();
            let f = check_token_life(&j, duration, flag);
            let needed = u64::from(timeout) * u64::from(retries + 1) + STARTUP_MARGIN_MINUTES;
            let short = secs == 0 || secs / 60 < needed;
            prop_assert_eq!(f.severity == Severity::Warning, short);
            prop_assert_eq!(f.severity == Severity::Info, !short);
            if short {
                let fix = f.fix.unwrap();
                if needed > MAX_SECONDS / 60 {
                    prop_assert!(fix.contains("refresh"));
                } else {
                    // The duration suggested is one --duration accepts and that covers the need.
                    let suggested = fix.rsplit(' ').next().unwrap();
                    let d: TokenDuration = suggested.parse().unwrap();
                    prop_assert!(d.as_secs() / 60 >= needed);
                }
            }
        }
    }
}
