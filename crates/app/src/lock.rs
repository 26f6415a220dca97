//! Lock a job's whole dependency tree for its Glue runtime
//! (`glue-codeartifact lock`), and the same resolution for `doctor`.
//!
//! The roots are the requirements the job installs (its
//! `--additional-python-modules`, in Python shell jobs with the inline pip
//! options dropped) or a requirements file with `--glue-version`. The
//! runtime (Python, platform, the modules Glue provides) comes from the
//! table in `glue-codeartifact-python-env`; uv resolves against the
//! CodeArtifact repository, with a token of the shortest duration AWS
//! allows, passed to uv in its environment only.
//!
//! The packages Glue provides are held at the image's versions. A root
//! requirement that would replace one is refused before uv runs, naming
//! both versions; a dependency that would is refused from uv's answer.
//! With `allow_upgrade_provided`, such a package is resolved from the
//! repository instead (and so mirrored).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::PathBuf;

use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::IndexUrl,
    job::{IndexPlacement, JobDefinition},
    preflight::{
        CheckId, Finding,
        job_rules::modules_value,
        modules::{ModuleItem, NotChecked, parse_modules},
    },
};
use glue_codeartifact_python_env::{
    lock::Lock,
    pep508::parse_requirement,
    runtime::{self, JobType, Runtime, RuntimeError},
};
use glue_codeartifact_uv::{CompileRequest, Failure, ResolutionError, Uv, UvError};
use pep508_rs::{PackageName, VersionOrUrl};

use crate::{
    Error, RepositoryRef, Services,
    error::Context,
    mint::{IssuedIndexUrl, mint},
};

/// The `--library-set` argument of Python shell jobs.
pub const LIBRARY_SET: &str = "library-set";

/// What to lock.
#[derive(Clone, Debug)]
pub enum LockSource {
    /// The requirements a Glue job installs, for its runtime.
    Job(String),
    /// Requirements (from a file) for the runtime of a Glue job: a job
    /// already bound to a wheelhouse, whose modules are S3 objects, is
    /// locked again this way.
    JobRuntime {
        /// The job.
        job: String,
        /// PEP 508 requirements.
        requirements: Vec<String>,
    },
    /// Requirements (from a file) for a runtime given on the command line.
    Requirements {
        /// PEP 508 requirements.
        requirements: Vec<String>,
        /// The runtime.
        runtime: &'static Runtime,
    },
}

/// A lock request.
#[derive(Clone, Debug)]
pub struct LockRequest {
    /// What to lock.
    pub source: LockSource,
    /// The CodeArtifact repository to resolve against.
    pub repository: RepositoryRef,
    /// Let a requirement replace a package Glue provides (it is then
    /// resolved from the repository and mirrored).
    pub allow_upgrade_provided: bool,
    /// The uv binary (`--uv`, `GLUE_CODEARTIFACT_UV`); `uv` on PATH if unset.
    pub uv: Option<PathBuf>,
}

/// A lock made.
#[derive(Clone, Debug)]
pub struct Locked {
    /// The job, when locked from one.
    pub job: Option<String>,
    /// The runtime it was made for.
    pub runtime: &'static Runtime,
    /// The lock.
    pub lock: Lock,
    /// The provided packages the lock replaces (with
    /// `allow_upgrade_provided`).
    pub upgraded: Vec<String>,
    /// The index uv resolved against, with its token (redacted when
    /// formatted): `wheelhouse` downloads the locked wheels with it while
    /// it has [`DOWNLOAD_TOKEN_MARGIN`](crate::wheelhouse::DOWNLOAD_TOKEN_MARGIN)
    /// left, so a wheelhouse that locks first mints once.
    pub index: IssuedIndexUrl,
}

/// The runtime of a Glue job, from the table.
pub fn job_runtime(job: &JobDefinition) -> Result<&'static Runtime, Error> {
    let command = job.command.as_ref().map(|c| c.name()).unwrap_or_default();
    let job_type = JobType::from_command_name(command).ok_or_else(|| {
        Error::Lockable(format!(
            "job {:?} has command {:?}; only glueetl, gluestreaming and pythonshell jobs install Python modules with pip",
            job.name, command
        ))
    })?;
    Ok(runtime::lookup(
        job_type,
        job.glue_version.as_deref(),
        job.python_version.as_deref(),
        job.default_arguments.get(LIBRARY_SET).map(String::as_str),
    )?)
}

