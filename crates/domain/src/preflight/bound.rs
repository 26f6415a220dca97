//! Rules for a job bound to a wheelhouse (`wheelhouse --bind`): its
//! `--additional-python-modules` lists content-addressed S3 wheel objects
//! (`<prefix>sha256/<hex>/<file>.whl`, [`BoundObject`]) and its installer
//! option holds `--no-index`.
//!
//! Such a job installs with no index and no token, so doctor checks what
//! the install needs instead: every object is in S3 with the SHA-256 its
//! key names ([`object_finding`], from what the app read of S3), each
//! wheel's tags fit the job's Python and platform ([`check_wheel_tags`]),
//! `--no-index` is set and no index option is left ([`check_bound_options`]).
//! Every fix is the same: bind again with `glue-codeartifact wheelhouse
//! --bind`, which re-uploads what is missing and rewrites the arguments.

use url::Url;

use crate::installer_option::{InstallerOptionError, has_no_index, merge_no_index};
use crate::job::{ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION, JobDefinition};
use crate::preflight::job_rules::JobEnvironment;
use crate::preflight::wheel::{Compatibility, DistFilename, DistKind, compatibility};
use crate::preflight::{CheckId, Finding};
use crate::run_plan::RunArgument;
use crate::wheelhouse::{BoundObject, SHA256_FOLDER};

/// The wheelhouse objects a job's `--additional-python-modules` value
/// lists, when every item is one; `None` when the job is not bound.
pub fn bound_objects(modules: &str) -> Option<Vec<BoundObject>> {
    BoundObject::list_of(modules)
}

/// The wheelhouse prefix an object is under (`s3://bucket/prefix/`): its
/// key up to the `sha256/` folder.
pub fn prefix_of(object: &BoundObject) -> String {
    let key = object.uri.key();
    let marker = format!("{SHA256_FOLDER}/{}/", object.sha256);
    let prefix = key.rfind(&marker).map_or("", |at| &key[..at]);
    format!("s3://{}/{prefix}", object.uri.bucket())
}

/// The command that binds `job` again: every fix of a bound job.
pub fn rebind_command(job: &str, objects: &[BoundObject]) -> String {
    let prefix = objects
        .first()
        .map_or_else(|| "s3://BUCKET/PREFIX/".to_owned(), prefix_of);
    format!(
        "glue-codeartifact wheelhouse --job {job} --s3-prefix {prefix} --lock pylock.{job}.toml --bind"
    )
}

/// The job is bound, to what, and which module forms its runtime accepts.
pub fn bound_summary(
    job: &JobDefinition,
    environment: &JobEnvironment,
    objects: &[BoundObject],
) -> Finding {
    let prefixes: std::collections::BTreeSet<String> = objects.iter().map(prefix_of).collect();
    let prefixes: Vec<String> = prefixes.into_iter().collect();
    let runtime = environment.runtime.map_or_else(
        || format!("Python {}", environment.python),
        |r| r.describe(),
    );
    Finding::info(
        CheckId::WheelhouseBound,
        format!(
            "job {:?} is bound to a wheelhouse: {ADDITIONAL_PYTHON_MODULES} lists {} wheel{} under {}, installed with --no-index on {runtime}; it needs no CodeArtifact token, so none was minted",
            job.name,
            objects.len(),
            if objects.len() == 1 { "" } else { "s" },
            prefixes.join(", ")
        ),
    )
}

