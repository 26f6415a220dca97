//! The uv adapter: resolution for a Glue runtime by the `uv` binary.
//!
//! glue-codeartifact does not resolve dependencies itself, and it does not
//! link uv's crates (they are uv's internal, unstable APIs): it runs the
//! `uv` binary, which users install from PyPI (`pip install uv`), with a
//! tested minimum version ([`MINIMUM_VERSION`]).
//!
//! [`Uv::compile`] runs `uv pip compile` for one [`Runtime`]:
//!
//! - `--python-version 3.M --python-platform x86_64-manylinux_2_X` (the
//!   runtime's), `--only-binary :all:` (Glue cannot compile native code);
//! - the packages Glue provides held at their versions as constraints, with
//!   metadata-only stand-in wheels in a `--find-links` folder (a private
//!   repository without an upstream lacks boto3, and Glue's image has it
//!   anyway), left out of the output with `--no-emit-package`;
//! - the index URL, which holds the token, only in the environment
//!   (`UV_DEFAULT_INDEX`), never in argv (argv is readable in `/proc`); the
//!   caller's own `UV_*` and `PIP_*` variables and uv's config files are
//!   ignored, `UV_PYTHON_DOWNLOADS=never`, and the cache is a private
//!   temporary folder;
//! - a second, pinned run with `--annotation-style line` gives the
//!   dependency graph (uv's `pylock.toml` has none), from which the lock's
//!   install order comes. It runs `--offline` on the first run's cache, so
//!   the index is asked once per page and file, not twice (online again
//!   only if the cache lacks something).
//!
//! uv's errors are read into a [`Failure`] (missing package, no wheel, a
//! conflict with a provided package) and redacted: no token or index URL
//! with credentials is ever returned.

#![deny(missing_docs)]

pub mod failure;
pub mod standin;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use glue_codeartifact_domain::index_url::IndexUrl;
use glue_codeartifact_python_env::lock::{Lock, LockError, ProvidedPackage};
use glue_codeartifact_python_env::runtime::Runtime;
use pep440_rs::Version;
use pep508_rs::PackageName;
use tokio::process::Command;

pub use failure::{Failure, ResolutionError};

/// The environment variable that names the `uv` binary (the CLI's `--uv`).
pub const ENV_VAR: &str = "GLUE_CODEARTIFACT_UV";

/// The oldest uv glue-codeartifact is tested with: its `pylock.toml`
/// output, `--python-platform` targets and error wording are what
/// [`Uv::compile`] reads.
pub const MINIMUM_VERSION: UvVersion = UvVersion(0, 13, 9);

/// How long one uv run may take before it is stopped.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// A uv release, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UvVersion(pub u64, pub u64, pub u64);

impl UvVersion {
    /// Reads `uv --version`'s output: `uv 0.13.9 (x86_64-unknown-linux-gnu)`
    /// or `uv 0.13.9`.
    pub fn from_version_output(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        if words.next()? != "uv" {
            return None;
        }
        let version = words.next()?;
        let core = version.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().unwrap_or(Some(0))?;
        Some(UvVersion(major, minor, patch))
    }
}

impl fmt::Display for UvVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// How to install uv, for messages.
pub const INSTALL_HINT: &str = "install uv (`pipx install uv`, or `pip install uv` into a virtual environment), or name the binary with --uv PATH or GLUE_CODEARTIFACT_UV";

