//! One requirement judged against its project page, roughly as pip would
//! choose.
//!
//! pip takes the files whose version satisfies the specifier (pre-releases
//! only if the specifier names one or nothing else matches), drops yanked
//! files unless the version is pinned with `==`, drops files whose
//! `Requires-Python` excludes the interpreter and wheels whose tags do not
//! fit, and installs the newest version left, preferring a wheel over an
//! sdist of that version. Each step that empties the list is its own
//! finding; an sdist chosen is a warning, because Glue cannot compile
//! native code (a pure-Python sdist builds fine).
//!
//! Only the top-level requirement is judged: its dependencies are pip's to
//! resolve at run time.

use pep440_rs::{Operator, Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, Requirement, VersionOrUrl};

use crate::preflight::index_page::ProjectPage;
use crate::preflight::wheel::{Compatibility, DistFilename, DistKind, PythonTarget, compatibility};
use crate::preflight::{CheckId, Finding};

/// How many versions or files a finding lists at most.
const SHOWN: usize = 5;

/// The marker environment of a Glue worker: Linux x86_64, CPython 3.M.
/// The patch release is not documented; `3.M.0` stands in for it.
pub fn marker_environment(target: &PythonTarget) -> MarkerEnvironment {
    let python = target.to_string();
    let full = format!("{python}.0");
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: &full,
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: "Linux",
        platform_version: "",
        python_full_version: &full,
        python_version: &python,
        sys_platform: "linux",
    })
    .expect("3.M and 3.M.0 are valid versions")
}

/// Whether a requirement applies on the worker; a finding when it does not.
pub fn check_markers(
    text: &str,
    requirement: &Requirement,
    target: &PythonTarget,
) -> Option<Finding> {
    if requirement.evaluate_markers(&marker_environment(target), &[]) {
        return None;
    }
    Some(
        Finding::info(
            CheckId::ModuleMarkerSkipped,
            format!(
                "{text}: its markers are false on the job's Python {target} ({}), so pip skips it",
                target.platform()
            ),
        )
        .about(text),
    )
}

struct Candidate<'a> {
    filename: &'a str,
    version: Version,
    kind: DistKind,
    requires_python: Option<&'a str>,
    yanked: bool,
}

/// Judges `requirement` (written as `text`) against the files of its
/// project page.
pub fn check_requirement(
    text: &str,
    requirement: &Requirement,
    page: &ProjectPage,
    target: &PythonTarget,
) -> Finding {
    let name = requirement.name.as_ref();
    let candidates: Vec<Candidate<'_>> = page
        .files
        .iter()
        .filter_map(|file| {
            let parsed = DistFilename::parse(&file.filename)?;
            (parsed.package_name().as_ref() == Some(&requirement.name)).then(|| Candidate {
                filename: &file.filename,
                version: parsed.version,
                kind: parsed.kind,
                requires_python: file.requires_python.as_deref(),
                yanked: file.yanked,
            })
        })
        .collect();
    let finding = judge(text, name, requirement, candidates, target);
    finding.about(text)
}

fn specifiers(requirement: &Requirement) -> VersionSpecifiers {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(s)) => s.clone(),
        _ => VersionSpecifiers::empty(),
    }
}

