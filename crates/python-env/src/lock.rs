//! The lock: a PEP 751 `pylock.toml` holding one wheel per package, for one
//! Glue runtime.
//!
//! PEP 751 ("A file format to record Python dependencies for installation
//! reproducibility") names the file `pylock.toml` or `pylock.<name>.toml`
//! and gives each package its files with their hashes. glue-codeartifact
//! writes a single-environment lock:
//!
//! - `[[packages]]` holds every package the job installs from the wheelhouse,
//!   each with exactly one wheel (`name`, `url` without credentials, `size`,
//!   `hashes.sha256`) and its `dependencies` (references by name, which
//!   PEP 751 allows for auditing);
//! - `[tool.glue-codeartifact]` records the runtime it was resolved for
//!   (`glue-version`, `job-type`, `python`, `platform`, `library-set`), the
//!   requirements that were locked, and the Glue-provided packages the tree
//!   needs (`provided`), which come from Glue's image and are never
//!   mirrored.
//!
//! [`Lock::parse`] validates what it reads: wheels only (Glue cannot build an
//! sdist), a sha256 for each, and no credentials in any URL.
//!
//! ```
//! use glue_codeartifact_python_env::lock::Lock;
//!
//! let text = r#"
//! lock-version = "1.0"
//! created-by = "glue-codeartifact"
//!
//! [[packages]]
//! name = "acme-tools"
//! version = "1.2.0"
//! dependencies = [{ name = "acme-core" }]
//! wheels = [{ name = "acme_tools-1.2.0-py3-none-any.whl", url = "https://repo.example/acme_tools-1.2.0-py3-none-any.whl", size = 1200, hashes = { sha256 = "d3599069cfa29dd8af2c1a5c0d5417c123a5bf13caa2c4412ad9e9b44d6589fc" } }]
//!
//! [[packages]]
//! name = "acme-core"
//! version = "2.1.0"
//! wheels = [{ url = "https://repo.example/acme_core-2.1.0-py3-none-any.whl", hashes = { sha256 = "8e0370f25aefe789eb784073d4da43f05c547a7c7be024be728b9ba075d9d956" } }]
//!
//! [tool.glue-codeartifact]
//! glue-version = "5.0"
//! job-type = "spark"
//! python = "3.11"
//! platform = "x86_64-manylinux_2_34"
//! provided = [{ name = "boto3", version = "1.34.131" }]
//! "#;
//! let lock = Lock::parse(text)?;
//! let order: Vec<&str> = lock.dependency_order().iter().map(|p| p.name.as_ref()).collect();
//! assert_eq!(order, ["acme-core", "acme-tools"]);
//! assert_eq!(lock.provided[0].name.as_ref(), "boto3");
//! assert_eq!(Lock::parse(&lock.to_toml())?, lock);
//!
//! let tampered = text.replace("https://repo.example", "https://aws:SECRET@repo.example");
//! let err = Lock::parse(&tampered).unwrap_err().to_string();
//! assert!(err.contains("credentials") && !err.contains("SECRET"));
//! # Ok::<(), glue_codeartifact_python_env::lock::LockError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use pep440_rs::Version;
use pep508_rs::PackageName;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::runtime::{GlueVersion, JobType, Runtime};
use crate::wheel::{DistFilename, DistKind, Preference, preference};

/// The `lock-version` written; any `1.x` is read (PEP 751: a tool must
/// refuse a major version it does not know, and may read newer minors).
pub const LOCK_VERSION: &str = "1.0";
/// The `[tool]` table that holds glue-codeartifact's data.
pub const TOOL: &str = "glue-codeartifact";

/// The runtime a lock was resolved for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockRuntime {
    /// Spark or Python shell.
    pub job_type: JobType,
    /// The Glue version (Spark jobs).
    pub glue_version: Option<GlueVersion>,
    /// `3.M`.
    pub python: String,
    /// uv's `--python-platform` string.
    pub platform: String,
    /// `--library-set` (Python shell jobs).
    pub library_set: Option<String>,
}

