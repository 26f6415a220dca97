//! What we need to know of a Glue job, without SDK types.

use std::{collections::BTreeMap, fmt};

/// The argument Glue passes to pip on Spark jobs.
pub const INSTALLER_OPTION: &str = "--python-modules-installer-option";
/// The comma-separated modules Glue installs with pip.
pub const ADDITIONAL_PYTHON_MODULES: &str = "--additional-python-modules";

/// The job's `Command.Name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobCommand {
    /// `glueetl`: Spark ETL.
    SparkEtl,
    /// `gluestreaming`: Spark streaming. Documented like Spark ETL for the
    /// module parameters only by implication.
    SparkStreaming,
    /// `pythonshell`: Python shell; pip options go inline in the modules.
    PythonShell,
    /// `glueray`: Ray; index options undocumented.
    Ray,
    /// Anything else.
    Other(String),
}

impl JobCommand {
    /// Maps `Command.Name` to a command.
    pub fn from_name(name: &str) -> Self {
        match name {
            "glueetl" => JobCommand::SparkEtl,
            "gluestreaming" => JobCommand::SparkStreaming,
            "pythonshell" => JobCommand::PythonShell,
            "glueray" => JobCommand::Ray,
            other => JobCommand::Other(other.to_owned()),
        }
    }

    /// The `Command.Name` value.
    pub fn name(&self) -> &str {
        match self {
            JobCommand::SparkEtl => "glueetl",
            JobCommand::SparkStreaming => "gluestreaming",
            JobCommand::PythonShell => "pythonshell",
            JobCommand::Ray => "glueray",
            JobCommand::Other(name) => name,
        }
    }

    /// Spark ETL or streaming.
    pub fn is_spark(&self) -> bool {
        matches!(self, JobCommand::SparkEtl | JobCommand::SparkStreaming)
    }
}

/// A Glue version such as `4.0`, compared numerically (defined with the
/// runtime table, in `glue-codeartifact-python-env`).
pub use glue_codeartifact_python_env::runtime::GlueVersion;

/// One run argument (`--arg KEY=VALUE`, or an event's `arguments`).
/// Parsed and checked in [`crate::run_plan`].
#[derive(Clone, PartialEq, Eq)]
pub struct RunArgument {
    /// The argument's name, with its leading `--`.
    pub key: String,
    /// Its value.
    pub value: String,
}

impl fmt::Debug for RunArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are the user's and may be sensitive: show the key only.
        f.debug_struct("RunArgument")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What kind of job a definition is, for installing modules with pip: the
/// one classification that `start`, `refresh` and `doctor` all use (each
/// words its own message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobClass {
    /// `glueetl` or `gluestreaming` on a Glue version that installs
    /// `--additional-python-modules` with pip: the index goes into the
    /// installer option.
    Spark {
        /// `gluestreaming` (documented like Spark ETL only by implication).
        streaming: bool,
        /// The Glue version.
        version: SparkVersion,
    },
    /// A Spark job on a Glue version before 2.0, which has no pip installs.
    SparkWithoutPip {
        /// The version.
        version: GlueVersion,
        /// The job sets no `GlueVersion`, so Glue's default applies.
        assumed: bool,
    },
    /// `pythonshell`: pip options go inline in the modules.
    PythonShell,
    /// `glueray`: no documented index option.
    Ray,
    /// Another `Command.Name`.
    Other(String),
    /// No `Command.Name`.
    NoCommand,
}

/// Where the index option goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexPlacement {
    /// In `--python-modules-installer-option` (Spark jobs).
    InstallerOption,
    /// Inline in `--additional-python-modules` (Python shell jobs).
    InlineModules,
}

impl IndexPlacement {
    /// The argument that carries the index option.
    pub fn key(self) -> &'static str {
        match self {
            IndexPlacement::InstallerOption => INSTALLER_OPTION,
            IndexPlacement::InlineModules => ADDITIONAL_PYTHON_MODULES,
        }
    }
}

/// A Spark job's Glue version, as far as it can be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SparkVersion {
    /// A version with pip installs.
    Known(GlueVersion),
    /// A `GlueVersion` that does not parse (`latest`), as written.
    Unreadable(String),
}

/// A Glue job's definition, as far as this tool reads it.
///
/// `Debug` prints argument *keys* only: a job's arguments may hold a token
/// written by refresh mode, or other secrets.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct JobDefinition {
    /// The job's name.
    pub name: String,
    /// `Command.Name`.
    pub command: Option<JobCommand>,
    /// `GlueVersion`, as written.
    pub glue_version: Option<String>,
    /// `Command.PythonVersion`.
    pub python_version: Option<String>,
    /// `DefaultArguments`.
    pub default_arguments: BTreeMap<String, String>,
    /// `NonOverridableArguments`: Glue silently ignores a run's value for
    /// these keys.
    pub non_overridable_arguments: BTreeMap<String, String>,
    /// `Timeout`, in minutes.
    pub timeout_minutes: Option<u32>,
    /// `MaxRetries`.
    pub max_retries: Option<u32>,
}