/// The requirements a job installs: its `--additional-python-modules`
/// items that are requirements on a project name. An S3 path, a
/// requirements file or a direct URL cannot be locked: refused, naming it.
pub fn job_requirements(job: &JobDefinition, runtime: &Runtime) -> Result<Vec<String>, Error> {
    let modules = modules_value(job, &[]).map_err(|_| {
        Error::Lockable(format!(
            "job {:?} has no --additional-python-modules, so there is nothing to lock; lock a requirements file with --requirements FILE --glue-version V instead",
            job.name
        ))
    })?;
    let placement = match runtime.job_type {
        JobType::Spark => IndexPlacement::InstallerOption,
        JobType::PythonShell => IndexPlacement::InlineModules,
    };
    let mut requirements = Vec::new();
    for item in parse_modules(modules, placement) {
        match item {
            ModuleItem::Requirement { requirement, .. } => {
                requirements.push(requirement.to_string())
            }
            ModuleItem::NotChecked { text, reason } => {
                let what = match reason {
                    NotChecked::S3 => "an S3 path",
                    NotChecked::RequirementsFile => "a requirements file",
                    NotChecked::Url => "a direct URL or path",
                };
                return Err(Error::Lockable(format!(
                    "job {:?} installs {text:?}, {what}, which glue-codeartifact cannot resolve; lock the requirements it stands for instead (`wheelhouse --job {} --requirements FILE`, or `lock --requirements FILE --glue-version V`). A job bound to a wheelhouse lists S3 wheels: lock its requirements file that way, or mirror the lock it was bound from with `wheelhouse --lock FILE`",
                    job.name, job.name
                )));
            }
            ModuleItem::Invalid { text, reason, fix } => {
                return Err(Error::Lockable(format!(
                    "job {:?}: --additional-python-modules item {text:?}: {reason}; {fix}",
                    job.name
                )));
            }
        }
    }
    Ok(requirements)
}

/// A root requirement on a provided package at another version: `(package,
/// provided version, requirement)`.
fn provided_conflicts(
    requirements: &[String],
    runtime: &Runtime,
) -> Vec<(PackageName, &'static str, String)> {
    let mut out = Vec::new();
    for text in requirements {
        let Ok(requirement) = parse_requirement(text) else {
            continue;
        };
        let Some(provided) = runtime.provided_version(requirement.name.as_ref()) else {
            continue;
        };
        let fits = match &requirement.version_or_url {
            None => true,
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => provided
                .parse()
                .is_ok_and(|version| specifiers.contains(&version)),
            Some(VersionOrUrl::Url(_)) => false,
        };
        if !fits {
            out.push((requirement.name.clone(), provided, text.clone()));
        }
    }
    out
}

fn provided_message(
    package: &str,
    provided: &str,
    requirement: &str,
    needed_by: Option<&str>,
    runtime: &Runtime,
) -> String {
    let who = match needed_by {
        Some(dependent) => format!("{dependent} needs {requirement}"),
        None => format!("the job requires {requirement}"),
    };
    format!(
        "{who}, but {} provides {package} {provided}, and installing another {package} would replace the one Glue's own libraries were built with; pin a version that accepts {package} {provided}, or pass --allow-upgrade-provided to lock (and mirror) another {package} anyway",
        runtime.describe()
    )
}

/// uv's failure in Glue terms.
fn glue_terms(err: &ResolutionError, repository: &str, runtime: &Runtime) -> String {
    match &err.failure {
        Failure::Missing {
            package,
            needed_by: Some((dependent, requirement)),
        } => format!(
            "{dependent} needs {requirement}, which {repository} does not have; publish {package} to {repository} or add a public:pypi upstream to it (for live installs, `start --mode extra-index-url` also lets pip take it from PyPI). uv: {}",
            err.detail
        ),
        Failure::Missing {
            package,
            needed_by: None,
        } => format!(
            "{repository} has no package {package}; check the name, publish {package} to {repository}, or add a public:pypi upstream to it. uv: {}",
            err.detail
        ),
        Failure::NoWheel { package, version } => {
            let which = version
                .as_deref()
                .map_or_else(|| package.clone(), |v| format!("{package} {v}"));
            format!(
                "{which} has no wheel for {} ({}): only a source distribution (sdist), which Glue cannot build; publish a wheel of it (py3-none-any, or manylinux x86_64 for Python {}) to {repository}, or pin a version that has one. uv: {}",
                runtime.describe(),
                runtime.uv_platform,
                runtime.python,
                err.detail
            )
        }
        Failure::Provided {
            package,
            provided,
            requirement,
            needed_by,
        } => format!(
            "{}. uv: {}",
            provided_message(
                package,
                provided,
                requirement,
                needed_by.as_deref(),
                runtime
            ),
            err.detail
        ),
        _ => format!(
            "the requirements cannot be resolved for {} against {repository}: {}",
            runtime.describe(),
            err.detail
        ),
    }
}

