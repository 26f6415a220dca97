//! Distribution files and whether a wheel installs on a Glue worker.
//!
//! A wheel's file name carries its tags (PEP 427, PEP 425):
//! `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, each tag
//! possibly a `.`-separated set (`py2.py3`). pip installs a wheel when one
//! combination of its tags is among the interpreter's supported tags
//! (`packaging.tags`). For CPython 3.M on Linux x86_64 that is, roughly:
//!
//! - `py3-none-*`, `py3X-none-*` (X ≤ M) and `cp3M-none-*`;
//! - `cp3X-abi3-*` (2 ≤ X ≤ M), the stable ABI;
//! - `cp3M-cp3M-*` (`cp3Mm` for Python ≤ 3.7, built with pymalloc);
//!
//! on the platforms `any`, `linux_x86_64` and `manylinux*_x86_64` whose glibc
//! is no newer than the worker's.
//!
//! Glue workers run Linux; public examples install manylinux x86_64 wheels,
//! but the CPU architecture per worker type is not documented. So x86_64 is
//! what we require, and a package that only has `aarch64` wheels is reported
//! apart (a warning, not an error): if a worker type runs ARM64, it installs.

use std::fmt;

use pep440_rs::Version;
use pep508_rs::PackageName;

/// The Python and platform a job's pip runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PythonTarget {
    /// The minor version of CPython 3 (`10` for 3.10).
    pub minor: u32,
    /// The worker's glibc (`(2, 26)`), when known. Unknown: any manylinux
    /// x86_64 wheel is taken to fit.
    pub glibc: Option<(u32, u32)>,
}

impl PythonTarget {
    /// CPython 3.`minor`.
    pub const fn cpython3(minor: u32, glibc: Option<(u32, u32)>) -> Self {
        Self { minor, glibc }
    }

    /// `3.M` as a PEP 440 version.
    pub fn version(&self) -> Version {
        Version::new([3, u64::from(self.minor)])
    }

    /// `3.M.patch` as a PEP 440 version.
    pub fn full_version(&self, patch: u64) -> Version {
        Version::new([3, u64::from(self.minor), patch])
    }

    /// A description of the platform, e.g. `Linux x86_64, glibc 2.26`.
    pub fn platform(&self) -> String {
        match self.glibc {
            Some((major, minor)) => format!("Linux x86_64, glibc {major}.{minor}"),
            None => "Linux x86_64".to_owned(),
        }
    }
}

impl fmt::Display for PythonTarget {
    /// `3.M`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "3.{}", self.minor)
    }
}

/// What kind of distribution a file is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistKind {
    /// A wheel, with its tag sets.
    Wheel(WheelTags),
    /// A source distribution (`.tar.gz`, `.zip`, …): pip builds it.
    Sdist,
}

/// The tag sets of a wheel file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelTags {
    /// Python tags, e.g. `py3`, `cp310`.
    pub python: Vec<String>,
    /// ABI tags, e.g. `none`, `abi3`, `cp310`.
    pub abi: Vec<String>,
    /// Platform tags, e.g. `any`, `manylinux2014_x86_64`.
    pub platform: Vec<String>,
}

/// A parsed distribution file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistFilename {
    /// The project name as written in the file name.
    pub name: String,
    /// The version.
    pub version: Version,
    /// Wheel or sdist.
    pub kind: DistKind,
}

/// Source distribution suffixes pip accepts.
const SDIST_SUFFIXES: [&str; 6] = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz", ".tar"];

