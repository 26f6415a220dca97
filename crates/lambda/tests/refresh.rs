//! Refresh events (`{"refresh": …}`) through [`invoke`], in-process, against
//! moto (Glue, with its UpdateJob) and the CodeArtifact emulator: jobs by
//! name and by tags, the allowlist, a missing job among three, a second
//! refresh, a refresh on a warm function, the deployment switches (no
//! refresh; refresh only) and the deadline.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codeartifact_emulator::Stats;
use glue_codeartifact_lambda::{HandlerError, RefreshResponse, Response, State, invoke};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use test_stack::{GlueFault, GlueFaultKind, JobSpec, runtime, unique_name};

use crate::util::{Stack, token_of};

const INSTALLER_OPTION: &str = "--python-modules-installer-option";

/// Invokes the function's entry point (start and refresh events alike),
/// with a deadline `left` away (or none).
fn call(state: &State, event: Value, left: Option<Duration>) -> Result<Response, HandlerError> {
    let mut context = Context::default();
    if let Some(left) = left {
        context.deadline = (SystemTime::now() + left)
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as u64;
    }
    runtime().block_on(invoke(LambdaEvent::new(event, context), state))
}

#[track_caller]
fn refreshed(result: Result<Response, HandlerError>) -> RefreshResponse {
    match result {
        Ok(Response::Refresh(response)) => response,
        other => panic!("not a refresh response: {other:?}"),
    }
}

/// A function allowed to touch `allowed_jobs`, with refresh enabled.
fn refreshing_state(stack: &Stack, allowed_jobs: &str) -> State {
    stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", allowed_jobs),
        ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
    ])
}

/// A Spark job with private modules and `--upgrade`, tagged `tags`.
fn job(stack: &Stack, prefix: &str, tags: &[(&str, &str)]) -> String {
    let name = unique_name(prefix);
    let mut spec = JobSpec::spark(&name)
        .default_argument("--additional-python-modules", "acme-tools==1.2.0")
        .default_argument(INSTALLER_OPTION, "--upgrade");
    for (key, value) in tags {
        spec = spec.tag(key, value);
    }
    stack.moto.create_job(&spec);
    name
}

fn installer_option(stack: &Stack, job: &str) -> String {
    stack.moto.job(job).default_arguments().unwrap()[INSTALLER_OPTION].clone()
}

/// Asserts the function neither read nor updated `job`. (Call it before
/// the test reads the job itself: moto records every GetJob.)
#[track_caller]
fn assert_not_read(stack: &Stack, job: &str) {
    for operation in ["GetJob", "UpdateJob"] {
        assert!(
            stack.moto.sent_requests(operation, job).is_empty(),
            "{operation} {job} was sent"
        );
    }
}

/// Asserts `job`'s installer option is still the one it was created with.
#[track_caller]
fn assert_unchanged(stack: &Stack, job: &str) {
    assert_eq!(installer_option(stack, job), "--upgrade", "{job} changed");
}

fn expires_in(response: &RefreshResponse) -> Duration {
    humantime::parse_rfc3339(&response.token_expiration)
        .expect("RFC 3339")
        .duration_since(SystemTime::now())
        .expect("in the future")
}

