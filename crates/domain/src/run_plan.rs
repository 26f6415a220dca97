//! Where the run's arguments are planned.
//!
//! Glue merges a run's `Arguments` over the job's `DefaultArguments` one key
//! at a time, and the job's `NonOverridableArguments` over both. So a run
//! sends only the keys it changes: the merged index option, plus the user's
//! own `--arg`s. A key in `NonOverridableArguments` cannot be changed by a
//! run — Glue ignores the override silently — so that is an error here.

use std::{collections::BTreeMap, str::FromStr};

use crate::index_url::IndexUrl;
use crate::input::{Input, InputName};
use crate::installer_option::{
    IndexMode, InstallerOptionError, Merged, merge_inline_modules, merge_installer_option,
};
use crate::job::{ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION, JobClass, JobDefinition};
use crate::secret::SecretText;

/// Arguments Glue uses internally and documents as "never set"
/// (Glue guide, "Using job parameters in AWS Glue jobs").
pub const RESERVED_ARGUMENTS: [&str; 5] =
    ["--conf", "--debug", "--mode", "--JOB_NAME", "--endpoint"];

/// The most a run's `Arguments` may hold, in bytes of keys and values:
/// "Job arguments have a maximum size limit of 260KB. A validation check will
/// raise an error if the argument size is greater than 260KB" (Glue guide,
/// "Using job parameters in AWS Glue jobs"). Whether KB means 1000 or 1024
/// bytes, and whether the job's defaults count too, is not documented; this
/// takes the larger reading and counts what a run sends, so that nothing
/// Glue accepts is refused here. A map between the two readings would reach
/// Glue and be refused there (a ValidationException, no run started).
pub const MAX_ARGUMENTS_BYTES: usize = 260 * 1024;

/// The size of an argument map as [`MAX_ARGUMENTS_BYTES`] counts it: the
/// UTF-8 bytes of every key and value.
pub fn arguments_size<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> usize {
    pairs.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The user's own run arguments, checked against [`MAX_ARGUMENTS_BYTES`]
/// before any AWS call (the plan checks the whole map again, with the
/// merged index option).
pub fn check_arguments_size(arguments: &[RunArgument]) -> Result<(), RunArgumentError> {
    let bytes = arguments_size(arguments.iter().map(|a| (a.key.as_str(), a.value.as_str())));
    if bytes > MAX_ARGUMENTS_BYTES {
        return Err(RunArgumentError::TooLarge { bytes });
    }
    Ok(())
}

/// One `--arg KEY=VALUE` for the run (defined with the job model).
pub use crate::job::{IndexPlacement, RunArgument};

/// Why a `--arg` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunArgumentError {
    /// No `=` between key and value.
    #[error("{}", self.message(Input::plain))]
    MissingEquals {
        /// What the user wrote, cut to the key part.
        text: String,
    },
    /// The key does not start with `--`.
    #[error("{}", self.message(Input::plain))]
    NotDashed {
        /// The key.
        key: String,
    },
    /// The key is empty after `--` or has whitespace or control characters.
    #[error(
        "argument key {key:?} is not a valid Glue argument name (empty, or with spaces or control characters)"
    )]
    InvalidKey {
        /// The key.
        key: String,
    },
    /// The key is one Glue uses internally.
    #[error(
        "argument {key} is used by Glue internally and must never be set (see \"Using job parameters in AWS Glue jobs\")"
    )]
    Reserved {
        /// The key.
        key: String,
    },
    /// The arguments together exceed Glue's limit.
    #[error(
        "the run arguments hold {bytes} bytes of keys and values, more than Glue's limit of {MAX_ARGUMENTS_BYTES} (260 KB); pass large values another way (an S3 object the job reads)"
    )]
    TooLarge {
        /// Their size.
        bytes: usize,
    },
}

impl RunArgumentError {
    /// The message, with the run arguments named by `name` (a shell's).
    pub fn message(&self, name: InputName) -> String {
        let args = name(Input::RunArguments);
        match self {
            RunArgumentError::MissingEquals { text } => format!(
                "argument {text:?} has no `=`; give {args} as KEY=VALUE, e.g. --day=2024-01-31"
            ),
            RunArgumentError::NotDashed { key } => format!(
                "argument key {key:?} must start with `--`, as Glue job arguments do; write the key as --{key} (in {args})"
            ),
            other => other.to_string(),
        }
    }
}

