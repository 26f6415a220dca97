//! uv's resolution errors, read into what went wrong, and redacted.
//!
//! uv explains a failed resolution in one "cause" paragraph (PubGrub's
//! derivation), e.g.:
//!
//! ```text
//! error: No solution found when resolving dependencies
//!   cause: Because acme-core was not found in the package registry and all
//!          versions of acme-tools depend on acme-core>=2, we can conclude …
//! ```
//!
//! [`ResolutionError::from_stderr`] keeps that paragraph (redacted) and
//! picks out the first thing to fix: a package the index does not have, a
//! package with no wheel, or a requirement that would replace a package
//! Glue provides.

use std::fmt;

use glue_codeartifact_domain::index_url::IndexUrl;
use glue_codeartifact_domain::secret::redact_known;
use glue_codeartifact_python_env::runtime::Runtime;
use pep508_rs::PackageName;
use percent_encoding::percent_decode_str;
use url::Url;

/// What to fix, as far as uv's message tells.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The index has no such package.
    Missing {
        /// The package uv could not find.
        package: String,
        /// Who needs it and how: `("acme-tools", "acme-core>=2")`; `None`
        /// when it is a root requirement.
        needed_by: Option<(String, String)>,
    },
    /// The package has no wheel for the runtime (only an sdist, or wheels
    /// for other platforms).
    NoWheel {
        /// The package.
        package: String,
        /// The version uv looked at, when it says.
        version: Option<String>,
    },
    /// A requirement asks for another version of a package Glue provides.
    Provided {
        /// The package.
        package: String,
        /// The version Glue's image has.
        provided: String,
        /// The requirement that conflicts, e.g. `numpy>=2`.
        requirement: String,
        /// Who asks for it; `None` for a root requirement.
        needed_by: Option<String>,
    },
    /// The requirements conflict in another way.
    Unsatisfiable,
    /// uv failed for another reason (index unreachable or refused, …).
    Other,
}

/// uv could not resolve; `detail` is uv's explanation, redacted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ResolutionError {
    /// What to fix.
    pub failure: Failure,
    /// uv's own explanation, without the `error:` lines' noise and with
    /// every credential replaced by `****`.
    pub detail: String,
}

impl fmt::Display for ResolutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uv could not resolve the requirements: {}", self.detail)
    }
}

/// Replaces the index URL's token (as written in the URL, and decoded),
/// and the user-info of any other URL in `text`, by `****`: the project's
/// one rule, [`redact_known`].
pub fn redact(text: &str, index: &IndexUrl) -> String {
    let password = Url::parse(index.expose_secret())
        .ok()
        .and_then(|url| url.password().map(str::to_owned))
        .unwrap_or_default();
    let decoded = percent_decode_str(&password).decode_utf8_lossy();
    redact_known(text, &[password.as_str(), decoded.as_ref()])
}

/// The words of `text` after `marker`, up to a separator.
fn word_after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let start = text.find(marker)? + marker.len();
    let word = text[start..].split_whitespace().next()?;
    Some(word.trim_end_matches([',', '.', ';']))
}

/// The package a requirement or pin names: `acme-core>=2` → `acme-core`.
fn name_of(requirement: &str) -> &str {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(requirement.len());
    &requirement[..end]
}