#[test]
fn refreshes_named_jobs_with_a_token_of_its_own_and_a_second_refresh_replaces_it() {
    let stack = Stack::new();
    let a = job(&stack, "rn", &[]);
    let b = job(&stack, "rn", &[]);
    let state = refreshing_state(&stack, "rn-*");

    // A start first: the warm cache now holds a 1-hour token.
    let started = match call(&state, json!({"job_name": a}), None).unwrap() {
        Response::Start(started) => started,
        other => panic!("{other:?}"),
    };
    let start_token = token_of(&stack.sent_installer_options(&a)[0]);

    let event = json!({"refresh": {"job_names": [b, a]}});
    let first = refreshed(call(&state, event.clone(), None));
    assert_eq!((first.refreshed, first.failed, first.skipped), (2, 0, 0));
    let names: Vec<&str> = first.jobs.iter().map(|j| j.job_name.as_str()).collect();
    let mut sorted = vec![a.as_str(), b.as_str()];
    sorted.sort();
    assert_eq!(names, sorted, "in name order");
    for report in &first.jobs {
        assert_eq!(report.status, "refreshed");
        assert_eq!(report.argument_key.as_deref(), Some(INSTALLER_OPTION));
        assert!(report.error.is_none() && report.error_type.is_none());
    }
    let response = serde_json::to_string(&first).unwrap();
    stack.assert_no_token(&response, "the refresh response");
    assert!(!response.contains("\"error"), "{response}");

    // A freshly minted 12-hour token, not the warm cache's 1-hour one.
    assert_eq!(stack.emulator.stats().get_authorization_token, 2);
    let left = expires_in(&first);
    assert!(
        left > Duration::from_secs(43_200 - 120) && left <= Duration::from_secs(43_200),
        "{left:?}"
    );
    let option_a = installer_option(&stack, &a);
    let refresh_token = token_of(&option_a);
    assert_ne!(refresh_token, start_token);
    assert_eq!(
        token_of(&installer_option(&stack, &b)),
        refresh_token,
        "one token for all jobs"
    );
    assert!(
        option_a.starts_with("--upgrade --index-url=http://aws:"),
        "{option_a}"
    );

    // The refresh left the cache alone: the next start still gets the
    // short token it had.
    let again = match call(&state, json!({"job_name": a}), None).unwrap() {
        Response::Start(again) => again,
        other => panic!("{other:?}"),
    };
    assert!(again.token_cached);
    assert_eq!(again.token_expiration, started.token_expiration);
    assert_eq!(token_of(&stack.sent_installer_options(&a)[1]), start_token);

    // A second refresh replaces the index URL, with a new token.
    let second = refreshed(call(&state, event, None));
    assert_eq!(second.refreshed, 2);
    let option_a = installer_option(&stack, &a);
    assert_eq!(option_a.matches("--index-url").count(), 1, "{option_a}");
    assert!(option_a.starts_with("--upgrade --index-url="), "{option_a}");
    assert_ne!(token_of(&option_a), refresh_token);
    assert_eq!(stack.emulator.stats().get_authorization_token, 3);
}

#[test]
fn by_tags_jobs_outside_allowed_jobs_are_skipped_and_untouched() {
    let stack = Stack::new();
    let team = unique_name("team");
    let allowed = job(&stack, "rt-ok", &[("team", &team)]);
    let outside = job(&stack, "rt-no", &[("team", &team)]);
    let other_team = job(&stack, "rt-ok", &[("team", "someone-else")]);
    let state = refreshing_state(&stack, "rt-ok-*");

    let response = refreshed(call(
        &state,
        json!({"refresh": {"tags": {"team": team}}}),
        None,
    ));
    assert_eq!(
        (response.refreshed, response.failed, response.skipped),
        (1, 0, 1)
    );
    let status = |job: &str| {
        response
            .jobs
            .iter()
            .find(|j| j.job_name == job)
            .map(|j| j.status)
    };
    assert_eq!(status(&allowed), Some("refreshed"));
    assert_eq!(status(&outside), Some("skipped"));
    assert_eq!(status(&other_team), None);
    // A skipped job is not even read.
    assert_not_read(&stack, &outside);
    assert_not_read(&stack, &other_team);
    assert!(installer_option(&stack, &allowed).contains("--index-url=http://aws:"));
    assert_unchanged(&stack, &outside);
    assert_unchanged(&stack, &other_team);
}

#[test]
fn tags_that_select_only_jobs_outside_allowed_jobs_are_an_error() {
    let stack = Stack::new();
    let team = unique_name("team");
    let outside = job(&stack, "rx-no", &[("team", &team)]);
    let state = refreshing_state(&stack, "rx-ok-*");
    let err = call(&state, json!({"refresh": {"tags": {"team": team}}}), None).unwrap_err();
    assert_eq!(err.error_type(), "NoJobsAllowed", "{err}");
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains(&outside)
            && msg.contains("GLUE_CODEARTIFACT_ALLOWED_JOBS")
            && msg.contains("nothing was refreshed"),
        "{msg}"
    );
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        0,
        "no token minted"
    );
    assert_not_read(&stack, &outside);
    assert_unchanged(&stack, &outside);

    let err = call(
        &state,
        json!({"refresh": {"tags": {"team": unique_name("nobody")}}}),
        None,
    )
    .unwrap_err();
    assert_eq!(err.error_type(), "NoJobsWithTags", "{err}");
    // The caller is told about the event's field, not the CLI's --tag.
    let msg = err.to_string();
    assert!(msg.contains("check the event's refresh.tags"), "{msg}");
    crate::util::assert_no_cli_flag(&msg);
}

