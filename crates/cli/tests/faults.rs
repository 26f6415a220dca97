//! Faults on each of the four calls `start` makes — GetJob (moto),
//! GetRepositoryEndpoint and GetAuthorizationToken (the emulator) and
//! StartJobRun (moto) — on a schedule each test chooses: ThrottlingException,
//! HTTP 500, HTTP 503, a connection reset, and an answer slower than the
//! client's attempt timeout. Read calls are retried by the SDK; StartJobRun
//! follows the policy in `glue-codeartifact-app`'s `start_run` module. After
//! every schedule, moto holds exactly one run or none, never two.
//!
//! [`SCHEDULES`] is the catalogue; `token_leak.rs` runs it again at the
//! default log level and at `RUST_LOG=trace`.

use std::time::{Duration, Instant};

use codeartifact_emulator::{Fault, FaultKind, Operation as EmulatorOp};
use test_stack::{GlueFault, GlueFaultKind};

use crate::util::{Run, Stack};

/// The calls of `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    GetJob,
    GetRepositoryEndpoint,
    GetAuthorizationToken,
    StartJobRun,
}

/// The faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Throttle,
    Http500,
    Http503,
    Reset,
    /// An answer later than the attempt timeout ([`ATTEMPT_TIMEOUT`]).
    Slow,
}

/// What the run should end as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exit 0, one run, its ID printed.
    Started,
    /// This exit code, no run.
    Failed(i32),
    /// Exit 14 ("may or may not have started"): the look-ups found no run,
    /// so the outcome is unknown. Never exit 0: a schedule whose look-up
    /// finds the run is [`Expect::Started`]. No run at all, except for a
    /// slow answer, whose run may appear after the CLI gave up (at most
    /// one).
    Unknown,
}

/// One fault schedule.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub call: Call,
    pub kind: Kind,
    /// StartJobRun only: the fault strikes after the run started.
    pub after: bool,
    /// How many requests in a row it hits (attempts: [`MAX_ATTEMPTS`]).
    pub count: u32,
    pub expect: Expect,
}

/// `AWS_MAX_ATTEMPTS` for these tests (the SDK's default).
pub const MAX_ATTEMPTS: &str = "3";
/// `--attempt-timeout`: short, so that a slow answer is quick to make.
pub const ATTEMPT_TIMEOUT: &str = "1s";
/// How late a slow answer comes on a read call.
const SLOW_READ: Duration = Duration::from_millis(2500);
/// How late a slow StartJobRun answer comes when the fault strikes before
/// the run starts: longer than the look-ups wait, so the run appears after
/// the CLI gave up.
const SLOW_START: Duration = Duration::from_secs(6);

const fn s(call: Call, kind: Kind, after: bool, count: u32, expect: Expect) -> Schedule {
    Schedule {
        call,
        kind,
        after,
        count,
        expect,
    }
}

use Call::*;
use Expect::*;
use Kind::*;

/// The catalogue. Read calls: one or two faults are retried away; three
/// (every attempt) fail with the matching exit code. StartJobRun: see
/// docs/design/startjobrun-idempotency.md.
pub const SCHEDULES: &[Schedule] = &[
    // GetJob (moto)
    s(GetJob, Throttle, false, 2, Started),
    s(GetJob, Http500, false, 1, Started),
    s(GetJob, Http503, false, 2, Started),
    s(GetJob, Reset, false, 1, Started),
    s(GetJob, Slow, false, 1, Started),
    s(GetJob, Throttle, false, 3, Failed(6)),
    s(GetJob, Http500, false, 3, Failed(11)),
    s(GetJob, Reset, false, 3, Failed(10)),
    // GetRepositoryEndpoint (emulator)
    s(GetRepositoryEndpoint, Throttle, false, 2, Started),
    s(GetRepositoryEndpoint, Http500, false, 1, Started),
    s(GetRepositoryEndpoint, Http503, false, 2, Started),
    s(GetRepositoryEndpoint, Reset, false, 1, Started),
    s(GetRepositoryEndpoint, Slow, false, 1, Started),
    s(GetRepositoryEndpoint, Http503, false, 3, Failed(11)),
    s(GetRepositoryEndpoint, Slow, false, 3, Failed(10)),
    // GetAuthorizationToken (emulator)
    s(GetAuthorizationToken, Throttle, false, 2, Started),
    s(GetAuthorizationToken, Http500, false, 1, Started),
    s(GetAuthorizationToken, Http503, false, 1, Started),
    s(GetAuthorizationToken, Reset, false, 2, Started),
    s(GetAuthorizationToken, Slow, false, 1, Started),
    s(GetAuthorizationToken, Throttle, false, 3, Failed(6)),
    s(GetAuthorizationToken, Reset, false, 3, Failed(10)),
    // StartJobRun (moto): refused answers prove nothing started: retried.
    s(StartJobRun, Throttle, false, 1, Started),
    s(StartJobRun, Throttle, false, 2, Started),
    s(StartJobRun, Throttle, false, 3, Failed(6)),
    // 5xx before the run started: looked up, not found, retried.
    s(StartJobRun, Http500, false, 1, Started),
    s(StartJobRun, Http503, false, 2, Started),
    // 5xx on every attempt: nothing found, attempts used up.
    s(StartJobRun, Http500, false, 3, Unknown),
    // The run started, then the answer was an error, lost or late: found.
    s(StartJobRun, Http500, true, 1, Started),
    s(StartJobRun, Http503, true, 1, Started),
    s(StartJobRun, Reset, true, 1, Started),
    s(StartJobRun, Slow, true, 1, Started),
    // No answer, and no run (yet): never retried blindly.
    s(StartJobRun, Reset, false, 1, Unknown),
    s(StartJobRun, Slow, false, 1, Unknown),
];

