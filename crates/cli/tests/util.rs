//! The harness: the real `glue-codeartifact` binary against moto (Glue) and
//! the CodeArtifact emulator, both over HTTP on 127.0.0.1.

use std::{
    ops::Deref,
    process::{Child, Output, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

use codeartifact_emulator::{Config, TokenStyle};
pub use test_stack::scratch::scratch;
pub use test_stack::{DOMAIN, REPOSITORY};
use test_stack::{JobSpec, Moto, aws_env, command_with_env};

pub const ACCOUNT: &str = "123456789012";

/// One test's stand-ins ([`test_stack::Stack`]: the shared moto and an
/// emulator of its own), with the ways to run the CLI against them.
pub struct Stack(test_stack::Stack);

impl Deref for Stack {
    type Target = test_stack::Stack;

    fn deref(&self) -> &test_stack::Stack {
        &self.0
    }
}

impl From<test_stack::Stack> for Stack {
    fn from(stack: test_stack::Stack) -> Self {
        Stack(stack)
    }
}

impl Stack {
    pub fn new() -> Self {
        test_stack::Stack::new().into()
    }

    /// See [`test_stack::Stack::with_moto`].
    pub fn with_moto(moto: &'static Moto) -> Self {
        test_stack::Stack::with_moto(moto).into()
    }

    pub fn with_style(token_style: TokenStyle) -> Self {
        test_stack::Stack::with_style(token_style).into()
    }

    /// A stack whose emulator's configuration `tweak` changes.
    pub fn with_config(tweak: impl FnOnce(&mut Config)) -> Self {
        test_stack::Stack::with_config(tweak).into()
    }

    /// A Spark job with private modules, created in moto under a unique name.
    pub fn spark_job(&self, configure: impl FnOnce(JobSpec) -> JobSpec) -> String {
        self.create_spark_job("etl", configure)
    }

    /// `start --wait --poll 1s` for `job`, then `extra` flags, spawned with
    /// its output piped; [`finish`] collects it.
    pub fn spawn_wait(&self, job: &str, extra: &[&str]) -> Child {
        let env = aws_env(&self.moto.url, &self.emulator.base_url());
        command_with_env(env!("CARGO_BIN_EXE_glue-codeartifact"), &env)
            .args(job_command("start", job))
            .args(["--wait", "--poll", "1s"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("glue-codeartifact runs")
    }

    /// The id of the run the CLI started for `job` (waits until moto has it).
    pub fn run_id(&self, job: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(run) = self.moto.job_runs(job).into_iter().next() {
                return run.id;
            }
            assert!(Instant::now() < deadline, "no run was started");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Moves run `run_id` of `job` to `state` (with `error` as Glue's
    /// ErrorMessage), as Glue would; every run reports 12.5 DPU-seconds.
    pub fn set_run_state(&self, job: &str, run_id: &str, state: &str, error: Option<&str>) {
        self.moto
            .set_job_run_state(job, run_id, state, error, Some(12.5));
    }

    /// Runs the CLI with the stand-ins' environment.
    pub fn cli(&self, args: &[&str]) -> Run {
        self.cli_env(args, &[])
    }

    /// Runs the CLI with extra environment variables (later pairs win).
    pub fn cli_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut env = aws_env(&self.moto.url, &self.emulator.base_url());
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        run_cli(args, &env)
    }

    /// `start` with the stand-ins' domain and repository.
    pub fn start(&self, job: &str, extra: &[&str]) -> Run {
        self.start_env(job, extra, &[])
    }

    /// [`Stack::start`] with extra environment variables.
    pub fn start_env(&self, job: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args = job_command("start", job);
        args.extend_from_slice(extra);
        self.cli_env(&args, env)
    }

    /// `doctor` for `job` with the stand-ins' domain and repository, then
    /// `extra` flags (and extra environment variables); asserts that no
    /// token is in its output.
    pub fn doctor(&self, job: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args = job_command("doctor", job);
        args.extend_from_slice(extra);
        let run = self.cli_env(&args, env);
        self.assert_no_token(&run.both(), &format!("doctor {extra:?}"));
        run
    }

    /// [`Stack::doctor`] with `--output json --no-whole-tree` (the top-level
    /// rules; the whole tree is crates/cli/tests/lock.rs's), then `extra`.
    pub fn doctor_json(&self, job: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut args = vec!["--output", "json", "--no-whole-tree"];
        args.extend_from_slice(extra);
        self.doctor(job, &args, env)
    }

    /// `lock --output json` for `job` into `out` (see [`Stack::lock`]).
    pub fn lock_json(&self, job: &str, out: &std::path::Path, env: &[(&str, &str)]) -> Run {
        self.lock(job, out, &["--output", "json"], env)
    }

    /// `lock` for `job` into `out` with the test venv's uv, then `extra`
    /// flags (and extra environment variables); see [`Stack::lock_with_uv`].
    pub fn lock(
        &self,
        job: &str,
        out: &std::path::Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Run {
        let uv = test_stack::uv().to_string_lossy().into_owned();
        self.lock_with_uv(job, out, Some(&uv), extra, env)
    }

    /// `lock` for `job` into `out` with `--uv UV` (none: the environment's
    /// or PATH's uv), then `extra` flags (and extra environment variables);
    /// asserts that no token is in its output or the lock file.
    pub fn lock_with_uv(
        &self,
        job: &str,
        out: &std::path::Path,
        uv: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Run {
        let out_arg = out.to_string_lossy().into_owned();
        let mut args = job_command("lock", job);
        args.extend_from_slice(&["-o", &out_arg]);
        if let Some(uv) = uv {
            args.extend_from_slice(&["--uv", uv]);
        }
        args.extend_from_slice(extra);
        let run = self.cli_env(&args, env);
        self.assert_no_token(&run.both(), &format!("lock {extra:?}"));
        if let Ok(lock) = std::fs::read_to_string(out) {
            self.assert_no_token(&lock, "the lock file");
        }
        run
    }
}

/// The outcome of one CLI run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn both(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// `COMMAND --job JOB` with the stand-ins' domain and repository: the
/// start of most command lines here.
pub fn job_command<'a>(command: &'a str, job: &'a str) -> Vec<&'a str> {
    vec![
        command,
        "--job",
        job,
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
    ]
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub fn run_cli(args: &[&str], env: &[(String, String)]) -> Run {
    command_with_env(env!("CARGO_BIN_EXE_glue-codeartifact"), env)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("glue-codeartifact runs")
        .into()
}

/// Waits for a CLI spawned with [`Stack::spawn_wait`] to exit.
pub fn finish(child: Child) -> Run {
    child
        .wait_with_output()
        .expect("glue-codeartifact exits")
        .into()
}

/// A private moto, shared by the tests of this binary that follow a run
/// with `start --wait`, whose runs stay STARTING until a test moves them
/// ([`Stack::set_run_state`]).
pub fn manual_moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start_manual_runs)
}

/// The run arguments of the one `StartJobRun` request sent for `job`.
pub fn only_run_arguments(stack: &Stack, job: &str) -> serde_json::Map<String, serde_json::Value> {
    let sent = stack.sent_runs(job);
    assert_eq!(sent.len(), 1, "exactly one StartJobRun for {job}: {sent:?}");
    sent[0]["Arguments"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}
