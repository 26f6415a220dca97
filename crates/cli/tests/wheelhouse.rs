//! `wheelhouse`: locked wheels mirrored from the emulator to moto's S3, the
//! job bound to them, and a Glue replay that installs them offline with the
//! emulator stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use test_stack::scratch::ScratchFile;

use glue_codeartifact_python_env::{
    lock::{Lock, LockRuntime, LockedPackage, LockedWheel, ProvidedPackage},
    runtime::{self, GlueVersion},
};
use sha2::{Digest, Sha256};
use test_stack::{
    Moto, S3Fault, S3FaultKind, make_wheel, make_wheel_with, replay_with_image, unique_name,
};

use crate::util::{DOMAIN, REPOSITORY, Run, Stack, job_command};

const MODULES: &str = "--additional-python-modules";
const INSTALLER_OPTION: &str = "--python-modules-installer-option";
const EXIT_JOB_NOT_SUPPORTED: i32 = 9;
const EXIT_ACCESS_DENIED: i32 = 5;
const EXIT_BUCKET_NOT_FOUND: i32 = 44;
const EXIT_LOCK_MISMATCH: i32 = 45;
const EXIT_DOWNLOAD_CORRUPT: i32 = 46;

pub(crate) fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The repository's index URL without credentials (from `index-url`).
pub(crate) fn index_base(stack: &Stack) -> url::Url {
    let run = stack.cli(&["index-url", "--domain", DOMAIN, "--repository", REPOSITORY]);
    run.assert_code(0);
    let mut url = url::Url::parse(run.stdout.trim()).unwrap();
    url.set_username("").unwrap();
    url.set_password(None).unwrap();
    url
}

/// Publishes acme-core 2.1.0 and acme-tools 1.2.0 (which needs acme-core
/// and boto3) and returns their paths.
pub(crate) fn publish(stack: &Stack) -> (PathBuf, PathBuf) {
    let core = make_wheel(&stack.packages, "acme-core", "2.1.0");
    let tools = make_wheel_with(
        &stack.packages,
        "acme-tools",
        "1.2.0",
        &["--requires", "acme-core>=2", "--requires", "boto3"],
    );
    (core, tools)
}

pub(crate) fn locked(index: &url::Url, path: &Path, deps: &[&str]) -> LockedPackage {
    let bytes = std::fs::read(path).unwrap();
    let filename = path.file_name().unwrap().to_string_lossy().into_owned();
    let (name, version) = {
        let mut parts = filename.split('-');
        (
            parts.next().unwrap().replace('_', "-"),
            parts.next().unwrap().to_owned(),
        )
    };
    LockedPackage {
        name: name.parse().unwrap(),
        version: version.parse().unwrap(),
        dependencies: deps.iter().map(|d| d.parse().unwrap()).collect(),
        wheel: LockedWheel {
            url: index.join(&format!("{name}/{version}/{filename}")).unwrap(),
            filename,
            size: Some(bytes.len() as u64),
            sha256: hex(&bytes),
        },
    }
}

/// A lock of acme-tools for Glue `glue` (Spark), written to a scratch file,
/// as `lock` would write it.
pub(crate) fn write_lock(stack: &Stack, glue: &str, core: &Path, tools: &Path) -> ScratchFile {
    let runtime = runtime::spark(GlueVersion::parse(glue).unwrap()).unwrap();
    let index = index_base(stack);
    let boto3 = runtime.provided_version("boto3").unwrap();
    let lock = Lock {
        runtime: LockRuntime::of(runtime),
        requirements: vec!["acme-tools==1.2.0".into()],
        packages: vec![
            locked(&index, core, &[]),
            locked(&index, tools, &["acme-core", "boto3"]),
        ],
        provided: vec![ProvidedPackage {
            name: "boto3".parse().unwrap(),
            version: boto3.parse().unwrap(),
        }],
    };
    let path = crate::util::scratch(&unique_name("lock")).file("pylock.etl.toml");
    std::fs::write(&path, lock.to_toml()).unwrap();
    path
}

pub(crate) fn wheelhouse(
    stack: &Stack,
    job: &str,
    prefix: &str,
    lock: &Path,
    extra: &[&str],
) -> Run {
    wheelhouse_env(stack, job, prefix, lock, extra, &[])
}

fn wheelhouse_env(
    stack: &Stack,
    job: &str,
    prefix: &str,
    lock: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let lock = lock.to_string_lossy();
    let mut args = job_command("wheelhouse", job);
    args.extend_from_slice(&["--s3-prefix", prefix, "--lock", &lock]);
    args.extend_from_slice(extra);
    stack.cli_env(&args, env)
}

