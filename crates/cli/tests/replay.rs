//! Proof as Glue would: after `start`, a replay of the run's arguments
//! (`glue_replay.py`: what a Glue worker does with them) installs a private
//! package from the emulator with real pip.

use crate::util::{DOMAIN, REPOSITORY, Stack};
use codeartifact_emulator::{Operation, RefusedStatus};
use test_stack::{JobSpec, make_wheel, replay, unique_name};

const INSTALLER_OPTION: &str = "--python-modules-installer-option";
const MODULES: &str = "--additional-python-modules";

/// A stack whose repository serves `acme-tools 1.2.0`, a package that is on
/// no public index.
fn stack_with_private_package() -> Stack {
    let stack = Stack::new();
    make_wheel(&stack.packages, "acme-tools", "1.2.0");
    stack
}

fn started_run(stack: &Stack, job: &str, extra: &[&str]) -> String {
    let run = stack.start(job, extra);
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "start output");
    run.stdout.trim().to_owned()
}

#[test]
fn spark_job_installs_the_private_package_and_keeps_upgrade() {
    let stack = stack_with_private_package();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let run_id = started_run(&stack, &job, &[]);
    let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
    out.assert_success(&["acme_tools 1.2.0"]);
    let command = out
        .stdout
        .lines()
        .find(|l| l.starts_with("replay: pip install"))
        .unwrap_or_else(|| panic!("no pip command line: {}", out.transcript()));
    assert!(command.contains("--upgrade"), "{command}");
    assert!(
        command.contains("--index-url=http://aws:****@"),
        "{command}"
    );
    assert!(
        stack.emulator.stats().index > 0,
        "pip fetched from the emulator"
    );
}

#[test]
fn extra_index_url_mode_installs_too() {
    let stack = stack_with_private_package();
    let job = stack.spark_job(|j| j);
    let run_id = started_run(&stack, &job, &["--mode", "extra-index-url"]);
    let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
    out.assert_success(&["--extra-index-url=http://aws:****@"]);
}

#[test]
fn python_shell_inline_form_installs() {
    let stack = stack_with_private_package();
    let job = unique_name("shell");
    stack.moto.create_job(
        &JobSpec::python_shell(&job)
            .default_argument(MODULES, "acme-tools==1.2.0")
            .max_concurrent_runs(10),
    );
    let run_id = started_run(&stack, &job, &[]);
    let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
    out.assert_success(&["acme_tools 1.2.0"]);
}

/// An expired token fails pip's install, whether the index answers 404
/// (what CodeArtifact is reported to answer, astral-sh/uv#11899) or 401.
#[test]
fn an_expired_token_fails_the_install() {
    for refused in [RefusedStatus::NotFound, RefusedStatus::Unauthorized] {
        let stack = Stack::with_config(|c| c.refused_status = refused);
        make_wheel(&stack.packages, "acme-tools", "1.2.0");
        let job = stack.spark_job(|j| j);
        let run_id = started_run(&stack, &job, &["--duration", "15m"]);
        stack
            .emulator
            .advance_clock(std::time::Duration::from_secs(16 * 60));

        let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
        assert!(!out.success(), "pip must fail: {}", out.transcript());
        // pip says only "from versions: none"; ask the index what it answered.
        let requests = stack.emulator.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.operation == Operation::Index && r.status == Some(refused.code())),
            "the index refused the expired token with {refused}: {requests:?}"
        );
        assert!(
            !out.stdout.contains("Successfully installed"),
            "{}",
            out.transcript()
        );
    }
}

#[test]
fn a_wrong_repository_fails_before_start_job_run() {
    let stack = stack_with_private_package();
    let job = stack.spark_job(|j| j);
    let run = stack.cli(&[
        "start",
        "--job",
        &job,
        "--domain",
        DOMAIN,
        "--repository",
        "py-typo",
    ]);
    run.assert_code(4);
    assert!(
        run.stderr.contains("repository \"py-typo\""),
        "{}",
        run.stderr
    );
    assert!(stack.sent_runs(&job).is_empty());
    assert!(stack.moto.job_runs(&job).is_empty());
}