impl FromStr for RunArgument {
    type Err = RunArgumentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((key, value)) = text.split_once('=') else {
            // Never echo a whole value: cut at the first space.
            let shown = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .chars()
                .take(64)
                .collect();
            return Err(RunArgumentError::MissingEquals { text: shown });
        };
        let Some(name) = key.strip_prefix("--") else {
            return Err(RunArgumentError::NotDashed {
                key: key.to_owned(),
            });
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RunArgumentError::InvalidKey {
                key: key.to_owned(),
            });
        }
        if RESERVED_ARGUMENTS.contains(&key) {
            return Err(RunArgumentError::Reserved {
                key: key.to_owned(),
            });
        }
        Ok(RunArgument {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Why a run cannot be planned for a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The key we must set is non-overridable.
    #[error(
        "job {job:?} has {key} in NonOverridableArguments, so Glue would silently ignore the index URL a run passes; move {key} from NonOverridableArguments to DefaultArguments"
    )]
    NonOverridable {
        /// The job.
        job: String,
        /// The key.
        key: String,
    },
    /// A user `--arg` is non-overridable.
    #[error("{}", self.message(Input::plain))]
    ArgumentNotOverridable {
        /// The job.
        job: String,
        /// The key.
        key: String,
    },
    /// A Ray job.
    #[error(
        "job {job:?} is a Ray job (glueray); Glue for Ray installs modules with --pip-install and documents no index option, so it is not supported"
    )]
    RayNotSupported {
        /// The job.
        job: String,
    },
    /// An unknown command name.
    #[error(
        "job {job:?} has command {command:?}; only glueetl, gluestreaming and pythonshell jobs install Python modules with pip"
    )]
    UnsupportedCommand {
        /// The job.
        job: String,
        /// `Command.Name`.
        command: String,
    },
    /// A Spark job on a Glue version without pip installs.
    #[error(
        "job {job:?} runs Glue {version}{assumed}, which does not install --additional-python-modules with pip; set GlueVersion to 2.0 or later (5.0 recommended)"
    )]
    GlueVersionTooOld {
        /// The job.
        job: String,
        /// The version.
        version: String,
        /// Set when the job has no version and Glue's default applies.
        assumed: &'static str,
    },
    /// No modules to install.
    #[error("{}", self.message(Input::plain))]
    NoModules {
        /// The job.
        job: String,
    },
    /// The run's arguments, the merged index option included, exceed
    /// Glue's limit.
    #[error("{}", self.message(Input::plain))]
    ArgumentsTooLarge {
        /// The job.
        job: String,
        /// The argument that carries the index option.
        key: String,
        /// The size.
        bytes: usize,
    },
    /// The existing option value cannot be merged.
    #[error("the {key} of job {job:?} cannot be merged: {reason}; fix the job's {key}")]
    Option {
        /// The job.
        job: String,
        /// The argument.
        key: String,
        /// What is wrong.
        reason: InstallerOptionError,
    },
}

impl PlanError {
    /// The message, with the inputs to fix named by `name` (a shell's).
    pub fn message(&self, name: InputName) -> String {
        let args = name(Input::RunArguments);
        match self {
            PlanError::ArgumentNotOverridable { job, key } => format!(
                "job {job:?} has {key} in NonOverridableArguments, so Glue would silently ignore the {key} given in {args}; drop it from {args} or make {key} overridable"
            ),
            PlanError::NoModules { job } => format!(
                "job {job:?} has no {ADDITIONAL_PYTHON_MODULES}, so nothing would be installed from CodeArtifact; add it to the job's DefaultArguments or set {ADDITIONAL_PYTHON_MODULES}=NAME==VERSION in {args}"
            ),
            PlanError::ArgumentsTooLarge { job, key, bytes } => format!(
                "the run of job {job:?} would send {bytes} bytes of arguments (keys and values, the merged {key} included), more than Glue's limit of {MAX_ARGUMENTS_BYTES} (260 KB); nothing was started. Shorten the values in {args} or the job's {key}"
            ),
            other => other.to_string(),
        }
    }
}