/// What went wrong running uv.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UvError {
    /// No `uv` binary where we looked.
    #[error("uv was not found ({searched}); {INSTALL_HINT}")]
    NotFound {
        /// Where we looked.
        searched: String,
    },
    /// The binary could not be run.
    #[error("could not run uv at {path}: {message}; {INSTALL_HINT}")]
    Spawn {
        /// The binary.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// `uv --version` printed something we cannot read.
    #[error("{path} --version printed {output:?}, not a uv version; is it uv? {INSTALL_HINT}")]
    UnreadableVersion {
        /// The binary.
        path: PathBuf,
        /// Its first line of output.
        output: String,
    },
    /// uv is older than [`MINIMUM_VERSION`].
    #[error(
        "uv at {path} is version {found}; glue-codeartifact needs uv {MINIMUM_VERSION} or newer: upgrade it (`pipx upgrade uv` or `pip install -U uv`)"
    )]
    TooOld {
        /// The binary.
        path: PathBuf,
        /// Its version.
        found: UvVersion,
    },
    /// uv could not resolve the requirements.
    #[error(transparent)]
    Resolution(#[from] ResolutionError),
    /// uv ran longer than allowed.
    #[error("uv pip compile did not finish within {} seconds", RUN_TIMEOUT.as_secs())]
    Timeout,
    /// uv's output is not what this version of glue-codeartifact reads.
    #[error("uv's output could not be read ({0}); is uv {MINIMUM_VERSION} or newer?")]
    Output(String),
    /// uv's lock is not one Glue can install.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A temporary file could not be written.
    #[error("could not prepare uv's input files: {0}")]
    Io(String),
}

/// A `uv` binary whose version was checked.
#[derive(Clone, Debug)]
pub struct Uv {
    path: PathBuf,
    version: UvVersion,
}

/// What to resolve.
#[derive(Clone, Copy, Debug)]
pub struct CompileRequest<'a> {
    /// The roots: PEP 508 requirements, one per entry.
    pub requirements: &'a [String],
    /// The runtime to resolve for.
    pub runtime: &'static Runtime,
    /// The index, with its token (passed in the environment only).
    pub index: &'a IndexUrl,
    /// Provided packages the caller lets the tree replace: resolved from
    /// the index like any other (and so mirrored), not held at Glue's
    /// version.
    pub unpinned: &'a BTreeSet<PackageName>,
}

impl Uv {
    /// Finds uv: `explicit` (the `--uv` flag or [`ENV_VAR`]) when given,
    /// else `uv` on `PATH`; then checks its version.
    pub async fn locate(explicit: Option<&Path>) -> Result<Self, UvError> {
        let path = match explicit {
            Some(path) => {
                if !path.is_file() {
                    return Err(UvError::NotFound {
                        searched: format!("{} does not exist", path.display()),
                    });
                }
                path.to_path_buf()
            }
            None => on_path("uv").ok_or_else(|| UvError::NotFound {
                searched: "no `uv` on PATH".to_owned(),
            })?,
        };
        let version = version_of(&path).await?;
        if version < MINIMUM_VERSION {
            return Err(UvError::TooOld {
                path,
                found: version,
            });
        }
        tracing::debug!(uv = %path.display(), %version, "found uv");
        Ok(Self { path, version })
    }

    /// The binary.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its version.
    pub fn version(&self) -> UvVersion {
        self.version
    }

