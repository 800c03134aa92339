"""Outcomes to plain data (JSON's types) and back, for the cache to keep and replay.

Reading is strict: data that does not have the shape written here raises `Malformed`, and
the cache then runs the task instead of trusting it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from tandem.model import Attempt, Outcome, Task, TestCase, Verdict

_CASE_FIELDS = tuple(f.name for f in fields(TestCase))


class Malformed(ValueError):
    """Stored data that is not an outcome as written by `outcome_data`."""


def outcome_data(outcome: Outcome) -> dict[str, Any]:
    """The outcome, less its task, as plain data."""
    return {
        "cases": [case_data(case) for case in outcome.cases],
        "started": outcome.started.isoformat(),
        "duration": outcome.duration,
        "properties": [list(pair) for pair in outcome.properties],
        "slots": outcome.slots,
        "cpu": outcome.cpu,
    }


def case_data(case: TestCase) -> dict[str, Any]:
    """One test case as plain data; fields at their defaults are left out."""
    data = {name: getattr(case, name) for name in _CASE_FIELDS}
    data["verdict"] = case.verdict.value
    data["properties"] = [list(pair) for pair in case.properties]
    data["attempts"] = [
        {"verdict": a.verdict.value, "message": a.message, "text": a.text}
        for a in case.attempts
    ]
    return {k: v for k, v in data.items() if v not in ("", None, [], 0.0)}


def outcome_from(task: Task, data: Any) -> Outcome:
    """The outcome `outcome_data` made, for `task`; Malformed when the data is not one."""
    try:
        return Outcome(
            task,
            tuple(case_from(case) for case in data["cases"]),
            datetime.fromisoformat(data["started"]),
            float(data["duration"]),
            _pairs(data["properties"]),
            int(data.get("slots", 0)),
            float(data.get("cpu", 0.0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Malformed(str(exc)) from None


def case_from(data: Mapping[str, Any]) -> TestCase:
    """One test case from `case_data`'s plain data."""
    if not set(data) <= set(_CASE_FIELDS):
        raise Malformed(f"unknown fields {sorted(set(data) - set(_CASE_FIELDS))}")
    text = {k: _text(data, k) for k in ("type", "message", "text", "stdout", "stderr")}
    return TestCase(
        classname=_string(data["classname"]),
        name=_string(data["name"]),
        time=float(data.get("time", 0.0)),
        verdict=Verdict(data.get("verdict", Verdict.PASSED.value)),
        file=_optional(data, "file", str),
        line=_optional(data, "line", int),
        properties=_pairs(data.get("properties", [])),
        attempts=tuple(_attempt(a) for a in data.get("attempts", [])),
        **text,
    )


def _attempt(data: Mapping[str, Any]) -> Attempt:
    return Attempt(
        Verdict(data["verdict"]), _text(data, "message"), _text(data, "text")
    )


def _pairs(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple((_string(k), _string(v)) for k, v in data)


def _text(data: Mapping[str, Any], key: str) -> str:
    return _string(data.get(key, ""))


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed(f"expected text, found {type(value).__name__}")
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise Malformed(f"{key}: expected {kind.__name__}")
    return value