impl DistFilename {
    /// Parses a wheel or sdist file name; `None` for anything else (eggs,
    /// installers, names without a valid version).
    pub fn parse(filename: &str) -> Option<Self> {
        if let Some(stem) = filename.strip_suffix(".whl") {
            let parts: Vec<&str> = stem.split('-').collect();
            let (name, version, python, abi, platform) = match parts.as_slice() {
                [n, v, p, a, pl] | [n, v, _, p, a, pl] => (*n, *v, *p, *a, *pl),
                _ => return None,
            };
            if name.is_empty() || [python, abi, platform].iter().any(|t| t.is_empty()) {
                return None;
            }
            let split = |t: &str| t.split('.').map(str::to_owned).collect::<Vec<_>>();
            return Some(Self {
                name: name.to_owned(),
                version: version.parse().ok()?,
                kind: DistKind::Wheel(WheelTags {
                    python: split(python),
                    abi: split(abi),
                    platform: split(platform),
                }),
            });
        }
        let lower = filename.to_ascii_lowercase();
        let suffix = SDIST_SUFFIXES.iter().find(|s| lower.ends_with(*s))?;
        let stem = &filename[..filename.len() - suffix.len()];
        let (name, version) = stem.rsplit_once('-')?;
        if name.is_empty() {
            return None;
        }
        Some(Self {
            name: name.to_owned(),
            version: version.parse().ok()?,
            kind: DistKind::Sdist,
        })
    }

    /// The project name, normalized (`Acme_Tools` → `acme-tools`); `None`
    /// when the file name's project part is not a valid name.
    pub fn package_name(&self) -> Option<PackageName> {
        self.name.parse().ok()
    }
}

/// Whether a wheel installs on a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Compatibility {
    /// No combination of its tags fits the Python.
    Python,
    /// It fits the Python, but not Linux (macOS, Windows, musl, …).
    Platform,
    /// It fits, but needs a newer glibc than the worker's.
    Glibc,
    /// It fits, but only on ARM64 (`aarch64`) Linux.
    Aarch64,
    /// It installs.
    Compatible,
}

impl Compatibility {
    /// Why a wheel does not install, in a few words.
    pub fn reason(self, target: &PythonTarget) -> String {
        match self {
            Compatibility::Python => format!("not for Python {target}"),
            Compatibility::Platform => "not for Linux".to_owned(),
            Compatibility::Glibc => format!("needs a newer glibc than {}", target.platform()),
            Compatibility::Aarch64 => "for ARM64 (aarch64) only".to_owned(),
            Compatibility::Compatible => "compatible".to_owned(),
        }
    }
}

/// The architecture of a Linux platform tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arch {
    X86_64,
    Aarch64,
}

/// How well a wheel's tags fit `target`: the best over all combinations.
pub fn compatibility(tags: &WheelTags, target: &PythonTarget) -> Compatibility {
    let python_fits = tags.python.iter().any(|py| {
        tags.abi
            .iter()
            .any(|abi| interpreter_fits(py, abi, target.minor))
    });
    if !python_fits {
        return Compatibility::Python;
    }
    tags.platform
        .iter()
        .map(|p| platform_fit(p, target.glibc))
        .max()
        .unwrap_or(Compatibility::Platform)
}

/// The minor version in `py3X` / `cp3X` (`py3` alone is `Some(None)`).
fn minor_of(tag: &str, prefix: &str) -> Option<Option<u32>> {
    let rest = tag.strip_prefix(prefix)?;
    if rest.is_empty() {
        return Some(None);
    }
    if rest.bytes().all(|b| b.is_ascii_digit()) && !rest.starts_with('0') || rest == "0" {
        rest.parse().ok().map(Some)
    } else {
        None
    }
}

fn interpreter_fits(python: &str, abi: &str, minor: u32) -> bool {
    match abi {
        "none" => match (minor_of(python, "py3"), minor_of(python, "cp3")) {
            (Some(None), _) => true,
            (Some(Some(x)), _) => x <= minor,
            (_, Some(Some(x))) => x == minor,
            _ => false,
        },
        "abi3" => matches!(minor_of(python, "cp3"), Some(Some(x)) if (2..=minor).contains(&x)),
        _ => {
            let exact = format!("cp3{minor}");
            python == exact && (abi == exact || (minor <= 7 && abi == format!("{exact}m")))
        }
    }
}

