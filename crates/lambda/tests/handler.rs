//! The handler called directly with a `LambdaEvent`, as the function's
//! runtime would call it.

use codeartifact_emulator::{Fault, FaultKind, Operation, Stats};
use glue_codeartifact_lambda::{HandlerError, StartResponse, State, handler};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use test_stack::runtime;

use crate::util::{Stack, assert_no_cli_flag, token_of};

async fn invoke(state: &State, event: Value) -> Result<StartResponse, HandlerError> {
    handler(LambdaEvent::new(event, Context::default()), state).await
}

#[test]
fn refused_events_make_no_aws_call() {
    let stack = Stack::new();
    let job = stack.spark_job("allowed");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job)]);
    let cases = [
        (json!({"job_name": job, "typo": 1}), "InvalidEvent"),
        (
            json!({"job_name": job, "arguments": {"--day": 5}}),
            "InvalidEvent",
        ),
        (json!({"arguments": {}}), "InvalidEvent"),
        (json!([job]), "InvalidEvent"),
        (
            json!({"job_name": job, "arguments": {"day": "x"}}),
            "InvalidEvent",
        ),
        (json!({"job_name": "someone-elses-job"}), "JobNotAllowed"),
        (
            json!({"job_name": job, "duration": "2h"}),
            "OverrideNotAllowed",
        ),
        (
            json!({"job_name": job, "mode": "extra-index-url"}),
            "OverrideNotAllowed",
        ),
        // The confused deputy: an event may not choose the code or the
        // packages that run with the job's role.
        (
            json!({"job_name": job, "arguments": {"--day": "1"}}),
            "ArgumentNotAllowed",
        ),
        (
            json!({"job_name": job, "arguments": {"--scriptLocation": "s3://evil/x.py"}}),
            "ArgumentNotAllowed",
        ),
        (
            json!({"job_name": job, "arguments": {"--python-modules-installer-option": "--extra-index-url https://evil.example/simple/ --trusted-host evil.example"}}),
            "ArgumentNotAllowed",
        ),
    ];
    let rt = runtime();
    for (event, error_type) in cases {
        let err = rt.block_on(invoke(&state, event.clone())).unwrap_err();
        assert_eq!(err.error_type(), error_type, "{event}: {err}");
        assert!(!err.is_retryable(), "{event}");
    }
    assert_eq!(stack.emulator.stats(), Stats::default());
    assert!(stack.moto.sent_requests("GetJob", &job).is_empty());
    assert!(stack.sent_runs(&job).is_empty());
}

#[test]
fn a_warm_invocation_makes_no_codeartifact_call() {
    let stack = Stack::new();
    let job = stack.spark_job("warm");
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", "warm-*"),
        ("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", "--day"),
    ]);
    let rt = runtime();

    let first = rt
        .block_on(invoke(
            &state,
            json!({"job_name": job, "arguments": {"--day": "1"}}),
        ))
        .unwrap();
    assert!(!first.token_cached);
    assert_eq!(first.job_name, job);
    assert_eq!(
        first.argument_keys,
        ["--day", "--python-modules-installer-option"]
    );
    let cold = stack.emulator.stats();
    assert_eq!(cold.get_authorization_token, 1);
    assert_eq!(cold.get_repository_endpoint, 1);

    let second = rt
        .block_on(invoke(&state, json!({"job_name": job})))
        .unwrap();
    assert!(second.token_cached);
    assert_ne!(second.job_run_id, first.job_run_id);
    assert_eq!(second.token_expiration, first.token_expiration);
    assert_eq!(
        stack.emulator.stats(),
        cold,
        "a warm invocation called CodeArtifact"
    );

    let options = stack.sent_installer_options(&job);
    assert_eq!(options.len(), 2);
    assert_eq!(token_of(&options[0]), token_of(&options[1]));
    assert!(
        options[1].starts_with("--upgrade --index-url=http://aws:"),
        "{}",
        options[1]
    );
    assert_eq!(stack.emulator.issued_tokens(), [token_of(&options[0])]);
}