impl LockRuntime {
    /// What a lock made for `runtime` records.
    pub fn of(runtime: &Runtime) -> Self {
        Self {
            job_type: runtime.job_type,
            glue_version: runtime.glue_version,
            python: runtime.python.to_string(),
            platform: runtime.uv_platform.to_owned(),
            library_set: runtime.library_set.map(str::to_owned),
        }
    }

    /// Whether a lock made for this runtime installs on `runtime`; the
    /// error says what differs, in both values.
    pub fn check_matches(&self, runtime: &Runtime) -> Result<(), LockError> {
        let want = Self::of(runtime);
        if *self == want {
            return Ok(());
        }
        Err(LockError::RuntimeMismatch {
            lock: self.to_string(),
            job: want.to_string(),
        })
    }
}

impl fmt::Display for LockRuntime {
    /// `Glue 5.0 spark, Python 3.11, x86_64-manylinux_2_34`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.glue_version {
            Some(v) => write!(f, "Glue {v} {}", self.job_type)?,
            None => write!(f, "{}", self.job_type)?,
        }
        if let Some(set) = &self.library_set {
            write!(f, " (library-set {set})")?;
        }
        write!(f, ", Python {}, {}", self.python, self.platform)
    }
}

/// The one wheel a package installs from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedWheel {
    /// The wheel's file name (pip needs it to read the tags).
    pub filename: String,
    /// Where it was resolved from; never with credentials.
    pub url: Url,
    /// Its size in bytes, when the index gave it.
    pub size: Option<u64>,
    /// Its SHA-256, 64 lowercase hex digits.
    pub sha256: String,
}

/// A package the wheelhouse holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPackage {
    /// The normalized name.
    pub name: PackageName,
    /// The exact version.
    pub version: Version,
    /// What it needs (locked or provided packages), by name.
    pub dependencies: Vec<PackageName>,
    /// Its wheel.
    pub wheel: LockedWheel,
}

/// A package the tree needs that Glue's image provides: never mirrored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProvidedPackage {
    /// The normalized name.
    pub name: PackageName,
    /// The version the image has.
    pub version: Version,
}

/// A lock for one Glue runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    /// The runtime it was resolved for.
    pub runtime: LockRuntime,
    /// The requirements that were locked (the roots), as written.
    pub requirements: Vec<String>,
    /// The packages to install, one wheel each, sorted by name.
    pub packages: Vec<LockedPackage>,
    /// The Glue-provided packages the tree needs, sorted by name.
    pub provided: Vec<ProvidedPackage>,
}

/// Why a lock could not be read or made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Not TOML, or not PEP 751's shape.
    #[error("the lock file is not a valid pylock.toml: {0}")]
    Syntax(String),
    /// A `lock-version` this reader does not know.
    #[error("the lock file has lock-version {0:?}; glue-codeartifact reads lock-version 1.x")]
    LockVersion(String),
    /// No `[tool.glue-codeartifact]` table, or a bad field in it.
    #[error(
        "the lock file's [tool.glue-codeartifact] table is missing or invalid ({0}); write the lock with `glue-codeartifact lock`"
    )]
    Tool(String),
    /// A package entry is invalid.
    #[error("package {package:?} in the lock file: {reason}")]
    Package {
        /// The package's name as written.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// A package that is not a wheel: Glue cannot build it.
    #[error(
        "package {package:?} in the lock file is locked as {kind}, not a wheel; Glue installs wheels only (it cannot compile), so lock with --only-binary (glue-codeartifact lock does)"
    )]
    NotWheel {
        /// The package.
        package: String,
        /// `an sdist`, `a VCS checkout`, ….
        kind: &'static str,
    },
    /// A wheel without a SHA-256.
    #[error(
        "package {package:?} in the lock file has no sha256 hash for {file}; a lock without hashes cannot be verified"
    )]
    MissingHash {
        /// The package.
        package: String,
        /// The file.
        file: String,
    },
    /// A URL that carries credentials (a token in its user-info).
    #[error(
        "package {package:?} in the lock file has a URL with credentials (host {host}); a lock must never hold a token: lock again with `glue-codeartifact lock`"
    )]
    Credentials {
        /// The package.
        package: String,
        /// The URL's host (no secret).
        host: String,
    },
    /// The lock was made for another runtime.
    #[error("the lock was made for {lock}, but the job runs {job}; lock again for the job")]
    RuntimeMismatch {
        /// The lock's runtime.
        lock: String,
        /// The job's runtime.
        job: String,
    },
}

