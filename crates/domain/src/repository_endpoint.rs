//! How the repository endpoint is reached: its type (IPv4 or dual-stack),
//! and, in private subnets, a `codeartifact.repositories` VPC endpoint that
//! has no private DNS.
//!
//! With private DNS, the normal endpoint
//! (`https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/pypi/REPO/`)
//! resolves to the VPC endpoint and nothing changes. Without it, the URL
//! must use the endpoint's own DNS name, with the domain moved into the path:
//! `https://VPCE-HOST/pypi/d/DOMAIN-OWNER/REPO/` (CodeArtifact guide, "Use
//! CodeArtifact from a VPC", "Use the codeartifact.repositories endpoint
//! without private DNS").

use url::Url;

use crate::input::{Input, InputName};

/// `GetRepositoryEndpoint`'s `endpointType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointType {
    /// An IPv4-only endpoint (the API's default).
    Ipv4,
    /// An endpoint that answers over IPv4 and IPv6.
    Dualstack,
}

impl EndpointType {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointType::Ipv4 => "ipv4",
            EndpointType::Dualstack => "dualstack",
        }
    }
}

/// Why the endpoint could not be rewritten for a VPC endpoint host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VpcEndpointError {
    /// The host given is not a host name (with an optional port).
    #[error("{}", self.message(Input::plain))]
    InvalidHost {
        /// What the user gave.
        host: String,
    },
    /// The repository endpoint does not have the shape CodeArtifact documents.
    #[error("{}", self.message(Input::plain))]
    UnknownShape {
        /// The endpoint.
        endpoint: String,
    },
}

impl VpcEndpointError {
    /// The message, with the host's input named by `name` (a shell's).
    pub fn message(&self, name: InputName) -> String {
        let host_input = name(Input::RepositoryEndpointHost);
        match self {
            VpcEndpointError::InvalidHost { host } => format!(
                "{host_input} {host:?} is not a host name; give the VPC endpoint's DNS name, e.g. vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com"
            ),
            VpcEndpointError::UnknownShape { endpoint } => format!(
                "the repository endpoint {endpoint:?} does not name DOMAIN-OWNER and the repository as CodeArtifact documents, so it cannot be rewritten for {host_input}"
            ),
        }
    }
}

/// Rewrites a repository endpoint to go through `vpce_host`
/// (`host` or `host:port`), keeping its scheme.
pub fn through_vpc_endpoint(endpoint: &str, vpce_host: &str) -> Result<String, VpcEndpointError> {
    let unknown = || VpcEndpointError::UnknownShape {
        endpoint: endpoint.to_owned(),
    };
    let url = Url::parse(endpoint).map_err(|_| unknown())?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let host = url.host_str().ok_or_else(unknown)?;
    // AWS: the first host label is DOMAIN-OWNER and the path is FORMAT/REPO.
    // On loopback stand-ins the label is the first path segment instead.
    let (domain_owner, format, repository) = match segments.as_slice() {
        [format, repository] if host.contains(".d.codeartifact.") => (
            host.split('.').next().unwrap_or_default(),
            *format,
            *repository,
        ),
        [label, format, repository] if is_domain_owner(label) => (*label, *format, *repository),
        _ => return Err(unknown()),
    };
    if !is_domain_owner(domain_owner) {
        return Err(unknown());
    }
    let mut rewritten = host_url(url.scheme(), vpce_host)?;
    rewritten.set_path(&format!("/{format}/d/{domain_owner}/{repository}/"));
    Ok(rewritten.into())
}

/// Checks that `vpce_host` is a host name with an optional port (`host` or
/// `host:port`), the form [`through_vpc_endpoint`] accepts; whether it has
/// the VPC endpoint's shape is [`is_vpc_endpoint_host`].
pub fn check_host_syntax(vpce_host: &str) -> Result<(), VpcEndpointError> {
    host_url("https", vpce_host).map(drop)
}

/// `SCHEME://HOST/`, or why `vpce_host` is not a host.
fn host_url(scheme: &str, vpce_host: &str) -> Result<Url, VpcEndpointError> {
    let invalid = || VpcEndpointError::InvalidHost {
        host: vpce_host.to_owned(),
    };
    let candidate = vpce_host.trim().trim_end_matches('/');
    if candidate.is_empty() || candidate.contains(['/', '@', '?', '#', ' ', '\\']) {
        return Err(invalid());
    }
    let url = Url::parse(&format!("{scheme}://{candidate}/")).map_err(|_| invalid())?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid());
    }
    Ok(url)
}

