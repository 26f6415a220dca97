//! The harness: moto (Glue) and the CodeArtifact emulator over HTTP on
//! 127.0.0.1, with the function either called in-process ([`Stack::state`])
//! or run as the real `bootstrap` binary under cargo-lambda's Runtime API
//! emulator ([`Lambda`]).
//!
//! `cargo lambda watch --only-lambda-apis` serves the Lambda Runtime API and
//! the invoke endpoint; the `bootstrap` that cargo built for these tests is
//! started against it (the real lambda_runtime client), with the settings in
//! its environment. That is `cargo lambda watch` without its build step:
//! the binary under test is the one just built, and no nested cargo build
//! competes for the target directory.

use std::{
    collections::BTreeMap,
    fs::File,
    net::{Ipv4Addr, TcpListener, TcpStream},
    ops::Deref,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig};
use aws_credential_types::{Credentials, provider::SharedCredentialsProvider};
use glue_codeartifact_app::Services;
use glue_codeartifact_aws::{CodeArtifact, Glue, Logs, S3};
use glue_codeartifact_lambda::{Settings, State};
use serde_json::Value;
use test_stack::scratch::scratch;
use test_stack::{aws_env, command_with_env, repo_root, unique_name};

pub use test_stack::{DOMAIN, REPOSITORY};

/// One test's stand-ins ([`test_stack::Stack`]: the shared moto and an
/// emulator of its own), with the function's settings and in-process state
/// for them.
pub struct Stack(test_stack::Stack);

impl Deref for Stack {
    type Target = test_stack::Stack;

    fn deref(&self) -> &test_stack::Stack {
        &self.0
    }
}

impl Stack {
    pub fn new() -> Self {
        Stack(test_stack::Stack::new())
    }

    /// A Spark job with private modules and `--upgrade`, under a unique name
    /// with `prefix`.
    pub fn spark_job(&self, prefix: &str) -> String {
        self.create_spark_job(prefix, |job| {
            job.default_argument("--python-modules-installer-option", "--upgrade")
        })
    }

    /// The function's settings for this stack (later pairs win).
    pub fn settings_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            pair("GLUE_CODEARTIFACT_DOMAIN", DOMAIN),
            pair("GLUE_CODEARTIFACT_REPOSITORY", REPOSITORY),
        ];
        env.extend(extra.iter().map(|(k, v)| pair(k, v)));
        env
    }

    /// The in-process state of a fresh execution environment.
    pub fn state(&self, extra: &[(&str, &str)]) -> State {
        let env: BTreeMap<String, String> = self.settings_env(extra).into_iter().collect();
        let settings =
            Settings::from_lookup(|name| env.get(name).cloned()).expect("valid settings");
        State::new(settings, self.services())
    }

    /// AWS clients pointed at moto and the emulator, without retries.
    pub fn services(&self) -> Services {
        let config = |endpoint: String| -> SdkConfig {
            SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                    "testing", "testing", None, None, "tests",
                )))
                .retry_config(RetryConfig::disabled())
                .endpoint_url(endpoint)
                .build()
        };
        Services {
            glue: Glue::new(&config(self.moto.url.clone())),
            codeartifact: CodeArtifact::new(&config(self.emulator.base_url())),
            s3: S3::new(&config(self.moto.url.clone())),
            logs: Logs::new(&config(self.moto.url.clone())),
            region: "us-east-1".into(),
        }
    }
}

/// The function running as the real `bootstrap` binary against
/// `cargo lambda watch --only-lambda-apis`. Both processes are stopped (by
/// their process group) when this is dropped.
pub struct Lambda {
    watch: Child,
    function: Option<Child>,
    port: u16,
    dir: test_stack::scratch::Scratch,
}

/// The Lambda function name cargo-lambda uses for a function it does not
/// start itself.
const FUNCTION: &str = "_";

impl Lambda {
    /// Starts the Runtime API emulator, then the function with `env` (the
    /// stand-ins' AWS environment plus `env`).
    pub fn start(stack: &Stack, env: &[(String, String)]) -> Lambda {
        let mut lambda = Lambda::runtime_api_only();
        lambda.start_function(stack, env);
        lambda
    }