#[test]
fn a_duration_override_gets_a_token_of_its_own() {
    let stack = Stack::new();
    let job = stack.spark_job("override");
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", "duration,mode"),
    ]);
    let rt = runtime();
    rt.block_on(invoke(&state, json!({"job_name": job})))
        .unwrap();
    let long = rt
        .block_on(invoke(
            &state,
            json!({"job_name": job, "duration": "2h", "mode": "extra-index-url"}),
        ))
        .unwrap();
    assert!(
        !long.token_cached,
        "a 1 h token must not serve a 2 h request"
    );
    let again = rt
        .block_on(invoke(&state, json!({"job_name": job, "duration": "7200"})))
        .unwrap();
    assert!(again.token_cached);
    assert_eq!(stack.emulator.stats().get_authorization_token, 2);
    assert_eq!(stack.emulator.stats().get_repository_endpoint, 1);
    let options = stack.sent_installer_options(&job);
    assert!(
        options[1].contains("--extra-index-url=http://aws:"),
        "{}",
        options[1]
    );
}

#[test]
fn a_codeartifact_failure_is_a_clear_error_and_starts_nothing() {
    let stack = Stack::new();
    let job = stack.spark_job("denied");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job)]);
    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::AccessDenied {
            action: "sts:GetServiceBearerToken".into(),
        },
        count: Some(1),
    });
    let err = runtime()
        .block_on(invoke(&state, json!({"job_name": job})))
        .unwrap_err();
    assert_eq!(err.error_type(), "AccessDenied");
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("sts:GetServiceBearerToken"), "{msg}");
    assert!(msg.contains("iam-policy"), "{msg}");
    assert!(stack.sent_runs(&job).is_empty());
}

#[test]
fn a_token_shorter_than_the_minimum_life_is_refused() {
    // Duration 0 ("as long as the caller's credentials") gets 1 h from the
    // emulator: less than the 1 h minimum plus the margin.
    let stack = Stack::new();
    let job = stack.spark_job("short");
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_DURATION", "0"),
        ("GLUE_CODEARTIFACT_MIN_TOKEN_LIFE", "1h"),
    ]);
    let err = runtime()
        .block_on(invoke(&state, json!({"job_name": job})))
        .unwrap_err();
    assert_eq!(err.error_type(), "TokenLifeTooShort");
    assert!(err.to_string().contains("1h 1m"), "{err}");
    assert!(stack.sent_runs(&job).is_empty());
    stack.assert_no_token(&err.to_string(), "the error");
}