fn platform_fit(platform: &str, glibc: Option<(u32, u32)>) -> Compatibility {
    if platform == "any" {
        return Compatibility::Compatible;
    }
    let (required, arch) = if let Some(arch) = platform.strip_prefix("linux_") {
        (None, arch)
    } else if let Some(arch) = platform.strip_prefix("manylinux1_") {
        (Some((2, 5)), arch)
    } else if let Some(arch) = platform.strip_prefix("manylinux2010_") {
        (Some((2, 12)), arch)
    } else if let Some(arch) = platform.strip_prefix("manylinux2014_") {
        (Some((2, 17)), arch)
    } else if let Some(rest) = platform.strip_prefix("manylinux_") {
        // manylinux_X_Y_ARCH (PEP 600); ARCH may itself hold `_` (x86_64).
        let mut parts = rest.splitn(3, '_');
        let (Some(x), Some(y), Some(arch)) = (parts.next(), parts.next(), parts.next()) else {
            return Compatibility::Platform;
        };
        match (x.parse(), y.parse()) {
            (Ok(x), Ok(y)) => (Some((x, y)), arch),
            _ => return Compatibility::Platform,
        }
    } else {
        return Compatibility::Platform;
    };
    let arch = match arch {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        _ => return Compatibility::Platform,
    };
    if let (Some(required), Some(have)) = (required, glibc)
        && required > have
    {
        return Compatibility::Glibc;
    }
    match arch {
        Arch::X86_64 => Compatibility::Compatible,
        Arch::Aarch64 => Compatibility::Aarch64,
    }
}

/// How much pip prefers a wheel (see [`preference`]): the interpreter fit
/// (3 exact CPython, 2 stable ABI, 1 pure), then the glibc floor.
pub type Preference = (u8, (u32, u32));

/// How much pip prefers a wheel on `target`, higher first; `None` when it
/// does not install there. A wheel for the exact CPython beats one for the
/// stable ABI, which beats a pure one; then the newest glibc floor wins (a
/// `manylinux_2_34` build over a `manylinux2014` one), as pip's tag order
/// does.
pub fn preference(tags: &WheelTags, target: &PythonTarget) -> Option<Preference> {
    if compatibility(tags, target) != Compatibility::Compatible {
        return None;
    }
    let interpreter = tags
        .python
        .iter()
        .flat_map(|py| tags.abi.iter().map(move |abi| (py, abi)))
        .filter(|(py, abi)| interpreter_fits(py, abi, target.minor))
        .map(|(_, abi)| match abi.as_str() {
            "none" => 1,
            "abi3" => 2,
            _ => 3,
        })
        .max()?;
    let glibc = tags
        .platform
        .iter()
        .filter(|p| platform_fit(p, target.glibc) == Compatibility::Compatible)
        .map(|p| glibc_floor(p).unwrap_or((0, 0)))
        .max()?;
    Some((interpreter, glibc))
}

