//! The Glue runtimes glue-codeartifact resolves for, as data.
//!
//! Each [`Runtime`] row holds what a lock needs to know of one Glue Python
//! environment: its Python, the platform string uv resolves for, the glibc
//! of its image, the wheel platform tags it accepts, the "Python modules
//! already provided" with their versions, and the forms of
//! `--additional-python-modules` it accepts. Each row cites its AWS sources;
//! facts the sources do not state are listed in [`Runtime::assumptions`].
//!
//! ```
//! use glue_codeartifact_python_env::runtime::{JobType, lookup};
//!
//! let runtime = lookup(JobType::Spark, Some("4.0"), None, None)?;
//! assert_eq!(runtime.python.to_string(), "3.10");
//! assert_eq!(runtime.uv_platform, "x86_64-manylinux_2_17");
//! assert_eq!(runtime.provided_version("boto3"), Some("1.24.70"));
//!
//! let err = lookup(JobType::Spark, Some("3.0"), None, None).unwrap_err();
//! assert!(err.to_string().contains("Python 3.7"));
//! # Ok::<(), glue_codeartifact_python_env::runtime::RuntimeError>(())
//! ```

use std::fmt;

use pep440_rs::Version;
use pep508_rs::PackageName;

use crate::wheel::PythonTarget;

/// A Glue version such as `4.0`, compared numerically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlueVersion {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl GlueVersion {
    /// The first version that installs `--additional-python-modules` with pip.
    pub const FIRST_WITH_PIP: GlueVersion = GlueVersion { major: 2, minor: 0 };
    /// What Glue assumes for a job created without a version (API
    /// reference, `Job.GlueVersion`: "default to Glue 0.9").
    pub const DEFAULT: GlueVersion = GlueVersion { major: 0, minor: 9 };

    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// Parses `major.minor` (or `major`).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(2, '.');
        let major = parts.next()?.parse().ok()?;
        let minor = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        Some(GlueVersion { major, minor })
    }
}

impl fmt::Display for GlueVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The kind of job a runtime runs: what decides its Python, together with
/// the Glue version (Spark) or the Python version (Python shell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobType {
    /// `glueetl` and `gluestreaming`: Spark jobs, whose Python comes from
    /// the Glue version.
    Spark,
    /// `pythonshell`: Python shell jobs, whose Python comes from
    /// `Command.PythonVersion`; the Glue version does not apply.
    PythonShell,
}

impl JobType {
    /// The job type of a `Command.Name` (`glueetl`, `gluestreaming`,
    /// `pythonshell`); `None` for job types without pip installs (Ray).
    pub fn from_command_name(name: &str) -> Option<Self> {
        match name {
            "glueetl" | "gluestreaming" => Some(JobType::Spark),
            "pythonshell" => Some(JobType::PythonShell),
            _ => None,
        }
    }

    /// `spark` or `pythonshell`: how a lock file records it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Spark => "spark",
            JobType::PythonShell => "pythonshell",
        }
    }

    /// Parses [`JobType::as_str`]'s form, or a `Command.Name`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "spark" => Some(JobType::Spark),
            other => Self::from_command_name(other),
        }
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A module Glue's image already provides, at the version it ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provided {
    /// The name as AWS lists it (`PyYAML`, `typing_extensions`).
    pub name: &'static str,
    /// The version, exactly.
    pub version: &'static str,
}

const fn p(name: &'static str, version: &'static str) -> Provided {
    Provided { name, version }
}

impl Provided {
    /// The name, normalized (`typing_extensions` → `typing-extensions`).
    pub fn package_name(&self) -> PackageName {
        PackageName::new(self.name.to_owned()).expect("the table holds valid names")
    }

    /// The version as PEP 440.
    pub fn pep440_version(&self) -> Version {
        self.version
            .parse()
            .expect("the table holds valid versions")
    }
}

/// The forms of `--additional-python-modules` a runtime accepts (Glue
/// guide, "Using Python libraries with AWS Glue", table "Glue Version
/// Compatibility and Installation Methods").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleForms {
    /// Requirement specifiers (`acme-tools==1.2.0`), comma-separated.
    pub specifiers: bool,
    /// S3 paths of single wheels (`s3://bucket/acme_tools-1.2.0-py3-none-any.whl`).
    pub s3_wheels: bool,
    /// One S3 zip of wheels, `NAME.gluewheels.zip`, with `--no-index`.
    pub zip_of_wheels: bool,
    /// An S3 `requirements.txt` with `--python-modules-installer-option -r`.
    pub requirements_file: bool,
    /// pip options written inline in `--additional-python-modules` (Python
    /// shell: it has no installer option).
    pub inline_options: bool,
}

