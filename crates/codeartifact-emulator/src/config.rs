//! What an emulator serves: its account, region, repositories and quirks.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// The configuration of one emulator instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The 12-digit AWS account that owns every domain (moto's default account by default).
    pub account: String,
    /// The region named in ARNs and error messages.
    pub region: String,
    /// The repositories served; their domains are the emulator's domains.
    pub repositories: Vec<Repository>,
    /// Extra time added to every control-plane response (for benchmarks); zero by default.
    pub latency: Duration,
    /// How issued tokens look.
    pub token_style: TokenStyle,
    /// Whether GetRepositoryEndpoint's URL ends with `/`, as AWS's does
    /// (the default); `false` tests a client that must not rely on it.
    pub endpoint_trailing_slash: bool,
    /// How the index answers credentials it refuses (an unknown, expired or
    /// foreign token). By default 404 ([`RefusedStatus::NotFound`]), or what
    /// the environment variable `CODEARTIFACT_EMULATOR_REFUSED_STATUS`
    /// (`401` or `404`) says, so a whole test suite can run under either.
    pub refused_status: RefusedStatus,
    /// The remaining lifetime of the caller's session, which `duration=0`
    /// tokens follow. By default the environment variable
    /// `CODEARTIFACT_EMULATOR_SESSION_REMAINING_SECS`, else one hour.
    pub session_remaining: Duration,
    /// Whether `simple/` lists the projects. CodeArtifact does not (guide,
    /// "Python compatibility": no `/simple/` listing); off by default.
    pub project_list: bool,
    /// An upstream with an external connection to a `public:pypi` stand-in,
    /// shared by every repository: projects a repository has no file of
    /// come from it (see [`Upstream`]). None by default.
    pub upstream: Option<Upstream>,
    /// Whether the index, the control plane and the S3 stand-in speak
    /// HTTPS, with a certificate for `127.0.0.1` and `localhost` issued by
    /// a CA the emulator makes at start
    /// ([`crate::EmulatorHandle::ca_file`]). Off by default.
    pub tls: bool,
}

/// The upstream repository every repository falls back to: the files of
/// `packages_dir` play the public index (PyPI) behind CodeArtifact's
/// external connection. What is modelled and why: `crate::upstream`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// The directory whose distribution files are "PyPI"; a file's
    /// modification time is when that version was published.
    pub packages_dir: PathBuf,
    /// Answer the first index request for each project that must come from
    /// the upstream with 500, once per repository (astral-sh/uv#8957).
    pub fail_first_fetch: bool,
    /// Added to each index request for a project until it has been fetched
    /// from the upstream once.
    pub first_fetch_latency: Duration,
    /// How long the regional metadata cache keeps a project's version list
    /// before the next request imports newer versions: 3 hours for Python
    /// (guide, "Availability of new package versions").
    pub cache_lifetime: Duration,
    /// When the regional cache last imported every project, before the
    /// emulator started; files modified later are hidden on a project's
    /// first request. `None`: the emulator's start.
    pub imported_at: Option<SystemTime>,
}

impl Upstream {
    /// An upstream serving `packages_dir`, with no failures or latency and
    /// the documented 3-hour cache lifetime.
    pub fn new(packages_dir: PathBuf) -> Self {
        Upstream {
            packages_dir,
            fail_first_fetch: false,
            first_fetch_latency: Duration::ZERO,
            cache_lifetime: UPSTREAM_CACHE_LIFETIME,
            imported_at: None,
        }
    }
}

/// "CodeArtifact will check for new versions of a package at most once
/// every 3 hours" (Python and Maven; guide, "Availability of new package versions").
pub const UPSTREAM_CACHE_LIFETIME: Duration = Duration::from_secs(3 * 3_600);

/// The environment variable [`Config::default`] reads `session_remaining` from.
pub const SESSION_REMAINING_ENV: &str = "CODEARTIFACT_EMULATOR_SESSION_REMAINING_SECS";

