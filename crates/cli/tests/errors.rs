//! Every failure: a clear message that names the fix, a distinct exit code,
//! and no run started.

use codeartifact_emulator::{Fault, FaultKind, Operation};

use crate::util::{DOMAIN, REPOSITORY, Stack};

const USAGE: i32 = 2;
const JOB_NOT_FOUND: i32 = 3;
const REPOSITORY_NOT_FOUND: i32 = 4;
const ACCESS_DENIED: i32 = 5;
const THROTTLED: i32 = 6;
const CREDENTIALS: i32 = 7;
const NO_REGION: i32 = 8;
const JOB_NOT_SUPPORTED: i32 = 9;

fn assert_nothing_started(stack: &Stack, job: &str) {
    assert!(stack.sent_runs(job).is_empty(), "no StartJobRun was sent");
    assert!(stack.moto.job_runs(job).is_empty(), "moto shows no run");
}

#[test]
fn missing_job() {
    let stack = Stack::new();
    let run = stack.start("no-such-job-anywhere", &[]);
    run.assert_code(JOB_NOT_FOUND);
    assert!(
        run.stderr
            .contains("Glue job \"no-such-job-anywhere\" was not found in region us-east-1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("check --job"), "{}", run.stderr);
}

#[test]
fn non_overridable_installer_option() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| {
        j.non_overridable_argument("--python-modules-installer-option", "--upgrade")
    });
    let run = stack.start(&job, &[]);
    run.assert_code(JOB_NOT_SUPPORTED);
    assert!(
        run.stderr.contains("NonOverridableArguments"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("silently ignore"), "{}", run.stderr);
    assert_nothing_started(&stack, &job);
}

#[test]
fn unsupported_jobs() {
    let stack = Stack::new();
    for (configure, expect) in [
        (
            Box::new(|j: test_stack::JobSpec| j.command("glueray").glue_version(Some("4.0")))
                as Box<dyn Fn(test_stack::JobSpec) -> test_stack::JobSpec>,
            "Ray job",
        ),
        (
            Box::new(|j: test_stack::JobSpec| j.glue_version(Some("1.0"))),
            "Glue 1.0",
        ),
        (
            Box::new(|j: test_stack::JobSpec| j.glue_version(None)),
            "no GlueVersion set",
        ),
        (
            Box::new(|j: test_stack::JobSpec| j.command("gluefoo")),
            "command \"gluefoo\"",
        ),
        (
            Box::new(|j: test_stack::JobSpec| {
                j.default_argument(
                    "--python-modules-installer-option",
                    "--no-index --find-links /wheels",
                )
            }),
            "--no-index",
        ),
    ] {
        let job = stack.spark_job(configure);
        let run = stack.start(&job, &[]);
        run.assert_code(JOB_NOT_SUPPORTED);
        assert!(run.stderr.contains(expect), "{expect}: {}", run.stderr);
        assert_nothing_started(&stack, &job);
    }
}

#[test]
fn wrong_domain_or_repository() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let run = stack.cli(&[
        "start",
        "--job",
        &job,
        "--domain",
        "nope",
        "--repository",
        REPOSITORY,
    ]);
    run.assert_code(REPOSITORY_NOT_FOUND);
    assert!(run.stderr.contains("check --domain"), "{}", run.stderr);
    let run = stack.cli(&[
        "start",
        "--job",
        &job,
        "--domain",
        DOMAIN,
        "--repository",
        "nope",
    ]);
    run.assert_code(REPOSITORY_NOT_FOUND);
    assert!(run.stderr.contains("repository \"nope\""), "{}", run.stderr);
    assert_nothing_started(&stack, &job);
}

#[test]
fn denied_token_names_the_missing_action() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::AccessDenied {
            action: "sts:GetServiceBearerToken".into(),
        },
        count: None,
    });
    let run = stack.start(&job, &[]);
    run.assert_code(ACCESS_DENIED);
    assert!(
        run.stderr
            .contains("needs the IAM permission sts:GetServiceBearerToken"),
        "{}",
        run.stderr
    );
    assert_nothing_started(&stack, &job);

    stack.emulator.clear_faults();
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetRepositoryEndpoint,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: None,
    });
    let run = stack.start(&job, &[]);
    run.assert_code(ACCESS_DENIED);
    assert!(
        run.stderr.contains("codeartifact:GetRepositoryEndpoint"),
        "{}",
        run.stderr
    );
    assert_nothing_started(&stack, &job);
}

#[test]
fn throttling_that_outlasts_the_retries() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::Throttle,
        count: None,
    });
    let run = stack.start_env(&job, &[], &[("AWS_MAX_ATTEMPTS", "2")]);
    run.assert_code(THROTTLED);
    assert!(run.stderr.contains("throttled"), "{}", run.stderr);
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        2,
        "the SDK retried once"
    );
    assert_nothing_started(&stack, &job);
}