/// The arguments of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunPlan {
    /// The arguments to send with `StartJobRun`. Formatting redacts the token.
    pub arguments: BTreeMap<String, SecretText>,
    /// Where the index option went.
    pub placement: IndexPlacement,
    /// Index options that were removed from the job's value (redacted).
    pub replaced: Vec<String>,
}

impl RunPlan {
    /// The argument keys the run sets.
    pub fn keys(&self) -> Vec<String> {
        self.arguments.keys().cloned().collect()
    }

    /// The arguments with the token redacted: safe to print.
    pub fn redacted_arguments(&self) -> BTreeMap<String, String> {
        self.arguments
            .iter()
            .map(|(k, v)| (k.clone(), v.redacted().to_owned()))
            .collect()
    }

    /// The arguments as sent to Glue, token included.
    pub fn expose_arguments(&self) -> BTreeMap<String, String> {
        self.arguments
            .iter()
            .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
            .collect()
    }
}

/// Plans the arguments of one run of `job`.
pub fn plan_run(
    job: &JobDefinition,
    run_arguments: &[RunArgument],
    mode: IndexMode,
    index: &IndexUrl,
) -> Result<RunPlan, PlanError> {
    let name = || job.name.clone();
    let placement = match job.class() {
        JobClass::Spark { .. } => IndexPlacement::InstallerOption,
        JobClass::PythonShell => IndexPlacement::InlineModules,
        JobClass::SparkWithoutPip { version, assumed } => {
            return Err(PlanError::GlueVersionTooOld {
                job: name(),
                version: match (&job.glue_version, assumed) {
                    (Some(text), false) => text.clone(),
                    _ => version.to_string(),
                },
                assumed: if assumed {
                    " (no GlueVersion set, so Glue's default)"
                } else {
                    ""
                },
            });
        }
        JobClass::Ray => return Err(PlanError::RayNotSupported { job: name() }),
        JobClass::Other(command) => {
            return Err(PlanError::UnsupportedCommand {
                job: name(),
                command,
            });
        }
        JobClass::NoCommand => {
            return Err(PlanError::UnsupportedCommand {
                job: name(),
                command: String::new(),
            });
        }
    };
    let key = placement.key();
    if job.non_overridable_arguments.contains_key(key) {
        return Err(PlanError::NonOverridable {
            job: name(),
            key: key.to_owned(),
        });
    }
    if let Some(arg) = run_arguments
        .iter()
        .find(|a| job.non_overridable_arguments.contains_key(&a.key))
    {
        return Err(PlanError::ArgumentNotOverridable {
            job: name(),
            key: arg.key.clone(),
        });
    }
    // What the run would see without us (Glue's order, the job model's rule).
    let effective = |k: &str| job.effective_argument(run_arguments, k);
    let modules = effective(ADDITIONAL_PYTHON_MODULES).filter(|m| !m.trim().is_empty());
    let Some(modules) = modules else {
        return Err(PlanError::NoModules { job: name() });
    };
    let merged: Merged = match placement {
        IndexPlacement::InstallerOption => {
            merge_installer_option(effective(INSTALLER_OPTION).unwrap_or(""), mode, index)
        }
        IndexPlacement::InlineModules => merge_inline_modules(modules, mode, index),
    }
    .map_err(|reason| PlanError::Option {
        job: name(),
        key: key.to_owned(),
        reason,
    })?;
    let mut arguments: BTreeMap<String, SecretText> = run_arguments
        .iter()
        .map(|a| {
            // The user's own values may hold other URLs' passwords: shown
            // redacted, sent as they are.
            let shown = crate::secret::redact_word(&a.value);
            (a.key.clone(), SecretText::new(a.value.clone(), shown))
        })
        .collect();
    arguments.insert(key.to_owned(), merged.value);
    let bytes = arguments_size(
        arguments
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret())),
    );
    if bytes > MAX_ARGUMENTS_BYTES {
        return Err(PlanError::ArgumentsTooLarge {
            job: name(),
            key: key.to_owned(),
            bytes,
        });
    }
    Ok(RunPlan {
        arguments,
        placement,
        replaced: merged.replaced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index_url::PackageFormat;
    use crate::job::JobCommand;
    use crate::secret::AuthToken;

    fn index() -> IndexUrl {
        IndexUrl::build(
            "http://127.0.0.1:9/acme-1/pypi/r/",
            &AuthToken::new("TOKEN"),
            PackageFormat::Pypi,
        )
        .unwrap()
    }

    fn spark(defaults: &[(&str, &str)]) -> JobDefinition {
        JobDefinition {
            name: "nightly".into(),
            command: Some(JobCommand::SparkEtl),
            glue_version: Some("5.0".into()),
            default_arguments: defaults
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        }
    }

    fn args(list: &[&str]) -> Vec<RunArgument> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    const OURS: &str = "--index-url=http://aws:TOKEN@127.0.0.1:9/acme-1/pypi/r/simple/";

    #[test]
    fn spark_sends_only_the_installer_option_and_user_args() {
        let job = spark(&[
            (ADDITIONAL_PYTHON_MODULES, "acme-tools==1.2.0"),
            (INSTALLER_OPTION, "--upgrade"),
            ("--day", "x"),
        ]);
        let plan = plan_run(&job, &args(&["--env=prod"]), IndexMode::IndexUrl, &index()).unwrap();
        assert_eq!(plan.keys(), vec!["--env", INSTALLER_OPTION]);
        assert_eq!(
            plan.expose_arguments()[INSTALLER_OPTION],
            format!("--upgrade {OURS}")
        );
        assert!(plan.redacted_arguments()[INSTALLER_OPTION].contains("aws:****@"));
        assert!(!format!("{plan:?}").contains("TOKEN"));
    }

    #[test]
    fn a_run_arg_for_the_installer_option_is_the_merge_base() {
        let job = spark(&[
            (ADDITIONAL_PYTHON_MODULES, "a"),
            (INSTALLER_OPTION, "--upgrade"),
        ]);
        let plan = plan_run(
            &job,
            &args(&["--python-modules-installer-option=--no-cache-dir"]),
            IndexMode::IndexUrl,
            &index(),
        )
        .unwrap();
        assert_eq!(
            plan.expose_arguments()[INSTALLER_OPTION],
            format!("--no-cache-dir {OURS}")
        );
    }

    #[test]
    fn python_shell_goes_inline() {
        let mut job = spark(&[(ADDITIONAL_PYTHON_MODULES, "acme-tools==1.2.0")]);
        job.command = Some(JobCommand::PythonShell);
        job.glue_version = None;
        let plan = plan_run(&job, &[], IndexMode::IndexUrl, &index()).unwrap();
        assert_eq!(plan.placement, IndexPlacement::InlineModules);
        assert_eq!(plan.keys(), vec![ADDITIONAL_PYTHON_MODULES]);
        assert_eq!(
            plan.expose_arguments()[ADDITIONAL_PYTHON_MODULES],
            format!("acme-tools==1.2.0 {OURS}")
        );
    }

    #[test]
    fn modules_from_a_run_arg_count() {
        let job = spark(&[]);
        let plan = plan_run(
            &job,
            &args(&["--additional-python-modules=acme-tools"]),
            IndexMode::ExtraIndexUrl,
            &index(),
        )
        .unwrap();
        assert_eq!(
            plan.keys(),
            vec![ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION]
        );
    }

    #[test]
    fn refuses_what_glue_would_ignore_or_cannot_do() {
        let idx = index();
        let mut job = spark(&[(ADDITIONAL_PYTHON_MODULES, "a")]);
        job.non_overridable_arguments
            .insert(INSTALLER_OPTION.into(), "--upgrade".into());
        let err = plan_run(&job, &[], IndexMode::IndexUrl, &idx).unwrap_err();
        assert!(matches!(err, PlanError::NonOverridable { .. }));
        assert!(
            err.to_string()
                .contains("move --python-modules-installer-option")
        );

        let mut job = spark(&[(ADDITIONAL_PYTHON_MODULES, "a")]);
        job.non_overridable_arguments
            .insert("--env".into(), "prod".into());
        let err = plan_run(&job, &args(&["--env=dev"]), IndexMode::IndexUrl, &idx).unwrap_err();
        assert!(matches!(err, PlanError::ArgumentNotOverridable { .. }));

        let mut job = spark(&[(ADDITIONAL_PYTHON_MODULES, "a")]);
        job.command = Some(JobCommand::Ray);
        assert!(matches!(
            plan_run(&job, &[], IndexMode::IndexUrl, &idx),
            Err(PlanError::RayNotSupported { .. })
        ));
        job.command = Some(JobCommand::Other("gluefoo".into()));
        assert!(matches!(
            plan_run(&job, &[], IndexMode::IndexUrl, &idx),
            Err(PlanError::UnsupportedCommand { .. })
        ));

        let mut job = spark(&[(ADDITIONAL_PYTHON_MODULES, "a")]);
        job.glue_version = Some("1.0".into());
        assert!(matches!(
            plan_run(&job, &[], IndexMode::IndexUrl, &idx),
            Err(PlanError::GlueVersionTooOld { .. })
        ));
        job.glue_version = None;
        let err = plan_run(&job, &[], IndexMode::IndexUrl, &idx).unwrap_err();
        assert!(
            err.to_string().contains("Glue 0.9 (no GlueVersion set"),
            "{err}"
        );

        let job = spark(&[]);
        assert!(matches!(
            plan_run(&job, &[], IndexMode::IndexUrl, &idx),
            Err(PlanError::NoModules { .. })
        ));

        let job = spark(&[
            (ADDITIONAL_PYTHON_MODULES, "a"),
            (INSTALLER_OPTION, "--no-index"),
        ]);
        let err = plan_run(&job, &[], IndexMode::IndexUrl, &idx).unwrap_err();
        assert!(err.to_string().contains("--no-index"), "{err}");
    }

    #[test]
    fn run_argument_parsing() {
        let a: RunArgument = "--day=2024-01-01=x".parse().unwrap();
        assert_eq!(
            (a.key.as_str(), a.value.as_str()),
            ("--day", "2024-01-01=x")
        );
        assert!("--empty=".parse::<RunArgument>().is_ok());
        for (text, want) in [
            ("--day", "no `=`"),
            ("day=1", "must start with `--`"),
            ("--=1", "not a valid"),
            ("--a b=1", "not a valid"),
            ("--JOB_NAME=x", "internally"),
            ("--conf=x", "internally"),
        ] {
            let err = text.parse::<RunArgument>().unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        let err = "--secret hunter2"
            .parse::<RunArgument>()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn arguments_over_260_kb_are_refused() {
        let idx = index();
        let job = spark(&[(ADDITIONAL_PYTHON_MODULES, "a")]);
        // Just under the limit with the merged option: fine.
        let ours = plan_run(&job, &[], IndexMode::IndexUrl, &idx).unwrap();
        let used = arguments_size(
            ours.expose_arguments()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let fill = MAX_ARGUMENTS_BYTES - used - "--big".len();
        let big = format!("--big={}", "x".repeat(fill));
        let plan = plan_run(&job, &args(&[&big]), IndexMode::IndexUrl, &idx).unwrap();
        let sent = plan.expose_arguments();
        assert_eq!(
            arguments_size(sent.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            MAX_ARGUMENTS_BYTES
        );
        // One byte more: refused, naming the size.
        let big = format!("--big={}", "x".repeat(fill + 1));
        let err = plan_run(&job, &args(&[&big]), IndexMode::IndexUrl, &idx).unwrap_err();
        assert!(
            matches!(err, PlanError::ArgumentsTooLarge { bytes, .. } if bytes == MAX_ARGUMENTS_BYTES + 1)
        );
        assert!(err.to_string().contains("260 KB"), "{err}");
        assert!(!err.to_string().contains("TOKEN"));
        // The user's own arguments alone, before any AWS call.
        let args_only = args(&[&format!("--big={}", "x".repeat(MAX_ARGUMENTS_BYTES))]);
        assert!(matches!(
            check_arguments_size(&args_only),
            Err(RunArgumentError::TooLarge { .. })
        ));
        assert!(check_arguments_size(&args(&["--a=b"])).is_ok());
        // Multi-byte characters count as bytes.
        assert_eq!(arguments_size([("--k", "é")]), 5);
    }
}
