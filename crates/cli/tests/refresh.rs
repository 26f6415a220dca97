//! `refresh`: fresh index URLs written into jobs' DefaultArguments, losslessly.

use aws_sdk_glue::types::{
    ConnectionsList, ExecutionClass, ExecutionProperty, JobCommand, NotificationProperty,
    WorkerType,
};
use test_stack::{JobSpec, make_wheel, replay, unique_name};

use crate::util::{DOMAIN, REPOSITORY, Stack};

const INSTALLER_OPTION: &str = "--python-modules-installer-option";
const SOME_JOBS_FAILED: i32 = 13;

fn refresh(stack: &Stack, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["refresh", "--domain", DOMAIN, "--repository", REPOSITORY];
    args.extend_from_slice(extra);
    stack.cli(&args)
}

fn default_option(stack: &Stack, job: &str) -> String {
    stack.moto.job(job).default_arguments().unwrap()[INSTALLER_OPTION].clone()
}

#[test]
fn by_name_merges_into_the_defaults_and_a_second_refresh_replaces_the_first() {
    let stack = Stack::new();
    let a = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let b = stack.spark_job(|j| j);
    let run = refresh(&stack, &["--job", &a, "--job", &b]);
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "refresh output");
    assert!(
        run.stdout.contains(&format!("refreshed {a}")),
        "{}",
        run.stdout
    );
    let first = default_option(&stack, &a);
    assert!(
        first.starts_with("--upgrade --index-url=http://aws:"),
        "{first}"
    );
    assert!(default_option(&stack, &b).starts_with("--index-url=http://aws:"));

    refresh(&stack, &["--job", &a]).assert_code(0);
    let second = default_option(&stack, &a);
    assert_ne!(first, second, "a new token");
    assert_eq!(second.matches("--index-url").count(), 1, "{second}");
    assert!(second.starts_with("--upgrade --index-url="), "{second}");
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        2,
        "one token per refresh"
    );
}

#[test]
fn by_tag() {
    let stack = Stack::new();
    let team = unique_name("team");
    let tagged = stack.spark_job(|j| j.tag("team", &team));
    let other = stack.spark_job(|j| j.tag("team", "someone-else"));
    let run = refresh(
        &stack,
        &["--tag", &format!("team={team}"), "--output", "json"],
    );
    run.assert_code(0);
    let body = run.json();
    assert_eq!(body["refreshed"], 1);
    assert_eq!(body["jobs"][0]["job"], tagged.as_str());
    assert!(default_option(&stack, &tagged).contains("--index-url=http://aws:"));
    assert!(
        stack
            .moto
            .job(&other)
            .default_arguments()
            .unwrap()
            .get(INSTALLER_OPTION)
            .is_none()
    );

    let none = refresh(&stack, &["--tag", "team=nobody-has-this"]);
    none.assert_code(3);
    assert!(
        none.stderr
            .contains("carries the tags team=nobody-has-this"),
        "{}",
        none.stderr
    );
}

#[test]
fn one_missing_job_among_three_does_not_stop_the_others() {
    let stack = Stack::new();
    let a = stack.spark_job(|j| j);
    let b = stack.spark_job(|j| j);
    let run = refresh(
        &stack,
        &[
            "--job",
            &a,
            "--job",
            "no-such-job-xyz",
            "--job",
            &b,
            "--output",
            "json",
        ],
    );
    run.assert_code(SOME_JOBS_FAILED);
    let body = run.json();
    assert_eq!(body["refreshed"], 2);
    assert_eq!(body["failed"], 1);
    let failed: Vec<_> = body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["status"] == "failed")
        .collect();
    assert_eq!(failed[0]["job"], "no-such-job-xyz");
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("was not found")
    );
    assert!(default_option(&stack, &a).contains("--index-url="));
    assert!(default_option(&stack, &b).contains("--index-url="));
}

#[test]
fn dry_run_redacts_and_changes_nothing() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let run = refresh(&stack, &["--job", &job, "--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!(
            "would-refresh {job}: {INSTALLER_OPTION}=--upgrade --index-url=http://aws:****@"
        )),
        "{}",
        run.stdout
    );
    stack.assert_no_token(&run.both(), "dry-run output");
    assert_eq!(default_option(&stack, &job), "--upgrade");
    assert!(stack.moto.sent_requests("UpdateJob", &job).is_empty());
}

