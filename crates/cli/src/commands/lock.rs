//! `glue-codeartifact lock`: a job's whole tree, resolved by uv, written as
//! a PEP 751 lock file.

use std::io::Write;
use std::path::{Path, PathBuf};

use glue_codeartifact_app::{
    RepositoryRef,
    lock::{LockRequest, LockSource, Locked, lock},
};
use glue_codeartifact_aws::AwsSettings;
use glue_codeartifact_python_env::{
    requirements::parse_requirements_txt,
    runtime::{self, JobType},
};
use serde_json::json;

use super::{Failure, services};
use crate::{
    cli::{JobTypeArg, LockArgs, Output, RequirementsArgs, ResolveArgs},
    exit_code::Exit,
};

/// `pylock.toml` or `pylock.NAME.toml`, NAME without dots (PEP 751, "File
/// Name").
fn check_lock_name(path: &Path) -> Result<(), Failure> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let ok = name == "pylock.toml"
        || name
            .strip_prefix("pylock.")
            .and_then(|rest| rest.strip_suffix(".toml"))
            .is_some_and(|middle| !middle.is_empty() && !middle.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "--output-file {:?} is not a PEP 751 lock file name; name it pylock.toml or pylock.NAME.toml (NAME without dots)",
            path.display()
        )))
    }
}

/// `pylock.<job>.toml`, the job name's characters other than letters,
/// digits, `-` and `_` replaced by `-` (PEP 751 allows no dot there).
fn default_lock_name(job: &str) -> PathBuf {
    let name: String = job
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    PathBuf::from(format!("pylock.{name}.toml"))
}

fn not_lockable(message: String) -> Failure {
    Failure {
        message,
        exit: Exit::NotLockable,
    }
}

pub async fn run(args: LockArgs, output: Output, settings: &AwsSettings) -> Result<Exit, Failure> {
    // Everything local first: nothing is minted for a bad command line.
    let (request, path) = request(
        args.job.as_deref(),
        &args.requirements,
        args.repository.into(),
        args.resolve,
    )?;
    let services = services(settings).await?;
    let locked = lock(&services, &request).await?;
    write_lock(&path, &locked.lock.to_toml())?;

    let mut stdout = std::io::stdout().lock();
    match output {
        Output::Json => writeln!(stdout, "{}", locked_json(&locked, &path)),
        Output::Text => write!(stdout, "{}", locked_text(&locked, &path)),
    }
    .map_err(Failure::output)?;
    Ok(Exit::Success)
}

/// The lock request of a command line (`lock`, and `wheelhouse` without
/// `--lock`), and where the lock goes. Local only: it reads the
/// requirements file, and mints nothing.
pub(crate) fn request(
    job: Option<&str>,
    requirements: &RequirementsArgs,
    repository: RepositoryRef,
    resolve: ResolveArgs,
) -> Result<(LockRequest, PathBuf), Failure> {
    if let Some(path) = &resolve.output_file {
        check_lock_name(path)?;
    }
    let read = |file: &Path| {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Failure::usage(format!(
                "cannot read --requirements {}: {e}",
                file.display()
            ))
        })?;
        parse_requirements_txt(&text).map_err(|e| not_lockable(e.to_string()))
    };
    let (source, path) = match (job, &requirements.requirements) {
        // `wheelhouse --job J --requirements FILE` (lock's flags conflict).
        (Some(job), Some(file)) => (
            LockSource::JobRuntime {
                job: job.to_owned(),
                requirements: read(file)?,
            },
            resolve
                .output_file
                .clone()
                .unwrap_or_else(|| default_lock_name(job)),
        ),
        (Some(job), None) => (
            LockSource::Job(job.to_owned()),
            resolve
                .output_file
                .clone()
                .unwrap_or_else(|| default_lock_name(job)),
        ),
        (None, Some(file)) => {
            let runtime = match requirements.job_type {
                JobTypeArg::Spark => {
                    let version = requirements.glue_version.as_deref().ok_or_else(|| {
                        Failure::usage(
                            "--requirements needs --glue-version (4.0, 5.0, 5.1 or 6.0), or --job-type pythonshell",
                        )
                    })?;
                    runtime::lookup(JobType::Spark, Some(version), None, None)
                }
                JobTypeArg::Pythonshell => runtime::lookup(
                    JobType::PythonShell,
                    None,
                    Some("3.9"),
                    requirements.library_set.as_deref(),
                ),
            }
            .map_err(|e| Failure {
                message: e.to_string(),
                exit: Exit::UnsupportedRuntime,
            })?;
            (
                LockSource::Requirements {
                    requirements: read(file)?,
                    runtime,
                },
                resolve
                    .output_file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("pylock.toml")),
            )
        }
        (None, None) => {
            return Err(Failure::usage(
                "give what to lock: --job JOB, or --requirements FILE with --glue-version",
            ));
        }
    };
    let request = LockRequest {
        source,
        repository,
        allow_upgrade_provided: resolve.allow_upgrade_provided,
        uv: resolve.uv,
    };
    Ok((request, path))
}

