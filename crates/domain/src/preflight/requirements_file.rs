//! Glue 5.0+'s requirements-file pattern: `--additional-python-modules`
//! names one S3 `requirements.txt` and `--python-modules-installer-option`
//! ends with `-r` (Glue guide, "Using Python libraries with AWS Glue":
//! requirements.txt for Glue 5.0 and later). doctor reads the file (the app
//! does the `GetObject`) and checks its requirements as it checks modules.

use crate::job::{ADDITIONAL_PYTHON_MODULES, INSTALLER_OPTION, JobDefinition};
use crate::pip_options::is_requirement_option;
use crate::preflight::job_rules::JobEnvironment;
use crate::preflight::{CheckId, Finding};
use crate::run_plan::RunArgument;
use crate::s3_uri::S3Uri;
use glue_codeartifact_python_env::requirements::parse_requirements_txt;

/// The largest requirements file read: 1 MiB.
pub const MAX_REQUIREMENTS_BYTES: usize = 1024 * 1024;

/// The S3 requirements file the job installs with `-r`, if it uses the
/// pattern: one `s3://….txt` item and an installer option whose last word
/// is `-r` / `--requirement`.
pub fn requirements_file(job: &JobDefinition, run_arguments: &[RunArgument]) -> Option<S3Uri> {
    let modules = job
        .effective_argument(run_arguments, ADDITIONAL_PYTHON_MODULES)?
        .trim();
    let option = job.effective_argument(run_arguments, INSTALLER_OPTION)?;
    let trailing_r = option
        .split_whitespace()
        .last()
        .is_some_and(is_requirement_option);
    (trailing_r && !modules.contains(',') && modules.to_ascii_lowercase().ends_with(".txt"))
        .then(|| S3Uri::parse_object(modules).ok())
        .flatten()
}

/// What reading the file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRead {
    /// Its bytes.
    Bytes(Vec<u8>),
    /// `404`: no such object or bucket.
    Missing,
    /// `403`: denied, or missing without `s3:ListBucket`.
    Forbidden,
    /// Larger than [`MAX_REQUIREMENTS_BYTES`].
    TooLarge,
}

