//! `why` and the triage of `start --wait`: a failed run's log lines, as
//! Glue writes them into moto's CloudWatch Logs, read back with the token
//! redacted; a run without logs yet; exit codes.

use std::time::Duration;

use crate::util::{Stack, finish, manual_moto, only_run_arguments};

/// The index URL (token included) the run was sent, and its host:port.
fn sent_index_url(stack: &Stack, job: &str) -> (String, String) {
    let args = only_run_arguments(stack, job);
    let option = args["--python-modules-installer-option"].as_str().unwrap();
    let url = option
        .split(' ')
        .find_map(|w| w.strip_prefix("--index-url="))
        .expect("the run has our --index-url")
        .to_owned();
    let host = url::Url::parse(&url).unwrap();
    let host = format!("{}:{}", host.host_str().unwrap(), host.port().unwrap());
    (url, host)
}

/// Starts a run of a new job and returns (job, run ID).
fn started(
    stack: &Stack,
    configure: impl FnOnce(test_stack::JobSpec) -> test_stack::JobSpec,
) -> (String, String) {
    let job = stack.spark_job(|j| {
        configure(j.default_argument("--additional-python-modules", "acme-tools==9.9"))
    });
    let run = stack.start(&job, &[]);
    run.assert_code(0);
    (job, run.stdout.trim().to_owned())
}

#[test]
fn why_shows_pips_error_with_the_token_redacted() {
    let stack = Stack::new();
    let (job, run_id) = started(&stack, |j| j);
    let (url, _) = sent_index_url(&stack, &job);
    let token = stack.emulator.issued_tokens().pop().unwrap();
    assert!(url.contains(&token), "the sent URL holds the token");
    // As Glue writes them: the installer's command, pip's own words (pip
    // masks its index password, but a wrapper or Glue may not), a line
    // with the bare token.
    stack.moto.write_glue_log(
        "/aws-glue/jobs/error",
        &run_id,
        &[
            "25/12/01 08:00:00 INFO GlueContext: starting",
            &format!("INFO PythonModuleInstaller: /usr/bin/python3 -m pip install --user acme-tools==9.9 --index-url={url}"),
            &format!("Looking in indexes: {url}"),
            "ERROR: Could not find a version that satisfies the requirement acme-tools==9.9 (from versions: 1.2.0)",
            "ERROR: No matching distribution found for acme-tools==9.9",
            &format!("ERROR: installer exited 1 (auth {token})"),
        ],
    );
    stack.moto.write_glue_log(
        "/aws-glue/jobs/output",
        &run_id,
        &["Python Module Installer indicates modules that failed to install"],
    );
    stack.set_run_state(
        &job,
        &run_id,
        "FAILED",
        Some(&format!(
            "Python Module Installer indicates modules that failed to install ({url})"
        )),
    );

    let run = stack.cli(&["why", "--job", &job]);
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "why's output");
    let out = &run.stdout;
    assert!(
        out.contains(&format!("run {run_id} of {job:?}: FAILED")),
        "{out}"
    );
    assert!(
        out.contains("No matching distribution found for acme-tools==9.9"),
        "{out}"
    );
    assert!(
        out.contains("Looking in indexes: http://aws:****@"),
        "{out}"
    );
    assert!(out.contains("(auth ****)"), "{out}");
    assert!(
        out.contains(&format!("read /aws-glue/jobs/error {run_id} (6 events)")),
        "{out}"
    );
    assert!(
        out.contains(&format!("read /aws-glue/jobs/output {run_id} (1 events)")),
        "{out}"
    );
    assert!(
        out.contains(
            "#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Ferror/log-events/jr_"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("run `glue-codeartifact doctor --job {job}`")),
        "{out}"
    );
    assert!(
        !out.contains("GlueContext: starting"),
        "only pip's and the installer's lines: {out}"
    );

    // JSON, and the run named explicitly, at RUST_LOG=trace.
    let run = stack.cli_env(
        &[
            "why", "--job", &job, "--run-id", &run_id, "--output", "json",
        ],
        &[("RUST_LOG", "trace")],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "why --output json at trace");
    let body = run.json();
    assert_eq!(body["job_run_id"], run_id.as_str());
    assert_eq!(body["state"], "FAILED");
    assert_eq!(body["streams"].as_array().unwrap().len(), 2);
    assert!(body["diagnoses"][0].as_str().unwrap().contains("doctor"));
    assert!(
        body["error_message"]
            .as_str()
            .unwrap()
            .contains("aws:****@")
    );
}

