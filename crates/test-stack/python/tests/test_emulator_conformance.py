"""The CodeArtifact emulator checked by independent clients: boto3, urllib and real pip.

The emulator binary comes from ``CODEARTIFACT_EMULATOR_BIN`` (build it with
``cargo build -p codeartifact-emulator``). Every emulator is started on a
free loopback port with ``--exit-with-parent`` and stopped at the end.

Retries: botocore's ``retries={"max_attempts": N}`` means N *retries*
(N + 1 attempts), so the client that must see each injected error uses
``total_max_attempts: 1``; one test uses ``max_attempts: 1`` on purpose to
show that botocore retries the emulator's throttling error.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

PYTHON_DIR = Path(__file__).resolve().parent.parent
MAKE_WHEEL = PYTHON_DIR / "make_wheel.py"

ACCOUNT = "123456789012"
DOMAIN = "acme"
REPO = "pypi-store"
PROJECT = "acme-tools"
WHEEL = "acme_tools-1.2.0-py3-none-any.whl"
# The emulator's repository endpoint path (AWS puts "acme-123456789012" in the host name).
INDEX_PATH = f"/{DOMAIN}-{ACCOUNT}/pypi/{REPO}/simple/"
PIP_TIMEOUT = 180


@dataclass
class Emulator:
    url: str
    log: Path
    # With --tls: the CA certificate (PEM) that issued the emulator's certificate.
    ca_file: str | None = None

    @property
    def index(self) -> str:
        return self.url + INDEX_PATH

    def admin(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def fault(self, operation: str, kind: str, **extra) -> None:
        self.admin("POST", "faults", {"operation": operation, "kind": kind, **extra})

    def advance_clock(self, seconds: float) -> None:
        self.admin("POST", "clock", {"advance_seconds": seconds})


def emulator_bin() -> str:
    path = os.environ.get("CODEARTIFACT_EMULATOR_BIN")
    if not path:
        pytest.fail(
            "CODEARTIFACT_EMULATOR_BIN is not set: build the emulator with "
            "`cargo build -p codeartifact-emulator` and point the variable at "
            "target/debug/codeartifact-emulator"
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"CODEARTIFACT_EMULATOR_BIN={path} is not an executable file")
    return path


def make_wheel(out: Path, *args: str) -> Path:
    result = subprocess.run(
        [sys.executable, str(MAKE_WHEEL), "--out", str(out), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(result.stdout.strip())


@contextmanager
def running_emulator(packages: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Emulator]:
    with tempfile.TemporaryDirectory(prefix="codeartifact-emulator-log-") as logdir:
        log = Path(logdir) / "stderr.log"
        with open(log, "wb") as stderr:
            process = subprocess.Popen(
                [
                    emulator_bin(),
                    "--listen",
                    "127.0.0.1:0",
                    "--repository",
                    f"{DOMAIN}/{REPO}={packages}",
                    "--exit-with-parent",
                    *extra,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                # The real-shaped defaults, whatever the suite's environment says.
                env={
                    **{k: v for k, v in os.environ.items() if not k.startswith("CODEARTIFACT_EMULATOR_")},
                    "CODEARTIFACT_EMULATOR_BIN": emulator_bin(),
                    **(env or {}),
                },
            )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, f"the emulator exited before printing its URL: {log.read_text()}"
            listening = json.loads(line)
            url = listening["url"]
            tls = "--tls" in extra
            assert url.startswith("https://127.0.0.1:" if tls else "http://127.0.0.1:"), url
            assert ("ca_file" in listening) == tls, listening
            yield Emulator(url=url, log=log, ca_file=listening.get("ca_file"))
        finally:
            process.terminate()
            assert process.wait(timeout=10) == 0, log.read_text()
            # Its own log lines never contain a token (checked by the tests
            # that issue them, via `tokens_seen`).
            _logs_seen.append(log.read_text())


_logs_seen: list[str] = []
_tokens_seen: list[str] = []


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("packages")
    make_wheel(out, "--name", PROJECT, "--version", "1.2.0", "--requires-python", ">=3.8")
    # A newer version no interpreter can run: pip must skip it by its Requires-Python.
    make_wheel(out, "--name", PROJECT, "--version", "9.0.0", "--requires-python", ">=4")
    make_wheel(out, "--name", "acme.extra", "--version", "0.1", "--sdist")
    return out


@pytest.fixture(scope="module")
def emulator(packages) -> Iterator[Emulator]:
    with running_emulator(packages) as emulator:
        yield emulator


@pytest.fixture
def fresh_emulator(packages) -> Iterator[Emulator]:
    """An emulator of its own, for tests that move the clock."""
    with running_emulator(packages) as emulator:
        yield emulator


def codeartifact(url: str, retries: dict | None = None, verify: str | bool | None = None):
    return boto3.client(
        "codeartifact",
        endpoint_url=url,
        verify=verify,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries=retries or {"total_max_attempts": 1, "mode": "standard"}),
    )


def issue_token(url: str, verify: str | None = None, **kwargs) -> str:
    token = codeartifact(url, verify=verify).get_authorization_token(domain=DOMAIN, **kwargs)["authorizationToken"]
    _tokens_seen.append(token)
    return token


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def http_get(url: str, token: str | None = None, accept: str | None = None, user: str = "aws"):
    """GET with optional Basic auth; returns (status, headers, body bytes)."""
    headers = {}
    if token is not None:
        credentials = base64.b64encode(f"{user}:{token}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
    if accept is not None:
        headers["Accept"] = accept
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


# --- GetAuthorizationToken -------------------------------------------------


def test_get_authorization_token(emulator):
    before = dt.datetime.now(dt.timezone.utc)
    response = codeartifact(emulator.url).get_authorization_token(
        domain=DOMAIN, domainOwner=ACCOUNT, durationSeconds=900
    )
    token = response["authorizationToken"]
    _tokens_seen.append(token)
    # JWE-shaped like real tokens: five base64url segments, about 1,200 characters.
    assert isinstance(token, str) and 1_100 <= len(token) <= 1_300, len(token)
    assert len(token.split(".")) == 5
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["exp"] == int(response["expiration"].timestamp())
    expiration = response["expiration"]
    assert isinstance(expiration, dt.datetime)
    lifetime = (expiration - before).total_seconds()
    assert 895 <= lifetime <= 905, lifetime


def test_default_duration_is_twelve_hours_and_zero_is_accepted(emulator):
    client = codeartifact(emulator.url)
    before = dt.datetime.now(dt.timezone.utc)
    default = client.get_authorization_token(domain=DOMAIN)
    assert 43_190 <= (default["expiration"] - before).total_seconds() <= 43_205
    zero = client.get_authorization_token(domain=DOMAIN, durationSeconds=0)
    # 0 = "the same expiration of the user's role's temporary credentials" (API
    # reference): the session remainder the emulator is given, one hour by default.
    assert 3_590 <= (zero["expiration"] - before).total_seconds() <= 3_605
    _tokens_seen.extend([default["authorizationToken"], zero["authorizationToken"]])


def test_zero_duration_follows_the_configured_session_remainder(packages):
    with running_emulator(packages, env={"CODEARTIFACT_EMULATOR_SESSION_REMAINING_SECS": "1000"}) as emulator:
        client = codeartifact(emulator.url)
        before = dt.datetime.now(dt.timezone.utc)
        zero = client.get_authorization_token(domain=DOMAIN, durationSeconds=0)
        assert 990 <= (zero["expiration"] - before).total_seconds() <= 1_005
        # A fixed duration does not follow the session (API reference).
        fixed = client.get_authorization_token(domain=DOMAIN, durationSeconds=7200)
        assert 7_190 <= (fixed["expiration"] - before).total_seconds() <= 7_205
        _tokens_seen.extend([zero["authorizationToken"], fixed["authorizationToken"]])


@pytest.mark.parametrize("duration", [899, 43201])
def test_out_of_range_durations_are_rejected_by_the_server(emulator, duration):
    # botocore validates only the model's minimum (0) client-side, so these
    # reach the emulator and come back as its ValidationException.
    with pytest.raises(ClientError) as excinfo:
        codeartifact(emulator.url).get_authorization_token(domain=DOMAIN, durationSeconds=duration)
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "durationSeconds" in excinfo.value.response["Error"]["Message"]


def test_unknown_domain_is_resource_not_found(emulator):
    client = codeartifact(emulator.url)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.get_authorization_token(domain="nope")
    assert excinfo.value.response["resourceType"] == "domain"
    # Another account's domain that no domain policy opens: AccessDenied
    # (probable, unconfirmed).
    with pytest.raises(client.exceptions.AccessDeniedException) as excinfo:
        client.get_authorization_token(domain=DOMAIN, domainOwner="210987654321")
    assert ":210987654321:domain/acme" in excinfo.value.response["Error"]["Message"]


# --- GetRepositoryEndpoint -------------------------------------------------


def test_get_repository_endpoint(emulator):
    client = codeartifact(emulator.url)
    endpoint = client.get_repository_endpoint(domain=DOMAIN, repository=REPO, format="pypi")["repositoryEndpoint"]
    assert endpoint == f"{emulator.url}/{DOMAIN}-{ACCOUNT}/pypi/{REPO}/"
    assert endpoint.endswith(f"/pypi/{REPO}/")
    dualstack = client.get_repository_endpoint(
        domain=DOMAIN, domainOwner=ACCOUNT, repository=REPO, format="pypi", endpointType="dualstack"
    )
    # A dual-stack endpoint: the same path on a host name that resolves over
    # IPv4 and IPv6 (`localhost` on loopback).
    assert dualstack["repositoryEndpoint"] == endpoint.replace("127.0.0.1", "localhost", 1)


def test_unknown_repository_is_resource_not_found(emulator):
    client = codeartifact(emulator.url)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.get_repository_endpoint(domain=DOMAIN, repository="nope", format="pypi")
    assert excinfo.value.response["resourceType"] == "repository"
    assert excinfo.value.response["resourceId"] == "nope"


# --- Injected faults -------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 429, "ThrottlingException"),
        ("internal_error", 500, "InternalServerException"),
        ("unavailable", 503, "ServiceUnavailableException"),
        ("access_denied", 403, "AccessDeniedException"),
    ],
)
def test_faults_surface_as_botocore_errors(emulator, kind, status, code):
    emulator.fault("GetAuthorizationToken", kind, count=1)
    client = codeartifact(emulator.url)
    with pytest.raises(ClientError) as excinfo:
        client.get_authorization_token(domain=DOMAIN)
    assert error_code(excinfo) == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    if kind == "access_denied":
        message = excinfo.value.response["Error"]["Message"]
        assert "is not authorized to perform: codeartifact:GetAuthorizationToken" in message
        assert f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:domain/{DOMAIN}" in message
    # count=1: the next call succeeds.
    _tokens_seen.append(client.get_authorization_token(domain=DOMAIN)["authorizationToken"])


def test_access_denied_names_the_injected_action(emulator):
    emulator.fault("GetRepositoryEndpoint", "access_denied", action="sts:GetServiceBearerToken", count=1)
    client = codeartifact(emulator.url)
    with pytest.raises(client.exceptions.AccessDeniedException) as excinfo:
        client.get_repository_endpoint(domain=DOMAIN, repository=REPO, format="pypi")
    message = excinfo.value.response["Error"]["Message"]
    assert "perform: sts:GetServiceBearerToken on resource:" in message
    assert f"repository/{DOMAIN}/{REPO}" in message


def test_connection_reset_is_a_closed_connection(emulator):
    emulator.fault("GetAuthorizationToken", "connection_reset", count=1)
    with pytest.raises(ConnectionClosedError):
        codeartifact(emulator.url).get_authorization_token(domain=DOMAIN)


def test_botocore_retries_throttling(emulator):
    before = emulator.admin("GET", "stats")["get_authorization_token"]
    emulator.fault("GetAuthorizationToken", "throttle", count=1)
    client = codeartifact(emulator.url, retries={"max_attempts": 1, "mode": "standard"})
    _tokens_seen.append(client.get_authorization_token(domain=DOMAIN)["authorizationToken"])
    assert emulator.admin("GET", "stats")["get_authorization_token"] == before + 2


# --- The index -------------------------------------------------------------


def test_index_serves_project_pages_but_no_project_list(emulator):
    token = issue_token(emulator.url, durationSeconds=900)
    # CodeArtifact has no /simple/ project list (guide, "Python compatibility").
    status, _, _ = http_get(emulator.index, token)
    assert status == 404

    status, headers, body = http_get(f"{emulator.index}{PROJECT}/", token)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode()
    # CodeArtifact's file links are versioned: VER/FILE#sha256=... (pip and uv
    # logs in astral-sh/uv#1860, astral-sh/uv#2444; pex-tool/pex#1803's lock).
    assert f'href="1.2.0/{WHEEL}#sha256=' in page
    assert 'data-requires-python="&gt;=3.8"' in page

    # A Bearer token works as well as Basic (guide, "Python compatibility").
    request = urllib.request.Request(f"{emulator.index}{PROJECT}/", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_project_list_is_an_option(packages):
    with running_emulator(packages, "--project-list") as emulator:
        token = issue_token(emulator.url)
        status, _, body = http_get(emulator.index, token)
        assert status == 200
        assert f'href="{PROJECT}/"' in body.decode()
        assert 'href="acme-extra/"' in body.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def test_files_redirect_to_presigned_s3_which_refuses_a_second_credential(emulator):
    """CodeArtifact answers a file request with 307 to a presigned S3 URL; S3 answers 400
    InvalidArgument when the client forwards Authorization
    (ansible-collections/community.general#1171, from the CodeArtifact team, for Maven)."""
    token = issue_token(emulator.url, durationSeconds=900)
    credentials = base64.b64encode(f"aws:{token}".encode()).decode()
    request = urllib.request.Request(
        f"{emulator.index}{PROJECT}/1.2.0/{WHEEL}", headers={"Authorization": f"Basic {credentials}"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        opener.open(request, timeout=10)
    assert excinfo.value.code == 307
    location = excinfo.value.headers["Location"]
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=" in location

    # Without credentials the presigned URL serves the file.
    status, _, wheel = http_get(location)
    assert status == 200 and wheel.startswith(b"PK")
    # urllib forwards Authorization across the redirect: S3 refuses it.
    status, headers, body = http_get(f"{emulator.index}{PROJECT}/1.2.0/{WHEEL}", token)
    assert status == 400
    assert b"<Code>InvalidArgument</Code>" in body
    assert b"Only one auth mechanism allowed" in body
    # Without a signature: 403.
    status, _, body = http_get(location.split("?")[0])
    assert status == 403 and b"<Code>AccessDenied</Code>" in body


def test_index_speaks_pep_691_json(emulator):
    """API 1.1 (PEP 700) with versions, size and upload-time, sha256 and md5, and
    "yanked": false on every file (as reported of CodeArtifact's pages)."""
    token = issue_token(emulator.url)
    accept = "application/vnd.pypi.simple.v1+json"
    status, headers, body = http_get(f"{emulator.index}{PROJECT}/", token, accept=accept)
    assert status == 200
    assert headers["Content-Type"] == accept
    page = json.loads(body)
    assert page["meta"]["api-version"] == "1.1"
    assert page["name"] == PROJECT
    assert page["versions"] == ["1.2.0", "9.0.0"]
    files = {f["filename"]: f for f in page["files"]}
    wheel = files[WHEEL]
    assert wheel["url"] == f"1.2.0/{WHEEL}"
    assert wheel["requires-python"] == ">=3.8"
    assert len(wheel["hashes"]["sha256"]) == 64
    assert len(wheel["hashes"]["md5"]) == 32
    assert wheel["yanked"] is False
    assert isinstance(wheel["size"], int) and wheel["size"] > 0
    dt.datetime.strptime(wheel["upload-time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    # 406 for an Accept it cannot serve.
    status, _, _ = http_get(f"{emulator.index}{PROJECT}/", token, accept="application/xml")
    assert status == 406


def test_index_challenges_without_credentials_and_answers_404_to_refused_ones(emulator):
    """No credentials: 401 with a Bearer challenge (pex-tool/pex#1803, #3225). Refused
    credentials: 404, as uv's maintainers report (astral-sh/uv#11899)."""
    page = f"{emulator.index}{PROJECT}/"
    status, headers, _ = http_get(page)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer realm=")
    token = issue_token(emulator.url)
    for credentials in ["not-a-token", token[:-1]]:
        status, headers, _ = http_get(page, credentials)
        assert status == 404, credentials
    status, _, _ = http_get(page, token, user="someone")
    assert status == 404


def test_refused_status_401_is_an_option(packages):
    with running_emulator(packages, "--refused-status", "401") as emulator:
        status, headers, _ = http_get(f"{emulator.index}{PROJECT}/", "not-a-token")
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer realm=")


def test_index_refuses_tokens_after_the_clock_passes_expiry(fresh_emulator):
    token = issue_token(fresh_emulator.url, durationSeconds=900)
    page = f"{fresh_emulator.index}{PROJECT}/"
    assert http_get(page, token)[0] == 200
    fresh_emulator.advance_clock(901)
    assert http_get(page, token)[0] == 404


def test_requests_log_and_stats_hold_no_tokens(emulator):
    issue_token(emulator.url)
    stats = emulator.admin("GET", "stats")
    assert stats["get_authorization_token"] >= 1
    assert set(stats) == {
        "get_authorization_token",
        "get_repository_endpoint",
        "index",
        "s3",
        "max_in_flight_control_plane",
    }
    log = json.dumps(emulator.admin("GET", "requests"))
    for token in _tokens_seen:
        assert token not in log


# --- Real pip --------------------------------------------------------------


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=PIP_TIMEOUT)
    return venv / "bin" / "python"


def pip_install(
    python: Path, index_url: str, target: Path, requirement: str, *extra: str
) -> subprocess.CompletedProcess:
    # No trust settings of the machine's: requests lets REQUESTS_CA_BUNDLE
    # (or CURL_CA_BUNDLE) override pip's --cert (psf/requests#2998).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SSL_CERT_"))
        and key not in {"PYTHONPATH", "VIRTUAL_ENV", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_KEYRING_PROVIDER": "disabled",
            "PIP_NO_INPUT": "1",
        }
    )
    return subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            str(target),
            "--index-url",
            index_url,
            *extra,
            requirement,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
    )


def index_url(emulator: Emulator, token: str) -> str:
    scheme, host = emulator.url.split("://", 1)
    return f"{scheme}://aws:{urllib.parse.quote(token, safe='')}@{host}{INDEX_PATH}"


def imported_version(python: Path, target: Path, module: str = "acme_tools") -> str:
    result = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__version__)"],
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_pip_installs_from_the_index(emulator, venv_python, tmp_path):
    token = issue_token(emulator.url, durationSeconds=900)
    result = pip_install(venv_python, index_url(emulator, token), tmp_path / "site", f"{PROJECT}==1.2.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert imported_version(venv_python, tmp_path / "site") == "1.2.0"


def uv_install(
    uv: Path, python: Path, index: str, tmp_path: Path, requirement: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`uv pip install --target tmp_path/site`, with no configuration or cache of the user's."""
    extra = env or {}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "PIP_", "SSL_CERT_")) and key not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env.update({"UV_NO_CONFIG": "1", "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_KEYRING_PROVIDER": "disabled"})
    env.update(extra)
    return subprocess.run(
        [
            str(uv), "pip", "install", "--python", str(python), "--target", str(tmp_path / "site"),
            "--index-url", index, "--no-cache", requirement,
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT,
    )


def test_uv_installs_from_the_index(emulator, venv_python, tmp_path):
    """uv, an independent client: versioned links, the 307 to S3 (which refuses a
    forwarded token), PEP 691 JSON."""
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed next to the test interpreter")
    token = issue_token(emulator.url, durationSeconds=900)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "PIP_")) and key not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    result = uv_install(uv, venv_python, index_url(emulator, token), tmp_path, f"{PROJECT}==1.2.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert token not in result.stdout + result.stderr
    assert imported_version(venv_python, tmp_path / "site") == "1.2.0"
    assert emulator.admin("GET", "stats")["s3"] >= 1


def test_pip_skips_versions_whose_requires_python_does_not_match(emulator, venv_python, tmp_path):
    token = issue_token(emulator.url)
    result = pip_install(venv_python, index_url(emulator, token), tmp_path / "site", PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert imported_version(venv_python, tmp_path / "site") == "1.2.0"


def test_pip_fails_with_an_expired_token(fresh_emulator, venv_python, tmp_path):
    token = issue_token(fresh_emulator.url, durationSeconds=900)
    fresh_emulator.advance_clock(901)
    # pip only says "from versions: none"; the index itself says 404.
    assert http_get(f"{fresh_emulator.index}{PROJECT}/", token)[0] == 404
    result = pip_install(venv_python, index_url(fresh_emulator, token), tmp_path / "site", f"{PROJECT}==1.2.0")
    assert result.returncode != 0
    assert "No matching distribution" in result.stderr


def test_pip_works_with_an_awkward_token_percent_encoded(packages, venv_python, tmp_path):
    with running_emulator(packages, "--token-style", "awkward") as emulator:
        token = issue_token(emulator.url, durationSeconds=900)
        assert set(token) & set("+/=:@%?# "), token
        assert urllib.parse.quote(token, safe="") != token
        result = pip_install(venv_python, index_url(emulator, token), tmp_path / "site", f"{PROJECT}==1.2.0")
        assert result.returncode == 0, result.stdout + result.stderr
        assert imported_version(venv_python, tmp_path / "site") == "1.2.0"


def page_statuses(emulator: Emulator, project: str) -> list[int | None]:
    return [r["status"] for r in emulator.admin("GET", "requests") if r["path"].endswith(f"/{project}/")]


@contextmanager
def emulator_with_upstream(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator whose upstream ("PyPI") has pub-pkg 1.0 at start and 2.0
    published just after; its first fetch of a project fails once with 500."""
    public = tmp_path / "pypi"
    private = tmp_path / "private"
    public.mkdir()
    private.mkdir()
    make_wheel(public, "--name", "pub-pkg", "--version", "1.0")
    with running_emulator(private, "--upstream", str(public), "--upstream-fail-first-fetch") as emulator:
        make_wheel(public, "--name", "pub-pkg", "--version", "2.0")
        yield emulator


def test_pip_retries_an_upstreams_failed_first_fetch_and_sees_newer_versions_next_time(venv_python, tmp_path):
    """Real pip against the upstream model: it retries the 500 of a first
    fetch (astral-sh/uv#8957; pip retries 500 by default), installs what
    the regional cache listed (1.0), and a later install sees the version
    imported since (CodeArtifact guide, "Availability of new package versions")."""
    with emulator_with_upstream(tmp_path) as emulator:
        token = issue_token(emulator.url, durationSeconds=900)
        first = pip_install(venv_python, index_url(emulator, token), tmp_path / "first", "pub-pkg")
        assert first.returncode == 0, first.stdout + first.stderr
        assert imported_version(venv_python, tmp_path / "first", "pub_pkg") == "1.0"
        assert page_statuses(emulator, "pub-pkg")[:2] == [500, 200]
        second = pip_install(venv_python, index_url(emulator, token), tmp_path / "second", "pub-pkg")
        assert second.returncode == 0, second.stdout + second.stderr
        assert imported_version(venv_python, tmp_path / "second", "pub_pkg") == "2.0"


def test_uv_retries_an_upstreams_failed_first_fetch(venv_python, tmp_path):
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed next to the test interpreter")
    with emulator_with_upstream(tmp_path) as emulator:
        token = issue_token(emulator.url, durationSeconds=900)
        result = uv_install(uv, venv_python, index_url(emulator, token), tmp_path, "pub-pkg")
        assert result.returncode == 0, result.stdout + result.stderr
        assert token not in result.stdout + result.stderr
        assert imported_version(venv_python, tmp_path / "site", "pub_pkg") == "1.0"
        assert page_statuses(emulator, "pub-pkg")[0] == 500


def test_the_tls_listener_is_verified_by_boto3_urllib_pip_and_uv(packages, venv_python, tmp_path):
    """With --tls every client verifies the emulator's certificate against
    the CA it printed, each trusting it in its own standard way, and refuses
    it without (as it would a real endpoint behind an unknown CA)."""
    with running_emulator(packages, "--tls") as emulator:
        ca = emulator.ca_file
        assert ca and Path(ca).read_text().startswith("-----BEGIN CERTIFICATE-----")
        # boto3: verify=CA; the default trust store refuses the self-made CA.
        with pytest.raises(botocore.exceptions.SSLError):
            codeartifact(emulator.url).get_authorization_token(domain=DOMAIN)
        token = issue_token(emulator.url, verify=ca, durationSeconds=900)
        # urllib with the CA: the index over HTTPS, and its 307 to an https:// S3 stand-in.
        context = ssl.create_default_context(cafile=ca)
        auth = base64.b64encode(f"aws:{token}".encode()).decode()
        page = urllib.request.Request(f"{emulator.index}{PROJECT}/", headers={"Authorization": f"Basic {auth}"})
        with urllib.request.urlopen(page, timeout=10, context=context) as response:
            assert response.status == 200
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(page, timeout=10, context=ssl.create_default_context())
        # pip: --cert; without it, no install.
        refused = pip_install(venv_python, index_url(emulator, token), tmp_path / "refused", f"{PROJECT}==1.2.0")
        assert refused.returncode != 0
        assert token not in refused.stdout + refused.stderr
        result = pip_install(
            venv_python, index_url(emulator, token), tmp_path / "pip", f"{PROJECT}==1.2.0", "--cert", ca
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert imported_version(venv_python, tmp_path / "pip") == "1.2.0"
        # uv: SSL_CERT_FILE (uv docs, "TLS certificates").
        uv = Path(sys.executable).with_name("uv")
        if uv.exists():
            result = uv_install(
                uv, venv_python, index_url(emulator, token), tmp_path, f"{PROJECT}==1.2.0", {"SSL_CERT_FILE": ca}
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert token not in result.stdout + result.stderr
            assert imported_version(venv_python, tmp_path / "site") == "1.2.0"
    assert not Path(ca).exists(), "the CA file is removed when the emulator stops"


def test_emulator_logs_never_contain_tokens(packages):
    # Checks the logs of every emulator stopped so far in this module,
    # including the one started here.
    with running_emulator(packages) as emulator:
        issue_token(emulator.url)
        token = _tokens_seen[-1]
        http_get(emulator.index, token)
    assert _logs_seen, "no emulator log was collected"
    for log in _logs_seen:
        for token in _tokens_seen:
            assert token not in log