    /// Resolves `request` into a lock.
    pub async fn compile(&self, request: &CompileRequest<'_>) -> Result<Lock, UvError> {
        let runtime = request.runtime;
        let dir = tempfile::Builder::new()
            .prefix("glue-codeartifact-uv-")
            .tempdir()
            .map_err(|e| UvError::Io(e.to_string()))?;
        let io = |e: std::io::Error| UvError::Io(e.to_string());
        let roots = dir.path().join("requirements.in");
        std::fs::write(
            &roots,
            lines(request.requirements.iter().map(String::as_str)),
        )
        .map_err(io)?;
        let held: Vec<_> = runtime
            .provided
            .iter()
            .filter(|p| !request.unpinned.contains(&p.package_name()))
            .collect();
        let constraints = dir.path().join("glue-provided.txt");
        let pins: Vec<String> = held
            .iter()
            .map(|p| format!("{}=={}", p.package_name(), p.version))
            .collect();
        std::fs::write(&constraints, lines(pins.iter().map(String::as_str))).map_err(io)?;
        let standins = dir.path().join("glue-provided");
        std::fs::create_dir(&standins).map_err(io)?;
        for p in &held {
            let (filename, bytes) = standin::wheel(&p.package_name(), p.version, p.name);
            std::fs::write(standins.join(filename), bytes).map_err(io)?;
        }
        let cache = dir.path().join("cache");

        let mut common: Vec<OsString> = vec![
            "pip".into(),
            "compile".into(),
            roots.clone().into(),
            "--python-version".into(),
            runtime.python.to_string().into(),
            "--python-platform".into(),
            runtime.uv_platform.into(),
            "--only-binary".into(),
            ":all:".into(),
            "--constraint".into(),
            constraints.clone().into(),
            "--find-links".into(),
            standins.clone().into(),
            "--no-header".into(),
            "--no-config".into(),
            "--quiet".into(),
            "--color".into(),
            "never".into(),
        ];

        // Run 1: the lock.
        let mut args = common.clone();
        args.extend(["--format".into(), "pylock.toml".into()]);
        for p in &held {
            args.extend([
                "--no-emit-package".into(),
                p.package_name().to_string().into(),
            ]);
        }
        let pylock = self.run(&args, request, &cache).await?;
        let locked = glue_codeartifact_python_env::lock::pinned_versions(&pylock)?;

        // Run 2: the same tree, pinned, with uv's "# via" annotations.
        let pinned = dir.path().join("locked.txt");
        let pin_lines: Vec<String> = locked.iter().map(|(n, v)| format!("{n}=={v}")).collect();
        std::fs::write(&pinned, lines(pin_lines.iter().map(String::as_str))).map_err(io)?;
        common.extend([
            "--constraint".into(),
            pinned.into(),
            "--annotation-style".into(),
            "line".into(),
        ]);
        // Offline, from the cache run 1 filled: an index without HTTP
        // freshness headers (the emulator's, and CodeArtifact's as far as
        // we know) would otherwise be fetched again page by page and file
        // by file, doubling the index requests. Should the cache lack
        // something, the same run goes online.
        let mut offline = common.clone();
        offline.push("--offline".into());
        let annotated = match self.run(&offline, request, &cache).await {
            Ok(annotated) => annotated,
            // A cache miss fails the resolution; a timeout or a uv that
            // cannot run would only fail (or wait) again online.
            Err(UvError::Resolution(err)) => {
                tracing::debug!(error = %err, "uv's offline run failed; running it online");
                self.run(&common, request, &cache).await?
            }
            Err(err) => return Err(err),
        };
        let graph = parse_annotated(&annotated)?;

        let mut dependencies: BTreeMap<PackageName, Vec<PackageName>> = BTreeMap::new();
        let mut provided = Vec::new();
        for (name, (version, via)) in &graph {
            if !locked.contains_key(name) {
                if held.iter().any(|p| p.package_name() == *name) {
                    provided.push(ProvidedPackage {
                        name: name.clone(),
                        version: version.clone(),
                    });
                } else {
                    return Err(UvError::Output(format!(
                        "{name} is in uv's annotated output but not in its lock"
                    )));
                }
            }
            for dependent in via {
                dependencies
                    .entry(dependent.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        Ok(Lock::from_uv(
            &pylock,
            runtime,
            request.requirements.to_vec(),
            &dependencies,
            provided,
        )?)
    }

    async fn run(
        &self,
        args: &[OsString],
        request: &CompileRequest<'_>,
        cache: &Path,
    ) -> Result<String, UvError> {
        let mut command = Command::new(&self.path);
        command.args(args);
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("UV_") || key_text.starts_with("PIP_") {
                command.env_remove(&key);
            }
        }
        command
            .env("UV_DEFAULT_INDEX", request.index.expose_secret())
            .env("UV_PYTHON_DOWNLOADS", "never")
            .env("UV_CACHE_DIR", cache)
            .env("UV_NO_PROGRESS", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        tracing::debug!(uv = %self.path.display(), ?args, index = %request.index, "running uv");
        let child = command.spawn().map_err(|e| UvError::Spawn {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let output = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| UvError::Timeout)?
            .map_err(|e| UvError::Spawn {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        let stderr = failure::redact(&String::from_utf8_lossy(&output.stderr), request.index);
        if !output.status.success() {
            return Err(ResolutionError::from_stderr(&stderr, request.runtime).into());
        }
        if !stderr.trim().is_empty() {
            tracing::debug!(stderr = %stderr.trim(), "uv said");
        }
        let stdout = String::from_utf8(output.stdout)
            .map_err(|_| UvError::Output("uv's output is not UTF-8".to_owned()))?;
        Ok(stdout)
    }
}

fn lines<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for item in items {
        text.push_str(item);
        text.push('\n');
    }
    text
}

/// The first `name` executable on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

async fn version_of(path: &Path) -> Result<UvVersion, UvError> {
    let output = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .map_err(|_| UvError::Spawn {
            path: path.to_path_buf(),
            message: "`--version` did not answer within 30 seconds".to_owned(),
        })?
        .map_err(|e| UvError::Spawn {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or_default().trim().to_owned();
    UvVersion::from_version_output(&first)
        .filter(|_| output.status.success())
        .ok_or(UvError::UnreadableVersion {
            path: path.to_path_buf(),
            output: first.chars().take(120).collect(),
        })
}

/// Parses `uv pip compile --annotation-style line` output: `name==version
/// # via a, b, -r requirements.in, -c constraints.txt` → each package's
/// version and its dependents.
pub fn parse_annotated(
    text: &str,
) -> Result<BTreeMap<PackageName, (Version, Vec<PackageName>)>, UvError> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let (pin, via) = match line.split_once('#') {
            Some((pin, comment)) => (pin.trim(), comment.trim().strip_prefix("via").unwrap_or("")),
            None => (line, ""),
        };
        let pin = pin.split(';').next().unwrap_or(pin).trim();
        let (name, version) = pin
            .split_once("==")
            .ok_or_else(|| UvError::Output(format!("line {line:?} is not a pin")))?;
        let name = PackageName::new(name.trim().to_owned())
            .map_err(|_| UvError::Output(format!("line {line:?} has no valid name")))?;
        let version: Version = version
            .trim()
            .parse()
            .map_err(|_| UvError::Output(format!("line {line:?} has no valid version")))?;
        let dependents = via
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.starts_with('-'))
            .filter_map(|d| PackageName::new(d.to_owned()).ok())
            .collect();
        out.insert(name, (version, dependents));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            UvVersion::from_version_output("uv 0.13.9 (x86_64-unknown-linux-gnu)"),
            Some(UvVersion(0, 13, 9))
        );
        assert_eq!(
            UvVersion::from_version_output("uv 0.4.1"),
            Some(UvVersion(0, 4, 1))
        );
        assert_eq!(
            UvVersion::from_version_output("uv 1.0.0-rc.1"),
            Some(UvVersion(1, 0, 0))
        );
        assert_eq!(UvVersion::from_version_output("pip 24.0"), None);
        assert_eq!(UvVersion::from_version_output("uv x.y"), None);
        assert!(UvVersion(0, 12, 24) < MINIMUM_VERSION);
        assert!(UvVersion(1, 0, 0) > MINIMUM_VERSION);
    }

    #[test]
    fn annotations() {
        let text = "acme-core==2.1.0          # via acme-tools, -c locked.txt\nacme-tools==1.2.0         # via -c locked.txt, -r requirements.in\nBoto3==1.34.131 ; python_version >= '3'  # via acme-tools, Acme_Tools\n";
        let graph = parse_annotated(text).unwrap();
        let n = |s: &str| PackageName::new(s.to_owned()).unwrap();
        assert_eq!(graph[&n("acme-core")].1, [n("acme-tools")]);
        assert!(graph[&n("acme-tools")].1.is_empty());
        assert_eq!(graph[&n("boto3")].0.to_string(), "1.34.131");
        assert!(parse_annotated("not a pin\n").is_err());
    }
}