/// What one schedule did.
pub struct Outcome {
    pub job: String,
    pub run: Run,
    pub runs: Vec<String>,
}

/// Creates a job, injects `schedule`, runs `start` with `RUST_LOG=log`, and
/// checks what every schedule must hold: at most one run, and no token in
/// the output. Waits for a late StartJobRun to land before counting runs.
pub fn run_schedule(stack: &Stack, schedule: &Schedule, log: &str) -> Outcome {
    let job =
        stack.spark_job(|j| j.default_argument("--python-modules-installer-option", "--upgrade"));
    stack.emulator.clear_faults();
    inject(stack, &job, schedule);
    let run = stack.start_env(
        &job,
        &[
            "--attempt-timeout",
            ATTEMPT_TIMEOUT,
            "--operation-timeout",
            "20s",
        ],
        &[
            ("AWS_MAX_ATTEMPTS", MAX_ATTEMPTS),
            ("RUST_LOG", log),
            ("LOG_SIGNABLE_BODY", "true"),
        ],
    );
    let context = format!("{schedule:?} with RUST_LOG={log:?} (exit {})", run.code);
    stack.assert_no_token(&run.stdout, &format!("stdout of {context}"));
    stack.assert_no_token(&run.stderr, &format!("stderr of {context}"));
    // A StartJobRun that moto holds back may still land: wait for it.
    let late = schedule.call == StartJobRun && schedule.kind == Slow && !schedule.after;
    let runs = if late {
        wait_for_runs(stack, &job, 1, SLOW_START + Duration::from_secs(10))
    } else {
        stack
            .moto
            .job_runs(&job)
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert!(
        runs.len() <= 1,
        "{context}: two runs started: {runs:?}\n{}",
        run.stderr
    );
    stack.moto.clear_glue_faults(&job);
    stack.emulator.clear_faults();
    Outcome { job, run, runs }
}

/// Runs `schedule` and checks its expected outcome.
fn check(stack: &Stack, schedule: &Schedule) {
    let Outcome { run, runs, .. } = run_schedule(stack, schedule, "");
    let context = format!(
        "{schedule:?}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    match schedule.expect {
        Started => {
            assert_eq!(run.code, 0, "{context}");
            assert_eq!(runs.len(), 1, "{context}");
            assert_eq!(run.stdout.trim(), runs[0], "{context}");
        }
        Failed(code) => {
            assert_eq!(run.code, code, "{context}");
            assert!(runs.is_empty(), "{context}");
        }
        Unknown => {
            assert_eq!(run.code, 14, "{context}");
            assert!(
                run.stderr.contains("may or may not have started a run"),
                "{context}"
            );
            assert!(
                run.stderr.contains("aws glue get-job-runs --job-name"),
                "{context}"
            );
            assert!(run.stdout.is_empty(), "{context}");
            // A reset or 5xx before the run started: nothing was found
            // because nothing started. Only a slow answer's run may appear
            // later (counted by `run_schedule`, at most one).
            if schedule.kind != Slow {
                assert!(runs.is_empty(), "{context}");
            }
        }
    }
}

fn inject(stack: &Stack, job: &str, schedule: &Schedule) {
    let moto_op = match schedule.call {
        GetJob => Some("GetJob"),
        StartJobRun => Some("StartJobRun"),
        _ => None,
    };
    if let Some(operation) = moto_op {
        let kind = match schedule.kind {
            Throttle => GlueFaultKind::Throttle,
            Http500 => GlueFaultKind::InternalError,
            Http503 => GlueFaultKind::Unavailable,
            Reset => GlueFaultKind::ConnectionReset,
            Slow if operation == "StartJobRun" && !schedule.after => {
                GlueFaultKind::Delay(SLOW_START)
            }
            Slow => GlueFaultKind::Delay(SLOW_READ),
        };
        let fault = GlueFault::new(operation, job, kind, schedule.count);
        stack
            .moto
            .inject_glue_fault(&if schedule.after { fault.after() } else { fault });
        return;
    }
    let operation = match schedule.call {
        GetRepositoryEndpoint => EmulatorOp::GetRepositoryEndpoint,
        _ => EmulatorOp::GetAuthorizationToken,
    };
    let kind = match schedule.kind {
        Throttle => FaultKind::Throttle,
        Http500 => FaultKind::InternalError,
        Http503 => FaultKind::Unavailable,
        Reset => FaultKind::ConnectionReset,
        Slow => FaultKind::Delay(SLOW_READ),
    };
    stack.emulator.inject_fault(Fault {
        operation,
        kind,
        count: Some(schedule.count),
    });
}

/// The job's run IDs, once there are `want` (or `within` has passed).
fn wait_for_runs(stack: &Stack, job: &str, want: usize, within: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        let runs: Vec<String> = stack.moto.job_runs(job).into_iter().map(|r| r.id).collect();
        if runs.len() >= want || start.elapsed() > within {
            // Give a second run the chance to show, if one were coming.
            std::thread::sleep(Duration::from_millis(500));
            return stack.moto.job_runs(job).into_iter().map(|r| r.id).collect();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn check_call(call: Call) {
    let stack = Stack::new();
    for schedule in SCHEDULES.iter().filter(|s| s.call == call) {
        check(&stack, schedule);
    }
}

#[test]
fn get_job_faults_are_retried() {
    check_call(GetJob);
}

#[test]
fn get_repository_endpoint_faults_are_retried() {
    check_call(GetRepositoryEndpoint);
}

#[test]
fn get_authorization_token_faults_are_retried() {
    check_call(GetAuthorizationToken);
}

#[test]
fn start_job_run_never_starts_two_runs() {
    check_call(StartJobRun);
}

/// The SDK retried the read calls: the emulator and moto saw the attempts.
#[test]
fn read_retries_are_real_attempts() {
    let stack = Stack::new();
    let schedule = s(GetAuthorizationToken, Http503, false, 2, Started);
    let Outcome { run, .. } = run_schedule(&stack, &schedule, "");
    run.assert_code(0);
    let attempts = stack
        .emulator
        .requests()
        .iter()
        .filter(|r| r.operation == EmulatorOp::GetAuthorizationToken)
        .count();
    assert_eq!(attempts, 3);
}

/// How many StartJobRun requests each policy branch sends.
#[test]
fn start_job_run_attempts_follow_the_policy() {
    let stack = Stack::new();
    for (schedule, requests, lookups) in [
        // Refused: retried without a look-up.
        (s(StartJobRun, Throttle, false, 2, Started), 3, 0),
        // Lost after the run started: found by the first look-up, no retry.
        (s(StartJobRun, Reset, true, 1, Started), 1, 1),
        // 5xx before the run: two look-ups find nothing, then one retry.
        (s(StartJobRun, Http500, false, 1, Started), 2, 2),
        // No answer and no run: three look-ups, no retry.
        (s(StartJobRun, Reset, false, 1, Unknown), 1, 3),
    ] {
        let Outcome { job, run, runs } = run_schedule(&stack, &schedule, "");
        let context = format!("{schedule:?}: {}", run.stderr);
        assert_eq!(stack.sent_runs(&job).len(), requests, "{context}");
        // (plus the one GetJobRuns of `run_schedule`, which counts the runs)
        assert_eq!(
            stack.moto.sent_requests("GetJobRuns", &job).len(),
            lookups + 1,
            "{context}"
        );
        assert!(runs.len() <= 1);
    }
}

/// A look-up that fails leaves the outcome unknown, and says so.
#[test]
fn a_failed_look_up_is_reported() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.moto.inject_glue_fault(
        &GlueFault::new("StartJobRun", &job, GlueFaultKind::ConnectionReset, 1).after(),
    );
    let mut denied = GlueFault::new("GetJobRuns", &job, GlueFaultKind::AccessDenied, 1);
    denied.count = None;
    stack.moto.inject_glue_fault(&denied);
    let run = stack.start_env(&job, &[], &[("AWS_MAX_ATTEMPTS", MAX_ATTEMPTS)]);
    stack.moto.clear_glue_faults(&job);
    run.assert_code(14);
    assert!(
        run.stderr.contains("the look-up of the job's runs failed")
            && run.stderr.contains("glue:GetJobRuns"),
        "{}",
        run.stderr
    );
    // The run did start: exactly one.
    assert_eq!(stack.moto.job_runs(&job).len(), 1);
    stack.assert_no_token(&run.both(), "a failed look-up");
}

/// Access denied on StartJobRun: no retry, no run, exit 5.
#[test]
fn start_job_run_denied_is_not_retried() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.moto.inject_glue_fault(&GlueFault::new(
        "StartJobRun",
        &job,
        GlueFaultKind::AccessDenied,
        1,
    ));
    let run = stack.start_env(&job, &[], &[("AWS_MAX_ATTEMPTS", MAX_ATTEMPTS)]);
    run.assert_code(5);
    assert!(run.stderr.contains("glue:StartJobRun"), "{}", run.stderr);
    assert_eq!(stack.sent_runs(&job).len(), 1);
    assert!(stack.moto.job_runs(&job).is_empty());
}

/// The timeouts are flags and environment variables, validated before any
/// AWS call.
#[test]
fn timeouts_are_configurable_and_validated() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    // A read slower than the attempt timeout, with one attempt: exit 10.
    stack.moto.inject_glue_fault(&GlueFault::new(
        "GetJob",
        &job,
        GlueFaultKind::Delay(SLOW_READ),
        1,
    ));
    let started = Instant::now();
    let run = stack.start_env(&job, &[], &[("GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT", "500ms")]);
    run.assert_code(10);
    assert!(
        started.elapsed() < SLOW_READ,
        "the attempt timeout was not applied"
    );
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    for (flag, value) in [
        ("--connect-timeout", "0"),
        ("--attempt-timeout", "soon"),
        ("--operation-timeout", "16m"),
    ] {
        let run = stack.start(&job, &[flag, value]);
        run.assert_code(2);
        assert!(run.stderr.contains("not a timeout"), "{}", run.stderr);
    }
    let help = stack.cli(&["start", "--help"]);
    for default in ["[default: 3s]", "[default: 8s]", "[default: 12s]"] {
        assert!(help.stdout.contains(default), "{default} in --help");
    }
    assert!(stack.moto.job_runs(&job).is_empty());
}

