//! The token never reaches our output: every command, success and failure,
//! at the default log level and at RUST_LOG=trace. `index-url`'s stdout is
//! the one exception, because printing it is that command's job.

use codeartifact_emulator::{Fault, FaultKind, Operation, TokenStyle};

use crate::util::{DOMAIN, REPOSITORY, Stack};

fn paths(stack: &Stack, job: &str) -> Vec<(Vec<String>, Option<Fault>)> {
    let base = |extra: &[&str]| {
        let mut args: Vec<String> = [
            "start",
            "--job",
            job,
            "--domain",
            DOMAIN,
            "--repository",
            REPOSITORY,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let _ = stack;
    vec![
        (base(&[]), None),
        (base(&["--output", "json"]), None),
        (base(&["--dry-run"]), None),
        (base(&["--dry-run", "--output", "json"]), None),
        (base(&["--mode", "extra-index-url", "-vvv"]), None),
        (
            base(&[]),
            Some(Fault {
                operation: Operation::GetRepositoryEndpoint,
                kind: FaultKind::InternalError,
                count: None,
            }),
        ),
        (
            base(&[]),
            Some(Fault {
                operation: Operation::GetRepositoryEndpoint,
                kind: FaultKind::AccessDenied {
                    action: String::new(),
                },
                count: None,
            }),
        ),
        (
            base(&[]),
            Some(Fault {
                operation: Operation::GetRepositoryEndpoint,
                kind: FaultKind::ConnectionReset,
                count: None,
            }),
        ),
        (
            vec![
                "start".into(),
                "--job".into(),
                "missing-job".into(),
                "--domain".into(),
                DOMAIN.into(),
                "--repository".into(),
                REPOSITORY.into(),
            ],
            None,
        ),
        (
            vec![
                "index-url".into(),
                "--domain".into(),
                DOMAIN.into(),
                "--repository".into(),
                REPOSITORY.into(),
                "--output".into(),
                "json".into(),
            ],
            None,
        ),
        (
            vec![
                "index-url".into(),
                "--domain".into(),
                DOMAIN.into(),
                "--repository".into(),
                REPOSITORY.into(),
            ],
            None,
        ),
    ]
}

fn audit(style: TokenStyle) {
    let stack = Stack::with_style(style);
    let job = stack.spark_job(|j| {
        // A job whose options fail the merge after the token was issued.
        j.default_argument("--python-modules-installer-option", "--upgrade")
    });
    let broken =
        stack.spark_job(|j| j.default_argument("--python-modules-installer-option", "'unbalanced"));
    let mut checked = 0;
    for log in [
        "",
        "trace",
        "debug",
        "aws_smithy_runtime=trace,hyper=trace,trace",
    ] {
        let mut all = paths(&stack, &job);
        all.push((
            vec![
                "start".into(),
                "--job".into(),
                broken.clone(),
                "--domain".into(),
                DOMAIN.into(),
                "--repository".into(),
                REPOSITORY.into(),
            ],
            None,
        ));
        for (args, fault) in all {
            stack.emulator.clear_faults();
            if let Some(fault) = fault {
                stack.emulator.inject_fault(fault);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // LOG_SIGNABLE_BODY makes aws_sigv4 log request bodies at TRACE.
            let run = stack.cli_env(&args, &[("RUST_LOG", log), ("LOG_SIGNABLE_BODY", "true")]);
            let context = format!("{args:?} with RUST_LOG={log:?} (exit {})", run.code);
            stack.assert_no_token(&run.stderr, &format!("stderr of {context}"));
            if args[0] == "index-url" {
                assert_eq!(run.code, 0, "{context}: {}", run.stderr);
            } else {
                stack.assert_no_token(&run.stdout, &format!("stdout of {context}"));
            }
            checked += 1;
        }
    }
    assert!(
        stack.emulator.issued_tokens().len() >= 20,
        "tokens were issued on these paths"
    );
    assert!(checked >= 40);
}

#[test]
fn no_token_in_output_plain_tokens() {
    audit(TokenStyle::Plain);
}

#[test]
fn no_token_in_output_awkward_tokens() {
    audit(TokenStyle::Awkward);
}
