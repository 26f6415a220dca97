//! The S3 adapter against moto's S3 over HTTP (path-style, custom endpoint).

use aws_config::{BehaviorVersion, Region, retry::RetryConfig};
use aws_credential_types::Credentials;
use glue_codeartifact_aws::{AwsErrorKind, ObjectHead, S3};
use glue_codeartifact_domain::s3_uri::S3Uri;
use sha2::{Digest, Sha256};
use test_stack::{Moto, S3Fault, S3FaultKind, unique_name};

fn s3(moto: &Moto, attempts: u32) -> S3 {
    let config = moto.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::for_tests())
            .endpoint_url(&moto.url)
            .retry_config(RetryConfig::standard().with_max_attempts(attempts))
            .load(),
    );
    S3::new(&config)
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[test]
fn put_head_get_list_round_trip() {
    let moto = Moto::shared();
    let bucket = unique_name("s3-adapter");
    moto.create_bucket(&bucket);
    let s3 = s3(moto, 1);
    let uri = S3Uri::parse(&format!(
        "s3://{bucket}/wheels/sha256/ab/a-1.0-py3-none-any.whl"
    ))
    .unwrap();
    assert_eq!(moto.block_on(s3.head_object(&uri)).unwrap(), None);

    let body = b"PK\x03\x04 not really a wheel".to_vec();
    let sha = digest(&body);
    moto.block_on(s3.put_object(&uri, body.clone(), &sha, "application/zip"))
        .unwrap();
    assert_eq!(
        moto.block_on(s3.head_object(&uri)).unwrap(),
        Some(ObjectHead {
            size: body.len() as u64,
            sha256: Some(sha)
        })
    );
    assert_eq!(moto.block_on(s3.get_object(&uri)).unwrap(), body);
    assert_eq!(moto.get_object(&bucket, uri.key()), body);
    let prefix = S3Uri::parse_prefix(&format!("s3://{bucket}/wheels")).unwrap();
    let listed = moto.block_on(s3.list_objects(&prefix)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].uri, uri);
    assert_eq!(listed[0].size, body.len() as u64);
    let puts = moto.s3_requests(Some("PutObject"), &bucket);
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(
        puts[0].headers.contains_key("x-amz-checksum-sha256"),
        "{puts:?}"
    );
}

#[test]
fn a_wrong_checksum_is_refused_and_nothing_is_stored() {
    let moto = Moto::shared();
    let bucket = unique_name("s3-adapter");
    moto.create_bucket(&bucket);
    let s3 = s3(moto, 1);
    let uri = S3Uri::parse(&format!("s3://{bucket}/w/a.whl")).unwrap();
    let err = moto
        .block_on(s3.put_object(
            &uri,
            b"tampered".to_vec(),
            &digest(b"original"),
            "application/zip",
        ))
        .unwrap_err();
    assert_eq!(err.operation.name(), "PutObject", "{err}");
    assert_eq!(err.code.as_deref(), Some("BadDigest"), "{err}");
    assert_eq!(moto.block_on(s3.head_object(&uri)).unwrap(), None);
}

#[test]
fn failures_are_sorted() {
    let moto = Moto::shared();
    let bucket = unique_name("s3-adapter");
    let s3 = s3(moto, 1);
    let uri = S3Uri::parse(&format!("s3://{bucket}/w/a.whl")).unwrap();
    let err = moto
        .block_on(s3.put_object(&uri, b"x".to_vec(), &digest(b"x"), "application/zip"))
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::NotFound, "{err}");
    assert_eq!(err.code.as_deref(), Some("NoSuchBucket"), "{err}");
    assert!(err.to_string().contains(&bucket), "{err}");

    moto.create_bucket(&bucket);
    moto.inject_s3_fault(&S3Fault::new(
        "PutObject",
        &bucket,
        S3FaultKind::AccessDenied,
        Some(1),
    ));
    let err = moto
        .block_on(s3.put_object(&uri, b"x".to_vec(), &digest(b"x"), "application/zip"))
        .unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::AccessDenied, "{err}");
    assert_eq!(err.missing_actions(), vec!["s3:PutObject"]);

    moto.inject_s3_fault(&S3Fault::new(
        "HeadObject",
        &bucket,
        S3FaultKind::AccessDenied,
        Some(1),
    ));
    let err = moto.block_on(s3.head_object(&uri)).unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::AccessDenied, "{err}");
    assert!(err.to_string().contains(&uri.to_string()), "{err}");

    moto.inject_s3_fault(&S3Fault::new(
        "HeadObject",
        &bucket,
        S3FaultKind::Throttle,
        Some(1),
    ));
    let err = moto.block_on(s3.head_object(&uri)).unwrap_err();
    assert_eq!(err.kind, AwsErrorKind::Throttled, "{err}");
}

#[test]
fn transient_failures_are_retried_within_the_attempts() {
    let moto = Moto::shared();
    let bucket = unique_name("s3-adapter");
    moto.create_bucket(&bucket);
    let s3 = s3(moto, 3);
    let body = vec![7u8; 64 * 1024];
    let sha = digest(&body);
    for (n, kind) in [
        S3FaultKind::InternalError,
        S3FaultKind::Throttle,
        S3FaultKind::ConnectionReset,
    ]
    .into_iter()
    .enumerate()
    {
        let uri = S3Uri::parse(&format!("s3://{bucket}/w/{n}.whl")).unwrap();
        moto.inject_s3_fault(&S3Fault::new("PutObject", &bucket, kind, Some(2)));
        moto.block_on(s3.put_object(&uri, body.clone(), &sha, "application/zip"))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(moto.get_object(&bucket, uri.key()), body, "{kind:?}");
    }
    // Three attempts at most: a fault that outlasts them fails the call.
    let uri = S3Uri::parse(&format!("s3://{bucket}/w/never.whl")).unwrap();
    moto.clear_s3_faults(&bucket);
    let before = moto.s3_requests(Some("PutObject"), &bucket).len();
    moto.inject_s3_fault(&S3Fault::new(
        "PutObject",
        &bucket,
        S3FaultKind::InternalError,
        None,
    ));
    let err = moto
        .block_on(s3.put_object(&uri, body.clone(), &sha, "application/zip"))
        .unwrap_err();
    moto.clear_s3_faults(&bucket);
    assert_eq!(err.kind, AwsErrorKind::Service, "{err}");
    assert_eq!(
        moto.s3_requests(Some("PutObject"), &bucket).len() - before,
        3
    );
    assert_eq!(moto.block_on(s3.head_object(&uri)).unwrap(), None);
}