/// Everything of a job but the arguments `--bind` writes, for "unchanged".
fn job_without_modules(moto: &Moto, job: &str) -> String {
    let mut job = moto.job(job);
    let mut defaults = job.default_arguments.take().unwrap_or_default();
    defaults.remove(MODULES);
    defaults.remove(INSTALLER_OPTION);
    defaults.remove("--python-virtual-env-storage-prefix");
    let sorted: BTreeMap<_, _> = defaults.into_iter().collect();
    job.last_modified_on = None;
    format!("{job:?} {sorted:?}")
}

/// A new bucket in moto's S3, for a test's wheels.
fn wheels_bucket(stack: &Stack) -> String {
    let bucket = unique_name("wheels");
    stack.moto.create_bucket(&bucket);
    bucket
}

fn puts(moto: &Moto, bucket: &str) -> usize {
    moto.s3_requests(Some("PutObject"), bucket).len()
}

pub(crate) fn bound_job(stack: &Stack, glue: &str) -> String {
    stack.spark_job(|j| {
        j.glue_version(Some(glue))
            .default_argument(INSTALLER_OPTION, "--upgrade")
            .default_argument("--job-language", "python")
            .default_argument("--enable-metrics", "true")
            .timeout_minutes(30)
            .max_retries(1)
            .tag("team", "data")
    })
}

fn bind_then_replay_offline(glue: &str) {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock = write_lock(&stack, glue, &core, &tools);
    let job = bound_job(&stack, glue);
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/glue/wheels/");
    let before = job_without_modules(stack.moto, &job);

    let run = wheelhouse(
        &stack,
        &job,
        &prefix,
        &lock,
        &["--bind", "--output", "json"],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "wheelhouse output");
    let body = run.json();
    assert_eq!(body["uploaded"], 2, "{body}");
    assert_eq!(body["bound"], true);
    // Dependency order: acme-core before acme-tools.
    assert_eq!(body["objects"][0]["package"], "acme-core");
    assert_eq!(body["objects"][1]["package"], "acme-tools");

    // The S3 objects are the source bytes, under content-addressed keys
    // ending in the wheel's own name; no token in keys or metadata.
    let objects = stack.moto.list_objects(&bucket, "glue/wheels/");
    assert_eq!(objects.len(), 2, "{objects:?}");
    for source in [&core, &tools] {
        let bytes = std::fs::read(source).unwrap();
        let file = source.file_name().unwrap().to_string_lossy();
        let key = format!("glue/wheels/sha256/{}/{file}", hex(&bytes));
        assert_eq!(stack.moto.get_object(&bucket, &key), bytes, "{key}");
        let metadata = format!("{:?}", stack.moto.object_metadata(&bucket, &key));
        stack.assert_no_token(&format!("{key} {metadata}"), "S3 key and metadata");
    }
    let put_headers = format!("{:?}", stack.moto.s3_requests(None, &bucket));
    stack.assert_no_token(&put_headers, "S3 requests");

    // The job: wheels in order, --no-index with the user's option kept, no
    // CodeArtifact URL, every other setting unchanged.
    let defaults = stack.moto.job(&job).default_arguments.unwrap();
    let modules = &defaults[MODULES];
    let items: Vec<&str> = modules.split(',').collect();
    assert_eq!(items.len(), 2, "{modules}");
    assert!(
        items[0].ends_with(&*core.file_name().unwrap().to_string_lossy()),
        "{modules}"
    );
    assert!(
        items[1].ends_with(&*tools.file_name().unwrap().to_string_lossy()),
        "{modules}"
    );
    assert_eq!(defaults[INSTALLER_OPTION], "--upgrade --no-index");
    let all = format!("{defaults:?}");
    assert!(
        !all.contains("127.0.0.1:") || !all.contains("simple"),
        "{all}"
    );
    stack.assert_no_token(&all, "the bound job");
    assert_eq!(job_without_modules(stack.moto, &job), before);

    // A second run uploads nothing and mints no token.
    let tokens = stack.emulator.stats().get_authorization_token;
    let put_count = puts(stack.moto, &bucket);
    let updates = stack.moto.sent_requests("UpdateJob", &job).len();
    let run = wheelhouse(
        &stack,
        &job,
        &prefix,
        &lock,
        &["--bind", "--output", "json"],
    );
    run.assert_code(0);
    assert_eq!(run.json()["uploaded"], 0);
    assert_eq!(run.json()["present"], 2);
    assert_eq!(puts(stack.moto, &bucket), put_count, "no upload");
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        tokens,
        "no token"
    );
    assert_eq!(
        stack.moto.sent_requests("UpdateJob", &job).len(),
        updates,
        "a bound job is not rewritten"
    );

    // The offline replay: CodeArtifact is gone; Glue's install needs S3 only.
    assert!(stack.emulator.stats().index > 0);
    replay_offline(stack, &job, glue);
}

