//! The wheelhouse: where locked wheels live in S3, and the job arguments
//! that make a Glue job install from there, offline.
//!
//! - Each wheel is stored under a content-addressed key whose last part is
//!   the wheel's own file name (pip reads the tags from it):
//!   `<prefix>sha256/<64 hex>/<file>.whl`. The same bytes always land on the
//!   same key, so a second run finds everything in place and uploads
//!   nothing, and jobs that share wheels share objects.
//! - A bound job lists those objects in `--additional-python-modules`, comma
//!   separated, in dependency order (each after what it needs), and installs
//!   with `--no-index`: the form every Glue version from 2.0 on accepts.
//!
//! ```
//! use glue_codeartifact_domain::{s3_uri::S3Uri, wheelhouse};
//!
//! let prefix = S3Uri::parse_prefix("s3://acme-glue/wheels/")?;
//! let sha = "ab".repeat(32);
//! let object = wheelhouse::object_uri(&prefix, &sha, "acme_tools-1.2.0-py3-none-any.whl");
//! assert_eq!(
//!     object.to_string(),
//!     format!("s3://acme-glue/wheels/sha256/{sha}/acme_tools-1.2.0-py3-none-any.whl")
//! );
//! let bound = wheelhouse::BoundObject::parse(&object).unwrap();
//! assert_eq!(bound.sha256, sha);
//! # Ok::<(), glue_codeartifact_domain::s3_uri::S3UriError>(())
//! ```

use std::collections::BTreeMap;

use url::Url;

use crate::installer_option::{InstallerOptionError, merge_no_index};
use crate::job::{ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION};
use crate::s3_uri::S3Uri;
use crate::secret::redact_text;

/// The folder of the content-addressed keys under the prefix.
pub const SHA256_FOLDER: &str = "sha256";

/// Glue 6.0's service-built virtual environment: where Glue caches it.
pub const VENV_STORAGE_PREFIX: &str = "--python-virtual-env-storage-prefix";

/// Where a wheel with this SHA-256 (64 lowercase hex digits) and file name
/// is stored under `prefix`.
pub fn object_uri(prefix: &S3Uri, sha256: &str, filename: &str) -> S3Uri {
    prefix.join(&format!("{SHA256_FOLDER}/{sha256}/{filename}"))
}

/// An object of a wheelhouse, read back from its location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundObject {
    /// Where it is.
    pub uri: S3Uri,
    /// The SHA-256 its key names (64 lowercase hex digits).
    pub sha256: String,
    /// The wheel's file name.
    pub filename: String,
}

impl BoundObject {
    /// Reads `…/sha256/<64 hex>/<file>.whl`; `None` for any other key.
    pub fn parse(uri: &S3Uri) -> Option<BoundObject> {
        let mut parts = uri.key().rsplit('/');
        let filename = parts.next()?;
        let sha256 = parts.next()?;
        let folder = parts.next()?;
        let is_hex = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (folder == SHA256_FOLDER && is_hex && filename.ends_with(".whl")).then(|| BoundObject {
            uri: uri.clone(),
            sha256: sha256.to_owned(),
            filename: filename.to_owned(),
        })
    }

    /// The wheelhouse objects a job's `--additional-python-modules` value
    /// lists, if every item is one; `None` when the job is not bound.
    pub fn list_of(modules: &str) -> Option<Vec<BoundObject>> {
        let items: Vec<&str> = modules
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect();
        if items.is_empty() {
            return None;
        }
        items
            .into_iter()
            .map(|item| {
                S3Uri::parse_object(item)
                    .ok()
                    .and_then(|u| BoundObject::parse(&u))
            })
            .collect()
    }
}

