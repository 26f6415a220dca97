//! Where the token becomes a pip index URL.
//!
//! `GetRepositoryEndpoint` returns the repository's base URL, e.g.
//! `https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/`.
//! pip's index is that URL plus `simple/`, with user `aws` and the token as
//! password. The URL is built by parsing, never by string replacement, so it
//! works for any host (VPC endpoint names included), any port and `http://`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::secret::{AuthToken, REDACTED, SecretText};

/// The user name CodeArtifact expects in the index URL.
pub const USER: &str = "aws";

/// Everything but RFC 3986 "unreserved" characters is percent-encoded in the
/// password. That is stricter than userinfo needs, and keeps the URL free of
/// characters that a shell, a comma-separated Glue argument or pip's option
/// parser would treat specially.
const PASSWORD: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The package format of a CodeArtifact repository endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PackageFormat {
    /// A Python package index (pip, uv).
    #[default]
    Pypi,
}

impl PackageFormat {
    /// The `format` value of `GetRepositoryEndpoint`.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageFormat::Pypi => "pypi",
        }
    }
}

/// Why an index URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexUrlError {
    /// The repository endpoint is not a URL.
    #[error(
        "the repository endpoint {endpoint:?} is not a valid URL ({reason}); check the endpoint override (AWS_ENDPOINT_URL_CODEARTIFACT) or report a bug"
    )]
    InvalidEndpoint {
        /// The endpoint as returned by CodeArtifact.
        endpoint: String,
        /// What the URL parser said.
        reason: String,
    },
    /// The repository endpoint has a scheme pip cannot fetch from.
    #[error(
        "the repository endpoint {endpoint:?} is not an http(s) URL; pip can only use http:// or https:// indexes"
    )]
    NotHttp {
        /// The endpoint as returned by CodeArtifact.
        endpoint: String,
    },
}

/// An authenticated pip index URL: `https://aws:TOKEN@HOST/pypi/REPO/simple/`.
///
/// `Debug` and `Display` redact the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexUrl {
    text: SecretText,
    repository_url: Url,
}

impl IndexUrl {
    /// Builds the index URL from a repository endpoint and a token.
    pub fn build(
        endpoint: &str,
        token: &AuthToken,
        format: PackageFormat,
    ) -> Result<Self, IndexUrlError> {
        let invalid = |reason: String| IndexUrlError::InvalidEndpoint {
            endpoint: endpoint.to_owned(),
            reason,
        };
        let mut url = Url::parse(endpoint.trim()).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(IndexUrlError::NotHttp {
                endpoint: endpoint.to_owned(),
            });
        }
        if url.cannot_be_a_base() || url.host().is_none() {
            return Err(invalid("it has no host".into()));
        }
        url.set_query(None);
        url.set_fragment(None);
        // Keep whatever user the endpoint had out of it: the index uses `aws`.
        let _ = url.set_password(None);
        let _ = url.set_username("");
        match format {
            PackageFormat::Pypi => {
                let path = url.path().trim_end_matches('/').to_owned();
                let path = if path.ends_with("/simple") || path == "simple" {
                    format!("{path}/")
                } else {
                    format!("{path}/simple/")
                };
                url.set_path(&path);
            }
        }
        let repository_url = url.clone();
        if let Some(c) = repository_url
            .as_str()
            .chars()
            .find(|c| !plain_url_char(*c))
        {
            return Err(invalid(format!(
                "it contains {c:?}, which would split a comma-separated Glue argument or need quoting in pip's options; a CodeArtifact endpoint holds only letters, digits and - . _ ~ : / % @ [ ]"
            )));
        }
        let encoded: String = utf8_percent_encode(token.expose_secret(), PASSWORD).collect();
        let with_password = |url: &Url, password: &str| -> Result<String, IndexUrlError> {
            let mut url = url.clone();
            url.set_username(USER)
                .and_then(|()| url.set_password(Some(password)))
                .map_err(|()| invalid("it cannot carry credentials".into()))?;
            Ok(url.into())
        };
        let exposed = with_password(&repository_url, &encoded)?;
        let redacted = with_password(&repository_url, REDACTED)?;
        Ok(Self {
            text: SecretText::new(exposed, redacted),
            repository_url,
        })
    }

    /// The URL with the token, as pip needs it.
    pub fn expose_secret(&self) -> &str {
        self.text.expose_secret()
    }

    /// The URL with the token replaced by `****`.
    pub fn redacted(&self) -> &str {
        self.text.redacted()
    }

    /// The URL without credentials: identifies the repository's index.
    pub fn without_credentials(&self) -> &Url {
        &self.repository_url
    }
}

impl std::fmt::Display for IndexUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.redacted())
    }
}

/// Whether `c` may appear in an index URL as it is: the URL then splits as
/// one shell word and never splits a comma-separated Glue argument. (Found
/// by fuzzing: `http://,/` was accepted, and its comma would have cut a
/// Python shell job's `--additional-python-modules` in two.)
fn plain_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/%@[]".contains(c)
}