/// Stops CodeArtifact (drops `stack`), starts a run of `job` and replays it
/// as a Glue `glue` worker: pip installs acme-tools and acme-core with
/// `--no-index`, from S3 alone. Glue's image provides boto3: a stand-in
/// wheel at the runtime table's version.
fn replay_offline(stack: Stack, job: &str, glue: &str) {
    let moto = stack.moto;
    drop(stack);
    let run_id = moto
        .block_on(moto.glue().start_job_run().job_name(job).send())
        .unwrap()
        .job_run_id
        .unwrap();
    let image = crate::util::scratch(&unique_name("image"));
    let boto3 = runtime::spark(GlueVersion::parse(glue).unwrap())
        .unwrap()
        .provided_version("boto3")
        .unwrap();
    make_wheel(&image, "boto3", boto3);
    let out = replay_with_image(
        &moto.url,
        job,
        &run_id,
        &["acme_tools", "acme_core"],
        Some(&image),
    );
    out.assert_success(&["--no-index"]);
}

#[test]
fn bind_mirrors_and_a_glue_4_replay_installs_offline() {
    bind_then_replay_offline("4.0");
}

#[test]
fn bind_mirrors_and_a_glue_5_replay_installs_offline() {
    bind_then_replay_offline("5.0");
}

#[test]
fn without_bind_prints_the_arguments_and_dry_run_changes_nothing() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock = write_lock(&stack, "5.0", &core, &tools);
    let job = bound_job(&stack, "5.0");
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/w");
    let original = stack.moto.job(&job);
    let tokens = stack.emulator.stats().get_authorization_token;

    let run = wheelhouse(
        &stack,
        &job,
        &prefix,
        &lock,
        &["--bind", "--dry-run", "--output", "json"],
    );
    run.assert_code(0);
    let body = run.json();
    assert_eq!(body["bound"], false);
    assert_eq!(body["objects"][0]["state"], "would-upload");
    assert!(stack.moto.list_objects(&bucket, "").is_empty());
    assert_eq!(
        stack.emulator.stats().get_authorization_token,
        tokens,
        "no token"
    );
    assert_eq!(stack.moto.job(&job), original);

    let run = wheelhouse(&stack, &job, &prefix, &lock, &[]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("{INSTALLER_OPTION}=--upgrade --no-index")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("{MODULES}=s3://{bucket}/w/sha256/")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("not changed"), "{}", run.stderr);
    assert_eq!(stack.moto.list_objects(&bucket, "w/").len(), 2);
    assert_eq!(stack.moto.job(&job), original, "mirrored, not bound");
    stack.assert_no_token(&run.both(), "wheelhouse output");
}

#[test]
fn a_tampered_download_uploads_nothing_and_binds_nothing() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock = write_lock(&stack, "5.0", &core, &tools);
    // The repository's acme-core changes after the lock was made.
    std::fs::write(&core, b"PK\x03\x04 not the locked bytes").unwrap();
    let job = bound_job(&stack, "5.0");
    let bucket = wheels_bucket(&stack);
    let original = stack.moto.job(&job);
    let run = wheelhouse(
        &stack,
        &job,
        &format!("s3://{bucket}/w/"),
        &lock,
        &["--bind"],
    );
    run.assert_code(EXIT_DOWNLOAD_CORRUPT);
    assert!(run.stderr.contains("acme_core-2.1.0"), "{}", run.stderr);
    assert!(
        run.stderr.contains("nothing was uploaded"),
        "{}",
        run.stderr
    );
    assert_eq!(puts(stack.moto, &bucket), 0);
    assert_eq!(stack.moto.job(&job), original);
    stack.assert_no_token(&run.both(), "wheelhouse output");
}

