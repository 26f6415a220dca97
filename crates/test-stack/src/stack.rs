//! One test's stand-ins, shared by the CLI's and the Lambda's suites: the
//! shared moto and a CodeArtifact emulator of the test's own (so that faults
//! and clock moves stay within the test), serving one repository whose
//! packages are a scratch directory. Each suite wraps this [`Stack`] with its
//! own ways of running the product (the CLI binary; the Lambda handler or
//! `bootstrap`).

use std::path::PathBuf;

use codeartifact_emulator::{Config, EmulatorHandle, Repository, TokenStyle};
use serde_json::Value;

use crate::{
    JobSpec, Moto,
    scratch::{Scratch, scratch},
    unique_name,
};

/// The CodeArtifact domain of every [`Stack`]'s repository.
pub const DOMAIN: &str = "acme";
/// The CodeArtifact repository every [`Stack`] serves.
pub const REPOSITORY: &str = "py-internal";

/// One test's stand-ins (see the module's documentation).
pub struct Stack {
    /// The moto server (Glue, S3, CloudWatch Logs).
    pub moto: &'static Moto,
    /// This test's CodeArtifact emulator.
    pub emulator: EmulatorHandle,
    /// The repository's packages (add wheels with [`crate::make_wheel`]).
    pub packages: PathBuf,
    /// Owns `packages`: removed after the emulator stops (fields drop in
    /// order).
    _packages_dir: Scratch,
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl Stack {
    /// The shared moto and an emulator with plain tokens.
    pub fn new() -> Self {
        Self::with_style(TokenStyle::Plain)
    }

    /// A stack on a moto server of the caller's (e.g. a private one whose
    /// global state manager a test changes).
    pub fn with_moto(moto: &'static Moto) -> Self {
        Stack {
            moto,
            ..Self::new()
        }
    }

    /// A stack whose emulator issues tokens of `token_style`.
    pub fn with_style(token_style: TokenStyle) -> Self {
        Self::with_config(|c| c.token_style = token_style)
    }

    /// A stack whose emulator's configuration `tweak` changes.
    pub fn with_config(tweak: impl FnOnce(&mut Config)) -> Self {
        let packages_dir = scratch("packages");
        let packages = packages_dir.path().to_path_buf();
        let mut config = Config {
            repositories: vec![Repository {
                domain: DOMAIN.into(),
                name: REPOSITORY.into(),
                packages_dir: packages.clone(),
            }],
            ..Config::default()
        };
        tweak(&mut config);
        let emulator = EmulatorHandle::spawn(config).expect("the CodeArtifact emulator starts");
        Stack {
            moto: Moto::shared(),
            emulator,
            packages,
            _packages_dir: packages_dir,
        }
    }

    /// A Spark job under a unique name with `prefix`, asking for the private
    /// module `acme-tools==1.2.0` and allowing 10 concurrent runs, that
    /// `configure` changes; created in moto. Returns its name.
    pub fn create_spark_job(
        &self,
        prefix: &str,
        configure: impl FnOnce(JobSpec) -> JobSpec,
    ) -> String {
        let name = unique_name(prefix);
        let spec = JobSpec::spark(&name)
            .default_argument("--additional-python-modules", "acme-tools==1.2.0")
            .max_concurrent_runs(10);
        self.moto.create_job(&configure(spec));
        name
    }

    /// The `StartJobRun` requests moto received for `job`.
    pub fn sent_runs(&self, job: &str) -> Vec<Value> {
        self.moto.sent_requests("StartJobRun", job)
    }

    /// The installer option each `StartJobRun` for `job` was sent with.
    pub fn sent_installer_options(&self, job: &str) -> Vec<String> {
        self.sent_runs(job)
            .iter()
            .map(|run| {
                run["Arguments"]["--python-modules-installer-option"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// Asserts that no token the emulator issued appears in `text`, in any
    /// form that could leak ([`crate::token_forms`]: the product's own
    /// encoding and the Debug bytes included).
    #[track_caller]
    pub fn assert_no_token(&self, text: &str, context: &str) {
        crate::assert_no_token(&self.emulator.issued_tokens(), text, context);
    }
}

/// A current-thread tokio runtime, for a test that calls async code (the
/// Lambda handler, an SDK client) from a plain `#[test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