#[test]
fn a_run_without_logs_yet_and_a_missing_run_are_said_clearly() {
    let stack = Stack::new();
    let (job, run_id) = started(&stack, |j| j);
    stack.set_run_state(&job, &run_id, "FAILED", Some("LaunchError"));
    let run = stack.cli(&["why", "--job", &job, "--run-id", &run_id]);
    run.assert_code(31);
    assert!(
        run.stderr.contains(&format!("no log stream of run {run_id} was found yet in test/log/error, test/log/output, /aws-glue/jobs/error, /aws-glue/jobs/output, /aws-glue/jobs/logs-v2")),
        "{}",
        run.stderr
    );
    stack.assert_no_token(&run.both(), "why without logs");

    let run = stack.cli(&[
        "why",
        "--job",
        &job,
        "--run-id",
        "jr_0000000000000000000000000000000000000000000000000000000000000000",
    ]);
    run.assert_code(30);
    assert!(
        run.stderr.contains("was not found; check --run-id"),
        "{}",
        run.stderr
    );

    let fresh = stack.spark_job(|j| j);
    let run = stack.cli(&["why", "--job", &fresh]);
    run.assert_code(30);
    assert!(run.stderr.contains("has no run yet"), "{}", run.stderr);

    let run = stack.cli(&["why", "--job", "no-such-job-anywhere"]);
    run.assert_code(3);
}

#[test]
fn wait_prints_the_triage_after_a_failed_run() {
    let stack = Stack::with_moto(manual_moto());
    let job = stack.spark_job(|j| j);
    let child = stack.spawn_wait(&job, &[]);
    let run_id = stack.run_id(&job);
    let (url, host) = sent_index_url(&stack, &job);
    // Continuous logging (Glue 4.0 and earlier): the driver's stream.
    stack.moto.write_glue_log(
        "/aws-glue/jobs/logs-v2",
        &format!("{run_id}-driver"),
        &[
            &format!("WARNING: 401 Error, Credentials not correct for {url}acme-tools/"),
            &format!("ERROR: HTTP error 401 while getting {url}acme-tools/"),
            "ERROR: No matching distribution found for acme-tools==1.2.0",
        ],
    );
    std::thread::sleep(Duration::from_millis(1500));
    stack.set_run_state(
        &job,
        &run_id,
        "FAILED",
        Some("Python Module Installer indicates modules that failed to install"),
    );
    let run = finish(child);
    run.assert_code(20);
    stack.assert_no_token(&run.both(), "--wait's triage");
    let err = &run.stderr;
    let final_state = err.find(": FAILED").expect("the final state");
    let triage = err
        .find("pip and the Python module installer said:")
        .expect("the triage");
    assert!(
        final_state < triage,
        "the triage comes after the final state:\n{err}"
    );
    assert!(
        err.contains(&format!(
            "read /aws-glue/jobs/logs-v2 {run_id}-driver (3 events)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "ERROR: HTTP error 401 while getting http://aws:****@{host}/"
        )),
        "{err}"
    );
    assert!(
        err.contains("why: the index refused the token while it was valid (it expires at"),
        "we minted the token, so its expiry is known:\n{err}"
    );
    assert!(
        !err.contains("doctor --job"),
        "a refusal, not a missing package:\n{err}"
    );
}
