"""Fault injection for the Glue stand-in (moto), on a schedule a test chooses.

Imported by ``moto_server.py``. A fault hits the next ``count`` Glue
requests of one operation (``X-Amz-Target: AWSGlue.<Op>``), optionally only
those about one job (the body's ``JobName``), so tests that share one moto
server do not disturb each other.

Admin API (same port as moto):

* ``POST /_stack/faults`` with a JSON fault, e.g.
  ``{"operation": "StartJobRun", "job": "etl-1", "kind": "connection_reset",
  "when": "after", "count": 1}``;
* ``GET /_stack/faults`` lists the pending faults;
* ``DELETE /_stack/faults[?job=NAME]`` forgets them (all, or one job's).

Kinds, with the answer an AWS JSON 1.1 client gets:

* ``throttle``: 400, ``{"__type": "ThrottlingException", "message": "Rate exceeded"}``;
* ``internal_error``: 500, ``InternalServiceException``;
* ``unavailable``: 503, ``ServiceUnavailableException``;
* ``access_denied``: 400, ``AccessDeniedException`` naming ``glue:<Op>``;
* ``connection_reset``: no answer; the TCP connection is closed with a reset
  (``SO_LINGER`` 0);
* ``delay``: wait ``delay_ms``, then answer normally.

``when`` says whether the fault strikes ``before`` moto handles the request
(the default: nothing happened, as when AWS refuses a request) or ``after``
(moto did the work, e.g. the run started, and then the answer is lost,
replaced by an error, or late). ``after`` is how a test makes the
"StartJobRun started a run but the client never heard" case that makes a
blind retry start a second run.

Faults wait in a queue in injection order; for each request the first
matching fault applies and uses up one of its ``count`` (``null``: until
cleared).
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

FAULTS_PATH = "/_stack/faults"
GLUE_TARGET_PREFIX = "AWSGlue."
KINDS = ("throttle", "internal_error", "unavailable", "access_denied", "connection_reset", "delay")

# kind -> (HTTP status, __type, message)
ERRORS: dict[str, tuple[str, str, str]] = {
    "throttle": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "internal_error": ("500 Internal Server Error", "InternalServiceException", "Internal service error (injected)"),
    "unavailable": ("503 Service Unavailable", "ServiceUnavailableException", "Service unavailable (injected)"),
}


class ResetConnection(BaseException):
    """Raised through werkzeug (which catches ``Exception``) to the handler,
    which then resets the connection instead of answering."""


def validate(fault: Any) -> dict[str, Any]:
    """A fault from its JSON form, or ValueError saying what is wrong."""
    if not isinstance(fault, dict):
        raise ValueError("a fault is a JSON object")
    operation = fault.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ValueError("operation (a Glue operation name, e.g. StartJobRun) is required")
    kind = fault.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    when = fault.get("when", "before")
    if when not in ("before", "after"):
        raise ValueError("when must be before or after")
    count = fault.get("count")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise ValueError("count must be a non-negative integer or null")
    delay_ms = fault.get("delay_ms", 0)
    if kind == "delay" and (not isinstance(delay_ms, int) or delay_ms <= 0):
        raise ValueError("a delay needs delay_ms > 0")
    job = fault.get("job")
    if job is not None and not isinstance(job, str):
        raise ValueError("job must be a string")
    return {"operation": operation, "job": job, "kind": kind, "when": when, "count": count, "delay_ms": delay_ms}


class GlueFaults:
    """WSGI middleware: applies pending faults and serves ``/_stack/faults``."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") == FAULTS_PATH:
            return self.serve(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(GLUE_TARGET_PREFIX):
            return self.app(environ, start_response)
        operation = target[len(GLUE_TARGET_PREFIX):]
        fault = self.take(operation, job_of(environ))
        if fault is None:
            return self.app(environ, start_response)
        if fault["when"] == "before":
            return self.strike(fault, operation, environ, start_response)
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
        return self.strike(fault, operation, environ, start_response)

    def strike(self, fault: dict[str, Any], operation: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(fault["delay_ms"] / 1000.0)
            return self.app(environ, start_response)
        if kind == "connection_reset":
            raise ResetConnection()
        if kind == "access_denied":
            status, error_type = "400 Bad Request", "AccessDeniedException"
            message = (
                "User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
                f"glue:{operation} on resource: arn:aws:glue:us-east-1:123456789012:job/{job_of(environ) or '*'}"
            )
        else:
            status, error_type, message = ERRORS[kind]
        body = json.dumps({"__type": error_type, "message": message}).encode()
        return respond(
            start_response,
            status,
            body,
            [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", error_type)],
        )

    def take(self, operation: str, job: str | None) -> dict[str, Any] | None:
        """The first pending fault for this request, with one count used up."""
        with self.lock:
            for fault in self.faults:
                if fault["operation"] != operation:
                    continue
                if fault["job"] is not None and fault["job"] != job:
                    continue
                if fault["count"] is not None:
                    fault["count"] -= 1
                self.faults = [f for f in self.faults if f["count"] != 0]
                return dict(fault)
        return None

    def serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
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
            job = parse_qs(environ.get("QUERY_STRING", "")).get("job", [None])[0]
            with self.lock:
                self.faults = [f for f in self.faults if job is not None and f["job"] != job]
            return respond(start_response, "204 No Content", b"")
        if method == "GET":
            with self.lock:
                body = json.dumps(self.faults).encode()
            return respond(start_response, "200 OK", body, [("Content-Type", "application/json")])
        return respond(start_response, "405 Method Not Allowed", b"", [("Allow", "GET, POST, DELETE")])


def job_of(environ: dict[str, Any]) -> str | None:
    """The request body's ``JobName``; the body is put back for moto."""
    raw = read_body(environ)
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return None
    name = body.get("JobName") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


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


def respond(start_response: Callable[..., Any], status: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> list[bytes]:
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
