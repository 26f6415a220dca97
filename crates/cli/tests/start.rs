//! `start` against jobs of every shape.

use crate::util::{ACCOUNT, DOMAIN, REPOSITORY, Stack, only_run_arguments};
use test_stack::JobSpec;

const INSTALLER_OPTION: &str = "--python-modules-installer-option";
const MODULES: &str = "--additional-python-modules";

fn index_prefix(stack: &Stack) -> String {
    format!(
        "{}/{DOMAIN}-{ACCOUNT}/pypi/{REPOSITORY}/simple/",
        stack.emulator.base_url()
    )
}

/// `--index-url=http://aws:TOKEN@host/…/simple/` with a token the emulator issued.
fn assert_ours(stack: &Stack, option: &str, mode: &str) {
    let prefix = format!("--{mode}=");
    let url = option
        .split(' ')
        .find_map(|w| w.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {option:?}"));
    let parsed = url::Url::parse(url).unwrap();
    assert_eq!(parsed.username(), "aws");
    let token = percent_encoding::percent_decode_str(parsed.password().unwrap())
        .decode_utf8()
        .unwrap();
    assert!(
        stack.emulator.issued_tokens().iter().any(|t| *t == token),
        "the URL carries an issued token"
    );
    let mut bare = parsed.clone();
    bare.set_username("").unwrap();
    bare.set_password(None).unwrap();
    assert_eq!(
        bare.as_str().replace("http://", ""),
        index_prefix(stack).replace("http://", "")
    );
}

#[test]
fn spark_job_without_installer_option() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let run = stack.start(&job, &[]);
    run.assert_code(0);
    let run_id = run.stdout.trim();
    assert!(run_id.starts_with("jr_"), "prints the JobRunId: {run_id:?}");

    let args = only_run_arguments(&stack, &job);
    assert_eq!(
        args.keys().collect::<Vec<_>>(),
        vec![INSTALLER_OPTION],
        "only the changed key is sent"
    );
    assert_ours(
        &stack,
        args[INSTALLER_OPTION].as_str().unwrap(),
        "index-url",
    );
    assert_eq!(stack.moto.job_runs(&job).len(), 1);
    assert_eq!(stack.moto.job_runs(&job)[0].id, run_id);
}

#[test]
fn spark_job_keeps_upgrade_and_replaces_an_old_index_url() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| {
        j.default_argument(
            INSTALLER_OPTION,
            "--upgrade --index-url https://old.example/simple/",
        )
    });
    stack.start(&job, &[]).assert_code(0);
    let args = only_run_arguments(&stack, &job);
    let option = args[INSTALLER_OPTION].as_str().unwrap();
    assert!(option.starts_with("--upgrade --index-url="), "{option}");
    assert!(!option.contains("old.example"), "{option}");
    assert_ours(&stack, option, "index-url");
}

#[test]
fn extra_index_url_mode_keeps_the_primary_index() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| {
        j.default_argument(
            INSTALLER_OPTION,
            "--index-url https://mirror.example/simple/",
        )
    });
    stack
        .start(&job, &["--mode", "extra-index-url"])
        .assert_code(0);
    let args = only_run_arguments(&stack, &job);
    let option = args[INSTALLER_OPTION].as_str().unwrap();
    assert!(
        option.starts_with("--index-url https://mirror.example/simple/ --extra-index-url="),
        "{option}"
    );
    assert_ours(&stack, option, "extra-index-url");
}

#[test]
fn python_shell_job_gets_the_inline_form() {
    let stack = Stack::new();
    let job = test_stack::unique_name("shell");
    stack.moto.create_job(
        &JobSpec::python_shell(&job)
            .default_argument(MODULES, "acme-tools==1.2.0")
            .max_concurrent_runs(10),
    );
    stack.start(&job, &[]).assert_code(0);
    let args = only_run_arguments(&stack, &job);
    assert_eq!(args.keys().collect::<Vec<_>>(), vec![MODULES]);
    let modules = args[MODULES].as_str().unwrap();
    assert!(
        modules.starts_with("acme-tools==1.2.0 --index-url="),
        "{modules}"
    );
    assert_ours(&stack, modules, "index-url");
}

#[test]
fn user_arguments_are_sent_along() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument("--day", "default"));
    stack
        .start(&job, &["--arg", "--day=2024-01-31", "--arg", "--env=prod"])
        .assert_code(0);
    let args = only_run_arguments(&stack, &job);
    assert_eq!(args["--day"], "2024-01-31");
    assert_eq!(args["--env"], "prod");
    assert!(args.contains_key(INSTALLER_OPTION));
}