// --- PEP 751 as serde sees it -------------------------------------------

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct RawLock {
    lock_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requires_python: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(default)]
    packages: Vec<RawPackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool: Option<BTreeMap<String, toml::Value>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<RawDependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wheels: Option<Vec<RawWheel>>,
    #[serde(default, skip_serializing)]
    sdist: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    archive: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    vcs: Option<toml::Value>,
    #[serde(default, skip_serializing)]
    directory: Option<toml::Value>,
}

#[derive(Debug, Deserialize, Serialize)]
struct RawDependency {
    name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct RawWheel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing)]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct RawTool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    glue_version: Option<String>,
    job_type: String,
    python: String,
    platform: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    library_set: Option<String>,
    #[serde(default)]
    requirements: Vec<String>,
    #[serde(default)]
    provided: Vec<RawProvided>,
}

#[derive(Debug, Deserialize, Serialize)]
struct RawProvided {
    name: String,
    version: String,
}

fn package_error(package: &str, reason: impl Into<String>) -> LockError {
    LockError::Package {
        package: package.to_owned(),
        reason: reason.into(),
    }
}

/// Parses a URL and refuses credentials (user-info), a secret in the query
/// string's obvious places, and schemes other than HTTP(S). Messages name
/// the host only.
fn checked_url(package: &str, text: &str) -> Result<Url, LockError> {
    let mut url =
        Url::parse(text).map_err(|_| package_error(package, "a wheel URL is not a valid URL"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LockError::Credentials {
            package: package.to_owned(),
            host,
        });
    }
    if !matches!(url.scheme(), "https" | "http") {
        return Err(package_error(
            package,
            format!(
                "a wheel URL has scheme {:?}; only http(s) URLs can be mirrored",
                url.scheme()
            ),
        ));
    }
    url.set_fragment(None);
    Ok(url)
}

fn check_text_credentials(package: &str, text: &str) -> Result<(), LockError> {
    // A requirement may be a direct reference (`name @ https://user:pw@…`).
    for word in text.split(|c: char| c.is_whitespace() || c == ';' || c == ',') {
        if let Ok(url) = Url::parse(word)
            && (!url.username().is_empty() || url.password().is_some())
        {
            return Err(LockError::Credentials {
                package: package.to_owned(),
                host: url.host_str().unwrap_or_default().to_owned(),
            });
        }
    }
    Ok(())
}

fn sha256_of(
    package: &str,
    file: &str,
    hashes: &BTreeMap<String, String>,
) -> Result<String, LockError> {
    let hash = hashes.get("sha256").ok_or_else(|| LockError::MissingHash {
        package: package.to_owned(),
        file: file.to_owned(),
    })?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(package_error(
            package,
            format!("the sha256 of {file} is not 64 hex digits"),
        ));
    }
    Ok(hash.to_ascii_lowercase())
}

fn not_wheel_kind(package: &RawPackage) -> Option<&'static str> {
    if package.sdist.is_some() {
        Some("an sdist")
    } else if package.archive.is_some() {
        Some("an archive")
    } else if package.vcs.is_some() {
        Some("a VCS checkout")
    } else if package.directory.is_some() {
        Some("a local directory")
    } else {
        None
    }
}

