#!/usr/bin/env python3
"""The AWS Glue stand-in of the local test stack: moto's server, plus a few additions.

Usage:
    .venv/bin/python crates/test-stack/python/moto_server.py
        [--host 127.0.0.1] [--port 0] [--exit-with-parent [--parent-pid PID]]
        [--latency-ms N] [--log-requests]

It serves moto's whole server app (every service, like the ``moto_server``
command) on loopback. The port defaults to 0: the OS picks a free one while the
socket is bound, so there is no race. Once the socket listens, exactly one JSON
line goes to stdout, e.g. ``{"url": "http://127.0.0.1:40123"}``; then it serves
until it is killed.

Additions to moto:

* **Glue UpdateJob** (moto 5.2.x answers it with HTTP 500 NotImplementedError).
  Registered here with the semantics of the real API: the ``JobUpdate``
  *replaces* the job definition. "The previous job definition is completely
  overwritten by this information" and "unspecified configuration is removed or
  reset to default values" (Glue API reference, JobUpdate / UpdateJob). Name,
  CreatedOn, the ARN (and so the tags) and the job's runs stay; LastModifiedOn
  is updated. ``Role`` and ``Command`` are marked "(required)" in JobUpdate's
  reference; a JobUpdate without them is refused with InvalidInputException.
* **Request recorder**: every Glue JSON request (header
  ``X-Amz-Target: AWSGlue.<Op>``) is kept in memory as
  ``{"operation": "<Op>", "body": <parsed JSON>}``:
    - ``GET /_stack/glue-requests[?operation=Op][&job=NAME]`` lists them, oldest
      first. ``job`` matches the body's ``JobName`` (or ``Name``, which is what
      CreateJob sends).
    - ``DELETE /_stack/glue-requests`` forgets them all.
  Tests use it to see what a client *sent*: moto's GetJobRun shows the merged
  arguments, not the run's own.
* **Fault injection** (``faults.py``, one proxy with Glue's and S3's rules): ``POST /_stack/faults`` with
  ``{"operation", "job"?, "kind", "when"?, "count"?, "delay_ms"?}`` makes the
  next Glue requests of an operation fail with ThrottlingException, HTTP 500
  or 503, AccessDenied, a connection reset or a delay, before moto handles
  them or after (the run started, the answer is lost).
* **S3** is moto's own (path-style: ``/BUCKET/KEY``), with S3 faults and an S3
  request recorder from ``faults.py``: ``POST /_stack/s3-faults`` (500s,
  SlowDown throttling, AccessDenied, a reset in the middle of an upload, a
  delay) and ``GET /_stack/s3-requests[?operation=PutObject][&bucket=B]``.
* ``--latency-ms N`` sleeps N ms before answering each AWS request (not the
  ``/_stack`` or ``/moto-api`` ones), for benchmarks.
* ``--exit-with-parent`` makes the server exit as soon as its parent process is
  gone (a daemon thread polls ``os.getppid()`` every 0.5 s), so a test process
  that dies without cleaning up leaves no server behind.

What moto 5.2.5 does with the Glue operations this project uses (read from
moto/glue/models.py and responses.py):

* CreateJob: keeps every field it models (Command, DefaultArguments,
  NonOverridableArguments, GlueVersion, Timeout, MaxRetries, ...) and the Tags.
  Gaps: no validation at all (unknown Command names, missing Role, Glue
  versions are accepted); creating an existing name silently overwrites it
  (real Glue refuses); JobMode, JobRunQueuingEnabled and MaintenanceWindow are
  dropped.
* GetJob: returns what CreateJob (or UpdateJob here) stored; unset fields come
  back as null/absent, not as Glue's defaults (e.g. no GlueVersion "0.9").
* StartJobRun: the run's state machine is moto's ``glue::job_run`` (STARTING ->
  RUNNING -> SUCCEEDED); by default it is SUCCEEDED the first time it is read.
  ExecutionProperty.MaxConcurrentRuns (default 1) is enforced against runs in
  STARTING/RUNNING. Gaps: no validation of argument names or sizes.
* GetJobRun / GetJobRuns: ``Arguments`` are the *merged* arguments (the job's
  DefaultArguments, then the run's Arguments, then NonOverridableArguments),
  while real Glue shows what the run was started with. ``GlueVersion`` is
  always "0.9" whatever the job says: read the version from GetJob.
* GetTags: works on the job ARN
  (``arn:aws:glue:REGION:123456789012:job/NAME``); UpdateJob leaves tags alone.
* UpdateJob: see above (added here).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import faults  # next to this script: Glue and S3 faults, /_stack/faults, /_stack/s3-faults, /_stack/s3-requests

# The path our additions answer on; everything else goes to moto.
STACK_PATH = "/_stack/glue-requests"


# --------------------------------------------------------------------------
# UpdateJob
# --------------------------------------------------------------------------

# JobUpdate member -> (moto FakeJob attribute, factory for the value a member
# that is not sent is reset to). The defaults mirror FakeJob.__init__, which
# is what CreateJob stores for a member that was not sent.
JOB_UPDATE_FIELDS: dict[str, tuple[str, Callable[[], Any]]] = {
    "Description": ("description", lambda: None),
    "LogUri": ("log_uri", lambda: None),
    "Role": ("role", lambda: None),
    "ExecutionProperty": ("execution_property", dict),
    "Command": ("command", lambda: None),
    "DefaultArguments": ("default_arguments", dict),
    "NonOverridableArguments": ("non_overridable_arguments", lambda: None),
    "Connections": ("connections", lambda: None),
    "MaxRetries": ("max_retries", lambda: None),
    "AllocatedCapacity": ("allocated_capacity", lambda: None),
    "Timeout": ("timeout", lambda: None),
    "MaxCapacity": ("max_capacity", lambda: None),
    "WorkerType": ("worker_type", lambda: None),
    "NumberOfWorkers": ("number_of_workers", lambda: None),
    "SecurityConfiguration": ("security_configuration", lambda: None),
    "NotificationProperty": ("notification_property", lambda: None),
    "GlueVersion": ("glue_version", lambda: None),
    "CodeGenConfigurationNodes": ("code_gen_configuration_nodes", lambda: None),
    "ExecutionClass": ("execution_class", lambda: "STANDARD"),
    "SourceControlDetails": ("source_control_details", lambda: None),
}


def apply_job_update(job: Any, job_update: dict[str, Any]) -> None:
    """Replace ``job``'s definition by ``job_update`` (real UpdateJob semantics).

    Every member of JOB_UPDATE_FIELDS is set from the update, or reset to its
    default when the update does not carry it. Name, CreatedOn, ARN, tags and
    runs are kept; LastModifiedOn is updated.
    """
    from moto.core.utils import utcnow

    for member, (attribute, default) in JOB_UPDATE_FIELDS.items():
        value = job_update.get(member)
        setattr(job, attribute, default() if value is None else value)
    job.last_modified_on = utcnow()


def patch_glue_update_job() -> None:
    """Register UpdateJob on moto's GlueBackend and GlueResponse (in-process)."""
    from moto.core.responses import ActionResult
    from moto.glue.exceptions import InvalidInputException
    from moto.glue.models import GlueBackend
    from moto.glue.responses import GlueResponse

    def backend_update_job(self: Any, name: str, job_update: dict[str, Any]) -> None:
        apply_job_update(self.get_job(name), job_update)  # get_job: EntityNotFound

    def response_update_job(self: Any) -> ActionResult:
        name = self._get_param("JobName")
        job_update = self._get_param("JobUpdate")
        if not name:
            raise InvalidInputException("UpdateJob", "JobName is required")
        if not isinstance(job_update, dict):
            raise InvalidInputException("UpdateJob", "JobUpdate is required")
        for member in ("Role", "Command"):
            if not job_update.get(member):
                raise InvalidInputException(
                    "UpdateJob", f"JobUpdate.{member} is required"
                )
        self.glue_backend.update_job(name, job_update)
        return ActionResult({"JobName": name})

    GlueBackend.update_job = backend_update_job  # type: ignore[attr-defined]
    GlueResponse.update_job = response_update_job  # type: ignore[attr-defined]


