#!/usr/bin/env python3
"""Replay what an AWS Glue worker would do with a job run's module arguments.

Usage:
    glue_replay.py --job NAME --run-id ID [--endpoint-url URL] [--venv DIR]
                   [--import MODULE]... [--print-command]

It reads the job (GetJob) and the run (GetJobRun) from Glue (in tests: the moto
stand-in), works out the run's effective arguments, builds the ``pip install``
command Glue would run for ``--additional-python-modules``, and runs it in a
fresh venv. So a test can check, end to end, that the index URL a client put
into a run really lets pip install the packages from the (emulated)
CodeArtifact repository.

What AWS documents, and what this script assumes
================================================

* Effective arguments: "job NonOverridableArguments will override job run
  Arguments, which will override job DefaultArguments", key by key (Glue
  developer guide, "Using job parameters in AWS Glue jobs",
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html).
  moto's GetJobRun already returns the merged map; merging again is harmless.
* Spark jobs (``glueetl``; ``gluestreaming`` is assumed to be the same), Glue
  2.0 and later: "AWS Glue uses the Python Package Installer (pip3) to install
  additional modules"; ``--additional-python-modules`` is "a list of
  comma-separated Python modules", and ``--python-modules-installer-option``
  passes options to pip3: "Provide options as you would in the command line,
  separated by spaces and prefixed by dashes" (Glue developer guide, "Using
  Python libraries with AWS Glue",
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html,
  and "Using job parameters in AWS Glue jobs"). Glue 0.9 and 1.0 do not
  install modules with pip; a job without GlueVersion is Glue 0.9 ("Jobs that
  are created without specifying a Glue version default to Glue 0.9", Glue API
  reference, Job.GlueVersion).
  Assumed here: ``pip install <module>... <installer options...>``, the module
  list split on commas (items stripped, empty ones dropped) and the installer
  option split like a POSIX shell would (``shlex.split``).
* Python shell jobs (``pythonshell``, Python 3.9): "You can use the
  --additional-python-modules option with a list of comma-separated Python
  modules [...] You can pass additional pip3 options inside the
  --additional-python-modules value. For example, "scikit-learn==0.21.3 -i
  https://pypi.python.org/simple/"" and "You cannot provide custom Python
  modules hosted on Amazon S3 with this parameter" (Glue developer guide,
  "Configuring job properties for Python shell jobs in AWS Glue", section
  "Providing your own Python library",
  https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html). The page
  offers ``--python-modules-installer-option`` only for Spark jobs.
  Assumed here: the value is split on commas into items, each item is split
  like a shell would, and all the words go to one ``pip install``. So
  ``"a==1,b==2 -i URL"`` and ``"a==1 -i URL,b==2"`` both give
  ``pip install a==1 b==2 -i URL`` (pip takes options and requirements in any
  order). An installer option on a Python shell job is ignored, with a warning.
  The page says this for "Python shell using Python 3.9", so a job whose
  PythonVersion is "2" or "3" (Python 3.6) is refused; one without a
  PythonVersion gets a warning.
* Ray jobs (``glueray``) use ``--pip-install``; they are refused.
* Not documented anywhere: the exact pip command line Glue runs, where it puts
  the options, how it quotes them, which pip version it uses, and what else is
  in the worker's environment (pip config, proxies). This script is a model of
  the documented behaviour, not a copy of Glue's.

How pip is run
==============

In a fresh venv (``--venv DIR``, default a temporary directory, removed
afterwards), as ``<venv>/bin/python -m pip install --disable-pip-version-check
--no-cache-dir ARGS``, with ``PIP_CONFIG_FILE=/dev/null``, ``PIP_NO_INPUT=1``,
``NETRC=/dev/null``, and no other ``PIP_*``, proxy or ``PYTHONPATH`` variables
from the caller. pip's default index (PyPI, where Glue would look without an
``-i``) is replaced by an empty index on a loopback port (it answers 404), so
nothing reaches the internet and pip cannot fall back to PyPI; an ``-i`` in
the arguments overrides it, as it would override PyPI on Glue.

The pip command is always printed first, as ``replay: pip install ...``, with
the password of every URL replaced by ``****`` (the token must never be
printed). pip's own output is passed through untouched (pip redacts URL
passwords itself).

S3 wheels (a job bound by ``wheelhouse --bind``): each ``s3://`` item of a
Spark job is downloaded from S3 (``--s3-endpoint-url``, default the Glue
endpoint: moto serves both) into a temporary folder under its own file name,
and pip gets the local path in its place, in the same position. Assumed: Glue
fetches S3 modules the same way before it runs pip (not documented). A Python
shell job with an S3 item is refused, as Glue refuses it.

Exit status: pip's (0 on success); 3 when the run cannot be replayed (Ray,
Glue < 2.0, Python shell 3.6, S3 modules in a Python shell job, no modules); 4 when an ``--import``
fails; 5 when a Glue call fails; 2 for usage errors.
"""