fn session_remaining_from_env() -> Duration {
    Duration::from_secs(
        std::env::var(SESSION_REMAINING_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(crate::tokens::CREDENTIALS_LIFETIME_SECS),
    )
}

/// The status the index answers refused credentials with.
///
/// The evidence is split: uv's maintainers say "CodeArtifact returns a 404
/// when you provide invalid credentials" (astral-sh/uv#11899), while older
/// pip and uv logs show 401 for a bad token (actions/setup-python#733,
/// astral-sh/uv#2444). A request without any `Authorization` gets 401 with
/// a `Bearer` challenge either way (pex-tool/pex#1803, pex-tool/pex#3225).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefusedStatus {
    /// 401 with the challenge.
    Unauthorized,
    /// 404, indistinguishable from a missing project (the default).
    #[default]
    NotFound,
}

impl RefusedStatus {
    /// The environment variable [`Config::default`] reads.
    pub const ENV: &'static str = "CODEARTIFACT_EMULATOR_REFUSED_STATUS";

    /// The status code.
    pub fn code(self) -> u16 {
        match self {
            RefusedStatus::Unauthorized => 401,
            RefusedStatus::NotFound => 404,
        }
    }

    fn from_env() -> RefusedStatus {
        std::env::var(Self::ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    }
}

impl FromStr for RefusedStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "401" => Ok(RefusedStatus::Unauthorized),
            "404" => Ok(RefusedStatus::NotFound),
            other => Err(format!("refused status {other:?} is not 401 or 404")),
        }
    }
}

impl fmt::Display for RefusedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            account: "123456789012".to_owned(),
            region: "us-east-1".to_owned(),
            repositories: Vec::new(),
            latency: Duration::ZERO,
            token_style: TokenStyle::Plain,
            endpoint_trailing_slash: true,
            refused_status: RefusedStatus::from_env(),
            session_remaining: session_remaining_from_env(),
            project_list: false,
            upstream: None,
            tls: false,
        }
    }
}

impl Config {
    /// Checks names against the CodeArtifact API's patterns and that every
    /// packages directory exists, so a typo fails at start, not at the first request.
    pub fn validate(&self) -> io::Result<()> {
        let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
        if !is_account_id(&self.account) {
            return Err(invalid(format!(
                "account {:?} is not a 12-digit AWS account id",
                self.account
            )));
        }
        if self.region.is_empty() {
            return Err(invalid("region must not be empty".to_owned()));
        }
        for (i, repo) in self.repositories.iter().enumerate() {
            if !is_domain_name(&repo.domain) {
                return Err(invalid(format!(
                    "domain {:?} does not match CodeArtifact's pattern [a-z][a-z0-9-]{{0,48}}[a-z0-9]",
                    repo.domain
                )));
            }
            if !is_repository_name(&repo.name) {
                return Err(invalid(format!(
                    "repository {:?} does not match CodeArtifact's pattern [A-Za-z0-9][A-Za-z0-9._-]{{1,99}}",
                    repo.name
                )));
            }
            if self.repositories[..i]
                .iter()
                .any(|r| r.domain == repo.domain && r.name == repo.name)
            {
                return Err(invalid(format!(
                    "repository {}/{} is configured twice",
                    repo.domain, repo.name
                )));
            }
            if !repo.packages_dir.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "packages directory {} of repository {}/{} is not a directory",
                        repo.packages_dir.display(),
                        repo.domain,
                        repo.name
                    ),
                ));
            }
        }
        if let Some(upstream) = &self.upstream
            && !upstream.packages_dir.is_dir()
        {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "upstream directory {} is not a directory",
                    upstream.packages_dir.display()
                ),
            ));
        }
        Ok(())
    }

    /// Whether any repository belongs to `domain`.
    pub(crate) fn has_domain(&self, domain: &str) -> bool {
        self.repositories.iter().any(|r| r.domain == domain)
    }

    /// The repository `name` in `domain`, if configured.
    pub(crate) fn repository(&self, domain: &str, name: &str) -> Option<&Repository> {
        self.repositories
            .iter()
            .find(|r| r.domain == domain && r.name == name)
    }
}

