"""moto_server.py: UpdateJob with replace semantics, the request recorder, latency."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from stack_helpers import glue_client, moto_server

COMMAND = {"Name": "glueetl", "ScriptLocation": "s3://bucket/job.py", "PythonVersion": "3"}


@pytest.fixture(scope="module")
def url():
    with moto_server() as url:
        yield url


@pytest.fixture
def glue(url):
    return glue_client(url)


def stack_requests(url: str, query: str = "") -> list[dict]:
    with urllib.request.urlopen(f"{url}/_stack/glue-requests{query}") as response:
        return json.load(response)


def create_full_job(glue, name: str) -> None:
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command=COMMAND,
        Description="the first definition",
        DefaultArguments={"--additional-python-modules": "pkg==1.0", "--keep": "me"},
        NonOverridableArguments={"--python-modules-installer-option": "--upgrade"},
        GlueVersion="4.0",
        Timeout=30,
        MaxRetries=2,
        Tags={"team": "data"},
    )


def test_update_job_replaces_the_definition(glue):
    create_full_job(glue, "replace-me")
    before = glue.get_job(JobName="replace-me")["Job"]
    time.sleep(0.01)

    glue.update_job(
        JobName="replace-me",
        JobUpdate={"Role": "arn:aws:iam::123456789012:role/other", "Command": COMMAND},
    )

    after = glue.get_job(JobName="replace-me")["Job"]
    # Not sent -> gone or reset, as the real UpdateJob does.
    assert after.get("DefaultArguments", {}) == {}
    assert "NonOverridableArguments" not in after
    assert "Description" not in after
    assert "GlueVersion" not in after
    assert "Timeout" not in after
    assert "MaxRetries" not in after
    # Sent -> the new values.
    assert after["Role"] == "arn:aws:iam::123456789012:role/other"
    assert after["Command"] == COMMAND
    # Identity and history stay.
    assert after["Name"] == "replace-me"
    assert after["CreatedOn"] == before["CreatedOn"]
    assert after["LastModifiedOn"] > before["LastModifiedOn"]
    arn = "arn:aws:glue:us-east-1:123456789012:job/replace-me"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}


def test_update_job_sets_what_is_sent_and_runs_see_it(glue):
    create_full_job(glue, "update-args")
    glue.update_job(
        JobName="update-args",
        JobUpdate={
            "Role": "role",
            "Command": COMMAND,
            "GlueVersion": "5.0",
            "DefaultArguments": {"--additional-python-modules": "pkg==2.0"},
        },
    )
    job = glue.get_job(JobName="update-args")["Job"]
    assert job["GlueVersion"] == "5.0"
    assert job["DefaultArguments"] == {"--additional-python-modules": "pkg==2.0"}

    run_id = glue.start_job_run(JobName="update-args", Arguments={"--x": "1"})["JobRunId"]
    run = glue.get_job_run(JobName="update-args", RunId=run_id)["JobRun"]
    assert run["Arguments"] == {"--additional-python-modules": "pkg==2.0", "--x": "1"}


def test_update_job_errors(glue):
    with pytest.raises(ClientError) as missing:
        glue.update_job(JobName="no-such-job", JobUpdate={"Role": "r", "Command": COMMAND})
    assert missing.value.response["Error"]["Code"] == "EntityNotFoundException"

    create_full_job(glue, "update-invalid")
    with pytest.raises(ClientError) as invalid:
        glue.update_job(JobName="update-invalid", JobUpdate={"Role": "r"})
    assert invalid.value.response["Error"]["Code"] == "InvalidInputException"
    # A refused update changes nothing.
    job = glue.get_job(JobName="update-invalid")["Job"]
    assert job["Description"] == "the first definition"


def test_recorder_keeps_what_was_sent(glue, url):
    create_full_job(glue, "recorded")
    glue.start_job_run(JobName="recorded", Arguments={"--a": "1"})

    sent = stack_requests(url, "?operation=StartJobRun&job=recorded")
    # What was sent, not moto's merged view.
    assert sent == [{"operation": "StartJobRun", "body": {"JobName": "recorded", "Arguments": {"--a": "1"}}}]

    created = stack_requests(url, "?operation=CreateJob&job=recorded")
    assert len(created) == 1 and created[0]["body"]["Tags"] == {"team": "data"}
    assert stack_requests(url, "?operation=StartJobRun&job=someone-else") == []
    assert {r["operation"] for r in stack_requests(url)} >= {"CreateJob", "StartJobRun"}

    request = urllib.request.Request(f"{url}/_stack/glue-requests", method="DELETE")
    with urllib.request.urlopen(request) as response:
        assert response.status == 204
    assert stack_requests(url) == []


def test_latency_is_added_to_aws_requests():
    with moto_server("--latency-ms", "300") as url:
        glue = glue_client(url)
        started = time.monotonic()
        glue.get_jobs()
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        stack_requests(url)
        assert time.monotonic() - started < 0.3