/// An AWS page a row's facts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// The page.
    pub url: &'static str,
    /// The section or table on it.
    pub section: &'static str,
}

/// One Glue Python environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runtime {
    /// A short, stable name: `glue-4.0`, `pythonshell-3.9`.
    pub id: &'static str,
    /// Spark or Python shell.
    pub job_type: JobType,
    /// The Glue version (Spark); `None` for Python shell, where Glue's
    /// version does not apply.
    pub glue_version: Option<GlueVersion>,
    /// The Python and glibc pip installs for.
    pub python: PythonTarget,
    /// `--library-set` of a Python shell job (`analytics` or `none`).
    pub library_set: Option<&'static str>,
    /// The base image.
    pub image: &'static str,
    /// What uv's `--python-platform` gets. uv names its manylinux targets
    /// by glibc and has no `x86_64-manylinux_2_26`: Amazon Linux 2 (glibc
    /// 2.26) gets `x86_64-manylinux_2_17`, the newest floor below it, so a
    /// wheel that needs 2.18..=2.26 is passed over for an older one.
    pub uv_platform: &'static str,
    /// The wheel platform tags the runtime's pip accepts, most specific
    /// first, as AWS lists them.
    pub platform_tags: &'static [&'static str],
    /// The Python modules already provided, with their versions.
    pub provided: &'static [Provided],
    /// The module forms it accepts.
    pub module_forms: ModuleForms,
    /// Where the facts come from.
    pub sources: &'static [Source],
    /// What the sources do not state, and what is assumed instead.
    pub assumptions: &'static [&'static str],
}

impl Runtime {
    /// How a person names it: `Glue 4.0 (Python 3.10)`, `Python shell 3.9
    /// (library-set analytics)`.
    pub fn describe(&self) -> String {
        match (self.glue_version, self.library_set) {
            (Some(version), _) => format!("Glue {version} (Python {})", self.python),
            (None, Some(set)) => format!("Python shell {} (library-set {set})", self.python),
            (None, None) => format!("Python shell {}", self.python),
        }
    }

    /// The version of `name` this runtime provides, if it does (names
    /// compared normalized).
    pub fn provided_version(&self, name: &str) -> Option<&'static str> {
        let wanted = PackageName::new(name.to_owned()).ok()?;
        self.provided
            .iter()
            .find(|p| p.package_name() == wanted)
            .map(|p| p.version)
    }

    /// `==3.M.*`: the lock's `requires-python`.
    pub fn requires_python(&self) -> String {
        format!("=={}.*", self.python)
    }
}

const LIBRARIES: &str =
    "https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html";
const PROVIDED_SECTION: Source = Source {
    url: LIBRARIES,
    section: "Python modules already provided in AWS Glue (#glue-modules-provided)",
};
const METHODS_SECTION: Source = Source {
    url: LIBRARIES,
    section: "table \"Glue Version Compatibility and Installation Methods\"",
};
const ENVIRONMENT_SECTION: Source = Source {
    url: LIBRARIES,
    section: "Appendix B: AWS Glue environment details",
};
const MIGRATING_6_0: Source = Source {
    url: "https://docs.aws.amazon.com/glue/latest/dg/migrating-version-60.html",
    section: "Appendix A: Notable dependency upgrades",
};
const VIRTUAL_ENVIRONMENTS: Source = Source {
    url: "https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-virtual-environments.html",
    section: "Python virtual environments (Glue 6.0 base container list)",
};
const GLUE_LIBS_6_0: Source = Source {
    url: "https://github.com/awslabs/aws-glue-libs/blob/main/base-requirements.txt",
    section: "branch main (Glue 6.0), commit a9e087b",
};
const ADD_JOB_PYTHON: &str = "https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html";
const PYTHON_SHELL_LIBRARIES: Source = Source {
    url: ADD_JOB_PYTHON,
    section: "Supported libraries for Python shell jobs (#python-shell-supported-library)",
};
const PYTHON_SHELL_OWN: Source = Source {
    url: ADD_JOB_PYTHON,
    section: "Providing your own Python library",
};