def patch_glue_job_runs() -> None:
    """Job-run additions for ``start --wait`` tests.

    * **BatchStopJobRun** (moto 5.2.x does not implement it): marks the runs
      STOPPED and answers ``SuccessfulSubmissions`` as the real API does.
    * ``ErrorMessage`` and ``DPUSeconds`` in GetJobRun when a test set them.
    * :func:`set_job_run_state`, served at ``POST /_stack/job-run-state``
      (``{"job", "run_id", "state", "error_message"?}``), puts a run in any
      state (moto itself only goes STARTING -> RUNNING -> SUCCEEDED).
    """
    from moto.core.responses import ActionResult
    from moto.glue.models import FakeJobRun, GlueBackend
    from moto.glue.responses import GlueResponse

    original_as_dict = FakeJobRun.as_dict

    def as_dict(self: Any) -> dict[str, Any]:
        result = original_as_dict(self)
        for attribute, key in (("error_message", "ErrorMessage"), ("dpu_seconds", "DPUSeconds")):
            value = getattr(self, attribute, None)
            if value is not None:
                result[key] = value
        return result

    def backend_batch_stop_job_run(self: Any, job_name: str, run_ids: list[str]) -> list[dict[str, str]]:
        stopped = []
        for run in self.get_job(job_name).job_runs:
            if run.job_run_id in run_ids:
                run.status = "STOPPED"
                stopped.append({"JobName": job_name, "JobRunId": run.job_run_id})
        return stopped

    def response_batch_stop_job_run(self: Any) -> ActionResult:
        job_name = self._get_param("JobName")
        run_ids = self._get_param("JobRunIds") or []
        stopped = self.glue_backend.batch_stop_job_run(job_name, run_ids)
        return ActionResult({"SuccessfulSubmissions": stopped, "Errors": []})

    FakeJobRun.as_dict = as_dict  # type: ignore[method-assign]
    GlueBackend.batch_stop_job_run = backend_batch_stop_job_run  # type: ignore[attr-defined]
    GlueResponse.batch_stop_job_run = response_batch_stop_job_run  # type: ignore[attr-defined]


