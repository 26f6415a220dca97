//! Where we fetch the package index: a small HTTP client for a repository's
//! simple index (PEP 503 / PEP 691), as pip reads it.
//!
//! The index is not an AWS API, so it sits here rather than in the AWS
//! adapter. It is built from what the SDK already brings (hyper 1,
//! hyper-util, rustls with aws-lc-rs, the system's CA certificates), speaks
//! `https://` to CodeArtifact and plain `http://` to local stand-ins, and
//! gives every request a connect timeout and an overall timeout.
//!
//! The token goes in an `Authorization: Basic base64("aws:" + TOKEN)` header
//! marked sensitive, never in a URL; what is logged is the index URL with
//! the token redacted ([`IndexUrl::redacted`]) and the project name.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use glue_codeartifact_domain::index_url::IndexUrl;
use glue_codeartifact_domain::preflight::index_page::{PageError, ProjectPage};
use glue_codeartifact_domain::secret::AuthToken;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one page may take, redirects and body included. CodeArtifact
/// may fetch a package from an upstream repository on first request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest page read (a PyPI upstream page of a big project is a few
/// megabytes).
pub const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;
/// How many redirects within the index are followed.
const MAX_REDIRECTS: usize = 3;

/// PEP 691 JSON first; PEP 503 HTML when the index has no JSON.
const ACCEPT_JSON_FIRST: &str = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";
/// HTML only.
const ACCEPT_HTML: &str = "text/html";

/// Which representation of a page to ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PageFormat {
    /// PEP 691 JSON when the index has it, else PEP 503 HTML (what pip does).
    #[default]
    PreferJson,
    /// PEP 503 HTML only.
    Html,
}

/// Why a project page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// 404: the repository has no such project.
    #[error("the index has no such project (404)")]
    NotFound,
    /// 401 or 403: the token was refused.
    #[error("the index refused the token ({status})")]
    Refused {
        /// The HTTP status.
        status: u16,
    },
    /// Another unexpected status.
    #[error("the index answered {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// No answer within [`REQUEST_TIMEOUT`].
    #[error("the index did not answer within {}s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    /// The connection failed.
    #[error("the index could not be reached ({0})")]
    Transport(String),
    /// The page was larger than [`MAX_PAGE_BYTES`].
    #[error("the page is larger than {} MiB", MAX_PAGE_BYTES / 1024 / 1024)]
    TooLarge,
    /// The page did not parse.
    #[error(transparent)]
    Page(#[from] PageError),
    /// The client could not be set up (no CA certificates).
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

/// A client for repository index pages. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PackageIndex {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    format: PageFormat,
}

impl PackageIndex {
    /// A client that trusts the system's CA certificates (and
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR`).
    pub fn new() -> Result<Self, IndexError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| IndexError::Setup(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            format: PageFormat::PreferJson,
        })
    }

    /// The same client, asking for `format`.
    #[must_use]
    pub fn with_format(mut self, format: PageFormat) -> Self {
        self.format = format;
        self
    }

    /// Reads the project page of `project` (PEP 503-normalized) from the
    /// index, authenticated with `token`.
    pub async fn project_page(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        project: &str,
    ) -> Result<ProjectPage, IndexError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.fetch(index, token, project)).await {
            Ok(result) => {
                match &result {
                    Ok(page) => tracing::debug!(
                        index = %index.redacted(), project, files = page.files.len(), "project page read"
                    ),
                    Err(err) => tracing::debug!(
                        index = %index.redacted(), project, error = %err, "project page not read"
                    ),
                }
                result
            }
            Err(_) => Err(IndexError::Timeout),
        }
    }

    async fn fetch(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        project: &str,
    ) -> Result<ProjectPage, IndexError> {
        let base = index.without_credentials();
        let mut url = base
            .join(&format!("{project}/"))
            .map_err(|e| IndexError::Transport(format!("bad project URL: {e}")))?;
        let mut authorization = HeaderValue::from_str(&format!(
            "Basic {}",
            STANDARD.encode(format!("aws:{}", token.expose_secret()))
        ))
        .map_err(|_| IndexError::Transport("the token cannot be sent in a header".into()))?;
        authorization.set_sensitive(true);
        let accept = match self.format {
            PageFormat::PreferJson => ACCEPT_JSON_FIRST,
            PageFormat::Html => ACCEPT_HTML,
        };
        for _ in 0..=MAX_REDIRECTS {
            let request = Request::get(url.as_str())
                .header(header::ACCEPT, accept)
                .header(header::AUTHORIZATION, authorization.clone())
                .header(
                    header::USER_AGENT,
                    concat!("glue-codeartifact/", env!("CARGO_PKG_VERSION")),
                )
                .body(Empty::<Bytes>::new())
                .map_err(|e| IndexError::Transport(e.to_string()))?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| IndexError::Transport(error_chain(&e)))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(IndexError::Status {
                        status: status.as_u16(),
                    })?;
                let next = url
                    .join(location)
                    .map_err(|e| IndexError::Transport(format!("bad redirect: {e}")))?;
                // The token goes only where the index is.
                if next.origin() != base.origin() {
                    return Err(IndexError::Transport(format!(
                        "the index redirected to another host ({})",
                        next.host_str().unwrap_or_default()
                    )));
                }
                url = next;
                continue;
            }
            match status {
                StatusCode::NOT_FOUND => return Err(IndexError::NotFound),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(IndexError::Refused {
                        status: status.as_u16(),
                    });
                }
                s if !s.is_success() => return Err(IndexError::Status { status: s.as_u16() }),
                _ => {}
            }
            let is_json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| {
                    let ct = ct.trim().to_ascii_lowercase();
                    ct.starts_with("application/vnd.pypi.simple.v1+json")
                        || ct.starts_with("application/vnd.pypi.simple.latest+json")
                        || ct.starts_with("application/json")
                });
            let body = Limited::new(response.into_body(), MAX_PAGE_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        IndexError::TooLarge
                    } else {
                        IndexError::Transport(e.to_string())
                    }
                })?
                .to_bytes();
            return if is_json {
                Ok(ProjectPage::from_json(&body)?)
            } else {
                Ok(ProjectPage::from_html(&String::from_utf8_lossy(&body)))
            };
        }
        Err(IndexError::Transport(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}

/// An error and its sources, innermost last: transport errors describe
/// sockets and TLS, never URLs with credentials (there are none here).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}
