//! `start_cached_until`: a start bounded by a caller's deadline (the
//! Lambda's invocation deadline) ends by it, with an error that says whether
//! a run may have started, against moto (Glue, with injected delays) and the
//! CodeArtifact emulator.

use std::time::{Duration, Instant};

use codeartifact_emulator::{Config, EmulatorHandle, Repository};
use glue_codeartifact_app::{
    Error, RepositoryRef, Services, WarmCache,
    start::{StartOutcome, StartRequest, start_cached_until},
};
use glue_codeartifact_aws::{AwsSettings, CodeArtifact, Glue, Logs, S3, Timeouts};
use glue_codeartifact_domain::{
    duration::TokenDuration, installer_option::IndexMode, token_cache::MinTokenLife,
};
use test_stack::{GlueFault, GlueFaultKind, JobSpec, Moto, unique_name};

const DOMAIN: &str = "acme";
const REPOSITORY: &str = "py-internal";

struct Fixture {
    moto: &'static Moto,
    _emulator: EmulatorHandle,
    /// The emulator's (empty) packages directory, removed on drop.
    _packages: tempfile::TempDir,
    services: Services,
    runtime: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let packages = tempfile::tempdir().unwrap();
    let emulator = EmulatorHandle::spawn(Config {
        repositories: vec![Repository {
            domain: DOMAIN.into(),
            name: REPOSITORY.into(),
            packages_dir: packages.path().to_path_buf(),
        }],
        ..Config::default()
    })
    .unwrap();
    let moto = Moto::shared();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The timeouts the CLI and the Lambda use by default, via the real
    // settings loader: attempt 8 s, operation 12 s, 3 attempts.
    let settings = AwsSettings {
        region: Some("us-east-1".into()),
        timeouts: Timeouts::default(),
        ..AwsSettings::default()
    };
    let load = || {
        runtime
            .block_on(glue_codeartifact_aws::load_sdk_config(&settings))
            .unwrap()
    };
    // The clients are built under the lock too: a client reads the
    // environment's endpoint settings when it is built, and a parallel
    // fixture may be pointing AWS_ENDPOINT_URL elsewhere.
    let services = Services {
        glue: temp_env(moto.url.clone(), || Glue::new(&load())),
        codeartifact: temp_env(emulator.base_url(), || CodeArtifact::new(&load())),
        s3: temp_env(moto.url.clone(), || S3::new(&load())),
        logs: temp_env(moto.url.clone(), || Logs::new(&load())),
        region: "us-east-1".into(),
    };
    Fixture {
        moto,
        _emulator: emulator,
        _packages: packages,
        services,
        runtime,
    }
}

/// Runs `f` with the environment of a test process that points the SDK at
/// `endpoint` with fake credentials.
fn temp_env<T>(endpoint: String, f: impl FnOnce() -> T) -> T {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let vars = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    // SAFETY: only this test binary's fixtures set these, one at a time
    // under LOCK, and the SDK reads them while `f` runs.
    #[expect(unsafe_code, reason = "std::env::set_var, see SAFETY")]
    unsafe {
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }
    f()
}

fn request(job: &str) -> StartRequest {
    StartRequest {
        job: job.to_owned(),
        repository: RepositoryRef {
            domain: DOMAIN.into(),
            domain_owner: None,
            repository: REPOSITORY.into(),
            endpoint_type: None,
            endpoint_host: None,
        },
        duration: TokenDuration::from_secs(3600).unwrap(),
        mode: IndexMode::IndexUrl,
        arguments: Vec::new(),
        dry_run: false,
    }
}

fn job(moto: &Moto) -> String {
    let name = unique_name("deadline");
    moto.create_job(
        &JobSpec::spark(&name)
            .default_argument("--additional-python-modules", "acme-tools==1.2.0")
            .max_concurrent_runs(10),
    );
    name
}

fn cache() -> WarmCache {
    WarmCache::new(MinTokenLife::new(
        Duration::from_secs(30 * 60),
        Duration::from_secs(60),
    ))
}

/// Starts a new job whose `operation` call Glue holds back for `held`,
/// with a deadline `deadline` from now; returns the job, the result and how
/// long the call took.
fn start_held(
    f: &Fixture,
    operation: &str,
    held: Duration,
    deadline: Duration,
) -> (String, Result<StartOutcome, Error>, Duration) {
    let job = job(f.moto);
    f.moto.inject_glue_fault(&GlueFault::new(
        operation,
        &job,
        GlueFaultKind::Delay(held),
        1,
    ));
    let started = Instant::now();
    let result = f.runtime.block_on(start_cached_until(
        &f.services,
        &cache(),
        &request(&job),
        started + deadline,
    ));
    (job, result, started.elapsed())
}

#[test]
fn slow_reads_end_at_the_deadline_with_nothing_started() {
    let f = fixture();
    let (job, result, elapsed) = start_held(
        &f,
        "GetJob",
        Duration::from_secs(6),
        Duration::from_millis(1500),
    );
    assert!(
        elapsed < Duration::from_millis(1800),
        "ended after {elapsed:?}"
    );
    let err = result.unwrap_err();
    assert!(matches!(err, Error::DeadlineReached { .. }), "{err}");
    assert!(err.to_string().contains("nothing was started"), "{err}");
    std::thread::sleep(Duration::from_secs(5));
    assert!(f.moto.job_runs(&job).is_empty());
}

#[test]
fn a_start_in_flight_at_the_deadline_is_reported_as_unknown() {
    let f = fixture();
    let (job, result, elapsed) = start_held(
        &f,
        "StartJobRun",
        Duration::from_secs(4),
        Duration::from_secs(2),
    );
    assert!(
        elapsed < Duration::from_millis(2300),
        "ended after {elapsed:?}"
    );
    let err = result.unwrap_err();
    assert!(matches!(err, Error::StartOutcomeUnknown { .. }), "{err}");
    assert!(
        err.to_string().contains("may or may not have started"),
        "{err}"
    );
    // The held-back request lands: one run, never two.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(f.moto.job_runs(&job).len(), 1);
}

#[test]
fn a_start_well_within_the_deadline_succeeds() {
    let f = fixture();
    let job = job(f.moto);
    let deadline = Instant::now() + Duration::from_secs(20);
    let outcome = f
        .runtime
        .block_on(start_cached_until(
            &f.services,
            &cache(),
            &request(&job),
            deadline,
        ))
        .unwrap();
    let runs = f.moto.job_runs(&job);
    assert_eq!(runs.len(), 1);
    assert_eq!(outcome.job_run_id.as_deref(), Some(runs[0].id.as_str()));
}
