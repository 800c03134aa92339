"""Outcomes to plain data and back: whole round trips, compact data, and strict reading."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tandem.cache.codec import Malformed, case_data, outcome_data, outcome_from
from tandem.model import (
    INTERRUPTED,
    Attempt,
    Outcome,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
)

TASK = Task(Project("svc/api", "python", Path("/r/svc/api")), Step.TEST)
FULL = TestCase(
    classname="svc/api/tests",
    name="test_ünïcode[π-✓]",
    time=1.25,
    verdict=Verdict.FAILURE,
    type="pytest.failure",
    message="assert 1 == 2 — “quoted”",
    text="Traceback…\n  line 2\n\tindented\x1b[31m red\x1b[0m",
    stdout="printed 日本語\n",
    stderr="warning: ⚠\n",
    file="tests/test_api.py",
    line=42,
    properties=(("rerun", "pytest tests/test_api.py::x"), ("owner", "ëquipe")),
    attempts=(
        Attempt(Verdict.ERROR, "setup failed", "trace 1"),
        Attempt(Verdict.FAILURE),
    ),
)
OUTCOME = Outcome(
    TASK,
    (
        FULL,
        TestCase("svc/api", "[ruff]"),
        TestCase("svc/api/tests", "test_skip", verdict=Verdict.SKIPPED, message="why"),
        TestCase("svc/api/tests", "test_error", verdict=Verdict.ERROR, line=1),
        TestCase("svc/api", "[step]", type=INTERRUPTED, verdict=Verdict.ERROR),
    ),
    datetime(2026, 5, 9, 7, 35, 25, tzinfo=UTC),
    12.5,
    (("python.version", "Python 3.11.7"), ("uv.version", "uv 0.13.8")),
)


def through_json(data: object) -> object:
    return json.loads(json.dumps(data))


def test_an_outcome_survives_a_round_trip_through_json_whole():
    back = outcome_from(TASK, through_json(outcome_data(OUTCOME)))
    assert back.cases == OUTCOME.cases
    assert back.cases[0].attempts == FULL.attempts
    assert back.properties == OUTCOME.properties
    assert back.started == OUTCOME.started and back.duration == 12.5
    assert back == OUTCOME


def test_the_round_trip_gives_the_outcome_to_the_task_it_is_read_for():
    other = Task(TASK.project, Step.VET)
    assert outcome_from(other, outcome_data(OUTCOME)).task == other


def test_an_outcome_without_cases_or_properties_survives_a_round_trip():
    empty = Outcome(TASK, (), datetime(2026, 1, 1, tzinfo=UTC))
    assert outcome_from(TASK, through_json(outcome_data(empty))) == empty


def test_fields_at_their_defaults_are_left_out_of_the_data():
    assert case_data(TestCase("p", "[gofmt]")) == {
        "classname": "p",
        "name": "[gofmt]",
        "verdict": "passed",
    }
    data = case_data(TestCase("p", "t", time=0.5, line=3))
    assert data == {
        "classname": "p",
        "name": "t",
        "time": 0.5,
        "verdict": "passed",
        "line": 3,
    }


def test_every_field_set_is_in_the_data():
    data = case_data(FULL)
    assert set(data) == {
        "classname",
        "name",
        "time",
        "verdict",
        "type",
        "message",
        "text",
        "stdout",
        "stderr",
        "file",
        "line",
        "properties",
        "attempts",
    }
    assert data["attempts"] == [
        {"verdict": "error", "message": "setup failed", "text": "trace 1"},
        {"verdict": "failure", "message": "", "text": ""},
    ]


def good() -> dict:
    return through_json(outcome_data(OUTCOME))


def broken(change) -> dict:
    data = good()
    change(data)
    return data


MALFORMED = {
    "not a mapping": None,
    "a list": [],
    "no cases": broken(lambda d: d.pop("cases")),
    "no start": broken(lambda d: d.pop("started")),
    "no duration": broken(lambda d: d.pop("duration")),
    "no properties": broken(lambda d: d.pop("properties")),
    "cases not a list": broken(lambda d: d.update(cases=5)),
    "a case not a mapping": broken(lambda d: d.update(cases=[5])),
    "a case as a string": broken(lambda d: d.update(cases=["name"])),
    "a case without a name": broken(lambda d: d["cases"][0].pop("name")),
    "a case without a classname": broken(lambda d: d["cases"][1].pop("classname")),
    "a name not text": broken(lambda d: d["cases"][0].update(name=7)),
    "a message not text": broken(lambda d: d["cases"][0].update(message=["x"])),
    "an unknown field": broken(lambda d: d["cases"][0].update(colour="red")),
    "a bad verdict": broken(lambda d: d["cases"][0].update(verdict="exploded")),
    "a line not a number": broken(lambda d: d["cases"][0].update(line="42")),
    "a file not text": broken(lambda d: d["cases"][0].update(file=3)),
    "a time not a number": broken(lambda d: d["cases"][0].update(time="slow")),
    "a case property not a pair": broken(
        lambda d: d["cases"][0].update(properties=[["only"]])
    ),
    "a case property not text": broken(
        lambda d: d["cases"][0].update(properties=[["k", 1]])
    ),
    "an attempt with a bad verdict": broken(
        lambda d: d["cases"][0]["attempts"][0].update(verdict="meh")
    ),
    "an attempt without a verdict": broken(
        lambda d: d["cases"][0]["attempts"][0].pop("verdict")
    ),
    "an attempt message not text": broken(
        lambda d: d["cases"][0]["attempts"][0].update(message=None)
    ),
    "an attempt not a mapping": broken(lambda d: d["cases"][0].update(attempts=[1])),
    "a start not a date": broken(lambda d: d.update(started="yesterday")),
    "a start not text": broken(lambda d: d.update(started=20260509)),
    "a duration not a number": broken(lambda d: d.update(duration="fast")),
    "properties not pairs": broken(lambda d: d.update(properties=[["a", "b", "c"]])),
    "a property value not text": broken(lambda d: d.update(properties=[["a", None]])),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_data_not_shaped_as_written_is_malformed(data):
    with pytest.raises(Malformed):
        outcome_from(TASK, data)


def test_the_good_data_the_malformed_cases_start_from_is_read():
    assert outcome_from(TASK, good()) == OUTCOME