/// Spark on Glue 4.0: specifiers and S3 wheels.
const FORMS_4: ModuleForms = ModuleForms {
    specifiers: true,
    s3_wheels: true,
    zip_of_wheels: false,
    requirements_file: false,
    inline_options: false,
};
/// Spark on Glue 5.0 and later: also a zip of wheels and a requirements file.
const FORMS_5: ModuleForms = ModuleForms {
    specifiers: true,
    s3_wheels: true,
    zip_of_wheels: true,
    requirements_file: true,
    inline_options: false,
};
/// Python shell: specifiers with inline pip options; no S3 modules in
/// `--additional-python-modules` (wheels go in `--extra-py-files`).
const FORMS_SHELL: ModuleForms = ModuleForms {
    specifiers: true,
    s3_wheels: false,
    zip_of_wheels: false,
    requirements_file: false,
    inline_options: true,
};

const AL2_TAGS: &[&str] = &["manylinux2014_x86_64"];
const AL2023_TAGS: &[&str] = &[
    "manylinux_2_34_x86_64",
    "manylinux_2_28_x86_64",
    "manylinux2014_x86_64",
];

/// Every runtime glue-codeartifact resolves for.
pub const RUNTIMES: &[Runtime] = &[
    Runtime {
        id: "glue-4.0",
        job_type: JobType::Spark,
        glue_version: Some(GlueVersion::new(4, 0)),
        python: PythonTarget::cpython3(10, Some((2, 26))),
        library_set: None,
        image: "Amazon Linux 2",
        uv_platform: "x86_64-manylinux_2_17",
        platform_tags: AL2_TAGS,
        provided: GLUE_4_0,
        module_forms: FORMS_4,
        sources: &[PROVIDED_SECTION, METHODS_SECTION, ENVIRONMENT_SECTION],
        assumptions: &[
            "uv has no x86_64-manylinux_2_26 target: wheels are resolved for glibc 2.17, the newest floor below Amazon Linux 2's 2.26",
            "workers are x86_64 (AWS lists only x86_64 tags)",
        ],
    },
    Runtime {
        id: "glue-5.0",
        job_type: JobType::Spark,
        glue_version: Some(GlueVersion::new(5, 0)),
        python: PythonTarget::cpython3(11, Some((2, 34))),
        library_set: None,
        image: "Amazon Linux 2023",
        uv_platform: "x86_64-manylinux_2_34",
        platform_tags: AL2023_TAGS,
        provided: GLUE_5_0,
        module_forms: FORMS_5,
        sources: &[PROVIDED_SECTION, METHODS_SECTION, ENVIRONMENT_SECTION],
        assumptions: &["workers are x86_64 (AWS lists only x86_64 tags)"],
    },
    Runtime {
        id: "glue-5.1",
        job_type: JobType::Spark,
        glue_version: Some(GlueVersion::new(5, 1)),
        python: PythonTarget::cpython3(11, Some((2, 34))),
        library_set: None,
        image: "Amazon Linux 2023",
        uv_platform: "x86_64-manylinux_2_34",
        platform_tags: AL2023_TAGS,
        provided: GLUE_5_1,
        module_forms: FORMS_5,
        sources: &[PROVIDED_SECTION, METHODS_SECTION, ENVIRONMENT_SECTION],
        assumptions: &["workers are x86_64 (AWS lists only x86_64 tags)"],
    },
    Runtime {
        id: "glue-6.0",
        job_type: JobType::Spark,
        glue_version: Some(GlueVersion::new(6, 0)),
        python: PythonTarget::cpython3(13, Some((2, 34))),
        library_set: None,
        image: "Amazon Linux 2023",
        uv_platform: "x86_64-manylinux_2_34",
        platform_tags: AL2023_TAGS,
        provided: GLUE_6_0,
        module_forms: FORMS_5,
        sources: &[
            MIGRATING_6_0,
            VIRTUAL_ENVIRONMENTS,
            GLUE_LIBS_6_0,
            METHODS_SECTION,
        ],
        assumptions: &[
            "glibc 2.34 and the AL2023 wheel tags of Glue 5.x: AWS states Amazon Linux 2023 for 6.0 but not its glibc",
            "the provided list is aws-glue-libs' base-requirements.txt (branch main), which the virtual-environments page links for 6.0; the libraries page lists no 6.0 set",
            "the zip of wheels and the requirements file work as on 5.x (the page says \"5.0 and above\")",
            "workers are x86_64 (the build docs use linux/amd64)",
        ],
    },
    Runtime {
        id: "pythonshell-3.9-analytics",
        job_type: JobType::PythonShell,
        glue_version: None,
        python: PythonTarget::cpython3(9, None),
        library_set: Some("analytics"),
        image: "unstated",
        uv_platform: "x86_64-manylinux_2_17",
        platform_tags: &["manylinux2014_x86_64"],
        provided: PYTHON_SHELL_3_9_ANALYTICS,
        module_forms: FORMS_SHELL,
        sources: &[PYTHON_SHELL_LIBRARIES, PYTHON_SHELL_OWN],
        assumptions: &[
            "AWS states neither the base image, glibc nor CPU architecture of Python shell: wheels are resolved for x86_64 glibc 2.17, the manylinux2014 floor",
        ],
    },
    Runtime {
        id: "pythonshell-3.9-none",
        job_type: JobType::PythonShell,
        glue_version: None,
        python: PythonTarget::cpython3(9, None),
        library_set: Some("none"),
        image: "unstated",
        uv_platform: "x86_64-manylinux_2_17",
        platform_tags: &["manylinux2014_x86_64"],
        provided: PYTHON_SHELL_3_9_NONE,
        module_forms: FORMS_SHELL,
        sources: &[PYTHON_SHELL_LIBRARIES, PYTHON_SHELL_OWN],
        assumptions: &[
            "AWS states neither the base image, glibc nor CPU architecture of Python shell: wheels are resolved for x86_64 glibc 2.17, the manylinux2014 floor",
            "a job without --library-set is taken to have library-set none (only awscli and botocore provided): AWS does not state the API default, and assuming less keeps a lock installable",
        ],
    },
];

