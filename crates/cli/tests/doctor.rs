//! `doctor` end to end: the real binary against moto (Glue) and the
//! emulator serving a small index. Every check has a case that finds
//! something and one that does not; exit codes and the JSON are asserted,
//! no run is ever started and no token is ever printed.

use codeartifact_emulator::{Config, Fault, FaultKind, Operation, RefusedStatus};
use serde_json::Value;
use test_stack::{JobSpec, make_wheel, make_wheel_with, unique_name};

use crate::util::{DOMAIN, REPOSITORY, Run, Stack};

const DOCTOR_FOUND_ERRORS: i32 = 12;
const JOB_NOT_FOUND: i32 = 3;
const USAGE: i32 = 2;
const INSTALLER_OPTION: &str = "--python-modules-installer-option";
const MODULES: &str = "--additional-python-modules";

/// A stack whose repository serves:
/// - `acme-tools` 1.2.0, a pure wheel;
/// - `acme-legacy` 0.5, an sdist only;
/// - `acme-fast` 1.0, a wheel for CPython 3.12 only;
/// - `acme-multi` 1.0.0 and 2.0.0, pure wheels;
/// - `acme-arm` 1.0, a wheel for ARM64 Linux only;
/// - `acme-new` 1.0, a pure wheel requiring Python >= 3.11.
fn stack_with_index() -> Stack {
    stack_with_index_and(|_| {})
}

/// [`stack_with_index`] with the emulator's configuration changed by `tweak`.
fn stack_with_index_and(tweak: impl FnOnce(&mut Config)) -> Stack {
    let stack = Stack::with_config(tweak);
    let dir = &stack.packages;
    make_wheel(dir, "acme-tools", "1.2.0");
    make_wheel_with(dir, "acme-legacy", "0.5", &["--sdist"]);
    let cp = |tag: &str, platform: &str| {
        [
            "--python-tag".to_owned(),
            tag.to_owned(),
            "--abi-tag".to_owned(),
            tag.to_owned(),
            "--platform-tag".to_owned(),
            platform.to_owned(),
        ]
    };
    let args = cp("cp312", "manylinux2014_x86_64");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    make_wheel_with(dir, "acme-fast", "1.0", &args);
    make_wheel(dir, "acme-multi", "1.0.0");
    make_wheel(dir, "acme-multi", "2.0.0");
    let args = cp("cp310", "manylinux2014_aarch64");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    make_wheel_with(dir, "acme-arm", "1.0", &args);
    make_wheel_with(dir, "acme-new", "1.0", &["--requires-python", ">=3.11"]);
    stack
}

/// A Glue 4.0 (Python 3.10) Spark job with a 30-minute timeout and no
/// retries, installing `modules`.
fn glue4_job(stack: &Stack, modules: &str, configure: impl FnOnce(JobSpec) -> JobSpec) -> String {
    stack.spark_job(|j| {
        configure(
            j.glue_version(Some("4.0"))
                .timeout_minutes(30)
                .max_retries(0)
                .default_argument(MODULES, modules),
        )
    })
}

fn doctor(stack: &Stack, job: &str, extra: &[&str]) -> Run {
    let run = stack.doctor_json(job, extra, &[]);
    assert!(
        stack.sent_runs(job).is_empty() && stack.moto.job_runs(job).is_empty(),
        "doctor never starts a run"
    );
    run
}

/// The findings of `check`, from the JSON report.
fn findings(run: &Run, check: &str) -> Vec<Value> {
    run.json()["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {}", run.stdout))
        .iter()
        .filter(|f| f["check"] == check)
        .cloned()
        .collect()
}

/// The one finding of `check`, asserting its severity and that its cause
/// holds `cause`.
#[track_caller]
fn only(run: &Run, check: &str, severity: &str, cause: &str) -> Value {
    let found = findings(run, check);
    assert_eq!(found.len(), 1, "one {check} finding in\n{}", run.stdout);
    let f = found.into_iter().next().unwrap();
    assert_eq!(f["severity"], severity, "{f}");
    let text = f["cause"].as_str().unwrap();
    assert!(text.contains(cause), "{cause:?} not in {text:?}");
    f
}