from __future__ import annotations

import argparse
import http.server
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

EXIT_REFUSED = 3
EXIT_IMPORT_FAILED = 4
EXIT_GLUE_FAILED = 5

MODULES_ARG = "--additional-python-modules"
INSTALLER_OPTION_ARG = "--python-modules-installer-option"

SPARK_COMMANDS = ("glueetl", "gluestreaming")
PYTHON_SHELL_COMMAND = "pythonshell"

# A URL's userinfo password: scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:)[^@\s/]*@")


# What --import accepts: a dotted module name (it is put into python -c code).
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Refused(Exception):
    """The job run cannot be replayed; the message says why."""


# --------------------------------------------------------------------------
# Pure helpers (unit-tested in tests/test_glue_replay.py)
# --------------------------------------------------------------------------


def effective_arguments(
    default_arguments: Mapping[str, str] | None,
    run_arguments: Mapping[str, str] | None,
    non_overridable_arguments: Mapping[str, str] | None,
) -> dict[str, str]:
    """Glue's key-by-key merge: non-overridable > run > default."""
    merged: dict[str, str] = {}
    for layer in (default_arguments, run_arguments, non_overridable_arguments):
        merged.update(layer or {})
    return merged


def split_modules(value: str) -> list[str]:
    """A Spark job's ``--additional-python-modules``: comma-separated items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def split_python_shell_modules(value: str) -> list[str]:
    """A Python shell job's ``--additional-python-modules``: comma-separated
    items, each split like a shell would (pip options may sit inline)."""
    words: list[str] = []
    for item in split_modules(value):
        words.extend(shlex.split(item))
    return words


def split_installer_option(value: str) -> list[str]:
    """``--python-modules-installer-option``: options as on a command line."""
    return shlex.split(value)


def redact(text: str) -> str:
    """Replace the password of every URL in ``text`` by ``****``."""
    return _URL_PASSWORD.sub(r"\1****@", text)


def glue_version_tuple(version: str | None) -> tuple[int, ...]:
    """"4.0" -> (4, 0); a job without a version is Glue 0.9."""
    try:
        return tuple(int(part) for part in (version or "0.9").split("."))
    except ValueError:
        raise Refused(f"cannot read Glue version {version!r}") from None


@dataclass
class Plan:
    """What the worker would run: pip's arguments after ``pip install``."""

    pip_args: list[str]
    warnings: list[str] = field(default_factory=list)

    def s3_items(self) -> list[str]:
        """The ``s3://`` items, to download before pip runs."""
        return [arg for arg in self.pip_args if arg.lower().startswith("s3://")]


