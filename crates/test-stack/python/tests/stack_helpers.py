"""Shared helpers for the Python tests of the test stack (not a test module)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parent.parent
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

# Credentials and region for boto3 against the stand-ins; never real ones.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@contextmanager
def moto_server(*extra_args: str) -> Iterator[str]:
    """Start moto_server.py on a free loopback port; yield its URL."""
    process = subprocess.Popen(
        [sys.executable, str(PYTHON_DIR / "moto_server.py"), "--exit-with-parent", *extra_args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "moto_server.py exited before printing its URL"
        yield json.loads(line)["url"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(service: str, url: str, config=None):
    """A boto3 client of `service` for the stand-in at `url` (fake credentials)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def glue_client(url: str):
    return client("glue", url)


def stack_request(url: str, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
    """A request to the stand-in's ``/_stack`` admin API: (status, body), HTTP errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