#[test]
fn dry_run_prints_redacted_arguments_and_starts_nothing() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let run = stack.start(&job, &["--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(&format!(
            "{INSTALLER_OPTION}=--upgrade --index-url=http://aws:****@"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("dry run: no job run started"),
        "{}",
        run.stderr
    );
    stack.assert_no_token(&run.both(), "dry-run output");
    assert!(stack.sent_runs(&job).is_empty());
    assert!(stack.moto.job_runs(&job).is_empty());
}

#[test]
fn json_output() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let run = stack.start(&job, &["--output", "json", "--duration", "15m"]);
    run.assert_code(0);
    let body = run.json();
    assert_eq!(body["job_name"], job.as_str());
    assert!(body["job_run_id"].as_str().unwrap().starts_with("jr_"));
    assert_eq!(body["dry_run"], false);
    assert_eq!(body["argument_keys"], serde_json::json!([INSTALLER_OPTION]));
    let expiration = humantime::parse_rfc3339(body["token_expiration"].as_str().unwrap()).unwrap();
    let left = expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((850..=900).contains(&left), "a 15m token: {left}s left");
    assert!(body.get("arguments").is_none());

    let dry = stack.start(&job, &["--output", "json", "--dry-run"]);
    dry.assert_code(0);
    let body = dry.json();
    assert_eq!(body["dry_run"], true);
    assert!(body["job_run_id"].is_null());
    assert!(
        body["arguments"][INSTALLER_OPTION]
            .as_str()
            .unwrap()
            .contains("aws:****@")
    );
}

#[test]
fn flags_fall_back_to_environment_variables() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let run = stack.cli_env(
        &["start", "--output", "json"],
        &[
            ("GLUE_CODEARTIFACT_JOB", &job),
            ("GLUE_CODEARTIFACT_DOMAIN", DOMAIN),
            ("GLUE_CODEARTIFACT_REPOSITORY", REPOSITORY),
            ("GLUE_CODEARTIFACT_DOMAIN_OWNER", ACCOUNT),
            ("GLUE_CODEARTIFACT_MODE", "extra-index-url"),
        ],
    );
    run.assert_code(0);
    let args = only_run_arguments(&stack, &job);
    assert_ours(
        &stack,
        args[INSTALLER_OPTION].as_str().unwrap(),
        "extra-index-url",
    );
}

#[test]
fn several_jobs_share_one_token_and_a_missing_one_does_not_stop_the_others() {
    let stack = Stack::new();
    let a = stack.spark_job(|j| j);
    let b = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, "--upgrade"));
    let list = crate::util::scratch(&test_stack::unique_name("jobs")).file("jobs.txt");
    // With a UTF-8 byte order mark first, as Windows editors write it: the
    // first job name is still `b`.
    std::fs::write(
        &list,
        format!("\u{feff}{b}\n# nightly jobs\n\nno-such-job-xyz  # gone\n"),
    )
    .unwrap();
    let list = list.to_string_lossy().into_owned();
    let run = stack.start(
        &a,
        &[
            "--jobs-from",
            &list,
            "--concurrency",
            "2",
            "--output",
            "json",
        ],
    );
    run.assert_code(13);
    stack.assert_no_token(&run.both(), "start output");
    let body = run.json();
    assert_eq!(body["started"], 2);
    assert_eq!(body["failed"], 1);
    let runs = body["runs"].as_array().unwrap();
    assert_eq!(runs[0]["job_name"], a.as_str());
    assert_eq!(runs[1]["job_name"], b.as_str());
    assert!(runs[2]["error"].as_str().unwrap().contains("was not found"));
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        1,
        "one token for all"
    );
    assert_ours(
        &stack,
        only_run_arguments(&stack, &a)[INSTALLER_OPTION]
            .as_str()
            .unwrap(),
        "index-url",
    );
    let option_b = only_run_arguments(&stack, &b)[INSTALLER_OPTION]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(option_b.starts_with("--upgrade --index-url="), "{option_b}");

    let text = stack.start(&a, &["--job", &b]);
    text.assert_code(0);
    let lines: Vec<_> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(&format!("{a}\tjr_")),
        "{}",
        text.stdout
    );
}

