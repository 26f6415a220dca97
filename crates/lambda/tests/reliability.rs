//! Reliability of the function (issue 8): it answers before its own
//! deadline, the catalogue's bad events are refused before any AWS call,
//! no token reaches its logs under faults and bad events at trace level, and
//! its memory stays flat over 1,000 invocations (the soak, `--ignored`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use codeartifact_emulator::{Fault, FaultKind, Operation, Stats};
use glue_codeartifact_lambda::{HandlerError, Response, State, invoke};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use test_stack::{GlueFault, GlueFaultKind, JobSpec, runtime, unique_name};

use crate::util::{Lambda, Stack, pair};

/// The function's entry point (start and refresh events alike) with an
/// invocation context whose deadline is `left` away.
async fn invoke_with_deadline(
    state: &State,
    event: Value,
    left: Duration,
) -> Result<Response, HandlerError> {
    let mut context = Context::default();
    context.deadline = (SystemTime::now() + left)
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    invoke(LambdaEvent::new(event, context), state).await
}

/// Starts a new job whose `operation` call Glue holds back for `held`, in
/// an invocation with `left` before its deadline; returns the stack, the
/// job, the error and how long the invocation took.
fn start_held(
    prefix: &str,
    operation: &str,
    held: Duration,
    left: Duration,
) -> (Stack, String, HandlerError, Duration) {
    let stack = Stack::new();
    let job = stack.spark_job(prefix);
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job)]);
    stack.moto.inject_glue_fault(&GlueFault::new(
        operation,
        &job,
        GlueFaultKind::Delay(held),
        1,
    ));
    let started = Instant::now();
    let err = runtime()
        .block_on(invoke_with_deadline(&state, json!({"job_name": job}), left))
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < left, "answered after {took:?}, past the deadline");
    stack.assert_no_token(&err.to_string(), "the error");
    (stack, job, err, took)
}

#[test]
fn slow_reads_end_with_a_clear_error_before_the_deadline() {
    let left = Duration::from_secs(3);
    let (stack, job, err, took) =
        start_held("deadline-read", "GetJob", Duration::from_secs(8), left);
    assert!(
        took >= left - Duration::from_millis(1200),
        "answered early, after {took:?}"
    );
    assert_eq!(err.error_type(), "DeadlineReached", "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("nothing was started"), "{err}");
    std::thread::sleep(Duration::from_secs(6));
    assert!(stack.moto.job_runs(&job).is_empty());
}

#[test]
fn a_start_in_flight_at_the_deadline_is_reported_and_never_doubled() {
    let (stack, job, err, _) = start_held(
        "deadline-start",
        "StartJobRun",
        Duration::from_secs(5),
        Duration::from_secs(3),
    );
    assert_eq!(err.error_type(), "StartOutcomeUnknown", "{err}");
    assert!(!err.is_retryable(), "a retry could start a second run");
    assert!(
        err.to_string().contains("may or may not have started"),
        "{err}"
    );
    // The held-back request lands: one run, never two.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(stack.moto.job_runs(&job).len(), 1);
}

#[test]
fn a_start_within_the_deadline_is_unaffected() {
    let stack = Stack::new();
    let job = stack.spark_job("deadline-ok");
    let state = stack.state(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job)]);
    let response = runtime()
        .block_on(invoke_with_deadline(
            &state,
            json!({"job_name": job}),
            Duration::from_secs(30),
        ))
        .unwrap();
    let Response::Start(response) = response else {
        panic!("{response:?}")
    };
    let runs = stack.moto.job_runs(&job);
    assert_eq!(runs.len(), 1);
    assert_eq!(response.job_run_id, runs[0].id);
}

/// The `event` rows of `docs/bad-inputs.md`: (id, event, errorType, text).
fn catalogue_events() -> Vec<(String, Value, String, String)> {
    // A row the catalogue reader cannot parse fails, never skipped.
    test_stack::catalogue_rows()
        .into_iter()
        .filter(|row| row.surface == "event")
        .map(|row| {
            let input = expand(&row.input);
            let event: Value = serde_json::from_str(&input)
                .unwrap_or_else(|e| panic!("row {}: not JSON ({e})", row.id));
            let (error_type, text) = row
                .result
                .split_once(": ")
                .unwrap_or_else(|| panic!("row {}: not ERRORTYPE: TEXT", row.id));
            (row.id, event, error_type.to_owned(), text.to_owned())
        })
        .collect()
}