/// The SDK's adaptive retry mode (client-side rate limiting) retries the
/// read calls too, and StartJobRun keeps its own policy. A *throttled* read
/// in adaptive mode is another matter: the SDK's rate limiter then waits
/// about 20 seconds before the retry (seen in its debug log: "client rate
/// limiter delayed a request … sleep_time=19.99"), past the default
/// operation timeout, so the call fails with exit 10 instead. docs/configuration.md says
/// so, and keeps `standard` as the default.
#[test]
fn adaptive_retry_mode() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    stack.emulator.inject_fault(Fault {
        operation: EmulatorOp::GetAuthorizationToken,
        kind: FaultKind::Unavailable,
        count: Some(2),
    });
    stack.moto.inject_glue_fault(&GlueFault::new(
        "GetJob",
        &job,
        GlueFaultKind::InternalError,
        2,
    ));
    stack.moto.inject_glue_fault(&GlueFault::new(
        "StartJobRun",
        &job,
        GlueFaultKind::Throttle,
        1,
    ));
    let adaptive = [
        ("AWS_MAX_ATTEMPTS", MAX_ATTEMPTS),
        ("AWS_RETRY_MODE", "adaptive"),
    ];
    let run = stack.start_env(&job, &[], &adaptive);
    run.assert_code(0);
    let runs = stack.moto.job_runs(&job);
    assert_eq!(runs.len(), 1);
    assert_eq!(run.stdout.trim(), runs[0].id);
    assert_eq!(stack.moto.sent_requests("GetJob", &job).len(), 3);
    assert_eq!(stack.sent_runs(&job).len(), 2);

    // A throttled read: the rate limiter's wait outlasts the operation
    // timeout (here 3 s, to keep the test short).
    stack.emulator.inject_fault(Fault {
        operation: EmulatorOp::GetRepositoryEndpoint,
        kind: FaultKind::Throttle,
        count: Some(1),
    });
    let started = Instant::now();
    let mut env = adaptive.to_vec();
    env.push(("GLUE_CODEARTIFACT_OPERATION_TIMEOUT", "3s"));
    let run = stack.start_env(&job, &[], &env);
    run.assert_code(10);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(stack.moto.job_runs(&job).len(), 1, "no second run");
}
