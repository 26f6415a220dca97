"""Faults and request records for the moto stand-in: one proxy, with per-service rules.

Imported by ``moto_server.py``, which wraps moto's app in one :class:`Faults`
middleware per service: :data:`GLUE` and :data:`S3`. A fault hits the next
``count`` requests of one operation of that service, optionally only those
about one job (Glue: the body's ``JobName``) or one bucket (S3), so tests that
share one moto server do not disturb each other.

Which requests are whose:

* **Glue**: AWS JSON 1.1 requests with ``X-Amz-Target: AWSGlue.<Op>``.
* **S3**: requests signed for the ``s3`` service (``Authorization:
  AWS4-HMAC-SHA256 Credential=…/s3/aws4_request``) in path-style form
  (``/BUCKET/KEY``). The operation is read from the method and path:
  ``PutObject``, ``GetObject``, ``HeadObject``, ``DeleteObject`` (a key),
  ``ListObjectsV2``, ``CreateBucket``, ``HeadBucket`` (the bucket alone).

Admin API (same port as moto):

* ``POST /_stack/faults`` (Glue) or ``/_stack/s3-faults`` (S3) with a JSON
  fault, e.g. ``{"operation": "StartJobRun", "job": "etl-1", "kind":
  "connection_reset", "when": "after", "count": 1}`` or ``{"operation":
  "PutObject", "bucket": "wheels-1", "kind": "connection_reset", "count": 1}``;
* ``GET`` on the same path lists the pending faults;
* ``DELETE …[?job=NAME]`` / ``…[?bucket=NAME]`` forgets them (all, or one
  job's or bucket's);
* ``GET /_stack/s3-requests[?operation=Op][&bucket=NAME]`` lists the S3
  requests received, oldest first, as ``{"operation", "bucket", "key",
  "headers"}`` (``x-amz-*`` and ``content-*`` headers only; never the body);
  ``DELETE /_stack/s3-requests`` forgets them. (The Glue requests' recorder,
  with their bodies, is ``moto_server.py``'s ``/_stack/glue-requests``; both
  are a :class:`RequestLog`.)

Kinds, with the answer a client of each service gets:

=================== ================================== ==================================
kind                Glue (AWS JSON 1.1 error)          S3 (S3's XML error)
=================== ================================== ==================================
``throttle``        400 ``ThrottlingException``        503 ``SlowDown``
``internal_error``  500 ``InternalServiceException``   500 ``InternalError``
``unavailable``     503 ``ServiceUnavailableException`` 503 ``ServiceUnavailable``
``access_denied``   400 ``AccessDeniedException``      403 ``AccessDenied``
                    naming ``glue:<Op>``               naming ``s3:<Action>``
``connection_reset`` no answer; the TCP connection is  the same, after half the request
                    closed with a reset (``SO_LINGER`` body is read (the middle of an
                    0)                                 upload)
``delay``           wait ``delay_ms``, then answer normally
=================== ================================== ==================================

``when`` (Glue only) says whether the fault strikes ``before`` moto handles
the request (the default: nothing happened, as when AWS refuses a request) or
``after`` (moto did the work, e.g. the run started, and then the answer is
lost, replaced by an error, or late). ``after`` is how a test makes the
"StartJobRun started a run but the client never heard" case that makes a
blind retry start a second run. S3 faults strike before: nothing was stored.

Faults wait in a queue in injection order; for each request the first
matching fault applies and uses up one of its ``count`` (``null``: until
cleared).

One S3 fidelity fix: moto 5.2.5 stores a PutObject whose body does not match
its ``x-amz-checksum-sha256``; S3 refuses it with 400 ``BadDigest`` ("The
SHA256 you specified did not match the calculated checksum", S3 API reference,
PutObject / "Checking object integrity"), and so does this middleware.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

KINDS = ("throttle", "internal_error", "unavailable", "access_denied", "connection_reset", "delay")

GLUE_TARGET_PREFIX = "AWSGlue."

StartResponse = Callable[..., Any]


# --------------------------------------------------------------------------
# Per-service rules
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """How one service's requests are told apart, scoped and refused."""

    name: str
    faults_path: str
    # The field a fault may be narrowed to ("job", "bucket").
    scope: str
    example_operation: str
    # The timings a fault may have ("before", and "after" where the work can
    # be done and its answer lost).
    timings: tuple[str, ...]
    # (operation, scope value, key) of one of this service's requests, or
    # None for another service's.
    identify: Callable[[dict[str, Any]], tuple[str, str | None, str] | None]
    # (status, headers, body) of an injected error of `kind`.
    error: Callable[[str, str, str | None, str, dict[str, Any]], tuple[str, list[tuple[str, str]], bytes]]
    # Whether a reset reads half the request body first (S3: the middle of
    # an upload).
    reads_before_reset: bool = False
    # Where this service's requests are served (see RequestLog), and the
    # record kept of one.
    requests_path: str | None = None
    record: Callable[[str, str | None, str, dict[str, Any]], dict[str, Any]] | None = None
    # A refusal of a request no fault hit, where moto would accept what the
    # real service refuses (a fidelity fix), or None.
    verify: Callable[[str, str | None, str, dict[str, Any]], tuple[str, list[tuple[str, str]], bytes] | None] | None = None