#[track_caller]
fn none_of(run: &Run, check: &str) {
    assert!(
        findings(run, check).is_empty(),
        "no {check} finding expected in\n{}",
        run.stdout
    );
}

// --- 1. job type and version ------------------------------------------------

#[test]
fn a_healthy_spark_job_passes_with_exit_0() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools==1.2.0", |j| j);
    let run = doctor(&stack, &job, &[]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["job"], job.as_str());
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 0);
    only(
        &run,
        "job-environment",
        "info",
        "Python 3.10 on Amazon Linux 2",
    );
    let ok = only(
        &run,
        "package-ok",
        "info",
        "acme_tools-1.2.0-py3-none-any.whl",
    );
    assert_eq!(ok["subject"], "acme-tools==1.2.0");
    assert!(ok["fix"].is_null());
    for check in [
        "job-command",
        "job-glue-version",
        "argument-non-overridable",
        "installer-option-no-index",
        "installer-option-index-url",
        "access-denied",
        "index-refused",
        "index-unreachable",
    ] {
        none_of(&run, check);
    }
    only(&run, "token-life", "info", "enough for Timeout 30m");
}

#[test]
fn text_output_is_a_list_with_a_summary() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools==1.2.0,acme-typo", |j| j);
    let run = stack.doctor(&job, &["--no-whole-tree"], &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("doctor: job {job:?}, repository {DOMAIN}/{REPOSITORY}")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("error    package-not-found: acme-typo: ")),
        "{}",
        run.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("         fix: check the name")),
        "{}",
        run.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with("info     package-ok: ")),
        "{}",
        run.stdout
    );
    assert_eq!(
        *lines.last().unwrap(),
        "doctor: 1 error, 0 warnings, 3 infos"
    );
}

#[test]
fn unsupported_job_types_and_versions_are_errors() {
    let stack = stack_with_index();
    for (configure, check, cause) in [
        (
            Box::new(|j: JobSpec| j.command("glueray").glue_version(Some("4.0")))
                as Box<dyn Fn(JobSpec) -> JobSpec>,
            "job-command",
            "Ray job",
        ),
        (
            Box::new(|j: JobSpec| j.glue_version(Some("1.0"))),
            "job-glue-version",
            "Glue 1.0",
        ),
        (
            Box::new(|j: JobSpec| j.glue_version(None)),
            "job-glue-version",
            "Glue 0.9 (no GlueVersion set",
        ),
    ] {
        let job = stack.spark_job(|j| configure(j.default_argument(MODULES, "acme-tools")));
        let run = doctor(&stack, &job, &[]);
        run.assert_code(DOCTOR_FOUND_ERRORS);
        only(&run, check, "error", cause);
        assert_eq!(run.json()["errors"], 1, "{}", run.stdout);
        none_of(&run, "package-ok");
    }
}

#[test]
fn python_shell_and_streaming_jobs() {
    let stack = stack_with_index();
    let shell = unique_name("shell");
    stack.moto.create_job(
        &JobSpec::python_shell(&shell)
            .default_argument(MODULES, "acme-tools==1.2.0")
            .timeout_minutes(30),
    );
    let run = doctor(&stack, &shell, &[]);
    run.assert_code(0);
    only(&run, "job-python-shell", "info", "inline");
    only(&run, "package-ok", "info", "Python 3.9");

    let old_shell = unique_name("shell36");
    stack.moto.create_job(
        &JobSpec::python_shell(&old_shell)
            .python_version(Some("3"))
            .default_argument(MODULES, "acme-tools==1.2.0")
            .timeout_minutes(30),
    );
    let run = doctor(&stack, &old_shell, &[]);
    run.assert_code(0);
    let f = only(&run, "job-python-shell", "warning", "Python 3.6");
    assert!(f["fix"].as_str().unwrap().contains("PythonVersion to 3.9"));

    let streaming = glue4_job(&stack, "acme-tools", |j| j.command("gluestreaming"));
    let run = doctor(&stack, &streaming, &[]);
    run.assert_code(0);
    only(&run, "job-streaming", "info", "Spark ETL pages");
}