/// Why a job cannot be bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// The lock holds no package to install.
    #[error(
        "the lock holds no package to install from the wheelhouse, so there is nothing to bind"
    )]
    Empty,
    /// A key is in `NonOverridableArguments`, which would override the
    /// `DefaultArguments` bind writes.
    #[error(
        "job {job:?} sets {key} in NonOverridableArguments, which override the DefaultArguments --bind writes; move {key} to DefaultArguments, or set the printed values in NonOverridableArguments yourself (run without --bind)"
    )]
    NonOverridable {
        /// The job.
        job: String,
        /// The key.
        key: String,
    },
    /// The installer option cannot be merged.
    #[error("job {job:?}: its --python-modules-installer-option cannot take --no-index: {source}")]
    InstallerOption {
        /// The job.
        job: String,
        /// Why.
        source: InstallerOptionError,
    },
}

/// The arguments that bind a job to a wheelhouse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindPlan {
    /// The keys to set in `DefaultArguments`, with their new values:
    /// `--additional-python-modules`, `--python-modules-installer-option`,
    /// and with a storage prefix `--python-virtual-env-storage-prefix`.
    pub arguments: BTreeMap<String, String>,
    /// The `--additional-python-modules` value it replaces (passwords of
    /// URLs redacted), if any.
    pub replaced_modules: Option<String>,
    /// The index options removed from the installer option, redacted.
    pub removed_options: Vec<String>,
}

impl BindPlan {
    /// `defaults` with the plan's arguments set.
    pub fn apply(&self, defaults: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = defaults.clone();
        out.extend(self.arguments.clone());
        out
    }
}