/// Why no runtime fits.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The Glue version is not one glue-codeartifact has a table for.
    #[error(
        "Glue version {version:?} is not one glue-codeartifact can lock for; supported: {}",
        supported()
    )]
    Unsupported {
        /// The version as written.
        version: String,
    },
    /// Glue 2.0 or 3.0: Python 3.7, past end of support.
    #[error(
        "Glue {version} runs Python 3.7, which is past end of support (and so is Glue {version}); glue-codeartifact locks for {}; move the job to Glue 5.0 or later",
        supported()
    )]
    EndOfSupport {
        /// The version.
        version: GlueVersion,
    },
    /// Glue 0.9/1.0 (also a Spark job without a Glue version): no pip installs.
    #[error(
        "Glue {version}{assumed} does not install --additional-python-modules with pip; set GlueVersion to 5.0 (supported: {})",
        supported()
    )]
    NoPip {
        /// The version.
        version: GlueVersion,
        /// ` (no GlueVersion set: Glue's default)` when it was not set.
        assumed: &'static str,
    },
    /// A Python shell job on a Python other than 3.9.
    #[error(
        "the Python shell job runs {python}; glue-codeartifact locks Python shell jobs for PythonVersion 3.9 only (3.6's support ended on 1 March 2026); set the job's PythonVersion to 3.9"
    )]
    PythonShellVersion {
        /// How the Python was found, e.g. `PythonVersion "3"`.
        python: String,
    },
    /// A `--library-set` value other than `analytics` or `none`.
    #[error("the Python shell job's --library-set is {0:?}; Glue knows analytics and none")]
    LibrarySet(String),
}

/// The supported runtimes, for messages: `Glue 4.0, 5.0, 5.1, 6.0 and Python shell 3.9`.
pub fn supported() -> String {
    let spark: Vec<String> = RUNTIMES
        .iter()
        .filter_map(|r| r.glue_version.map(|v| v.to_string()))
        .collect();
    format!("Glue {} and Python shell 3.9", spark.join(", "))
}

