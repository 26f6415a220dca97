//! The second loopback listener: a stand-in for the S3 bucket CodeArtifact
//! serves package files from.
//!
//! Real CodeArtifact does not serve asset bytes itself. An AWS CodeArtifact
//! engineer explains (ansible-collections/community.general#1171): "When a
//! client requests a Maven artifact, CodeArtifact currently redirect the
//! client to a pre-signed S3 URL. The request to CodeArtifact must include
//! an Authorization header (Bearer or Basic) and CodeArtifact returns a 307
//! with the pre-signed S3 URL. When S3 receives a pre-signed request that
//! also includes an Authorization header, S3 returns a 400." The
//! CodeArtifact guide's "S3 gateway endpoint" page says package assets are
//! stored in and downloaded from S3 (bucket `assets-ACCOUNT-REGION`) for
//! every format. That PyPI downloads take the same 307 is likely but
//! **unconfirmed**; the emulator models it because a client that is right
//! against it is right against a direct download too.
//!
//! What this listener answers to `GET|HEAD /{bucket}/{key}?X-Amz-…`:
//!
//! - a request carrying `Authorization`: 400 `InvalidArgument`, "Only one
//!   auth mechanism allowed; …" (the wording S3 sends, quoted in
//!   atlassian/terraform-provider-artifactory#87, buildkite/go-buildkite#10
//!   and open-policy-agent/opa#6728), with `ArgumentName` `Authorization` and,
//!   as S3 does, the header's value echoed in `ArgumentValue`;
//! - no `X-Amz-Signature` (not presigned): 403 `AccessDenied`, "Access Denied"
//!   (S3's answer to an anonymous request on a private bucket);
//! - a signature this emulator did not make: 403 `SignatureDoesNotMatch`;
//! - past `X-Amz-Date` + `X-Amz-Expires` on the emulator's clock: 403
//!   `AccessDenied`, "Request has expired";
//! - otherwise the file, `application/octet-stream`.
//!
//! The signature is an HMAC-SHA256 over the path and the other query
//! parameters with a per-emulator secret: shaped like SigV4's (64 hex
//! digits), not SigV4 itself, which nothing but S3 ever checks.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::faults::{FaultKind, Operation};
use crate::packages::normalize;
use crate::state::State;

/// How long a presigned URL lives. CodeArtifact's value is not documented
/// (unconfirmed); 15 minutes is the shortest lifetime commonly seen.
pub(crate) const PRESIGN_EXPIRES_SECS: u64 = 900;

/// S3's wording when a presigned request also carries `Authorization`.
pub(crate) const ONE_AUTH_MECHANISM: &str = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";

/// The S3 routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/{bucket}/{*key}", get(object))
        .fallback(|| async {
            s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
                &[],
            )
        })
}

/// The bucket CodeArtifact keeps assets in (guide, "S3 gateway endpoint":
/// `arn:aws:s3:::assets-ACCOUNT-REGION/*`).
pub(crate) fn bucket(state: &State) -> String {
    format!("assets-{}-{}", state.config.account, state.config.region)
}

/// A presigned URL for the file `filename` of `project` `version` in
/// repository `domain`/`repo`, valid for [`PRESIGN_EXPIRES_SECS`] from the
/// emulator's `now`.
pub(crate) fn presign(
    state: &State,
    domain: &str,
    repo: &str,
    project: &str,
    version: &str,
    filename: &str,
) -> String {
    let path = format!(
        "/{}/{domain}/{repo}/{project}/{version}/{}",
        bucket(state),
        crate::index::url_segment(filename)
    );
    let date = amz_date(state.clock.now());
    let credential = format!(
        "ASIAEMULATOREXAMPLE%2F{}%2F{}%2Fs3%2Faws4_request",
        &date[..8],
        state.config.region
    );
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={date}&X-Amz-Expires={PRESIGN_EXPIRES_SECS}&X-Amz-SignedHeaders=host"
    );
    let signature = sign(state, &path, &query);
    format!(
        "{}{path}?{query}&X-Amz-Signature={signature}",
        state.s3_base_url
    )
}

fn sign(state: &State, path: &str, query: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.s3_secret).expect("HMAC takes a key of any length");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(query.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `YYYYMMDDTHHMMSSZ`, SigV4's `X-Amz-Date`.
fn amz_date(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .replace(['-', ':'], "")
}

/// Parses [`amz_date`]'s form back.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.is_ascii() {
        return None;
    }
    let rfc3339 = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    humantime::parse_rfc3339(&rfc3339).ok()
}