def plan_install(job: Mapping[str, object], arguments: Mapping[str, str]) -> Plan:
    """Build the ``pip install`` arguments Glue would use for this job and
    these effective arguments, or raise Refused."""
    command = job.get("Command") or {}
    assert isinstance(command, Mapping)
    kind = command.get("Name")
    warnings: list[str] = []
    modules = arguments.get(MODULES_ARG, "")
    installer_option = arguments.get(INSTALLER_OPTION_ARG)

    if kind in SPARK_COMMANDS:
        version = job.get("GlueVersion")
        if glue_version_tuple(version) < (2, 0):  # type: ignore[arg-type]
            raise Refused(
                f"{kind} job on Glue {version or '0.9 (no GlueVersion)'}: "
                "Glue installs Python modules with pip only from Glue 2.0 on"
            )
        items = split_modules(modules)
        options = split_installer_option(installer_option) if installer_option else []
    elif kind == PYTHON_SHELL_COMMAND:
        python_version = command.get("PythonVersion")
        if python_version in ("2", "3"):
            raise Refused(
                f"Python shell job with PythonVersion {python_version}: "
                "--additional-python-modules is documented for Python shell 3.9 only"
            )
        if python_version is None:
            warnings.append(
                "Python shell job without Command.PythonVersion; assuming 3.9"
            )
        items = split_python_shell_modules(modules)
        options = []
        if installer_option is not None:
            warnings.append(
                f"{INSTALLER_OPTION_ARG} is not supported on Python shell jobs; "
                f"Glue ignores it: {redact(installer_option)}"
            )
    elif kind == "glueray":
        raise Refused("Ray job: Glue for Ray installs with --pip-install, not replayed")
    else:
        raise Refused(f"unknown job command {kind!r}")

    if not items:
        raise Refused(f"the run has no {MODULES_ARG}: nothing to install")
    s3 = [item for item in items if item.lower().startswith("s3://")]
    if s3 and kind == PYTHON_SHELL_COMMAND:
        raise Refused(f"S3 modules are not allowed in a Python shell job: {', '.join(s3)}")
    return Plan(pip_args=items + options, warnings=warnings)


def pip_environment(environ: Mapping[str, str], default_index_url: str) -> dict[str, str]:
    """The environment pip runs in: the caller's, without anything that could
    point pip at another index or reach the network."""
    dropped_prefixes = ("PIP_",)
    dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "VIRTUAL_ENV"}
    env = {
        key: value
        for key, value in environ.items()
        if not key.startswith(dropped_prefixes)
        and key not in dropped
        and not key.lower().endswith("_proxy")
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INPUT": "1",
            # The default index (PyPI on a real worker): an empty loopback one.
            # An -i/--index-url in the arguments overrides it, as on Glue.
            "PIP_INDEX_URL": default_index_url,
            "NETRC": os.devnull,
        }
    )
    return env


# --------------------------------------------------------------------------
# Glue, venv and pip
# --------------------------------------------------------------------------


def glue_client(endpoint_url: str | None):  # -> botocore client
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_GLUE") or os.environ.get("AWS_ENDPOINT_URL")
    return boto3.client("glue", region_name=region, endpoint_url=endpoint)


def localize_s3(pip_args: Sequence[str], folder: str, endpoint_url: str | None) -> list[str]:
    """Download each ``s3://BUCKET/KEY`` argument into ``folder`` under the
    key's last part (pip reads a wheel's tags from its file name); return the
    arguments with local paths in their place."""
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    s3 = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        config=__import__("botocore.config").config.Config(s3={"addressing_style": "path"}),
    )
    local: list[str] = []
    for arg in pip_args:
        if not arg.lower().startswith("s3://"):
            local.append(arg)
            continue
        bucket, _, key = arg[len("s3://"):].partition("/")
        path = os.path.join(folder, key.rsplit("/", 1)[-1])
        s3.download_file(bucket, key, path)
        say(f"downloaded {arg}")
        local.append(path)
    return local


def say(message: str) -> None:
    print(f"replay: {message}", flush=True)


