//! The token never reaches our output: every command, success and failure,
//! at the default log level and at RUST_LOG=trace. `index-url`'s stdout is
//! the one exception, because printing it is that command's job.
//!
//! Also every injected fault of `faults.rs` (each of the four calls) and
//! every row of the bad-input catalogue (`bad_inputs.rs`,
//! `docs/bad-inputs.md`): those modules check their runs at the default
//! level, and the tests at the end of this file run them all again at
//! `RUST_LOG=trace` (with `LOG_SIGNABLE_BODY=true`).

use codeartifact_emulator::{Fault, FaultKind, Operation, TokenStyle};

use crate::util::{DOMAIN, REPOSITORY, Stack};

/// `COMMAND --job JOB --domain … --repository … EXTRA…` (`--job` left out
/// when `job` is empty).
fn args(command: &str, job: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![command.to_owned()];
    if !job.is_empty() {
        args.extend(["--job".to_owned(), job.to_owned()]);
    }
    args.extend(["--domain", DOMAIN, "--repository", REPOSITORY].map(str::to_owned));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn fault(operation: Operation, kind: FaultKind) -> Option<Fault> {
    Some(Fault {
        operation,
        kind,
        count: None,
    })
}

/// Every path: (arguments, fault to inject first).
fn paths(job: &str, broken: &str, prefix: &str) -> Vec<(Vec<String>, Option<Fault>)> {
    let uv = test_stack::uv().to_string_lossy().into_owned();
    let lock_file = lock_file();
    let denied = FaultKind::AccessDenied {
        action: String::new(),
    };
    vec![
        (args("start", job, &[]), None),
        (args("start", job, &["--output", "json"]), None),
        (args("start", job, &["--dry-run"]), None),
        (args("start", job, &["--dry-run", "--output", "json"]), None),
        (
            args("start", job, &["--mode", "extra-index-url", "-vvv"]),
            None,
        ),
        (
            args("start", job, &[]),
            fault(Operation::GetRepositoryEndpoint, FaultKind::InternalError),
        ),
        (
            args("start", job, &[]),
            fault(Operation::GetRepositoryEndpoint, denied.clone()),
        ),
        (
            args("start", job, &[]),
            fault(Operation::GetAuthorizationToken, denied),
        ),
        (
            args("start", job, &[]),
            fault(Operation::GetRepositoryEndpoint, FaultKind::ConnectionReset),
        ),
        (args("start", "missing-job", &[]), None),
        // The merge fails after the token was issued.
        (args("start", broken, &[]), None),
        (args("index-url", "", &[]), None),
        (args("index-url", "", &["--output", "json"]), None),
        (args("refresh", job, &[]), None),
        (args("refresh", job, &["--dry-run"]), None),
        (
            args("refresh", job, &["--dry-run", "--output", "json"]),
            None,
        ),
        (args("refresh", "missing-job", &["--output", "json"]), None),
        (args("refresh", broken, &[]), None),
        // doctor reads the index with a token of its own, and prints none.
        (args("doctor", job, &[]), None),
        (args("doctor", job, &["--output", "json", "-vvv"]), None),
        (
            args("doctor", job, &["--mode", "extra-index-url"]),
            fault(Operation::Index, FaultKind::InternalError),
        ),
        (args("doctor", broken, &["--output", "json"]), None),
        (args("doctor", "missing-job", &[]), None),
        // lock and doctor's whole tree run the real uv, with the token in
        // its environment; uv's messages are shown redacted.
        (args("doctor", job, &["--uv", &uv]), None),
        (args("lock", job, &["--uv", &uv, "-o", &lock_file]), None),
        (
            args(
                "lock",
                job,
                &["--uv", &uv, "-o", &lock_file, "--output", "json", "-vvv"],
            ),
            None,
        ),
        (
            args("lock", job, &["--uv", &uv, "-o", &lock_file]),
            fault(Operation::Index, FaultKind::InternalError),
        ),
        (
            args("lock", job, &["--uv", &uv, "-o", &lock_file]),
            fault(Operation::Index, FaultKind::ConnectionReset),
        ),
        // wheelhouse without --lock locks first (uv, with the token in its
        // environment), writes the lock, then downloads with a token of its
        // own and uploads to moto's S3.
        (
            args(
                "wheelhouse",
                job,
                &["--uv", &uv, "-o", &lock_file, "--s3-prefix", prefix],
            ),
            None,
        ),
        (
            args(
                "wheelhouse",
                job,
                &[
                    "--uv",
                    &uv,
                    "-o",
                    &lock_file,
                    "--s3-prefix",
                    prefix,
                    "--dry-run",
                    "--output",
                    "json",
                    "-vvv",
                ],
            ),
            None,
        ),
        (
            args(
                "wheelhouse",
                job,
                &["--uv", &uv, "-o", &lock_file, "--s3-prefix", prefix],
            ),
            fault(Operation::Index, FaultKind::InternalError),
        ),
        (
            args(
                "wheelhouse",
                job,
                &[
                    "--lock",
                    &lock_file,
                    "--s3-prefix",
                    prefix,
                    "--output",
                    "json",
                ],
            ),
            None,
        ),
    ]
}

/// Where the audit's `lock` runs write (checked for tokens too).
fn lock_file() -> String {
    test_stack::scratch::process_dir()
        .join("pylock.audit.toml")
        .to_string_lossy()
        .into_owned()
}

fn audit(style: TokenStyle) {
    let stack = Stack::with_style(style);
    // What the jobs install, so that `lock` and the whole tree resolve.
    test_stack::make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let job =
        stack.spark_job(|j| j.default_argument("--python-modules-installer-option", "--upgrade"));
    let broken =
        stack.spark_job(|j| j.default_argument("--python-modules-installer-option", "'unbalanced"));
    let bucket = test_stack::unique_name("token-leak");
    stack.moto.create_bucket(&bucket);
    // A fresh prefix per run, so that each run downloads and uploads.
    let mut checked = 0;
    for log in [
        "",
        "trace",
        "debug",
        "aws_smithy_runtime=trace,hyper=trace,trace",
    ] {
        let prefix = format!("s3://{bucket}/{}/", test_stack::unique_name("run"));
        for (args, fault) in paths(&job, &broken, &prefix) {
            stack.emulator.clear_faults();
            let faulted = fault.is_some();
            if let Some(fault) = fault {
                stack.emulator.inject_fault(fault);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // LOG_SIGNABLE_BODY makes aws_sigv4 log request bodies at TRACE.
            let run = stack.cli_env(&args, &[("RUST_LOG", log), ("LOG_SIGNABLE_BODY", "true")]);
            let context = format!("{args:?} with RUST_LOG={log:?} (exit {})", run.code);
            stack.assert_no_token(&run.stderr, &format!("stderr of {context}"));
            if ["lock", "wheelhouse"].contains(&args[0]) && !faulted {
                // The token's awkward forms reach uv intact.
                assert_eq!(run.code, 0, "{context}: {}", run.stderr);
            }
            if ["lock", "wheelhouse"].contains(&args[0])
                && let Ok(text) = std::fs::read_to_string(lock_file())
            {
                stack.assert_no_token(&text, &format!("the lock file of {context}"));
            }
            if args[0] == "index-url" {
                assert_eq!(run.code, 0, "{context}: {}", run.stderr);
            } else {
                stack.assert_no_token(&run.stdout, &format!("stdout of {context}"));
            }
            checked += 1;
        }
    }
    assert!(
        stack.emulator.issued_tokens().len() >= 40,
        "tokens were issued on these paths"
    );
    assert!(checked >= 70);
    // Nor in the wheelhouse's S3 keys, metadata or requests.
    let objects = stack.moto.list_objects(&bucket, "");
    assert!(!objects.is_empty(), "the wheelhouse runs uploaded");
    for (key, _) in &objects {
        let metadata = format!("{:?}", stack.moto.object_metadata(&bucket, key));
        stack.assert_no_token(&format!("{key} {metadata}"), "S3 key and metadata");
    }
    let requests = format!("{:?}", stack.moto.s3_requests(None, &bucket));
    stack.assert_no_token(&requests, "S3 requests");
}

#[test]
fn no_token_in_output_plain_tokens() {
    audit(TokenStyle::Plain);
}

#[test]
fn no_token_in_output_awkward_tokens() {
    audit(TokenStyle::Awkward);
}

/// Every fault schedule of `faults.rs`, at trace level: `run_schedule`
/// asserts that no token is in stdout or stderr (and at most one run).
#[test]
fn no_token_under_any_fault_at_trace_level() {
    let stack = Stack::new();
    for schedule in crate::faults::SCHEDULES {
        crate::faults::run_schedule(&stack, schedule, "trace");
    }
}

/// Every `cli`, `job` and `stack` row of the bad-input catalogue, at the
/// default level and at trace level: `run_row` asserts the row's result and
/// that no token is in stdout or stderr.
#[test]
fn no_token_for_any_bad_input() {
    let stack = Stack::new();
    for row in crate::bad_inputs::rows()
        .iter()
        .filter(|r| ["cli", "job", "stack"].contains(&r.surface.as_str()))
    {
        for log in ["", "trace"] {
            crate::bad_inputs::run_row(&stack, row, log);
        }
    }
}
