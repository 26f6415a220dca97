//! The real `bootstrap` under cargo-lambda's Runtime API emulator, invoked
//! over the invoke endpoint and with `cargo lambda invoke`.

use std::time::Duration;

use codeartifact_emulator::{Fault, FaultKind, Operation, Stats};
use serde_json::{Value, json};

use crate::util::{Invocation, Lambda, Stack, invoke_at, pair, token_of};

/// The settings of a function allowed to start `job`.
fn settings(stack: &Stack, job: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = stack.settings_env(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", job)]);
    env.extend(extra.iter().map(|(k, v)| pair(k, v)));
    env
}

/// Asserts the function logged JSON only, no token, and the decisions.
#[track_caller]
fn assert_logs(stack: &Stack, lambda: &Lambda) -> Vec<Value> {
    stack.assert_no_token(&lambda.function_log(), "the function's logs");
    lambda.log_lines()
}

fn lines_with<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["message"] == message).collect()
}

#[test]
fn starts_a_run_when_invoked_with_cargo_lambda() {
    let stack = Stack::new();
    let job = stack.spark_job("invoke");
    let lambda = Lambda::start(
        &stack,
        &settings(
            &stack,
            &job,
            &[("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", "--day")],
        ),
    );

    let event = json!({"job_name": job, "arguments": {"--day": "2024-01-31"}});
    let (ok, stdout, stderr) = lambda.invoke_with_cargo_lambda(&event);
    assert!(ok, "cargo lambda invoke failed\n{stdout}\n{stderr}");
    let response: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(response["job_name"], job.as_str());
    assert_eq!(response["token_cached"], false);
    assert_eq!(
        response["argument_keys"],
        json!(["--day", "--python-modules-installer-option"])
    );
    let run_id = response["job_run_id"].as_str().unwrap();
    assert!(!run_id.is_empty());
    assert!(
        response["token_expiration"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    stack.assert_no_token(&stdout, "the response");

    let sent = stack.sent_runs(&job);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["Arguments"]["--day"], "2024-01-31");
    let option = sent[0]["Arguments"]["--python-modules-installer-option"]
        .as_str()
        .unwrap();
    let token = token_of(option);
    assert_eq!(stack.emulator.issued_tokens(), std::slice::from_ref(&token));
    assert_eq!(
        option,
        format!(
            "--upgrade --index-url=http://aws:{token}@{}/acme-123456789012/pypi/py-internal/simple/",
            stack.emulator.base_url().trim_start_matches("http://")
        )
    );

    let lines = assert_logs(&stack, &lambda);
    let started = lines_with(&lines, "job run started");
    assert_eq!(started.len(), 1, "{lines:#?}");
    assert_eq!(started[0]["job"], job.as_str());
    assert_eq!(started[0]["job_run_id"], run_id);
    assert!(
        started[0]["span"]["requestId"].is_string(),
        "{:#?}",
        started[0]
    );
}

#[test]
fn a_second_invocation_is_served_from_the_cache() {
    let stack = Stack::new();
    let job = stack.spark_job("cache");
    let lambda = Lambda::start(&stack, &settings(&stack, &job, &[]));

    let first = lambda.invoke(&json!({"job_name": job}));
    assert_eq!(first.ok()["token_cached"], false);
    let cold = stack.emulator.stats();
    assert_eq!(
        (cold.get_authorization_token, cold.get_repository_endpoint),
        (1, 1)
    );

    let second = lambda.invoke(&json!({"job_name": job}));
    assert_eq!(second.ok()["token_cached"], true);
    assert_eq!(
        stack.emulator.stats(),
        cold,
        "the warm invocation called CodeArtifact"
    );
    assert_ne!(first.ok()["job_run_id"], second.ok()["job_run_id"]);
    let options = stack.sent_installer_options(&job);
    assert_eq!(options.len(), 2);
    assert_eq!(token_of(&options[0]), token_of(&options[1]));

    let lines = assert_logs(&stack, &lambda);
    let decisions: Vec<&str> = lines.iter().filter_map(|l| l["cache"].as_str()).collect();
    assert_eq!(decisions, ["miss", "hit"], "{lines:#?}");
    for line in lines.iter().filter(|l| l["cache"].is_string()) {
        assert_eq!(line["job"], job.as_str());
    }
    assert_eq!(lines_with(&lines, "job run started").len(), 2);
}

#[test]
fn a_token_near_expiry_is_refreshed() {
    // The function judges a token's remaining life by its own (real) clock,
    // and the emulator stamps expirations by its clock, so the test moves
    // real time: 15 min tokens, and a minimum life such that a fresh token
    // (900 s left) is served for a few seconds, then no longer:
    // 835 s + 60 s margin = 895 s required.
    let stack = Stack::new();
    let job = stack.spark_job("refresh");
    let env = settings(
        &stack,
        &job,
        &[
            ("GLUE_CODEARTIFACT_DURATION", "15m"),
            ("GLUE_CODEARTIFACT_MIN_TOKEN_LIFE", "835"),
        ],
    );
    let lambda = Lambda::start(&stack, &env);

    assert_eq!(
        lambda.invoke(&json!({"job_name": job})).ok()["token_cached"],
        false
    );
    assert_eq!(
        lambda.invoke(&json!({"job_name": job})).ok()["token_cached"],
        true
    );
    assert_eq!(stack.emulator.stats().get_authorization_token, 1);

    std::thread::sleep(Duration::from_secs(6));
    let third = lambda.invoke(&json!({"job_name": job}));
    assert_eq!(
        third.ok()["token_cached"],
        false,
        "a token with < 895 s left was served"
    );
    let stats = stack.emulator.stats();
    assert_eq!(stats.get_authorization_token, 2);
    assert_eq!(stats.get_repository_endpoint, 1, "the endpoint is kept");

    let tokens: Vec<String> = stack
        .sent_installer_options(&job)
        .iter()
        .map(|o| token_of(o))
        .collect();
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[1], tokens[2]);
    assert_eq!(
        stack.emulator.issued_tokens(),
        [tokens[0].clone(), tokens[2].clone()]
    );
    assert_logs(&stack, &lambda);
}