fn judge(
    text: &str,
    name: &str,
    requirement: &Requirement,
    candidates: Vec<Candidate<'_>>,
    target: &PythonTarget,
) -> Finding {
    let spec = specifiers(requirement);
    let where_ = format!("Python {target} ({})", target.platform());
    if candidates.is_empty() {
        return Finding::error(
            CheckId::PackageNotFound,
            format!("{text}: the repository lists no installable file of {name}"),
            format!("publish {name} to the repository, or add an upstream repository that has it"),
        );
    }
    // 1. The specifier, with pip's pre-release rule.
    let allow_pre = spec.iter().any(|s| s.any_prerelease());
    let satisfying: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| spec.contains(&c.version))
        .collect();
    let finals: Vec<&Candidate<'_>> = satisfying
        .iter()
        .copied()
        .filter(|c| allow_pre || !c.version.any_prerelease())
        .collect();
    let matching = if finals.is_empty() {
        satisfying
    } else {
        finals
    };
    if matching.is_empty() {
        return Finding::error(
            CheckId::PackageNoMatchingVersion,
            format!(
                "{text}: no version of {name} satisfies {spec}; the repository has {}",
                versions(candidates.iter())
            ),
            format!(
                "change the specifier to a version the repository has, or publish {name} {spec}"
            ),
        );
    }
    // 2. Yanked files count only for an exact pin (PEP 592).
    let pinned = spec
        .iter()
        .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual));
    let unyanked: Vec<&Candidate<'_>> = matching
        .iter()
        .copied()
        .filter(|c| pinned || !c.yanked)
        .collect();
    if unyanked.is_empty() {
        return Finding::error(
            CheckId::PackageNoMatchingVersion,
            format!(
                "{text}: every version of {name} that satisfies the specifier is yanked ({})",
                versions(matching.iter().copied())
            ),
            "pin a version that is not yanked, or pin the yanked one with ==",
        );
    }
    // 3. Requires-Python.
    let fits_python: Vec<&Candidate<'_>> = unyanked
        .iter()
        .copied()
        .filter(|c| requires_python_allows(c.requires_python, target))
        .collect();
    if fits_python.is_empty() {
        let newest = newest(&unyanked);
        return Finding::error(
            CheckId::PackageRequiresPython,
            format!(
                "{text}: every matching file of {name} excludes Python {target} by Requires-Python (e.g. {} {} requires Python {})",
                name,
                newest.version,
                newest.requires_python.unwrap_or("?")
            ),
            format!(
                "pin a version of {name} that supports Python {target}, or move the job to a Glue version with a newer Python"
            ),
        );
    }
    // 4. Wheel tags.
    let compat = |c: &Candidate<'_>| match &c.kind {
        DistKind::Wheel(tags) => compatibility(tags, target),
        DistKind::Sdist => Compatibility::Compatible,
    };
    let installable: Vec<&Candidate<'_>> = fits_python
        .iter()
        .copied()
        .filter(|c| compat(c) == Compatibility::Compatible)
        .collect();
    if installable.is_empty() {
        let arm: Vec<&Candidate<'_>> = fits_python
            .iter()
            .copied()
            .filter(|c| compat(c) == Compatibility::Aarch64)
            .collect();
        if !arm.is_empty() {
            let best = newest(&arm);
            return Finding::warning(
                CheckId::PackageAarch64Only,
                format!(
                    "{text}: {name} {} has wheels for ARM64 (aarch64) Linux only ({}); Glue workers are taken to be x86_64, which the Glue docs do not pin down",
                    best.version, best.filename
                ),
                format!("publish a manylinux x86_64 (or py3-none-any) wheel of {name}"),
            );
        }
        let best = newest(&fits_python);
        let files: Vec<String> = fits_python
            .iter()
            .filter(|c| c.version == best.version)
            .take(SHOWN)
            .map(|c| format!("{} ({})", c.filename, compat(c).reason(target)))
            .collect();
        return Finding::error(
            CheckId::PackageNoCompatibleWheel,
            format!(
                "{text}: no file of {name} installs on {where_}: {name} {} has {}",
                best.version,
                files.join(", ")
            ),
            format!(
                "publish a wheel of {name} for cp3{m}-cp3{m}-manylinux x86_64 (or py3-none-any), or pin a version that has one",
                m = target.minor
            ),
        );
    }
    // 5. pip's choice: the newest version, a wheel if that version has one.
    let best_version = newest(&installable).version.clone();
    let of_best: Vec<&Candidate<'_>> = installable
        .iter()
        .copied()
        .filter(|c| c.version == best_version)
        .collect();
    let chosen = of_best
        .iter()
        .find(|c| matches!(c.kind, DistKind::Wheel(_)))
        .or_else(|| of_best.first())
        .expect("installable is not empty");
    if matches!(chosen.kind, DistKind::Sdist) {
        let wheel_elsewhere = installable
            .iter()
            .filter(|c| matches!(c.kind, DistKind::Wheel(_)))
            .map(|c| &c.version)
            .max();
        let note = match wheel_elsewhere {
            Some(v) => format!(" (version {v} has a wheel that fits)"),
            None => String::new(),
        };
        return Finding::warning(
            CheckId::PackageSdistOnly,
            format!(
                "{text}: pip would build {name} {best_version} from its source distribution {}{note}; Glue cannot compile native code, so this works only for pure-Python code",
                chosen.filename
            ),
            format!(
                "publish a wheel of {name} {best_version} (py3-none-any if pure Python, else cp3{}-manylinux x86_64)",
                target.minor
            ),
        );
    }
    if chosen.yanked {
        return Finding::warning(
            CheckId::PackageYanked,
            format!(
                "{text}: {name} {best_version} is yanked; pip installs it because it is pinned, with a warning"
            ),
            format!("pin a version of {name} that is not yanked"),
        );
    }
    Finding::info(
        CheckId::PackageOk,
        format!("{text}: pip would install {} on {where_}", chosen.filename),
    )
}

