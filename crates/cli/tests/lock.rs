//! `lock` and doctor's whole-tree check: the real binary runs the real uv
//! (`.venv/bin/uv`) against the CodeArtifact emulator's index over HTTP,
//! and reads the jobs from moto.

use std::path::Path;
use test_stack::scratch::ScratchFile;

use sha2::{Digest, Sha256};
use test_stack::{make_wheel, make_wheel_requiring, make_wheel_with, unique_name};

use crate::util::{DOMAIN, REPOSITORY, Stack, scratch};

fn uv_path() -> String {
    test_stack::uv().to_string_lossy().into_owned()
}

/// The private packages of these tests: acme-tools 1.2.0 needs acme-core
/// and acme-util (and boto3, which Glue provides and the repository lacks).
fn publish_tree(stack: &Stack) {
    let dir = &stack.packages;
    make_wheel_requiring(
        dir,
        "acme-tools",
        "1.2.0",
        &["acme-core>=2", "acme-util", "boto3>=1.20"],
    );
    make_wheel_requiring(dir, "acme-tools", "1.1.0", &["acme-core>=1"]);
    make_wheel(dir, "acme-core", "2.0.0");
    make_wheel(dir, "acme-core", "2.1.0");
    // Newer, but not for Python 3.11: uv must pass it over.
    make_wheel_with(dir, "acme-core", "3.0.0", &["--requires-python", ">=3.12"]);
    make_wheel(dir, "acme-util", "0.3.0");
    make_wheel(dir, "acme-util", "0.2.0");
}