#[test]
fn each_job_starts_as_soon_as_it_is_read() {
    // With --concurrency 1, job b's read is held for 3 s. Job a, read
    // before it, must not wait for it: its run starts while b is still
    // being read. (Reading every job before starting any would start both
    // runs after the 3 s, within moments of each other.)
    const HELD: std::time::Duration = std::time::Duration::from_secs(3);
    let stack = Stack::new();
    let a = stack.spark_job(|j| j);
    let b = stack.spark_job(|j| j);
    stack.moto.inject_glue_fault(&test_stack::GlueFault::new(
        "GetJob",
        &b,
        test_stack::GlueFaultKind::Delay(HELD),
        1,
    ));
    let run = stack.start(&a, &["--job", &b, "--concurrency", "1"]);
    run.assert_code(0);
    let started_on = |job: &str| {
        let runs = stack.moto.job_runs(job);
        assert_eq!(runs.len(), 1, "one run of {job}");
        runs[0].started_on.expect("StartedOn")
    };
    let gap = started_on(&b)
        .duration_since(started_on(&a))
        .unwrap_or_else(|_| panic!("{b} started before {a}, which was read first"));
    assert!(
        gap >= HELD - std::time::Duration::from_secs(1),
        "{a}'s run started only {gap:?} before {b}'s: it waited for {b} to be read"
    );
}

/// Seconds since the Unix epoch, now.
fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn an_expiration_in_milliseconds_or_negative_starts_nothing_and_never_panics() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let in_ms = (epoch_now() + 3600) * 1000;
    for (expiration, says) in [(in_ms, "milliseconds"), (-5, "before 1970")] {
        stack.emulator.report_expiration(Some(expiration.into()));
        for extra in [
            &["--output", "json"][..],
            &[][..],
            &["--dry-run", "--output", "json"][..],
        ] {
            let run = stack.start(&job, extra);
            assert_eq!(run.code, 11, "{expiration} {extra:?}: {}", run.both());
            assert!(run.stderr.contains(says), "{}", run.stderr);
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            stack.assert_no_token(&run.both(), "the error");
        }
    }
    assert!(stack.sent_runs(&job).is_empty(), "no run started");
}

/// Other indexes' credentials in every form of issue #13.2.
const FOREIGN: &str = "--extra-index-url='https://user:pwtilde@h.example/~team/simple/' \
    --extra-index-url 'https://user:pwamp@h.example/simple/?a=1&b=2' \
    --extra-index-url='https://user:pw space@h.example/simple/' \
    -f https://pwbare@h.example/links/ \
    --index-url https://old:pwold@old.example/simple/";

#[test]
fn dry_run_shows_other_indexes_passwords_redacted() {
    let stack = Stack::new();
    let spark = stack.spark_job(|j| j.default_argument(INSTALLER_OPTION, FOREIGN));
    let shell = unique_name_shell(&stack);
    for job in [&spark, &shell] {
        for extra in [
            &["--dry-run"][..],
            &["--dry-run", "--output", "json"][..],
            &[
                "--dry-run",
                "--output",
                "json",
                "--arg",
                "--extra-py-files=https://argpw@h.example/x.py",
            ][..],
        ] {
            let run = stack.start(job, extra);
            run.assert_code(0);
            stack.assert_no_token(&run.both(), "dry-run output");
            for secret in ["pwtilde", "pwamp", "pw space", "pwbare", "pwold", "argpw"] {
                assert!(!run.both().contains(secret), "{secret} in {}", run.both());
            }
            assert!(run.both().contains("user:****@h.example"), "{}", run.both());
        }
    }
    assert!(stack.sent_runs(&spark).is_empty());
}

fn unique_name_shell(stack: &Stack) -> String {
    let name = test_stack::unique_name("shell");
    let modules = format!(
        "acme-tools==1.2.0,other @ https://pwdirect@h.example/other-1.0-py3-none-any.whl {}",
        FOREIGN.replace(
            "-f https://pwbare@h.example/links/",
            "-i https://pwbare@h.example/simple/"
        )
    );
    stack.moto.create_job(
        &JobSpec::python_shell(&name)
            .default_argument(MODULES, &modules)
            .max_concurrent_runs(10),
    );
    name
}

#[test]
fn an_expired_or_nearly_expired_token_starts_nothing() {
    let stack = Stack::new();
    let a = stack.spark_job(|j| j);
    let b = stack.spark_job(|j| j);
    for (expiration, says) in [
        (epoch_now() - 60, "has already expired"),
        (epoch_now() + 300, "less than the 11m a run needs"),
    ] {
        stack.emulator.report_expiration(Some(expiration.into()));
        for extra in [
            &["--output", "json"][..],
            &["--dry-run"][..],
            &["--job", &b][..],
        ] {
            let run = stack.start(&a, extra);
            assert_eq!(run.code, 15, "{extra:?}: {}", run.both());
            assert!(run.stderr.contains(says), "{}", run.stderr);
            assert!(run.stderr.contains("nothing was started"), "{}", run.stderr);
            stack.assert_no_token(&run.both(), "the error");
        }
    }
    assert!(stack.sent_runs(&a).is_empty() && stack.sent_runs(&b).is_empty());
    // A fresh token again: the start goes through.
    stack.emulator.report_expiration(None);
    stack.start(&a, &[]).assert_code(0);
}