impl JobDefinition {
    /// The value a run sees for `key`, in Glue's documented order: "job
    /// NonOverridableArguments will override job run Arguments, which will
    /// override job DefaultArguments" (Glue guide, "Using job parameters in
    /// AWS Glue jobs"). A later run argument of the same key wins over an
    /// earlier one. The one rule `start`, `refresh` and `doctor` use.
    pub fn effective_argument<'a>(
        &'a self,
        run_arguments: &'a [RunArgument],
        key: &str,
    ) -> Option<&'a str> {
        self.non_overridable_arguments
            .get(key)
            .map(String::as_str)
            .or_else(|| {
                run_arguments
                    .iter()
                    .rev()
                    .find(|a| a.key == key)
                    .map(|a| a.value.as_str())
            })
            .or_else(|| self.default_arguments.get(key).map(String::as_str))
    }

    /// The job's [`JobClass`]. A Spark job without `GlueVersion` runs Glue's
    /// default, [`GlueVersion::DEFAULT`] (0.9: API reference,
    /// `Job.GlueVersion`), which has no pip installs.
    pub fn class(&self) -> JobClass {
        match &self.command {
            Some(command @ (JobCommand::SparkEtl | JobCommand::SparkStreaming)) => {
                let streaming = *command == JobCommand::SparkStreaming;
                match self.glue_version.as_deref() {
                    None => JobClass::SparkWithoutPip {
                        version: GlueVersion::DEFAULT,
                        assumed: true,
                    },
                    Some(text) => match GlueVersion::parse(text) {
                        Some(version) if version < GlueVersion::FIRST_WITH_PIP => {
                            JobClass::SparkWithoutPip {
                                version,
                                assumed: false,
                            }
                        }
                        Some(version) => JobClass::Spark {
                            streaming,
                            version: SparkVersion::Known(version),
                        },
                        None => JobClass::Spark {
                            streaming,
                            version: SparkVersion::Unreadable(text.to_owned()),
                        },
                    },
                }
            }
            Some(JobCommand::PythonShell) => JobClass::PythonShell,
            Some(JobCommand::Ray) => JobClass::Ray,
            Some(JobCommand::Other(name)) => JobClass::Other(name.clone()),
            None => JobClass::NoCommand,
        }
    }
}

impl fmt::Debug for JobDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobDefinition")
            .field("name", &self.name)
            .field("command", &self.command)
            .field("glue_version", &self.glue_version)
            .field("python_version", &self.python_version)
            .field("default_arguments", &self.default_arguments.keys())
            .field(
                "non_overridable_arguments",
                &self.non_overridable_arguments.keys(),
            )
            .field("timeout_minutes", &self.timeout_minutes)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(list: &[(&str, &str)]) -> Vec<RunArgument> {
        list.iter()
            .map(|(k, v)| RunArgument {
                key: (*k).into(),
                value: (*v).into(),
            })
            .collect()
    }

    #[test]
    fn effective_argument_follows_glues_order() {
        let mut job = JobDefinition {
            default_arguments: [("--k".into(), "default".into())].into(),
            ..Default::default()
        };
        assert_eq!(job.effective_argument(&[], "--k"), Some("default"));
        let args = run(&[("--k", "run1"), ("--k", "run2")]);
        assert_eq!(job.effective_argument(&args, "--k"), Some("run2"));
        job.non_overridable_arguments
            .insert("--k".into(), "fixed".into());
        assert_eq!(job.effective_argument(&args, "--k"), Some("fixed"));
        assert_eq!(job.effective_argument(&args, "--other"), None);
    }

    #[test]
    fn one_classification() {
        let job = |command: Option<JobCommand>, version: Option<&str>| JobDefinition {
            command,
            glue_version: version.map(str::to_owned),
            ..Default::default()
        };
        let v = |s| GlueVersion::parse(s).unwrap();
        assert_eq!(
            job(Some(JobCommand::SparkEtl), Some("5.0")).class(),
            JobClass::Spark {
                streaming: false,
                version: SparkVersion::Known(v("5.0"))
            }
        );
        assert_eq!(
            job(Some(JobCommand::SparkStreaming), Some("latest")).class(),
            JobClass::Spark {
                streaming: true,
                version: SparkVersion::Unreadable("latest".into())
            }
        );
        assert_eq!(
            job(Some(JobCommand::SparkEtl), None).class(),
            JobClass::SparkWithoutPip {
                version: GlueVersion::DEFAULT,
                assumed: true
            }
        );
        assert_eq!(
            job(Some(JobCommand::SparkEtl), Some("1.0")).class(),
            JobClass::SparkWithoutPip {
                version: v("1.0"),
                assumed: false
            }
        );
        assert_eq!(
            job(Some(JobCommand::PythonShell), Some("1.0")).class(),
            JobClass::PythonShell
        );
        assert_eq!(job(Some(JobCommand::Ray), None).class(), JobClass::Ray);
        assert_eq!(job(None, None).class(), JobClass::NoCommand);
    }

    #[test]
    fn debug_shows_keys_not_values() {
        let job = JobDefinition {
            name: "j".into(),
            default_arguments: [(
                INSTALLER_OPTION.into(),
                "--index-url=https://aws:SECRET@h/".into(),
            )]
            .into(),
            ..Default::default()
        };
        let shown = format!("{job:?}");
        assert!(shown.contains(INSTALLER_OPTION));
        assert!(!shown.contains("SECRET"));
    }

    #[test]
    fn versions_compare_numerically() {
        let v = |s| GlueVersion::parse(s).unwrap();
        assert!(v("10.0") > v("2.0"));
        assert!(v("1.0") < GlueVersion::FIRST_WITH_PIP);
        assert!(v("0.9") < v("1.0"));
        assert_eq!(v("5"), v("5.0"));
        assert_eq!(GlueVersion::parse("x"), None);
    }
}
