"""Faults and a request recorder for the S3 stand-in (moto's S3, same port).

Imported by ``moto_server.py``. The S3 twin of ``glue_faults.py``: a fault
hits the next ``count`` S3 requests of one operation, optionally only those
for one bucket, so tests that share one moto server do not disturb each
other.

An S3 request is one signed for the ``s3`` service (``Authorization: AWS4-HMAC-SHA256
Credential=…/s3/aws4_request``) in path-style form (``/BUCKET/KEY``). Its
operation is read from the method and path: ``PutObject``, ``GetObject``,
``HeadObject``, ``DeleteObject`` (a key), ``ListObjectsV2``, ``CreateBucket``,
``HeadBucket`` (the bucket alone).

Admin API (same port as moto):

* ``POST /_stack/s3-faults`` with a JSON fault, e.g.
  ``{"operation": "PutObject", "bucket": "wheels-1", "kind": "connection_reset", "count": 1}``;
* ``GET /_stack/s3-faults`` lists the pending faults;
* ``DELETE /_stack/s3-faults[?bucket=NAME]`` forgets them;
* ``GET /_stack/s3-requests[?operation=Op][&bucket=NAME]`` lists the S3
  requests received, oldest first, as ``{"operation", "bucket", "key",
  "headers"}`` (``x-amz-*`` and ``content-*`` headers only; never the body);
* ``DELETE /_stack/s3-requests`` forgets them.

Kinds, with the answer an S3 client gets (S3's XML error bodies):

* ``throttle``: 503 ``SlowDown``;
* ``internal_error``: 500 ``InternalError``;
* ``unavailable``: 503 ``ServiceUnavailable``;
* ``access_denied``: 403 ``AccessDenied`` naming ``s3:<Action>``;
* ``connection_reset``: half the request body is read (the middle of an
  upload), then the connection is reset;
* ``delay``: wait ``delay_ms``, then answer normally.

Faults strike before moto handles the request: nothing was stored.

One fidelity fix: moto 5.2.5 stores a PutObject whose body does not match its
``x-amz-checksum-sha256``; S3 refuses it with 400 ``BadDigest`` ("The SHA256
you specified did not match the calculated checksum", S3 API reference,
PutObject / "Checking object integrity"), and so does this middleware.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from glue_faults import ResetConnection, read_body, respond

FAULTS_PATH = "/_stack/s3-faults"
REQUESTS_PATH = "/_stack/s3-requests"
KINDS = ("throttle", "internal_error", "unavailable", "access_denied", "connection_reset", "delay")

# kind -> (HTTP status, S3 error code, message)
ERRORS: dict[str, tuple[str, str, str]] = {
    "throttle": ("503 Slow Down", "SlowDown", "Please reduce your request rate. (injected)"),
    "internal_error": ("500 Internal Server Error", "InternalError", "We encountered an internal error. Please try again. (injected)"),
    "unavailable": ("503 Service Unavailable", "ServiceUnavailable", "Service is unable to handle request. (injected)"),
}

# S3 operation -> the IAM action an AccessDenied names.
ACTIONS = {
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "CreateBucket": "s3:CreateBucket",
    "HeadBucket": "s3:ListBucket",
}


def is_s3(environ: dict[str, Any]) -> bool:
    return "/s3/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


def operation_of(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(operation, bucket, key) of a path-style S3 request."""
    path = unquote(environ.get("PATH_INFO", ""))
    bucket, _, key = path.lstrip("/").partition("/")
    method = environ.get("REQUEST_METHOD", "GET")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if key:
        operation = {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)
    elif method == "GET" and query.get("list-type") == ["2"]:
        operation = "ListObjectsV2"
    else:
        operation = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "GET": "ListObjects", "DELETE": "DeleteBucket"}.get(method, method)
    return operation, bucket, key


def validate(fault: Any) -> dict[str, Any]:
    """A fault from its JSON form, or ValueError saying what is wrong."""
    if not isinstance(fault, dict):
        raise ValueError("a fault is a JSON object")
    operation = fault.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ValueError("operation (an S3 operation name, e.g. PutObject) is required")
    kind = fault.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    count = fault.get("count")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise ValueError("count must be a non-negative integer or null")
    delay_ms = fault.get("delay_ms", 0)
    if kind == "delay" and (not isinstance(delay_ms, int) or delay_ms <= 0):
        raise ValueError("a delay needs delay_ms > 0")
    bucket = fault.get("bucket")
    if bucket is not None and not isinstance(bucket, str):
        raise ValueError("bucket must be a string")
    return {"operation": operation, "bucket": bucket, "kind": kind, "count": count, "delay_ms": delay_ms}