#[test]
fn a_job_outside_allowed_jobs_is_refused() {
    let stack = Stack::new();
    let allowed = stack.spark_job("allowed");
    let other = stack.spark_job("other");
    let lambda = Lambda::start(&stack, &settings(&stack, "allowed-*", &[]));

    let msg = lambda
        .invoke(&json!({"job_name": other}))
        .error("JobNotAllowed");
    assert!(
        msg.contains(&other) && msg.contains("GLUE_CODEARTIFACT_ALLOWED_JOBS"),
        "{msg}"
    );
    assert!(stack.sent_runs(&other).is_empty());
    assert!(stack.moto.sent_requests("GetJob", &other).is_empty());
    assert_eq!(stack.emulator.stats(), Stats::default());

    // The pattern does allow the other job.
    lambda.invoke(&json!({"job_name": allowed})).ok();
    let lines = assert_logs(&stack, &lambda);
    let refused = lines_with(&lines, "event refused; nothing started");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["error_type"], "JobNotAllowed");
}

#[test]
fn a_malformed_event_is_rejected() {
    let stack = Stack::new();
    let job = stack.spark_job("malformed");
    let lambda = Lambda::start(&stack, &settings(&stack, &job, &[]));

    let cases = [
        (
            json!({"job_name": job, "jobs": ["x"]}),
            "unknown field `jobs`",
        ),
        (
            json!({"job_name": 42}),
            "invalid type: integer `42`, expected a string at job_name",
        ),
        (
            json!({"arguments": {"--day": "1"}}),
            "missing field `job_name`",
        ),
        (
            json!({"job_name": job, "arguments": {"--day": 1}}),
            "at arguments.--day",
        ),
        (
            json!({"job_name": job, "arguments": {"day": "1"}}),
            "must start with `--`",
        ),
        (json!("start it"), "not a JSON object"),
    ];
    for (event, expected) in cases {
        let msg = lambda.invoke(&event).error("InvalidEvent");
        assert!(msg.contains(expected), "{event}: {msg}");
    }
    // Glue's own parameters are the deployment's to allow, not the
    // caller's: a pip index of the caller's choosing is refused.
    let msg = lambda
        .invoke(&json!({"job_name": job, "arguments": {"--python-modules-installer-option": "--extra-index-url https://evil.example/simple/"}}))
        .error("ArgumentNotAllowed");
    assert!(
        msg.contains("--python-modules-installer-option") && !msg.contains("evil"),
        "{msg}"
    );
    // This deployment has no refresh: a refresh event says so.
    let msg = lambda
        .invoke(&json!({"refresh": {"job_names": [job]}}))
        .error("RefreshNotEnabled");
    assert!(msg.contains("EnableRefresh=true"), "{msg}");
    assert!(stack.sent_runs(&job).is_empty());
    assert_eq!(stack.emulator.stats(), Stats::default());
    assert_logs(&stack, &lambda);
}

