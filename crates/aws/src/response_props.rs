//! Property tests over the response fields the product reads after a
//! non-idempotent call (#13.7): `GetJob` (refresh reads the job again after
//! `UpdateJob`), `GetJobRun` (`start --wait`, after `StartJobRun`),
//! `GetJobRuns` (the look-up after a lost `StartJobRun` answer) and S3's
//! checksum (the re-verify after `PutObject`). Whatever AWS answers —
//! arbitrary strings, huge or negative numbers, non-finite floats,
//! timestamps far outside the Unix range — reading it never panics, and
//! the text we echo never holds a URL password.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use aws_sdk_glue::types::{Job, JobCommand, JobRun, JobRunState, WorkerType};
use aws_smithy_types::DateTime;
use proptest::prelude::*;

use crate::glue::{definition_of, run_status};
use crate::job_update::job_update;
use crate::s3::decode_sha256;
use crate::start_run::best_run;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        Just(String::new()),
        Just("--index-url=https://aws:SECRET@x/".to_owned()),
    ]
}

fn date_time() -> impl Strategy<Value = DateTime> {
    prop_oneof![
        (any::<i64>(), 0u32..1_000_000_000).prop_map(|(s, n)| DateTime::from_secs_and_nanos(s, n)),
        any::<i64>().prop_map(DateTime::from_millis),
        (-1_000_000_000_000i64..1_000_000_000_000).prop_map(DateTime::from_secs),
    ]
}

fn arguments() -> impl Strategy<Value = HashMap<String, String>> {
    proptest::collection::hash_map(text(), text(), 0..6)
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
    ]
}

prop_compose! {
    fn job()(
        name in proptest::option::of(text()),
        command in proptest::option::of(text()),
        python in proptest::option::of(text()),
        glue in proptest::option::of(text()),
        defaults in proptest::option::of(arguments()),
        fixed in proptest::option::of(arguments()),
        timeout in proptest::option::of(any::<i32>()),
        retries in any::<i32>(),
        modified in proptest::option::of(date_time()),
        profile in proptest::option::of(text()),
        worker in proptest::option::of(text()),
        workers in proptest::option::of(any::<i32>()),
        max_capacity in proptest::option::of(float()),
        allocated in any::<i32>(),
    ) -> Job {
        #[allow(deprecated, reason = "a job may still have AllocatedCapacity")]
        Job::builder()
            .set_name(name)
            .command(JobCommand::builder().set_name(command).set_python_version(python).build())
            .set_glue_version(glue)
            .set_default_arguments(defaults)
            .set_non_overridable_arguments(fixed)
            .set_timeout(timeout)
            .max_retries(retries)
            .set_last_modified_on(modified)
            .set_profile_name(profile)
            .set_worker_type(worker.map(|w| WorkerType::from(w.as_str())))
            .set_number_of_workers(workers)
            .set_max_capacity(max_capacity)
            .allocated_capacity(allocated)
            .build()
    }
}

prop_compose! {
    fn job_run()(
        id in proptest::option::of(text()),
        state in proptest::option::of(text()),
        attempt in any::<i32>(),
        execution in any::<i32>(),
        dpu in proptest::option::of(float()),
        error in proptest::option::of(text()),
        group in proptest::option::of(text()),
        started in proptest::option::of(date_time()),
        args in proptest::option::of(arguments()),
    ) -> JobRun {
        JobRun::builder()
            .set_id(id)
            .set_job_run_state(state.map(|s| JobRunState::from(s.as_str())))
            .attempt(attempt)
            .execution_time(execution)
            .set_dpu_seconds(dpu)
            .set_error_message(error)
            .set_log_group_name(group)
            .set_started_on(started)
            .set_arguments(args)
            .build()
    }
}

proptest! {
    /// Refresh's re-read and verify after `UpdateJob`.
    #[test]
    fn any_job_is_read_and_carried_without_panicking(job in job(), name in text()) {
        let definition = definition_of(&job, &name);
        let _ = job
            .last_modified_on()
            .and_then(|t| SystemTime::try_from(*t).ok());
        let _ = format!("{definition:?}");
        let _ = job_update(&job, definition.default_arguments.into_iter().collect());
    }

    /// `start --wait` after `StartJobRun`: the status, and the echoed
    /// `ErrorMessage` and arguments, redacted.
    #[test]
    fn any_run_status_is_read_without_panicking_or_leaking(
        run in job_run(),
        secret in "[A-Za-z0-9]{24,40}",
        prefix in "[ -~]{0,20}",
    ) {
        let status = run_status(&run);
        let _ = format!("{status:?}");
        let _ = status.state.is_final();
        let mut leaky = run.clone();
        leaky.error_message = Some(format!(
            "{prefix} --index-url=https://aws:{secret}@host/pypi/r/simple/"
        ));
        leaky.arguments.get_or_insert_with(HashMap::new).insert(
            "--python-modules-installer-option".to_owned(),
            format!("--index-url=https://aws:{secret}@host/"),
        );
        let status = run_status(&leaky);
        let message = status.error_message.unwrap_or_default();
        prop_assert!(!message.contains(&secret), "{message}");
        let shown = format!("{:?}", status.arguments);
        prop_assert!(!shown.contains(&secret), "{shown}");
    }

    /// The look-up after a lost `StartJobRun` answer.
    #[test]
    fn any_runs_page_is_searched_without_panicking(
        runs in proptest::collection::vec(job_run(), 0..8),
        since in date_time(),
        ours in proptest::collection::btree_map(text(), text(), 0..3),
    ) {
        let since = SystemTime::try_from(since).unwrap_or(SystemTime::UNIX_EPOCH);
        let earliest = since.checked_sub(crate::start_run::LOOKUP_CLOCK_SKEW).unwrap_or(since);
        let found = best_run(None, &runs, earliest, &ours, &|_| false);
        if let Some(found) = found {
            prop_assert!(!found.run_id.trim().is_empty());
            // A found run carries every one of our arguments.
            let run = runs.iter().find(|r| r.id() == Some(found.run_id.as_str()));
            prop_assert!(run.is_some());
        }
        let _ = best_run(None, &runs, earliest, &BTreeMap::new(), &|id| id.len() % 2 == 0);
    }

    /// S3's checksum header, after `PutObject` (the re-verify).
    #[test]
    fn any_checksum_text_is_decoded_without_panicking(text in text()) {
        let _ = decode_sha256(&text);
    }
}

#[test]
fn an_empty_run_id_is_never_a_found_run() {
    let none = || Some(HashMap::new());
    let runs = [
        JobRun::builder().id("  ").set_arguments(none()).build(),
        JobRun::builder().id("").set_arguments(none()).build(),
        JobRun::builder().set_arguments(none()).build(),
    ];
    assert_eq!(
        best_run(
            None,
            &runs,
            SystemTime::UNIX_EPOCH,
            &BTreeMap::new(),
            &|_| false
        ),
        None
    );
    let runs = [JobRun::builder().id("jr_1").set_arguments(none()).build()];
    assert_eq!(
        best_run(
            None,
            &runs,
            SystemTime::UNIX_EPOCH,
            &BTreeMap::new(),
            &|_| false
        )
        .map(|f| f.run_id),
        Some("jr_1".to_owned())
    );
}