    /// Starts only the Runtime API emulator (see [`Lambda::start_function`]).
    pub fn runtime_api_only() -> Lambda {
        let port = free_port();
        let dir = scratch(&unique_name("lambda"));
        let log = File::create(dir.path().join("watch.log")).expect("watch log");
        let mut command = Command::new(cargo_lambda());
        command
            .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address"])
            .arg(Ipv4Addr::LOCALHOST.to_string())
            .arg("--invoke-port")
            .arg(port.to_string())
            .current_dir(repo_root())
            .env_clear()
            .envs(tool_env())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let watch = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start cargo-lambda ({e}); did scripts/setup run?"));
        let lambda = Lambda {
            watch,
            function: None,
            port,
            dir,
        };
        lambda.wait_for_port();
        lambda
    }

    /// Starts `bootstrap` against the Runtime API, as Lambda would: with the
    /// `AWS_LAMBDA_*` variables, the stand-ins' AWS environment and `env`.
    pub fn start_function(&mut self, stack: &Stack, env: &[(String, String)]) {
        let mut all = aws_env(&stack.moto.url, &stack.emulator.base_url());
        all.extend([
            pair(
                "AWS_LAMBDA_RUNTIME_API",
                &format!("http://127.0.0.1:{}/.rt", self.port),
            ),
            pair("AWS_LAMBDA_FUNCTION_NAME", FUNCTION),
            pair("AWS_LAMBDA_FUNCTION_VERSION", "1"),
            pair("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            pair("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]);
        all.extend(env.iter().cloned());
        let out = File::create(self.dir.path().join("function.log")).expect("function log");
        let program = bootstrap_command();
        let mut command = command_with_env(&program[0], &all);
        command
            .args(&program[1..])
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        self.function = Some(command.spawn().expect("bootstrap starts"));
    }

    /// Invokes the function over the invoke endpoint (what
    /// `cargo lambda invoke` and the AWS SDK's Invoke call use).
    pub fn invoke(&self, event: &Value) -> Invocation {
        invoke_at(self.port, event)
    }

    /// The invoke endpoint's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Invokes the function with `cargo lambda invoke`; returns its exit
    /// status and output.
    pub fn invoke_with_cargo_lambda(&self, event: &Value) -> (bool, String, String) {
        let output = Command::new(cargo_lambda())
            .args([
                "lambda",
                "invoke",
                FUNCTION,
                "--invoke-address",
                "127.0.0.1",
            ])
            .arg("--invoke-port")
            .arg(self.port.to_string())
            .arg("--data-ascii")
            .arg(event.to_string())
            .args(["--output-format", "json"])
            .current_dir(repo_root())
            .env_clear()
            .envs(tool_env())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("cargo lambda invoke runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// What the function wrote (its logs), so far.
    pub fn function_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("function.log")).unwrap_or_default()
    }

    /// The function's log lines, each parsed as JSON (panics on a line that
    /// is not JSON: every line must be).
    pub fn log_lines(&self) -> Vec<Value> {
        self.function_log()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("a log line is not JSON ({e}): {line}"))
            })
            .collect()
    }

    /// The function process's id (for reading its memory in /proc).
    pub fn function_pid(&self) -> Option<u32> {
        self.function.as_ref().map(Child::id)
    }

    /// Whether the function process has exited.
    pub fn function_exited(&mut self) -> bool {
        self.function
            .as_mut()
            .and_then(|f| f.try_wait().ok().flatten())
            .is_some()
    }

    fn wait_for_port(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen on {}:\n{}",
                self.port,
                std::fs::read_to_string(self.dir.path().join("watch.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Lambda {
    fn drop(&mut self) {
        // Each process leads its own group: stop the group, children
        // included, by its id.
        for child in self
            .function
            .iter_mut()
            .chain(std::iter::once(&mut self.watch))
        {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One invocation's answer: HTTP 200 with the response, or an error
/// `{"errorType", "errorMessage"}`.
#[derive(Debug)]
pub struct Invocation {
    pub status: u16,
    pub body: Value,
}

impl Invocation {
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "the invocation failed: {}", self.body);
        assert!(
            self.body.get("errorType").is_none(),
            "the invocation failed: {}",
            self.body
        );
        &self.body
    }

    /// The error message, after checking the error type. (The status is not
    /// checked: cargo-lambda answers a handler error with 500 but an init
    /// error with 200, and real Lambda answers both with 200 and an
    /// `X-Amz-Function-Error` header.)
    #[track_caller]
    pub fn error(&self, error_type: &str) -> String {
        assert_eq!(self.body["errorType"], error_type, "{}", self.body);
        self.body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The command that runs the function: the `bootstrap` cargo built for
/// these tests, or `GLUE_CODEARTIFACT_TEST_BOOTSTRAP` (words separated by
/// spaces) to run another build of it, e.g. the arm64 release binary under
/// qemu: `qemu-aarch64 -L /usr/aarch64-linux-gnu target/aarch64-unknown-linux-gnu/release/bootstrap`.
fn bootstrap_command() -> Vec<String> {
    match std::env::var("GLUE_CODEARTIFACT_TEST_BOOTSTRAP") {
        Ok(command) if !command.trim().is_empty() => {
            command.split_whitespace().map(str::to_owned).collect()
        }
        _ => vec![env!("CARGO_BIN_EXE_bootstrap").to_owned()],
    }
}

/// Invokes the function served on `port` (see [`Lambda::invoke`]).
pub fn invoke_at(port: u16, event: &Value) -> Invocation {
    let path = format!("/2015-03-31/functions/{FUNCTION}/invocations");
    // The first invocation may wait for a cold start.
    let (status, body) = test_stack::http::request(
        &format!("http://127.0.0.1:{port}"),
        "POST",
        &path,
        Some(&event.to_string()),
        Duration::from_secs(120),
    );
    let body = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("the invocation answered non-JSON ({e}): {body}"));
    Invocation { status, body }
}

/// `cargo-lambda` from the repository's venv (scripts/setup installs it).
pub fn cargo_lambda() -> PathBuf {
    let path = repo_root().join(".venv/bin/cargo-lambda");
    assert!(
        path.exists(),
        "{} is missing; run scripts/setup",
        path.display()
    );
    path
}

/// The environment for the cargo-lambda tool itself: enough to find cargo
/// (it runs `cargo metadata`), and nothing of AWS.
fn tool_env() -> Vec<(String, String)> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let mut env = vec![
        pair("HOME", &home),
        pair(
            "CARGO_HOME",
            &std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo")),
        ),
        pair(
            "RUSTUP_HOME",
            &std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup")),
        ),
        pair("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    for name in [
        "PATH",
        "CARGO",
        "CARGO_TARGET_DIR",
        "RUSTUP_TOOLCHAIN",
        "TMPDIR",
        "LANG",
    ] {
        if let Ok(value) = std::env::var(name) {
            env.push(pair(name, &value));
        }
    }
    env
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

/// The token in an installer option `--index-url=http://aws:TOKEN@…`.
pub fn token_of(option: &str) -> String {
    option
        .split("aws:")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .unwrap_or_default()
        .to_owned()
}

/// A Spark job under a unique name with `prefix` that asks for `modules`.
pub fn unique_job(stack: &Stack, prefix: &str, modules: &str) -> String {
    stack.create_spark_job(prefix, |job| {
        job.default_argument("--additional-python-modules", modules)
    })
}

/// Asserts that `msg` names none of the CLI's flags (or its credential
/// variables): a caller of the function has event fields and settings
/// instead. A flag counts only as a whole word, so Glue's own arguments
/// (`--job-bookmark-option`) do not.
#[track_caller]
pub fn assert_no_cli_flag(msg: &str) {
    const FLAGS: [&str; 12] = [
        "--job",
        "--tag",
        "--run-id",
        "--domain",
        "--domain-owner",
        "--repository",
        "--region",
        "--repository-endpoint-host",
        "--duration",
        "--mode",
        "--arg",
        "--operation-timeout",
    ];
    for flag in FLAGS {
        for (at, _) in msg.match_indices(flag) {
            let next = msg[at + flag.len()..].chars().next();
            assert!(
                next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "the message names the CLI flag {flag}: {msg}"
            );
        }
    }
    assert!(!msg.contains("AWS_PROFILE"), "{msg}");
}
