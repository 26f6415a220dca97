//! Smoke tests of the Glue stand-in, through the AWS SDK for Rust.

use aws_sdk_glue::types::JobCommand;
use test_stack::{JobSpec, Moto, unique_name};

#[test]
fn start_job_run_is_seen_as_a_run_and_as_a_sent_request() {
    let moto = Moto::shared();
    let job = unique_name("smoke-run");
    moto.create_job(
        &JobSpec::spark(&job)
            .default_argument("--additional-python-modules", "pkg==1.0")
            .default_argument("--python-modules-installer-option", "--upgrade")
            .non_overridable_argument("--fixed", "yes")
            .tag("team", "data"),
    );

    let run_id = moto
        .block_on(
            moto.glue()
                .start_job_run()
                .job_name(&job)
                .arguments(
                    "--python-modules-installer-option",
                    "--upgrade -i http://x/simple/",
                )
                .send(),
        )
        .expect("StartJobRun")
        .job_run_id
        .expect("a run id");

    let runs = moto.job_runs(&job);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].id, run_id);
    assert_eq!(runs[0].state, "SUCCEEDED");
    // moto shows the merged arguments ...
    assert_eq!(runs[0].arguments["--additional-python-modules"], "pkg==1.0");
    assert_eq!(runs[0].arguments["--fixed"], "yes");
    assert_eq!(
        runs[0].arguments["--python-modules-installer-option"],
        "--upgrade -i http://x/simple/"
    );
    // ... the recorder shows what was sent.
    let sent = moto.sent_requests("StartJobRun", &job);
    assert_eq!(
        sent,
        vec![serde_json::json!({
            "JobName": job,
            "Arguments": {"--python-modules-installer-option": "--upgrade -i http://x/simple/"}
        })]
    );
    assert_eq!(moto.sent_requests("CreateJob", &job).len(), 1);
    assert!(
        moto.sent_requests("StartJobRun", "some-other-job")
            .is_empty()
    );

    let tags = moto
        .block_on(
            moto.glue()
                .get_tags()
                .resource_arn(format!("arn:aws:glue:us-east-1:123456789012:job/{job}"))
                .send(),
        )
        .expect("GetTags");
    assert_eq!(
        tags.tags().and_then(|t| t.get("team")).map(String::as_str),
        Some("data")
    );
}

#[test]
fn update_job_replaces_the_definition() {
    let moto = Moto::shared();
    let job = unique_name("smoke-update");
    moto.create_job(
        &JobSpec::python_shell(&job)
            .default_argument("--additional-python-modules", "pkg==1.0")
            .non_overridable_argument("--fixed", "yes")
            .timeout_minutes(10)
            .max_retries(1),
    );
    let before = moto.job(&job);

    // A JobUpdate without DefaultArguments, NonOverridableArguments, Timeout, MaxRetries.
    let command = JobCommand::builder()
        .name("pythonshell")
        .python_version("3.9")
        .script_location("s3://test-stack/scripts/other.py")
        .build();
    let update = aws_sdk_glue::types::JobUpdate::builder()
        .role("arn:aws:iam::123456789012:role/other")
        .command(command.clone())
        .build();
    moto.block_on(
        moto.glue()
            .update_job()
            .job_name(&job)
            .job_update(update)
            .send(),
    )
    .expect("UpdateJob");

    let after = moto.job(&job);
    assert!(
        after.default_arguments().is_none_or(|a| a.is_empty()),
        "{after:?}"
    );
    assert!(after.non_overridable_arguments().is_none(), "{after:?}");
    assert_eq!(after.timeout(), None);
    assert_eq!(after.max_retries(), 0);
    assert_eq!(after.glue_version(), None);
    assert_eq!(after.command(), Some(&command));
    assert_eq!(after.role(), Some("arn:aws:iam::123456789012:role/other"));
    assert_eq!(after.name(), Some(job.as_str()));
    assert_eq!(after.created_on(), before.created_on());
    assert!(after.last_modified_on() >= before.last_modified_on());
    assert_eq!(moto.sent_requests("UpdateJob", &job).len(), 1);
}

#[test]
fn update_job_without_role_is_refused() {
    let moto = Moto::shared();
    let job = unique_name("smoke-invalid");
    moto.create_job(&JobSpec::spark(&job));
    let update = aws_sdk_glue::types::JobUpdate::builder()
        .command(JobCommand::builder().name("glueetl").build())
        .build();
    let error = moto
        .block_on(
            moto.glue()
                .update_job()
                .job_name(&job)
                .job_update(update)
                .send(),
        )
        .expect_err("UpdateJob without Role");
    let error = error.into_service_error();
    assert!(error.is_invalid_input_exception(), "{error:?}");
}

#[test]
fn a_private_server_is_independent_and_stops_on_drop() {
    let moto = Moto::start();
    assert_ne!(moto.url, Moto::shared().url);
    let job = unique_name("private");
    moto.create_job(&JobSpec::spark(&job));
    assert!(Moto::shared().sent_requests("CreateJob", &job).is_empty());
    let url = moto.url.clone();
    drop(moto);
    let address = url.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "{url} still answers"
    );
}

#[test]
fn replay_refuses_what_glue_would_not_pip_install() {
    let moto = Moto::shared();
    let job = unique_name("replay-ray");
    moto.create_job(
        &JobSpec::spark(&job)
            .command("glueray")
            .default_argument("--additional-python-modules", "pkg==1.0"),
    );
    let run_id = moto
        .block_on(moto.glue().start_job_run().job_name(&job).send())
        .expect("StartJobRun")
        .job_run_id
        .expect("a run id");

    let output = test_stack::replay(&moto.url, &job, &run_id, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", output.transcript());
    assert!(
        output.stdout.contains("refused: Ray job"),
        "{}",
        output.transcript()
    );
}