// --- 2. overridability ------------------------------------------------------

#[test]
fn a_non_overridable_installer_option_is_an_error() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| {
        j.non_overridable_argument(INSTALLER_OPTION, "--upgrade")
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(&run, "argument-non-overridable", "error", "silently ignore");
    assert_eq!(f["subject"], INSTALLER_OPTION);
    assert!(f["fix"].as_str().unwrap().contains("DefaultArguments"));

    // A --arg for a non-overridable key, too; an overridable one is fine.
    let job = glue4_job(&stack, "acme-tools", |j| {
        j.non_overridable_argument("--env", "prod")
    });
    let run = doctor(&stack, &job, &["--arg", "--env=dev"]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "argument-non-overridable",
        "error",
        "the --env given in --arg",
    );
    let run = doctor(&stack, &job, &["--arg", "--day=1"]);
    run.assert_code(0);
    none_of(&run, "argument-non-overridable");
}

// --- 3. conflicting options -------------------------------------------------

#[test]
fn no_index_is_an_error_and_other_index_urls_are_reported() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| {
        j.default_argument(INSTALLER_OPTION, "--no-index --find-links /wheels")
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(&run, "installer-option-no-index", "error", "--no-index");

    let job = glue4_job(&stack, "acme-tools", |j| {
        j.default_argument(
            INSTALLER_OPTION,
            "--upgrade --index-url https://mirror.example/simple/",
        )
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(0);
    let f = only(
        &run,
        "installer-option-index-url",
        "warning",
        "mirror.example",
    );
    assert!(f["cause"].as_str().unwrap().contains("replaces it"));
    let run = doctor(&stack, &job, &["--mode", "extra-index-url"]);
    run.assert_code(0);
    only(
        &run,
        "installer-option-index-url",
        "info",
        "stays pip's primary index",
    );

    let job = glue4_job(&stack, "acme-tools", |j| {
        j.default_argument(INSTALLER_OPTION, "--upgrade --no-cache-dir")
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(0);
    none_of(&run, "installer-option-index-url");
    none_of(&run, "installer-option-no-index");
}

// --- 4. token life ----------------------------------------------------------

#[test]
fn token_life_against_timeout_and_retries() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| {
        j.timeout_minutes(30).max_retries(1)
    });
    let run = doctor(&stack, &job, &["--duration", "1h"]);
    run.assert_code(0);
    let f = only(&run, "token-life", "warning", "= 1h10m");
    assert_eq!(f["fix"], "set --duration to 1h10m");
    assert_eq!(run.json()["warnings"], 1);

    let run = doctor(&stack, &job, &["--duration", "1h15m"]);
    run.assert_code(0);
    let f = only(&run, "token-life", "info", "the token lives 1h15m");
    assert!(f["fix"].is_null());

    let run = doctor(&stack, &job, &["--duration", "0"]);
    only(&run, "token-life", "warning", "cannot see");

    // Past 12 h: a longer token cannot help.
    let long = glue4_job(&stack, "acme-tools", |j| {
        j.timeout_minutes(600).max_retries(2)
    });
    let run = doctor(&stack, &long, &["--duration", "12h"]);
    let f = only(&run, "token-life", "warning", "longer than the 12h");
    assert!(f["fix"].as_str().unwrap().contains("refresh"), "{f}");
}

// --- 5. packages ------------------------------------------------------------

#[test]
fn packages_resolve_or_say_why_not() {
    let stack = stack_with_index();
    let job = glue4_job(
        &stack,
        "acme-tools==1.2.0, acme-legacy, acme-fast, acme-multi<2, acme-typo==1.0, acme-arm, acme-new",
        |j| j,
    );
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let by_subject = |check: &str, subject: &str| {
        findings(&run, check)
            .into_iter()
            .find(|f| f["subject"] == subject)
            .unwrap_or_else(|| panic!("no {check} for {subject}:\n{}", run.stdout))
    };
    by_subject("package-ok", "acme-tools==1.2.0");
    let multi = by_subject("package-ok", "acme-multi<2");
    assert!(
        multi["cause"]
            .as_str()
            .unwrap()
            .contains("acme_multi-1.0.0-")
    );
    let legacy = by_subject("package-sdist-only", "acme-legacy");
    assert_eq!(legacy["severity"], "warning");
    let fast = by_subject("package-no-compatible-wheel", "acme-fast");
    assert_eq!(fast["severity"], "error");
    assert!(
        fast["cause"]
            .as_str()
            .unwrap()
            .contains("not for Python 3.10"),
        "{fast}"
    );
    assert!(fast["fix"].as_str().unwrap().contains("cp310"));
    let typo = by_subject("package-not-found", "acme-typo==1.0");
    assert!(typo["cause"].as_str().unwrap().contains("404"));
    assert_eq!(
        by_subject("package-aarch64-only", "acme-arm")["severity"],
        "warning"
    );
    let new = by_subject("package-requires-python", "acme-new");
    assert!(new["cause"].as_str().unwrap().contains(">=3.11"), "{new}");
    let json = run.json();
    assert_eq!(json["errors"], 3, "fast, typo, new:\n{}", run.stdout);
    assert_eq!(json["warnings"], 2, "legacy, arm:\n{}", run.stdout);
    // One page read per project, each once.
    assert_eq!(stack.emulator.stats().index, 7);
}

#[test]
fn versions_specifiers_and_the_job_python_decide() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-multi==3.0", |j| j);
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "package-no-matching-version",
        "error",
        "the repository has 2.0.0, 1.0.0",
    );
    // The same package without a pin: the newest version.
    let run = doctor(
        &stack,
        &job,
        &["--arg", "--additional-python-modules=acme-multi"],
    );
    run.assert_code(0);
    only(&run, "package-ok", "info", "acme_multi-2.0.0-");
    // On Glue 5.0 (Python 3.11) acme-new fits.
    let job = stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .timeout_minutes(30)
            .default_argument(MODULES, "acme-new")
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(0);
    only(&run, "package-ok", "info", "Python 3.11");
}

