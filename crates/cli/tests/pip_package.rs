//! `pip install glue-codeartifact`: the wheel maturin builds from the root
//! `pyproject.toml`, installed with pip into a fresh venv from local files
//! only (the uv wheel it depends on comes from `scripts/setup`), runs
//! against the stand-ins: one `start`, and one `lock`, which runs uv. The
//! venv's `bin/` is the only Python directory on `PATH` and no `--uv` or
//! `GLUE_CODEARTIFACT_UV` is given, so the uv `lock` finds, and runs, is the
//! one the package brought.
//!
//! `scripts/test` builds the wheel (`maturin build`, a debug build in the
//! same target directory) and runs this test with
//! `GLUE_CODEARTIFACT_TEST_WHEEL_DIR` set.

use std::{path::Path, process::Command};

use crate::util::{DOMAIN, REPOSITORY, Stack, job_command, scratch};
use test_stack::{
    aws_env, command_with_env, make_wheel, make_wheel_requiring, repo_root, unique_name,
};

fn run(command: &mut Command) -> String {
    let output = command.output().expect("the command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The uv version pinned for the tests (and in pyproject.toml's range).
fn pinned_uv() -> String {
    let requirements =
        std::fs::read_to_string(repo_root().join("crates/test-stack/python/requirements.txt"))
            .expect("requirements.txt");
    requirements
        .lines()
        .find_map(|l| l.trim().strip_prefix("uv=="))
        .expect("requirements.txt pins uv==X")
        .trim()
        .to_owned()
}

#[test]
#[ignore = "needs the wheel: scripts/test builds it with maturin and runs this with GLUE_CODEARTIFACT_TEST_WHEEL_DIR"]
fn installed_package_starts_a_run_and_locks_with_its_own_uv() {
    let wheels = std::env::var_os("GLUE_CODEARTIFACT_TEST_WHEEL_DIR").expect(
        "GLUE_CODEARTIFACT_TEST_WHEEL_DIR: the directory `maturin build --out DIR` wrote (scripts/test sets it)",
    );
    let offline = repo_root().join(".venv/pip-wheels");
    assert!(
        offline.is_dir(),
        "{} holds the uv wheel; run scripts/setup",
        offline.display()
    );

    let venv = scratch(&unique_name("pip-package"));
    run(Command::new(test_stack::python())
        .args(["-m", "venv"])
        .arg(&venv));
    let bin = venv.join("bin");
    run(Command::new(bin.join("pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
        ])
        .arg(&wheels)
        .arg("--find-links")
        .arg(&offline)
        .arg("glue-codeartifact"));

    let path = format!("{}:/usr/bin:/bin", bin.display());
    let uv = run(command_with_env("uv", &[("PATH".into(), path.clone())]).arg("--version"));
    assert!(
        uv.starts_with(&format!("uv {}", pinned_uv())),
        "the uv on PATH is the package's dependency: {uv}"
    );
    assert!(Path::new(&bin.join("uv")).is_file());

    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let mut env = aws_env(&stack.moto.url, &stack.emulator.base_url());
    env.push(("PATH".into(), path));
    let installed = bin.join("glue-codeartifact");
    let output = command_with_env(&installed, &env)
        .args(job_command("start", &job))
        .output()
        .expect("the installed glue-codeartifact runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim().starts_with("jr_"),
        "the installed command starts a run:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stack.sent_runs(&job).len(), 1, "one StartJobRun");

    // `lock` resolves with uv: the one beside the installed binary.
    make_wheel_requiring(&stack.packages, "acme-tools", "1.2.0", &["acme-core>=2"]);
    make_wheel(&stack.packages, "acme-core", "2.1.0");
    let locked_job = stack.spark_job(|spec| {
        spec.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", "acme-tools")
    });
    let lock = venv.join("pylock.toml");
    env.push(("RUST_LOG".into(), "debug".into()));
    let output = command_with_env(&installed, &env)
        .args([
            "lock",
            "--job",
            &locked_job,
            "--domain",
            DOMAIN,
            "--repository",
            REPOSITORY,
            "--output",
            "json",
            "-o",
        ])
        .arg(&lock)
        .output()
        .expect("the installed glue-codeartifact runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the installed command locks the job:\n{stdout}\n{stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("lock --output json");
    let names: Vec<&str> = json["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["acme-core", "acme-tools"], "{json}");
    assert!(lock.is_file(), "the lock is written");
    let venv_uv = bin.join("uv");
    assert!(
        stderr.contains("found uv") && stderr.contains(&format!("uv={}", venv_uv.display())),
        "lock ran the venv's uv, {}:\n{stderr}",
        venv_uv.display()
    );
    stack.assert_no_token(&stdout, "lock's output");
    stack.assert_no_token(&stderr, "lock's log at debug level");
    stack.assert_no_token(
        &std::fs::read_to_string(&lock).expect("the lock"),
        "the lock file",
    );
    std::fs::remove_dir_all(&venv).ok();
}