#[test]
fn preflight_refuses_a_missing_package_and_starts_nothing() {
    let stack = stack_with_private_package();
    let bad = stack.spark_job(|j| j.default_argument(MODULES, "acme-tols==1.2.0"));
    let run = stack.start(&bad, &["--preflight"]);
    run.assert_code(12);
    assert!(run.stderr.contains("package-not-found"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was started"), "{}", run.stderr);
    stack.assert_no_token(&run.both(), "preflight output");
    assert!(stack.sent_runs(&bad).is_empty());

    let json = stack.start(&bad, &["--preflight", "--output", "json"]);
    json.assert_code(12);
    let body = json.json();
    assert_eq!(body["started"], 0);
    assert_eq!(body["preflight"][0]["errors"], 1);

    let good = stack.spark_job(|j| j);
    let run_id = started_run(&stack, &good, &["--preflight"]);
    let out = replay(&stack.moto.url, &good, &run_id, &["acme_tools"]);
    out.assert_success(&[]);
}

/// The token's remaining life in a start's JSON output.
fn token_life(body: &serde_json::Value) -> std::time::Duration {
    let expiration = humantime::parse_rfc3339(body["token_expiration"].as_str().unwrap()).unwrap();
    expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default()
}

/// How many GetJob requests moto received about `job`.
fn get_jobs(stack: &Stack, job: &str) -> usize {
    stack.moto.sent_requests("GetJob", job).len()
}

#[test]
fn a_preflighted_start_makes_each_call_once() {
    let stack = stack_with_private_package();
    let job = stack.spark_job(|j| j);
    let before = stack.emulator.stats();
    let run = stack.start(
        &job,
        &["--preflight", "--duration", "2h", "--output", "json"],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "start output");
    let after = stack.emulator.stats();
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1,
        "one token, for the preflight and the run"
    );
    assert_eq!(
        after.get_repository_endpoint - before.get_repository_endpoint,
        1,
        "one endpoint read"
    );
    assert_eq!(get_jobs(&stack, &job), 1, "one GetJob");
    assert!(after.index > before.index, "the preflight read the index");
    // The one token is the start's (2 h), not a 15-minute doctor token.
    assert!(
        token_life(&run.json()) > std::time::Duration::from_secs(90 * 60),
        "{}",
        run.stdout
    );
    let run_id = run.json()["job_run_id"].as_str().unwrap().to_owned();
    let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
    assert!(out.success(), "{}", out.transcript());
}

#[test]
fn a_preflighted_start_of_several_jobs_mints_once_and_reads_each_job_once() {
    let stack = stack_with_private_package();
    let (a, b) = (stack.spark_job(|j| j), stack.spark_job(|j| j));
    let before = stack.emulator.stats();
    let run = stack.start(&a, &["--job", &b, "--preflight", "--output", "json"]);
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "start output");
    assert_eq!(run.json()["started"], 2, "{}", run.stdout);
    let after = stack.emulator.stats();
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1
    );
    assert_eq!(
        after.get_repository_endpoint - before.get_repository_endpoint,
        1
    );
    assert_eq!((get_jobs(&stack, &a), get_jobs(&stack, &b)), (1, 1));

    // A failing preflight of one job starts neither.
    let bad = stack.spark_job(|j| j.default_argument(MODULES, "acme-tols==1.2.0"));
    let run = stack.start(&a, &["--job", &bad, "--preflight", "--output", "json"]);
    run.assert_code(12);
    stack.assert_no_token(&run.both(), "start output");
    assert_eq!(run.json()["started"], 0);
    assert!(stack.sent_runs(&bad).is_empty());
    assert_eq!(stack.sent_runs(&a).len(), 1, "only the first start's run");
}

#[test]
fn doctor_on_a_live_index_job_reads_and_mints_once() {
    let stack = stack_with_private_package();
    let job = stack.spark_job(|j| j);
    let before = stack.emulator.stats();
    let run = stack.cli(&[
        "doctor",
        "--job",
        &job,
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "--no-whole-tree",
    ]);
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "doctor output");
    let after = stack.emulator.stats();
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1
    );
    assert_eq!(
        after.get_repository_endpoint - before.get_repository_endpoint,
        1
    );
    assert_eq!(get_jobs(&stack, &job), 1);
}