def set_job_run_state(body: dict[str, Any]) -> bool:
    """Put a run into ``body["state"]`` (test control); False if not found."""
    from moto.glue.models import glue_backends

    for account in glue_backends.values():
        for backend in account.values():
            job = backend.jobs.get(body.get("job", ""))
            for run in job.job_runs if job else []:
                if run.job_run_id == body.get("run_id"):
                    run.status = body["state"]
                    run.error_message = body.get("error_message")
                    run.dpu_seconds = body.get("dpu_seconds")
                    return True
    return False


# --------------------------------------------------------------------------
# Request recorder and latency (WSGI middleware)
# --------------------------------------------------------------------------


class GlueRequestRecorder:
    """WSGI middleware: records Glue requests and serves ``/_stack/glue-requests``."""

    def __init__(self, app: Callable[..., Any], latency_ms: int = 0) -> None:
        self.app = app
        self.latency_s = latency_ms / 1000.0
        self.requests = faults.RequestLog("job", scope_of=job_of_record)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == STACK_PATH:
            return self.requests.serve(environ, start_response)
        if path == "/_stack/job-run-state" and environ.get("REQUEST_METHOD") == "POST":
            found = set_job_run_state(json.loads(faults.read_body(environ) or b"{}"))
            return faults.respond(start_response, "204 No Content" if found else "404 Not Found", b"")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(faults.GLUE_TARGET_PREFIX):
            self.record(target[len(faults.GLUE_TARGET_PREFIX):], environ)
        if self.latency_s > 0 and not path.startswith("/moto-api"):
            time.sleep(self.latency_s)
        return self.app(environ, start_response)

    def record(self, operation: str, environ: dict[str, Any]) -> None:
        """Read the body, put it back for moto, and keep the parsed JSON."""
        raw = faults.reread_body(environ)
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.add({"operation": operation, "body": body})


def job_of_record(record: dict[str, Any]) -> Any:
    """The job a recorded request is about: its body's ``JobName`` (or
    ``Name``, which is what CreateJob sends)."""
    body = record["body"] if isinstance(record["body"], dict) else {}
    return body.get("JobName", body.get("Name"))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def exit_with_parent(parent: int | None) -> None:
    """Start a daemon thread that ends this process when its parent is gone.

    ``parent`` is the PID the caller says is our parent (``--parent-pid``);
    it closes the gap where the parent dies before this thread starts. Without
    it, the parent seen at start-up is watched.
    """
    if parent is None:
        parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free one)")
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when the parent process is gone")
    parser.add_argument("--parent-pid", type=int, help="with --exit-with-parent: the parent's PID, if known")
    parser.add_argument("--latency-ms", type=int, default=0, help="sleep this long before each AWS request")
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.exit_with_parent:
        exit_with_parent(args.parent_pid)

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    patch_glue_update_job()
    patch_glue_job_runs()
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    moto_app = DomainDispatcherApplication(create_backend_app)
    app = GlueRequestRecorder(
        faults.Faults(faults.Faults(moto_app, faults.GLUE), faults.S3),
        latency_ms=args.latency_ms,
    )
    server = make_server(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=faults.handler_class(MotoRequestHandler),
    )
    port = server.server_port
    # Some moto services build URLs that point back at the server.
    os.environ["MOTO_PORT"] = str(port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    sys.stdout.write(json.dumps({"url": f"http://{host}:{port}"}) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
