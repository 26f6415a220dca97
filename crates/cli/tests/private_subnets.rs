//! Private subnets: a VPC endpoint host without private DNS, and dual-stack
//! endpoints, against the emulator, with real pip through the replay.

use test_stack::{make_wheel, replay};

use crate::util::{ACCOUNT, DOMAIN, REPOSITORY, Stack, only_run_arguments};

const INSTALLER_OPTION: &str = "--python-modules-installer-option";

fn port(stack: &Stack) -> String {
    stack
        .emulator
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_vpc_endpoint_host_moves_the_domain_into_the_path() {
    let stack = Stack::new();
    make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let job = stack.spark_job(|j| j);
    // `localhost` stands in for the VPC endpoint's own DNS name.
    let host = format!("localhost:{}", port(&stack));
    let run = stack.start(
        &job,
        &[
            "--repository-endpoint-host",
            &host,
            "--allow-any-endpoint-host",
        ],
    );
    run.assert_code(0);
    let option = only_run_arguments(&stack, &job)[INSTALLER_OPTION]
        .as_str()
        .unwrap()
        .to_owned();
    let url = url::Url::parse(option.strip_prefix("--index-url=").unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("localhost"));
    assert_eq!(
        url.path(),
        format!("/pypi/d/{DOMAIN}-{ACCOUNT}/{REPOSITORY}/simple/")
    );

    let out = replay(&stack.moto.url, &job, run.stdout.trim(), &["acme_tools"]);
    out.assert_success(&[]);
}

#[test]
fn the_vpc_endpoint_host_also_reads_the_environment_and_rejects_garbage() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let host = format!("localhost:{}", port(&stack));
    let run = stack.start_env(
        &job,
        &["--dry-run"],
        &[
            ("GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST", &host),
            ("GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST", "true"),
        ],
    );
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!("@{host}/pypi/d/")),
        "{}",
        run.stdout
    );

    let bad = stack.start(
        &job,
        &[
            "--repository-endpoint-host",
            "https://x/y",
            "--allow-any-endpoint-host",
        ],
    );
    bad.assert_code(2);
    assert!(bad.stderr.contains("is not a host name"), "{}", bad.stderr);
    assert!(stack.sent_runs(&job).is_empty());
}

#[test]
fn dualstack_endpoints_are_asked_for_and_used() {
    let stack = Stack::new();
    make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let job = stack.spark_job(|j| j);
    let run = stack.start(&job, &["--endpoint-type", "dualstack"]);
    run.assert_code(0);
    let option = only_run_arguments(&stack, &job)[INSTALLER_OPTION]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        option.contains(&format!("@localhost:{}/", port(&stack))),
        "{option}"
    );
    let out = replay(&stack.moto.url, &job, run.stdout.trim(), &["acme_tools"]);
    out.assert_success(&[]);

    let index = stack.cli(&[
        "index-url",
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "--endpoint-type",
        "ipv4",
    ]);
    index.assert_code(0);
    assert!(index.stdout.contains("@127.0.0.1:"), "{}", index.stdout);
}

/// A host that is not a VPC endpoint's DNS name is refused before any AWS
/// call, naming where it came from; only the flag or the environment can
/// opt out, never a config file (which a checkout may bring).
#[test]
fn only_vpc_endpoint_hosts_unless_the_caller_opts_out() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let evil = "tokens.evil.example";
    let run = stack.start(&job, &["--repository-endpoint-host", evil]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("not a codeartifact.repositories VPC endpoint")
            && run.stderr.contains("set by --repository-endpoint-host")
            && run.stderr.contains("--allow-any-endpoint-host"),
        "{}",
        run.stderr
    );
    let run = stack.start_env(
        &job,
        &[],
        &[("GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST", evil)],
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("set by the environment (GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST)"),
        "{}",
        run.stderr
    );
    // A committed project file.
    let dir = crate::util::scratch(&test_stack::unique_name("checkout"));
    let file = dir.join("glue-codeartifact.toml");
    std::fs::write(
        &file,
        format!("[profile.default]\nrepository_endpoint_host = \"{evil}\"\n"),
    )
    .unwrap();
    let config = file.to_string_lossy().into_owned();
    let run = stack.start(&job, &["--config", &config]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(&format!("set by the config file {config}")),
        "{}",
        run.stderr
    );
    // … which cannot opt out itself.
    std::fs::write(
        &file,
        format!("[profile.default]\nrepository_endpoint_host = \"{evil}\"\nallow_any_endpoint_host = true\n"),
    )
    .unwrap();
    let run = stack.start(&job, &["--config", &config]);
    run.assert_code(2);
    assert!(run.stderr.contains("unknown field"), "{}", run.stderr);
    assert_eq!(stack.emulator.stats().get_authorization_token, 0);
    assert!(stack.sent_runs(&job).is_empty());
    // The documented shape passes the check (the dry run names the source
    // at -v).
    let vpce = "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com";
    let run = stack.start(
        &job,
        &["--repository-endpoint-host", vpce, "--dry-run", "-v"],
    );
    run.assert_code(0);
    assert!(
        run.stderr.contains("repository endpoint host")
            && run.stderr.contains("--repository-endpoint-host"),
        "{}",
        run.stderr
    );
}
