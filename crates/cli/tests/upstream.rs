//! The product against a repository with an upstream (a `public:pypi`
//! external connection, `codeartifact_emulator::Upstream`): a first fetch
//! from the upstream that fails once with 500 (astral-sh/uv#8957), and the
//! regional cache that lists a version published since its last import
//! only from a project's second request on (CodeArtifact guide,
//! "Availability of new package versions").

use test_stack::scratch::{Scratch, ScratchFile};

use codeartifact_emulator::{Operation, Upstream};
use serde_json::Value;
use test_stack::{make_wheel, make_wheel_requiring, unique_name};

use crate::util::{Run, Stack, scratch};

/// A stack whose repository has `acme-tools` 1.2.0 (needing `pub-pkg`),
/// and whose upstream already has `pub-pkg` 1.0 when the emulator starts.
fn stack_with_upstream(tweak: impl FnOnce(&mut Upstream)) -> (Stack, Scratch) {
    let public = scratch(&unique_name("pypi"));
    make_wheel(&public, "pub-pkg", "1.0");
    let mut upstream = Upstream::new(public.to_path_buf());
    tweak(&mut upstream);
    let stack = Stack::with_config(|c| c.upstream = Some(upstream));
    make_wheel_requiring(&stack.packages, "acme-tools", "1.2.0", &["pub-pkg"]);
    (stack, public)
}

/// The statuses the index answered for `project`'s page, in order.
fn page_statuses(stack: &Stack, project: &str) -> Vec<Option<u16>> {
    stack
        .emulator
        .requests()
        .iter()
        .filter(|r| r.operation == Operation::Index && r.path.ends_with(&format!("/{project}/")))
        .map(|r| r.status)
        .collect()
}

fn glue5_job(stack: &Stack, modules: &str) -> String {
    stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", modules)
    })
}

fn lock_file(name: &str) -> ScratchFile {
    scratch(&unique_name("lock")).file(format!("pylock.{name}.toml"))
}

fn locked_versions(run: &Run) -> Vec<(String, String)> {
    run.json()["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no packages in {}", run.stdout))
        .iter()
        .map(|p: &Value| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn doctor_retries_an_upstreams_failed_first_fetch_and_passes() {
    let (stack, _public) = stack_with_upstream(|u| u.fail_first_fetch = true);
    let job = glue5_job(&stack, "acme-tools,pub-pkg");
    let run = stack.doctor_json(&job, &[], &[]);
    run.assert_code(0);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["check"] == "package-ok"
                && f["cause"].as_str().unwrap().contains("pub_pkg-1.0-")),
        "{findings:?}"
    );
    assert!(!findings.iter().any(|f| f["check"] == "index-unreachable"));
    // One 500, one retry: bounded, and only for the project from upstream.
    assert_eq!(page_statuses(&stack, "pub-pkg"), [Some(500), Some(200)]);
    assert_eq!(page_statuses(&stack, "acme-tools"), [Some(200)]);
}

/// What `lock` records is what the repository listed when it ran: a
/// version published upstream since the regional cache's last import is
/// not listed on the project's first request, so the first lock pins the
/// older version (and its hash), and a lock run after it sees the newer.
/// Deterministic either way: the lock, not the index, decides what
/// installs (docs/install-sources.md, "A repository with an upstream").
#[test]
fn lock_pins_what_the_regional_cache_listed_and_a_later_lock_sees_newer() {
    let (stack, public) = stack_with_upstream(|u| u.fail_first_fetch = true);
    // Published after the cache's last import (the emulator's start).
    make_wheel(&public, "pub-pkg", "2.0");
    let job = glue5_job(&stack, "acme-tools");

    let first = stack.lock_json(&job, &lock_file("first"), &[]);
    first.assert_code(0);
    assert_eq!(
        locked_versions(&first),
        [
            ("pub-pkg".to_owned(), "1.0".to_owned()),
            ("acme-tools".to_owned(), "1.2.0".to_owned())
        ],
        "{}",
        first.stdout
    );
    // uv retried the upstream's one 500 (astral-sh/uv#8957).
    assert_eq!(page_statuses(&stack, "pub-pkg")[0], Some(500));

    let second = stack.lock_json(&job, &lock_file("second"), &[]);
    second.assert_code(0);
    assert_eq!(
        locked_versions(&second),
        [
            ("pub-pkg".to_owned(), "2.0".to_owned()),
            ("acme-tools".to_owned(), "1.2.0".to_owned())
        ],
        "{}",
        second.stdout
    );
}