/// One raw wheel entry, validated: file name (given or the URL's last part),
/// URL, size and hash, and the file name's own name and version checked
/// against the package's.
fn checked_wheel(
    name: &PackageName,
    version: &Version,
    raw: &RawWheel,
) -> Result<(LockedWheel, DistFilename), LockError> {
    let package = name.as_ref();
    if raw.path.is_some() && raw.url.is_none() {
        return Err(package_error(
            package,
            "a wheel is a local path; glue-codeartifact locks index URLs only",
        ));
    }
    let url_text = raw
        .url
        .as_deref()
        .ok_or_else(|| package_error(package, "a wheel has no url"))?;
    let url = checked_url(package, url_text)?;
    let filename = match &raw.name {
        Some(n) => n.clone(),
        None => url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .unwrap_or_default(),
    };
    let parsed = DistFilename::parse(&filename)
        .filter(|f| matches!(f.kind, DistKind::Wheel(_)))
        .ok_or_else(|| package_error(package, format!("{filename:?} is not a wheel file name")))?;
    if parsed.package_name().as_ref() != Some(name) || parsed.version != *version {
        return Err(package_error(
            package,
            format!("the wheel {filename} is not {package} {version}"),
        ));
    }
    let sha256 = sha256_of(package, &filename, &raw.hashes)?;
    Ok((
        LockedWheel {
            filename,
            url,
            size: raw.size,
            sha256,
        },
        parsed,
    ))
}

fn name_and_version(raw: &RawPackage) -> Result<(PackageName, Version), LockError> {
    let name = PackageName::new(raw.name.clone())
        .map_err(|_| package_error(&raw.name, "not a valid package name"))?;
    let version = raw
        .version
        .as_deref()
        .ok_or_else(|| package_error(&raw.name, "no version"))?
        .parse::<Version>()
        .map_err(|_| package_error(&raw.name, "the version is not a PEP 440 version"))?;
    if let Some(kind) = not_wheel_kind(raw) {
        return Err(LockError::NotWheel {
            package: raw.name.clone(),
            kind,
        });
    }
    Ok((name, version))
}

fn parse_raw(text: &str) -> Result<RawLock, LockError> {
    let raw: RawLock =
        toml::from_str(text).map_err(|e| LockError::Syntax(e.message().to_owned()))?;
    match raw.lock_version.split_once('.') {
        Some(("1", minor)) if minor.bytes().all(|b| b.is_ascii_digit()) && !minor.is_empty() => {}
        _ => return Err(LockError::LockVersion(raw.lock_version)),
    }
    Ok(raw)
}

/// The `name == version` pins of any PEP 751 lock (uv's output included),
/// without the rest of [`Lock::parse`]'s checks beyond names, versions and
/// wheels-only.
pub fn pinned_versions(text: &str) -> Result<BTreeMap<PackageName, Version>, LockError> {
    let raw = parse_raw(text)?;
    raw.packages.iter().map(name_and_version).collect()
}