#[test]
fn items_that_are_not_checked_skipped_or_invalid() {
    let stack = stack_with_index();
    let job = glue4_job(
        &stack,
        "s3://bucket/wheels/x-1.0-py3-none-any.whl,acme-legacy; python_version < '3.8',acme-multi>=1,<2",
        |j| j,
    );
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(&run, "module-not-checked", "info", "an S3 path");
    only(&run, "module-marker-skipped", "info", "markers are false");
    let f = only(
        &run,
        "module-invalid",
        "error",
        "splits --additional-python-modules on commas",
    );
    assert_eq!(f["subject"], "<2");
    // `acme-multi>=1` is still checked; acme-legacy is not read at all.
    only(&run, "package-ok", "info", "acme_multi-2.0.0-");
    none_of(&run, "package-sdist-only");

    let job = glue4_job(&stack, "acme-tools", |j| j);
    let run = doctor(&stack, &job, &["--arg", "--additional-python-modules="]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "modules-missing",
        "error",
        "no --additional-python-modules",
    );
}

// --- 6. access ----------------------------------------------------------------

#[test]
fn denied_codeartifact_calls_name_the_missing_action() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| j);
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::AccessDenied {
            action: "sts:GetServiceBearerToken".into(),
        },
        count: None,
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(&run, "access-denied", "error", "sts:GetServiceBearerToken");
    assert_eq!(f["subject"], "GetAuthorizationToken");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("grant sts:GetServiceBearerToken")
    );
    // The job checks still ran; the index was not read.
    only(&run, "job-environment", "info", "Glue 4.0");
    none_of(&run, "package-ok");

    stack.emulator.clear_faults();
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetRepositoryEndpoint,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: None,
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "access-denied",
        "error",
        "codeartifact:GetRepositoryEndpoint",
    );
    stack.emulator.clear_faults();
    let run = doctor(&stack, &job, &[]);
    run.assert_code(0);
    none_of(&run, "access-denied");
}