#[test]
fn refused_inputs_change_nothing() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock5 = write_lock(&stack, "5.0", &core, &tools);
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/w/");

    // A lock for Glue 5.0 on a Glue 4.0 job.
    let job4 = bound_job(&stack, "4.0");
    let original = stack.moto.job(&job4);
    let run = wheelhouse(&stack, &job4, &prefix, &lock5, &["--bind"]);
    run.assert_code(EXIT_LOCK_MISMATCH);
    assert!(
        run.stderr.contains("Glue 5.0") && run.stderr.contains("Glue 4.0"),
        "{}",
        run.stderr
    );
    assert_eq!(stack.moto.job(&job4), original);

    // A bucket that does not exist.
    let job5 = bound_job(&stack, "5.0");
    let original = stack.moto.job(&job5);
    let missing = unique_name("no-such-bucket");
    let run = wheelhouse(
        &stack,
        &job5,
        &format!("s3://{missing}/w/"),
        &lock5,
        &["--bind"],
    );
    run.assert_code(EXIT_BUCKET_NOT_FOUND);
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
    assert_eq!(stack.moto.job(&job5), original);

    // A bad S3 URI: a usage error before any call.
    let run = wheelhouse(&stack, &job5, "s3://Not_A_Bucket/w/", &lock5, &["--bind"]);
    run.assert_code(2);
    assert!(run.stderr.contains("bucket name"), "{}", run.stderr);

    // A Python shell job.
    let shell = stack.spark_job(|j| {
        j.command("pythonshell")
            .python_version(Some("3.9"))
            .glue_version(Some("3.0"))
    });
    let original = stack.moto.job(&shell);
    let run = wheelhouse(&stack, &shell, &prefix, &lock5, &["--bind"]);
    run.assert_code(EXIT_JOB_NOT_SUPPORTED);
    assert!(run.stderr.contains("Python shell"), "{}", run.stderr);
    assert_eq!(stack.moto.job(&shell), original);
    assert_eq!(puts(stack.moto, &bucket), 0);
    stack.assert_no_token(&run.both(), "wheelhouse output");
}

#[test]
fn s3_faults_are_retried_within_bounds_and_a_failed_run_binds_nothing() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock = write_lock(&stack, "5.0", &core, &tools);
    let job = bound_job(&stack, "5.0");
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/w/");
    let original = stack.moto.job(&job);

    // A denied PutObject: named, nothing bound.
    stack.moto.inject_s3_fault(&S3Fault::new(
        "PutObject",
        &bucket,
        S3FaultKind::AccessDenied,
        None,
    ));
    let run = wheelhouse(&stack, &job, &prefix, &lock, &["--bind"]);
    stack.moto.clear_s3_faults(&bucket);
    run.assert_code(EXIT_ACCESS_DENIED);
    assert!(run.stderr.contains("s3:PutObject"), "{}", run.stderr);
    assert_eq!(stack.moto.job(&job), original);
    stack.assert_no_token(&run.both(), "wheelhouse output");

    // A 500 that outlasts the attempts: at most AWS_MAX_ATTEMPTS per
    // object, and the job is not bound.
    stack.moto.inject_s3_fault(&S3Fault::new(
        "PutObject",
        &bucket,
        S3FaultKind::InternalError,
        None,
    ));
    let before = puts(stack.moto, &bucket);
    let run = wheelhouse_env(
        &stack,
        &job,
        &prefix,
        &lock,
        &["--bind"],
        &[("AWS_MAX_ATTEMPTS", "3")],
    );
    stack.moto.clear_s3_faults(&bucket);
    assert_ne!(run.code, 0, "{}", run.both());
    assert!(
        puts(stack.moto, &bucket) - before <= 2 * 3,
        "bounded retries"
    );
    assert_eq!(stack.moto.job(&job), original);

    // A 500, a throttle and a reset in the middle of an upload, on the same
    // object's first three attempts: the fourth gets through, then bound.
    for kind in [
        S3FaultKind::InternalError,
        S3FaultKind::Throttle,
        S3FaultKind::ConnectionReset,
    ] {
        stack
            .moto
            .inject_s3_fault(&S3Fault::new("PutObject", &bucket, kind, Some(1)));
    }
    let run = wheelhouse_env(
        &stack,
        &job,
        &prefix,
        &lock,
        &["--bind", "--concurrency", "1"],
        &[("AWS_MAX_ATTEMPTS", "4")],
    );
    run.assert_code(0);
    assert_eq!(stack.moto.list_objects(&bucket, "w/").len(), 2);
    assert!(stack.moto.job(&job).default_arguments.unwrap()[MODULES].starts_with("s3://"));
}

const EXIT_UNRESOLVABLE: i32 = 40;

/// `wheelhouse SOURCE… --s3-prefix PREFIX --uv UV EXTRA…` without `--lock`:
/// it locks first with the real uv against the emulator.
fn wheelhouse_locking(stack: &Stack, source: &[&str], prefix: &str, extra: &[&str]) -> Run {
    let uv = test_stack::uv().to_string_lossy().into_owned();
    let mut args = vec!["wheelhouse"];
    args.extend_from_slice(source);
    args.extend_from_slice(&[
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "--s3-prefix",
        prefix,
        "--uv",
        &uv,
    ]);
    args.extend_from_slice(extra);
    stack.cli(&args)
}

