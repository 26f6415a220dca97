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
//!
//! Files are fetched with [`PackageIndex::download`], the one downloader
//! every download the product makes goes through. CodeArtifact does not
//! serve file bytes itself: it answers 307 with a presigned S3 URL, and S3
//! refuses a request that carries a second credential (400
//! `InvalidArgument`, "Only one auth mechanism allowed";
//! ansible-collections/community.general#1171). So the token goes only to
//! the index's own origin, never across a redirect to another one, and the
//! presigned URL (its query is a credential too) is never logged or put in
//! an error.

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
use url::Url;

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
/// How long one file download may take, redirects and body included.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);

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
    /// 404: the repository has no such project, or (CodeArtifact answers
    /// refused credentials with 404 too, astral-sh/uv#11899) the token was
    /// refused.
    #[error("the index answered 404 (no such project, or a refused token)")]
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
    /// TLS verification refused the server's certificate (not transient:
    /// never retried).
    #[error("the index's TLS certificate was refused ({0}); {hint}", hint = glue_codeartifact_aws::error::PRIVATE_CA_HINT)]
    Certificate(String),
    /// The page was larger than [`MAX_PAGE_BYTES`].
    #[error("the page is larger than {} MiB", MAX_PAGE_BYTES / 1024 / 1024)]
    TooLarge,
    /// The file was larger than the limit given to [`PackageIndex::download`].
    #[error("the file is larger than {limit} bytes")]
    FileTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The storage the index redirected a download to (S3) refused it;
    /// `code` is its error code (e.g. `AccessDenied`), when it sent one.
    #[error("the file storage the index redirected to answered {status}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Storage {
        /// The HTTP status.
        status: u16,
        /// S3's `<Code>`, only ASCII letters and digits kept.
        code: Option<String>,
    },
    /// A file download took longer than [`DOWNLOAD_TIMEOUT`].
    #[error("the download did not finish within {}s", DOWNLOAD_TIMEOUT.as_secs())]
    DownloadTimeout,
    /// The file URL is not one the index may serve (another origin, or not http(s)).
    #[error("{0}")]
    BadFileUrl(String),
    /// The page did not parse.
    #[error(transparent)]
    Page(#[from] PageError),
    /// The client could not be set up (no CA certificates).
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

impl IndexError {
    /// Whether trying again may help: a 5xx or 429 from the index, or a
    /// failed or reset connection (see [`retrying`]).
    pub fn is_transient(&self) -> bool {
        match self {
            IndexError::Status { status } => *status >= 500 || *status == 429,
            IndexError::Transport(_) => true,
            _ => false,
        }
    }
}

/// How many times [`retrying`] tries in all.
pub const RETRY_ATTEMPTS: u32 = 3;
/// The wait before the first retry; it doubles for each next one.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// Runs `attempt` until it succeeds, fails for good, or has been tried
/// [`RETRY_ATTEMPTS`] times, waiting [`RETRY_BACKOFF`] (doubling) between
/// tries; only [`IndexError::is_transient`] failures are retried. For
/// idempotent reads only (index pages, file downloads).
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, IndexError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, IndexError>>,
{
    let mut wait = RETRY_BACKOFF;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(err) if err.is_transient() && tries < RETRY_ATTEMPTS => {
                tracing::debug!(error = %err, tries, "index read failed, trying again");
                tokio::time::sleep(wait).await;
                wait *= 2;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// A client for repository index pages. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PackageIndex {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    format: PageFormat,
}

impl PackageIndex {
    /// A client that trusts the system's CA certificates or, when
    /// `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, only those (rustls-native-certs;
    /// the same variables the AWS SDK's default HTTPS client reads, so one
    /// setting trusts a private CA for both: docs/configuration.md).
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

    /// Downloads the file at `url` (a link from a project page of `index`,
    /// made absolute with [`file_url`]) and returns its bytes, at most
    /// `max_bytes` of them.
    ///
    /// The token goes, as `Authorization: Basic`, only to requests on the
    /// index's own origin; `url` must be on it. Redirects are followed (at
    /// most three): one to another origin (CodeArtifact's 307 to a
    /// presigned S3 URL) is followed *without* `Authorization`, since S3
    /// refuses a second credential and must not see the token. Neither the
    /// token nor the presigned URL's query is ever logged or put in an
    /// error. The caller checks the bytes against the page's sha256.
    ///
    /// Errors: [`IndexError::NotFound`] and [`IndexError::Refused`] from the
    /// index, [`IndexError::Storage`] from the storage it redirected to,
    /// [`IndexError::FileTooLarge`], [`IndexError::DownloadTimeout`],
    /// [`IndexError::Transport`], [`IndexError::BadFileUrl`].
    pub async fn download(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        url: &Url,
        max_bytes: u64,
    ) -> Result<Bytes, IndexError> {
        let file = url.path().rsplit('/').next().unwrap_or_default().to_owned();
        match tokio::time::timeout(
            DOWNLOAD_TIMEOUT,
            self.fetch_file(index, token, url, max_bytes),
        )
        .await
        {
            Ok(result) => {
                match &result {
                    Ok(bytes) => tracing::debug!(
                        index = %index.redacted(), file, bytes = bytes.len(), "file downloaded"
                    ),
                    Err(err) => tracing::debug!(
                        index = %index.redacted(), file, error = %err, "file not downloaded"
                    ),
                }
                result
            }
            Err(_) => Err(IndexError::DownloadTimeout),
        }
    }

    async fn fetch_file(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        url: &Url,
        max_bytes: u64,
    ) -> Result<Bytes, IndexError> {
        if url.origin() != index.without_credentials().origin() {
            return Err(IndexError::BadFileUrl(format!(
                "the file link points to {} instead of the index's host",
                url.host_str().unwrap_or("no host")
            )));
        }
        let (response, on_index) = self
            .get(index, token, url.clone(), None, Redirects::AnyHost)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let status = status.as_u16();
            if on_index {
                return Err(match status {
                    404 => IndexError::NotFound,
                    401 | 403 => IndexError::Refused { status },
                    _ => IndexError::Status { status },
                });
            }
            let body = Limited::new(response.into_body(), 64 * 1024)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Err(IndexError::Storage {
                status,
                code: s3_error_code(&body),
            });
        }
        let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    IndexError::FileTooLarge { limit: max_bytes }
                } else {
                    IndexError::Transport(e.to_string())
                }
            })
    }

    async fn fetch(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        project: &str,
    ) -> Result<ProjectPage, IndexError> {
        let accept = match self.format {
            PageFormat::PreferJson => ACCEPT_JSON_FIRST,
            PageFormat::Html => ACCEPT_HTML,
        };
        let url = project_url(index, project)?;
        let (response, _) = self
            .get(index, token, url, Some(accept), Redirects::IndexOnly)
            .await?;
        let status = response.status();
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
        if is_json {
            Ok(ProjectPage::from_json(&body)?)
        } else {
            Ok(ProjectPage::from_html(&String::from_utf8_lossy(&body)))
        }
    }

    /// GETs `url` (on `index`'s origin), following at most [`MAX_REDIRECTS`]
    /// redirects as `redirects` allows, and returns the first response that
    /// is not a redirect, with whether it came from the index's origin. The
    /// token (`Authorization: Basic`) goes only to the index's origin.
    async fn get(
        &self,
        index: &IndexUrl,
        token: &AuthToken,
        mut url: Url,
        accept: Option<&'static str>,
        redirects: Redirects,
    ) -> Result<(http::Response<hyper::body::Incoming>, bool), IndexError> {
        let origin = index.without_credentials().origin();
        let authorization = basic_authorization(token)?;
        let mut on_index = true;
        for _ in 0..=MAX_REDIRECTS {
            let mut request = Request::get(url.as_str()).header(
                header::USER_AGENT,
                concat!("glue-codeartifact/", env!("CARGO_PKG_VERSION")),
            );
            if let Some(accept) = accept {
                request = request.header(header::ACCEPT, accept);
            }
            if on_index {
                request = request.header(header::AUTHORIZATION, authorization.clone());
            }
            let request = request
                .body(Empty::<Bytes>::new())
                .map_err(|_| IndexError::Transport("cannot build the request".into()))?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| request_failed(&e))?;
            let status = response.status();
            if !status.is_redirection() {
                return Ok((response, on_index));
            }
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
            match redirects {
                Redirects::IndexOnly if next.origin() != origin => {
                    return Err(IndexError::Transport(format!(
                        "the index redirected to another host ({})",
                        next.host_str().unwrap_or_default()
                    )));
                }
                Redirects::AnyHost if !matches!(next.scheme(), "http" | "https") => {
                    return Err(IndexError::BadFileUrl(format!(
                        "the index redirected the download to a {} URL",
                        next.scheme()
                    )));
                }
                _ => {}
            }
            on_index = on_index && next.origin() == origin;
            tracing::debug!(
                status = status.as_u16(),
                host = next.host_str().unwrap_or_default(),
                with_token = on_index,
                "index request redirected"
            );
            url = next;
        }
        Err(IndexError::Transport(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}

/// Where [`PackageIndex::get`] follows a redirect.
#[derive(Clone, Copy, Debug)]
enum Redirects {
    /// Only within the index's origin (a project page): the page must come
    /// from the index itself.
    IndexOnly,
    /// To any http(s) URL (a file: CodeArtifact answers a download with a
    /// 307 to a presigned S3 URL), which gets no `Authorization`: S3 refuses
    /// a second credential and must not see the token.
    AnyHost,
}

/// The project page URL of `project` (PEP 503-normalized) on `index`,
/// without credentials: `INDEX/PROJECT/`.
pub fn project_url(index: &IndexUrl, project: &str) -> Result<Url, IndexError> {
    index
        .without_credentials()
        .join(&format!("{project}/"))
        .map_err(|e| IndexError::Transport(format!("bad project URL: {e}")))
}

/// The absolute URL of a file link `href` found on the page of `project`
/// (PEP 503 and 691 links are relative to the page; CodeArtifact's are
/// `VERSION/FILENAME`), without its `#sha256=` fragment. This is what
/// [`PackageIndex::download`] takes.
pub fn file_url(index: &IndexUrl, project: &str, href: &str) -> Result<Url, IndexError> {
    let mut url = project_url(index, project)?
        .join(href)
        .map_err(|e| IndexError::BadFileUrl(format!("bad file link: {e}")))?;
    url.set_fragment(None);
    Ok(url)
}

/// `Basic base64("aws:" + TOKEN)`, marked sensitive (never logged by hyper).
fn basic_authorization(token: &AuthToken) -> Result<HeaderValue, IndexError> {
    let mut authorization = HeaderValue::from_str(&format!(
        "Basic {}",
        STANDARD.encode(format!("aws:{}", token.expose_secret()))
    ))
    .map_err(|_| IndexError::Transport("the token cannot be sent in a header".into()))?;
    authorization.set_sensitive(true);
    Ok(authorization)
}

/// S3's `<Code>` from an XML error body: ASCII letters and digits only, at
/// most 64 (S3 echoes a refused `Authorization` header in
/// `<ArgumentValue>`; nothing but the code is kept).
fn s3_error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    let code = &text[start..start + len];
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| code.to_owned())
}

/// The error for a request that got no response: [`IndexError::Certificate`]
/// when TLS refused the server's certificate, else [`IndexError::Transport`].
fn request_failed(err: &(dyn std::error::Error + 'static)) -> IndexError {
    if glue_codeartifact_aws::error::is_certificate_error(err) {
        IndexError::Certificate(innermost(err))
    } else {
        IndexError::Transport(error_chain(err))
    }
}

/// The innermost source's message (for TLS: rustls's, e.g. "invalid peer
/// certificate: UnknownIssuer"; the outer ones only say "client error (Connect)").
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        last = e.to_string();
        next = e.source();
    }
    last
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