/// The requirements of the file, to be checked like modules, and what was
/// found on the way (an info when read, an error when it cannot be).
pub fn read_requirements(
    uri: &S3Uri,
    read: FileRead,
    environment: &JobEnvironment,
) -> (Vec<String>, Vec<Finding>) {
    let about = uri.to_string();
    let error = |cause: String, fix: String| {
        (
            Vec::new(),
            vec![
                Finding::error(CheckId::RequirementsFileUnreadable, cause, fix)
                    .about(about.clone()),
            ],
        )
    };
    if let Some(runtime) = environment.runtime
        && !runtime.module_forms.requirements_file
    {
        return error(
            format!(
                "{ADDITIONAL_PYTHON_MODULES} names the requirements file {uri} with -r, which {} does not accept (Glue 5.0 and later do)",
                runtime.describe()
            ),
            "list the requirements in --additional-python-modules, comma-separated, or move the job to Glue 5.0 or later".to_owned(),
        );
    }
    let bytes = match read {
        FileRead::Bytes(bytes) => bytes,
        FileRead::Missing => {
            return error(
                format!(
                    "the requirements file {uri} does not exist (GetObject answered 404), so the job's install would fail at start-up"
                ),
                format!("upload the file to {uri}, or fix --additional-python-modules"),
            );
        }
        FileRead::Forbidden => {
            return error(
                format!(
                    "S3 answered 403 to GetObject on the requirements file {uri}: the caller lacks s3:GetObject on it, or it does not exist and the caller lacks s3:ListBucket on bucket {}",
                    uri.bucket()
                ),
                format!(
                    "grant s3:GetObject on {uri} (and s3:ListBucket on bucket {}) to the role or user running doctor (`glue-codeartifact iam-policy`); the job's role needs s3:GetObject on it too",
                    uri.bucket()
                ),
            );
        }
        FileRead::TooLarge => {
            return error(
                format!(
                    "the requirements file {uri} is larger than {MAX_REQUIREMENTS_BYTES} bytes, so doctor did not read it"
                ),
                "check that --additional-python-modules names the requirements file".to_owned(),
            );
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return error(
            format!("the requirements file {uri} is not UTF-8 text"),
            format!("save {uri} as UTF-8"),
        );
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match parse_requirements_txt(text) {
        Ok(requirements) => {
            let info = Finding::info(
                CheckId::RequirementsFileRead,
                format!(
                    "the requirements file {uri} (installed with -r) lists {} requirement{}; each is checked below",
                    requirements.len(),
                    if requirements.len() == 1 { "" } else { "s" }
                ),
            )
            .about(about);
            (requirements, vec![info])
        }
        Err(err) => (
            Vec::new(),
            vec![Finding::warning(
                CheckId::RequirementsFileInvalid,
                format!("the requirements file {uri} was not checked: {err}"),
                "keep one requirement per line in the file for doctor to check it (pip options such as --index-url belong in --python-modules-installer-option)",
            )
            .about(about)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobCommand;
    use crate::preflight::Severity;
    use crate::preflight::job_rules::job_environment;

    fn job(glue: &str, modules: &str, option: &str) -> JobDefinition {
        JobDefinition {
            name: "etl".into(),
            command: Some(JobCommand::SparkEtl),
            glue_version: Some(glue.into()),
            default_arguments: [
                (ADDITIONAL_PYTHON_MODULES.to_owned(), modules.to_owned()),
                (INSTALLER_OPTION.to_owned(), option.to_owned()),
            ]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_pattern_needs_one_s3_txt_and_a_trailing_r() {
        let uri = "s3://acme-b/reqs/requirements.txt";
        assert_eq!(
            requirements_file(&job("5.0", uri, "--upgrade -r"), &[]).map(|u| u.to_string()),
            Some(uri.to_owned())
        );
        assert!(requirements_file(&job("5.0", uri, "--requirement"), &[]).is_some());
        assert!(requirements_file(&job("5.0", uri, "--upgrade"), &[]).is_none());
        assert!(requirements_file(&job("5.0", "acme==1", "-r"), &[]).is_none());
        assert!(requirements_file(&job("5.0", &format!("{uri},x"), "-r"), &[]).is_none());
    }

    #[test]
    fn reads_checks_and_reports() {
        let uri = S3Uri::parse_object("s3://acme-b/requirements.txt").unwrap();
        let j = job("5.0", "", "");
        let env = job_environment(&j).environment.unwrap();
        let (reqs, f) = read_requirements(
            &uri,
            FileRead::Bytes(b"\xef\xbb\xbfacme-tools==1.2.0\n# c\nacme-core>=2\n".to_vec()),
            &env,
        );
        assert_eq!(reqs, ["acme-tools==1.2.0", "acme-core>=2"]);
        assert_eq!(f[0].check, CheckId::RequirementsFileRead);
        for (read, check, severity) in [
            (
                FileRead::Missing,
                CheckId::RequirementsFileUnreadable,
                Severity::Error,
            ),
            (
                FileRead::Forbidden,
                CheckId::RequirementsFileUnreadable,
                Severity::Error,
            ),
            (
                FileRead::TooLarge,
                CheckId::RequirementsFileUnreadable,
                Severity::Error,
            ),
            (
                FileRead::Bytes(vec![0xff]),
                CheckId::RequirementsFileUnreadable,
                Severity::Error,
            ),
            (
                FileRead::Bytes(b"--index-url x\n".to_vec()),
                CheckId::RequirementsFileInvalid,
                Severity::Warning,
            ),
        ] {
            let (reqs, f) = read_requirements(&uri, read, &env);
            assert!(reqs.is_empty());
            assert_eq!((f[0].check, f[0].severity), (check, severity), "{f:?}");
            assert!(f[0].cause.contains("s3://acme-b/requirements.txt"), "{f:?}");
        }
        let j4 = job("4.0", "", "");
        let env4 = job_environment(&j4).environment.unwrap();
        let (_, f) = read_requirements(&uri, FileRead::Bytes(b"a\n".to_vec()), &env4);
        assert_eq!(f[0].check, CheckId::RequirementsFileUnreadable);
        assert!(f[0].cause.contains("Glue 4.0"), "{f:?}");
    }
}