/// `--no-index` is set and no index option is left, and the job's runtime
/// installs S3 wheels at all (Python shell does not).
///
/// `repository` is the CodeArtifact repository's endpoint when it was
/// read; every index option is reported either way (pip ignores them under
/// `--no-index`, but one may hold a token, and a job that drops
/// `--no-index` later would use it).
pub fn check_bound_options(
    job: &JobDefinition,
    environment: &JobEnvironment,
    run_arguments: &[RunArgument],
    repository: Option<&Url>,
    rebind: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !environment
        .runtime
        .is_some_and(|r| r.module_forms.s3_wheels)
    {
        findings.push(Finding::error(
            CheckId::WheelhouseModuleForm,
            format!(
                "the job lists S3 wheels in {ADDITIONAL_PYTHON_MODULES}, which a {} job does not install (Glue guide, \"Using Python libraries with AWS Glue\")",
                environment.command.name()
            ),
            "install from the live index (`glue-codeartifact start`), or run the code as a Spark (glueetl) job to use a wheelhouse",
        ));
        return findings;
    }
    let option = job
        .effective_argument(run_arguments, INSTALLER_OPTION)
        .unwrap_or_default();
    let placeholder;
    let ours = match repository {
        Some(url) => url,
        None => {
            placeholder = Url::parse("https://repository.invalid/").expect("a valid URL");
            &placeholder
        }
    };
    match merge_no_index(option, ours) {
        Err(InstallerOptionError::Unparsable) => {
            findings.push(
                Finding::error(
                    CheckId::InstallerOptionUnparsable,
                    format!("{INSTALLER_OPTION} does not split into shell words (an unbalanced quote?), so pip's options cannot be read"),
                    format!("balance the quotes in the job's {INSTALLER_OPTION}, then run `{rebind}`"),
                )
                .about(INSTALLER_OPTION),
            );
            return findings;
        }
        Err(_) | Ok(_) if !has_no_index(option) => {
            findings.push(
                Finding::error(
                    CheckId::WheelhouseNoIndex,
                    format!(
                        "{INSTALLER_OPTION} lacks --no-index (it is {:?}), so pip would look for the wheels' dependencies in an index: PyPI, or none reachable in a private subnet",
                        crate::secret::redact_text(option)
                    ),
                    format!("run `{rebind}`, which sets --no-index and keeps your other options"),
                )
                .about(INSTALLER_OPTION),
            );
        }
        Err(_) => {}
        Ok(merged) => {
            for removed in merged.removed {
                findings.push(
                    Finding::error(
                        CheckId::WheelhouseIndexOption,
                        format!(
                            "{INSTALLER_OPTION} still holds the index option {removed}: pip ignores it under --no-index, but it may carry a token that stays readable in the job, and the job would use it if --no-index went"
                        ),
                        format!("run `{rebind}`, which removes every index option"),
                    )
                    .about(INSTALLER_OPTION),
                );
            }
        }
    }
    findings
}

/// Each wheel's tags fit the job's Python and platform.
pub fn check_wheel_tags(
    objects: &[BoundObject],
    environment: &JobEnvironment,
    job: &str,
) -> Vec<Finding> {
    let target = &environment.python;
    let mut findings = Vec::new();
    for object in objects {
        let fit = match DistFilename::parse(&object.filename) {
            Some(DistFilename {
                kind: DistKind::Wheel(tags),
                ..
            }) => compatibility(&tags, target),
            _ => {
                findings.push(
                    Finding::error(
                        CheckId::WheelhouseWheelIncompatible,
                        format!(
                            "{}: {:?} is not a wheel file name pip accepts",
                            object.uri, object.filename
                        ),
                        format!(
                            "lock again for the job (`glue-codeartifact lock --job {job}`), then run wheelhouse --bind"
                        ),
                    )
                    .about(object.uri.to_string()),
                );
                continue;
            }
        };
        if fit != Compatibility::Compatible {
            findings.push(
                Finding::error(
                    CheckId::WheelhouseWheelIncompatible,
                    format!(
                        "{} is {}, but the job's pip installs for Python {target} on {}: the install would fail",
                        object.filename,
                        fit.reason(target),
                        target.platform()
                    ),
                    format!(
                        "lock again for the job's runtime (`glue-codeartifact lock --job {job}`), then bind with the new lock (`glue-codeartifact wheelhouse --job {job} --s3-prefix {} --lock pylock.{job}.toml --bind`)",
                        prefix_of(object)
                    ),
                )
                .about(object.uri.to_string()),
            );
        }
    }
    findings
}

/// How an object's content was checked against the SHA-256 its key names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// By the SHA-256 checksum S3 stored for it (`HeadObject` with checksum
    /// mode): S3 checked it against the bytes on upload, so it is the
    /// content's, and no download is needed.
    StoredChecksum,
    /// By downloading the object and hashing it (no SHA-256 stored: an
    /// upload without one, or a multipart upload's composite checksum).
    Download,
}

/// What S3 said of one wheelhouse object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectCheck {
    /// There, with the SHA-256 its key names.
    Verified(Verification),
    /// There, with other content.
    Changed {
        /// The content's SHA-256 (64 hex digits).
        actual: String,
        /// How it was found.
        by: Verification,
    },
    /// `404`: no such object (or bucket).
    Missing,
    /// `403`: the caller may not read it, or (without `s3:ListBucket`) it
    /// does not exist; S3 does not say which (HeadObject, "Permissions").
    Forbidden,
    /// Too large to download and hash.
    TooLarge {
        /// Its size, in bytes.
        size: u64,
    },
}