#[test]
fn throttling_within_the_retries_succeeds() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetRepositoryEndpoint,
        kind: FaultKind::Throttle,
        count: Some(1),
    });
    stack
        .start_env(&job, &[], &[("AWS_MAX_ATTEMPTS", "3")])
        .assert_code(0);
    assert_eq!(stack.sent_runs(&job).len(), 1);
}

#[test]
fn no_credentials() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let run = stack.start_env(
        &job,
        &[],
        &[("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")],
    );
    run.assert_code(CREDENTIALS);
    assert!(run.stderr.contains("AWS_PROFILE"), "{}", run.stderr);
    assert_nothing_started(&stack, &job);
}

#[test]
fn no_region() {
    let stack = Stack::new();
    let run = stack.start_env("j", &[], &[("AWS_REGION", "")]);
    run.assert_code(NO_REGION);
    assert!(run.stderr.contains("set AWS_REGION"), "{}", run.stderr);
    assert_only_our_lines(&run.stderr);
    assert_eq!(stack.emulator.stats().get_authorization_token, 0);
}

/// At the default verbosity stderr holds our own messages only: no log
/// line of a dependency (the SDK warns about a missing config file, or
/// dumps IMDS errors, before our own error names the fix).
fn assert_only_our_lines(stderr: &str) {
    for line in stderr.lines() {
        for dependency in ["aws_config", "aws_runtime", "aws_smithy", "hyper", "rustls"] {
            assert!(
                !line.contains(&format!(" {dependency}")),
                "a dependency's log line at the default verbosity: {line}\n{stderr}"
            );
        }
    }
}

#[test]
fn the_sdk_says_nothing_at_the_default_verbosity() {
    let stack = Stack::new();
    let dir = crate::util::scratch("sdk-noise");
    let missing = dir.path().join("no-such-config");
    let missing = missing.to_str().unwrap();
    // Without a region and with a config file that does not exist, the
    // SDK warns twice about the file and three times about IMDS (as
    // reproduced on this stack); only our error may reach stderr.
    let env = [
        ("AWS_REGION", ""),
        ("AWS_CONFIG_FILE", missing),
        ("AWS_SHARED_CREDENTIALS_FILE", missing),
    ];
    let start = |verbosity: &[&'static str]| {
        let mut args = verbosity.to_vec();
        args.extend([
            "start",
            "--job",
            "j",
            "--domain",
            DOMAIN,
            "--repository",
            REPOSITORY,
        ]);
        stack.cli_env(&args, &env)
    };
    let run = start(&[]);
    run.assert_code(NO_REGION);
    assert!(run.stderr.contains("set AWS_REGION"), "{}", run.stderr);
    assert_only_our_lines(&run.stderr);
    // -v shows the SDK's warnings again (what an operator debugging asks for).
    let verbose = start(&["-v"]);
    verbose.assert_code(NO_REGION);
    assert!(
        verbose.stderr.contains(" aws_runtime"),
        "-v shows the SDK's warning about the missing config file: {}",
        verbose.stderr
    );
}

#[test]
fn invalid_input_is_rejected_before_any_aws_call() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    for (extra, expect) in [
        (&["--duration", "13h"][..], "900 to 43200"),
        (&["--duration", "10m"], "900 to 43200"),
        (&["--duration", "soon"], "invalid duration"),
        (
            &["--mode", "primary"],
            "possible values: index-url, extra-index-url",
        ),
        (&["--arg", "--day"], "no `=`"),
        (&["--arg", "day=1"], "must start with `--`"),
        (&["--arg", "--JOB_NAME=x"], "used by Glue internally"),
        (&["--domain-owner", "12345"], "12 digits"),
        (&["--bogus"], "unexpected argument"),
    ] {
        let run = stack.start(&job, extra);
        run.assert_code(USAGE);
        assert!(run.stderr.contains(expect), "{extra:?}: {}", run.stderr);
    }
    let stats = stack.emulator.stats();
    assert_eq!(
        stats.get_authorization_token + stats.get_repository_endpoint,
        0
    );
    assert_nothing_started(&stack, &job);
}

#[test]
fn several_jobs_start_nothing_without_a_token() {
    let stack = Stack::new();
    let jobs = [
        stack.spark_job(|j| j),
        stack.spark_job(|j| j),
        stack.spark_job(|j| j),
    ];
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: None,
    });
    let run = stack.start(
        &jobs[0],
        &["--job", &jobs[1], "--job", &jobs[2], "--concurrency", "1"],
    );
    run.assert_code(ACCESS_DENIED);
    assert!(
        run.stderr.contains("codeartifact:GetAuthorizationToken"),
        "{}",
        run.stderr
    );
    for job in &jobs {
        assert_nothing_started(&stack, job);
    }
}
