//! S3: the wheelhouse's objects.
//!
//! One method per operation: `HeadObject`, `GetObject`, `PutObject` (with a
//! SHA-256 checksum S3 verifies before it stores the object),
//! `ListObjectsV2` (also as a one-key check of a prefix). Locations are the domain's [`S3Uri`].
//!
//! With a custom endpoint (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or an
//! `endpoint_url` in the profile), requests use path-style addressing
//! (`http://host/bucket/key`): local stand-ins such as moto answer on one
//! host and cannot serve `bucket.host`. Against AWS itself the SDK's
//! virtual-hosted style stays.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::{
    Client,
    error::SdkError,
    operation::head_object::HeadObjectError,
    primitives::ByteStream,
    types::{ChecksumAlgorithm, ChecksumMode},
};
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::service_config::ServiceConfigKey;
use glue_codeartifact_domain::s3_uri::S3Uri;

use crate::error::{AwsError, AwsErrorKind, Operation};

/// How long one attempt of an S3 call may take at least: a wheel of a few
/// hundred MB must fit, whatever the (short) timeouts of the Glue and
/// CodeArtifact calls are.
pub const MIN_S3_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// How long a whole S3 call (its retries included) may take at least.
pub const MIN_S3_OPERATION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What `HeadObject` says of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectHead {
    /// `Content-Length`, in bytes.
    pub size: u64,
    /// The object's SHA-256 checksum, when it was stored with one
    /// (`x-amz-checksum-sha256` of a single-part upload).
    pub sha256: Option<[u8; 32]>,
}

/// One object of a `ListObjectsV2` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    /// Where it is.
    pub uri: S3Uri,
    /// Its size, in bytes.
    pub size: u64,
}

/// The S3 operations this tool calls.
#[derive(Clone, Debug)]
pub struct S3 {
    client: Client,
}

impl S3 {
    /// A client from the shared SDK configuration: path-style addressing
    /// when a custom endpoint is configured, and attempt and operation
    /// timeouts of at least [`MIN_S3_ATTEMPT_TIMEOUT`] and
    /// [`MIN_S3_OPERATION_TIMEOUT`].
    pub fn new(config: &SdkConfig) -> Self {
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        if has_custom_endpoint(config) {
            builder = builder.force_path_style(true);
        }
        let timeouts = config
            .timeout_config()
            .cloned()
            .unwrap_or_else(TimeoutConfig::disabled);
        let at_least = |set: Option<Duration>, min: Duration| Some(set.map_or(min, |d| d.max(min)));
        let mut raised = TimeoutConfig::builder();
        raised.set_connect_timeout(timeouts.connect_timeout());
        raised.set_read_timeout(timeouts.read_timeout());
        raised.set_operation_attempt_timeout(at_least(
            timeouts.operation_attempt_timeout(),
            MIN_S3_ATTEMPT_TIMEOUT,
        ));
        raised.set_operation_timeout(at_least(
            timeouts.operation_timeout(),
            MIN_S3_OPERATION_TIMEOUT,
        ));
        builder = builder.timeout_config(raised.build());
        Self {
            client: Client::from_conf(builder.build()),
        }
    }

    /// `HeadObject` (with the checksum mode on): the object's size and
    /// SHA-256, or `None` when there is no such object.
    pub async fn head_object(&self, uri: &S3Uri) -> Result<Option<ObjectHead>, AwsError> {
        const OP: Operation = Operation::HeadObject;
        let result = self
            .client
            .head_object()
            .bucket(uri.bucket())
            .key(uri.key())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(SdkError::ServiceError(service))
                if matches!(service.err(), HeadObjectError::NotFound(_)) =>
            {
                return Ok(None);
            }
            Err(err) => return Err(s3_error(OP, err).about(uri)),
        };
        Ok(Some(ObjectHead {
            size: u64::try_from(output.content_length().unwrap_or_default()).unwrap_or_default(),
            sha256: output.checksum_sha256().and_then(decode_sha256),
        }))
    }

    /// `GetObject`: the whole object.
    pub async fn get_object(&self, uri: &S3Uri) -> Result<Vec<u8>, AwsError> {
        const OP: Operation = Operation::GetObject;
        let output = self
            .client
            .get_object()
            .bucket(uri.bucket())
            .key(uri.key())
            .send()
            .await
            .map_err(|e| s3_error(OP, e).about(uri))?;
        let body = output.body.collect().await.map_err(|e| AwsError {
            operation: OP,
            kind: AwsErrorKind::Network,
            code: None,
            message: format!("the body of {uri} could not be read ({e})"),
        })?;
        Ok(body.into_bytes().to_vec())
    }

    /// `GetObject`, streamed: `each` gets the body chunk by chunk, so a
    /// large object is never held in memory whole. Returns its size.
    pub async fn read_object(
        &self,
        uri: &S3Uri,
        mut each: impl FnMut(&[u8]),
    ) -> Result<u64, AwsError> {
        const OP: Operation = Operation::GetObject;
        let mut output = self
            .client
            .get_object()
            .bucket(uri.bucket())
            .key(uri.key())
            .send()
            .await
            .map_err(|e| s3_error(OP, e).about(uri))?;
        let mut size = 0u64;
        while let Some(chunk) = output.body.next().await {
            let chunk = chunk.map_err(|e| AwsError {
                operation: OP,
                kind: AwsErrorKind::Network,
                code: None,
                message: format!("the body of {uri} could not be read ({e})"),
            })?;
            size += chunk.len() as u64;
            each(&chunk);
        }
        Ok(size)
    }

    /// `PutObject` of `body`, with its SHA-256 (`x-amz-checksum-sha256`):
    /// S3 refuses the upload when the bytes it received do not match, and
    /// keeps the checksum for [`head_object`](Self::head_object).
    ///
    /// Idempotent for a content-addressed key: the same bytes under the same
    /// key, so the SDK's retries (`AWS_MAX_ATTEMPTS`) are safe.
    pub async fn put_object(
        &self,
        uri: &S3Uri,
        body: Vec<u8>,
        sha256: &[u8; 32],
        content_type: &str,
    ) -> Result<(), AwsError> {
        const OP: Operation = Operation::PutObject;
        self.client
            .put_object()
            .bucket(uri.bucket())
            .key(uri.key())
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(aws_smithy_types::base64::encode(sha256))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_error(OP, e).about(uri))?;
        Ok(())
    }

    /// `ListObjectsV2` under `prefix` with `MaxKeys` 1: one cheap request
    /// that fails with `NoSuchBucket` when the bucket does not exist and
    /// with `AccessDenied` when the caller may not list the prefix. It needs
    /// only `s3:ListBucket` with an `s3:prefix` condition on the prefix,
    /// which `HeadBucket` (no prefix in its request) would not satisfy.
    pub async fn check_prefix(&self, prefix: &S3Uri) -> Result<(), AwsError> {
        const OP: Operation = Operation::ListObjectsV2;
        self.client
            .list_objects_v2()
            .bucket(prefix.bucket())
            .prefix(prefix.key())
            .max_keys(1)
            .send()
            .await
            .map_err(|e| s3_error(OP, e).about(prefix))?;
        Ok(())
    }

    /// `ListObjectsV2` under `prefix`, all pages.
    pub async fn list_objects(&self, prefix: &S3Uri) -> Result<Vec<ObjectSummary>, AwsError> {
        const OP: Operation = Operation::ListObjectsV2;
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_objects_v2()
                .bucket(prefix.bucket())
                .prefix(prefix.key())
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| s3_error(OP, e).about(prefix))?;
            for object in output.contents() {
                if let Some(key) = object.key() {
                    objects.push(ObjectSummary {
                        uri: prefix.root().join(key),
                        size: u64::try_from(object.size().unwrap_or_default()).unwrap_or_default(),
                    });
                }
            }
            match output.next_continuation_token() {
                Some(next) if output.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(objects),
            }
        }
    }
}

