//! The S3 stand-in: moto's S3 on the same port as Glue (path-style), its
//! fixtures, the S3 requests it recorded and its faults
//! (`crates/test-stack/python/faults.py`, S3's rules).

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_types::SdkConfig;
use serde_json::{Value, json};

use crate::moto::Moto;

/// An S3 client (AWS SDK for Rust) for the moto server `config` points at
/// (path-style: moto's S3 shares its port with Glue).
pub(crate) fn client(config: &SdkConfig) -> Client {
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// What an S3 fault does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3FaultKind {
    /// HTTP 503 `SlowDown`.
    Throttle,
    /// HTTP 500 `InternalError`.
    InternalError,
    /// HTTP 503 `ServiceUnavailable`.
    Unavailable,
    /// HTTP 403 `AccessDenied` naming the IAM action.
    AccessDenied,
    /// Half the request body is read, then the connection is reset.
    ConnectionReset,
    /// Answer this much later.
    Delay(Duration),
}

impl S3FaultKind {
    fn name(self) -> &'static str {
        match self {
            S3FaultKind::Throttle => "throttle",
            S3FaultKind::InternalError => "internal_error",
            S3FaultKind::Unavailable => "unavailable",
            S3FaultKind::AccessDenied => "access_denied",
            S3FaultKind::ConnectionReset => "connection_reset",
            S3FaultKind::Delay(_) => "delay",
        }
    }
}

/// A fault for the next `count` S3 requests of `operation` on `bucket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Fault {
    /// `PutObject`, `GetObject`, `HeadObject`, `ListObjectsV2`, …
    pub operation: String,
    /// Only requests to this bucket (tests share one moto).
    pub bucket: String,
    /// What it does.
    pub kind: S3FaultKind,
    /// How many requests it hits; `None`: until cleared.
    pub count: Option<u32>,
}

impl S3Fault {
    /// A fault for the next `count` requests of `operation` on `bucket`.
    pub fn new(operation: &str, bucket: &str, kind: S3FaultKind, count: Option<u32>) -> Self {
        S3Fault {
            operation: operation.to_owned(),
            bucket: bucket.to_owned(),
            kind,
            count,
        }
    }
}

/// One S3 request the stand-in received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Request {
    /// The operation, read from the method and path.
    pub operation: String,
    /// The bucket.
    pub bucket: String,
    /// The key (empty for bucket operations).
    pub key: String,
    /// The request's `x-amz-*` and `content-*` headers (lowercase names).
    pub headers: serde_json::Map<String, Value>,
}

impl Moto {
    /// The S3 client pointed at this server; drive it with [`Moto::block_on`].
    pub fn s3(&self) -> &Client {
        &self.s3
    }

    /// Creates a bucket (CreateBucket).
    pub fn create_bucket(&self, bucket: &str) {
        self.block_on(self.s3.create_bucket().bucket(bucket).send())
            .unwrap_or_else(|e| {
                panic!("CreateBucket {bucket} failed: {}", DisplayErrorContext(&e))
            });
    }

    /// Stores an object (PutObject).
    pub fn put_object(&self, bucket: &str, key: &str, body: &[u8]) {
        self.put(bucket, key, body, None);
    }