#[test]
fn an_index_that_refuses_the_token_names_read_from_repository() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools,acme-multi", |j| j);
    stack.emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: None,
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(&run, "index-refused", "error", "answered 403");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("codeartifact:ReadFromRepository"),
        "{f}"
    );
    none_of(&run, "package-ok");

    stack.emulator.clear_faults();
    stack.emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::InternalError,
        count: None,
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(&run, "index-unreachable", "error", "answered 500");
    // Unreachable only after the retries: three tries per project.
    let errors = stack
        .emulator
        .requests()
        .iter()
        .filter(|r| r.operation == Operation::Index && r.status == Some(500))
        .count();
    assert_eq!(errors, 6, "two projects, three tries each");
}

#[test]
fn transient_index_failures_are_retried() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| j);
    for kind in [
        FaultKind::InternalError,
        FaultKind::Unavailable,
        FaultKind::ConnectionReset,
    ] {
        stack.emulator.clear_faults();
        stack.emulator.inject_fault(Fault {
            operation: Operation::Index,
            kind: kind.clone(),
            count: Some(2),
        });
        let run = doctor(&stack, &job, &[]);
        run.assert_code(0);
        only(&run, "package-ok", "info", "acme_tools-1.2.0-");
        none_of(&run, "index-unreachable");
    }
}

/// CodeArtifact answers a refused token with 404 (astral-sh/uv#11899), or
/// 401 as older logs show: doctor never calls that "package not found"
/// unless another page proved the token good.
#[test]
fn a_refused_token_is_not_reported_as_a_missing_package() {
    for refused in [RefusedStatus::NotFound, RefusedStatus::Unauthorized] {
        let stack = stack_with_index_and(|c| c.refused_status = refused);
        let job = glue4_job(&stack, "acme-tools,acme-multi", |j| j);
        stack.emulator.inject_fault(Fault {
            operation: Operation::Index,
            kind: FaultKind::RefuseToken,
            count: None,
        });
        let run = doctor(&stack, &job, &[]);
        run.assert_code(DOCTOR_FOUND_ERRORS);
        none_of(&run, "package-ok");
        none_of(&run, "package-not-found");
        let f = match refused {
            RefusedStatus::NotFound => {
                none_of(&run, "index-refused");
                only(
                    &run,
                    "package-not-found-or-refused",
                    "error",
                    "answered 404 for acme-tools, acme-multi: either",
                )
            }
            RefusedStatus::Unauthorized => {
                none_of(&run, "package-not-found-or-refused");
                only(&run, "index-refused", "error", "answered 401")
            }
        };
        assert!(
            f["fix"]
                .as_str()
                .unwrap()
                .contains("grant codeartifact:ReadFromRepository on repository"),
            "{f}"
        );
    }
}

#[test]
fn a_wrong_repository_is_a_finding_and_a_missing_job_an_error() {
    let stack = stack_with_index();
    let job = glue4_job(&stack, "acme-tools", |j| j);
    let run = stack.cli(&[
        "doctor",
        "--job",
        &job,
        "--domain",
        DOMAIN,
        "--repository",
        "py-typo",
        "--output",
        "json",
    ]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "repository-not-found",
        "error",
        "repository \"py-typo\"",
    );
    let run = stack.cli(&[
        "doctor",
        "--job",
        &job,
        "--domain",
        "nope",
        "--repository",
        REPOSITORY,
        "--output",
        "json",
    ]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(&run, "repository-not-found", "error", "domain \"nope\"");

    let run = stack.doctor("no-such-job-anywhere", &[], &[]);
    run.assert_code(JOB_NOT_FOUND);
    assert!(run.stderr.contains("check --job"), "{}", run.stderr);

    let before = stack.emulator.stats().get_authorization_token;
    let run = doctor(&stack, &job, &["--arg", "--day"]);
    run.assert_code(USAGE);
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        before,
        "no AWS call for invalid input"
    );
}

// --- a job bound to a wheelhouse (wheelhouse --bind) -------------------------