#[test]
fn a_codeartifact_failure_is_a_clear_error_in_the_response() {
    let stack = Stack::new();
    let job = stack.spark_job("fault");
    let lambda = Lambda::start(&stack, &settings(&stack, &job, &[]));

    stack.emulator.inject_fault(Fault {
        operation: Operation::GetAuthorizationToken,
        kind: FaultKind::Throttle,
        count: Some(1),
    });
    let msg = lambda.invoke(&json!({"job_name": job})).error("Throttled");
    assert!(msg.contains("GetAuthorizationToken"), "{msg}");
    assert!(msg.contains("try again later"), "{msg}");
    assert!(stack.sent_runs(&job).is_empty());

    stack.emulator.inject_fault(Fault {
        operation: Operation::GetRepositoryEndpoint,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: Some(1),
    });
    // The endpoint was not cached (the first invocation failed as a whole).
    let msg = lambda
        .invoke(&json!({"job_name": job}))
        .error("AccessDenied");
    assert!(msg.contains("codeartifact:GetRepositoryEndpoint"), "{msg}");
    assert!(stack.sent_runs(&job).is_empty());

    // Once the faults are used up, the same function starts the run.
    lambda.invoke(&json!({"job_name": job})).ok();
    assert_eq!(stack.sent_runs(&job).len(), 1);

    let lines = assert_logs(&stack, &lambda);
    let failed = lines_with(&lines, "start failed");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["error_type"], "Throttled");
    assert_eq!(failed[0]["retryable"], true);
    assert_eq!(failed[1]["retryable"], false);
}