async fn object(
    AxumState(state): AxumState<Arc<State>>,
    Path((bucket_name, key)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_owned();
    let on_fault = |kind| fault_response(kind);
    let log_path = path.clone();
    state
        .run(Operation::S3, &log_path, on_fault, || async {
            handle(
                &state,
                &bucket_name,
                &key,
                &path,
                query.as_deref(),
                &headers,
            )
            .await
        })
        .await
}

async fn handle(
    state: &Arc<State>,
    bucket_name: &str,
    key: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    // A presigned URL is one auth mechanism; an Authorization header would
    // be a second (ansible-collections/community.general#1171).
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            ONE_AUTH_MECHANISM,
            &[("ArgumentName", "Authorization"), ("ArgumentValue", &value)],
        );
    }
    let query = query.unwrap_or("");
    let Some((unsigned, signature)) = query.rsplit_once("&X-Amz-Signature=") else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &[]);
    };
    if sign(state, path, unsigned) != signature {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            &[],
        );
    }
    let param = |name: &str| {
        unsigned
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    };
    let (Some(date), Some(expires)) = (
        param("X-Amz-Date").and_then(parse_amz_date),
        param("X-Amz-Expires").and_then(|e| e.parse::<u64>().ok()),
    ) else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &[]);
    };
    let now = state.clock.now();
    if now >= date + Duration::from_secs(expires) {
        let expires_at = humantime::format_rfc3339_seconds(date + Duration::from_secs(expires));
        let server_time = humantime::format_rfc3339_seconds(now);
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            &[
                ("X-Amz-Expires", &expires.to_string()),
                ("Expires", &expires_at.to_string()),
                ("ServerTime", &server_time.to_string()),
            ],
        );
    }
    if bucket_name != bucket(state) {
        return no_such_key();
    }
    // The key is the emulator's own: DOMAIN/REPO/PROJECT/VERSION/FILENAME.
    let parts: Vec<&str> = key.split('/').collect();
    let [domain, repo, project, version, filename] = parts[..] else {
        return no_such_key();
    };
    let Some(repository) = state.config.repository(domain, repo).cloned() else {
        return no_such_key();
    };
    let project = normalize(project);
    let lookup = crate::index::Lookup::File;
    let Ok(files) = crate::index::project_files(state, &repository, &project, lookup).await else {
        return internal_error();
    };
    let Some(file) = files
        .into_iter()
        .find(|f| f.filename == filename && f.version == version)
    else {
        return no_such_key();
    };
    let file_path = file.path.clone();
    match tokio::task::spawn_blocking(move || std::fs::read(file_path)).await {
        Ok(Ok(bytes)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (
                    header::ETAG,
                    HeaderValue::from_str(&format!("\"{}\"", &file.sha256[..32]))
                        .unwrap_or(HeaderValue::from_static("\"0\"")),
                ),
            ],
            Body::from(bytes),
        )
            .into_response(),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => no_such_key(),
        _ => internal_error(),
    }
}

fn no_such_key() -> Response {
    s3_error(
        StatusCode::NOT_FOUND,
        "NoSuchKey",
        "The specified key does not exist.",
        &[],
    )
}

fn internal_error() -> Response {
    s3_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        "We encountered an internal error. Please try again.",
        &[],
    )
}

/// S3's XML error document.
fn s3_error(status: StatusCode, code: &str, message: &str, extra: &[(&str, &str)]) -> Response {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>",
        xml_escape(message)
    );
    for (name, value) in extra {
        body.push_str(&format!("<{name}>{}</{name}>", xml_escape(value)));
    }
    let id = crate::tokens::random_bytes::<8>();
    let id: String = id.iter().map(|b| format!("{b:02X}")).collect();
    body.push_str(&format!(
        "<RequestId>{id}</RequestId><HostId>emulator</HostId></Error>"
    ));
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fault_response(kind: FaultKind) -> Response {
    match kind {
        FaultKind::Throttle => s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
            &[],
        ),
        FaultKind::Unavailable => s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Please reduce your request rate.",
            &[],
        ),
        FaultKind::AccessDenied { .. } | FaultKind::RefuseToken => {
            s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &[])
        }
        _ => internal_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn secs(t: SystemTime) -> u64 {
        t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
    }

    #[test]
    fn amz_dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_576_000);
        let s = amz_date(t);
        assert_eq!(s, "20251201T080000Z");
        assert_eq!(parse_amz_date(&s).map(secs), Some(secs(t)));
        assert_eq!(parse_amz_date("2025-12-01"), None);
    }
}