/// One CodeArtifact repository whose packages are the files in a local directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The CodeArtifact domain the repository belongs to.
    pub domain: String,
    /// The repository's name.
    pub name: String,
    /// The directory whose `*.whl`, `*.tar.gz` and `*.zip` files the repository serves.
    /// It is read again on every index request.
    pub packages_dir: PathBuf,
}

impl FromStr for Repository {
    type Err = String;

    /// Parses the command-line form `DOMAIN/REPO=DIR`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (names, dir) = s
            .split_once('=')
            .ok_or_else(|| format!("{s:?} is not of the form DOMAIN/REPO=DIR"))?;
        let (domain, name) = names
            .split_once('/')
            .ok_or_else(|| format!("{names:?} is not of the form DOMAIN/REPO"))?;
        if domain.is_empty() || name.is_empty() || dir.is_empty() {
            return Err(format!("{s:?} is not of the form DOMAIN/REPO=DIR"));
        }
        Ok(Repository {
            domain: domain.to_owned(),
            name: name.to_owned(),
            packages_dir: PathBuf::from(dir),
        })
    }
}

/// How issued authorization tokens look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenStyle {
    /// Like real CodeArtifact tokens: base64url segments joined by `.`.
    #[default]
    Plain,
    /// Contains characters that must be percent-encoded in URL userinfo
    /// (`+ / = : @ % ? #`, space and more), to catch missing encoding.
    /// Still only printable ASCII, so `aws:TOKEN` works in HTTP Basic auth.
    Awkward,
}

impl FromStr for TokenStyle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "plain" => Ok(TokenStyle::Plain),
            "awkward" => Ok(TokenStyle::Awkward),
            other => Err(format!(
                "unknown token style {other:?} (expected plain or awkward)"
            )),
        }
    }
}

impl fmt::Display for TokenStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenStyle::Plain => "plain",
            TokenStyle::Awkward => "awkward",
        })
    }
}

// These three copy the patterns of CodeArtifact's API model, as
// `glue_codeartifact_domain::names` does, on purpose: the emulator stands in
// for AWS and does not depend on the code it tests, so a wrong rule in our
// domain crate is refused here (as AWS would refuse it) instead of agreed with.

/// `[0-9]{12}`, CodeArtifact's `AccountId`.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `[a-z][a-z0-9\-]{0,48}[a-z0-9]`, CodeArtifact's `DomainName`.
pub(crate) fn is_domain_name(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=50).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// `[A-Za-z0-9][A-Za-z0-9._\-]{1,99}`, CodeArtifact's `RepositoryName`.
pub(crate) fn is_repository_name(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=100).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_repository_flag() {
        let r: Repository = "acme/pypi-store=/tmp/pkgs".parse().unwrap();
        assert_eq!(r.domain, "acme");
        assert_eq!(r.name, "pypi-store");
        assert_eq!(r.packages_dir, PathBuf::from("/tmp/pkgs"));
        assert!("acme=/tmp".parse::<Repository>().is_err());
        assert!("acme/repo".parse::<Repository>().is_err());
        assert!("/repo=/tmp".parse::<Repository>().is_err());
    }

    #[test]
    fn name_patterns_follow_the_api_model() {
        assert!(is_domain_name("acme"));
        assert!(is_domain_name("my-domain-2"));
        assert!(!is_domain_name("a"));
        assert!(!is_domain_name("Acme"));
        assert!(!is_domain_name("acme-"));
        assert!(!is_domain_name("1acme"));
        assert!(is_repository_name("Py.Repo_1-x"));
        assert!(!is_repository_name("_repo"));
        assert!(!is_repository_name("r"));
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
    }

    #[test]
    fn validate_rejects_a_missing_directory() {
        let config = Config {
            repositories: vec![Repository {
                domain: "acme".into(),
                name: "repo".into(),
                packages_dir: PathBuf::from("/nonexistent/codeartifact-emulator"),
            }],
            ..Config::default()
        };
        assert_eq!(
            config.validate().unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