/// A Spark job on Glue `glue` bound by the real `wheelhouse --bind` to
/// acme-core and acme-tools in a fresh bucket; returns the job, the bucket
/// and the two objects' keys (dependency order).
fn bound(stack: &Stack, glue: &str) -> (String, String, Vec<String>) {
    use crate::wheelhouse::{bound_job, publish, wheelhouse, write_lock};
    let (core, tools) = publish(stack);
    let lock = write_lock(stack, glue, &core, &tools);
    let job = bound_job(stack, glue);
    let bucket = unique_name("wheels");
    stack.moto.create_bucket(&bucket);
    let prefix = format!("s3://{bucket}/glue/wheels/");
    wheelhouse(stack, &job, &prefix, &lock, &["--bind"]).assert_code(0);
    let keys = [&core, &tools]
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            format!(
                "glue/wheels/sha256/{}/{file}",
                crate::wheelhouse::hex(&bytes)
            )
        })
        .collect();
    (job, bucket, keys)
}

/// doctor on a bound job, whole-tree check on (a bound job needs no uv),
/// asserting that no token was minted and no index read.
fn doctor_bound(stack: &Stack, job: &str, output: &str) -> Run {
    let before = stack.emulator.stats();
    let run = stack.doctor(job, &["--output", output], &[]);
    let after = stack.emulator.stats();
    assert_eq!(
        after.get_authorization_token, before.get_authorization_token,
        "a bound job needs no token: none is minted"
    );
    assert_eq!(after.index, before.index, "nor is the index read");
    assert!(
        stack.moto.job_runs(job).is_empty(),
        "doctor never starts a run"
    );
    run
}

/// A new job with `glue`'s version and the module arguments of `from`,
/// the installer option replaced by `option` when given.
fn copy_bound(stack: &Stack, from: &str, glue: &str, option: Option<&str>) -> String {
    let defaults = stack.moto.job(from).default_arguments.unwrap();
    let option = option.unwrap_or(&defaults[INSTALLER_OPTION]).to_owned();
    let modules = defaults[MODULES].clone();
    stack.spark_job(|j| {
        j.glue_version(Some(glue))
            .default_argument(MODULES, &modules)
            .default_argument(INSTALLER_OPTION, &option)
    })
}

#[test]
fn a_healthy_bound_job_passes_without_a_token() {
    let stack = Stack::new();
    let (job, bucket, keys) = bound(&stack, "5.0");
    let run = doctor_bound(&stack, &job, "json");
    run.assert_code(0);
    assert_eq!(run.json()["errors"], 0, "{}", run.stdout);
    let f = only(&run, "wheelhouse-bound", "info", "is bound to a wheelhouse");
    let cause = f["cause"].as_str().unwrap();
    assert!(cause.contains("2 wheels"), "{cause}");
    assert!(
        cause.contains(&format!("s3://{bucket}/glue/wheels/")),
        "{cause}"
    );
    for check in [
        "wheelhouse-object-missing",
        "wheelhouse-object-changed",
        "wheelhouse-no-index",
        "installer-option-no-index",
        "package-ok",
        "tree-skipped",
        "token-life",
        "access-denied",
    ] {
        none_of(&run, check);
    }
    // Every object was verified by S3's stored SHA-256: no download.
    assert!(
        stack
            .moto
            .s3_requests(Some("GetObject"), &bucket)
            .is_empty(),
        "{:?}",
        stack.moto.s3_requests(None, &bucket)
    );
    assert!(stack.moto.s3_requests(Some("HeadObject"), &bucket).len() >= keys.len());

    let text = doctor_bound(&stack, &job, "text");
    text.assert_code(0);
    assert!(
        text.stdout.contains("info     wheelhouse-bound: "),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .trim_end()
            .ends_with("no problems found (2 infos)"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_deleted_object_fails_and_is_named() {
    let stack = Stack::new();
    let (job, bucket, keys) = bound(&stack, "4.0");
    stack.moto.delete_object(&bucket, &keys[1]);
    let run = doctor_bound(&stack, &job, "json");
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let uri = format!("s3://{bucket}/{}", keys[1]);
    let f = only(&run, "wheelhouse-object-missing", "error", &uri);
    assert_eq!(f["subject"], uri.as_str());
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "glue-codeartifact wheelhouse --job {job} --s3-prefix s3://{bucket}/glue/wheels/"
        )) && fix.contains("--bind"),
        "{fix}"
    );
    assert_eq!(run.json()["errors"], 1, "{}", run.stdout);

    let text = doctor_bound(&stack, &job, "text");
    text.assert_code(DOCTOR_FOUND_ERRORS);
    assert!(
        text.stdout
            .contains(&format!("error    wheelhouse-object-missing: {uri}")),
        "{}",
        text.stdout
    );
}

