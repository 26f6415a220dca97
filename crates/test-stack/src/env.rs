//! Environments for the processes that tests start, and unique names.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_glue::config::timeout::TimeoutConfig;
use aws_sdk_glue::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_types::SdkConfig;

/// Region every stand-in runs in.
pub(crate) const REGION: &str = "us-east-1";
/// The fake access key (and secret) the stand-ins accept.
pub(crate) const FAKE_KEY: &str = "testing";

/// The AWS SDK configuration of this crate's own clients (fixtures and
/// checks, never the product's) for a stand-in at `endpoint`: [`REGION`],
/// the fake credentials, and a 60 s limit per operation.
pub(crate) fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            FAKE_KEY,
            FAKE_KEY,
            None,
            None,
            "test-stack",
        )))
        .endpoint_url(endpoint)
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .build()
}

/// Variables kept from the test process by [`command_with_env`]; all others
/// are dropped.
const KEPT_VARIABLES: &[&str] = &[
    "PATH",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "RUST_BACKTRACE",
    // So coverage tools (cargo-llvm-cov) still see the binaries' runs.
    "LLVM_PROFILE_FILE",
];

/// A name no other test of this process (or of another test process) uses:
/// `{prefix}-{pid}-{counter}`.
///
/// Tests share one moto server, so every Glue job they create needs its own name.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// The environment for running this project's binaries against the stand-ins.
///
/// - `AWS_REGION=us-east-1` and fake static credentials (`testing`/`testing`);
/// - `AWS_EC2_METADATA_DISABLED=true`, and `AWS_CONFIG_FILE` /
///   `AWS_SHARED_CREDENTIALS_FILE` pointing at an empty file,
///   so nothing from the developer's own AWS setup leaks in;
/// - `AWS_ENDPOINT_URL_GLUE=glue_url`, `AWS_ENDPOINT_URL_S3=glue_url` (moto
///   serves S3 on the same port) and
///   `AWS_ENDPOINT_URL_CODEARTIFACT=codeartifact_url` (the SDK's own
///   per-service endpoint variables), and
///   `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=glue_url` (moto serves Logs too);
/// - `AWS_MAX_ATTEMPTS=1`, so a failure shows at once (a test about retries
///   appends its own value: later pairs win in [`Command::envs`]).
///
/// Apply it with [`command_with_env`], which also drops inherited `AWS_*`
/// variables.
pub fn aws_env(glue_url: &str, codeartifact_url: &str) -> Vec<(String, String)> {
    let mut env = fake_credentials_env();
    env.extend([
        pair("AWS_ENDPOINT_URL_GLUE", glue_url),
        pair("AWS_ENDPOINT_URL_S3", glue_url),
        pair("AWS_ENDPOINT_URL_CODEARTIFACT", codeartifact_url),
        // moto serves every service on its one port: CloudWatch Logs too.
        pair("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", glue_url),
        pair("AWS_MAX_ATTEMPTS", "1"),
    ]);
    env
}

/// Region, fake credentials and no AWS config files: the part of
/// [`aws_env`] that does not depend on the stand-ins.
pub(crate) fn fake_credentials_env() -> Vec<(String, String)> {
    let empty = crate::scratch::process_dir().join("empty-aws-config");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("cannot write {}: {e}", empty.display()));
    let empty = empty.to_string_lossy();
    vec![
        pair("AWS_REGION", REGION),
        pair("AWS_ACCESS_KEY_ID", FAKE_KEY),
        pair("AWS_SECRET_ACCESS_KEY", FAKE_KEY),
        pair("AWS_EC2_METADATA_DISABLED", "true"),
        pair("AWS_CONFIG_FILE", &empty),
        pair("AWS_SHARED_CREDENTIALS_FILE", &empty),
    ]
}

/// A [`Command`] for `program` that sees only `env` plus a few harmless
/// variables of the test process.
///
/// The environment is cleared, then `PATH`, `LANG`, `LC_ALL`, `TMPDIR`,
/// `RUST_BACKTRACE` and `LLVM_PROFILE_FILE` are kept if set, `HOME` points at
/// an empty scratch directory, and `env` is applied. So inherited `AWS_*`,
/// `GLUE_CODEARTIFACT_*`, `RUST_LOG` and the like never reach the program.
pub fn command_with_env(program: impl AsRef<OsStr>, env: &[(String, String)]) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    for name in KEPT_VARIABLES {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.env("HOME", home_dir());
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

/// An empty `HOME` for the programs tests start.
fn home_dir() -> PathBuf {
    let home = crate::scratch::process_dir().join("home");
    std::fs::create_dir_all(&home)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", home.display()));
    home
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_carry_the_pid() {
        let a = unique_name("job");
        let b = unique_name("job");
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("job-{}-", std::process::id())));
    }

    #[test]
    fn aws_env_points_the_sdk_at_the_stand_ins() {
        let env = aws_env("http://127.0.0.1:1", "http://127.0.0.1:2");
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("AWS_ENDPOINT_URL_GLUE"), Some("http://127.0.0.1:1"));
        assert_eq!(
            get("AWS_ENDPOINT_URL_CODEARTIFACT"),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(get("AWS_REGION"), Some("us-east-1"));
        let config = std::fs::read(get("AWS_CONFIG_FILE").unwrap()).unwrap();
        assert!(config.is_empty());
    }

    #[test]
    fn command_with_env_drops_inherited_variables() {
        let command = command_with_env("true", &[pair("AWS_REGION", "eu-west-1")]);
        let envs: Vec<_> = command.get_envs().collect();
        assert!(
            envs.iter()
                .any(|(k, v)| *k == "AWS_REGION" && *v == Some(OsStr::new("eu-west-1")))
        );
        assert!(envs.iter().any(|(k, _)| *k == "HOME"));
        assert!(envs.iter().all(|(k, _)| {
            let k = k.to_string_lossy();
            k == "AWS_REGION" || k == "HOME" || KEPT_VARIABLES.contains(&k.as_ref())
        }));
    }
}