/// The answer to an invocation that waits for an instance while the
/// function starts with `env` and fails its init; asserts that `bootstrap`
/// then exits.
fn failed_cold_start(stack: &Stack, env: &[(String, String)]) -> Invocation {
    let mut lambda = Lambda::runtime_api_only();
    let port = lambda.port();
    let invocation = std::thread::scope(|scope| {
        let pending = scope.spawn(move || invoke_at(port, &json!({"job_name": "any"})));
        std::thread::sleep(Duration::from_millis(500));
        lambda.start_function(stack, env);
        pending.join().expect("the invocation returns")
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !lambda.function_exited() {
        assert!(
            std::time::Instant::now() < deadline,
            "bootstrap kept running"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    invocation
}

#[test]
fn invalid_settings_fail_the_cold_start_with_the_init_error() {
    let stack = Stack::new();
    let invocation = failed_cold_start(
        &stack,
        &stack.settings_env(&[("GLUE_CODEARTIFACT_DURATION", "13h")]),
    );
    let msg = invocation.error("InvalidSettings");
    assert!(msg.contains("GLUE_CODEARTIFACT_DURATION"), "{msg}");
    assert_eq!(stack.emulator.stats(), Stats::default());
}

/// A `GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST` that is not a VPC
/// endpoint's DNS name fails the cold start, naming the setting and the
/// opt-out, before any token is minted (#13.3).
#[test]
fn an_endpoint_host_of_another_shape_fails_the_cold_start() {
    let stack = Stack::new();
    let job = stack.spark_job("vpce-refused");
    let invocation = failed_cold_start(
        &stack,
        &settings(
            &stack,
            &job,
            &[(
                "GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST",
                "tokens.evil.example",
            )],
        ),
    );
    let msg = invocation.error("InvalidSettings");
    assert!(
        msg.contains("GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST")
            && msg.contains("tokens.evil.example")
            && msg.contains("vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com")
            && msg.contains("GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST=true"),
        "{msg}"
    );
    assert_eq!(stack.emulator.stats(), Stats::default());
    assert!(stack.sent_runs(&job).is_empty());
}

/// With `GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST=true`, a host of any
/// shape is used: `localhost` stands in for the endpoint's DNS name, and the
/// run's index URL moves the domain into the path.
#[test]
fn the_endpoint_host_opt_out_lets_any_host_through() {
    let stack = Stack::new();
    let job = stack.spark_job("vpce-any");
    let port = stack
        .emulator
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let host = format!("localhost:{port}");
    let lambda = Lambda::start(
        &stack,
        &settings(
            &stack,
            &job,
            &[
                ("GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST", &host),
                ("GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST", "true"),
            ],
        ),
    );
    let invocation = lambda.invoke(&json!({"job_name": job}));
    let response = invocation.ok();
    assert!(response["job_run_id"].is_string(), "{response}");
    stack.assert_no_token(&response.to_string(), "the response");
    let sent = stack.sent_runs(&job);
    assert_eq!(sent.len(), 1);
    let option = sent[0]["Arguments"]["--python-modules-installer-option"]
        .as_str()
        .unwrap();
    let token = token_of(option);
    assert_eq!(
        option,
        format!(
            "--upgrade --index-url=http://aws:{token}@{host}/pypi/d/acme-123456789012/py-internal/simple/"
        )
    );
    assert_logs(&stack, &lambda);
}

#[test]
fn refreshes_jobs_by_tag_when_invoked_with_cargo_lambda() {
    let stack = Stack::new();
    let team = test_stack::unique_name("team");
    let tagged = |prefix: &str| {
        let name = test_stack::unique_name(prefix);
        stack.moto.create_job(
            &test_stack::JobSpec::spark(&name)
                .default_argument("--additional-python-modules", "acme-tools==1.2.0")
                .tag("team", &team),
        );
        name
    };
    let allowed = tagged("rw-ok");
    let outside = tagged("rw-no");
    let env = settings(
        &stack,
        "rw-ok-*",
        &[("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true")],
    );
    let lambda = Lambda::start(&stack, &env);

    // A start first, so the function is warm.
    lambda.invoke(&json!({"job_name": allowed})).ok();
    let event = json!({"refresh": {"tags": {"team": team}}});
    let (ok, stdout, stderr) = lambda.invoke_with_cargo_lambda(&event);
    assert!(ok, "cargo lambda invoke failed\n{stdout}\n{stderr}");
    let response: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    stack.assert_no_token(&stdout, "the response");
    assert_eq!(response["refreshed"], 1, "{response}");
    assert_eq!(response["failed"], 0);
    assert_eq!(response["skipped"], 1);
    let mut expected = vec![
        json!({"job_name": allowed, "status": "refreshed", "argument_key": "--python-modules-installer-option"}),
        json!({"job_name": outside, "status": "skipped"}),
    ];
    expected.sort_by_key(|j| j["job_name"].as_str().unwrap().to_owned());
    assert_eq!(response["jobs"], json!(expected));
    assert!(
        response["token_expiration"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        2,
        "the refresh minted its own token"
    );
    let option =
        stack.moto.job(&allowed).default_arguments().unwrap()["--python-modules-installer-option"]
            .clone();
    let refresh_token = token_of(&option);
    assert_eq!(stack.emulator.issued_tokens()[1], refresh_token);
    assert!(
        stack
            .moto
            .job(&outside)
            .default_arguments()
            .unwrap()
            .get("--python-modules-installer-option")
            .is_none()
    );

    // A job that vanished: the invocation fails, naming it.
    let missing = test_stack::unique_name("rw-ok-missing");
    let answer = lambda.invoke(&json!({"refresh": {"job_names": [allowed, missing]}}));
    let msg = answer.error("RefreshIncomplete");
    assert!(
        msg.contains(&format!("{missing:?}: JobNotFound")) && msg.contains("1 refreshed"),
        "{msg}"
    );
    stack.assert_no_token(&answer.body.to_string(), "the error");

    let lines = assert_logs(&stack, &lambda);
    let done = lines_with(&lines, "refresh done");
    assert_eq!(done.len(), 2, "{lines:#?}");
    assert_eq!(done[0]["refreshed"], 1);
    assert_eq!(done[0]["skipped"], 1);
    assert!(done[0]["span"]["requestId"].is_string(), "{:#?}", done[0]);
    let skipped = lines_with(&lines, "job skipped: not allowed");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["job"], outside.as_str());
    let incomplete = lines_with(&lines, "refresh incomplete");
    assert_eq!(incomplete.len(), 1);
    assert_eq!(incomplete[0]["error_type"], "RefreshIncomplete");
}
