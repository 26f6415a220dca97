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