/// The runtime of a job: its job type, its `GlueVersion` (Spark), its
/// `Command.PythonVersion` and `--library-set` (Python shell).
pub fn lookup(
    job_type: JobType,
    glue_version: Option<&str>,
    python_version: Option<&str>,
    library_set: Option<&str>,
) -> Result<&'static Runtime, RuntimeError> {
    match job_type {
        JobType::Spark => {
            let (version, assumed) = match glue_version {
                None => (
                    GlueVersion::DEFAULT,
                    " (no GlueVersion set: Glue's default)",
                ),
                Some(text) => match GlueVersion::parse(text) {
                    Some(v) => (v, ""),
                    None => {
                        return Err(RuntimeError::Unsupported {
                            version: text.to_owned(),
                        });
                    }
                },
            };
            spark(version).map_err(|e| match e {
                RuntimeError::NoPip { version, .. } => RuntimeError::NoPip { version, assumed },
                RuntimeError::Unsupported { .. } => RuntimeError::Unsupported {
                    version: glue_version.unwrap_or_default().to_owned(),
                },
                other => other,
            })
        }
        JobType::PythonShell => python_shell(python_version, library_set),
    }
}

/// The Spark runtime of a Glue version.
pub fn spark(version: GlueVersion) -> Result<&'static Runtime, RuntimeError> {
    if let Some(row) = RUNTIMES
        .iter()
        .find(|r| r.job_type == JobType::Spark && r.glue_version == Some(version))
    {
        return Ok(row);
    }
    match (version.major, version.minor) {
        (2 | 3, 0) => Err(RuntimeError::EndOfSupport { version }),
        _ if version < GlueVersion::FIRST_WITH_PIP => Err(RuntimeError::NoPip {
            version,
            assumed: "",
        }),
        _ => Err(RuntimeError::Unsupported {
            version: version.to_string(),
        }),
    }
}

/// The Python shell runtime of a `PythonVersion` and `--library-set`.
pub fn python_shell(
    python_version: Option<&str>,
    library_set: Option<&str>,
) -> Result<&'static Runtime, RuntimeError> {
    match python_version.map(str::trim) {
        Some("3.9") => {}
        Some(other) => {
            return Err(RuntimeError::PythonShellVersion {
                python: format!("PythonVersion {other:?}"),
            });
        }
        None => {
            return Err(RuntimeError::PythonShellVersion {
                python: "Python 3.6 (no PythonVersion set)".to_owned(),
            });
        }
    }
    let set = match library_set.map(str::trim) {
        None | Some("none") => "none",
        Some("analytics") => "analytics",
        Some(other) => return Err(RuntimeError::LibrarySet(other.to_owned())),
    };
    Ok(RUNTIMES
        .iter()
        .find(|r| r.job_type == JobType::PythonShell && r.library_set == Some(set))
        .expect("both library sets are in the table"))
}

/// The runtime with this [`Runtime::id`].
pub fn by_id(id: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.id == id)
}

// The "Python modules already provided" lists, copied from the sources each
// row cites.

/// 64 modules.
const GLUE_4_0: &[Provided] = &[
    p("aiobotocore", "2.4.1"),
    p("aiohttp", "3.8.3"),
    p("aioitertools", "0.11.0"),
    p("aiosignal", "1.3.1"),
    p("async-timeout", "4.0.2"),
    p("asynctest", "0.13.0"),
    p("attrs", "22.2.0"),
    p("avro-python3", "1.10.2"),
    p("boto3", "1.24.70"),
    p("botocore", "1.27.59"),
    p("certifi", "2021.5.30"),
    p("chardet", "3.0.4"),
    p("charset-normalizer", "2.1.1"),
    p("click", "8.1.3"),
    p("cycler", "0.10.0"),
    p("Cython", "0.29.32"),
    p("fsspec", "2021.8.1"),
    p("idna", "2.10"),
    p("importlib-metadata", "5.0.0"),
    p("jmespath", "0.10.0"),
    p("joblib", "1.0.1"),
    p("kaleido", "0.2.1"),
    p("kiwisolver", "1.4.4"),
    p("matplotlib", "3.4.3"),
    p("mpmath", "1.2.1"),
    p("multidict", "6.0.4"),
    p("nltk", "3.7"),
    p("numpy", "1.23.5"),
    p("packaging", "23.0"),
    p("pandas", "1.5.1"),
    p("patsy", "0.5.1"),
    p("Pillow", "9.4.0"),
    p("pip", "23.0.1"),
    p("plotly", "5.16.0"),
    p("pmdarima", "2.0.1"),
    p("ptvsd", "4.3.2"),
    p("pyarrow", "10.0.0"),
    p("pydevd", "2.5.0"),
    p("pyhocon", "0.3.58"),
    p("PyMySQL", "1.0.2"),
    p("pyparsing", "2.4.7"),
    p("python-dateutil", "2.8.2"),
    p("pytz", "2021.1"),
    p("PyYAML", "6.0.1"),
    p("regex", "2022.10.31"),
    p("requests", "2.23.0"),
    p("s3fs", "2022.11.0"),
    p("s3transfer", "0.6.0"),
    p("scikit-learn", "1.1.3"),
    p("scipy", "1.9.3"),
    p("setuptools", "49.1.3"),
    p("six", "1.16.0"),
    p("statsmodels", "0.13.5"),
    p("subprocess32", "3.5.4"),
    p("sympy", "1.8"),
    p("tbats", "1.1.0"),
    p("threadpoolctl", "3.1.0"),
    p("tqdm", "4.64.1"),
    p("typing_extensions", "4.4.0"),
    p("urllib3", "1.25.11"),
    p("wheel", "0.37.0"),
    p("wrapt", "1.14.1"),
    p("yarl", "1.8.2"),
    p("zipp", "3.10.0"),
];