/// Whether two names are the same package (PEP 503 normalization, by
/// pep508_rs); an invalid name matches nothing.
fn same_name(a: &str, b: &str) -> bool {
    match (
        PackageName::new(a.to_owned()),
        PackageName::new(b.to_owned()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Who depends on `requirement` (starting with the package `name`), in a
/// clause such as "all versions of acme-tools depend on acme-core>=2" or
/// "acme-tools==1.2.0 depends on acme-core>=2".
fn dependent_of(cause: &str, name: &str) -> Option<(String, String)> {
    for marker in [" depend on ", " depends on "] {
        let mut from = 0;
        while let Some(i) = cause[from..].find(marker) {
            let at = from + i;
            let requirement = cause[at + marker.len()..]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches([',', '.']);
            if same_name(name_of(requirement), name) {
                let before = &cause[..at];
                let subject = before.split_whitespace().next_back().unwrap_or_default();
                let dependent = subject.split("==").next().unwrap_or(subject);
                return Some((dependent.to_owned(), requirement.to_owned()));
            }
            from = at + marker.len();
        }
    }
    None
}

impl ResolutionError {
    /// Reads uv's stderr (already redacted) for `runtime`.
    pub fn from_stderr(stderr: &str, runtime: &Runtime) -> Self {
        let detail = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .filter(|l| !l.starts_with("warning: The requested Python version"))
            .filter(|l| *l != "error: No solution found when resolving dependencies")
            .map(|l| l.strip_prefix("cause: ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join(" ");
        let failure = classify(&detail, runtime);
        Self { failure, detail }
    }
}

fn classify(cause: &str, runtime: &Runtime) -> Failure {
    if let Some(package) = word_after(cause, "Because ")
        .filter(|_| cause.contains(" was not found in the package registry"))
        .and_then(|_| {
            let end = cause.find(" was not found in the package registry")?;
            cause[..end].split_whitespace().next_back()
        })
    {
        let needed_by = dependent_of(cause, package);
        return Failure::Missing {
            package: package.to_owned(),
            needed_by,
        };
    }
    if let Some(end) = cause.find(" has no usable wheels") {
        let subject = cause[..end]
            .split_whitespace()
            .next_back()
            .unwrap_or_default();
        let (package, version) = match subject.split_once("==") {
            Some((p, v)) => (p, Some(v.to_owned())),
            None => (subject, None),
        };
        return Failure::NoWheel {
            package: package.to_owned(),
            version,
        };
    }
    if let Some(hint) = word_after(cause, "Wheels are required for `") {
        return Failure::NoWheel {
            package: hint.trim_end_matches('`').to_owned(),
            version: None,
        };
    }
    for provided in runtime.provided {
        let name = provided.package_name().to_string();
        let pin = format!("{name}=={}", provided.version);
        let mentions_pin = cause
            .split(|c: char| c.is_whitespace() || c == ',')
            .any(|w| {
                same_name(name_of(w), &name) && w.ends_with(&format!("=={}", provided.version))
            });
        if !mentions_pin && !cause.contains(&pin) {
            continue;
        }
        if let Some((dependent, requirement)) = dependent_of(cause, &name) {
            return Failure::Provided {
                package: name,
                provided: provided.version.to_owned(),
                requirement,
                needed_by: Some(dependent),
            };
        }
        if let Some(requirement) = word_after(cause, "you require ").filter(|r| {
            same_name(name_of(r), &name) && !r.ends_with(&format!("=={}", provided.version))
        }) {
            return Failure::Provided {
                package: name,
                provided: provided.version.to_owned(),
                requirement: requirement.to_owned(),
                needed_by: None,
            };
        }
    }
    if cause.contains("unsatisfiable") || cause.contains("cannot be used") {
        Failure::Unsatisfiable
    } else {
        Failure::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_codeartifact_domain::index_url::PackageFormat;
    use glue_codeartifact_domain::secret::AuthToken;
    use glue_codeartifact_python_env::runtime::{JobType, lookup};

    fn glue4() -> &'static Runtime {
        lookup(JobType::Spark, Some("4.0"), None, None).unwrap()
    }

    fn err(stderr: &str) -> ResolutionError {
        ResolutionError::from_stderr(stderr, glue4())
    }

    #[test]
    fn missing_transitive_dependency() {
        let e = err(
            "warning: The requested Python version 3.10 is not available; 3.11.7 will be used to build dependencies instead.\nerror: No solution found when resolving dependencies\n  cause: Because acme-absent was not found in the package registry and all versions of acme-gap depend on acme-absent>=2, we can conclude that all versions of acme-gap cannot be used.\n         And because you require acme-gap, we can conclude that your requirements are unsatisfiable.\n",
        );
        assert_eq!(
            e.failure,
            Failure::Missing {
                package: "acme-absent".into(),
                needed_by: Some(("acme-gap".into(), "acme-absent>=2".into()))
            }
        );
        assert!(e.detail.starts_with("Because acme-absent"), "{}", e.detail);
        let e = err(
            "  cause: Because acme-missing was not found in the package registry and you require acme-missing, we can conclude that your requirements are unsatisfiable.",
        );
        assert_eq!(
            e.failure,
            Failure::Missing {
                package: "acme-missing".into(),
                needed_by: None
            }
        );
        let e = err(
            "  cause: Because acme-core was not found in the package registry and acme-tools==1.2.0 depends on acme-core>=2, we can conclude that acme-tools==1.2.0 cannot be used.",
        );
        assert_eq!(
            e.failure,
            Failure::Missing {
                package: "acme-core".into(),
                needed_by: Some(("acme-tools".into(), "acme-core>=2".into()))
            }
        );
    }

    #[test]
    fn no_wheel() {
        let e = err(
            "  cause: Because acme-util==0.4.0 has no usable wheels and only acme-util<=0.4.0 is available, we can conclude that acme-util>=0.4.0 cannot be used.\n         And because all versions of acme-src depend on acme-util>=0.4 and you require acme-src, we can conclude that your requirements are unsatisfiable.\n\nhint: Wheels are required for `acme-util` because building from source is disabled for all packages (i.e., with `--no-build`)",
        );
        assert_eq!(
            e.failure,
            Failure::NoWheel {
                package: "acme-util".into(),
                version: Some("0.4.0".into())
            }
        );
    }

    #[test]
    fn provided_conflicts() {
        let e = err(
            "  cause: Because all versions of acme-ml depend on numpy>=2 and numpy==1.23.5, we can conclude that all versions of acme-ml cannot be used.\n         And because you require acme-ml, we can conclude that your requirements are unsatisfiable.",
        );
        assert_eq!(
            e.failure,
            Failure::Provided {
                package: "numpy".into(),
                provided: "1.23.5".into(),
                requirement: "numpy>=2".into(),
                needed_by: Some("acme-ml".into())
            }
        );
        let e = err(
            "  cause: Because you require numpy>=2 and numpy==1.23.5, we can conclude that your requirements are unsatisfiable.",
        );
        assert_eq!(
            e.failure,
            Failure::Provided {
                package: "numpy".into(),
                provided: "1.23.5".into(),
                requirement: "numpy>=2".into(),
                needed_by: None
            }
        );
        let e = err(
            "  cause: Because only acme-tools>=1.1.0 is available and you require acme-tools<1, we can conclude that your requirements are unsatisfiable.",
        );
        assert_eq!(e.failure, Failure::Unsatisfiable);
        assert_eq!(
            err("error: Failed to fetch: `https://****@h/simple/x/`").failure,
            Failure::Other
        );
    }

    #[test]
    fn redaction_removes_every_form_of_the_token() {
        let token = AuthToken::new("eyJ.SECRET+/=part");
        let index = IndexUrl::build(
            "https://d-1.d.codeartifact.us-east-1.amazonaws.com/pypi/r/",
            &token,
            PackageFormat::Pypi,
        )
        .unwrap();
        let text = format!(
            "GET {} failed; token eyJ.SECRET+/=part; other https://bob:hunter2@example.com/simple/ and http://user@h:1/x",
            index.expose_secret()
        );
        let out = redact(&text, &index);
        assert!(!out.contains("SECRET"), "{out}");
        // The one rule (domain::secret): a password goes, the user name
        // beside it stays (as pip and uv print it); a bare user name is the
        // credential and goes.
        assert!(!out.contains("hunter2") && !out.contains("user@"), "{out}");
        assert!(
            out.contains("https://bob:****@example.com/simple/"),
            "{out}"
        );
        assert!(out.contains("http://****@h:1/x"), "{out}");
        assert!(
            out.contains(
                "https://aws:****@d-1.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/"
            ),
            "{out}"
        );
    }
}
