"""deploy/template.yaml: cfn-lint and checkov find nothing, and the functions are
what the issue asks for (provided.al2023, arm64, bootstrap, rust-cargolambda,
the function's settings): a start function that Lambda never retries after a
function error, and, with refresh enabled, a refresh function with a role of
its own.

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


def test_the_functions_are_built_as_the_issue_asks(template):
    resources = template["Resources"]
    for name in ["Function", "RefreshFunction"]:
        function = resources[name]
        assert function["Type"] == "AWS::Serverless::Function"
        assert function["Metadata"]["BuildMethod"] == "rust-cargolambda"
        assert function["Metadata"]["BuildProperties"]["Binary"] == "bootstrap"
        props = function["Properties"]
        assert props["Runtime"] == "provided.al2023"
        assert props["Architectures"] == ["arm64"]
        assert props["Handler"] == "bootstrap"
        assert (TEMPLATE.parent / props["CodeUri"] / "Cargo.toml").exists()
    # sam build builds functions with the same code, runtime, architecture,
    # handler and Metadata once: one build, one zip, for both.
    start, refresh = resources["Function"], resources["RefreshFunction"]
    assert start["Metadata"] == refresh["Metadata"]
    for key in ["CodeUri", "Handler", "Runtime", "Architectures"]:
        assert start["Properties"][key] == refresh["Properties"][key], key


def setting_names() -> set[str]:
    # The names the function reads (crates/lambda/src/settings.rs).
    settings = (REPO / "crates" / "lambda" / "src" / "settings.rs").read_text()
    names = set(re.findall(r'pub const [A-Z_]+: &str = "([A-Z_]+)";', settings))
    assert "GLUE_CODEARTIFACT_ALLOWED_JOBS" in names and "GLUE_CODEARTIFACT_DOMAIN" in names
    return names


def variables(template, function: str) -> dict:
    return template["Resources"][function]["Properties"]["Environment"]["Variables"]


def test_the_functions_get_every_setting_they_read(template):
    names = setting_names()
    # The start function serves no refresh: it needs no refresh duration.
    assert set(variables(template, "Function")) == names - {"GLUE_CODEARTIFACT_REFRESH_DURATION"}
    assert set(variables(template, "RefreshFunction")) == names
    # The same deployment settings for both, but which events each serves.
    start, refresh = variables(template, "Function"), variables(template, "RefreshFunction")
    assert (start["GLUE_CODEARTIFACT_START_ENABLED"], start["GLUE_CODEARTIFACT_REFRESH_ENABLED"]) == ("true", "false")
    assert (refresh["GLUE_CODEARTIFACT_START_ENABLED"], refresh["GLUE_CODEARTIFACT_REFRESH_ENABLED"]) == ("false", "true")
    for name in set(start) - {"GLUE_CODEARTIFACT_START_ENABLED", "GLUE_CODEARTIFACT_REFRESH_ENABLED"}:
        assert start[name] == refresh[name], name


def test_the_start_function_is_never_retried_blindly(template):
    # Scheduler and EventBridge rules invoke asynchronously; Lambda would retry
    # a failed start twice whatever its errorType, StartOutcomeUnknown (a run
    # may have started) included.
    props = template["Resources"]["Function"]["Properties"]
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 0}
    assert props["Role"] == {"Fn::GetAtt": ["FunctionRole", "Arn"]}
    assert props["Environment"]["Variables"]["GLUE_CODEARTIFACT_REFRESH_ENABLED"] == "false"
    assert template["Resources"]["Schedule"]["Properties"]["Target"]["Arn"] == {
        "Fn::GetAtt": ["Function", "Arn"]
    }


def test_the_schedule_is_optional_and_starts_one_job(template):
    resources = template["Resources"]
    assert resources["Schedule"]["Condition"] == "HasSchedule"
    # The role Scheduler uses serves either schedule, and may invoke only the
    # functions that have one.
    assert resources["ScheduleRole"]["Condition"] == "HasAnySchedule"
    assert template["Conditions"]["HasAnySchedule"] == {
        "Fn::Or": [{"Condition": "HasSchedule"}, {"Condition": "HasRefreshSchedule"}]
    }
    statement = resources["ScheduleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement == [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": [
                {"Fn::If": ["HasSchedule", {"Fn::GetAtt": ["Function", "Arn"]}, {"Ref": "AWS::NoValue"}]},
                {"Fn::If": ["HasRefreshSchedule", {"Fn::GetAtt": ["RefreshFunction", "Arn"]}, {"Ref": "AWS::NoValue"}]},
            ],
        }
    ]
    target = resources["Schedule"]["Properties"]["Target"]
    assert target["Input"] == {"Fn::Sub": '{"job_name": "${ScheduleJob}"}'}
    assert template["Parameters"]["ScheduleJob"]["Default"] == ""


def test_refresh_is_a_function_of_its_own_only_when_enabled(template):
    # The refresh event the schedule sends is parsed by the function's own
    # event type in crates/lambda/tests/events.rs; the refresh role's policy is
    # compared with `iam-policy --refresh` in crates/cli/tests/iam_policy.rs.
    params = template["Parameters"]
    assert params["EnableRefresh"]["Default"] == "false"
    assert params["RefreshTokenDuration"]["Default"] == "12h"
    assert params["RefreshScheduleExpression"]["Default"] == ""
    resources = template["Resources"]
    refresh_resources = [
        "RefreshFunction",
        "RefreshFunctionRole",
        "RefreshFunctionLogGroup",
    ]
    for name in refresh_resources:
        assert resources[name]["Condition"] == "RefreshPermissions", name
    assert template["Conditions"]["RefreshPermissions"]["Fn::And"][0] == {"Condition": "RefreshEnabled"}
    props = resources["RefreshFunction"]["Properties"]
    assert props["Role"] == {"Fn::GetAtt": ["RefreshFunctionRole", "Arn"]}
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": "RefreshFunctionLogGroup"}
    # A refresh is idempotent: Lambda's asynchronous retries stay on (its
    # default, said aloud); one refresh at a time.
    assert props["EventInvokeConfig"] == {"MaximumRetryAttempts": 2}
    assert props["ReservedConcurrentExecutions"] == 1
    assert props["Environment"]["Variables"]["GLUE_CODEARTIFACT_REFRESH_ENABLED"] == "true"
    assert props["Environment"]["Variables"]["GLUE_CODEARTIFACT_REFRESH_DURATION"] == {"Ref": "RefreshTokenDuration"}
    # No policy resource attaches anything to a role from outside.
    assert not [r for r in resources.values() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")]
    schedule = resources["RefreshSchedule"]
    assert schedule["Condition"] == "HasRefreshSchedule"
    assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": ["RefreshFunction", "Arn"]}
    assert template["Conditions"]["HasRefreshSchedule"]["Fn::And"][0] == {"Condition": "RefreshPermissions"}
    assert set(template["Rules"]) == {
        "RefreshNeedsGlueJobRoles",
        "RefreshScheduleNeedsRefreshAndJobs",
        "MetricAlarmsNeedInfoLogs",
    }
    outputs = template["Outputs"]
    for name in ["RefreshFunctionName", "RefreshFunctionArn", "RefreshFunctionRoleArn"]:
        assert outputs[name]["Condition"] == "RefreshPermissions", name


def test_errors_alarms_only_with_a_topic_one_per_function(template):
    # A failed asynchronous start is not retried, so the template offers an
    # alarm on each function's Errors metric, notifying AlarmTopicArn.
    params = template["Parameters"]
    assert params["AlarmTopicArn"]["Default"] == ""
    pattern = re.compile(params["AlarmTopicArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:sns:eu-west-1:123456789012:data-alerts")
    assert not pattern.fullmatch("data-alerts")
    assert not pattern.fullmatch("arn:aws:sqs:eu-west-1:123456789012:q")
    resources = template["Resources"]
    for alarm, function, condition in [
        ("StartErrorsAlarm", "Function", "HasAlarmTopic"),
        ("RefreshErrorsAlarm", "RefreshFunction", "HasRefreshAlarm"),
    ]:
        assert resources[alarm]["Condition"] == condition
        props = resources[alarm]["Properties"]
        assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
        assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
        assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]
    assert template["Conditions"]["HasRefreshAlarm"] == {
        "Fn::And": [{"Condition": "HasAlarmTopic"}, {"Condition": "RefreshPermissions"}]
    }


def test_each_role_logs_to_its_own_function_s_log_group(template):
    resources = template["Resources"]
    for role, group in [("FunctionRole", "FunctionLogGroup"), ("RefreshFunctionRole", "RefreshFunctionLogGroup")]:
        policies = {p["PolicyName"]: p for p in resources[role]["Properties"]["Policies"]}
        assert set(policies) == {"logs", "glue-codeartifact-start" if role == "FunctionRole" else "glue-codeartifact-refresh"}
        (statement,) = policies["logs"]["PolicyDocument"]["Statement"]
        assert statement["Resource"] == {"Fn::GetAtt": [group, "Arn"]}
    names = {resources[g]["Properties"]["LogGroupName"]["Fn::Sub"] for g in ["FunctionLogGroup", "RefreshFunctionLogGroup"]}
    assert names == {"/aws/lambda/${AWS::StackName}", "/aws/lambda/${AWS::StackName}-refresh"}


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


def test_allowed_event_overrides_pattern(template):
    # GLUE_CODEARTIFACT_ALLOWED_EVENT_OVERRIDES: the fields, and run arguments
    # by name or pattern (crates/lambda/src/settings.rs checks the rest:
    # Glue's internal names, patterns that would match Glue's parameters).
    param = template["Parameters"]["AllowedEventOverrides"]
    assert param["Default"] == "none"
    pattern = re.compile(param["AllowedPattern"])
    for ok in ["none", "duration", "duration,mode", "--day", "mode,--day,--report_*", "--*", "--TempDir"]:
        assert pattern.fullmatch(ok), ok
    for bad in ["", "none,", "day", "--a b", "--a=b", "duration mode", '--a"b', "--x,,--y"]:
        assert not pattern.fullmatch(bad), bad