/// 44 modules.
const GLUE_5_0: &[Provided] = &[
    p("aiobotocore", "2.13.1"),
    p("aiohappyeyeballs", "2.3.5"),
    p("aiohttp", "3.10.1"),
    p("aioitertools", "0.11.0"),
    p("aiosignal", "1.3.1"),
    p("appdirs", "1.4.4"),
    p("attrs", "24.2.0"),
    p("boto3", "1.34.131"),
    p("botocore", "1.34.131"),
    p("certifi", "2024.7.4"),
    p("charset-normalizer", "3.3.2"),
    p("contourpy", "1.2.1"),
    p("cycler", "0.12.1"),
    p("fonttools", "4.53.1"),
    p("frozenlist", "1.4.1"),
    p("fsspec", "2024.6.1"),
    p("idna", "2.10"),
    p("jmespath", "0.10.0"),
    p("kaleido", "0.2.1"),
    p("kiwisolver", "1.4.5"),
    p("matplotlib", "3.9.0"),
    p("multidict", "6.0.5"),
    p("numpy", "1.26.4"),
    p("packaging", "24.1"),
    p("pandas", "2.2.2"),
    p("pillow", "10.4.0"),
    p("pip", "23.0.1"),
    p("plotly", "5.23.0"),
    p("pyarrow", "17.0.0"),
    p("pyparsing", "3.1.2"),
    p("python-dateutil", "2.9.0.post0"),
    p("pytz", "2024.1"),
    p("requests", "2.32.2"),
    p("s3fs", "2024.6.1"),
    p("s3transfer", "0.10.2"),
    p("seaborn", "0.13.2"),
    p("setuptools", "59.6.0"),
    p("six", "1.16.0"),
    p("tenacity", "9.0.0"),
    p("tzdata", "2024.1"),
    p("urllib3", "1.25.10"),
    p("virtualenv", "20.4.0"),
    p("wrapt", "1.16.0"),
    p("yarl", "1.9.4"),
];

/// 60 modules.
const GLUE_5_1: &[Provided] = &[
    p("aiobotocore", "2.25.1"),
    p("aiohappyeyeballs", "2.6.1"),
    p("aiohttp", "3.13.2"),
    p("aioitertools", "0.12.0"),
    p("aiosignal", "1.4.0"),
    p("appdirs", "1.4.4"),
    p("attrs", "25.4.0"),
    p("boto3", "1.40.61"),
    p("botocore", "1.40.61"),
    p("certifi", "2025.10.5"),
    p("charset-normalizer", "3.4.4"),
    p("choreographer", "1.2.0"),
    p("contourpy", "1.3.3"),
    p("cycler", "0.12.1"),
    p("distlib", "0.4.0"),
    p("filelock", "3.20.0"),
    p("fonttools", "4.60.1"),
    p("frozenlist", "1.8.0"),
    p("fsspec", "2025.10.0"),
    p("idna", "3.11"),
    p("iniconfig", "2.3.0"),
    p("jmespath", "1.0.1"),
    p("kaleido", "1.2.0"),
    p("kiwisolver", "1.4.9"),
    p("logistro", "2.0.1"),
    p("matplotlib", "3.10.7"),
    p("multidict", "6.7.0"),
    p("narwhals", "2.10.2"),
    p("numpy", "2.3.4"),
    p("orjson", "3.11.4"),
    p("packaging", "25.0"),
    p("pandas", "2.3.3"),
    p("pillow", "12.0.0"),
    p("pip", "24.0"),
    p("platformdirs", "4.5.0"),
    p("plotly", "6.4.0"),
    p("pluggy", "1.6.0"),
    p("propcache", "0.4.1"),
    p("pyarrow", "22.0.0"),
    p("Pygments", "2.19.2"),
    p("pyparsing", "3.2.5"),
    p("pytest-timeout", "2.4.0"),
    p("pytest", "8.4.2"),
    p("python-dateutil", "2.9.0.post0"),
    p("pytz", "2025.2"),
    p("requests", "2.32.5"),
    p("s3fs", "2025.10.0"),
    p("s3transfer", "0.14.0"),
    p("seaborn", "0.13.2"),
    p("setuptools", "79.0.1"),
    p("simplejson", "3.20.2"),
    p("six", "1.17.0"),
    p("tenacity", "9.1.2"),
    p("typing_extensions", "4.15.0"),
    p("tzdata", "2025.2"),
    p("urllib3", "2.5.0"),
    p("uv", "0.9.7"),
    p("virtualenv", "20.35.4"),
    p("wrapt", "1.17.3"),
    p("yarl", "1.22.0"),
];