    /// Stores an object with a SHA-256 checksum (the SDK computes it and
    /// sends `x-amz-checksum-sha256`; S3 keeps it for HeadObject).
    pub fn put_object_with_sha256(&self, bucket: &str, key: &str, body: &[u8]) {
        self.put(
            bucket,
            key,
            body,
            Some(aws_sdk_s3::types::ChecksumAlgorithm::Sha256),
        );
    }

    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        checksum: Option<aws_sdk_s3::types::ChecksumAlgorithm>,
    ) {
        self.block_on(
            self.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .set_checksum_algorithm(checksum)
                .body(ByteStream::from(body.to_vec()))
                .send(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "PutObject {bucket}/{key} failed: {}",
                DisplayErrorContext(&e)
            )
        });
    }

    /// The keys and sizes under `prefix` (ListObjectsV2, all pages), sorted.
    pub fn list_objects(&self, bucket: &str, prefix: &str) -> Vec<(String, u64)> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .block_on(
                    self.s3
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .set_continuation_token(token.take())
                        .send(),
                )
                .unwrap_or_else(|e| {
                    panic!(
                        "ListObjectsV2 {bucket}/{prefix} failed: {}",
                        DisplayErrorContext(&e)
                    )
                });
            objects.extend(page.contents().iter().map(|o| {
                (
                    o.key().unwrap_or_default().to_owned(),
                    u64::try_from(o.size().unwrap_or_default()).unwrap_or_default(),
                )
            }));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        objects.sort();
        objects
    }

    /// An object's bytes (GetObject).
    pub fn get_object(&self, bucket: &str, key: &str) -> Vec<u8> {
        self.block_on(async {
            let output = self
                .s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "GetObject {bucket}/{key} failed: {}",
                        DisplayErrorContext(&e)
                    )
                });
            output
                .body
                .collect()
                .await
                .unwrap_or_else(|e| panic!("GetObject {bucket}/{key}: body: {e}"))
                .into_bytes()
                .to_vec()
        })
    }

    /// An object's user metadata (`x-amz-meta-*`, HeadObject).
    pub fn object_metadata(&self, bucket: &str, key: &str) -> Vec<(String, String)> {
        let head = self
            .block_on(self.s3.head_object().bucket(bucket).key(key).send())
            .unwrap_or_else(|e| {
                panic!(
                    "HeadObject {bucket}/{key} failed: {}",
                    DisplayErrorContext(&e)
                )
            });
        let mut metadata: Vec<_> = head
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        metadata.sort();
        metadata
    }

    /// Deletes an object (DeleteObject).
    pub fn delete_object(&self, bucket: &str, key: &str) {
        self.block_on(self.s3.delete_object().bucket(bucket).key(key).send())
            .unwrap_or_else(|e| {
                panic!(
                    "DeleteObject {bucket}/{key} failed: {}",
                    DisplayErrorContext(&e)
                )
            });
    }

    /// Queues a fault in the S3 stand-in.
    pub fn inject_s3_fault(&self, fault: &S3Fault) {
        let mut body = json!({
            "operation": fault.operation,
            "bucket": fault.bucket,
            "kind": fault.kind.name(),
            "count": fault.count,
        });
        if let S3FaultKind::Delay(delay) = fault.kind {
            body["delay_ms"] = json!(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        }
        let body = body.to_string();
        let (status, answer) = request(&self.url, "POST", "/_stack/s3-faults", Some(&body));
        assert_eq!(
            status, 204,
            "POST /_stack/s3-faults {body}: {status} {answer}"
        );
    }

    /// Forgets the pending S3 faults on `bucket`.
    pub fn clear_s3_faults(&self, bucket: &str) {
        let path = format!("/_stack/s3-faults?bucket={bucket}");
        let (status, answer) = request(&self.url, "DELETE", &path, None);
        assert_eq!(status, 204, "DELETE {path}: {status} {answer}");
    }

    /// The S3 requests of `operation` (any, if `None`) on `bucket` this
    /// server received, oldest first.
    pub fn s3_requests(&self, operation: Option<&str>, bucket: &str) -> Vec<S3Request> {
        let mut path = format!("/_stack/s3-requests?bucket={bucket}");
        if let Some(operation) = operation {
            path.push_str(&format!("&operation={operation}"));
        }
        let (status, answer) = request(&self.url, "GET", &path, None);
        assert_eq!(status, 200, "GET {path}: {status} {answer}");
        let records: Vec<Value> = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("GET {path}: not a JSON list ({e}): {answer}"));
        records
            .into_iter()
            .map(|r| S3Request {
                operation: r["operation"].as_str().unwrap_or_default().to_owned(),
                bucket: r["bucket"].as_str().unwrap_or_default().to_owned(),
                key: r["key"].as_str().unwrap_or_default().to_owned(),
                headers: r["headers"].as_object().cloned().unwrap_or_default(),
            })
            .collect()
    }
}

/// One request to the stand-in's `/_stack` endpoints.
fn request(base_url: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    crate::http::request(base_url, method, path, body, Duration::from_secs(30))
}
