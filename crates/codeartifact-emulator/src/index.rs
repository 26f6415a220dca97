//! The repository endpoint: a PEP 503 / PEP 691 pip index behind HTTP Basic auth.
//!
//! Paths, under the endpoint GetRepositoryEndpoint returns
//! (`/{domain}-{owner}/pypi/{repo}/`):
//!
//! - `simple/` – the project list (off by default, as CodeArtifact has none);
//! - `simple/{project}/` – a project's files (non-normalized names redirect
//!   to the normalized one, as PEP 503 allows);
//! - `simple/{project}/{version}/{filename}` – a file: 307 to a presigned
//!   URL on the S3 stand-in (the pages link to it relatively).
//!
//! Every request needs `Authorization: Basic base64("aws:" + TOKEN)` (or
//! `Bearer TOKEN`) with a token issued for the domain and owner in the path
//! and not yet expired on the emulator's clock. Without `Authorization`:
//! 401 with `WWW-Authenticate: Bearer realm="codeartifact"`; with
//! credentials it refuses: [`crate::RefusedStatus`] (404 by default, as
//! real CodeArtifact is reported to answer). `simple/` (the project list)
//! is 404 unless [`crate::Config::project_list`]. Pages are HTML unless the
//! `Accept` header prefers `application/vnd.pypi.simple.v1+json` (PEP 691).

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::config::{Repository, is_account_id};
use crate::faults::{FaultKind, Operation};
use crate::packages::{PackageFile, normalize};
use crate::state::State;

/// PEP 691 JSON content type.
const JSON_V1: &str = "application/vnd.pypi.simple.v1+json";
/// PEP 691 HTML content type.
const HTML_V1: &str = "application/vnd.pypi.simple.v1+html";
/// The simple API version served (PEP 629 / PEP 700).
const API_VERSION: &str = "1.1";

/// The index routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/{host}/pypi/{repo}/simple", get(redirect_to_slash))
        .route("/{host}/pypi/{repo}/simple/", get(project_list))
        .route(
            "/{host}/pypi/{repo}/simple/{project}",
            get(project_redirect),
        )
        .route("/{host}/pypi/{repo}/simple/{project}/", get(project_page))
        .route(
            "/{host}/pypi/{repo}/simple/{project}/{version}/{filename}",
            get(file),
        )
        // The form a `codeartifact.repositories` VPC endpoint without
        // private DNS takes: `https://VPCE-HOST/pypi/d/DOMAIN-OWNER/REPO/`
        // (CodeArtifact guide, "Use CodeArtifact from a VPC").
        .route("/pypi/d/{host}/{repo}/simple", get(redirect_to_slash))
        .route("/pypi/d/{host}/{repo}/simple/", get(project_list))
        .route(
            "/pypi/d/{host}/{repo}/simple/{project}",
            get(project_redirect),
        )
        .route("/pypi/d/{host}/{repo}/simple/{project}/", get(project_page))
        .route(
            "/pypi/d/{host}/{repo}/simple/{project}/{version}/{filename}",
            get(file),
        )
}

/// What an index request asks for, after the repository and auth checks.
enum Target {
    RedirectToSlash,
    List,
    ProjectRedirect(String),
    Project(String),
    /// Project, version, file name.
    File(String, String, String),
}