#[test]
fn refuses_what_glue_would_ignore() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.non_overridable_argument(INSTALLER_OPTION, "--upgrade"));
    let run = refresh(&stack, &["--job", &job]);
    run.assert_code(SOME_JOBS_FAILED);
    assert!(
        run.stdout.contains("NonOverridableArguments"),
        "{}",
        run.stdout
    );
    assert!(stack.moto.sent_requests("UpdateJob", &job).is_empty());
}

#[test]
fn python_shell_jobs_get_the_inline_form() {
    let stack = Stack::new();
    let job = unique_name("shell");
    stack.moto.create_job(
        &JobSpec::python_shell(&job)
            .default_argument("--additional-python-modules", "acme-tools==1.2.0"),
    );
    refresh(&stack, &["--job", &job]).assert_code(0);
    let modules =
        stack.moto.job(&job).default_arguments().unwrap()["--additional-python-modules"].clone();
    assert!(
        modules.starts_with("acme-tools==1.2.0 --index-url=http://aws:"),
        "{modules}"
    );
}

/// Only the installer option may differ after a refresh: every other field
/// moto keeps is sent back as it was (UpdateJob replaces the definition).
#[test]
fn lossless_update() {
    let stack = Stack::new();
    let job = unique_name("lossless");
    let glue = stack.moto.glue();
    stack.moto.block_on(async {
        glue.create_job()
            .name(&job)
            .description("every field moto keeps")
            .log_uri("s3://logs/x")
            .role("arn:aws:iam::123456789012:role/glue")
            .execution_property(ExecutionProperty::builder().max_concurrent_runs(7).build())
            .command(
                JobCommand::builder()
                    .name("glueetl")
                    .script_location("s3://scripts/etl.py")
                    .python_version("3")
                    .build(),
            )
            .default_arguments("--additional-python-modules", "acme-tools==1.2.0")
            .default_arguments(INSTALLER_OPTION, "--upgrade")
            .default_arguments("--job-language", "python")
            .non_overridable_arguments("--enable-metrics", "true")
            .connections(ConnectionsList::builder().connections("vpc-conn").build())
            .max_retries(2)
            .timeout(120)
            .worker_type(WorkerType::G1X)
            .number_of_workers(4)
            .security_configuration("sec-config")
            .notification_property(
                NotificationProperty::builder()
                    .notify_delay_after(10)
                    .build(),
            )
            .glue_version("4.0")
            .execution_class(ExecutionClass::Flex)
            .tags("team", "data")
            .send()
            .await
            .unwrap();
    });
    let before = stack.moto.job(&job);
    refresh(&stack, &["--job", &job]).assert_code(0);
    let after = stack.moto.job(&job);

    let strip = |j: &aws_sdk_glue::types::Job| {
        let mut defaults = j.default_arguments().unwrap().clone();
        defaults.remove(INSTALLER_OPTION);
        let mut defaults: Vec<_> = defaults.into_iter().collect();
        defaults.sort();
        let shown = format!("{j:?}");
        // Drop the fields that may differ: the option we change, and the
        // modification time.
        let shown = shown
            .split(", ")
            .filter(|f| !f.starts_with("last_modified_on") && !f.starts_with("default_arguments"))
            .filter(|f| {
                !f.contains(INSTALLER_OPTION)
                    && !f.contains("--additional-python-modules")
                    && !f.contains("--job-language")
            })
            .collect::<Vec<_>>()
            .join(", ");
        (shown, defaults)
    };
    assert_eq!(strip(&before), strip(&after));
    assert_eq!(
        after.default_arguments().unwrap()[INSTALLER_OPTION]
            .split(' ')
            .next(),
        Some("--upgrade")
    );
    let tags = stack.moto.block_on(async {
        glue.get_tags()
            .resource_arn(format!("arn:aws:glue:us-east-1:123456789012:job/{job}"))
            .send()
            .await
            .unwrap()
    });
    assert_eq!(tags.tags().unwrap()["team"], "data");
}