/// 67 modules.
const GLUE_6_0: &[Provided] = &[
    p("aiobotocore", "3.4.0"),
    p("aiohappyeyeballs", "2.6.1"),
    p("aiohttp", "3.13.5"),
    p("aioitertools", "0.13.0"),
    p("aiosignal", "1.4.0"),
    p("appdirs", "1.4.4"),
    p("attrs", "26.1.0"),
    p("boto3", "1.42.84"),
    p("botocore", "1.42.84"),
    p("certifi", "2026.2.25"),
    p("charset-normalizer", "3.4.7"),
    p("choreographer", "1.2.1"),
    p("contourpy", "1.3.3"),
    p("cycler", "0.12.1"),
    p("distlib", "0.4.0"),
    p("filelock", "3.25.2"),
    p("fonttools", "4.62.1"),
    p("frozenlist", "1.8.0"),
    p("fsspec", "2026.3.0"),
    p("googleapis-common-protos", "1.75.0"),
    p("grpcio", "1.81.0"),
    p("grpcio-status", "1.81.0"),
    p("idna", "3.11"),
    p("iniconfig", "2.3.0"),
    p("jmespath", "1.1.0"),
    p("kaleido", "1.2.0"),
    p("kiwisolver", "1.5.0"),
    p("logistro", "2.0.1"),
    p("matplotlib", "3.10.8"),
    p("multidict", "6.7.1"),
    p("narwhals", "2.19.0"),
    p("numpy", "2.4.4"),
    p("orjson", "3.11.8"),
    p("packaging", "26.0"),
    p("pandas", "2.3.3"),
    p("pillow", "12.2.0"),
    p("pip", "24.0"),
    p("platformdirs", "4.9.6"),
    p("plotly", "6.7.0"),
    p("pluggy", "1.6.0"),
    p("propcache", "0.4.1"),
    p("protobuf", "7.35.0"),
    p("pyarrow", "23.0.1"),
    p("Pygments", "2.20.0"),
    p("pyparsing", "3.3.2"),
    p("pytest", "9.0.3"),
    p("pytest-timeout", "2.4.0"),
    p("python-dateutil", "2.9.0.post0"),
    p("python-discovery", "1.2.2"),
    p("pytz", "2026.1.post1"),
    p("PyYAML", "6.0.3"),
    p("requests", "2.33.1"),
    p("s3fs", "2026.3.0"),
    p("s3transfer", "0.16.0"),
    p("seaborn", "0.13.2"),
    p("setuptools", "79.0.1"),
    p("simplejson", "3.20.2"),
    p("six", "1.17.0"),
    p("tenacity", "9.1.2"),
    p("typing_extensions", "4.15.0"),
    p("tzdata", "2026.1"),
    p("urllib3", "2.6.3"),
    p("uv", "0.11.6"),
    p("virtualenv", "21.2.1"),
    p("wrapt", "2.1.2"),
    p("yarl", "1.23.0"),
    p("zstandard", "0.25.0"),
];