/// The glibc a manylinux platform tag needs; `None` for `any` and others.
fn glibc_floor(platform: &str) -> Option<(u32, u32)> {
    if platform.starts_with("manylinux1_") {
        return Some((2, 5));
    }
    if platform.starts_with("manylinux2010_") {
        return Some((2, 12));
    }
    if platform.starts_with("manylinux2014_") {
        return Some((2, 17));
    }
    let rest = platform.strip_prefix("manylinux_")?;
    let mut parts = rest.splitn(3, '_');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn wheel(filename: &str) -> WheelTags {
        match DistFilename::parse(filename).unwrap().kind {
            DistKind::Wheel(tags) => tags,
            DistKind::Sdist => panic!("{filename} is a wheel"),
        }
    }

    const PY310_AL2: PythonTarget = PythonTarget {
        minor: 10,
        glibc: Some((2, 26)),
    };
    const PY37_AMI: PythonTarget = PythonTarget {
        minor: 7,
        glibc: Some((2, 17)),
    };

    #[test]
    fn parses_wheels_and_sdists() {
        let f = DistFilename::parse("Acme_Tools-1.2.0-py3-none-any.whl").unwrap();
        assert_eq!(f.package_name().unwrap().as_ref(), "acme-tools");
        assert_eq!(f.version.to_string(), "1.2.0");
        let f = DistFilename::parse(
            "numpy-1.26.4-1build-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        let DistKind::Wheel(tags) = f.kind else {
            panic!()
        };
        assert_eq!(
            tags.platform,
            ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        );
        let f = DistFilename::parse("acme-legacy-0.5.tar.gz").unwrap();
        assert_eq!(
            (f.package_name().unwrap().as_ref(), f.kind),
            ("acme-legacy", DistKind::Sdist)
        );
        assert!(DistFilename::parse("acme_legacy-0.5.ZIP").is_some());
        for junk in [
            "acme-1.0-py3.7.egg",
            "acme-1.0.win32.exe",
            "README",
            "acme-py3-none-any.whl",
            "-1.0.tar.gz",
            "acme-notaversion!.tar.gz",
            "acme-1.0-py3-none.whl",
            "acme-1.0--none-any.whl",
        ] {
            assert_eq!(DistFilename::parse(junk), None, "{junk}");
        }
    }

    /// Checks each `(wheel file name, target, expected)` row.
    fn assert_fits(rows: &[(&str, &PythonTarget, Compatibility)]) {
        for (f, target, expected) in rows {
            assert_eq!(compatibility(&wheel(f), target), *expected, "{f}");
        }
    }

    #[test]
    fn pure_wheels_fit_every_python_3() {
        use Compatibility::{Compatible, Python};
        assert_fits(&[
            ("a-1-py3-none-any.whl", &PY310_AL2, Compatible),
            ("a-1-py2.py3-none-any.whl", &PY310_AL2, Compatible),
            ("a-1-py310-none-any.whl", &PY310_AL2, Compatible),
            ("a-1-py38-none-any.whl", &PY310_AL2, Compatible),
            ("a-1-cp310-none-any.whl", &PY310_AL2, Compatible),
            ("a-1-py2-none-any.whl", &PY310_AL2, Python),
            ("a-1-py311-none-any.whl", &PY310_AL2, Python),
            ("a-1-cp39-none-any.whl", &PY310_AL2, Python),
            ("a-1-pp310-none-any.whl", &PY310_AL2, Python),
        ]);
    }

    #[test]
    fn binary_wheels_need_the_exact_cpython_or_abi3() {
        use Compatibility::{Compatible, Python};
        assert_fits(&[
            (
                "a-1-cp310-cp310-manylinux2014_x86_64.whl",
                &PY310_AL2,
                Compatible,
            ),
            (
                "a-1-cp312-cp312-manylinux2014_x86_64.whl",
                &PY310_AL2,
                Python,
            ),
            (
                "a-1-cp38-abi3-manylinux2014_x86_64.whl",
                &PY310_AL2,
                Compatible,
            ),
            (
                "a-1-cp311-abi3-manylinux2014_x86_64.whl",
                &PY310_AL2,
                Python,
            ),
            (
                "a-1-cp37-cp37m-manylinux1_x86_64.whl",
                &PY37_AMI,
                Compatible,
            ),
            ("a-1-cp310-cp310m-manylinux1_x86_64.whl", &PY310_AL2, Python),
        ]);
    }

    #[test]
    fn platforms_and_glibc() {
        use Compatibility::{Aarch64, Compatible, Glibc, Platform};
        let any_glibc = PythonTarget::cpython3(10, None);
        assert_fits(&[
            ("a-1-cp310-cp310-linux_x86_64.whl", &PY310_AL2, Compatible),
            (
                "a-1-cp310-cp310-manylinux_2_28_x86_64.whl",
                &PY310_AL2,
                Glibc,
            ),
            (
                "a-1-cp310-cp310-manylinux_2_28_x86_64.whl",
                &any_glibc,
                Compatible,
            ),
            (
                "a-1-cp37-cp37m-manylinux2014_x86_64.whl",
                &PY37_AMI,
                Compatible,
            ),
            ("a-1-cp37-cp37m-manylinux_2_24_x86_64.whl", &PY37_AMI, Glibc),
            (
                "a-1-cp310-cp310-manylinux2014_aarch64.whl",
                &PY310_AL2,
                Aarch64,
            ),
            (
                "a-1-cp310-cp310-manylinux2014_aarch64.manylinux2014_x86_64.whl",
                &PY310_AL2,
                Compatible,
            ),
            (
                "a-1-cp310-cp310-macosx_11_0_arm64.whl",
                &PY310_AL2,
                Platform,
            ),
            ("a-1-cp310-cp310-win_amd64.whl", &PY310_AL2, Platform),
            (
                "a-1-cp310-cp310-musllinux_1_1_x86_64.whl",
                &PY310_AL2,
                Platform,
            ),
            (
                "a-1-cp310-cp310-manylinux_x_y_x86_64.whl",
                &PY310_AL2,
                Platform,
            ),
            (
                "a-1-cp310-cp310-manylinux2014_i686.whl",
                &PY310_AL2,
                Platform,
            ),
        ]);
    }

    #[test]
    fn names_normalize_like_pep_503() {
        let name = |f: &str| DistFilename::parse(f).unwrap().package_name();
        assert_eq!(
            name("Acme._-Tools-1.0.tar.gz").unwrap().as_ref(),
            "acme-tools"
        );
        assert_eq!(name("a__b..c-1.0.tar.gz").unwrap().as_ref(), "a-b-c");
        assert_eq!(name("acme_-1.0.tar.gz"), None, "not a valid name");
    }

    #[test]
    fn preference_orders_like_pip() {
        let al2023 = PythonTarget::cpython3(11, Some((2, 34)));
        let pref = |f: &str| preference(&wheel(f), &al2023);
        assert_eq!(pref("a-1-cp310-cp310-manylinux2014_x86_64.whl"), None);
        assert!(pref("a-1-py3-none-any.whl") < pref("a-1-cp38-abi3-manylinux2014_x86_64.whl"));
        assert!(
            pref("a-1-cp311-cp311-manylinux2014_x86_64.whl")
                < pref("a-1-cp311-cp311-manylinux_2_28_x86_64.whl")
        );
        assert_eq!(
            pref("a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
            Some((3, (2, 17)))
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(name in ".{0,80}") {
            let _ = DistFilename::parse(&name);
            let _ = DistFilename::parse(&format!("{name}.whl"));
            let _ = DistFilename::parse(&format!("{name}.tar.gz"));
        }

        #[test]
        fn generated_wheel_names_round_trip(
            name in "[A-Za-z][A-Za-z0-9_]{0,12}",
            major in 0u64..50, minor in 0u64..50,
            py in "(py3|cp3[0-9]{1,2})",
            abi in "(none|abi3|cp3[0-9]{1,2})",
            plat in "(any|linux_x86_64|manylinux2014_x86_64|manylinux_2_[0-9]{1,2}_x86_64)",
        ) {
            let filename = format!("{name}-{major}.{minor}-{py}-{abi}-{plat}.whl");
            let f = DistFilename::parse(&filename).unwrap();
            prop_assert_eq!(f.package_name(), name.parse::<PackageName>().ok());
            prop_assert_eq!(f.version, Version::new([major, minor]));
            prop_assert!(matches!(f.kind, DistKind::Wheel(_)));
        }

        #[test]
        fn py3_none_any_fits_every_target(minor in 0u32..40, glibc in proptest::option::of((2u32..3, 0u32..40))) {
            let tags = WheelTags { python: vec!["py3".into()], abi: vec!["none".into()], platform: vec!["any".into()] };
            prop_assert_eq!(compatibility(&tags, &PythonTarget::cpython3(minor, glibc)), Compatibility::Compatible);
        }

        #[test]
        fn cp_wheels_fit_only_their_own_minor(wheel_minor in 0u32..20, target_minor in 0u32..20) {
            let tag = format!("cp3{wheel_minor}");
            let tags = WheelTags { python: vec![tag.clone()], abi: vec![tag], platform: vec!["manylinux2014_x86_64".into()] };
            let fits = compatibility(&tags, &PythonTarget::cpython3(target_minor, Some((2, 26)))) == Compatibility::Compatible;
            prop_assert_eq!(fits, wheel_minor == target_minor);
        }
    }
}