/// Whether `candidate` (any URL text, with or without credentials) points at
/// the same index as `index`: the same URL (scheme, host, port and path,
/// ignoring credentials and a trailing slash), or the same CodeArtifact
/// repository through another host form ([`RepositoryId`]: public,
/// dual-stack or VPC endpoint host).
pub fn same_index(index: &Url, candidate: &str) -> bool {
    let Ok(mut other) = Url::parse(candidate) else {
        return false;
    };
    let _ = other.set_password(None);
    let _ = other.set_username("");
    other.set_query(None);
    other.set_fragment(None);
    let same_url = index.scheme() == other.scheme()
        && index.host_str().map(str::to_ascii_lowercase)
            == other.host_str().map(str::to_ascii_lowercase)
        && index.port_or_known_default() == other.port_or_known_default()
        && index.path().trim_end_matches('/') == other.path().trim_end_matches('/');
    same_url
        || RepositoryId::of(index)
            .zip(RepositoryId::of(&other))
            .is_some_and(|(a, b)| a.is_same_as(&b))
}

/// A CodeArtifact repository as its URLs name it, whatever the host form:
///
/// - public and dual-stack hosts: `https://DOMAIN-OWNER.d.codeartifact.REGION.…/FORMAT/REPO/`;
/// - a VPC endpoint without private DNS: `https://VPCE-HOST/FORMAT/d/DOMAIN-OWNER/REPO/`
///   (CodeArtifact guide, "Use the codeartifact.repositories endpoint
///   without private DNS");
/// - a loopback stand-in (the emulator): `http://127.0.0.1:PORT/DOMAIN-OWNER/FORMAT/REPO/`.
///
/// Each may end in pip's `simple/`. Two URLs of one repository have the
/// same domain, owner, format and repository; the region is compared only
/// where both hosts name one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryId {
    /// The domain.
    pub domain: String,
    /// The domain owner's 12-digit account ID.
    pub owner: String,
    /// The package format (`pypi`).
    pub format: String,
    /// The repository.
    pub repository: String,
    /// The region, when the host names one (`…codeartifact.REGION.…`).
    pub region: Option<String>,
}

impl RepositoryId {
    /// Reads the repository a URL points at; `None` for a URL that is not
    /// a CodeArtifact repository's in any documented form.
    pub fn of(url: &Url) -> Option<Self> {
        let host = url.host_str()?.to_ascii_lowercase();
        let mut segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        if segments.last() == Some(&"simple") {
            segments.pop();
        }
        let labels: Vec<&str> = host.split('.').collect();
        let region = labels
            .iter()
            .position(|l| *l == "codeartifact")
            .and_then(|i| labels.get(i + 1))
            .map(|r| (*r).to_owned());
        let (label, format, repository) = match segments.as_slice() {
            [format, "d", label, repository] => (*label, *format, *repository),
            [format, repository] if labels.get(1) == Some(&"d") && region.is_some() => {
                (labels[0], *format, *repository)
            }
            [label, format, repository] => (*label, *format, *repository),
            _ => return None,
        };
        let (domain, owner) = split_domain_owner(label)?;
        Some(Self {
            domain: domain.to_owned(),
            owner: owner.to_owned(),
            format: format.to_owned(),
            repository: repository.to_owned(),
            region,
        })
    }