# kind -> (HTTP status, __type, message)
GLUE_ERRORS: dict[str, tuple[str, str, str]] = {
    "throttle": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "internal_error": ("500 Internal Server Error", "InternalServiceException", "Internal service error (injected)"),
    "unavailable": ("503 Service Unavailable", "ServiceUnavailableException", "Service unavailable (injected)"),
}


def glue_identify(environ: dict[str, Any]) -> tuple[str, str | None, str] | None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if not target.startswith(GLUE_TARGET_PREFIX):
        return None
    return target[len(GLUE_TARGET_PREFIX):], job_of(environ), ""


def glue_error(kind: str, operation: str, job: str | None, _key: str, _environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    if kind == "access_denied":
        status, error_type = "400 Bad Request", "AccessDeniedException"
        message = (
            "User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
            f"glue:{operation} on resource: arn:aws:glue:us-east-1:123456789012:job/{job or '*'}"
        )
    else:
        status, error_type, message = GLUE_ERRORS[kind]
    body = json.dumps({"__type": error_type, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", error_type)], body


def job_of(environ: dict[str, Any]) -> str | None:
    """The request body's ``JobName``; the body is put back for moto."""
    raw = reread_body(environ)
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return None
    name = body.get("JobName") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


# kind -> (HTTP status, S3 error code, message)
S3_ERRORS: dict[str, tuple[str, str, str]] = {
    "throttle": ("503 Slow Down", "SlowDown", "Please reduce your request rate. (injected)"),
    "internal_error": ("500 Internal Server Error", "InternalError", "We encountered an internal error. Please try again. (injected)"),
    "unavailable": ("503 Service Unavailable", "ServiceUnavailable", "Service is unable to handle request. (injected)"),
}

# S3 operation -> the IAM action an AccessDenied names.
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "CreateBucket": "s3:CreateBucket",
    "HeadBucket": "s3:ListBucket",
}


def s3_identify(environ: dict[str, Any]) -> tuple[str, str | None, str] | None:
    """(operation, bucket, key) of a path-style S3 request."""
    if "/s3/aws4_request" not in environ.get("HTTP_AUTHORIZATION", ""):
        return None
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


def s3_error_body(code: str, message: str, bucket: str | None, key: str, request_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>/{bucket}/{key}</Resource><RequestId>{request_id}</RequestId></Error>"
    ).encode()


def s3_error(kind: str, operation: str, bucket: str | None, key: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    if kind == "access_denied":
        status, code = "403 Forbidden", "AccessDenied"
        message = (
            "User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
            f"{S3_ACTIONS.get(operation, 's3:' + operation)} on resource: \"arn:aws:s3:::{bucket}/{key}\" "
            "because no identity-based policy allows the action"
        )
    else:
        status, code, message = S3_ERRORS[kind]
    if environ.get("REQUEST_METHOD") == "HEAD":
        return status, [], b""
    return status, [("Content-Type", "application/xml")], s3_error_body(code, message, bucket, key, "INJECTED")


def s3_record(operation: str, bucket: str | None, key: str, environ: dict[str, Any]) -> dict[str, Any]:
    """What ``/_stack/s3-requests`` keeps of a request: its ``x-amz-*`` and
    ``content-*`` headers, never the body."""
    headers = {
        name[5:].replace("_", "-").lower(): value
        for name, value in environ.items()
        if name.startswith("HTTP_X_AMZ_") or name.startswith("HTTP_CONTENT_")
    }
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    return {"operation": operation, "bucket": bucket, "key": key, "headers": headers}


def s3_verify(operation: str, bucket: str | None, key: str, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """400 BadDigest for a PutObject whose plain body does not match its
    SHA-256 header (moto stores it)."""
    expected = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
    if operation != "PutObject" or not expected or "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
        return None
    actual = base64.b64encode(hashlib.sha256(reread_body(environ)).digest()).decode()
    if actual == expected:
        return None
    body = s3_error_body("BadDigest", "The SHA256 you specified did not match the calculated checksum.", bucket, key, "CHECKED")
    return "400 Bad Request", [("Content-Type", "application/xml")], body


GLUE = Service(
    name="Glue",
    faults_path="/_stack/faults",
    scope="job",
    example_operation="StartJobRun",
    timings=("before", "after"),
    identify=glue_identify,
    error=glue_error,
)

S3 = Service(
    name="S3",
    faults_path="/_stack/s3-faults",
    scope="bucket",
    example_operation="PutObject",
    timings=("before",),
    identify=s3_identify,
    error=s3_error,
    reads_before_reset=True,
    requests_path="/_stack/s3-requests",
    record=s3_record,
    verify=s3_verify,
)


# --------------------------------------------------------------------------
# The proxy
# --------------------------------------------------------------------------


def validate(fault: Any, service: Service) -> dict[str, Any]:
    """A fault for `service` from its JSON form, or ValueError saying what is wrong."""
    if not isinstance(fault, dict):
        raise ValueError("a fault is a JSON object")
    operation = fault.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ValueError(f"operation (a {service.name} operation name, e.g. {service.example_operation}) is required")
    kind = fault.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    when = fault.get("when", "before")
    if when not in service.timings:
        raise ValueError(f"when must be {' or '.join(service.timings)}")
    count = fault.get("count")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise ValueError("count must be a non-negative integer or null")
    delay_ms = fault.get("delay_ms", 0)
    if kind == "delay" and (not isinstance(delay_ms, int) or delay_ms <= 0):
        raise ValueError("a delay needs delay_ms > 0")
    scoped = fault.get(service.scope)
    if scoped is not None and not isinstance(scoped, str):
        raise ValueError(f"{service.scope} must be a string")
    valid = {"operation": operation, service.scope: scoped, "kind": kind, "count": count, "delay_ms": delay_ms}
    if len(service.timings) > 1:
        valid["when"] = when
    return valid


class Faults:
    """WSGI middleware for one service: applies its pending faults and serves
    its faults path (and, for S3, records its requests)."""

    def __init__(self, app: Callable[..., Any], service: Service) -> None:
        self.app = app
        self.service = service
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []
        self.requests = RequestLog(service.scope)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == self.service.faults_path:
            return self.serve_faults(environ, start_response)
        if path == self.service.requests_path:
            return self.requests.serve(environ, start_response)
        request = self.service.identify(environ)
        if request is None:
            return self.app(environ, start_response)
        operation, scoped, key = request
        if self.service.record is not None:
            self.requests.add(self.service.record(operation, scoped, key, environ))
        fault = self.take(operation, scoped)
        if fault is None:
            refusal = self.service.verify(operation, scoped, key, environ) if self.service.verify else None
            if refusal is not None:
                status, headers, body = refusal
                return respond(start_response, status, body, headers)
            return self.app(environ, start_response)
        if fault.get("when", "before") == "before":
            return self.strike(fault, request, environ, start_response)
        # After: let moto do the work, keep its answer, then strike.
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if fault["kind"] == "delay":
            time.sleep(fault["delay_ms"] / 1000.0)
            headers = [(k, v) for k, v in captured.get("headers", []) if k.lower() != "content-length"]
            return respond(start_response, captured.get("status", "200 OK"), body, headers)
        return self.strike(fault, request, environ, start_response)

    def strike(self, fault: dict[str, Any], request: tuple[str, str | None, str], environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(fault["delay_ms"] / 1000.0)
            return self.app(environ, start_response)
        if kind == "connection_reset":
            if self.service.reads_before_reset:
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                if length > 1:
                    environ["wsgi.input"].read(length // 2)
            raise ResetConnection()
        operation, scoped, key = request
        status, headers, body = self.service.error(kind, operation, scoped, key, environ)
        return respond(start_response, status, body, headers)

    def take(self, operation: str, scoped: str | None) -> dict[str, Any] | None:
        """The first pending fault for this request, with one count used up."""
        scope = self.service.scope
        with self.lock:
            for fault in self.faults:
                if fault["operation"] != operation:
                    continue
                if fault[scope] is not None and fault[scope] != scoped:
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                self.faults = [f for f in self.faults if f["count"] != 0]
                return dict(fault)
        return None

    def serve_faults(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "POST":
            try:
                fault = validate(json.loads(read_body(environ) or b"null"), self.service)
            except ValueError as e:
                return respond(start_response, "400 Bad Request", json.dumps({"error": str(e)}).encode())
            if fault["count"] != 0:
                with self.lock:
                    self.faults.append(fault)
            return respond(start_response, "204 No Content", b"")
        if method == "DELETE":
            scope = self.service.scope
            scoped = parse_qs(environ.get("QUERY_STRING", "")).get(scope, [None])[0]
            with self.lock:
                self.faults = [f for f in self.faults if scoped is not None and f[scope] != scoped]
            return respond(start_response, "204 No Content", b"")
        if method == "GET":
            with self.lock:
                body = json.dumps(self.faults).encode()
            return respond(start_response, "200 OK", body, [("Content-Type", "application/json")])
        return respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, POST, DELETE")])


class RequestLog:
    """Requests a service received, oldest first, served as JSON: ``GET``
    with ``?operation=Op`` and ``?<scope>=NAME`` filters, ``DELETE`` forgets
    them. A record matches the scope filter where ``scope_of(record)`` (by
    default its ``scope`` field) is that name."""

    def __init__(self, scope: str, scope_of: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.scope = scope
        self.scope_of = scope_of or (lambda record: record.get(scope))
        self.lock = threading.Lock()
        self.records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(record)

    def serve(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "DELETE":
            with self.lock:
                self.records.clear()
            return respond(start_response, "204 No Content", b"")
        if method != "GET":
            return respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, DELETE")])
        query = parse_qs(environ.get("QUERY_STRING", ""))
        operation = query.get("operation", [None])[0]
        scoped = query.get(self.scope, [None])[0]
        with self.lock:
            selected = [
                r
                for r in self.records
                if (operation is None or r["operation"] == operation) and (scoped is None or self.scope_of(r) == scoped)
            ]
        return respond(start_response, "200 OK", json.dumps(selected).encode(), [("Content-Type", "application/json")])


# --------------------------------------------------------------------------
# WSGI plumbing
# --------------------------------------------------------------------------


class ResetConnection(BaseException):
    """Raised through werkzeug (which catches ``Exception``) to the handler,
    which then resets the connection instead of answering."""


def read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        return stream.read(length)
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def reread_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back for the app behind."""
    raw = read_body(environ)
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    return raw


def respond(start_response: StartResponse, status: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    start_response(status, (headers or []) + [("Content-Length", str(len(body)))])
    return [body]


def reset(connection: socket.socket) -> None:
    """Close ``connection`` with a TCP reset, not a FIN: linger 0, then close
    the descriptor itself (the socket object's own close waits for the
    handler's file objects)."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(connection.detach())
    except OSError:
        pass


def handler_class(base: type) -> type:
    """``base`` (a werkzeug request handler) that turns ResetConnection into a reset."""

    class FaultingRequestHandler(base):  # type: ignore[misc, valid-type]
        def run_wsgi(self) -> None:
            try:
                super().run_wsgi()
            except ResetConnection:
                self.close_connection = True
                reset(self.connection)

    return FaultingRequestHandler