class S3Faults:
    """WSGI middleware: records S3 requests, applies pending faults, serves the admin API."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == FAULTS_PATH:
            return self.serve_faults(environ, start_response)
        if path == REQUESTS_PATH:
            return self.serve_records(environ, start_response)
        if not is_s3(environ):
            return self.app(environ, start_response)
        operation, bucket, key = operation_of(environ)
        headers = {
            name[5:].replace("_", "-").lower(): value
            for name, value in environ.items()
            if name.startswith("HTTP_X_AMZ_") or name.startswith("HTTP_CONTENT_")
        }
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        with self.lock:
            self.records.append({"operation": operation, "bucket": bucket, "key": key, "headers": headers})
        fault = self.take(operation, bucket)
        if fault is None:
            if operation == "PutObject" and environ.get("HTTP_X_AMZ_CHECKSUM_SHA256"):
                return self.check_sha256(environ, start_response, bucket, key)
            return self.app(environ, start_response)
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(fault["delay_ms"] / 1000.0)
            return self.app(environ, start_response)
        if kind == "connection_reset":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > 1:
                environ["wsgi.input"].read(length // 2)
            raise ResetConnection()
        if kind == "access_denied":
            status, code = "403 Forbidden", "AccessDenied"
            message = (
                "User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
                f"{ACTIONS.get(operation, 's3:' + operation)} on resource: \"arn:aws:s3:::{bucket}/{key}\" "
                "because no identity-based policy allows the action"
            )
        else:
            status, code, message = ERRORS[kind]
        if environ.get("REQUEST_METHOD") == "HEAD":
            return respond(start_response, status, b"")
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<Resource>/{bucket}/{key}</Resource><RequestId>INJECTED</RequestId></Error>"
        ).encode()
        return respond(start_response, status, body, [("Content-Type", "application/xml")])

    def check_sha256(self, environ: dict[str, Any], start_response: Callable[..., Any], bucket: str, key: str) -> Iterable[bytes]:
        """Refuse a PutObject whose plain body does not match its SHA-256 header."""
        if "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
            return self.app(environ, start_response)
        raw = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        actual = base64.b64encode(hashlib.sha256(raw).digest()).decode()
        if actual == environ["HTTP_X_AMZ_CHECKSUM_SHA256"]:
            return self.app(environ, start_response)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message>"
            f"<Resource>/{bucket}/{key}</Resource><RequestId>CHECKED</RequestId></Error>"
        ).encode()
        return respond(start_response, "400 Bad Request", body, [("Content-Type", "application/xml")])

    def take(self, operation: str, bucket: str) -> dict[str, Any] | None:
        """The first pending fault for this request, with one count used up."""
        with self.lock:
            for fault in self.faults:
                if fault["operation"] != operation:
                    continue
                if fault["bucket"] is not None and fault["bucket"] != bucket:
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                self.faults = [f for f in self.faults if f["count"] != 0]
                return dict(fault)
        return None

    def serve_faults(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                fault = validate(json.loads(read_body(environ) or b"null"))
            except ValueError as e:
                return respond(start_response, "400 Bad Request", json.dumps({"error": str(e)}).encode())
            if fault["count"] != 0:
                with self.lock:
                    self.faults.append(fault)
            return respond(start_response, "204 No Content", b"")
        if method == "DELETE":
            bucket = parse_qs(environ.get("QUERY_STRING", "")).get("bucket", [None])[0]
            with self.lock:
                self.faults = [f for f in self.faults if bucket is not None and f["bucket"] != bucket]
            return respond(start_response, "204 No Content", b"")
        if method == "GET":
            with self.lock:
                body = json.dumps(self.faults).encode()
            return respond(start_response, "200 OK", body, [("Content-Type", "application/json")])
        return respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, POST, DELETE")])

    def serve_records(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "DELETE":
            with self.lock:
                self.records.clear()
            return respond(start_response, "204 No Content", b"")
        if method != "GET":
            return respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, DELETE")])
        query = parse_qs(environ.get("QUERY_STRING", ""))
        operation = query.get("operation", [None])[0]
        bucket = query.get("bucket", [None])[0]
        with self.lock:
            selected = [
                r
                for r in self.records
                if (operation is None or r["operation"] == operation) and (bucket is None or r["bucket"] == bucket)
            ]
        return respond(start_response, "200 OK", json.dumps(selected).encode(), [("Content-Type", "application/json")])
