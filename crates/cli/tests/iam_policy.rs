//! `iam-policy`: the document, its audit by parliament, and its equality
//! with the policy deploy/template.yaml gives the Lambda's role.

use std::{io::Write, process::Stdio};

use serde_json::{Value, json};
use test_stack::{command_with_env, repo_root};

use crate::util::run_cli;

const ARGS: [&str; 12] = [
    "iam-policy",
    "--job",
    "nightly-etl",
    "--job",
    "reports-*",
    "--domain",
    "acme",
    "--repository",
    "py-internal",
    "--account",
    "123456789012",
    "--region=eu-west-1",
];

fn policy(args: &[&str]) -> Value {
    let run = run_cli(args, &[]);
    run.assert_code(0);
    run.json()
}

#[test]
fn prints_the_least_privilege_policy() {
    let run = run_cli(&ARGS, &[]);
    run.assert_code(0);
    let policy = run.json();
    let statements = policy["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}: {policy:#}"))
    };
    assert_eq!(policy["Version"], "2012-10-17");
    assert_eq!(statements.len(), 4);
    assert_eq!(
        by_sid("MintCodeArtifactToken")["Resource"],
        json!(["arn:aws:codeartifact:eu-west-1:123456789012:domain/acme"])
    );
    assert_eq!(
        by_sid("CodeArtifactBearerToken")["Condition"],
        json!({"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}})
    );
    assert_eq!(
        by_sid("ReadCodeArtifactRepository")["Action"],
        json!([
            "codeartifact:GetRepositoryEndpoint",
            "codeartifact:ReadFromRepository"
        ])
    );
    assert_eq!(
        by_sid("StartAllowedGlueJobs")["Resource"],
        json!([
            "arn:aws:glue:eu-west-1:123456789012:job/nightly-etl",
            "arn:aws:glue:eu-west-1:123456789012:job/reports-*"
        ])
    );
    assert!(
        run.stderr.contains("no publish or write permission"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("use * for"), "{}", run.stderr);
}

#[test]
fn takes_the_lambda_s_environment_and_comma_lists() {
    let from_env = run_cli(
        &["iam-policy", "--output", "json"],
        &[
            ("ALLOWED_JOBS".into(), "nightly-etl,reports-*".into()),
            ("GLUE_CODEARTIFACT_DOMAIN".into(), "acme".into()),
            ("GLUE_CODEARTIFACT_REPOSITORY".into(), "py-internal".into()),
            (
                "GLUE_CODEARTIFACT_DOMAIN_OWNER".into(),
                "111122223333".into(),
            ),
        ],
    );
    from_env.assert_code(0);
    assert_eq!(from_env.stdout.lines().count(), 1, "{}", from_env.stdout);
    let policy = from_env.json();
    assert_eq!(
        policy["Statement"][0]["Resource"],
        json!(["arn:aws:codeartifact:*:111122223333:domain/acme"])
    );
    assert_eq!(
        policy["Statement"][3]["Resource"][1],
        "arn:aws:glue:*:*:job/reports-*"
    );
    assert!(
        from_env.stderr.contains("use * for the region and account"),
        "{}",
        from_env.stderr
    );
}

#[test]
fn refuses_invalid_input() {
    for (args, expected) in [
        (
            vec!["iam-policy", "--domain", "acme", "--repository", "r1"],
            "--job",
        ),
        (
            vec![
                "iam-policy",
                "--job",
                "a$b",
                "--domain",
                "acme",
                "--repository",
                "r1",
            ],
            "policy variable",
        ),
        (
            vec![
                "iam-policy",
                "--job",
                "j",
                "--domain",
                "Acme",
                "--repository",
                "r1",
            ],
            "invalid domain",
        ),
        (
            vec![
                "iam-policy",
                "--job",
                "j",
                "--domain",
                "acme",
                "--repository",
                "r1",
                "--account",
                "12",
            ],
            "12 digits",
        ),
    ] {
        let run = run_cli(&args, &[]);
        run.assert_code(2);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn parliament_finds_nothing() {
    let policy = policy(&ARGS);
    let parliament = repo_root().join(".venv/bin/parliament");
    assert!(
        parliament.exists(),
        "{} is missing; run scripts/setup",
        parliament.display()
    );
    // parliament reads the policy from stdin; its --file refuses without a TTY.
    let mut child = command_with_env(&parliament, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("parliament runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(policy.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "parliament failed:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        stdout.trim(),
        "",
        "parliament findings:\n{stdout}\n{stderr}"
    );
}

#[test]
fn the_template_attaches_the_same_policy() {
    // deploy/policy_from_template.py evaluates the role's inline policy in
    // deploy/template.yaml for given parameters (cfn-lint's template decoder).
    let cases: [(&[&str], &str, &str); 2] = [
        (&["nightly-etl"], "", "us-east-1"),
        (
            &["nightly-etl", "reports-*", "adhoc-?"],
            "111122223333",
            "eu-west-1",
        ),
    ];
    for (jobs, owner, region) in cases {
        let joined = jobs.join(",");
        let mut args = vec![
            "iam-policy",
            "--job",
            &joined,
            "--domain",
            "acme",
            "--repository",
            "py-internal",
            "--account",
            "123456789012",
            "--region",
            region,
        ];
        if !owner.is_empty() {
            args.extend(["--domain-owner", owner]);
        }
        let from_cli = policy(&args);
        let out = command_with_env(repo_root().join(".venv/bin/python"), &[])
            .arg(repo_root().join("deploy/policy_from_template.py"))
            .args(["--account", "123456789012", "--region", region])
            .args([
                "--param",
                "Domain=acme",
                "--param",
                "Repository=py-internal",
            ])
            .arg("--param")
            .arg(format!("AllowedJobs={joined}"))
            .arg("--param")
            .arg(format!("DomainOwner={owner}"))
            .current_dir(repo_root())
            .output()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "policy_from_template.py failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let from_template: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            from_template, from_cli,
            "the template's policy drifted from iam-policy's"
        );
    }
}