class _EmptyIndex(http.server.BaseHTTPRequestHandler):
    """Answers 404 to everything: pip's default index (PyPI on a real worker)
    as seen from the replay, so pip fails fast instead of reaching PyPI."""

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        body = b"the replay's stand-in for PyPI has no packages\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def empty_default_index() -> Iterator[str]:
    """Serve _EmptyIndex on a loopback port; yield its simple-index URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmptyIndex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def run_pip(venv: str, pip_args: Sequence[str], imports: Sequence[str], image_wheels: str | None = None) -> int:
    """Create the venv, run pip, then the imports. Returns the exit status."""
    status = subprocess.run([sys.executable, "-m", "venv", venv]).returncode
    if status != 0:
        say(f"error: python -m venv {venv} failed with exit status {status}")
        return status
    python = os.path.join(venv, "bin", "python")
    with empty_default_index() as default_index:
        env = pip_environment(os.environ, default_index)
        if image_wheels:
            wheels = sorted(os.path.join(image_wheels, f) for f in os.listdir(image_wheels) if f.endswith(".whl"))
            say("image provides " + " ".join(os.path.basename(w) for w in wheels))
            status = subprocess.run(
                [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir",
                 "--no-index", "--no-deps", "-q", *wheels],
                env=env,
            ).returncode
            if status != 0:
                say(f"error: installing the image's stand-in wheels failed with exit status {status}")
                return status
        status = subprocess.run(
            [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir", *pip_args],
            env=env,
        ).returncode
    if status != 0:
        say(f"pip failed with exit status {status}")
        return status
    for module in imports:
        code = f"import {module}; print({module}.__name__, getattr({module}, '__version__', ''))"
        if subprocess.run([python, "-c", code], env=env).returncode != 0:
            say(f"import {module} failed")
            return EXIT_IMPORT_FAILED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay the pip install a Glue worker would run for a job run."
    )
    parser.add_argument("--job", required=True, help="Glue job name")
    parser.add_argument("--run-id", required=True, help="job run id (from StartJobRun)")
    parser.add_argument("--endpoint-url", help="Glue endpoint (default: AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL)")
    parser.add_argument("--s3-endpoint-url", help="S3 endpoint for s3:// modules (default: --endpoint-url, then AWS_ENDPOINT_URL_S3)")
    parser.add_argument("--venv", help="venv to create (default: a temporary directory)")
    parser.add_argument("--image-wheels", metavar="DIR",
                        help="wheels that stand for the modules Glue's image provides (e.g. boto3): "
                        "installed into the venv, offline, before the job's install")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="after installing, import MODULE in the venv (repeatable)")
    parser.add_argument("--print-command", action="store_true",
                        help="only print the pip command; create no venv, run no pip")
    args = parser.parse_args(argv)
    for module in args.imports:
        if not _MODULE_NAME.fullmatch(module):
            parser.error(f"--import: not a module name: {module!r}")

    try:
        glue = glue_client(args.endpoint_url)
        job = glue.get_job(JobName=args.job)["Job"]
        run = glue.get_job_run(JobName=args.job, RunId=args.run_id)["JobRun"]
    except Exception as error:  # botocore's errors have no common useful base
        say(f"error: Glue call failed: {error}")
        return EXIT_GLUE_FAILED

    arguments = effective_arguments(
        job.get("DefaultArguments"), run.get("Arguments"), job.get("NonOverridableArguments")
    )
    try:
        plan = plan_install(job, arguments)
    except Refused as refused:
        say(f"refused: {refused}")
        return EXIT_REFUSED

    for warning in plan.warnings:
        say(f"warning: {warning}")
    say("pip install " + redact(shlex.join(plan.pip_args)))
    if args.print_command:
        return 0
    with tempfile.TemporaryDirectory(prefix="glue-replay-") as tmp:
        pip_args = plan.pip_args
        if plan.s3_items():
            try:
                pip_args = localize_s3(pip_args, tmp, args.s3_endpoint_url or args.endpoint_url)
            except Exception as error:  # botocore's errors have no common useful base
                say(f"error: S3 download failed: {error}")
                return EXIT_GLUE_FAILED
        return run_pip(args.venv or os.path.join(tmp, "venv"), pip_args, args.imports, args.image_wheels)


if __name__ == "__main__":
    sys.exit(main())