impl Lock {
    /// Reads a lock that glue-codeartifact wrote, validating it.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let mut raw = parse_raw(text)?;
        let tool_value = raw
            .tool
            .as_mut()
            .and_then(|t| t.remove(TOOL))
            .ok_or_else(|| LockError::Tool("no [tool.glue-codeartifact] table".to_owned()))?;
        let tool: RawTool = tool_value
            .try_into()
            .map_err(|e: toml::de::Error| LockError::Tool(e.message().to_owned()))?;
        let runtime = tool_runtime(&tool)?;
        for requirement in &tool.requirements {
            check_text_credentials("(requirements)", requirement)?;
        }
        let mut provided = Vec::new();
        for p in &tool.provided {
            let name = PackageName::new(p.name.clone())
                .map_err(|_| LockError::Tool(format!("provided name {:?} is not valid", p.name)))?;
            let version = p.version.parse().map_err(|_| {
                LockError::Tool(format!("provided version {:?} is not valid", p.version))
            })?;
            provided.push(ProvidedPackage { name, version });
        }
        let mut packages = Vec::new();
        for package in &raw.packages {
            let (name, version) = name_and_version(package)?;
            let wheels = package.wheels.as_deref().unwrap_or_default();
            let [wheel] = wheels else {
                return Err(package_error(
                    &package.name,
                    format!(
                        "{} wheels are listed; a glue-codeartifact lock holds exactly one per package",
                        wheels.len()
                    ),
                ));
            };
            let (wheel, _) = checked_wheel(&name, &version, wheel)?;
            let dependencies = dependency_names(package)?;
            packages.push(LockedPackage {
                name,
                version,
                dependencies,
                wheel,
            });
        }
        Self::assemble(runtime, tool.requirements, packages, provided)
    }

    /// Makes a lock from uv's `pylock.toml` output (`uv pip compile
    /// --format pylock.toml`): where uv lists several wheels of a package,
    /// keeps the one pip prefers on `runtime`. uv's pylock has no
    /// dependency graph: `dependencies` gives it (package → what it needs),
    /// from uv's annotated requirements output. `provided` are the
    /// Glue-provided packages the tree needs (uv left them out with
    /// `--no-emit-package`).
    pub fn from_uv(
        text: &str,
        runtime: &Runtime,
        requirements: Vec<String>,
        dependencies: &BTreeMap<PackageName, Vec<PackageName>>,
        provided: Vec<ProvidedPackage>,
    ) -> Result<Self, LockError> {
        for requirement in &requirements {
            check_text_credentials("(requirements)", requirement)?;
        }
        let raw = parse_raw(text)?;
        let mut packages = Vec::new();
        for package in &raw.packages {
            let (name, version) = name_and_version(package)?;
            let mut best: Option<(LockedWheel, Preference)> = None;
            for wheel in package.wheels.as_deref().unwrap_or_default() {
                let (wheel, parsed) = checked_wheel(&name, &version, wheel)?;
                let DistKind::Wheel(tags) = &parsed.kind else {
                    continue;
                };
                let Some(rank) = preference(tags, &runtime.python) else {
                    continue;
                };
                if best.as_ref().is_none_or(|(_, r)| rank > *r) {
                    best = Some((wheel, rank));
                }
            }
            let Some((wheel, _)) = best else {
                return Err(package_error(
                    &package.name,
                    format!("no wheel in uv's output installs on {}", runtime.describe()),
                ));
            };
            let mut deps = dependencies.get(&name).cloned().unwrap_or_default();
            deps.sort();
            deps.dedup();
            packages.push(LockedPackage {
                name,
                version,
                dependencies: deps,
                wheel,
            });
        }
        Self::assemble(LockRuntime::of(runtime), requirements, packages, provided)
    }

    fn assemble(
        runtime: LockRuntime,
        requirements: Vec<String>,
        mut packages: Vec<LockedPackage>,
        mut provided: Vec<ProvidedPackage>,
    ) -> Result<Self, LockError> {
        packages.sort_by(|a, b| a.name.cmp(&b.name));
        provided.sort();
        provided.dedup();
        let mut known = BTreeSet::new();
        for p in &packages {
            if !known.insert(p.name.clone()) {
                return Err(package_error(p.name.as_ref(), "listed twice"));
            }
        }
        for p in &provided {
            if !known.insert(p.name.clone()) {
                return Err(package_error(
                    p.name.as_ref(),
                    "both locked and marked as provided by Glue",
                ));
            }
        }
        for p in &packages {
            if let Some(missing) = p.dependencies.iter().find(|d| !known.contains(*d)) {
                return Err(package_error(
                    p.name.as_ref(),
                    format!(
                        "it depends on {missing}, which the lock neither holds nor marks as provided"
                    ),
                ));
            }
        }
        Ok(Self {
            runtime,
            requirements,
            packages,
            provided,
        })
    }

    /// The packages in an order where each comes after what it needs (its
    /// locked dependencies; provided ones are already there), ties by name.
    /// A dependency cycle (legal in Python packaging) is broken at the
    /// first package by name among those left.
    pub fn dependency_order(&self) -> Vec<&LockedPackage> {
        let by_name: BTreeMap<&PackageName, &LockedPackage> =
            self.packages.iter().map(|p| (&p.name, p)).collect();
        let mut pending: BTreeMap<&PackageName, BTreeSet<&PackageName>> = self
            .packages
            .iter()
            .map(|p| {
                let deps = p
                    .dependencies
                    .iter()
                    .filter(|d| by_name.contains_key(d) && **d != p.name)
                    .collect();
                (&p.name, deps)
            })
            .collect();
        let mut order = Vec::with_capacity(self.packages.len());
        while !pending.is_empty() {
            let next = pending
                .iter()
                .find(|(_, deps)| deps.is_empty())
                .map(|(name, _)| *name)
                .or_else(|| pending.keys().next().copied())
                .expect("pending is not empty");
            pending.remove(next);
            for deps in pending.values_mut() {
                deps.remove(next);
            }
            order.push(by_name[next]);
        }
        order
    }

    /// The lock as `pylock.toml` text.
    pub fn to_toml(&self) -> String {
        let tool = RawTool {
            glue_version: self.runtime.glue_version.map(|v| v.to_string()),
            job_type: self.runtime.job_type.as_str().to_owned(),
            python: self.runtime.python.clone(),
            platform: self.runtime.platform.clone(),
            library_set: self.runtime.library_set.clone(),
            requirements: self.requirements.clone(),
            provided: self
                .provided
                .iter()
                .map(|p| RawProvided {
                    name: p.name.to_string(),
                    version: p.version.to_string(),
                })
                .collect(),
        };
        let raw = RawLock {
            lock_version: LOCK_VERSION.to_owned(),
            requires_python: Some(format!("=={}.*", self.runtime.python)),
            created_by: Some(TOOL.to_owned()),
            packages: self
                .packages
                .iter()
                .map(|p| RawPackage {
                    name: p.name.to_string(),
                    version: Some(p.version.to_string()),
                    dependencies: p
                        .dependencies
                        .iter()
                        .map(|d| RawDependency {
                            name: d.to_string(),
                        })
                        .collect(),
                    wheels: Some(vec![RawWheel {
                        name: Some(p.wheel.filename.clone()),
                        url: Some(p.wheel.url.to_string()),
                        path: None,
                        size: p.wheel.size,
                        hashes: BTreeMap::from([("sha256".to_owned(), p.wheel.sha256.clone())]),
                    }]),
                    sdist: None,
                    archive: None,
                    vcs: None,
                    directory: None,
                })
                .collect(),
            tool: Some(BTreeMap::from([(
                TOOL.to_owned(),
                toml::Value::try_from(tool).expect("the tool table serializes"),
            )])),
        };
        let body = toml::to_string(&raw).expect("the lock serializes");
        format!(
            "# Written by glue-codeartifact lock (PEP 751). Install offline with the wheelhouse:\n# glue-codeartifact wheelhouse --lock <this file> ...\n{body}"
        )
    }
}