/// Locks `request.source`.
pub async fn lock(services: &Services, request: &LockRequest) -> Result<Locked, Error> {
    lock_with_job(services, request, None).await
}

/// [`lock`], given the source's job when the caller has read it already
/// (the wheelhouse reads it once, for the lock and for the mirror); a job
/// of another name, or none, is read here.
pub async fn lock_with_job(
    services: &Services,
    request: &LockRequest,
    job: Option<&JobDefinition>,
) -> Result<Locked, Error> {
    let repository = &request.repository;
    let (job, runtime, requirements) = match &request.source {
        LockSource::Job(name) => {
            let job = read_job(services, repository, job, name).await?;
            let runtime = job_runtime(&job)?;
            let requirements = job_requirements(&job, runtime)?;
            (Some(job.name.clone()), runtime, requirements)
        }
        LockSource::JobRuntime {
            job: name,
            requirements,
        } => {
            let job = read_job(services, repository, job, name).await?;
            (
                Some(job.name.clone()),
                job_runtime(&job)?,
                requirements.clone(),
            )
        }
        LockSource::Requirements {
            requirements,
            runtime,
        } => (None, *runtime, requirements.clone()),
    };
    if requirements.is_empty() {
        return Err(Error::Lockable("there are no requirements to lock".into()));
    }
    let mut unpinned = BTreeSet::new();
    for (package, provided, requirement) in provided_conflicts(&requirements, runtime) {
        if !request.allow_upgrade_provided {
            return Err(Error::Resolution(provided_message(
                package.as_ref(),
                provided,
                &requirement,
                None,
                runtime,
            )));
        }
        unpinned.insert(package);
    }
    // Local checks first: uv must be there before a token is minted.
    let uv = Uv::locate(request.uv.as_deref()).await?;
    let issued = mint(services, repository, TokenDuration::MIN).await?;
    let lock = resolve(
        &uv,
        &requirements,
        runtime,
        &issued.url,
        &repository.repository,
        request.allow_upgrade_provided,
        unpinned,
    )
    .await
    .map_err(Error::from)?;
    let mut upgraded: Vec<String> = runtime
        .provided
        .iter()
        .filter(|p| lock.packages.iter().any(|l| l.name == p.package_name()))
        .map(|p| p.package_name().to_string())
        .collect();
    upgraded.sort();
    Ok(Locked {
        job,
        runtime,
        lock,
        upgraded,
        index: issued,
    })
}

/// `job` when it is the one named `name`, else `GetJob`.
async fn read_job<'a>(
    services: &Services,
    repository: &RepositoryRef,
    job: Option<&'a JobDefinition>,
    name: &str,
) -> Result<Cow<'a, JobDefinition>, Error> {
    if let Some(job) = job.filter(|j| j.name == name) {
        return Ok(Cow::Borrowed(job));
    }
    let cx = Context {
        job: Some(name),
        repository,
        region: &services.region,
    };
    services
        .glue
        .get_job(name)
        .await
        .map(Cow::Owned)
        .map_err(|e| Error::from_aws(e, cx))
}

/// Why [`resolve`] failed.
enum ResolveError {
    /// uv could not resolve: its failure, and the message in Glue terms.
    Failed(ResolutionError, String),
    /// Anything else.
    Other(Error),
}

impl From<ResolveError> for Error {
    fn from(err: ResolveError) -> Self {
        match err {
            ResolveError::Failed(_, message) => Error::Resolution(message),
            ResolveError::Other(err) => err,
        }
    }
}

/// Runs uv; with `allow_upgrade`, a provided package that a dependency
/// needs at another version is released and uv runs again.
async fn resolve(
    uv: &Uv,
    requirements: &[String],
    runtime: &'static Runtime,
    index: &IndexUrl,
    repository: &str,
    allow_upgrade: bool,
    mut unpinned: BTreeSet<PackageName>,
) -> Result<Lock, ResolveError> {
    loop {
        let request = CompileRequest {
            requirements,
            runtime,
            index,
            unpinned: &unpinned,
        };
        match uv.compile(&request).await {
            Ok(lock) => return Ok(lock),
            Err(UvError::Resolution(err)) => {
                if let Failure::Provided { package, .. } = &err.failure
                    && allow_upgrade
                    && let Ok(name) = PackageName::new(package.clone())
                    && unpinned.insert(name)
                {
                    continue;
                }
                let message = glue_terms(&err, repository, runtime);
                return Err(ResolveError::Failed(err, message));
            }
            Err(other) => return Err(ResolveError::Other(other.into())),
        }
    }
}