async fn redirect_to_slash(
    AxumState(state): AxumState<Arc<State>>,
    Path((host, repo)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(state, host, repo, Target::RedirectToSlash, uri, headers).await
}

async fn project_list(
    AxumState(state): AxumState<Arc<State>>,
    Path((host, repo)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(state, host, repo, Target::List, uri, headers).await
}

async fn project_redirect(
    AxumState(state): AxumState<Arc<State>>,
    Path((host, repo, project)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let target = Target::ProjectRedirect(project);
    serve(state, host, repo, target, uri, headers).await
}

async fn project_page(
    AxumState(state): AxumState<Arc<State>>,
    Path((host, repo, project)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(state, host, repo, Target::Project(project), uri, headers).await
}

async fn file(
    AxumState(state): AxumState<Arc<State>>,
    Path((host, repo, project, version, filename)): Path<(String, String, String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let target = Target::File(project, version, filename);
    serve(state, host, repo, target, uri, headers).await
}

async fn serve(
    state: Arc<State>,
    host: String,
    repo: String,
    target: Target,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_owned();
    let on_fault = |kind| fault_response(&state, &host, &repo, kind);
    state
        .run(Operation::Index, &path, on_fault, || {
            handle(&state, &host, &repo, target, &headers)
        })
        .await
}

/// Splits the `{domain}-{owner}` path segment.
fn parse_host(host: &str) -> Option<(&str, &str)> {
    host.rsplit_once('-')
        .filter(|(domain, owner)| !domain.is_empty() && is_account_id(owner))
}

async fn handle(
    state: &Arc<State>,
    host: &str,
    repo: &str,
    target: Target,
    headers: &HeaderMap,
) -> Response {
    let Some((domain, owner)) = parse_host(host) else {
        return not_found();
    };
    match authorize(state, headers, domain, owner) {
        Auth::Granted => {}
        // No credentials at all: 401 with a Bearer challenge
        // (pex-tool/pex#1803, pex-tool/pex#3225).
        Auth::Missing => return unauthorized(),
        Auth::Refused => return refused(state),
    }
    let Some(repository) = state
        .config
        .repository(domain, repo)
        .filter(|_| owner == state.config.account)
        .cloned()
    else {
        return not_found();
    };
    let base = format!("/{host}/pypi/{repo}/simple/");
    match target {
        Target::RedirectToSlash => redirect(&base),
        Target::ProjectRedirect(project) => redirect(&format!("{base}{}/", normalize(&project))),
        // CodeArtifact has no project list (guide, "Python compatibility");
        // what it answers instead is unconfirmed: 404 here.
        Target::List if !state.config.project_list => not_found(),
        Target::List => {
            let Some(format) = negotiate(headers) else {
                return not_acceptable();
            };
            match scan(state, &repository).await {
                Ok(files) => list_response(format, &files),
                Err(response) => response,
            }
        }
        Target::Project(project) => {
            let normalized = normalize(&project);
            if normalized != project {
                return redirect(&format!("{base}{normalized}/"));
            }
            let Some(format) = negotiate(headers) else {
                return not_acceptable();
            };
            let files = match project_files(state, &repository, &project, Lookup::Page).await {
                Ok(files) => files,
                Err(response) => return response,
            };
            if files.is_empty() {
                return not_found();
            }
            project_response(format, &project, &files)
        }
        Target::File(project, version, filename) => {
            let project = normalize(&project);
            let files = match project_files(state, &repository, &project, Lookup::File).await {
                Ok(files) => files,
                Err(response) => return response,
            };
            if !files
                .iter()
                .any(|f| f.filename == filename && f.version == version)
            {
                return not_found();
            }
            // Files are not served by the index: it answers 307 with a
            // presigned S3 URL (ansible-collections/community.general#1171,
            // from the CodeArtifact team, for Maven; see `crate::s3`).
            let location = crate::s3::presign(state, domain, repo, &project, &version, &filename);
            let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    }
}

/// What the `Authorization` header amounts to.
enum Auth {
    Granted,
    Missing,
    Refused,
}

/// Checks `Authorization`: `Basic base64("aws:" + TOKEN)` or, as the
/// CodeArtifact guide's "Python compatibility" page allows, `Bearer TOKEN`,
/// with a live token for `domain`/`owner`.
fn authorize(state: &State, headers: &HeaderMap, domain: &str, owner: &str) -> Auth {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Auth::Missing;
    };
    let value = value.to_str().unwrap_or("");
    let token = if let Some(b64) = value.strip_prefix("Basic ") {
        STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|credentials| {
                credentials
                    .split_once(':')
                    .filter(|(user, _)| *user == "aws")
                    .map(|(_, token)| token.to_owned())
            })
    } else {
        value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
    };
    match token {
        Some(token)
            if state
                .tokens
                .verify(&token, domain, owner, state.clock.now())
                .is_ok() =>
        {
            Auth::Granted
        }
        _ => Auth::Refused,
    }
}

/// What a [`project_files`] lookup is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// A project page: an upstream project's first fetch may fail or be
    /// slow, and the request may make the regional cache import new versions.
    Page,
    /// A file: served from what the regional cache has imported.
    File,
}

/// The files of `project` (normalized) that `repository` serves: its own
/// when it has any (published directly: the upstream is blocked for it,
/// guide, "Editing package origin controls"), else, with an upstream
/// configured, the upstream's as the regional cache lists them (see
/// `crate::upstream`). `Err` is the response to send instead (a 500).
pub(crate) async fn project_files(
    state: &Arc<State>,
    repository: &Repository,
    project: &str,
    lookup: Lookup,
) -> Result<Vec<Arc<PackageFile>>, Response> {
    let own: Vec<_> = scan_dir(state, repository.packages_dir.clone())
        .await?
        .into_iter()
        .filter(|f| f.project == project)
        .collect();
    let Some(upstream) = state.upstream.as_ref().filter(|_| own.is_empty()) else {
        return Ok(own);
    };
    let files: Vec<_> = scan_dir(state, upstream.config.packages_dir.clone())
        .await?
        .into_iter()
        .filter(|f| f.project == project)
        .collect();
    if lookup == Lookup::File {
        return Ok(upstream.imported(project, files));
    }
    let (domain, repo) = (&repository.domain, &repository.name);
    if upstream.is_first_fetch(domain, repo, project)
        && !upstream.config.first_fetch_latency.is_zero()
    {
        tokio::time::sleep(upstream.config.first_fetch_latency).await;
    }
    match upstream.page(domain, repo, project, files, state.clock.now()) {
        crate::upstream::Fetch::Files(files) => Ok(files),
        // What the client sees of an upstream failure (astral-sh/uv#8957:
        // "500 Internal Server Error" from the repository's URL).
        crate::upstream::Fetch::Failed => Err(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        )),
    }
}

/// Reads the repository's directory off the async threads.
async fn scan(
    state: &Arc<State>,
    repository: &Repository,
) -> Result<Vec<Arc<PackageFile>>, Response> {
    scan_dir(state, repository.packages_dir.clone()).await
}

/// Reads `dir` off the async threads.
async fn scan_dir(state: &Arc<State>, dir: PathBuf) -> Result<Vec<Arc<PackageFile>>, Response> {
    let state = Arc::clone(state);
    match tokio::task::spawn_blocking(move || state.packages.scan(&dir)).await {
        Ok(Ok(files)) => Ok(files),
        Ok(Err(e)) => Err(server_error(&e)),
        Err(e) => Err(server_error(&e)),
    }
}

/// The representation a client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// PEP 503 HTML, with this content type.
    Html(&'static str),
    /// PEP 691 JSON.
    Json,
}

/// Picks JSON or HTML from the `Accept` header by quality; HTML wins ties
/// and is the answer when there is no header. `None` when neither is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::Html("text/html; charset=utf-8"));
    };
    let mut json = 0.0_f32;
    let mut html = (0.0_f32, "text/html; charset=utf-8");
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let (json_match, html_match) = match media.as_str() {
            JSON_V1 | "application/vnd.pypi.simple.latest+json" => (true, None),
            HTML_V1 | "application/vnd.pypi.simple.latest+html" => (false, Some(HTML_V1)),
            "text/html" | "text/*" => (false, Some("text/html; charset=utf-8")),
            "application/*" => (true, Some(HTML_V1)),
            "*/*" => (true, Some("text/html; charset=utf-8")),
            _ => (false, None),
        };
        if json_match && q > json {
            json = q;
        }
        if let Some(content_type) = html_match
            && q > html.0
        {
            html = (q, content_type);
        }
    }
    if json > html.0 {
        Some(Format::Json)
    } else if html.0 > 0.0 {
        Some(Format::Html(html.1))
    } else {
        None
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a file name or project name for use as a relative URL path.
pub(crate) fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'!') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A file's link, relative to its project page: `VERSION/FILENAME`.
///
/// CodeArtifact's links are versioned: pip and uv logs show
/// `…/simple/PROJECT/VERSION/FILENAME#sha256=…` (astral-sh/uv#1860,
/// astral-sh/uv#2444, astral-sh/uv#1388).
fn file_link(f: &PackageFile) -> String {
    format!("{}/{}", url_segment(&f.version), url_segment(&f.filename))
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    <title>{}</title>\n  </head>\n  <body>\n{body}  </body>\n</html>\n",
        escape(title)
    )
}