fn newest<'a, 'b>(candidates: &'b [&'b Candidate<'a>]) -> &'b Candidate<'a> {
    candidates
        .iter()
        .copied()
        .max_by(|a, b| a.version.cmp(&b.version))
        .expect("not empty")
}

/// `2.0, 1.1, 1.0` (newest first, at most [`SHOWN`], `…` when cut).
fn versions<'a, 'b: 'a>(candidates: impl Iterator<Item = &'a Candidate<'b>>) -> String {
    let mut all: Vec<&Version> = candidates.map(|c| &c.version).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    all.dedup();
    let shown: Vec<String> = all.iter().take(SHOWN).map(ToString::to_string).collect();
    let more = if all.len() > SHOWN { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

/// Whether some 3.M.x release satisfies a `Requires-Python`: the exact
/// patch release of a Glue worker is not documented, so a file counts as
/// fitting if any patch of the minor version does. An unreadable value is
/// ignored, as pip does.
pub fn requires_python_allows(requires_python: Option<&str>, target: &PythonTarget) -> bool {
    let Some(text) = requires_python else {
        return true;
    };
    let Ok(spec) = text.parse::<VersionSpecifiers>() else {
        return true;
    };
    (0..=30).any(|patch| spec.contains(&target.full_version(patch)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::Severity;
    use crate::preflight::index_page::IndexFile;
    use proptest::prelude::*;
    use std::str::FromStr;

    const PY310: PythonTarget = PythonTarget {
        minor: 10,
        glibc: Some((2, 26)),
    };

    fn page(files: &[&str]) -> ProjectPage {
        ProjectPage {
            files: files
                .iter()
                .map(|f| {
                    // `file|>=3.11|yanked`
                    let mut parts = f.split('|');
                    IndexFile {
                        filename: parts.next().unwrap().to_owned(),
                        requires_python: parts.next().filter(|s| !s.is_empty()).map(str::to_owned),
                        yanked: parts.next() == Some("yanked"),
                    }
                })
                .collect(),
        }
    }

    fn check(req: &str, files: &[&str]) -> Finding {
        let requirement = Requirement::from_str(req).unwrap();
        check_requirement(req, &requirement, &page(files), &PY310)
    }

    #[track_caller]
    fn assert_finding(f: &Finding, check: CheckId, severity: Severity, contains: &str) {
        assert_eq!((f.check, f.severity), (check, severity), "{f:?}");
        assert!(
            f.cause.contains(contains),
            "{contains:?} not in {}",
            f.cause
        );
    }

    #[test]
    fn a_pure_wheel_resolves() {
        let f = check("acme-tools==1.2.0", &["acme_tools-1.2.0-py3-none-any.whl"]);
        assert_finding(
            &f,
            CheckId::PackageOk,
            Severity::Info,
            "acme_tools-1.2.0-py3-none-any.whl",
        );
        assert_eq!(f.subject.as_deref(), Some("acme-tools==1.2.0"));
        assert_eq!(f.fix, None);
    }

    #[test]
    fn two_versions_pick_by_specifier() {
        let files = [
            "acme_multi-1.0.0-py3-none-any.whl",
            "acme_multi-2.0.0-py3-none-any.whl",
        ];
        assert_finding(
            &check("acme-multi", &files),
            CheckId::PackageOk,
            Severity::Info,
            "2.0.0",
        );
        assert_finding(
            &check("acme-multi<2", &files),
            CheckId::PackageOk,
            Severity::Info,
            "1.0.0",
        );
        let f = check("acme-multi==3.0", &files);
        assert_finding(
            &f,
            CheckId::PackageNoMatchingVersion,
            Severity::Error,
            "the repository has 2.0.0, 1.0.0",
        );
    }

    #[test]
    fn pre_releases_only_when_asked_or_alone() {
        let files = ["a-1.0-py3-none-any.whl", "a-2.0b1-py3-none-any.whl"];
        assert_finding(
            &check("a", &files),
            CheckId::PackageOk,
            Severity::Info,
            "a-1.0-",
        );
        assert_finding(
            &check("a>=2.0b1", &files),
            CheckId::PackageOk,
            Severity::Info,
            "a-2.0b1-",
        );
        assert_finding(
            &check("a>1.0", &files),
            CheckId::PackageOk,
            Severity::Info,
            "a-2.0b1-",
        );
    }

    #[test]
    fn sdist_only_is_a_warning() {
        let f = check("acme-legacy", &["acme-legacy-0.5.tar.gz"]);
        assert_finding(
            &f,
            CheckId::PackageSdistOnly,
            Severity::Warning,
            "source distribution acme-legacy-0.5.tar.gz",
        );
        assert!(f.fix.unwrap().contains("py3-none-any"));
        // An sdist of a newer version wins over an older wheel, as in pip.
        let f = check("a", &["a-1.0-py3-none-any.whl", "a-2.0.tar.gz"]);
        assert_finding(
            &f,
            CheckId::PackageSdistOnly,
            Severity::Warning,
            "(version 1.0 has a wheel that fits)",
        );
        // A wheel of the same version is preferred.
        let f = check("a", &["a-2.0.tar.gz", "a-2.0-py3-none-any.whl"]);
        assert_finding(
            &f,
            CheckId::PackageOk,
            Severity::Info,
            "a-2.0-py3-none-any.whl",
        );
    }

    #[test]
    fn wrong_python_is_an_error() {
        let f = check(
            "acme-fast",
            &["acme_fast-1.0-cp312-cp312-manylinux2014_x86_64.whl"],
        );
        assert_finding(
            &f,
            CheckId::PackageNoCompatibleWheel,
            Severity::Error,
            "not for Python 3.10",
        );
        assert!(f.fix.unwrap().contains("cp310"));
        let f = check("a", &["a-1.0-cp310-cp310-manylinux_2_28_x86_64.whl"]);
        assert_finding(
            &f,
            CheckId::PackageNoCompatibleWheel,
            Severity::Error,
            "newer glibc",
        );
        let f = check(
            "a",
            &[
                "a-1.0-cp310-cp310-win_amd64.whl",
                "a-1.0-cp310-cp310-macosx_11_0_arm64.whl",
            ],
        );
        assert_finding(
            &f,
            CheckId::PackageNoCompatibleWheel,
            Severity::Error,
            "not for Linux",
        );
    }

    #[test]
    fn aarch64_only_is_a_warning() {
        let f = check("a", &["a-1.0-cp310-cp310-manylinux2014_aarch64.whl"]);
        assert_finding(
            &f,
            CheckId::PackageAarch64Only,
            Severity::Warning,
            "aarch64",
        );
        // With an sdist besides, pip would build it on x86_64.
        let f = check(
            "a",
            &[
                "a-1.0-cp310-cp310-manylinux2014_aarch64.whl",
                "a-1.0.tar.gz",
            ],
        );
        assert_eq!(f.check, CheckId::PackageSdistOnly);
    }

    #[test]
    fn requires_python() {
        let f = check("a", &["a-1.0-py3-none-any.whl|>=3.11"]);
        assert_finding(
            &f,
            CheckId::PackageRequiresPython,
            Severity::Error,
            "requires Python >=3.11",
        );
        let f = check(
            "a",
            &[
                "a-1.0-py3-none-any.whl|>=3.8",
                "a-2.0-py3-none-any.whl|>=3.11",
            ],
        );
        assert_finding(&f, CheckId::PackageOk, Severity::Info, "a-1.0-");
        // Unknown patch release: any 3.10.x counts.
        assert!(requires_python_allows(Some(">3.10"), &PY310));
        assert!(requires_python_allows(Some(">=3.10.4,<3.11"), &PY310));
        assert!(!requires_python_allows(Some("<3.10"), &PY310));
        assert!(requires_python_allows(Some("garbage"), &PY310));
    }

    #[test]
    fn yanked_files() {
        let f = check(
            "a",
            &["a-1.0-py3-none-any.whl", "a-2.0-py3-none-any.whl||yanked"],
        );
        assert_finding(&f, CheckId::PackageOk, Severity::Info, "a-1.0-");
        let f = check(
            "a==2.0",
            &["a-1.0-py3-none-any.whl", "a-2.0-py3-none-any.whl||yanked"],
        );
        assert_finding(&f, CheckId::PackageYanked, Severity::Warning, "yanked");
        let f = check("a>=2", &["a-2.0-py3-none-any.whl||yanked"]);
        assert_finding(
            &f,
            CheckId::PackageNoMatchingVersion,
            Severity::Error,
            "yanked",
        );
    }

    #[test]
    fn empty_or_foreign_pages_are_not_found() {
        let f = check("a", &[]);
        assert_finding(
            &f,
            CheckId::PackageNotFound,
            Severity::Error,
            "no installable file",
        );
        let f = check("a", &["other-1.0-py3-none-any.whl", "a-1.0-py3.7.egg"]);
        assert_eq!(f.check, CheckId::PackageNotFound);
    }

    #[test]
    fn markers_are_evaluated_on_the_worker() {
        let skip = |req: &str| {
            let r = Requirement::from_str(req).unwrap();
            check_markers(req, &r, &PY310).map(|f| (f.check, f.severity))
        };
        assert_eq!(
            skip("a; python_version < '3.8'"),
            Some((CheckId::ModuleMarkerSkipped, Severity::Info))
        );
        assert_eq!(
            skip("a; sys_platform == 'win32'"),
            Some((CheckId::ModuleMarkerSkipped, Severity::Info))
        );
        assert_eq!(
            skip("a; platform_machine == 'aarch64'"),
            Some((CheckId::ModuleMarkerSkipped, Severity::Info))
        );
        assert_eq!(
            skip("a; python_version >= '3.10' and sys_platform == 'linux'"),
            None
        );
        assert_eq!(
            skip("a; extra == 'x'"),
            Some((CheckId::ModuleMarkerSkipped, Severity::Info))
        );
        assert_eq!(skip("a[x]"), None);
    }

    proptest! {
        #[test]
        fn judging_never_panics(
            files in proptest::collection::vec("[a-z]{1,2}-[0-9]{1,2}(\\.[0-9]{1,2})?(b1)?(-(py3|cp310|cp312)-(none|abi3|cp310|cp312)-(any|manylinux2014_x86_64|manylinux2014_aarch64|win_amd64)\\.whl|\\.tar\\.gz)", 0..6),
            spec in "(|==1|>=1|<2|!=1\\.1|~=1\\.0|>=2b1)",
        ) {
            let req = format!("a{spec}");
            let refs: Vec<&str> = files.iter().map(String::as_str).collect();
            let f = check(&req, &refs);
            prop_assert!(!f.cause.contains('\n'));
            prop_assert_eq!(f.fix.is_none(), f.severity == Severity::Info);
        }

        #[test]
        fn a_pure_wheel_of_a_matching_version_always_resolves(major in 0u64..30, minor in 0u64..30) {
            let file = format!("pkg-{major}.{minor}-py3-none-any.whl");
            let f = check(&format!("pkg=={major}.{minor}"), &[&file]);
            prop_assert_eq!(f.check, CheckId::PackageOk);
        }
    }
}