/// `{a*N}`: `N` times `a`.
fn expand(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{a*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closing brace") + start;
        let n: usize = rest[start + 3..end].parse().expect("a count");
        out.push_str(&"a".repeat(n));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Each `event` row of the catalogue, through the real handler: the row's
/// `errorType` and message, and no AWS call at all.
#[test]
fn the_catalogue_s_bad_events_are_refused_before_any_aws_call() {
    let stack = Stack::new();
    let state = stack.state(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", "nightly-*,adhoc"),
        (
            "GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES",
            "duration,mode,--*",
        ),
        ("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"),
    ]);
    let rows = catalogue_events();
    assert!(rows.len() >= 15, "{} event rows", rows.len());
    let rt = runtime();
    for (id, event, error_type, text) in rows {
        let err = rt
            .block_on(invoke_with_deadline(&state, event, Duration::from_secs(30)))
            .unwrap_err();
        assert_eq!(err.error_type(), error_type, "row {id}: {err}");
        let message = err.to_string();
        assert!(message.contains(&text), "row {id}: {message}");
        assert!(
            message.len() < 2_000,
            "row {id}: the message echoes the input"
        );
        assert!(!err.is_retryable(), "row {id}");
    }
    assert_eq!(stack.emulator.stats(), Stats::default());
}

/// The settings of a function allowed to start `job`, logging at `level`.
fn settings(stack: &Stack, job: &str, level: &str) -> Vec<(String, String)> {
    let mut env = stack.settings_env(&[("GLUE_CODEARTIFACT_ALLOWED_JOBS", job)]);
    env.extend([
        pair("RUST_LOG", level),
        pair("LOG_SIGNABLE_BODY", "true"),
        pair("AWS_MAX_ATTEMPTS", "3"),
        pair("GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT", "1s"),
    ]);
    env
}

/// The real `bootstrap` at trace level (and at the default level): a start,
/// a fault on each of the four calls, and every bad event of the catalogue.
/// No token in the function's logs or in any response.
#[test]
fn no_token_in_the_function_s_logs_under_faults_and_bad_events() {
    for level in ["trace", "info"] {
        let stack = Stack::new();
        let job = stack.spark_job("leak");
        let lambda = Lambda::start(&stack, &settings(&stack, &job, level));
        let event = json!({"job_name": job});
        // The CodeArtifact faults first, while the cache is cold (a warm
        // invocation makes no CodeArtifact call): both are retried.
        stack.emulator.inject_fault(Fault {
            operation: Operation::GetAuthorizationToken,
            kind: FaultKind::Throttle,
            count: Some(1),
        });
        stack.emulator.inject_fault(Fault {
            operation: Operation::GetRepositoryEndpoint,
            kind: FaultKind::ConnectionReset,
            count: Some(1),
        });
        let mut answers = vec![lambda.invoke(&event).body];
        assert!(answers[0].get("errorType").is_none(), "{}", answers[0]);
        // Then one on each Glue call.
        let glue_faults = [
            GlueFault::new("GetJob", &job, GlueFaultKind::InternalError, 1),
            GlueFault::new("StartJobRun", &job, GlueFaultKind::ConnectionReset, 1).after(),
            GlueFault::new("StartJobRun", &job, GlueFaultKind::ConnectionReset, 1),
            GlueFault::new("StartJobRun", &job, GlueFaultKind::Unavailable, 1),
        ];
        for fault in &glue_faults {
            stack.moto.inject_glue_fault(fault);
            answers.push(lambda.invoke(&event).body);
        }
        assert_eq!(
            answers[3]["errorType"], "StartOutcomeUnknown",
            "{}",
            answers[3]
        );
        for (id, bad, _, _) in catalogue_events() {
            let answer = lambda.invoke(&bad).body;
            assert!(answer.get("errorType").is_some(), "row {id}: {answer}");
            answers.push(json!({"row": id, "type": answer["errorType"]}));
        }
        let log = lambda.function_log();
        assert!(!stack.emulator.issued_tokens().is_empty());
        stack.assert_no_token(&log, &format!("the function's logs at {level}"));
        for answer in &answers {
            stack.assert_no_token(&answer.to_string(), "a response");
        }
        lambda.log_lines();
        // One run per invocation, none for the one whose answer was lost
        // before the run started: never two.
        assert_eq!(stack.moto.job_runs(&job).len(), 4);
    }
}

/// The real `bootstrap` with refresh enabled, at trace level (and at the
/// default level), on every refresh path: by name and by tags (a job
/// skipped), a missing job, an UpdateJob that fails, a token that cannot be
/// minted, a deadline, and the catalogue's bad refresh events. No token in
/// the function's logs or in any response.
#[test]
fn no_token_in_the_function_s_logs_on_the_refresh_paths() {
    for level in ["trace", "info"] {
        let stack = Stack::new();
        let team = unique_name("team");
        let tagged = |prefix: &str| {
            let name = unique_name(prefix);
            stack.moto.create_job(
                &JobSpec::spark(&name)
                    .default_argument("--additional-python-modules", "acme-tools==1.2.0")
                    .tag("team", &team),
            );
            name
        };
        let a = tagged("leak-r");
        let b = tagged("leak-r");
        let outside = tagged("leak-other");
        let mut env = settings(&stack, "leak-r-*", level);
        env.push(pair("GLUE_CODEARTIFACT_REFRESH_ENABLED", "true"));
        let lambda = Lambda::start(&stack, &env);
        let by_tags = json!({"refresh": {"tags": {"team": team}}});
        let by_names = json!({"refresh": {"job_names": [a, b]}});

        let mut answers = vec![lambda.invoke(&by_tags).body, lambda.invoke(&by_names).body];
        assert_eq!(answers[0]["refreshed"], 2, "{}", answers[0]);
        assert_eq!(answers[0]["skipped"], 1, "{}", answers[0]);
        assert_eq!(answers[1]["refreshed"], 2, "{}", answers[1]);
        let missing = json!({"refresh": {"job_names": [a, unique_name("leak-r-gone")]}});
        answers.push(lambda.invoke(&missing).body);
        // Every attempt of b's UpdateJob fails (3 attempts).
        stack.moto.inject_glue_fault(&GlueFault::new(
            "UpdateJob",
            &b,
            GlueFaultKind::InternalError,
            3,
        ));
        answers.push(lambda.invoke(&by_names).body);
        // No token at all: the whole refresh fails.
        stack.emulator.inject_fault(Fault {
            operation: Operation::GetAuthorizationToken,
            kind: FaultKind::AccessDenied {
                action: "codeartifact:GetAuthorizationToken".into(),
            },
            count: Some(1),
        });
        answers.push(lambda.invoke(&by_names).body);
        let types: Vec<&str> = answers[2..]
            .iter()
            .map(|a| a["errorType"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            types,
            ["RefreshIncomplete", "RefreshIncomplete", "AccessDenied"],
            "{answers:#?}"
        );
        for (id, bad, _, _) in catalogue_events() {
            if bad.get("refresh").is_some() {
                let answer = lambda.invoke(&bad).body;
                assert!(answer.get("errorType").is_some(), "row {id}: {answer}");
                answers.push(answer);
            }
        }
        let log = lambda.function_log();
        assert!(stack.emulator.issued_tokens().len() >= 3);
        stack.assert_no_token(&log, &format!("the function's logs at {level}"));
        for answer in &answers {
            stack.assert_no_token(&answer.to_string(), "a response");
        }
        lambda.log_lines();
        // The tokens did reach the jobs: the test looks where they are.
        let option =
            stack.moto.job(&a).default_arguments().unwrap()["--python-modules-installer-option"]
                .clone();
        assert!(
            stack
                .emulator
                .issued_tokens()
                .iter()
                .any(|t| option.contains(t.as_str())),
            "{}",
            option.len()
        );
        let untouched = stack.moto.job(&outside);
        assert!(
            untouched
                .default_arguments()
                .unwrap()
                .get("--python-modules-installer-option")
                .is_none()
        );
    }
}

/// 1,000 invocations in a row of the real `bootstrap` under cargo-lambda;
/// the function's peak RSS at invocation 1,000 must be within 10% of its
/// peak at invocation 100. Run with
/// `cargo test -p glue-codeartifact-lambda --test lambda soak -- --ignored --nocapture`
/// (set `GLUE_CODEARTIFACT_TEST_BOOTSTRAP` to soak a release build).
#[test]
#[ignore = "1,000 invocations: run on demand, see CONTRIBUTING.md"]
#[expect(clippy::print_stderr, reason = "its figures, shown with --nocapture")]
fn soak_1000_invocations_memory_stays_flat() {
    let stack = Stack::new();
    let job = unique_name("soak");
    stack.moto.create_job(
        &JobSpec::spark(&job)
            .default_argument("--additional-python-modules", "acme-tools==1.2.0")
            .default_argument("--python-modules-installer-option", "--upgrade")
            .max_concurrent_runs(5_000),
    );
    let mut env = stack.settings_env(&[
        ("GLUE_CODEARTIFACT_ALLOWED_JOBS", &job),
        ("GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES", "--day"),
    ]);
    env.push(pair("AWS_LAMBDA_LOG_LEVEL", "WARN"));
    let lambda = Lambda::start(&stack, &env);
    let pid = lambda.function_pid().expect("the function runs");
    let event = json!({"job_name": job, "arguments": {"--day": "2024-01-31"}});
    let mut at_100 = None;
    let started = Instant::now();
    for i in 1..=1_000 {
        let answer = lambda.invoke(&event);
        answer.ok();
        if i == 100 {
            at_100 = Some(memory(pid));
        }
    }
    let took = started.elapsed();
    let (hwm_100, rss_100) = at_100.expect("measured at 100");
    let (hwm_1000, rss_1000) = memory(pid);
    eprintln!(
        "soak: 1000 invocations in {took:?}; peak RSS (VmHWM) {hwm_100} kB at 100, {hwm_1000} kB at 1000 ({:+.1}%); RSS {rss_100} kB at 100, {rss_1000} kB at 1000",
        (hwm_1000 as f64 - hwm_100 as f64) * 100.0 / hwm_100 as f64
    );
    assert!(
        hwm_1000 as f64 <= hwm_100 as f64 * 1.10,
        "peak RSS grew from {hwm_100} kB to {hwm_1000} kB"
    );
    assert_eq!(stack.sent_runs(&job).len(), 1_000);
    stack.assert_no_token(&lambda.function_log(), "the function's logs");
}

/// `(VmHWM, VmRSS)` of a process, in kB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The AWS call timeouts come from the same variables as the CLI's
/// `env =` fallbacks; an invalid one fails the cold start, naming it.
#[test]
fn timeouts_are_settings() {
    use glue_codeartifact_lambda::Settings;
    let base = |extra: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            [
                ("GLUE_CODEARTIFACT_DOMAIN", "acme"),
                ("GLUE_CODEARTIFACT_REPOSITORY", "py"),
                ("GLUE_CODEARTIFACT_ALLOWED_JOBS", "etl"),
            ]
            .iter()
            .chain(extra)
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
        }
    };
    let defaults = Settings::from_lookup(base(&[])).unwrap().timeouts;
    assert_eq!(defaults, glue_codeartifact_aws::Timeouts::default());
    let set = Settings::from_lookup(base(&[
        ("GLUE_CODEARTIFACT_CONNECT_TIMEOUT", "1s"),
        ("GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT", "2500ms"),
        ("GLUE_CODEARTIFACT_OPERATION_TIMEOUT", "5"),
    ]))
    .unwrap()
    .timeouts;
    assert_eq!(set.connect, Duration::from_secs(1));
    assert_eq!(set.attempt, Duration::from_millis(2500));
    assert_eq!(set.operation, Duration::from_secs(5));
    let err = Settings::from_lookup(base(&[("GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT", "soon")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT is invalid")
            && err.contains("not a timeout"),
        "{err}"
    );
}