fn tool_runtime(tool: &RawTool) -> Result<LockRuntime, LockError> {
    let job_type = JobType::parse(&tool.job_type).ok_or_else(|| {
        LockError::Tool(format!(
            "job-type {:?} is not spark or pythonshell",
            tool.job_type
        ))
    })?;
    let glue_version =
        match &tool.glue_version {
            Some(text) => Some(GlueVersion::parse(text).ok_or_else(|| {
                LockError::Tool(format!("glue-version {text:?} is not a version"))
            })?),
            None => None,
        };
    if job_type == JobType::Spark && glue_version.is_none() {
        return Err(LockError::Tool(
            "a spark lock needs glue-version".to_owned(),
        ));
    }
    Ok(LockRuntime {
        job_type,
        glue_version,
        python: tool.python.clone(),
        platform: tool.platform.clone(),
        library_set: tool.library_set.clone(),
    })
}

fn dependency_names(package: &RawPackage) -> Result<Vec<PackageName>, LockError> {
    let mut names = package
        .dependencies
        .iter()
        .map(|d| {
            PackageName::new(d.name.clone()).map_err(|_| {
                package_error(
                    &package.name,
                    format!("dependency {:?} is not a valid name", d.name),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    names.dedup();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime;
    use proptest::prelude::*;

    const HASH_A: &str = "8e0370f25aefe789eb784073d4da43f05c547a7c7be024be728b9ba075d9d956";

    fn glue5() -> &'static Runtime {
        runtime::lookup(JobType::Spark, Some("5.0"), None, None).unwrap()
    }

    fn name(n: &str) -> PackageName {
        PackageName::new(n.to_owned()).unwrap()
    }

    fn uv_text(packages: &[(&str, &str, &[&str])]) -> String {
        let mut text = String::from(
            "lock-version = \"1.0\"\ncreated-by = \"uv\"\nrequires-python = \">=3.11\"\n",
        );
        for (n, v, files) in packages {
            text.push_str(&format!(
                "\n[[packages]]\nname = \"{n}\"\nversion = \"{v}\"\nwheels = ["
            ));
            for f in *files {
                text.push_str(&format!(
                    "{{ url = \"https://repo.example/simple/{n}/{f}\", size = 10, hashes = {{ sha256 = \"{HASH_A}\" }} }},"
                ));
            }
            text.push_str("]\n");
        }
        text
    }

    #[test]
    fn from_uv_keeps_the_preferred_wheel_and_round_trips() {
        let text = uv_text(&[
            (
                "numpy",
                "1.26.4",
                &[
                    "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                    "numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl",
                    "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl",
                ],
            ),
            (
                "acme-tools",
                "1.2.0",
                &["acme_tools-1.2.0-py3-none-any.whl"],
            ),
        ]);
        let deps = BTreeMap::from([(name("acme-tools"), vec![name("numpy"), name("boto3")])]);
        let provided = vec![ProvidedPackage {
            name: name("boto3"),
            version: "1.34.131".parse().unwrap(),
        }];
        let lock =
            Lock::from_uv(&text, glue5(), vec!["acme-tools".into()], &deps, provided).unwrap();
        let numpy = &lock.packages[1];
        assert_eq!(
            numpy.wheel.filename,
            "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        assert_eq!(numpy.wheel.size, Some(10));
        let order: Vec<_> = lock
            .dependency_order()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        assert_eq!(order, ["numpy", "acme-tools"]);
        let written = lock.to_toml();
        assert!(written.contains("[tool.glue-codeartifact]"), "{written}");
        assert_eq!(Lock::parse(&written).unwrap(), lock);
        lock.runtime.check_matches(glue5()).unwrap();
        let glue4 = runtime::lookup(JobType::Spark, Some("4.0"), None, None).unwrap();
        let err = lock.runtime.check_matches(glue4).unwrap_err().to_string();
        assert!(
            err.contains("Glue 5.0") && err.contains("Glue 4.0"),
            "{err}"
        );
    }

    #[test]
    fn refuses_what_glue_cannot_install_or_what_leaks() {
        let deps = BTreeMap::new();
        let make = |t: &str| Lock::from_uv(t, glue5(), vec![], &deps, vec![]);
        let base = uv_text(&[(
            "acme-tools",
            "1.2.0",
            &["acme_tools-1.2.0-py3-none-any.whl"],
        )]);
        assert!(make(&base).is_ok());
        let err = make(&base.replace("https://repo", "https://aws:TOKEN@repo")).unwrap_err();
        assert!(matches!(err, LockError::Credentials { .. }));
        assert!(!err.to_string().contains("TOKEN"));
        let err = make(&base.replace("https://repo", "https://TOKEN@repo")).unwrap_err();
        assert!(!err.to_string().contains("TOKEN"), "{err}");
        let err =
            make(&base.replace(", hashes = { sha256 = \"", ", hashes = { md5 = \"")).unwrap_err();
        assert!(matches!(err, LockError::MissingHash { .. }), "{err}");
        let sdist = base.replace(
            "wheels = [",
            "sdist = { url = \"https://repo.example/acme_tools-1.2.0.tar.gz\", hashes = { sha256 = \"00\" } }\nwheels = [",
        );
        let err = make(&sdist).unwrap_err().to_string();
        assert!(err.contains("an sdist"), "{err}");
        let err =
            make(&base.replace("lock-version = \"1.0\"", "lock-version = \"2.0\"")).unwrap_err();
        assert!(matches!(err, LockError::LockVersion(_)));
        let err = make(&base.replace("1.2.0-py3", "1.3.0-py3"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not acme-tools 1.2.0"), "{err}");
        let err = make(&base.replace("py3-none-any", "cp312-cp312-manylinux_2_17_x86_64"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no wheel"), "{err}");
        let err = Lock::from_uv(
            &base,
            glue5(),
            vec!["x @ https://u:PW@h/x.whl".into()],
            &deps,
            vec![],
        )
        .unwrap_err()
        .to_string();
        assert!(!err.contains("PW"), "{err}");
    }

    #[test]
    fn parse_needs_the_tool_table_and_known_dependencies() {
        let base = uv_text(&[(
            "acme-tools",
            "1.2.0",
            &["acme_tools-1.2.0-py3-none-any.whl"],
        )]);
        assert!(matches!(Lock::parse(&base), Err(LockError::Tool(_))));
        let tool = "\n[tool.glue-codeartifact]\nglue-version = \"5.0\"\njob-type = \"spark\"\npython = \"3.11\"\nplatform = \"x86_64-manylinux_2_34\"\n";
        assert!(Lock::parse(&format!("{base}{tool}")).is_ok());
        let with_dep = base.replace(
            "wheels = [",
            "dependencies = [{ name = \"acme-core\" }]\nwheels = [",
        );
        let err = Lock::parse(&format!("{with_dep}{tool}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("acme-core"), "{err}");
        assert!(matches!(
            Lock::parse("not toml ["),
            Err(LockError::Syntax(_))
        ));
    }

    #[test]
    fn dependency_order_survives_cycles() {
        let text = uv_text(&[
            ("a", "1", &["a-1-py3-none-any.whl"]),
            ("b", "1", &["b-1-py3-none-any.whl"]),
            ("c", "1", &["c-1-py3-none-any.whl"]),
        ]);
        let deps = BTreeMap::from([
            (name("a"), vec![name("b")]),
            (name("b"), vec![name("a")]),
            (name("c"), vec![name("a")]),
        ]);
        let lock = Lock::from_uv(&text, glue5(), vec![], &deps, vec![]).unwrap();
        let order: Vec<_> = lock
            .dependency_order()
            .iter()
            .map(|p| p.name.to_string())
            .collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,400}") {
            let _ = Lock::parse(&text);
        }

        #[test]
        fn order_puts_dependencies_first(edges in proptest::collection::vec((0usize..8, 0usize..8), 0..20)) {
            let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
            let files: Vec<String> = names.iter().map(|n| format!("{n}-1-py3-none-any.whl")).collect();
            let entries: Vec<(&str, &str, Vec<&str>)> =
                names.iter().zip(&files).map(|(n, f)| (n.as_str(), "1", vec![f.as_str()])).collect();
            let borrowed: Vec<(&str, &str, &[&str])> = entries.iter().map(|(n, v, f)| (*n, *v, f.as_slice())).collect();
            let text = uv_text(&borrowed);
            let mut deps: BTreeMap<PackageName, Vec<PackageName>> = BTreeMap::new();
            // Only edges from a higher to a lower index: no cycles.
            for (a, b) in edges.iter().filter(|(a, b)| a > b) {
                deps.entry(name(&names[*a])).or_default().push(name(&names[*b]));
            }
            let lock = Lock::from_uv(&text, glue5(), vec![], &deps, vec![]).unwrap();
            let order: Vec<&PackageName> = lock.dependency_order().iter().map(|p| &p.name).collect();
            prop_assert_eq!(order.len(), 8);
            for (a, needs) in &deps {
                let pa = order.iter().position(|n| *n == a).unwrap();
                for b in needs {
                    let pb = order.iter().position(|n| *n == b).unwrap();
                    prop_assert!(pb < pa);
                }
            }
        }
    }
}