#[test]
fn a_run_started_by_glue_itself_installs_after_a_refresh() {
    let stack = Stack::new();
    make_wheel(&stack.packages, "acme-tools", "1.2.0");
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    refresh(&stack, &["--job", &job]).assert_code(0);
    // A trigger, schedule or the console starts the run: no run arguments.
    let run_id = stack.moto.block_on(async {
        stack
            .moto
            .glue()
            .start_job_run()
            .job_name(&job)
            .send()
            .await
            .unwrap()
            .job_run_id
            .unwrap()
    });
    let out = replay(&stack.moto.url, &job, &run_id, &["acme_tools"]);
    out.assert_success(&["acme_tools 1.2.0"]);
}

#[test]
fn an_expiration_in_milliseconds_changes_no_job_and_never_panics() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    stack
        .emulator
        .report_expiration(Some(((now + 7200) * 1000).into()));
    for extra in [&["--output", "json"][..], &[][..]] {
        let mut args = vec!["--job", job.as_str()];
        args.extend_from_slice(extra);
        let run = refresh(&stack, &args);
        assert_eq!(run.code, 11, "{}", run.both());
        assert!(run.stderr.contains("milliseconds"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert_eq!(default_option(&stack, &job), "--upgrade", "job unchanged");
    assert!(stack.moto.sent_requests("UpdateJob", &job).is_empty());
}

#[test]
fn json_shows_what_it_replaced_with_passwords_redacted() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| {
        j.default_argument(
            INSTALLER_OPTION,
            "--index-url='https://old:pwtilde@old.example/~t/simple/?a=1&b=2' --extra-index-url 'https://u:pw space@h.example/simple/' -i https://BARETOKEN@h.example/simple/",
        )
    });
    for dry in [true, false] {
        let mut args = vec!["--job", job.as_str(), "--output", "json"];
        if dry {
            args.push("--dry-run");
        }
        let run = refresh(&stack, &args);
        run.assert_code(0);
        stack.assert_no_token(&run.both(), "refresh output");
        for secret in ["pwtilde", "pw space", "BARETOKEN"] {
            assert!(!run.both().contains(secret), "{secret} in {}", run.both());
        }
    }
    let run = refresh(&stack, &["--job", &job, "--output", "json"]);
    run.assert_code(0);
    assert!(run.stdout.contains("replaced"), "{}", run.stdout);
}

#[test]
fn an_expired_or_nearly_expired_token_changes_no_job() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for expiration in [now - 60, now + 300] {
        stack.emulator.report_expiration(Some(expiration.into()));
        let run = refresh(&stack, &["--job", &job, "--output", "json"]);
        assert_eq!(run.code, 15, "{}", run.both());
        assert!(
            run.stderr.contains("nothing was started or changed"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(default_option(&stack, &job), "--upgrade", "job unchanged");
    assert!(stack.moto.sent_requests("UpdateJob", &job).is_empty());
}

#[test]
fn alternating_host_forms_leave_one_url_for_the_repository() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| {
        j.default_argument(
            INSTALLER_OPTION,
            "--upgrade --extra-index-url https://pypi.example/simple/",
        )
    });
    let port = url::Url::parse(&stack.emulator.base_url())
        .unwrap()
        .port()
        .unwrap()
        .to_string();
    // `localhost:PORT` stands in for a VPC endpoint's own DNS name.
    let vpce = format!("localhost:{port}");
    let forms: [&[&str]; 4] = [
        &[],
        &[
            "--repository-endpoint-host",
            &vpce,
            "--allow-any-endpoint-host",
        ],
        &["--endpoint-type", "dualstack"],
        &[],
    ];
    for form in forms {
        let mut args = vec!["--job", job.as_str(), "--mode", "extra-index-url"];
        args.extend_from_slice(form);
        refresh(&stack, &args).assert_code(0);
        let option = default_option(&stack, &job);
        assert_eq!(
            option.matches("--extra-index-url").count(),
            2,
            "{form:?}: ours and pypi.example's, once each: {option}"
        );
        assert!(
            option.starts_with("--upgrade --extra-index-url https://pypi.example/simple/ "),
            "{option}"
        );
    }
}