#[test]
fn a_replaced_object_fails_whether_s3_stored_a_checksum_or_not() {
    let stack = Stack::new();
    let (job, bucket, keys) = bound(&stack, "5.0");
    // Without a checksum (as `aws s3 cp` of another file might): doctor
    // downloads the object and hashes it.
    stack
        .moto
        .put_object(&bucket, &keys[0], b"not the locked wheel");
    // With a SHA-256 checksum of the wrong bytes: S3's stored checksum
    // tells, with no download.
    let wrong = b"other bytes".to_vec();
    stack.moto.put_object_with_sha256(&bucket, &keys[1], &wrong);
    let gets_before = stack.moto.s3_requests(Some("GetObject"), &bucket).len();
    let run = doctor_bound(&stack, &job, "json");
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let changed = findings(&run, "wheelhouse-object-changed");
    assert_eq!(changed.len(), 2, "{}", run.stdout);
    let by_subject = |key: &str| {
        changed
            .iter()
            .find(|f| f["subject"] == format!("s3://{bucket}/{key}").as_str())
            .unwrap_or_else(|| panic!("{key} in {}", run.stdout))
            .clone()
    };
    let downloaded = by_subject(&keys[0]);
    let cause = downloaded["cause"].as_str().unwrap();
    assert!(cause.contains("downloaded bytes"), "{cause}");
    assert!(
        cause.contains(&crate::wheelhouse::hex(b"not the locked wheel")),
        "{cause}"
    );
    let stored = by_subject(&keys[1]);
    let cause = stored["cause"].as_str().unwrap();
    assert!(cause.contains("stored SHA-256"), "{cause}");
    assert!(cause.contains(&crate::wheelhouse::hex(&wrong)), "{cause}");
    assert_eq!(
        stack.moto.s3_requests(Some("GetObject"), &bucket).len() - gets_before,
        1,
        "only the object without a stored SHA-256 is downloaded"
    );
}

#[test]
fn a_bound_job_without_no_index_or_with_an_index_option_left_fails() {
    let stack = Stack::new();
    let (job, _, _) = bound(&stack, "5.0");
    let no_index = copy_bound(&stack, &job, "5.0", Some("--upgrade"));
    let run = doctor_bound(&stack, &no_index, "json");
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(&run, "wheelhouse-no-index", "error", "lacks --no-index");
    assert_eq!(f["subject"], INSTALLER_OPTION);
    assert!(
        f["fix"].as_str().unwrap().contains("--bind"),
        "{}",
        f["fix"]
    );
    none_of(&run, "installer-option-no-index");

    let index = format!("{}simple/", crate::wheelhouse::index_base(&stack).as_str());
    let stale = format!(
        "--no-index --extra-index-url=https://aws:{}@{}",
        "STALE-TOKEN-123",
        &index["http://".len()..]
    );
    let left = copy_bound(&stack, &job, "5.0", Some(&stale));
    let run = doctor_bound(&stack, &left, "json");
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "wheelhouse-index-option",
        "error",
        "--extra-index-url",
    );
    assert!(!run.both().contains("STALE-TOKEN-123"), "{}", run.both());
}