/// Plans the arguments that make job `job` (its `defaults` and
/// `non_overridable` arguments) install `wheels` (their S3 locations, in
/// dependency order) offline. `repository` is the CodeArtifact endpoint,
/// whose index options are removed. With `venv_storage_prefix` (Glue 6.0+),
/// Glue builds a virtual environment from the wheels once and caches it
/// there.
pub fn plan_bind(
    job: &str,
    defaults: &BTreeMap<String, String>,
    non_overridable: &BTreeMap<String, String>,
    wheels: &[S3Uri],
    repository: &Url,
    venv_storage_prefix: Option<&S3Uri>,
) -> Result<BindPlan, BindError> {
    if wheels.is_empty() {
        return Err(BindError::Empty);
    }
    let mut keys = vec![ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION];
    if venv_storage_prefix.is_some() {
        keys.push(VENV_STORAGE_PREFIX);
    }
    if let Some(key) = keys.iter().find(|k| non_overridable.contains_key(**k)) {
        return Err(BindError::NonOverridable {
            job: job.to_owned(),
            key: (*key).to_owned(),
        });
    }
    let existing_option = defaults
        .get(INSTALLER_OPTION)
        .map(String::as_str)
        .unwrap_or_default();
    let merged = merge_no_index(existing_option, repository).map_err(|source| {
        BindError::InstallerOption {
            job: job.to_owned(),
            source,
        }
    })?;
    let modules = wheels
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut arguments = BTreeMap::from([
        (ADDITIONAL_PYTHON_MODULES.to_owned(), modules),
        (INSTALLER_OPTION.to_owned(), merged.value),
    ]);
    if let Some(prefix) = venv_storage_prefix {
        arguments.insert(VENV_STORAGE_PREFIX.to_owned(), prefix.to_string());
    }
    Ok(BindPlan {
        arguments,
        replaced_modules: defaults
            .get(ADDITIONAL_PYTHON_MODULES)
            .filter(|v| !v.trim().is_empty())
            .map(|v| redact_text(v)),
        removed_options: merged.removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str =
        "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/";

    fn wheel(n: u8, file: &str) -> S3Uri {
        let prefix = S3Uri::parse_prefix("s3://acme-glue/wheels/").unwrap();
        object_uri(&prefix, &format!("{n:02x}").repeat(32), file)
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn binds_the_wheels_in_order_and_keeps_other_settings() {
        let defaults = map(&[
            ("--additional-python-modules", "acme-tools==1.2.0"),
            (
                "--python-modules-installer-option",
                "--upgrade --index-url=https://aws:TOKEN@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
            ),
            ("--job-language", "python"),
        ]);
        let wheels = [
            wheel(1, "acme_core-2.1.0-py3-none-any.whl"),
            wheel(2, "acme_tools-1.2.0-py3-none-any.whl"),
        ];
        let repo = Url::parse(ENDPOINT).unwrap();
        let plan = plan_bind("etl", &defaults, &BTreeMap::new(), &wheels, &repo, None).unwrap();
        assert_eq!(
            plan.arguments[ADDITIONAL_PYTHON_MODULES],
            format!("{},{}", wheels[0], wheels[1])
        );
        assert_eq!(plan.arguments[INSTALLER_OPTION], "--upgrade --no-index");
        assert_eq!(plan.replaced_modules.as_deref(), Some("acme-tools==1.2.0"));
        assert_eq!(plan.removed_options.len(), 1);
        assert!(!plan.removed_options[0].contains("TOKEN"));
        let applied = plan.apply(&defaults);
        assert_eq!(applied["--job-language"], "python");
        assert!(!format!("{applied:?}").contains("codeartifact"));
        // Binding a bound job again changes nothing.
        let again = plan_bind("etl", &applied, &BTreeMap::new(), &wheels, &repo, None).unwrap();
        assert_eq!(again.apply(&applied), applied);
        let bound = BoundObject::list_of(&applied[ADDITIONAL_PYTHON_MODULES]).unwrap();
        assert_eq!(bound.len(), 2);
        assert_eq!(bound[1].filename, "acme_tools-1.2.0-py3-none-any.whl");
        assert_eq!(BoundObject::list_of("acme-tools==1.2.0"), None);
        assert_eq!(BoundObject::list_of(&format!("{},pandas", wheels[0])), None);
    }

    #[test]
    fn refuses_what_would_not_take_effect() {
        let repo = Url::parse(ENDPOINT).unwrap();
        let wheels = [wheel(1, "a-1.0-py3-none-any.whl")];
        let err = plan_bind(
            "etl",
            &BTreeMap::new(),
            &map(&[("--python-modules-installer-option", "--upgrade")]),
            &wheels,
            &repo,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, BindError::NonOverridable { .. }), "{err}");
        assert_eq!(
            plan_bind("etl", &BTreeMap::new(), &BTreeMap::new(), &[], &repo, None),
            Err(BindError::Empty)
        );
        let venv = S3Uri::parse_prefix("s3://acme-glue/venvs/").unwrap();
        let plan = plan_bind(
            "etl",
            &BTreeMap::new(),
            &BTreeMap::new(),
            &wheels,
            &repo,
            Some(&venv),
        )
        .unwrap();
        assert_eq!(plan.arguments[VENV_STORAGE_PREFIX], "s3://acme-glue/venvs/");
    }

    #[test]
    fn bound_objects_are_recognised_only_in_the_content_addressed_layout() {
        let good = wheel(3, "a-1.0-py3-none-any.whl");
        assert!(BoundObject::parse(&good).is_some());
        for bad in [
            "s3://acme-glue/wheels/a-1.0-py3-none-any.whl",
            "s3://acme-glue/wheels/sha256/abc/a-1.0-py3-none-any.whl",
            &format!(
                "s3://acme-glue/wheels/md5/{}/a-1.0-py3-none-any.whl",
                "ab".repeat(32)
            ),
            &format!(
                "s3://acme-glue/wheels/sha256/{}/a-1.0.tar.gz",
                "ab".repeat(32)
            ),
            &format!(
                "s3://acme-glue/wheels/sha256/{}/a-1.0-py3-none-any.whl",
                "AB".repeat(32)
            ),
        ] {
            assert_eq!(
                BoundObject::parse(&S3Uri::parse(bad).unwrap()),
                None,
                "{bad}"
            );
        }
    }
}