/// Someone else's edit: one DefaultArguments key set through moto's UpdateJob.
fn edit_job(stack: &Stack, job: &str, key: &str, value: &str) {
    let current = stack.moto.job(job);
    let mut defaults = current.default_arguments().cloned().unwrap_or_default();
    defaults.insert(key.into(), value.into());
    let update = aws_sdk_glue::types::JobUpdate::builder()
        .set_role(current.role().map(str::to_owned))
        .set_command(current.command().cloned())
        .set_glue_version(current.glue_version().map(str::to_owned))
        .set_execution_property(current.execution_property().cloned())
        .set_default_arguments(Some(defaults))
        .build();
    stack
        .moto
        .block_on(
            stack
                .moto
                .glue()
                .update_job()
                .job_name(job)
                .job_update(update)
                .send(),
        )
        .expect("the concurrent edit");
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn an_edit_after_our_update_is_a_conflict_never_refreshed() {
    use test_stack::{GlueFault, GlueFaultKind};
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    // Our UpdateJob is applied, and its answer held for 2 s: meanwhile
    // someone else edits the job.
    stack.moto.inject_glue_fault(
        &GlueFault::new(
            "UpdateJob",
            &job,
            GlueFaultKind::Delay(std::time::Duration::from_secs(2)),
            1,
        )
        .after(),
    );
    let run = std::thread::scope(|scope| {
        let cli = scope.spawn(|| refresh(&stack, &["--job", &job, "--output", "json"]));
        wait_until("our update is in place", || {
            default_option(&stack, &job).contains("--index-url=")
        });
        edit_job(&stack, &job, "--team", "data");
        cli.join().unwrap()
    });
    run.assert_code(16);
    stack.assert_no_token(&run.both(), "refresh output");
    let body = run.json();
    assert_eq!(body["refreshed"], 0, "{body}");
    assert_eq!(body["jobs"][0]["status"], "conflict", "{body}");
    let error = body["jobs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(&job) && error.contains("DefaultArguments --team"),
        "{error}"
    );
}

#[test]
fn an_edit_between_our_read_and_our_update_is_kept() {
    use test_stack::{GlueFault, GlueFaultKind};
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    // Our first GetJob is answered 2 s late: meanwhile someone else edits
    // the job, so our first read is stale.
    stack.moto.inject_glue_fault(
        &GlueFault::new(
            "GetJob",
            &job,
            GlueFaultKind::Delay(std::time::Duration::from_secs(2)),
            1,
        )
        .after(),
    );
    let run = std::thread::scope(|scope| {
        let cli = scope.spawn(|| refresh(&stack, &["--job", &job]));
        wait_until("our first read is in flight", || {
            !stack
                .moto
                .pending_glue_faults()
                .iter()
                .any(|f| f["job"] == job.as_str())
        });
        // LastModifiedOn has a resolution of a second or better.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        edit_job(&stack, &job, "--team", "data");
        cli.join().unwrap()
    });
    run.assert_code(0);
    let defaults = stack.moto.job(&job).default_arguments().cloned().unwrap();
    assert_eq!(
        defaults.get("--team").map(String::as_str),
        Some("data"),
        "the edit survives"
    );
    assert!(defaults[INSTALLER_OPTION].starts_with("--upgrade --index-url="));
}

#[test]
fn a_failed_read_after_our_update_says_the_job_was_updated() {
    use test_stack::{GlueFault, GlueFaultKind};
    const UPDATE_NOT_VERIFIED: i32 = 17;
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    // Our UpdateJob is applied and its answer held for 2 s; meanwhile the
    // next GetJob about the job (our verifying read) is made to fail.
    stack.moto.inject_glue_fault(
        &GlueFault::new(
            "UpdateJob",
            &job,
            GlueFaultKind::Delay(std::time::Duration::from_secs(2)),
            1,
        )
        .after(),
    );
    let run = std::thread::scope(|scope| {
        let cli = scope.spawn(|| refresh(&stack, &["--job", &job, "--output", "json"]));
        wait_until("our update is in place", || {
            default_option(&stack, &job).contains("--index-url=")
        });
        stack.moto.inject_glue_fault(&GlueFault::new(
            "GetJob",
            &job,
            GlueFaultKind::AccessDenied,
            1,
        ));
        cli.join().unwrap()
    });
    stack.moto.clear_glue_faults(&job);
    run.assert_code(UPDATE_NOT_VERIFIED);
    stack.assert_no_token(&run.both(), "refresh output");
    let body = run.json();
    assert_eq!(body["refreshed"], 0, "{body}");
    assert_eq!(body["jobs"][0]["status"], "unverified", "{body}");
    let error = body["jobs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(&job)
            && error.contains("WAS updated")
            && error.contains("glue:GetJob")
            && error.contains("idempotent"),
        "{error}"
    );
    // It was: the job holds the fresh index URL.
    assert!(default_option(&stack, &job).starts_with("--upgrade --index-url="));

    // In text, the same words, and the summary refreshes nothing.
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    stack.moto.inject_glue_fault(
        &GlueFault::new(
            "UpdateJob",
            &job,
            GlueFaultKind::Delay(std::time::Duration::from_secs(2)),
            1,
        )
        .after(),
    );
    let run = std::thread::scope(|scope| {
        let cli = scope.spawn(|| refresh(&stack, &["--job", &job]));
        wait_until("our update is in place", || {
            default_option(&stack, &job).contains("--index-url=")
        });
        stack.moto.inject_glue_fault(&GlueFault::new(
            "GetJob",
            &job,
            GlueFaultKind::AccessDenied,
            1,
        ));
        cli.join().unwrap()
    });
    stack.moto.clear_glue_faults(&job);
    run.assert_code(UPDATE_NOT_VERIFIED);
    stack.assert_no_token(&run.both(), "refresh output");
    assert!(
        run.stdout
            .contains(&format!("unverified {job}: job {job:?} WAS updated")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("0 of 1 jobs refreshed"),
        "{}",
        run.stderr
    );
}

/// `refresh --duration` reads `GLUE_CODEARTIFACT_REFRESH_DURATION`, the
/// Lambda function's refresh setting; `GLUE_CODEARTIFACT_DURATION` (start's
/// duration, which refresh read before) sets it only as a deprecated
/// fallback, with a warning.
#[test]
fn the_duration_comes_from_refresh_duration_and_the_old_name_is_a_warned_fallback() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let left = |run: &crate::util::Run| {
        run.assert_code(0);
        let expiration =
            humantime::parse_rfc3339(run.json()["token_expiration"].as_str().unwrap()).unwrap();
        expiration
            .duration_since(std::time::SystemTime::now())
            .unwrap()
            .as_secs()
    };
    let args = [
        "refresh",
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "--job",
        &job,
        "--dry-run",
        "--output",
        "json",
    ];
    let deprecated = "GLUE_CODEARTIFACT_DURATION set `refresh --duration`, a deprecated fallback";

    // Neither: the 12h default.
    let run = stack.cli(&args);
    assert!(left(&run) > 11 * 3600, "default 12h");
    assert!(!run.stderr.contains("deprecated"), "{}", run.stderr);

    // The new name wins over start's duration, silently.
    let run = stack.cli_env(
        &args,
        &[
            ("GLUE_CODEARTIFACT_REFRESH_DURATION", "2h"),
            ("GLUE_CODEARTIFACT_DURATION", "15m"),
        ],
    );
    let secs = left(&run);
    assert!(
        (6600..=7200).contains(&secs),
        "2h from REFRESH_DURATION: {secs}"
    );
    assert!(!run.stderr.contains("deprecated"), "{}", run.stderr);

    // Only the old name: still used, with one warning naming the new one.
    let run = stack.cli_env(&args, &[("GLUE_CODEARTIFACT_DURATION", "15m")]);
    assert!(left(&run) <= 900, "15m from the fallback");
    assert_eq!(run.stderr.matches(deprecated).count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("set GLUE_CODEARTIFACT_REFRESH_DURATION"),
        "{}",
        run.stderr
    );
    stack.assert_no_token(&run.both(), "refresh with the deprecated fallback");

    // A flag beats both, and the fallback is not used, so no warning.
    let mut with_flag = args.to_vec();
    with_flag.extend(["--duration", "1h"]);
    let run = stack.cli_env(&with_flag, &[("GLUE_CODEARTIFACT_DURATION", "15m")]);
    let secs = left(&run);
    assert!((3000..=3600).contains(&secs), "1h from the flag: {secs}");
    assert!(!run.stderr.contains("deprecated"), "{}", run.stderr);
}