#[test]
fn a_preflight_refuses_a_missing_package_and_passes_a_good_one() {
    let stack = Stack::new();
    test_stack::make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let good = stack.spark_job("pre");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", "pre-*")]);
    let rt = runtime();
    let ok = rt
        .block_on(invoke(&state, json!({"job_name": good, "preflight": true})))
        .unwrap();
    assert!(ok.preflight_warnings.is_some());
    assert_eq!(stack.sent_runs(&good).len(), 1);

    let bad = crate::util::unique_job(&stack, "pre", "acme-tols==1.2.0");
    let err = rt
        .block_on(invoke(&state, json!({"job_name": bad, "preflight": true})))
        .unwrap_err();
    assert_eq!(err.error_type(), "PreflightFailed", "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("package-not-found"), "{err}");
    stack.assert_no_token(&err.to_string(), "the preflight error");
    assert!(stack.sent_runs(&bad).is_empty());
}

#[test]
fn a_preflighted_start_makes_each_call_once_and_reuses_the_warm_cache() {
    let stack = Stack::new();
    test_stack::make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let job = stack.spark_job("pre-once");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", "pre-once-*")]);
    let get_jobs = || stack.moto.sent_requests("GetJob", &job).len();
    let rt = runtime();
    let event = json!({"job_name": job, "preflight": true});
    let cold = rt.block_on(invoke(&state, event.clone())).unwrap();
    assert!(!cold.token_cached);
    assert!(cold.preflight_warnings.is_some());
    let stats = stack.emulator.stats();
    assert_eq!(
        (stats.get_authorization_token, stats.get_repository_endpoint),
        (1, 1),
        "one token and one endpoint, for the preflight and the run"
    );
    assert_eq!(get_jobs(), 1, "one GetJob");
    let index_reads = stats.index;
    assert!(index_reads > 0, "the preflight read the index");

    // Warm: the cached token serves the preflight and the run; no
    // CodeArtifact call.
    let warm = rt.block_on(invoke(&state, event)).unwrap();
    assert!(warm.token_cached);
    let stats = stack.emulator.stats();
    assert_eq!(
        (stats.get_authorization_token, stats.get_repository_endpoint),
        (1, 1)
    );
    assert!(
        stats.index > index_reads,
        "the preflight read the index again"
    );
    assert_eq!(get_jobs(), 2);
    let options = stack.sent_installer_options(&job);
    assert_eq!(options.len(), 2);
    assert_eq!(token_of(&options[0]), token_of(&options[1]));
}

#[test]
fn an_expiration_in_milliseconds_or_negative_starts_nothing() {
    let stack = Stack::new();
    let job = stack.spark_job("odd-expiry");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let rt = runtime();
    for expiration in [(now + 3600) * 1000, -5] {
        // A fresh execution environment: nothing cached.
        let state = stack.state(&[("ALLOWED_JOBS", &job)]);
        stack.emulator.report_expiration(Some(expiration.into()));
        let err = rt
            .block_on(invoke(&state, json!({"job_name": job})))
            .unwrap_err();
        assert!(
            err.to_string().contains("expiration"),
            "{expiration}: {err}"
        );
        stack.assert_no_token(&err.to_string(), "the error");
    }
    assert!(stack.sent_runs(&job).is_empty(), "no run started");
}

#[test]
fn a_missing_job_or_repository_is_named_by_event_field_and_setting() {
    let stack = Stack::new();
    let missing = test_stack::unique_name("gone");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", "gone-*")]);
    let rt = runtime();
    let err = rt
        .block_on(invoke(&state, json!({"job_name": missing})))
        .unwrap_err();
    assert_eq!(err.error_type(), "JobNotFound", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("check the job name (the event's job_name")
            && msg.contains("the function's region (AWS_REGION)"),
        "{msg}"
    );
    assert_no_cli_flag(&msg);
    assert_eq!(
        lambda_runtime::Diagnostic::from(err).error_message,
        msg,
        "the errorMessage is the message"
    );

    let job = stack.spark_job("no-repo");
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_REPOSITORY", "no-such-repository"),
    ]);
    let err = rt
        .block_on(invoke(&state, json!({"job_name": job})))
        .unwrap_err();
    assert_eq!(err.error_type(), "RepositoryNotFound", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("GLUE_CODEARTIFACT_DOMAIN (the Domain parameter)")
            && msg.contains("GLUE_CODEARTIFACT_REPOSITORY (the Repository parameter)")
            && msg.contains("GLUE_CODEARTIFACT_DOMAIN_OWNER"),
        "{msg}"
    );
    assert_no_cli_flag(&msg);
    assert!(stack.sent_runs(&job).is_empty());
}

#[test]
fn a_non_overridable_event_argument_is_named_as_the_events_both_with_and_without_preflight() {
    let stack = Stack::new();
    let job = test_stack::unique_name("fixed");
    stack.moto.create_job(
        &test_stack::JobSpec::spark(&job)
            .default_argument("--additional-python-modules", "acme-tools==1.2.0")
            .non_overridable_argument("--day", "monday")
            .max_concurrent_runs(10),
    );
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", "--*"),
    ]);
    let rt = runtime();
    let err = rt
        .block_on(invoke(
            &state,
            json!({"job_name": job, "arguments": {"--day": "tuesday"}}),
        ))
        .unwrap_err();
    assert_eq!(err.error_type(), "JobNotSupported", "{err}");
    let msg = err.to_string();
    assert!(msg.contains("drop it from the event's arguments"), "{msg}");
    assert_no_cli_flag(&msg);

    let err = rt
        .block_on(invoke(
            &state,
            json!({"job_name": job, "arguments": {"--day": "tuesday"}, "preflight": true}),
        ))
        .unwrap_err();
    assert_eq!(err.error_type(), "PreflightFailed", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("drop --day from the event's arguments"),
        "{msg}"
    );
    assert_no_cli_flag(&msg);
    assert!(stack.sent_runs(&job).is_empty());
}