fn lock_path(name: &str) -> ScratchFile {
    crate::util::scratch(&unique_name("lock")).file(format!("pylock.{name}.toml"))
}

#[test]
fn without_lock_it_locks_first_writes_the_lock_then_mirrors_and_binds() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let job = bound_job(&stack, "5.0");
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/w/");
    let before = job_without_modules(stack.moto, &job);

    // A dry run resolves, but writes no lock, uploads nothing, binds nothing.
    let original = stack.moto.job(&job);
    let dry = lock_path("dry");
    let dry_arg = dry.to_string_lossy().into_owned();
    let run = wheelhouse_locking(
        &stack,
        &["--job", &job],
        &prefix,
        &["-o", &dry_arg, "--bind", "--dry-run", "--output", "json"],
    );
    run.assert_code(0);
    assert_eq!(run.json()["objects"][1]["state"], "would-upload");
    assert!(run.json()["lock_file"].is_null(), "{}", run.stdout);
    assert!(!dry.exists(), "a dry run writes no lock");
    assert!(stack.moto.list_objects(&bucket, "").is_empty());
    assert_eq!(stack.moto.job(&job), original);
    stack.assert_no_token(&run.both(), "wheelhouse --dry-run output");

    let out = lock_path("etl");
    let out_arg = out.to_string_lossy().into_owned();
    let run = wheelhouse_locking(
        &stack,
        &["--job", &job],
        &prefix,
        &["-o", &out_arg, "--bind", "--output", "json"],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "wheelhouse output");
    let body = run.json();
    assert_eq!(body["uploaded"], 2, "{body}");
    assert_eq!(body["bound"], true);
    assert_eq!(body["lock_file"], out_arg.as_str());
    assert_eq!(body["objects"][0]["package"], "acme-core");
    assert_eq!(body["objects"][1]["package"], "acme-tools");
    assert_eq!(body["provided"], serde_json::json!(["boto3 1.34.131"]));

    // The lock it wrote is `lock`'s: both wheels with their hashes, no token.
    let text = std::fs::read_to_string(&out).unwrap();
    stack.assert_no_token(&text, "the lock file");
    let lock = Lock::parse(&text).unwrap();
    let hashes: Vec<&str> = lock
        .dependency_order()
        .iter()
        .map(|p| p.wheel.sha256.as_str())
        .collect();
    let want = [
        hex(&std::fs::read(&core).unwrap()),
        hex(&std::fs::read(&tools).unwrap()),
    ];
    assert_eq!(hashes, want);
    for sha in &want {
        let key = format!(
            "w/sha256/{sha}/{}",
            if *sha == want[0] {
                core.file_name().unwrap().to_string_lossy()
            } else {
                tools.file_name().unwrap().to_string_lossy()
            }
        );
        assert!(!stack.moto.get_object(&bucket, &key).is_empty(), "{key}");
    }

    let defaults = stack.moto.job(&job).default_arguments.unwrap();
    assert_eq!(defaults[INSTALLER_OPTION], "--upgrade --no-index");
    assert!(
        defaults[MODULES].starts_with(&format!("s3://{bucket}/w/sha256/")),
        "{defaults:?}"
    );
    stack.assert_no_token(&format!("{defaults:?}"), "the bound job");
    assert_eq!(job_without_modules(stack.moto, &job), before);

    // The written lock mirrors again with nothing new: no upload.
    let puts_before = puts(stack.moto, &bucket);
    let run = wheelhouse(&stack, &job, &prefix, &out, &["--output", "json"]);
    run.assert_code(0);
    assert_eq!(run.json()["uploaded"], 0);
    assert_eq!(puts(stack.moto, &bucket), puts_before);
}

#[test]
fn without_lock_a_resolution_failure_mirrors_nothing_and_binds_nothing() {
    let stack = Stack::new();
    // acme-tools needs acme-core, which the repository does not have.
    make_wheel_with(
        &stack.packages,
        "acme-tools",
        "1.2.0",
        &["--requires", "acme-core>=2"],
    );
    let job = bound_job(&stack, "5.0");
    let bucket = wheels_bucket(&stack);
    let original = stack.moto.job(&job);
    let out = lock_path("etl");
    let out_arg = out.to_string_lossy().into_owned();
    for output in ["text", "json"] {
        let run = wheelhouse_locking(
            &stack,
            &["--job", &job],
            &format!("s3://{bucket}/w/"),
            &["-o", &out_arg, "--bind", "--output", output],
        );
        run.assert_code(EXIT_UNRESOLVABLE);
        assert!(
            run.stderr.contains("acme-core") && run.stderr.contains(REPOSITORY),
            "{}",
            run.stderr
        );
        stack.assert_no_token(&run.both(), "wheelhouse output");
    }
    assert!(!out.exists(), "no lock written");
    assert!(stack.moto.list_objects(&bucket, "").is_empty());
    assert_eq!(puts(stack.moto, &bucket), 0);
    assert_eq!(stack.moto.job(&job), original);
}