/// 19 modules.
const PYTHON_SHELL_3_9_ANALYTICS: &[Provided] = &[
    p("avro", "1.11.0"),
    p("awscli", "1.23.5"),
    p("awswrangler", "2.15.1"),
    p("botocore", "1.24.21"),
    p("boto3", "1.21.21"),
    p("elasticsearch", "8.2.0"),
    p("numpy", "1.22.3"),
    p("pandas", "1.4.2"),
    p("psycopg2", "2.9.3"),
    p("pyathena", "2.5.3"),
    p("PyMySQL", "1.0.2"),
    p("pyodbc", "4.0.32"),
    p("pyorc", "0.6.0"),
    p("redshift-connector", "2.0.907"),
    p("requests", "2.27.1"),
    p("scikit-learn", "1.0.2"),
    p("scipy", "1.8.0"),
    p("SQLAlchemy", "1.4.36"),
    p("s3fs", "2022.3.0"),
];

/// 2 modules.
const PYTHON_SHELL_3_9_NONE: &[Provided] = &[p("awscli", "1.23.5"), p("botocore", "1.23.5")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_well_formed() {
        for row in RUNTIMES {
            assert!(!row.sources.is_empty(), "{}", row.id);
            assert!(
                row.uv_platform.starts_with("x86_64-manylinux_2_"),
                "{}",
                row.id
            );
            let mut names = std::collections::BTreeSet::new();
            for p in row.provided {
                let _ = p.pep440_version();
                assert!(
                    names.insert(p.package_name()),
                    "{} twice in {}",
                    p.name,
                    row.id
                );
            }
        }
        assert_eq!(
            RUNTIMES
                .iter()
                .map(|r| r.provided.len())
                .collect::<Vec<_>>(),
            [64, 44, 60, 67, 19, 2],
            "the counts of glue-runtimes.md"
        );
    }

    #[test]
    fn spark_versions() {
        let python = |v| {
            lookup(JobType::Spark, Some(v), None, None)
                .unwrap()
                .python
                .to_string()
        };
        assert_eq!(python("4.0"), "3.10");
        assert_eq!(python("5.0"), "3.11");
        assert_eq!(python("5.1"), "3.11");
        assert_eq!(python("6.0"), "3.13");
        assert_eq!(python("4"), "3.10");
        let r = lookup(JobType::Spark, Some("5.0"), None, None).unwrap();
        assert_eq!(r.provided_version("NumPy"), Some("1.26.4"));
        assert_eq!(r.provided_version("acme-tools"), None);
        assert_eq!(r.describe(), "Glue 5.0 (Python 3.11)");
        assert_eq!(r.requires_python(), "==3.11.*");
    }

    #[test]
    fn unsupported_versions_name_the_supported_ones() {
        for (version, needle) in [
            (Some("3.0"), "Python 3.7, which is past end of support"),
            (Some("2.0"), "Python 3.7"),
            (Some("1.0"), "does not install"),
            (None, "no GlueVersion set"),
            (Some("7.0"), "\"7.0\" is not one"),
            (Some("latest"), "\"latest\" is not one"),
        ] {
            let err = lookup(JobType::Spark, version, None, None)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
            assert!(
                err.contains("Glue 4.0, 5.0, 5.1, 6.0 and Python shell 3.9"),
                "{err}"
            );
        }
    }

    #[test]
    fn python_shell_rows() {
        let r = lookup(
            JobType::PythonShell,
            Some("5.0"),
            Some("3.9"),
            Some("analytics"),
        )
        .unwrap();
        assert_eq!(r.provided_version("pandas"), Some("1.4.2"));
        assert!(r.module_forms.inline_options && !r.module_forms.s3_wheels);
        let r = lookup(JobType::PythonShell, None, Some("3.9"), None).unwrap();
        assert_eq!(r.library_set, Some("none"));
        assert_eq!(r.provided_version("pandas"), None);
        assert!(lookup(JobType::PythonShell, None, Some("3"), None).is_err());
        assert!(lookup(JobType::PythonShell, None, None, None).is_err());
        assert!(lookup(JobType::PythonShell, None, Some("3.9"), Some("all")).is_err());
    }

    #[test]
    fn job_types() {
        assert_eq!(
            JobType::from_command_name("gluestreaming"),
            Some(JobType::Spark)
        );
        assert_eq!(JobType::from_command_name("glueray"), None);
        assert_eq!(JobType::parse("spark"), Some(JobType::Spark));
        assert_eq!(
            JobType::parse(JobType::PythonShell.as_str()),
            Some(JobType::PythonShell)
        );
    }
}