/// The documented shape [`is_vpc_endpoint_host`] accepts, for the errors
/// that refuse a host (the CLI's and the Lambda's).
pub const VPC_ENDPOINT_HOST_SHAPE: &str = "a codeartifact.repositories VPC endpoint's DNS name (vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com, as `aws ec2 describe-vpc-endpoints` lists it)";

/// Whether `host` has the documented shape of a `codeartifact.repositories`
/// VPC endpoint's DNS name, `vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com`
/// (CodeArtifact guide, "Use CodeArtifact from a VPC": "the `DnsName` of the
/// endpoint", e.g.
/// `vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com`;
/// a zonal name adds `-AZ` to the first label; `amazonaws.com.cn` in the
/// China regions). The index URL's host receives every token, so any other
/// host needs an explicit opt-out (the CLI's `--allow-any-endpoint-host`).
pub fn is_vpc_endpoint_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let rest = host
        .strip_suffix(".vpce.amazonaws.com")
        .or_else(|| host.strip_suffix(".vpce.amazonaws.com.cn"));
    let Some(rest) = rest else {
        return false;
    };
    let Some((endpoint, region)) = rest.split_once(".d.codeartifact.") else {
        return false;
    };
    // REGION: letters and digits in dash-separated parts, ending in a digit
    // (us-west-2, cn-north-1, us-gov-west-1).
    let region_ok = region.split('-').count() >= 3
        && region
            .split('-')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && region.ends_with(|c: char| c.is_ascii_digit());
    // vpce-ID-SUFFIX[-AZ]: ID hexadecimal, SUFFIX alphanumeric.
    let mut parts = endpoint.split('-');
    let endpoint_ok = parts.next() == Some("vpce")
        && parts
            .next()
            .is_some_and(|id| id.len() >= 8 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts
            .next()
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    region_ok && endpoint_ok
}

/// `DOMAIN-OWNER`: a domain name, a dash, a 12-digit account ID.
fn is_domain_owner(label: &str) -> bool {
    crate::index_url::split_domain_owner(label).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VPCE: &str =
        "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com";

    #[test]
    fn aws_endpoint_as_documented() {
        assert_eq!(
            through_vpc_endpoint(
                "https://my-domain-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/py-internal/",
                VPCE
            )
            .unwrap(),
            format!("https://{VPCE}/pypi/d/my-domain-111122223333/py-internal/")
        );
    }

    #[test]
    fn only_the_documented_vpc_endpoint_shape_is_one() {
        for host in [
            VPCE,
            "vpce-0743fe535b883ffff-76ddffff-us-west-2a.d.codeartifact.us-west-2.vpce.amazonaws.com",
            "VPCE-0743FE535B883FFFF-76DDFFFF.d.codeartifact.us-west-2.vpce.amazonaws.com",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.cn-north-1.vpce.amazonaws.com.cn",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-gov-west-1.vpce.amazonaws.com",
        ] {
            assert!(is_vpc_endpoint_host(host), "{host}");
        }
        for host in [
            "evil.example.com",
            "localhost:4000",
            "127.0.0.1",
            "acme-111122223333.d.codeartifact.us-west-2.amazonaws.com",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com.evil.example",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com:443",
            "x.vpce-0743fe535b883ffff-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com",
            "vpce-zz-76ddffff.d.codeartifact.us-west-2.vpce.amazonaws.com",
            "vpce-0743fe535b883ffff.d.codeartifact.us-west-2.vpce.amazonaws.com",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact..vpce.amazonaws.com",
            "vpce-0743fe535b883ffff-76ddffff.d.codeartifact.evil.vpce.amazonaws.com",
            "",
        ] {
            assert!(!is_vpc_endpoint_host(host), "{host}");
        }
    }

    #[test]
    fn loopback_stand_in_and_port() {
        assert_eq!(
            through_vpc_endpoint(
                "http://127.0.0.1:4000/acme-123456789012/pypi/r/",
                "localhost:4000"
            )
            .unwrap(),
            "http://localhost:4000/pypi/d/acme-123456789012/r/"
        );
    }

    #[test]
    fn refuses_bad_hosts_and_shapes() {
        let endpoint = "https://acme-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/r/";
        for host in ["", "https://x/", "a b", "x/y", "user@host"] {
            assert!(
                matches!(
                    through_vpc_endpoint(endpoint, host),
                    Err(VpcEndpointError::InvalidHost { .. })
                ),
                "{host:?}"
            );
        }
        for endpoint in [
            "https://example.com/pypi/r/",
            "not a url",
            "https://acme-1.d.codeartifact.x.amazonaws.com/pypi/r/",
        ] {
            assert!(
                matches!(
                    through_vpc_endpoint(endpoint, VPCE),
                    Err(VpcEndpointError::UnknownShape { .. })
                ),
                "{endpoint}"
            );
        }
    }
}
