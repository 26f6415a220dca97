"""deploy/template.yaml: cfn-lint and checkov find nothing, and the function is
what the issue asks for (provided.al2023, arm64, bootstrap, rust-cargolambda,
the function's settings).

checkov pins a boto3 that conflicts with the test stack's, so it runs from its
own venv, <repo>/.venv-checkov, which deploy/setup-checkov creates from
deploy/requirements-checkov.txt; or from $CHECKOV.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[4]
TEMPLATE = REPO / "deploy" / "template.yaml"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode(str(TEMPLATE))
    assert not problems, problems
    return decoded


def test_cfn_lint_finds_nothing():
    result = subprocess.run(
        [str(VENV_BIN / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def checkov() -> str:
    path = os.environ.get("CHECKOV") or str(REPO / ".venv-checkov" / "bin" / "checkov")
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: run deploy/setup-checkov (scripts/setup should call it)")
    return path


def test_checkov_finds_nothing_and_every_skip_is_justified(template):
    result = subprocess.run(
        [
            checkov(),
            "--file", str(TEMPLATE),
            "--framework", "cloudformation",
            "--skip-download",
            "--output", "json",
        ],
        capture_output=True,
        text=True,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0 and result.returncode == 0, failed
    assert summary["passed"] > 0
    for resource in template["Resources"].values():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 40, f"{skip['id']} needs a written justification"


def test_the_function_is_built_as_the_issue_asks(template):
    function = template["Resources"]["Function"]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Metadata"]["BuildMethod"] == "rust-cargolambda"
    assert function["Metadata"]["BuildProperties"]["Binary"] == "bootstrap"
    props = function["Properties"]
    assert props["Runtime"] == "provided.al2023"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "bootstrap"
    assert (TEMPLATE.parent / props["CodeUri"] / "Cargo.toml").exists()


def test_the_function_gets_every_setting_it_reads(template):
    # The names the function reads (crates/lambda/src/settings.rs).
    settings = (REPO / "crates" / "lambda" / "src" / "settings.rs").read_text()
    names = set(re.findall(r'pub const [A-Z_]+: &str = "([A-Z_]+)";', settings))
    assert "ALLOWED_JOBS" in names and "GLUE_CODEARTIFACT_DOMAIN" in names
    variables = template["Resources"]["Function"]["Properties"]["Environment"]["Variables"]
    assert set(variables) == names


def test_the_schedule_is_optional_and_starts_one_job(template):
    resources = template["Resources"]
    assert resources["Schedule"]["Condition"] == "HasSchedule"
    # The role Scheduler uses serves either schedule.
    assert resources["ScheduleRole"]["Condition"] == "HasAnySchedule"
    assert template["Conditions"]["HasAnySchedule"] == {
        "Fn::Or": [{"Condition": "HasSchedule"}, {"Condition": "HasRefreshSchedule"}]
    }
    target = resources["Schedule"]["Properties"]["Target"]
    assert target["Input"] == {"Fn::Sub": '{"job_name": "${ScheduleJob}"}'}
    assert template["Parameters"]["ScheduleJob"]["Default"] == ""


def test_refresh_is_off_unless_enabled_and_its_schedule_is_optional(template):
    # The refresh event the schedule sends is parsed by the function's own
    # event type in crates/lambda/tests/events.rs; the refresh policy is
    # compared with `iam-policy --refresh` in crates/cli/tests/iam_policy.rs.
    params = template["Parameters"]
    assert params["EnableRefresh"]["Default"] == "false"
    assert params["RefreshTokenDuration"]["Default"] == "12h"
    assert params["RefreshScheduleExpression"]["Default"] == ""
    resources = template["Resources"]
    assert resources["RefreshPolicy"]["Condition"] == "RefreshPermissions"
    assert resources["RefreshPolicy"]["Properties"]["Roles"] == [{"Ref": "FunctionRole"}]
    assert resources["RefreshSchedule"]["Condition"] == "HasRefreshSchedule"
    assert resources["RefreshSchedule"]["DependsOn"] == "RefreshPolicy"
    assert template["Conditions"]["HasRefreshSchedule"]["Fn::And"][0] == {"Condition": "RefreshEnabled"}
    variables = resources["Function"]["Properties"]["Environment"]["Variables"]
    assert variables["REFRESH_ENABLED"] == {"Ref": "EnableRefresh"}
    assert variables["GLUE_CODEARTIFACT_REFRESH_DURATION"] == {"Ref": "RefreshTokenDuration"}
    assert set(template["Rules"]) == {"RefreshNeedsGlueJobRoles", "RefreshScheduleNeedsRefreshAndJobs"}


def test_refresh_parameter_patterns(template):
    params = template["Parameters"]
    roles = re.compile(params["GlueJobRoleArns"]["AllowedPattern"])
    arn = "arn:aws:iam::123456789012:role/service-role/glue-*"
    for good in ["", arn, ",".join([arn] * 10), "arn:aws-cn:iam::123456789012:role/etl"]:
        assert roles.fullmatch(good), good
    for bad in [",".join([arn] * 11), "glue-etl", "arn:aws:iam::1234:role/x", arn + ",", "arn:aws:iam::123456789012:user/x"]:
        assert not roles.fullmatch(bad), bad
    jobs = re.compile(params["RefreshScheduleJobs"]["AllowedPattern"])
    for good in ["", "nightly-etl", "a,b-*"]:
        assert jobs.fullmatch(good), good
    for bad in ["a,,b", "a, b", 'a"b', "a\\b"]:
        assert not jobs.fullmatch(bad), bad
    tag = re.compile(params["RefreshScheduleTag"]["AllowedPattern"])
    for good in ["", "team=data", "team="]:
        assert tag.fullmatch(good), good
    for bad in ["team", "=data", "a=b=c", "a=b,c=d", 'te"am=data']:
        assert not tag.fullmatch(bad), bad


def test_allowed_jobs_pattern_matches_the_ten_policy_slots(template):
    pattern = re.compile(template["Parameters"]["AllowedJobs"]["AllowedPattern"])
    assert pattern.fullmatch("nightly-etl")
    assert pattern.fullmatch(",".join(f"job-{i}" for i in range(10)))
    assert not pattern.fullmatch(",".join(f"job-{i}" for i in range(11)))
    for bad in ["", "a,,b", "a, b", "a,", "${aws:username}", 'a"b']:
        assert not pattern.fullmatch(bad), bad
    slots = [c for c in template["Conditions"] if c.startswith("HasAllowedJob")]
    assert len(slots) == 9