#[test]
fn a_wheel_for_another_python_fails() {
    use crate::wheelhouse::{bound_job, index_base, locked, wheelhouse};
    use glue_codeartifact_python_env::{
        lock::{Lock, LockRuntime},
        runtime::{self, GlueVersion},
    };
    let stack = Stack::new();
    // Bound on Glue 5.0 (Python 3.11) to a CPython 3.11 wheel, then the
    // job is moved to Glue 4.0 (Python 3.10) with the same arguments.
    let fast = make_wheel_with(
        &stack.packages,
        "acme-fast",
        "1.0",
        &[
            "--python-tag",
            "cp311",
            "--abi-tag",
            "cp311",
            "--platform-tag",
            "manylinux2014_x86_64",
        ],
    );
    let lock = Lock {
        runtime: LockRuntime::of(runtime::spark(GlueVersion::new(5, 0)).unwrap()),
        requirements: vec!["acme-fast==1.0".into()],
        packages: vec![locked(&index_base(&stack), &fast, &[])],
        provided: vec![],
    };
    let path = crate::util::scratch(&unique_name("lock")).file("pylock.fast.toml");
    std::fs::write(&path, lock.to_toml()).unwrap();
    let job = bound_job(&stack, "5.0");
    let bucket = unique_name("wheels");
    stack.moto.create_bucket(&bucket);
    wheelhouse(
        &stack,
        &job,
        &format!("s3://{bucket}/w/"),
        &path,
        &["--bind"],
    )
    .assert_code(0);
    doctor_bound(&stack, &job, "json").assert_code(0);

    let moved = copy_bound(&stack, &job, "4.0", None);
    let run = doctor_bound(&stack, &moved, "json");
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let file = fast.file_name().unwrap().to_string_lossy().into_owned();
    let f = only(&run, "wheelhouse-wheel-incompatible", "error", &file);
    let cause = f["cause"].as_str().unwrap();
    assert!(cause.contains("not for Python 3.10"), "{cause}");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("lock --job {moved}")),
        "{}",
        f["fix"]
    );
    assert_eq!(run.json()["errors"], 1, "{}", run.stdout);
}

// --- Glue 5.0's S3 requirements file (`-r`) ----------------------------------

#[test]
fn the_s3_requirements_file_is_read_and_its_requirements_checked() {
    let stack = stack_with_index();
    let bucket = unique_name("reqs");
    stack.moto.create_bucket(&bucket);
    stack.moto.put_object(
        &bucket,
        "glue/requirements.txt",
        b"# pinned\nacme-tools==1.2.0\nacme-multi>=1,<2\nacme-typo==1.0\n",
    );
    let uri = format!("s3://{bucket}/glue/requirements.txt");
    let job = stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .timeout_minutes(30)
            .max_retries(0)
            .default_argument(MODULES, &uri)
            .default_argument(INSTALLER_OPTION, "--upgrade -r")
    });
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    only(
        &run,
        "requirements-file-read",
        "info",
        "lists 3 requirements",
    );
    let ok = findings(&run, "package-ok");
    assert_eq!(ok.len(), 2, "{}", run.stdout);
    assert!(
        ok.iter()
            .any(|f| f["cause"].as_str().unwrap().contains("acme_multi-1.0.0")),
        "the comma stays inside one requirement: {}",
        run.stdout
    );
    only(&run, "package-not-found", "error", "acme-typo");
    none_of(&run, "module-not-checked");
    assert_eq!(run.json()["errors"], 1, "{}", run.stdout);

    // Missing: an error naming the object, nothing else claimed.
    stack.moto.delete_object(&bucket, "glue/requirements.txt");
    let run = doctor(&stack, &job, &[]);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(
        &run,
        "requirements-file-unreadable",
        "error",
        &format!("the requirements file {uri} does not exist"),
    );
    assert_eq!(f["subject"], uri.as_str());
    none_of(&run, "package-ok");

    // Denied: 403 named with both causes.
    stack
        .moto
        .put_object(&bucket, "glue/requirements.txt", b"acme-tools\n");
    stack.moto.inject_s3_fault(&test_stack::S3Fault::new(
        "GetObject",
        &bucket,
        test_stack::S3FaultKind::AccessDenied,
        Some(1),
    ));
    let run = doctor(&stack, &job, &[]);
    stack.moto.clear_s3_faults(&bucket);
    run.assert_code(DOCTOR_FOUND_ERRORS);
    let f = only(&run, "requirements-file-unreadable", "error", "403");
    assert!(
        f["fix"].as_str().unwrap().contains("s3:GetObject"),
        "{}",
        f["fix"]
    );
}