fn with_content_type(content_type: &'static str, body: String) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

fn list_response(format: Format, files: &[Arc<PackageFile>]) -> Response {
    let mut projects: Vec<&str> = files.iter().map(|f| f.project.as_str()).collect();
    projects.dedup();
    match format {
        Format::Json => {
            let projects: Vec<_> = projects.iter().map(|p| json!({ "name": p })).collect();
            let body = json!({ "meta": { "api-version": API_VERSION }, "projects": projects });
            with_content_type(JSON_V1, body.to_string())
        }
        Format::Html(content_type) => {
            let links: String = projects
                .iter()
                .map(|p| {
                    format!(
                        "    <a href=\"{}/\">{}</a><br/>\n",
                        url_segment(p),
                        escape(p)
                    )
                })
                .collect();
            with_content_type(content_type, html_page("Simple index", &links))
        }
    }
}

fn project_response(format: Format, project: &str, files: &[Arc<PackageFile>]) -> Response {
    match format {
        Format::Json => {
            let mut versions: Vec<&str> = files.iter().map(|f| f.version.as_str()).collect();
            versions.sort_unstable();
            versions.dedup();
            let files: Vec<_> = files
                .iter()
                .map(|f| {
                    // API 1.1 (PEP 700): `size`, `upload-time`, `versions`;
                    // sha256 and md5 both, `yanked` always present (the
                    // issue's report of CodeArtifact's pages; unconfirmed
                    // beyond that report).
                    let mut entry = json!({
                        "filename": f.filename,
                        "url": file_link(f),
                        "hashes": { "sha256": f.sha256, "md5": f.md5 },
                        "size": f.size,
                        "yanked": match &f.yanked {
                            None => json!(false),
                            Some(reason) if reason.is_empty() => json!(true),
                            Some(reason) => json!(reason),
                        },
                    });
                    if let Some(uploaded) = f.uploaded {
                        entry["upload-time"] =
                            json!(humantime::format_rfc3339_micros(uploaded).to_string());
                    }
                    if let Some(rp) = &f.requires_python {
                        entry["requires-python"] = json!(rp);
                    }
                    entry
                })
                .collect();
            let body = json!({
                "meta": { "api-version": API_VERSION },
                "name": project,
                "versions": versions,
                "files": files,
            });
            with_content_type(JSON_V1, body.to_string())
        }
        Format::Html(content_type) => {
            let links: String = files
                .iter()
                .map(|f| {
                    let requires_python = f
                        .requires_python
                        .as_deref()
                        .map(|rp| format!(" data-requires-python=\"{}\"", escape(rp)))
                        .unwrap_or_default();
                    let yanked = f
                        .yanked
                        .as_deref()
                        .map(|reason| format!(" data-yanked=\"{}\"", escape(reason)))
                        .unwrap_or_default();
                    format!(
                        "    <a href=\"{}#sha256={}\"{requires_python}{yanked}>{}</a><br/>\n",
                        file_link(f),
                        f.sha256,
                        escape(&f.filename)
                    )
                })
                .collect();
            let title = format!("Links for {project}");
            let body = format!("    <h1>{}</h1>\n{links}", escape(&title));
            with_content_type(content_type, html_page(&title, &body))
        }
    }
}

fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

fn redirect(location: &str) -> Response {
    let mut response = plain(StatusCode::MOVED_PERMANENTLY, "Moved Permanently");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// 401 with CodeArtifact's challenge scheme, `Bearer` (pex-tool/pex#1803:
/// urllib "does not support the following scheme: 'Bearer'"); the realm's
/// value is unconfirmed.
fn unauthorized() -> Response {
    let mut response = plain(StatusCode::UNAUTHORIZED, "Unauthorized");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"codeartifact\""),
    );
    response
}