/// The finding for one object, `None` when it is verified.
pub fn object_finding(object: &BoundObject, check: &ObjectCheck, rebind: &str) -> Option<Finding> {
    let uri = object.uri.to_string();
    let finding = match check {
        ObjectCheck::Verified(_) => return None,
        ObjectCheck::Missing => Finding::error(
            CheckId::WheelhouseObjectMissing,
            format!(
                "{uri} does not exist (HeadObject answered 404), so the job's install would fail at start-up"
            ),
            format!("run `{rebind}`, which uploads what is missing"),
        ),
        ObjectCheck::Forbidden => Finding::error(
            CheckId::WheelhouseObjectDenied,
            format!(
                "S3 answered 403 to HeadObject on {uri}: the caller lacks s3:GetObject on it, or it does not exist and the caller lacks s3:ListBucket on bucket {} (S3 answers 403, not 404, then)",
                object.uri.bucket()
            ),
            format!(
                "grant s3:GetObject on the wheelhouse prefix and s3:ListBucket on bucket {} to the role or user running doctor (`glue-codeartifact iam-policy`), then run doctor again; if the object is missing, run `{rebind}`",
                object.uri.bucket()
            ),
        ),
        ObjectCheck::Changed { actual, by } => {
            let how = match by {
                Verification::StoredChecksum => "S3's stored SHA-256 checksum",
                Verification::Download => "its downloaded bytes",
            };
            Finding::error(
                CheckId::WheelhouseObjectChanged,
                format!(
                    "{uri} is not the locked wheel: its key names sha256 {}, but {how} hash to {actual}; the object was replaced since it was bound",
                    object.sha256
                ),
                format!(
                    "find out who may write to the wheelhouse prefix, then run `{rebind}`, which uploads the locked bytes again"
                ),
            )
        }
        ObjectCheck::TooLarge { size } => Finding::error(
            CheckId::WheelhouseObjectChanged,
            format!(
                "{uri} has no stored SHA-256 checksum and is {size} bytes, too large to download and hash, so its content was not checked"
            ),
            format!("run `{rebind}`: wheelhouse stores each object with its SHA-256"),
        ),
    };
    Some(finding.about(uri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobCommand;
    use crate::preflight::Severity;
    use crate::preflight::job_rules::job_environment;
    use crate::s3_uri::S3Uri;
    use crate::wheelhouse::object_uri;

    fn object(file: &str) -> BoundObject {
        let prefix = S3Uri::parse_prefix("s3://acme-glue/glue/wheels/").unwrap();
        BoundObject::parse(&object_uri(&prefix, &"ab".repeat(32), file)).unwrap()
    }

    fn bound_job(glue: &str, option: Option<&str>) -> (JobDefinition, JobEnvironment) {
        let mut job = JobDefinition {
            name: "etl".into(),
            command: Some(JobCommand::SparkEtl),
            glue_version: Some(glue.into()),
            ..Default::default()
        };
        if let Some(option) = option {
            job.default_arguments
                .insert(INSTALLER_OPTION.into(), option.into());
        }
        let env = job_environment(&job).environment.unwrap();
        (job, env)
    }

    fn checks(findings: &[Finding]) -> Vec<(CheckId, Severity)> {
        findings.iter().map(|f| (f.check, f.severity)).collect()
    }

    #[test]
    fn the_prefix_and_the_rebind_command_come_from_the_keys() {
        let o = object("a-1.0-py3-none-any.whl");
        assert_eq!(prefix_of(&o), "s3://acme-glue/glue/wheels/");
        assert_eq!(
            rebind_command("etl", &[o]),
            "glue-codeartifact wheelhouse --job etl --s3-prefix s3://acme-glue/glue/wheels/ --lock pylock.etl.toml --bind"
        );
    }

    #[test]
    fn options_need_no_index_and_no_index_option() {
        let rebind = "REBIND";
        let (job, env) = bound_job("4.0", Some("--upgrade --no-index"));
        assert!(check_bound_options(&job, &env, &[], None, rebind).is_empty());

        let (job, env) = bound_job("4.0", Some("--upgrade"));
        let f = check_bound_options(&job, &env, &[], None, rebind);
        assert_eq!(checks(&f), [(CheckId::WheelhouseNoIndex, Severity::Error)]);
        assert!(f[0].fix.as_deref().unwrap().contains(rebind));
        let (job, env) = bound_job("4.0", None);
        let f = check_bound_options(&job, &env, &[], None, rebind);
        assert_eq!(checks(&f), [(CheckId::WheelhouseNoIndex, Severity::Error)]);

        let (job, env) = bound_job(
            "5.0",
            Some(
                "--no-index --extra-index-url=https://aws:SECRET@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
            ),
        );
        let f = check_bound_options(&job, &env, &[], None, rebind);
        assert_eq!(
            checks(&f),
            [(CheckId::WheelhouseIndexOption, Severity::Error)]
        );
        assert!(f[0].cause.contains("codeartifact"), "{}", f[0].cause);
        assert!(!format!("{f:?}").contains("SECRET"), "{f:?}");

        // Without --no-index, a password in the option is not echoed either.
        let (job, env) = bound_job("5.0", Some("-i https://u:SECRET@mirror.example/simple/"));
        let f = check_bound_options(&job, &env, &[], None, rebind);
        assert!(!format!("{f:?}").contains("SECRET"), "{f:?}");

        let (job, env) = bound_job("5.0", Some("'unbalanced --no-index"));
        let f = check_bound_options(&job, &env, &[], None, rebind);
        assert_eq!(
            checks(&f),
            [(CheckId::InstallerOptionUnparsable, Severity::Error)]
        );
    }

    #[test]
    fn python_shell_does_not_install_s3_wheels() {
        let job = JobDefinition {
            name: "shell".into(),
            command: Some(JobCommand::PythonShell),
            python_version: Some("3.9".into()),
            ..Default::default()
        };
        let env = job_environment(&job).environment.unwrap();
        let f = check_bound_options(&job, &env, &[], None, "R");
        assert_eq!(
            checks(&f),
            [(CheckId::WheelhouseModuleForm, Severity::Error)]
        );
    }

    #[test]
    fn wheel_tags_must_fit_the_runtime() {
        let (_, env4) = bound_job("4.0", None);
        let (_, env5) = bound_job("5.0", None);
        let pure = object("a-1.0-py3-none-any.whl");
        let cp311 = object("b-1.0-cp311-cp311-manylinux_2_28_x86_64.whl");
        let arm = object("c-1.0-cp310-cp310-manylinux2014_aarch64.whl");
        assert!(check_wheel_tags(std::slice::from_ref(&pure), &env4, "etl").is_empty());
        assert!(check_wheel_tags(std::slice::from_ref(&cp311), &env5, "etl").is_empty());
        let f = check_wheel_tags(&[pure, cp311.clone(), arm], &env4, "etl");
        assert_eq!(
            checks(&f),
            [
                (CheckId::WheelhouseWheelIncompatible, Severity::Error),
                (CheckId::WheelhouseWheelIncompatible, Severity::Error)
            ]
        );
        assert!(f[0].cause.contains("not for Python 3.10"), "{}", f[0].cause);
        assert_eq!(
            f[0].subject.as_deref(),
            Some(cp311.uri.to_string().as_str())
        );
        assert!(f[1].cause.contains("ARM64"), "{}", f[1].cause);
        assert!(f[0].fix.as_deref().unwrap().contains("lock --job etl"));
    }

    #[test]
    fn objects_are_reported_by_what_s3_said() {
        let o = object("a-1.0-py3-none-any.whl");
        let uri = o.uri.to_string();
        for v in [Verification::StoredChecksum, Verification::Download] {
            assert_eq!(object_finding(&o, &ObjectCheck::Verified(v), "R"), None);
        }
        let f = object_finding(&o, &ObjectCheck::Missing, "R").unwrap();
        assert_eq!(f.check, CheckId::WheelhouseObjectMissing);
        assert!(
            f.cause.contains(&uri)
                && f.fix.as_deref() == Some("run `R`, which uploads what is missing")
        );
        let f = object_finding(&o, &ObjectCheck::Forbidden, "R").unwrap();
        assert_eq!(f.check, CheckId::WheelhouseObjectDenied);
        assert!(f.cause.contains("s3:ListBucket"), "{}", f.cause);
        let f = object_finding(
            &o,
            &ObjectCheck::Changed {
                actual: "cd".repeat(32),
                by: Verification::Download,
            },
            "R",
        )
        .unwrap();
        assert_eq!(f.check, CheckId::WheelhouseObjectChanged);
        assert!(f.cause.contains(&"cd".repeat(32)) && f.cause.contains(&"ab".repeat(32)));
        assert_eq!(f.subject.as_deref(), Some(uri.as_str()));
    }
}