#[test]
fn a_requirements_file_without_a_job_is_mirrored_and_the_arguments_printed() {
    let stack = Stack::new();
    publish(&stack);
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/w/");
    let dir = crate::util::scratch(&unique_name("reqs"));
    let requirements = dir.join("requirements.txt");
    std::fs::write(&requirements, "acme-tools==1.2.0\n").unwrap();
    let requirements = requirements.to_string_lossy().into_owned();
    let out = dir.join("pylock.toml");
    let out_arg = out.to_string_lossy().into_owned();
    let source = [
        "--requirements",
        requirements.as_str(),
        "--glue-version",
        "5.0",
    ];

    let run = wheelhouse_locking(&stack, &source, &prefix, &["-o", &out_arg]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("{MODULES}=s3://{bucket}/w/sha256/")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("{INSTALLER_OPTION}=--no-index")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("locked 2 packages"), "{}", run.stderr);
    assert_eq!(stack.moto.list_objects(&bucket, "w/").len(), 2);
    assert!(Lock::parse(&std::fs::read_to_string(&out).unwrap()).is_ok());
    stack.assert_no_token(&run.both(), "wheelhouse output");

    // --bind needs a job, and the job gives the runtime.
    let run = wheelhouse_locking(&stack, &source, &prefix, &["--bind"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--job"), "{}", run.stderr);
    let run = wheelhouse_locking(
        &stack,
        &["--job", "etl", "--glue-version", "5.0"],
        &prefix,
        &[],
    );
    run.assert_code(2);

    // With --job, the file is locked for the job's runtime and bound; that
    // is also how a job already bound (its modules are S3 wheels) is locked
    // again, while its own modules can no longer be.
    let job = bound_job(&stack, "5.0");
    let with_job = [
        "--job",
        job.as_str(),
        "--requirements",
        requirements.as_str(),
    ];
    let out = dir.join(format!("pylock.{job}.toml"));
    let out_arg = out.to_string_lossy().into_owned();
    for uploaded in [0, 0] {
        let run = wheelhouse_locking(
            &stack,
            &with_job,
            &prefix,
            &["-o", &out_arg, "--bind", "--output", "json"],
        );
        run.assert_code(0);
        assert_eq!(run.json()["bound"], true, "{}", run.stdout);
        assert_eq!(run.json()["uploaded"], uploaded, "{}", run.stdout);
    }
    let run = wheelhouse_locking(&stack, &["--job", &job], &prefix, &["-o", &out_arg]);
    run.assert_code(43);
    assert!(
        run.stderr.contains("--requirements FILE") && run.stderr.contains("--lock FILE"),
        "{}",
        run.stderr
    );
}

/// Glue 6.0 (Python 3.13): `--bind --venv-storage-prefix` adds Glue's
/// service-built virtual environment to the bound form ("Using Python
/// virtual environments with AWS Glue": Glue builds it once from
/// `--additional-python-modules` and `--python-modules-installer-option`
/// and caches it under the prefix). The arguments Glue sees are checked
/// end to end; the replay then installs them with pip and `--no-index`
/// from S3 with the emulator stopped. The replay's Python is this machine's
/// (3.11: no 3.13 here, and uv may not download one), so it proves the
/// offline, S3-only install of pure-Python wheels, not Python 3.13 or
/// Glue's venv cache.
#[test]
fn a_glue_6_job_binds_with_the_venv_storage_prefix_and_installs_offline() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock = write_lock(&stack, "6.0", &core, &tools);
    let job = bound_job(&stack, "6.0");
    let bucket = wheels_bucket(&stack);
    let prefix = format!("s3://{bucket}/wheels/");
    let venvs = format!("s3://{bucket}/venvs/");
    let before = job_without_modules(stack.moto, &job);

    // Refused before Glue 6.0, changing nothing.
    let job5 = bound_job(&stack, "5.0");
    let original = stack.moto.job(&job5);
    let lock5 = write_lock(&stack, "5.0", &core, &tools);
    let run = wheelhouse(
        &stack,
        &job5,
        &prefix,
        &lock5,
        &["--bind", "--venv-storage-prefix", &venvs],
    );
    run.assert_code(EXIT_JOB_NOT_SUPPORTED);
    assert!(run.stderr.contains("Glue 6.0"), "{}", run.stderr);
    assert_eq!(stack.moto.job(&job5), original);
    assert_eq!(puts(stack.moto, &bucket), 0);

    let run = wheelhouse(
        &stack,
        &job,
        &prefix,
        &lock,
        &[
            "--bind",
            "--venv-storage-prefix",
            &venvs,
            "--output",
            "json",
        ],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "wheelhouse output");
    assert_eq!(run.json()["bound"], true);
    assert_eq!(run.json()["runtime"], "Glue 6.0 (Python 3.13)");

    // What Glue 6.0 sees: the wheels in dependency order, --no-index after
    // the user's option, and the storage prefix; nothing else changed.
    let defaults = stack.moto.job(&job).default_arguments.unwrap();
    let wheel_uri = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        format!(
            "{prefix}sha256/{}/{}",
            hex(&bytes),
            path.file_name().unwrap().to_string_lossy()
        )
    };
    assert_eq!(
        defaults[MODULES],
        format!("{},{}", wheel_uri(&core), wheel_uri(&tools))
    );
    assert_eq!(defaults[INSTALLER_OPTION], "--upgrade --no-index");
    assert_eq!(defaults["--python-virtual-env-storage-prefix"], venvs);
    stack.assert_no_token(&format!("{defaults:?}"), "the bound job");
    assert_eq!(job_without_modules(stack.moto, &job), before);

    // A second run changes nothing.
    let updates = stack.moto.sent_requests("UpdateJob", &job).len();
    let run = wheelhouse(
        &stack,
        &job,
        &prefix,
        &lock,
        &[
            "--bind",
            "--venv-storage-prefix",
            &venvs,
            "--output",
            "json",
        ],
    );
    run.assert_code(0);
    assert_eq!(run.json()["uploaded"], 0);
    assert_eq!(stack.moto.sent_requests("UpdateJob", &job).len(), updates);

    // The replay, offline.
    replay_offline(stack, &job, "6.0");
}