    /// The same repository: same domain, owner, format and repository, and
    /// the same region where both name one.
    pub fn is_same_as(&self, other: &Self) -> bool {
        self.domain == other.domain
            && self.owner == other.owner
            && self.format == other.format
            && self.repository == other.repository
            && match (&self.region, &other.region) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// `DOMAIN-OWNER`: a domain name, a dash, a 12-digit account ID.
pub fn split_domain_owner(label: &str) -> Option<(&str, &str)> {
    label
        .rsplit_once('-')
        .filter(|(domain, owner)| !domain.is_empty() && crate::names::is_account_id(owner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::percent_decode_str;
    use proptest::prelude::*;

    fn build(endpoint: &str, token: &str) -> IndexUrl {
        IndexUrl::build(endpoint, &AuthToken::new(token), PackageFormat::Pypi).unwrap()
    }

    #[test]
    fn aws_endpoint() {
        let url = build(
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/",
            "eyJ2ZXIiOjEs.abc_DEF-123",
        );
        assert_eq!(
            url.expose_secret(),
            "https://aws:eyJ2ZXIiOjEs.abc_DEF-123@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/simple/"
        );
        assert_eq!(
            url.redacted(),
            "https://aws:****@acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/py-internal/simple/"
        );
        assert_eq!(url.to_string(), url.redacted());
        assert!(!format!("{url:?}").contains("eyJ2"));
    }

    #[test]
    fn exactly_one_slash_before_simple() {
        for endpoint in [
            "http://127.0.0.1:4566/acme-123456789012/pypi/r",
            "http://127.0.0.1:4566/acme-123456789012/pypi/r/",
            "http://127.0.0.1:4566/acme-123456789012/pypi/r//",
            "http://127.0.0.1:4566/acme-123456789012/pypi/r/simple",
            "http://127.0.0.1:4566/acme-123456789012/pypi/r/simple/",
        ] {
            assert_eq!(
                build(endpoint, "t").redacted(),
                "http://aws:****@127.0.0.1:4566/acme-123456789012/pypi/r/simple/",
                "{endpoint}"
            );
        }
    }

    #[test]
    fn vpc_endpoint_host_and_port() {
        let url = build(
            "https://vpce-0123456789abcdef-abcdefgh.d.codeartifact.us-west-2.vpce.amazonaws.com:8443/pypi/r/",
            "t",
        );
        assert_eq!(
            url.redacted(),
            "https://aws:****@vpce-0123456789abcdef-abcdefgh.d.codeartifact.us-west-2.vpce.amazonaws.com:8443/pypi/r/simple/"
        );
    }

    #[test]
    fn drops_query_fragment_and_foreign_credentials() {
        let url = build("https://user:pw@host.example/pypi/r/?x=1#frag", "t");
        assert_eq!(
            url.redacted(),
            "https://aws:****@host.example/pypi/r/simple/"
        );
    }

    #[test]
    fn rejects_non_http_and_garbage() {
        for endpoint in [
            "ftp://host/pypi/r/",
            "not a url",
            "",
            "mailto:x@y",
            "file:///tmp/x",
        ] {
            let err =
                IndexUrl::build(endpoint, &AuthToken::new("t"), PackageFormat::Pypi).unwrap_err();
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn awkward_tokens_are_encoded_to_a_shell_safe_url() {
        let url = build("https://h/pypi/r/", "a+b/c=d:e@f%g h?i#j,k'l\"m$n");
        let exposed = url.expose_secret();
        let password = Url::parse(exposed).unwrap().password().unwrap().to_owned();
        assert!(
            password
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~%".contains(c))
        );
        assert_eq!(
            percent_decode_str(&password).decode_utf8().unwrap(),
            "a+b/c=d:e@f%g h?i#j,k'l\"m$n"
        );
    }

    #[test]
    fn same_index_ignores_credentials_and_slash() {
        let url = build("https://h.example/pypi/r/", "t");
        let index = url.without_credentials();
        assert!(same_index(
            index,
            "https://aws:old@h.example/pypi/r/simple/"
        ));
        assert!(same_index(index, "https://H.example:443/pypi/r/simple"));
        assert!(!same_index(index, "https://h.example/pypi/other/simple/"));
        assert!(!same_index(index, "http://h.example/pypi/r/simple/"));
        assert!(!same_index(index, "not a url"));
    }

    #[test]
    fn the_same_repository_in_every_host_form() {
        let forms = [
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
            "https://acme-111122223333.d.codeartifact.us-east-1.on.aws/pypi/r/simple/",
            "https://vpce-0123456789abcdef-abcdefgh.d.codeartifact.us-east-1.vpce.amazonaws.com/pypi/d/acme-111122223333/r/simple/",
            "https://private.example:8443/pypi/d/acme-111122223333/r/",
            "http://127.0.0.1:4566/acme-111122223333/pypi/r/simple/",
            "http://localhost:4566/acme-111122223333/pypi/r/",
        ];
        for a in forms {
            let index = build(a, "t");
            for b in forms {
                assert!(
                    same_index(
                        index.without_credentials(),
                        &b.replacen("://", "://aws:old@", 1)
                    ),
                    "{a} ~ {b}"
                );
            }
        }
        let index = build(forms[0], "t");
        for other in [
            "https://acme-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/r/simple/",
            "https://acme-999922223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
            "https://other-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/",
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r2/simple/",
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/npm/r/",
            "https://vpce-0.d.codeartifact.us-west-2.vpce.amazonaws.com/pypi/d/acme-111122223333/r/",
            "https://pypi.org/simple/",
            "https://h.example/acme-tools/simple/",
        ] {
            assert!(!same_index(index.without_credentials(), other), "{other}");
        }
    }

    proptest! {
        #[test]
        fn token_round_trips_through_the_url(token in any::<String>()) {
            let url = build("https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/", &token);
            let parsed = Url::parse(url.expose_secret()).unwrap();
            prop_assert_eq!(parsed.username(), "aws");
            let password = parsed.password().unwrap_or("");
            prop_assert_eq!(percent_decode_str(password).decode_utf8().unwrap(), token.as_str());
            prop_assert!(url.expose_secret().chars().all(|c| c.is_ascii_graphic()));
            prop_assert!(!url.expose_secret().contains(','));
            prop_assert!(url.redacted().contains("aws:****@"));
        }

        #[test]
        fn any_http_endpoint_gives_one_simple_suffix(
            // Labels that start with a letter and never with `xn--` (which
            // the URL parser reads as punycode).
            host in "[a-wyz][a-z0-9-]{0,20}(\\.[a-wyz][a-z0-9-]{0,9}){0,3}",
            port in proptest::option::of(1u16..),
            segments in proptest::collection::vec("[A-Za-z0-9._-]{1,12}", 0..4),
            trailing in any::<bool>(),
        ) {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let path = segments.join("/");
            let endpoint = format!("http://{host}{port}/{path}{}", if trailing { "/" } else { "" });
            let url = build(&endpoint, "t");
            prop_assert!(url.redacted().ends_with("/simple/"));
            prop_assert!(!url.redacted().contains("//simple"));
        }
    }
}
