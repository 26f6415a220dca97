"""glue_replay.py: the pure helpers, and a few replays against moto and a local index."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stack_helpers import FAKE_AWS_ENV, glue_client, moto_server

import glue_replay
from glue_replay import (
    Refused,
    effective_arguments,
    pip_environment,
    plan_install,
    redact,
    split_installer_option,
    split_modules,
    split_python_shell_modules,
)

TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.SECRET-token_value"


def spark(version: str | None = "4.0", kind: str = "glueetl") -> dict:
    job: dict = {"Name": "j", "Command": {"Name": kind, "ScriptLocation": "s3://b/j.py"}}
    if version is not None:
        job["GlueVersion"] = version
    return job


def python_shell(python_version: str | None = "3.9") -> dict:
    command = {"Name": "pythonshell", "ScriptLocation": "s3://b/j.py"}
    if python_version is not None:
        command["PythonVersion"] = python_version
    return {"Name": "j", "Command": command}


# ---------------------------------------------------------------- merge


def test_merge_is_key_by_key_with_non_overridable_last():
    merged = effective_arguments(
        {"--a": "default", "--b": "default", "--c": "default"},
        {"--b": "run", "--c": "run", "--d": "run"},
        {"--c": "fixed"},
    )
    assert merged == {"--a": "default", "--b": "run", "--c": "fixed", "--d": "run"}


def test_merge_accepts_missing_layers():
    assert effective_arguments(None, None, None) == {}
    assert effective_arguments({"--a": "1"}, None, None) == {"--a": "1"}


def test_merging_an_already_merged_map_changes_nothing():
    default, run, fixed = {"--a": "1", "--b": "1"}, {"--b": "2"}, {"--a": "3"}
    once = effective_arguments(default, run, fixed)
    assert effective_arguments(default, once, fixed) == once


# ---------------------------------------------------------------- split


def test_split_modules_strips_and_drops_empty_items():
    assert split_modules(" a==1 , b>=2,,c ,") == ["a==1", "b>=2", "c"]
    assert split_modules("") == []


def test_split_installer_option_like_a_shell():
    assert split_installer_option("--upgrade  -i 'https://x/simple/' --no-deps") == [
        "--upgrade", "-i", "https://x/simple/", "--no-deps",
    ]


def test_python_shell_inline_options_wherever_they_sit():
    expected = ["a==1", "b==2", "-i", "https://h/simple/"]
    assert split_python_shell_modules("a==1,b==2 -i https://h/simple/") == expected
    assert split_python_shell_modules("a==1, b==2, -i https://h/simple/") == expected
    assert sorted(split_python_shell_modules("a==1 -i https://h/simple/,b==2")) == sorted(expected)


# ---------------------------------------------------------------- redact


def test_redact_hides_url_passwords_only():
    url = f"https://aws:{TOKEN}@domain-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/"
    text = f"pip install pkg -i {url} --extra-index-url=http://u:p@127.0.0.1:8080/simple/"
    redacted = redact(text)
    assert TOKEN not in redacted
    assert "https://aws:****@domain-111122223333.d.codeartifact" in redacted
    assert "--extra-index-url=http://u:****@127.0.0.1:8080/simple/" in redacted
    assert redact("pkg==1.0 -i https://host:8443/simple/") == "pkg==1.0 -i https://host:8443/simple/"
    assert redact("https://user@host/simple/") == "https://user@host/simple/"


# ---------------------------------------------------------------- plan


def test_spark_plan_puts_modules_then_installer_options():
    plan = plan_install(
        spark("4.0"),
        {
            "--additional-python-modules": "a==1, b",
            "--python-modules-installer-option": f"--upgrade -i https://aws:{TOKEN}@h/simple/",
        },
    )
    assert plan.pip_args == ["a==1", "b", "--upgrade", "-i", f"https://aws:{TOKEN}@h/simple/"]
    assert plan.warnings == []


def test_streaming_is_treated_like_spark():
    plan = plan_install(spark("5.0", "gluestreaming"), {"--additional-python-modules": "a"})
    assert plan.pip_args == ["a"]


@pytest.mark.parametrize("version", [None, "0.9", "1.0"])
def test_spark_before_glue_2_is_refused(version):
    with pytest.raises(Refused, match="Glue 2.0"):
        plan_install(spark(version), {"--additional-python-modules": "a"})


def test_python_shell_ignores_the_installer_option_with_a_warning():
    plan = plan_install(
        python_shell("3.9"),
        {
            "--additional-python-modules": "a==1 -i https://h/simple/",
            "--python-modules-installer-option": f"-i https://aws:{TOKEN}@other/simple/",
        },
    )
    assert plan.pip_args == ["a==1", "-i", "https://h/simple/"]
    assert len(plan.warnings) == 1
    assert "not supported" in plan.warnings[0] and TOKEN not in plan.warnings[0]


def test_python_shell_versions():
    with pytest.raises(Refused, match="3.9"):
        plan_install(python_shell("3"), {"--additional-python-modules": "a"})
    assert plan_install(python_shell(None), {"--additional-python-modules": "a"}).warnings


def test_spark_s3_wheels_are_kept_in_place_for_download():
    plan = plan_install(
        spark(),
        {
            "--additional-python-modules": "s3://b/w/sha256/ab/a-1-py3-none-any.whl,s3://b/w/sha256/cd/b-1-py3-none-any.whl",
            "--python-modules-installer-option": "--no-index",
        },
    )
    assert plan.s3_items() == ["s3://b/w/sha256/ab/a-1-py3-none-any.whl", "s3://b/w/sha256/cd/b-1-py3-none-any.whl"]
    assert plan.pip_args[-1] == "--no-index"


@pytest.mark.parametrize(
    ("job", "arguments", "reason"),
    [
        ({"Command": {"Name": "glueray"}}, {"--additional-python-modules": "a"}, "Ray"),
        ({"Command": {"Name": "other"}}, {"--additional-python-modules": "a"}, "unknown"),
        (spark(), {}, "nothing to install"),
        (python_shell("3.9"), {"--additional-python-modules": "a,s3://b/x.whl"}, "S3"),
    ],
)
def test_refusals(job, arguments, reason):
    with pytest.raises(Refused, match=reason):
        plan_install(job, arguments)


def test_pip_environment_drops_index_settings_and_proxies():
    env = pip_environment(
        {
            "PATH": "/usr/bin",
            "HOME": "/root",
            "PIP_INDEX_URL": "https://pypi.org/simple/",
            "PIP_EXTRA_INDEX_URL": "https://elsewhere/simple/",
            "https_proxy": "http://proxy:3128",
            "HTTP_PROXY": "http://proxy:3128",
            "PYTHONPATH": "/somewhere",
        },
        "http://127.0.0.1:9/simple/",
    )
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/root"
    assert env["PIP_INDEX_URL"] == "http://127.0.0.1:9/simple/"
    assert env["PIP_CONFIG_FILE"] == glue_replay.os.devnull
    assert env["PIP_NO_INPUT"] == "1"
    assert "PIP_EXTRA_INDEX_URL" not in env
    assert not any(key.lower().endswith("_proxy") for key in env)
    assert "PYTHONPATH" not in env


# ---------------------------------------------------------------- replays against moto


def build_wheel(directory: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel whose module prints its version."""
    module = name.replace("-", "_")
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{module}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{module}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record_name = f"{module}-{version}.dist-info/RECORD"
    lines = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(text.encode())}")
    files[record_name] = "\n".join(lines + [f"{record_name},,"]) + "\n"
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@contextmanager
def static_index(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on loopback; directory listings are a simple index."""
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def glue_url():
    with moto_server() as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch, glue_url):
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", glue_url)


def start_run(glue_url: str, name: str, job: dict, arguments: dict) -> str:
    glue = glue_client(glue_url)
    glue.create_job(Name=name, Role="role", **{k: v for k, v in job.items() if k != "Name"})
    return glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]


def test_print_command_redacts_the_token(aws_env, glue_url, capsys):
    job = spark("4.0") | {"DefaultArguments": {"--python-modules-installer-option": "--upgrade"}}
    run_id = start_run(
        glue_url, "print-command", job,
        {
            "--additional-python-modules": "pkg==1.0",
            "--python-modules-installer-option": f"--upgrade -i https://aws:{TOKEN}@127.0.0.1:1/simple/",
        },
    )
    status = glue_replay.main(["--job", "print-command", "--run-id", run_id, "--print-command"])
    out = capsys.readouterr().out
    assert status == 0
    assert TOKEN not in out
    assert out == "replay: pip install pkg==1.0 --upgrade -i https://aws:****@127.0.0.1:1/simple/\n"


def test_refused_run_exits_3(aws_env, glue_url, capsys):
    run_id = start_run(glue_url, "old-glue", spark("1.0"), {"--additional-python-modules": "a"})
    assert glue_replay.main(["--job", "old-glue", "--run-id", run_id]) == 3
    assert "refused" in capsys.readouterr().out


def test_unknown_job_exits_5(aws_env, capsys):
    assert glue_replay.main(["--job", "no-such-job", "--run-id", "jr_x"]) == 5


def test_replay_installs_from_the_run_index_and_imports(aws_env, glue_url, tmp_path, capsys):
    package_dir = tmp_path / "index" / "simple" / "replay-demo"
    package_dir.mkdir(parents=True)
    build_wheel(package_dir, "replay-demo", "1.2.3")
    with static_index(tmp_path / "index") as host:
        run_id = start_run(
            glue_url, "replay-python-shell", python_shell("3.9"),
            {"--additional-python-modules": f"replay-demo==1.2.3 -i http://aws:{TOKEN}@{host}/simple/"},
        )
        status = glue_replay.main(
            ["--job", "replay-python-shell", "--run-id", run_id,
             "--venv", str(tmp_path / "venv"), "--import", "replay_demo"]
        )
    out = capsys.readouterr().out
    assert status == 0, out
    assert TOKEN not in out
    assert (tmp_path / "venv" / "bin" / "python").exists()


def test_replay_never_falls_back_to_pypi(aws_env, glue_url, tmp_path, capsys):
    # "six" is on PyPI; with no index in the arguments pip must still fail.
    run_id = start_run(glue_url, "no-index", spark("5.0"), {"--additional-python-modules": "six"})
    status = glue_replay.main(["--job", "no-index", "--run-id", run_id, "--venv", str(tmp_path / "venv")])
    assert status != 0
    assert not list((tmp_path / "venv").glob("lib/python*/site-packages/six.py"))