fn lock_file(name: &str) -> ScratchFile {
    scratch(&unique_name("lock")).file(format!("pylock.{name}.toml"))
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn lock_resolves_the_whole_tree_for_the_jobs_runtime() {
    let stack = Stack::new();
    publish_tree(&stack);
    let job = stack.spark_job(|spec| {
        spec.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", "acme-tools")
    });
    let out = lock_file("tree");
    let run = stack.lock(&job, &out, &["--output", "json"], &[("RUST_LOG", "trace")]);
    run.assert_code(0);
    let json = run.json();
    let names: Vec<(&str, &str)> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    // Exactly the newest versions that fit Python 3.11, dependencies first.
    assert_eq!(
        names,
        [
            ("acme-core", "2.1.0"),
            ("acme-util", "0.3.0"),
            ("acme-tools", "1.2.0")
        ],
        "{json}"
    );
    assert_eq!(json["runtime"]["glue_version"], "5.0");
    assert_eq!(json["runtime"]["platform"], "x86_64-manylinux_2_34");
    assert_eq!(
        json["provided"],
        serde_json::json!([{ "name": "boto3", "version": "1.34.131" }])
    );
    for p in json["packages"].as_array().unwrap() {
        let file = stack.packages.join(p["wheel"].as_str().unwrap());
        assert_eq!(p["sha256"].as_str().unwrap(), sha256_hex(&file), "{p}");
        assert_eq!(
            p["size"].as_u64().unwrap(),
            std::fs::metadata(&file).unwrap().len(),
            "{p}"
        );
    }

    let text = std::fs::read_to_string(&out).unwrap();
    let lock = glue_codeartifact_python_env::lock::Lock::parse(&text).unwrap();
    assert_eq!(lock.packages.len(), 3);
    assert!(!text.contains("boto3-"), "boto3 is not mirrored:\n{text}");
    assert!(
        text.contains("name = \"boto3\""),
        "boto3 is marked provided:\n{text}"
    );
    // No credentials anywhere: no user-info, no token.
    assert!(!text.contains("aws:") && !text.contains('@'), "{text}");
    stack.assert_no_token(&text, "the lock file");
    stack.assert_no_token(&run.both(), "lock at trace level");
}

#[test]
fn lock_from_a_requirements_file_and_glue_version() {
    let stack = Stack::new();
    publish_tree(&stack);
    let dir = scratch(&unique_name("requirements"));
    let requirements = dir.join("requirements.txt");
    std::fs::write(&requirements, "# the job's\nacme-tools==1.1.0\n").unwrap();
    let out = dir.join("pylock.toml");
    let run = stack.cli(&[
        "lock",
        "--requirements",
        requirements.to_str().unwrap(),
        "--glue-version",
        "4.0",
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "-o",
        out.to_str().unwrap(),
        "--uv",
        &uv_path(),
    ]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("for Glue 4.0 (Python 3.10) (x86_64-manylinux_2_17)"),
        "{}",
        run.stdout
    );
    let lock =
        glue_codeartifact_python_env::lock::Lock::parse(&std::fs::read_to_string(&out).unwrap())
            .unwrap();
    let pins: Vec<String> = lock
        .dependency_order()
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    assert_eq!(pins, ["acme-core==2.1.0", "acme-tools==1.1.0"]);
    assert_eq!(lock.requirements, ["acme-tools==1.1.0"]);
}

#[test]
fn a_missing_transitive_dependency_fails_lock_and_doctor_naming_it() {
    let stack = Stack::new();
    make_wheel_requiring(&stack.packages, "acme-gap", "1.0.0", &["acme-absent>=2"]);
    let job = stack
        .spark_job(|spec| spec.default_argument("--additional-python-modules", "acme-gap==1.0.0"));
    let out = lock_file("gap");
    let run = stack.lock(&job, &out, &[], &[("RUST_LOG", "trace")]);
    run.assert_code(40);
    assert!(
        run.stderr
            .contains("acme-gap needs acme-absent>=2, which py-internal does not have"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("public:pypi upstream"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "no lock is written on failure");
    stack.assert_no_token(&run.both(), "a failed lock at trace level");

    let doctor = stack.doctor(&job, &["--uv", &uv_path(), "--output", "json"], &[]);
    doctor.assert_code(12);
    let findings = doctor.json()["findings"].as_array().unwrap().clone();
    let missing = findings
        .iter()
        .find(|f| f["check"] == "tree-missing")
        .unwrap_or_else(|| panic!("a tree-missing finding: {findings:?}"));
    assert_eq!(missing["severity"], "error");
    assert_eq!(missing["subject"], "acme-absent");
    assert!(
        missing["cause"]
            .as_str()
            .unwrap()
            .contains("acme-gap needs acme-absent>=2"),
        "{missing}"
    );
    // The top-level check alone passes: only the whole tree shows it.
    assert!(
        findings.iter().any(|f| f["check"] == "package-ok"),
        "{findings:?}"
    );
}

#[test]
fn doctor_reports_a_whole_tree_that_resolves() {
    let stack = Stack::new();
    publish_tree(&stack);
    let job =
        stack.spark_job(|spec| spec.default_argument("--additional-python-modules", "acme-tools"));
    let run = stack.doctor(&job, &["--uv", &uv_path()], &[]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("tree-ok: the whole tree resolves for Glue 5.0 (Python 3.11) with wheels only: 3 packages from py-internal; from Glue's image: boto3 1.34.131"),
        "{}",
        run.stdout
    );
}

#[test]
fn doctor_without_uv_says_the_tree_was_not_checked() {
    let stack = Stack::new();
    publish_tree(&stack);
    let job =
        stack.spark_job(|spec| spec.default_argument("--additional-python-modules", "acme-tools"));
    let run = stack.doctor(&job, &["--uv", "/nonexistent/uv", "--output", "json"], &[]);
    run.assert_code(0);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    let skipped = findings
        .iter()
        .find(|f| f["check"] == "tree-skipped")
        .unwrap_or_else(|| panic!("tree-skipped: {findings:?}"));
    assert_eq!(skipped["severity"], "warning");
    assert!(
        skipped["cause"].as_str().unwrap().contains("not checked"),
        "{skipped}"
    );
    assert!(
        skipped["fix"].as_str().unwrap().contains("install uv"),
        "{skipped}"
    );
    assert!(
        !findings.iter().any(|f| f["check"] == "tree-ok"),
        "{findings:?}"
    );
}

#[test]
fn a_requirement_on_another_numpy_than_glues_is_refused_naming_both() {
    let stack = Stack::new();
    make_wheel(&stack.packages, "numpy", "2.0.0");
    make_wheel_requiring(&stack.packages, "acme-ml", "1.0.0", &["numpy>=2"]);
    let root = stack.spark_job(|spec| {
        spec.glue_version(Some("4.0"))
            .default_argument("--additional-python-modules", "numpy>=2")
    });
    let run = stack.lock(&root, &lock_file("numpy"), &[], &[]);
    run.assert_code(40);
    assert!(
        run.stderr.contains(
            "the job requires numpy>=2, but Glue 4.0 (Python 3.10) provides numpy 1.23.5"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--allow-upgrade-provided"),
        "{}",
        run.stderr
    );

    let transitive = stack.spark_job(|spec| {
        spec.glue_version(Some("4.0"))
            .default_argument("--additional-python-modules", "acme-ml")
    });
    let run = stack.lock(&transitive, &lock_file("ml"), &[], &[]);
    run.assert_code(40);
    assert!(
        run.stderr
            .contains("acme-ml needs numpy>=2, but Glue 4.0 (Python 3.10) provides numpy 1.23.5"),
        "{}",
        run.stderr
    );

    // Knowingly: numpy is then locked from the repository.
    let out = lock_file("ml-upgrade");
    let run = stack.lock(
        &transitive,
        &out,
        &["--allow-upgrade-provided", "--output", "json"],
        &[],
    );
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        json["upgraded_provided"],
        serde_json::json!(["numpy"]),
        "{json}"
    );
    let names: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["numpy", "acme-ml"]);
}

#[test]
fn a_dependency_without_a_wheel_is_refused_naming_the_sdist() {
    let stack = Stack::new();
    make_wheel_with(&stack.packages, "acme-legacy", "0.5", &["--sdist"]);
    make_wheel_requiring(&stack.packages, "acme-src", "1.0.0", &["acme-legacy>=0.5"]);
    let job =
        stack.spark_job(|spec| spec.default_argument("--additional-python-modules", "acme-src"));
    let run = stack.lock(&job, &lock_file("sdist"), &[], &[]);
    run.assert_code(40);
    assert!(
        run.stderr
            .contains("acme-legacy 0.5 has no wheel for Glue 5.0 (Python 3.11)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("only a source distribution (sdist)"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_or_old_uv_and_unsupported_glue_versions() {
    let stack = Stack::new();
    publish_tree(&stack);
    let job =
        stack.spark_job(|spec| spec.default_argument("--additional-python-modules", "acme-tools"));
    let out = lock_file("uv");
    let run = stack.lock_with_uv(&job, &out, Some("/nonexistent/uv"), &[], &[]);
    run.assert_code(41);
    assert!(
        run.stderr.contains("uv was not found") && run.stderr.contains("pipx install uv"),
        "{}",
        run.stderr
    );

    let fake = scratch(&unique_name("old-uv")).file("uv");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'uv 0.4.30 (x86_64-unknown-linux-gnu)'\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = stack.lock_with_uv(&job, &out, fake.to_str(), &[], &[]);
    run.assert_code(41);
    assert!(
        run.stderr
            .contains("is version 0.4.30; glue-codeartifact needs uv 0.13.9 or newer"),
        "{}",
        run.stderr
    );

    // Through GLUE_CODEARTIFACT_UV as well.
    let run = stack.lock_with_uv(
        &job,
        &out,
        None,
        &[],
        &[("GLUE_CODEARTIFACT_UV", fake.to_str().unwrap())],
    );
    run.assert_code(41);

    for (version, text) in [
        ("3.0", "Glue 3.0 runs Python 3.7"),
        ("7.0", "\"7.0\" is not one glue-codeartifact can lock for"),
    ] {
        let old = stack.spark_job(|spec| {
            spec.glue_version(Some(version))
                .default_argument("--additional-python-modules", "acme-tools")
        });
        let run = stack.lock(&old, &lock_file("old"), &[], &[]);
        run.assert_code(42);
        assert!(run.stderr.contains(text), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("Glue 4.0, 5.0, 5.1, 6.0 and Python shell 3.9"),
            "{}",
            run.stderr
        );
    }
    assert!(!out.exists());
}

#[test]
fn a_lock_asks_the_index_for_each_page_once() {
    use codeartifact_emulator::Operation;
    let stack = Stack::new();
    publish_tree(&stack);
    let job = stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", "acme-tools==1.2.0")
    });
    let out = lock_file("once");
    let before = stack.emulator.requests().len();
    let run = stack.lock(&job, &out, &[], &[]);
    run.assert_code(0);
    let pages: Vec<String> = stack.emulator.requests()[before..]
        .iter()
        .filter(|r| r.operation == Operation::Index && r.path.ends_with('/'))
        .map(|r| r.path.clone())
        .collect();
    // uv runs twice (the lock, then the graph); the second run reads the
    // first one's cache offline.
    let mut unique = pages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(pages.len(), unique.len(), "a page asked twice: {pages:?}");
    for project in ["acme-tools", "acme-core", "acme-util"] {
        assert!(
            pages
                .iter()
                .any(|p| p.ends_with(&format!("/simple/{project}/"))),
            "{pages:?}"
        );
    }
    let lock = std::fs::read_to_string(&out).unwrap();
    for project in ["acme-tools", "acme-core", "acme-util"] {
        assert!(lock.contains(&format!("name = \"{project}\"")), "{lock}");
    }
}
