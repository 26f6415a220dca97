"""Faults and the request recorder in the S3 stand-in (faults.py, S3's rules), seen from boto3."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stack_helpers import client, moto_server, stack_request


@pytest.fixture(scope="module")
def url():
    with moto_server() as url:
        yield url


def s3(url: str):
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
    return client("s3", url, config)


def new_bucket(url: str) -> str:
    name = f"wheels-{uuid.uuid4().hex[:8]}"
    s3(url).create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 503, "SlowDown"),
        ("internal_error", 500, "InternalError"),
        ("unavailable", 503, "ServiceUnavailable"),
        ("access_denied", 403, "AccessDenied"),
    ],
)
def test_error_answers_have_s3s_shape_hit_one_bucket_and_store_nothing(url, kind, status, code):
    bucket, other = new_bucket(url), new_bucket(url)
    fault = {"operation": "PutObject", "bucket": bucket, "kind": kind, "count": 1}
    assert stack_request(url, "POST", "/_stack/s3-faults", fault)[0] == 204
    s3(url).put_object(Bucket=other, Key="k", Body=b"x")  # another bucket: not hit
    with pytest.raises(ClientError) as err:
        s3(url).put_object(Bucket=bucket, Key="k", Body=b"x")
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if kind == "access_denied":
        assert "s3:PutObject" in err.value.response["Error"]["Message"]
    assert "Contents" not in s3(url).list_objects_v2(Bucket=bucket)
    s3(url).put_object(Bucket=bucket, Key="k", Body=b"x")  # count 1: used up


def test_faults_are_validated_listed_and_cleared_per_bucket(url):
    bucket = new_bucket(url)
    for bad, says in [
        ({"bucket": bucket, "kind": "throttle"}, "operation"),
        ({"operation": "PutObject", "kind": "nope"}, "kind must be one of"),
        # S3 faults strike before moto: there is no "after" for S3.
        ({"operation": "PutObject", "kind": "throttle", "when": "after"}, "when must be before"),
        ({"operation": "PutObject", "kind": "delay"}, "delay_ms"),
        ({"operation": "PutObject", "kind": "throttle", "bucket": 5}, "bucket must be a string"),
    ]:
        status, body = stack_request(url, "POST", "/_stack/s3-faults", bad)
        assert status == 400, bad
        assert says in json.loads(body)["error"], body
    fault = {"operation": "GetObject", "bucket": bucket, "kind": "throttle", "count": None}
    assert stack_request(url, "POST", "/_stack/s3-faults", fault)[0] == 204
    status, body = stack_request(url, "GET", "/_stack/s3-faults")
    assert status == 200
    assert {**fault, "delay_ms": 0} in json.loads(body)
    assert stack_request(url, "DELETE", f"/_stack/s3-faults?bucket={bucket}")[0] == 204
    assert all(f["bucket"] != bucket for f in json.loads(stack_request(url, "GET", "/_stack/s3-faults")[1]))


def test_a_head_request_gets_the_status_without_a_body(url):
    bucket = new_bucket(url)
    s3(url).put_object(Bucket=bucket, Key="k", Body=b"x")
    fault = {"operation": "HeadObject", "bucket": bucket, "kind": "access_denied", "count": 1}
    assert stack_request(url, "POST", "/_stack/s3-faults", fault)[0] == 204
    with pytest.raises(ClientError) as err:
        s3(url).head_object(Bucket=bucket, Key="k")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_put_whose_body_does_not_match_its_sha256_is_refused_with_bad_digest(url):
    bucket = new_bucket(url)
    wrong = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
    with pytest.raises(ClientError) as err:
        s3(url).put_object(Bucket=bucket, Key="k", Body=b"the bytes", ChecksumSHA256=wrong)
    assert err.value.response["Error"]["Code"] == "BadDigest"
    right = base64.b64encode(hashlib.sha256(b"the bytes").digest()).decode()
    s3(url).put_object(Bucket=bucket, Key="k", Body=b"the bytes", ChecksumSHA256=right)
    assert s3(url).get_object(Bucket=bucket, Key="k")["Body"].read() == b"the bytes"


def test_requests_are_recorded_with_headers_and_no_body(url):
    bucket = new_bucket(url)
    s3(url).put_object(Bucket=bucket, Key="a/b.whl", Body=b"secret body", Metadata={"m": "1"})
    status, body = stack_request(url, "GET", f"/_stack/s3-requests?operation=PutObject&bucket={bucket}")
    assert status == 200
    records = json.loads(body)
    assert [(r["operation"], r["bucket"], r["key"]) for r in records] == [("PutObject", bucket, "a/b.whl")]
    assert records[0]["headers"]["x-amz-meta-m"] == "1"
    assert "secret body" not in body.decode()
    assert stack_request(url, "DELETE", "/_stack/s3-requests")[0] == 204
    assert json.loads(stack_request(url, "GET", f"/_stack/s3-requests?bucket={bucket}")[1]) == []
