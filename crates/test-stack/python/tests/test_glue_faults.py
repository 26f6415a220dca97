"""Fault injection in the Glue stand-in (faults.py, Glue's rules), seen from boto3."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from stack_helpers import client, moto_server, stack_request

ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def url():
    with moto_server() as url:
        yield url


def glue(url: str, read_timeout: float = 10):
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=read_timeout, connect_timeout=2)
    return client("glue", url, config)


def admin(url: str, method: str, body: object | None = None, query: str = "") -> tuple[int, bytes]:
    return stack_request(url, method, f"/_stack/faults{query}", body)


def new_job(url: str) -> str:
    name = f"faults-{uuid.uuid4().hex[:8]}"
    glue(url).create_job(
        Name=name,
        Role=ROLE,
        Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
        ExecutionProperty={"MaxConcurrentRuns": 10},
    )
    return name


def runs(url: str, job: str) -> list[dict]:
    return glue(url).get_job_runs(JobName=job)["JobRuns"]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 400, "ThrottlingException"),
        ("internal_error", 500, "InternalServiceException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("access_denied", 400, "AccessDeniedException"),
    ],
)
def test_error_answers_have_the_aws_shape_and_start_nothing(url, kind, status, code):
    job = new_job(url)
    assert admin(url, "POST", {"operation": "StartJobRun", "job": job, "kind": kind, "count": 1})[0] == 204
    with pytest.raises(ClientError) as err:
        glue(url).start_job_run(JobName=job)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert runs(url, job) == []
    # The count is used up: the next call goes through.
    glue(url).start_job_run(JobName=job)
    assert len(runs(url, job)) == 1


def test_after_means_the_run_started_but_the_answer_is_an_error(url):
    job = new_job(url)
    admin(url, "POST", {"operation": "StartJobRun", "job": job, "kind": "internal_error", "when": "after", "count": 1})
    with pytest.raises(ClientError):
        glue(url).start_job_run(JobName=job)
    assert len(runs(url, job)) == 1


@pytest.mark.parametrize(("when", "started"), [("before", 0), ("after", 1)])
def test_connection_reset(url, when, started):
    job = new_job(url)
    admin(url, "POST", {"operation": "StartJobRun", "job": job, "kind": "connection_reset", "when": when, "count": 1})
    with pytest.raises(ConnectionClosedError):
        glue(url).start_job_run(JobName=job)
    assert len(runs(url, job)) == started


@pytest.mark.parametrize(("when", "started_at_timeout"), [("before", 0), ("after", 1)])
def test_delay_past_the_client_timeout(url, when, started_at_timeout):
    job = new_job(url)
    admin(url, "POST", {"operation": "StartJobRun", "job": job, "kind": "delay", "delay_ms": 1500, "when": when, "count": 1})
    with pytest.raises(ReadTimeoutError):
        glue(url, read_timeout=0.5).start_job_run(JobName=job)
    assert len(runs(url, job)) == started_at_timeout
    time.sleep(1.5)
    assert len(runs(url, job)) == 1


def test_faults_are_scoped_to_their_job_and_operation(url):
    job, other = new_job(url), new_job(url)
    admin(url, "POST", {"operation": "StartJobRun", "job": job, "kind": "throttle", "count": None})
    glue(url).start_job_run(JobName=other)
    glue(url).get_job(JobName=job)
    for _ in range(2):
        with pytest.raises(ClientError):
            glue(url).start_job_run(JobName=job)
    status, body = admin(url, "GET")
    assert status == 200 and any(f["job"] == job for f in json.loads(body))
    admin(url, "DELETE", query=f"?job={job}")
    glue(url).start_job_run(JobName=job)
    assert all(f["job"] != job for f in json.loads(admin(url, "GET")[1]))


def test_invalid_faults_are_refused(url):
    for fault in [
        {"operation": "StartJobRun", "kind": "nope"},
        {"kind": "throttle"},
        {"operation": "StartJobRun", "kind": "delay"},
        {"operation": "StartJobRun", "kind": "throttle", "when": "later"},
        {"operation": "StartJobRun", "kind": "throttle", "count": -1},
    ]:
        status, body = admin(url, "POST", fault)
        assert status == 400, fault
        assert json.loads(body)["error"]
