//! `iam-policy`: the start and refresh documents, their audit by
//! parliament, and their equality with the policies deploy/template.yaml
//! gives the start function's and the refresh function's roles, for a
//! start-only deployment and for one with refresh enabled.

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

/// `--refresh` and two job roles, after [`ARGS`]: the refresh role's policy.
const REFRESH_ARGS: [&str; 4] = [
    "--refresh",
    "--glue-job-role-arn",
    "arn:aws:iam::123456789012:role/glue-etl",
    "--glue-job-role-arn=arn:aws:iam::123456789012:role/service-role/glue-reports-*",
];

fn with_refresh() -> Vec<&'static str> {
    ARGS.iter().chain(REFRESH_ARGS.iter()).copied().collect()
}

fn policy(args: &[&str]) -> Value {
    let run = run_cli(args, &[]);
    run.assert_code(0);
    run.json()
}

/// Asserts that `args` is a usage error (exit 2) whose message contains
/// `expected`, and that no policy was printed.
#[track_caller]
fn assert_refused(args: &[&str], expected: &str) {
    let run = run_cli(args, &[]);
    run.assert_code(2);
    assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
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
fn refresh_prints_the_refresh_role_s_policy_and_nothing_that_starts_a_run() {
    let start = policy(&ARGS);
    let refresh = policy(&with_refresh());
    let statements = refresh["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 6, "{refresh:#}");
    assert_eq!(
        statements[..3],
        start["Statement"].as_array().unwrap()[..3],
        "the same minting statements: the token a refresh writes must read the repository too"
    );
    assert_eq!(
        statements[3],
        json!({
            "Sid": "RefreshAllowedGlueJobs",
            "Effect": "Allow",
            "Action": ["glue:GetJob", "glue:UpdateJob"],
            "Resource": [
                "arn:aws:glue:eu-west-1:123456789012:job/nightly-etl",
                "arn:aws:glue:eu-west-1:123456789012:job/reports-*"
            ]
        })
    );
    assert_eq!(
        statements[4],
        json!({"Sid": "ListGlueJobsByTag", "Effect": "Allow", "Action": ["glue:ListJobs"], "Resource": ["*"]})
    );
    assert_eq!(
        statements[5],
        json!({
            "Sid": "PassGlueJobRoles",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [
                "arn:aws:iam::123456789012:role/glue-etl",
                "arn:aws:iam::123456789012:role/service-role/glue-reports-*"
            ],
            "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}
        })
    );
    let text = refresh.to_string();
    assert!(!text.contains("glue:StartJobRun") && !text.contains("glue:GetJobRuns"));
    let text = start.to_string();
    assert!(!text.contains("glue:UpdateJob") && !text.contains("iam:PassRole"));
    // Comma-separated roles are the same list.
    let mut comma: Vec<&str> = ARGS.to_vec();
    comma.extend([
        "--refresh",
        "--glue-job-role-arn",
        "arn:aws:iam::123456789012:role/glue-etl,arn:aws:iam::123456789012:role/service-role/glue-reports-*",
    ]);
    assert_eq!(policy(&comma), refresh);
}

#[test]
fn the_help_says_how_to_get_both_policies() {
    let run = run_cli(&["iam-policy", "--help"], &[]);
    run.assert_code(0);
    let help = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("needs both documents: run this twice and attach them as two policies"),
        "{help}"
    );
}

#[test]
fn refresh_and_job_roles_go_together() {
    let cases: [(&[&str], &str); 4] = [
        (&["--refresh"], "--glue-job-role-arn"),
        (
            &["--glue-job-role-arn", "arn:aws:iam::123456789012:role/etl"],
            "--refresh",
        ),
        (
            &["--refresh", "--glue-job-role-arn", "glue-etl"],
            "invalid --glue-job-role-arn",
        ),
        (
            &[
                "--refresh",
                "--glue-job-role-arn",
                "arn:aws-cn:iam::123456789012:role/etl",
            ],
            "in the policy's partition",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = ARGS.to_vec();
        args.extend_from_slice(extra);
        assert_refused(&args, expected);
    }
}

#[test]
fn takes_the_lambda_s_environment_and_comma_lists() {
    let from_env = run_cli(
        &["iam-policy", "--output", "json"],
        &[
            (
                "GLUE_CODEARTIFACT_ALLOWED_JOBS".into(),
                "nightly-etl,reports-*".into(),
            ),
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
            "a CodeArtifact domain name is 2 to 50 lower-case letters",
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
        assert_refused(&args, expected);
    }
}

#[test]
fn parliament_finds_nothing() {
    let parliament = repo_root().join(".venv/bin/parliament");
    assert!(
        parliament.exists(),
        "{} is missing; run scripts/setup",
        parliament.display()
    );
    let mut with_why = ARGS.to_vec();
    with_why.push("--why");
    for args in [ARGS.to_vec(), with_refresh(), with_why] {
        audit(&parliament, &policy(&args));
    }
}

/// parliament's findings on `policy`: none.
fn audit(parliament: &std::path::Path, policy: &Value) {
    // parliament reads the policy from stdin; its --file refuses without a TTY.
    let mut child = command_with_env(parliament, &[])
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
        "parliament findings on {policy}:\n{stdout}\n{stderr}"
    );
}

#[test]
fn the_template_attaches_the_same_policies() {
    // deploy/policy_from_template.py evaluates a role's inline policy in
    // deploy/template.yaml for given parameters (cfn-lint's template decoder):
    // the start function's role, and the refresh function's role, which
    // exists only when refresh is enabled (with the Glue jobs' roles).
    let roles = [
        "arn:aws:iam::123456789012:role/glue-etl",
        "arn:aws:iam::123456789012:role/service-role/glue-*",
    ];
    let cases: [(&[&str], &str, &str, &[&str]); 4] = [
        (&["nightly-etl"], "", "us-east-1", &[]),
        (
            &["nightly-etl", "reports-*", "adhoc-?"],
            "111122223333",
            "eu-west-1",
            &[],
        ),
        (&["nightly-etl"], "", "us-east-1", &roles[..1]),
        (
            &["nightly-etl", "reports-*", "adhoc-?"],
            "111122223333",
            "eu-west-1",
            &roles,
        ),
    ];
    for (jobs, owner, region, job_roles) in cases {
        let refresh = !job_roles.is_empty();
        let joined_roles = job_roles.join(",");
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
        let template = |role: &str| {
            template_policy(
                role,
                region,
                &[
                    "Domain=acme".into(),
                    "Repository=py-internal".into(),
                    format!("AllowedJobs={joined}"),
                    format!("DomainOwner={owner}"),
                    format!("EnableRefresh={refresh}"),
                    format!("GlueJobRoleArns={joined_roles}"),
                ],
            )
        };
        assert_eq!(
            template("FunctionRole"),
            Some(policy(&args)),
            "the start function's policy drifted from iam-policy's (refresh: {refresh})"
        );
        let refresh_role = template("RefreshFunctionRole");
        if refresh {
            args.extend(["--refresh", "--glue-job-role-arn", &joined_roles]);
            assert_eq!(
                refresh_role,
                Some(policy(&args)),
                "the refresh function's policy drifted from iam-policy --refresh's"
            );
        } else {
            assert_eq!(
                refresh_role, None,
                "a start-only deployment has a refresh role"
            );
        }
    }
}

/// The policy deploy/template.yaml gives `role` for `params`; `None` when
/// the template creates no such role.
fn template_policy(role: &str, region: &str, params: &[String]) -> Option<Value> {
    let mut command = command_with_env(repo_root().join(".venv/bin/python"), &[]);
    command
        .arg(repo_root().join("deploy/policy_from_template.py"))
        .args(["--account", "123456789012", "--region", region])
        .args(["--role", role]);
    for param in params {
        command.arg("--param").arg(param);
    }
    let out = command
        .current_dir(repo_root())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "policy_from_template.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (!stdout.trim().is_empty()).then(|| serde_json::from_str(&stdout).unwrap())
}

#[test]
fn why_adds_reading_runs_and_their_logs() {
    let mut args = ARGS.to_vec();
    args.push("--why");
    let doc = policy(&args);
    let statements = doc["Statement"].as_array().unwrap();
    let logs = statements
        .iter()
        .find(|s| s["Sid"] == "ReadGlueJobRunLogs")
        .expect("the logs statement");
    assert_eq!(
        logs["Action"],
        json!(["logs:DescribeLogStreams", "logs:GetLogEvents"])
    );
    assert_eq!(
        logs["Resource"],
        json!([
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs*:log-stream:*",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs*"
        ])
    );
    let runs = statements
        .iter()
        .find(|s| s["Sid"] == "ReadGlueJobRuns")
        .expect("the runs statement");
    assert_eq!(
        runs["Action"],
        json!(["glue:GetJob", "glue:GetJobRun", "glue:GetJobRuns"])
    );
    // Without --why, nothing of it: the template's start role stays as it is.
    let plain = policy(&ARGS);
    assert!(!plain.to_string().contains("logs:"));
}

const PREFIX: &str = "s3://acme-glue-artifacts/wheels/";

fn statement<'a>(doc: &'a Value, sid: &str) -> &'a Value {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no {sid} in {doc}"))
}

#[test]
fn s3_prefix_adds_doctor_s_read_and_wheelhouse_prints_its_runner_s_and_job_role_s_policies() {
    let mut args = ARGS.to_vec();
    args.extend(["--s3-prefix", PREFIX]);
    let doctor = policy(&args);
    let read = statement(&doctor, "ReadWheelhouseObjects");
    assert_eq!(read["Action"], json!(["s3:GetObject"]));
    assert_eq!(
        read["Resource"],
        json!(["arn:aws:s3:::acme-glue-artifacts/wheels/*"])
    );
    let list = statement(&doctor, "ListWheelhousePrefix");
    assert_eq!(
        list["Resource"],
        json!(["arn:aws:s3:::acme-glue-artifacts"])
    );
    assert_eq!(
        list["Condition"],
        json!({"StringLike": {"s3:prefix": "wheels/*"}})
    );
    statement(&doctor, "StartAllowedGlueJobs");

    let mut runner_args = args.clone();
    runner_args.push("--wheelhouse");
    let runner = policy(&runner_args);
    statement(&runner, "MintCodeArtifactToken");
    statement(&runner, "CodeArtifactBearerToken");
    statement(&runner, "ReadCodeArtifactRepository");
    assert_eq!(
        statement(&runner, "WriteWheelhouseObjects")["Action"],
        json!(["s3:GetObject", "s3:PutObject"])
    );
    statement(&runner, "ListWheelhousePrefix");
    assert_eq!(
        statement(&runner, "ReadAllowedGlueJobs")["Action"],
        json!(["glue:GetJob"])
    );
    let text = runner.to_string();
    for absent in ["glue:UpdateJob", "iam:PassRole", "glue:StartJobRun"] {
        assert!(!text.contains(absent), "{absent} without --bind: {text}");
    }

    let mut bind_args = runner_args.clone();
    bind_args.extend([
        "--glue-job-role-arn",
        "arn:aws:iam::123456789012:role/glue-etl",
    ]);
    let bind = policy(&bind_args);
    assert_eq!(
        statement(&bind, "BindAllowedGlueJobs")["Action"],
        json!(["glue:GetJob", "glue:UpdateJob"])
    );
    assert_eq!(
        statement(&bind, "PassGlueJobRoles")["Condition"],
        json!({"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}})
    );

    let mut role_args = args.clone();
    role_args.push("--wheelhouse-job-role");
    let role = policy(&role_args);
    assert_eq!(role["Statement"].as_array().unwrap().len(), 1, "{role}");
    assert_eq!(
        statement(&role, "InstallFromWheelhouse")["Resource"],
        json!(["arn:aws:s3:::acme-glue-artifacts/wheels/*"])
    );
    assert!(!role.to_string().contains("codeartifact"), "{role}");

    let parliament = repo_root().join(".venv/bin/parliament");
    for doc in [&doctor, &runner, &bind, &role] {
        audit(&parliament, doc);
    }

    // --wheelhouse needs the prefix; a bad prefix is a usage error.
    for (extra, expected) in [
        (vec!["--wheelhouse"], "--s3-prefix"),
        (vec!["--s3-prefix", "acme/wheels"], "s3://"),
        (vec!["--wheelhouse-job-role"], "--s3-prefix"),
    ] {
        let mut bad = ARGS.to_vec();
        bad.extend(extra.iter().copied());
        assert_refused(&bad, expected);
    }
}