/// The emulator's requests of `operation`.
fn emulator_calls(stack: &Stack, operation: codeartifact_emulator::Operation) -> usize {
    stack
        .emulator
        .requests()
        .iter()
        .filter(|r| r.operation == operation)
        .count()
}

#[test]
fn the_bucket_is_checked_before_uv_runs_or_a_token_is_minted() {
    use codeartifact_emulator::Operation::GetAuthorizationToken;
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let lock5 = write_lock(&stack, "5.0", &core, &tools);
    let job = bound_job(&stack, "5.0");
    let original = stack.moto.job(&job);
    let missing = unique_name("no-such-bucket");
    let missing_prefix = format!("s3://{missing}/w/");
    let minted = emulator_calls(&stack, GetAuthorizationToken);
    let out = lock_path("etl");
    let out_arg = out.to_string_lossy().into_owned();

    // Locking first: the missing bucket is found before uv is even looked
    // for (a missing uv would be exit 41) and before any CodeArtifact call.
    let calls = stack.emulator.requests().len();
    let mut args = job_command("wheelhouse", &job);
    args.extend_from_slice(&[
        "--s3-prefix",
        &missing_prefix,
        "--uv",
        "/nonexistent/uv",
        "-o",
        &out_arg,
        "--bind",
    ]);
    let run = stack.cli(&args);
    run.assert_code(EXIT_BUCKET_NOT_FOUND);
    assert!(
        run.stderr
            .contains(&format!("the S3 bucket {missing:?} does not exist")),
        "{}",
        run.stderr
    );
    assert_eq!(
        stack.emulator.requests().len(),
        calls,
        "no CodeArtifact call"
    );
    assert!(!out.exists(), "no lock written");
    // One cheap request: ListObjectsV2 for one key under the prefix.
    let listed = stack.moto.s3_requests(Some("ListObjectsV2"), &missing);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(stack.moto.s3_requests(None, &missing).len(), 1);

    // With --lock: the same, and nothing minted either.
    let run = wheelhouse(&stack, &job, &missing_prefix, &lock5, &["--bind"]);
    run.assert_code(EXIT_BUCKET_NOT_FOUND);
    assert_eq!(emulator_calls(&stack, GetAuthorizationToken), minted);
    stack.assert_no_token(&run.both(), "wheelhouse output");

    // A bucket the caller may not list: access denied, naming the action,
    // before uv and before any token.
    let bucket = wheels_bucket(&stack);
    stack.moto.inject_s3_fault(&S3Fault::new(
        "ListObjectsV2",
        &bucket,
        S3FaultKind::AccessDenied,
        None,
    ));
    let calls = stack.emulator.requests().len();
    let run = wheelhouse_locking(
        &stack,
        &["--job", &job],
        &format!("s3://{bucket}/w/"),
        &["-o", &out_arg, "--bind"],
    );
    run.assert_code(EXIT_ACCESS_DENIED);
    assert!(run.stderr.contains("s3:ListBucket"), "{}", run.stderr);
    assert_eq!(
        stack.emulator.requests().len(),
        calls,
        "no CodeArtifact call"
    );
    stack.moto.clear_s3_faults(&bucket);
    assert!(!out.exists(), "no lock written");
    assert_eq!(puts(stack.moto, &bucket), 0);
    assert_eq!(stack.moto.job(&job), original);
}