/// Doctor's whole-tree check: the resolution of [`lock`] for a job's
/// requirements, as findings. Never a pass it did not check: without uv it
/// says the check was skipped and how to install uv.
pub async fn whole_tree_findings(
    uv: Option<&std::path::Path>,
    job: &JobDefinition,
    requirements: &[String],
    index: &IndexUrl,
    repository: &str,
) -> Vec<Finding> {
    let skipped = |why: String, fix: &str| {
        vec![Finding::warning(
            CheckId::TreeSkipped,
            format!("the whole dependency tree was not checked: {why}"),
            fix.to_owned(),
        )]
    };
    let runtime = match job_runtime(job) {
        Ok(runtime) => runtime,
        Err(err) => {
            return skipped(
                err.to_string(),
                "see the job findings above; the tree is checked for Glue 4.0, 5.0, 5.1, 6.0 and Python shell 3.9 jobs",
            );
        }
    };
    let uv = match Uv::locate(uv).await {
        Ok(uv) => uv,
        Err(err) => {
            return skipped(
                err.to_string(),
                "install uv (`pipx install uv` or `pip install uv`) and run doctor again; `glue-codeartifact lock` needs it too",
            );
        }
    };
    let conflicts = provided_conflicts(requirements, runtime);
    if !conflicts.is_empty() {
        return conflicts
            .into_iter()
            .map(|(package, provided, requirement)| {
                Finding::error(
                    CheckId::TreeProvidedConflict,
                    provided_message(package.as_ref(), provided, &requirement, None, runtime),
                    format!("pin a {package} that accepts {provided}, or let the job's install replace it knowingly (lock with --allow-upgrade-provided)"),
                )
                .about(requirement)
            })
            .collect();
    }
    match resolve(
        &uv,
        requirements,
        runtime,
        index,
        repository,
        false,
        BTreeSet::new(),
    )
    .await
    {
        Ok(lock) => {
            let provided: Vec<String> = lock
                .provided
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            let provided = if provided.is_empty() {
                String::new()
            } else {
                format!("; from Glue's image: {}", provided.join(", "))
            };
            vec![Finding::info(
                CheckId::TreeOk,
                format!(
                    "the whole tree resolves for {} with wheels only: {} packages from {repository}{provided}",
                    runtime.describe(),
                    lock.packages.len()
                ),
            )]
        }
        Err(ResolveError::Failed(err, message)) => {
            let (check, subject) = match &err.failure {
                Failure::Missing { package, .. } => (CheckId::TreeMissing, Some(package.clone())),
                Failure::NoWheel { package, .. } => (CheckId::TreeNoWheel, Some(package.clone())),
                Failure::Provided { package, .. } => {
                    (CheckId::TreeProvidedConflict, Some(package.clone()))
                }
                _ => (CheckId::TreeUnresolvable, None),
            };
            let finding = Finding::error(
                check,
                message,
                "fix what the cause names, then run doctor again; `glue-codeartifact lock` resolves the same way",
            );
            vec![match subject {
                Some(subject) => finding.about(subject),
                None => finding,
            }]
        }
        Err(ResolveError::Other(other)) => {
            skipped(other.to_string(), "fix the cause and run doctor again")
        }
    }
}

impl From<RuntimeError> for Error {
    fn from(err: RuntimeError) -> Self {
        Error::Runtime(err)
    }
}

impl From<UvError> for Error {
    fn from(err: UvError) -> Self {
        Error::Uv(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provided_conflicts_name_both_versions() {
        let glue4 = runtime::lookup(JobType::Spark, Some("4.0"), None, None).unwrap();
        let found = provided_conflicts(
            &[
                "numpy>=2".into(),
                "boto3".into(),
                "pandas==1.5.1".into(),
                "acme".into(),
            ],
            glue4,
        );
        assert_eq!(found.len(), 1);
        let (package, provided, requirement) = &found[0];
        assert_eq!(
            (package.as_ref(), *provided, requirement.as_str()),
            ("numpy", "1.23.5", "numpy>=2")
        );
        let message = provided_message("numpy", "1.23.5", "numpy>=2", None, glue4);
        assert!(
            message.contains("numpy>=2") && message.contains("numpy 1.23.5"),
            "{message}"
        );
        assert!(message.contains("Glue 4.0"), "{message}");
    }
}
