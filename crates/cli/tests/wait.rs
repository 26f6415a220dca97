//! `start --wait`: the run is followed through its states (moto's state
//! manager holds it in STARTING; the test moves it), and the exit code
//! follows the final state.

use std::process::Stdio;
use std::time::Duration;

use test_stack::{aws_env, command_with_env};

use crate::util::{DOMAIN, REPOSITORY, Stack, finish, manual_moto};

#[test]
fn each_final_state_has_its_exit_code() {
    let stack = Stack::with_moto(manual_moto());
    for (state, code) in [
        ("SUCCEEDED", 0),
        ("FAILED", 20),
        ("ERROR", 21),
        ("TIMEOUT", 22),
        ("STOPPED", 23),
        ("EXPIRED", 24),
    ] {
        let job = stack.spark_job(|j| j);
        let child = stack.spawn_wait(&job, &[]);
        let id = stack.run_id(&job);
        std::thread::sleep(Duration::from_millis(1500));
        stack.set_run_state(&job, &id, "RUNNING", None);
        std::thread::sleep(Duration::from_millis(1500));
        stack.set_run_state(
            &job,
            &id,
            state,
            (state != "SUCCEEDED").then_some("ModuleNotFoundError: No module named 'acme_tools'"),
        );
        let run = finish(child);
        run.assert_code(code);
        stack.assert_no_token(&run.both(), "--wait output");
        assert_eq!(
            run.stdout.lines().next(),
            Some(id.as_str()),
            "the run ID first"
        );
        // Plain state-change lines, once each.
        assert_eq!(
            run.stderr.matches(": STARTING").count(),
            1,
            "{}",
            run.stderr
        );
        assert_eq!(run.stderr.matches(": RUNNING").count(), 1, "{}", run.stderr);
        if code != 0 {
            assert!(
                run.stderr
                    .contains(&format!("ended {state}: ModuleNotFoundError")),
                "{}",
                run.stderr
            );
            assert!(
                run.stderr.contains("/error (pip's output is there)"),
                "{}",
                run.stderr
            );
        }
    }
}

#[test]
fn json_lines_per_state_change() {
    let stack = Stack::with_moto(manual_moto());
    let job = stack.spark_job(|j| j);
    let child = stack.spawn_wait(&job, &["--output", "json"]);
    let id = stack.run_id(&job);
    std::thread::sleep(Duration::from_millis(1500));
    stack.set_run_state(&job, &id, "FAILED", Some("pip failed"));
    let run = finish(child);
    run.assert_code(20);
    let mut lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // After a FAILED run, the triage (why.rs) comes last.
    let triage = lines.pop().unwrap();
    assert_eq!(triage["triage"]["job_run_id"], id.as_str(), "{triage}");
    assert_eq!(
        lines[0]["job_run_id"],
        id.as_str(),
        "the start object first"
    );
    let states: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["STARTING", "FAILED"]);
    assert_eq!(lines.last().unwrap()["error_message"], "pip failed");
    assert_eq!(lines.last().unwrap()["dpu_seconds"], 12.5);
    assert!(
        lines.last().unwrap()["logs"]
            .as_str()
            .unwrap()
            .contains(&id)
    );
}

#[test]
fn the_wait_timeout_and_ctrl_c_leave_the_run_going_unless_asked() {
    let stack = Stack::with_moto(manual_moto());
    let job = stack.spark_job(|j| j);
    let run = stack.start(&job, &["--wait", "--poll", "1s", "--wait-timeout", "2s"]);
    run.assert_code(25);
    assert!(
        run.stderr.contains("is still STARTING and goes on"),
        "{}",
        run.stderr
    );

    for (stop, state) in [(false, "STARTING"), (true, "STOPPED")] {
        let job = stack.spark_job(|j| j);
        let extra: &[&str] = if stop { &["--stop-on-interrupt"] } else { &[] };
        let child = stack.spawn_wait(&job, extra);
        let id = stack.run_id(&job);
        std::thread::sleep(Duration::from_millis(1000));
        let kill = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let run = finish(child);
        run.assert_code(130);
        assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
        let runs = stack.moto.job_runs(&job);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].id, id);
        assert_eq!(runs[0].state, state, "stop={stop}");
    }
}

#[test]
fn refuses_wait_flags_without_wait_and_several_jobs() {
    let stack = Stack::with_moto(manual_moto());
    let job = stack.spark_job(|j| j);
    stack.start(&job, &["--poll", "5s"]).assert_code(2);
    stack
        .start(&job, &["--wait", "--poll", "100ms"])
        .assert_code(2);
    let run = stack.start(&job, &["--wait", "--job", "other"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--wait follows one run"),
        "{}",
        run.stderr
    );
    assert!(stack.sent_runs(&job).is_empty());
}

/// On a terminal: a live line, redrawn in place, with no token on screen.
#[test]
fn a_live_line_on_a_terminal() {
    let stack = Stack::with_moto(manual_moto());
    let job = stack.spark_job(|j| j);
    let mut env = aws_env(&stack.moto.url, &stack.emulator.base_url());
    env.push(("TERM".to_owned(), "xterm-256color".to_owned()));
    let command = format!(
        "{} start --job {job} --domain {DOMAIN} --repository {REPOSITORY} --wait --poll 1s",
        env!("CARGO_BIN_EXE_glue-codeartifact")
    );
    let typescript = crate::util::scratch(&test_stack::unique_name("pty")).file("typescript");
    // `script` runs the command on a pseudo-terminal and records the screen.
    let child = command_with_env("script", &env)
        .args(["-q", "-e", "-c", &command])
        .arg(&typescript)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = stack.run_id(&job);
    std::thread::sleep(Duration::from_millis(2500));
    stack.set_run_state(&job, &id, "SUCCEEDED", None);
    let run = finish(child);
    run.assert_code(0);
    let screen = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    assert!(
        screen.contains(&format!("{job} {id}: STARTING")),
        "{screen}"
    );
    assert!(
        screen.contains('\r') || screen.contains("\x1b["),
        "redrawn in place: {screen:?}"
    );
    assert!(
        screen.contains(&format!("{job} {id}: SUCCEEDED")),
        "{screen}"
    );
    stack.assert_no_token(&screen, "the terminal");
}

#[test]
fn an_error_message_that_quotes_the_token_is_shown_redacted() {
    let stack = Stack::with_moto(manual_moto());
    for output in ["text", "json"] {
        let job = stack.spark_job(|j| j);
        let child = stack.spawn_wait(&job, &["--output", output]);
        let id = stack.run_id(&job);
        let sent = stack.sent_runs(&job);
        let option = sent[0]["Arguments"]["--python-modules-installer-option"]
            .as_str()
            .unwrap()
            .to_owned();
        let message = format!(
            "pip failed with arguments [{option}] and --extra-index-url 'https://bob:hunter2 x@other.example/~t/simple/?a&b' and https://BARETOKEN@other.example/"
        );
        std::thread::sleep(Duration::from_millis(1200));
        stack.set_run_state(&job, &id, "FAILED", Some(&message));
        let run = finish(child);
        run.assert_code(20);
        stack.assert_no_token(&run.both(), "--wait output");
        for secret in ["hunter2", "BARETOKEN"] {
            assert!(!run.both().contains(secret), "{output}: {}", run.both());
        }
        assert!(
            run.both().contains("pip failed with arguments"),
            "{}",
            run.both()
        );
        assert!(
            run.both().contains("https://bob:****@other.example/"),
            "{}",
            run.both()
        );
    }
}
