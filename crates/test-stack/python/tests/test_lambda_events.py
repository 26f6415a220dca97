"""docs/lambda-event.schema.json: every example event in docs/events/ is valid,
and the events the function refuses are invalid too.

The Rust side (crates/lambda/tests/events.rs) parses the same examples with
the function's own event type.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[4]
SCHEMA_PATH = REPO / "docs" / "lambda-event.schema.json"
EXAMPLES = sorted((REPO / "docs" / "events").glob("*.json"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_one_example_per_trigger_kind():
    assert [p.stem for p in EXAMPLES] == [
        "eventbridge-rule",
        "manual",
        "scheduler-refresh",  # sorted by file name: "-" before "."
        "scheduler",
        "step-functions",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid(validator, path: Path):
    validator.validate(json.loads(path.read_text()))


def test_schema_examples_are_valid(validator):
    for example in validator.schema["examples"]:
        validator.validate(example)


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"arguments": {"--day": "1"}},
        {"job_name": ""},
        {"job_name": " padded"},
        {"job_name": 42},
        {"job_name": "j", "typo": 1},
        {"job_name": "j", "arguments": {"--day": 1}},
        {"job_name": "j", "arguments": {"day": "1"}},
        {"job_name": "j", "arguments": {"--a=b": "1"}},
        {"job_name": "j", "arguments": {"--JOB_NAME": "x"}},
        {"job_name": "j", "arguments": ["--day=1"]},
        {"job_name": "j", "duration": 3600},
        {"job_name": "j", "duration": "soon"},
        {"job_name": "j", "mode": "pip"},
        {"job_name": "j", "preflight": "yes"},
        {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
        "nightly-etl",
        ["nightly-etl"],
        # Refresh events (docs/bad-inputs.md, refresh-*).
        {"refresh": {}},
        {"refresh": None},
        {"refresh": {"job_names": ["j"], "tags": {"team": "data"}}},
        {"refresh": {"jobs": ["j"]}},
        {"refresh": {"tags": {"team": "data"}}, "job_name": "j"},
        {"refresh": {"job_names": ["j"]}, "arguments": {"--day": "1"}},
        {"refresh": {"job_names": ["j"]}, "preflight": True},
        {"refresh": {"job_names": []}},
        {"refresh": {"job_names": "j"}},
        {"refresh": {"job_names": ["j", 5]}},
        {"refresh": {"job_names": [" j"]}},
        {"refresh": {"job_names": ["j\nx"]}},
        {"refresh": {"job_names": [f"j{i}" for i in range(51)]}},
        {"refresh": {"job_names": None, "tags": None}},
        {"refresh": {"tags": {}}},
        {"refresh": {"tags": {"team": 1}}},
        {"refresh": {"tags": {" ": "data"}}},
        {"refresh": {"tags": {"team": "a" * 257}}},
        {"refresh": {"tags": {"team": "data"}}, "duration": "0"},
        {"refresh": {"tags": {"team": "data"}}, "duration": 43200},
        {"refresh": {"tags": {"team": "data"}}, "mode": "pip"},
    ],
    ids=repr,
)
def test_what_the_function_refuses_the_schema_refuses(validator, event):
    assert not validator.is_valid(event)


@pytest.mark.parametrize(
    "event",
    [
        {"job_name": "j", "duration": None, "mode": None},
        {"job_name": "j", "duration": "900"},
        {"job_name": "j", "duration": "1h 30m"},
        {"job_name": "j", "arguments": {}},
        {"job_name": "a job with spaces"},
        {"refresh": {"job_names": ["nightly-etl", "reports"]}},
        {"refresh": {"tags": {"team": "data", "env": ""}}, "duration": "12h", "mode": "index-url"},
        {"refresh": {"job_names": ["j"], "tags": None}, "duration": None, "mode": None},
        {"refresh": {"job_names": None, "tags": {"team": "data"}}},
    ],
    ids=repr,
)
def test_what_the_function_accepts_the_schema_accepts(validator, event):
    validator.validate(event)