/// The answer to credentials the index refuses: [`crate::RefusedStatus`].
fn refused(state: &State) -> Response {
    match state.config.refused_status {
        crate::RefusedStatus::Unauthorized => unauthorized(),
        crate::RefusedStatus::NotFound => not_found(),
    }
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Not Found")
}

fn not_acceptable() -> Response {
    plain(
        StatusCode::NOT_ACCEPTABLE,
        "Not Acceptable: ask for text/html or application/vnd.pypi.simple.v1+json",
    )
}

fn server_error(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "cannot read the packages directory");
    plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// How the index answers an injected fault (plain text, like a package host would).
fn fault_response(state: &State, host: &str, repo: &str, kind: FaultKind) -> Response {
    match kind {
        FaultKind::Throttle => {
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::errors::RETRY_AFTER_SECS),
            );
            response
        }
        FaultKind::InternalError => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        FaultKind::Unavailable => plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        FaultKind::AccessDenied { action } => {
            let (domain, owner) = parse_host(host).unwrap_or((host, &state.config.account));
            let resource = format!(
                "arn:aws:codeartifact:{}:{owner}:repository/{domain}/{repo}",
                state.config.region
            );
            let message = crate::control_plane::access_denied_message(
                state,
                Operation::Index,
                &action,
                &resource,
            );
            plain(StatusCode::FORBIDDEN, &message)
        }
        FaultKind::RefuseToken => refused(state),
        // Handled by `State::run`; never reaches here.
        FaultKind::ConnectionReset | FaultKind::Delay(_) => {
            plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn negotiation_follows_quality() {
        assert_eq!(
            negotiate(&HeaderMap::new()),
            Some(Format::Html("text/html; charset=utf-8"))
        );
        // What pip sends.
        assert_eq!(
            negotiate(&accept(
                "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
            )),
            Some(Format::Json)
        );
        assert_eq!(
            negotiate(&accept("application/vnd.pypi.simple.v1+html")),
            Some(Format::Html(HTML_V1))
        );
        assert_eq!(
            negotiate(&accept(
                "text/html, application/vnd.pypi.simple.v1+json;q=0.5"
            )),
            Some(Format::Html("text/html; charset=utf-8"))
        );
        assert_eq!(
            negotiate(&accept("*/*")),
            Some(Format::Html("text/html; charset=utf-8"))
        );
        assert_eq!(negotiate(&accept("application/xml")), None);
    }

    #[test]
    fn host_segment_is_domain_dash_owner() {
        assert_eq!(
            parse_host("my-domain-123456789012"),
            Some(("my-domain", "123456789012"))
        );
        assert_eq!(parse_host("acme-12345"), None);
        assert_eq!(parse_host("-123456789012"), None);
        assert_eq!(parse_host("acme"), None);
    }

    #[test]
    fn escapes_html_and_urls() {
        assert_eq!(escape(">=3.8,<4"), "&gt;=3.8,&lt;4");
        assert_eq!(url_segment("a b+c.whl"), "a%20b+c.whl");
    }
}