/// Sorts an S3 SDK error. A HEAD answer has no body, so no error code: its
/// HTTP status tells then.
fn s3_error<E>(
    operation: Operation,
    err: SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> AwsError
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = match &err {
        SdkError::ServiceError(service) if service.err().code().is_none() => {
            Some(service.raw().status().as_u16())
        }
        _ => None,
    };
    let mut sorted = AwsError::from_sdk(operation, err);
    if let Some(status) = status {
        let (kind, code) = match status {
            403 => (AwsErrorKind::AccessDenied, "Forbidden"),
            404 => (AwsErrorKind::NotFound, "NotFound"),
            429 | 503 => (AwsErrorKind::Throttled, "SlowDown"),
            _ => (AwsErrorKind::Service, "ServiceError"),
        };
        sorted.kind = kind;
        sorted.code = Some(format!("{code}, HTTP {status}"));
    }
    sorted
}

impl AwsError {
    /// The same error, naming the S3 location it was about when the service
    /// said nothing more precise (a HEAD answer has no body).
    fn about(mut self, uri: &S3Uri) -> Self {
        if self.message.is_empty() {
            self.message = uri.to_string();
        } else if !self.message.contains(uri.bucket()) {
            self.message = format!("{} ({uri})", self.message);
        }
        self
    }
}

/// Whether the configuration sends S3 requests to a custom endpoint (the
/// same look-up the SDK makes: `AWS_ENDPOINT_URL_S3`, the profile's `s3`
/// `endpoint_url`, then the global `AWS_ENDPOINT_URL`).
fn has_custom_endpoint(config: &SdkConfig) -> bool {
    if config.endpoint_url().is_some() {
        return true;
    }
    let key = ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build();
    match (config.service_config(), key) {
        (Some(service_config), Ok(key)) => service_config.load_config(key).is_some(),
        _ => false,
    }
}

/// A base64 SHA-256 checksum (`x-amz-checksum-sha256`); `None` for any
/// other text (a multipart upload's `…-N` form, garbage).
pub(crate) fn decode_sha256(text: &str) -> Option<[u8; 32]> {
    aws_smithy_types::base64::decode(text)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_decode_only_when_single_part() {
        let digest = [7u8; 32];
        let text = aws_smithy_types::base64::encode(digest);
        assert_eq!(decode_sha256(&text), Some(digest));
        assert_eq!(
            decode_sha256(&format!("{text}-3")),
            None,
            "a multipart checksum"
        );
        assert_eq!(decode_sha256("AAAA"), None);
    }

    #[test]
    fn errors_name_the_location() {
        let uri = S3Uri::parse("s3://acme-glue/wheels/a.whl").unwrap();
        let err = AwsError {
            operation: Operation::HeadObject,
            kind: AwsErrorKind::AccessDenied,
            code: Some("Forbidden".into()),
            message: String::new(),
        }
        .about(&uri);
        assert_eq!(err.message, "s3://acme-glue/wheels/a.whl");
        let err = AwsError {
            message: "The specified bucket does not exist".into(),
            ..err
        }
        .about(&uri);
        assert!(
            err.message.ends_with("(s3://acme-glue/wheels/a.whl)"),
            "{}",
            err.message
        );
    }
}