#[test]
fn locking_first_reads_the_job_once_and_mints_once() {
    let stack = Stack::new();
    let (core, tools) = publish(&stack);
    let job = bound_job(&stack, "5.0");
    let bucket = unique_name("wheels");
    stack.moto.create_bucket(&bucket);
    let prefix = format!("s3://{bucket}/w/");
    let out = lock_path("etl");
    let out_arg = out.to_string_lossy().into_owned();
    let get_jobs = |job: &str| stack.moto.sent_requests("GetJob", job).len();

    // Two wheels to download: one GetJob (for the lock and the mirror), one
    // endpoint read and one token (uv's, reused for the downloads).
    let (jobs_before, before) = (get_jobs(&job), stack.emulator.stats());
    let run = wheelhouse_locking(
        &stack,
        &["--job", &job],
        &prefix,
        &["-o", &out_arg, "--output", "json"],
    );
    run.assert_code(0);
    stack.assert_no_token(&run.both(), "wheelhouse output");
    assert_eq!(run.json()["uploaded"], 2, "{}", run.stdout);
    let after = stack.emulator.stats();
    assert_eq!(get_jobs(&job) - jobs_before, 1, "one GetJob");
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1,
        "one token"
    );
    assert_eq!(
        after.get_repository_endpoint - before.get_repository_endpoint,
        1,
        "one endpoint read"
    );
    for wheel in [&core, &tools] {
        let sha = hex(&std::fs::read(wheel).unwrap());
        let key = format!(
            "w/sha256/{sha}/{}",
            wheel.file_name().unwrap().to_string_lossy()
        );
        assert_eq!(
            stack.moto.get_object(&bucket, &key),
            std::fs::read(wheel).unwrap()
        );
    }

    // With --bind: the one read before the update, and the read after it
    // that verifies it.
    let other = unique_name("wheels");
    stack.moto.create_bucket(&other);
    let (jobs_before, before) = (get_jobs(&job), stack.emulator.stats());
    let run = wheelhouse_locking(
        &stack,
        &["--job", &job],
        &format!("s3://{other}/w/"),
        &["-o", &out_arg, "--bind"],
    );
    run.assert_code(0);
    let after = stack.emulator.stats();
    assert_eq!(get_jobs(&job) - jobs_before, 2, "GetJob, UpdateJob, GetJob");
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1
    );
    assert_eq!(puts(stack.moto, &other), 2);

    // With --lock FILE: the job and the endpoint read together, a token
    // only for the downloads.
    let third = unique_name("wheels");
    stack.moto.create_bucket(&third);
    let (jobs_before, before) = (get_jobs(&job), stack.emulator.stats());
    let run = wheelhouse(&stack, &job, &format!("s3://{third}/w/"), &out, &[]);
    run.assert_code(0);
    let after = stack.emulator.stats();
    assert_eq!(get_jobs(&job) - jobs_before, 1);
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        1
    );
    assert_eq!(
        after.get_repository_endpoint - before.get_repository_endpoint,
        1
    );
    assert_eq!(puts(stack.moto, &third), 2);

    // A lock token with less than 10 minutes left is not used for the
    // downloads: a new one is minted.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    stack.emulator.report_expiration(Some((now + 240).into()));
    let fresh = bound_job(&stack, "5.0");
    let fourth = unique_name("wheels");
    stack.moto.create_bucket(&fourth);
    let before = stack.emulator.stats();
    let run = wheelhouse_locking(
        &stack,
        &["--job", &fresh],
        &format!("s3://{fourth}/w/"),
        &["-o", &out_arg],
    );
    run.assert_code(0);
    let after = stack.emulator.stats();
    assert_eq!(
        after.get_authorization_token - before.get_authorization_token,
        2,
        "the lock's token had 4 minutes left"
    );
    assert_eq!(puts(stack.moto, &fourth), 2);
}