#[test]
fn a_named_job_outside_allowed_jobs_refuses_the_event_and_changes_nothing() {
    let stack = Stack::new();
    let a = job(&stack, "rr-ok", &[]);
    let outside = job(&stack, "rr-no", &[]);
    let state = refreshing_state(&stack, "rr-ok-*");
    let err = call(
        &state,
        json!({"refresh": {"job_names": [a, outside]}}),
        None,
    )
    .unwrap_err();
    assert_eq!(err.error_type(), "JobNotAllowed", "{err}");
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{outside:?}"))
            && msg.contains("GLUE_CODEARTIFACT_ALLOWED_JOBS")
            && msg.contains("refreshed nothing"),
        "{msg}"
    );
    assert!(!msg.contains(&format!("{a:?}")), "{msg}");
    assert_eq!(stack.emulator.stats(), Stats::default(), "no AWS call");
    for job in [&a, &outside] {
        assert_not_read(&stack, job);
        assert_unchanged(&stack, job);
    }
}

#[test]
fn one_missing_job_among_three_fails_the_invocation_after_refreshing_the_others() {
    let stack = Stack::new();
    let a = job(&stack, "rm", &[]);
    let b = job(&stack, "rm", &[]);
    let missing = unique_name("rm-missing");
    let state = refreshing_state(&stack, "rm-*");
    let err = call(
        &state,
        json!({"refresh": {"job_names": [a, missing, b]}}),
        None,
    )
    .unwrap_err();
    assert_eq!(err.error_type(), "RefreshIncomplete", "{err}");
    assert!(!err.is_retryable(), "a missing job stays missing");
    let msg = err.to_string();
    assert!(
        msg.starts_with("refresh failed on 1 of 3 jobs (2 refreshed")
            && msg.contains(&format!("{missing:?}: JobNotFound: Glue job"))
            && msg.contains("idempotent"),
        "{msg}"
    );
    stack.assert_no_token(&msg, "the error");
    let HandlerError::RefreshIncomplete(failures) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failures.failed.len(), 1);
    assert_eq!(failures.failed[0].job, missing);
    for job in [&a, &b] {
        assert!(
            installer_option(&stack, job).starts_with("--upgrade --index-url=http://aws:"),
            "{job} was not refreshed"
        );
    }
}

#[test]
fn a_transient_failure_on_one_job_makes_the_failure_retryable() {
    let stack = Stack::new();
    let a = job(&stack, "rf", &[]);
    let b = job(&stack, "rf", &[]);
    let state = refreshing_state(&stack, "rf-*");
    stack
        .moto
        .inject_glue_fault(&GlueFault::new("UpdateJob", &b, GlueFaultKind::Throttle, 1));
    let err = call(&state, json!({"refresh": {"job_names": [a, b]}}), None).unwrap_err();
    assert_eq!(err.error_type(), "RefreshIncomplete", "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains(": Throttled: "), "{err}");
    assert_unchanged(&stack, &b);
    // The retry (what Lambda does for a failed asynchronous invocation)
    // refreshes both.
    let response = refreshed(call(
        &state,
        json!({"refresh": {"job_names": [a, b]}}),
        None,
    ));
    assert_eq!(response.refreshed, 2);
    assert!(installer_option(&stack, &b).contains("--index-url="));
}

#[test]
fn a_deployment_without_refresh_refuses_refresh_events_before_any_aws_call() {
    let stack = Stack::new();
    let a = job(&stack, "rd", &[]);
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", "rd-*")]);
    for event in [
        json!({"refresh": {"job_names": [a]}}),
        json!({"refresh": {"tags": {"team": "data"}}}),
        json!({"refresh": "malformed too"}),
    ] {
        let err = call(&state, event.clone(), None).unwrap_err();
        assert_eq!(err.error_type(), "RefreshNotEnabled", "{event}: {err}");
        assert!(!err.is_retryable());
        let msg = err.to_string();
        assert!(
            msg.contains("does not serve refresh events")
                && msg.contains("to the refresh function")
                && msg.contains("EnableRefresh=true"),
            "{msg}"
        );
    }
    assert_eq!(stack.emulator.stats(), Stats::default());
    assert_not_read(&stack, &a);
    assert_unchanged(&stack, &a);
    // Start events work as before.
    assert!(matches!(
        call(&state, json!({"job_name": a}), None),
        Ok(Response::Start(_))
    ));
}

#[test]
fn a_refresh_only_function_refuses_start_events_before_any_aws_call() {
    // The SAM template's refresh function: its role may not start runs, so a
    // start event sent there by mistake is told where to go, not that the
    // role lacks glue:StartJobRun.
    let stack = Stack::new();
    let a = job(&stack, "ro", &[]);
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", "ro-*"),
        ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
        ("GLUE_CODEARTIFACT_START_ENABLED", "false"),
    ]);
    for event in [
        json!({"job_name": a}),
        json!({"job_name": a, "preflight": true}),
        json!({"job_name": 42}),
        json!("start it"),
    ] {
        let err = call(&state, event.clone(), None).unwrap_err();
        assert_eq!(err.error_type(), "StartNotEnabled", "{event}: {err}");
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("to the start function"), "{err}");
    }
    assert_eq!(stack.emulator.stats(), Stats::default());
    assert_not_read(&stack, &a);
    assert!(stack.sent_runs(&a).is_empty());
    // Refresh events work as before.
    let response = refreshed(call(&state, json!({"refresh": {"job_names": [a]}}), None));
    assert_eq!(response.refreshed, 1);
}