/// Writes next to the target, then renames: a reader never sees half a
/// lock.
pub(crate) fn write_lock(path: &Path, text: &str) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure {
        message: format!("cannot write the lock file {}: {e}", path.display()),
        exit: Exit::Failure,
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text).map_err(fail)?;
    std::fs::rename(&partial, path).map_err(fail)
}

fn locked_json(locked: &Locked, path: &Path) -> serde_json::Value {
    let lock = &locked.lock;
    json!({
        "lock_file": path.display().to_string(),
        "job": locked.job,
        "runtime": {
            "id": locked.runtime.id,
            "glue_version": lock.runtime.glue_version.map(|v| v.to_string()),
            "job_type": lock.runtime.job_type.as_str(),
            "python": lock.runtime.python,
            "platform": lock.runtime.platform,
            "library_set": lock.runtime.library_set,
        },
        "requirements": lock.requirements,
        "packages": lock.dependency_order().iter().map(|p| json!({
            "name": p.name.to_string(),
            "version": p.version.to_string(),
            "wheel": p.wheel.filename,
            "url": p.wheel.url.as_str(),
            "size": p.wheel.size,
            "sha256": p.wheel.sha256,
            "dependencies": p.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "provided": lock.provided.iter().map(|p| json!({
            "name": p.name.to_string(),
            "version": p.version.to_string(),
        })).collect::<Vec<_>>(),
        "upgraded_provided": locked.upgraded,
    })
}

fn locked_text(locked: &Locked, path: &Path) -> String {
    let lock = &locked.lock;
    let mut out = format!(
        "locked {} package{} for {} ({}) into {}\n",
        lock.packages.len(),
        if lock.packages.len() == 1 { "" } else { "s" },
        locked.runtime.describe(),
        locked.runtime.uv_platform,
        path.display()
    );
    for p in lock.dependency_order() {
        let size = p
            .wheel
            .size
            .map_or_else(String::new, |s| format!(", {s} bytes"));
        out.push_str(&format!(
            "  {} {}  {}{size}, sha256 {}\n",
            p.name, p.version, p.wheel.filename, p.wheel.sha256
        ));
    }
    if !lock.provided.is_empty() {
        let provided: Vec<String> = lock
            .provided
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        out.push_str(&format!(
            "provided by Glue's image (not locked): {}\n",
            provided.join(", ")
        ));
    }
    if !locked.upgraded.is_empty() {
        out.push_str(&format!(
            "replaces Glue's own (--allow-upgrade-provided): {}\n",
            locked.upgraded.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_follow_pep_751() {
        assert!(check_lock_name(Path::new("pylock.toml")).is_ok());
        assert!(check_lock_name(Path::new("locks/pylock.nightly-etl.toml")).is_ok());
        assert!(check_lock_name(Path::new("pylock.a.b.toml")).is_err());
        assert!(check_lock_name(Path::new("lock.toml")).is_err());
        assert!(check_lock_name(Path::new("pylock..toml")).is_err());
        assert_eq!(
            default_lock_name("nightly etl.v2"),
            PathBuf::from("pylock.nightly-etl-v2.toml")
        );
    }
}