#[test]
fn a_refresh_still_running_at_the_deadline_ends_with_a_retryable_error() {
    let stack = Stack::new();
    let a = job(&stack, "rl", &[]);
    let state = refreshing_state(&stack, "rl-*");
    stack.moto.inject_glue_fault(&GlueFault::new(
        "UpdateJob",
        &a,
        GlueFaultKind::Delay(Duration::from_secs(6)),
        1,
    ));
    let left = Duration::from_secs(3);
    let started = std::time::Instant::now();
    let err = call(&state, json!({"refresh": {"job_names": [a]}}), Some(left)).unwrap_err();
    let took = started.elapsed();
    assert!(took < left, "answered after {took:?}, past the deadline");
    assert_eq!(err.error_type(), "DeadlineReached", "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("idempotent"), "{err}");
}

#[test]
fn a_failed_read_after_the_update_says_the_job_was_updated() {
    let stack = Stack::new();
    let a = job(&stack, "ru", &[]);
    let state = refreshing_state(&stack, "ru-*");
    // The UpdateJob is applied and its answer held for 2 s; meanwhile the
    // next GetJob about the job (the verifying read) is made to fail.
    stack.moto.inject_glue_fault(
        &GlueFault::new(
            "UpdateJob",
            &a,
            GlueFaultKind::Delay(Duration::from_secs(2)),
            1,
        )
        .after(),
    );
    let err = std::thread::scope(|scope| {
        let invocation = scope.spawn(|| call(&state, json!({"refresh": {"job_names": [a]}}), None));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !installer_option(&stack, &a).contains("--index-url=") {
            assert!(
                std::time::Instant::now() < deadline,
                "the update never landed"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        stack.moto.inject_glue_fault(&GlueFault::new(
            "GetJob",
            &a,
            GlueFaultKind::AccessDenied,
            1,
        ));
        invocation.join().unwrap()
    })
    .unwrap_err();
    stack.moto.clear_glue_faults(&a);
    assert_eq!(err.error_type(), "RefreshIncomplete", "{err}");
    let HandlerError::RefreshIncomplete(failures) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(failures.refreshed, 0);
    assert_eq!(failures.failed[0].error_type, "UpdateNotVerified");
    assert!(failures.failed[0].retryable, "refreshing again is safe");
    let msg = err.to_string();
    assert!(
        msg.contains(": UpdateNotVerified: ")
            && msg.contains("WAS updated")
            && msg.contains("glue:GetJob"),
        "{msg}"
    );
    stack.assert_no_token(&msg, "the error");
    assert!(installer_option(&stack, &a).starts_with("--upgrade --index-url=http://aws:"));
}
