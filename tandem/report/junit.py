"""JUnit XML: a small report model, built from outcomes, rendered with ElementTree.

Parse first, render second. `build_report` turns outcomes into the model, `finish`
sanitises and bounds every string and makes names unique, `render` turns the model
into an ElementTree and `write_report` writes it as us-ascii (anything else becomes a
character reference) through a temporary file in the target directory.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tandem.model import Outcome, TandemError, TestCase, Verdict
from tandem.report.text import (
    BODY_LIMIT,
    attr_text,
    message_text,
    seconds,
    utc_timestamp,
    xml_text,
)

FLAVOURS = ("strict", "extended")
MIN_BODY_LIMIT = 1024
MAX_BYTES = 30_000_000  # GitLab refuses larger files
PRIMARY = ("failure", "error", "skipped")
TRUNCATED = ("tandem.truncated", "true")
Taken = dict[tuple[str, str], int]  # (scope, name) -> the next suffix to try


class Totals(NamedTuple):
    """Test case counts: `failures`, `errors` and `skipped` are subsets of `tests`."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def passed(self) -> int:
        """Cases that neither went red nor were skipped (flaky passes included)."""
        return self.tests - self.failures - self.errors - self.skipped


@dataclass(frozen=True)
class Result:
    """One result element: failure, error, skipped, or an earlier flaky*/rerun* attempt."""

    tag: str
    type: str = ""
    message: str = ""
    text: str = ""


@dataclass(frozen=True)
class Case:
    """One testcase; `results` holds at most one failure/error/skipped, first."""

    classname: str
    name: str
    time: float = 0.0
    results: tuple[Result, ...] = ()
    stdout: str = ""
    stderr: str = ""
    file: str | None = None
    line: int | None = None
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def verdict(self) -> str:
        """`failure`, `error`, `skipped` or `passed`."""
        return next((r.tag for r in self.results if r.tag in PRIMARY), "passed")

    @property
    def flaky(self) -> bool:
        """Passed after failed attempts: its results are all flakyFailure/flakyError."""
        return self.verdict == "passed" and bool(self.results)


@dataclass(frozen=True)
class Suite:
    """One testsuite: a task (project × step), or a suite read from another file."""

    name: str
    cases: tuple[Case, ...]
    time: float = 0.0
    timestamp: str = ""
    hostname: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Report:
    """The whole file: suites in order and the run's wall clock."""

    suites: tuple[Suite, ...]
    time: float = 0.0
    name: str = "tandem"


def count(cases: Iterable[Case]) -> Totals:
    """Totals recomputed from the cases themselves."""
    verdicts = Counter(case.verdict for case in cases)
    tests = sum(verdicts.values())
    return Totals(tests, verdicts["failure"], verdicts["error"], verdicts["skipped"])


def totals(report: Report) -> Totals:
    """Totals of a whole report: (tests, failures, errors, skipped)."""
    return count(case for suite in report.suites for case in suite.cases)


# --- outcomes → model -------------------------------------------------------------


def report_cases(outcome: Outcome) -> tuple[TestCase, ...]:
    """The outcome's cases; a task without any gets one passing `[step]` case."""
    # Jenkins drops suites without testcases and several readers show them as 0 tests.
    task = outcome.task
    return outcome.cases or (TestCase(task.project.name, f"[{task.step.value}]"),)


def build_report(
    outcomes: Iterable[Outcome],
    *,
    elapsed: float,
    hostname: str = "",
    root: Path | None = None,
) -> Report:
    """The report model for a run: one suite per outcome, in order, strings still raw."""
    suites = tuple(_suite(outcome, hostname, root) for outcome in outcomes)
    return Report(suites, time=elapsed)


def _suite(outcome: Outcome, hostname: str, root: Path | None) -> Suite:
    task = outcome.task
    prefix = file_prefix(task.project.path, root)
    properties = (
        ("project", task.project.name),
        ("language", task.project.language),
        ("step", task.step.value),
        *outcome.properties,
    )
    cases = tuple(_case(case, prefix) for case in report_cases(outcome))
    timestamp = utc_timestamp(outcome.started)
    return Suite(task.id, cases, outcome.duration, timestamp, hostname, properties)


def file_prefix(project: Path, root: Path | None) -> str:
    """A project's directory relative to the root, "/"-ended; "" for the root itself."""
    if root is None or not project.is_relative_to(root) or project == root:
        return ""
    return project.relative_to(root).as_posix() + "/"


def _case(case: TestCase, prefix: str) -> Case:
    results = _attempts(case)
    if case.verdict is not Verdict.PASSED:
        verdict = Result(case.verdict.value, case.type, case.message, case.text)
        results = (verdict, *results)
    file = prefix + case.file if case.file else None
    return Case(
        case.classname,
        case.name,
        case.time,
        results,
        case.stdout,
        case.stderr,
        file,
        case.line,
        case.properties,
    )


def _attempts(case: TestCase) -> tuple[Result, ...]:
    kind = "flaky" if case.verdict is Verdict.PASSED else "rerun"
    return tuple(
        Result(
            kind + ("Error" if attempt.verdict is Verdict.ERROR else "Failure"),
            case.type,
            attempt.message,
            attempt.text,
        )
        for attempt in case.attempts
    )


# --- sanitising, bounds and identity ----------------------------------------------


def finish(report: Report, limit: int = BODY_LIMIT) -> Report:
    """Every string cleaned and bounded; suite names and (classname, name) pairs made unique."""
    suite_names: dict[tuple[str, str], int] = {}
    case_names: dict[tuple[str, str], int] = {}
    suites = tuple(
        _finish_suite(s, limit, suite_names, case_names) for s in report.suites
    )
    return Report(suites, report.time, attr_text(report.name))


def _finish_suite(suite: Suite, limit: int, names: Taken, case_names: Taken) -> Suite:
    cases = tuple(_finish_case(case, limit, case_names) for case in suite.cases)
    marks = (TRUNCATED,) if limit < BODY_LIMIT else ()
    return Suite(
        _unique("", attr_text(suite.name), names),
        cases,
        suite.time,
        attr_text(suite.timestamp),
        attr_text(suite.hostname),
        _properties(suite.properties) + marks,
        xml_text(suite.stdout, limit),
        xml_text(suite.stderr, limit),
    )


def _finish_case(case: Case, limit: int, taken: Taken) -> Case:
    classname = attr_text(case.classname)
    name = _unique(classname, attr_text(case.name), taken)
    results = tuple(_finish_result(result, limit) for result in case.results)
    # Output of passing tests is noise in every reader and the bulk of a large file.
    quiet = case.verdict == "passed"
    stdout = _stdout(case, limit)
    stderr = "" if quiet else xml_text(case.stderr, limit)
    file = attr_text(case.file) if case.file else None
    line = case.line if case.line and case.line > 0 else None
    properties = _properties(case.properties)
    return Case(
        classname, name, case.time, results, stdout, stderr, file, line, properties
    )


def _stdout(case: Case, limit: int) -> str:
    """A red case's output; a flaky pass's, or a line saying how often it failed; else none."""
    if case.flaky:
        return xml_text(case.stdout or flaky_note(len(case.results)), limit)
    return "" if case.verdict == "passed" else xml_text(case.stdout, limit)


def flaky_note(failed: int) -> str:
    """The `<system-out>` of a flaky pass, so that it has a child that is no flaky* element."""
    return f"passed after {failed} failed attempt{'s' if failed > 1 else ''}"


def _finish_result(result: Result, limit: int) -> Result:
    # flaky* and rerun* elements require a type.
    kind = result.type or ("" if result.tag in PRIMARY else "unknown")
    return Result(
        result.tag,
        attr_text(kind),
        message_text(result.message or result.text),
        xml_text(result.text, limit),
    )


def _properties(pairs: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((attr_text(name), attr_text(value)) for name, value in pairs)


def _unique(scope: str, name: str, taken: Taken) -> str:
    """`name`, or `name #2`, `name #3`... when (scope, name) is taken already."""
    key = (scope, name)
    while key in taken:
        suffix = taken[key]
        taken[key] = suffix + 1
        candidate = f"{name} #{suffix}"
        if (scope, candidate) not in taken:
            taken[(scope, candidate)] = 2
            return candidate
    taken[key] = 2
    return name


# --- model → XML ------------------------------------------------------------------


def check_flavour(flavour: str) -> str:
    """`flavour` itself, or a TandemError naming the ones that exist."""
    if flavour not in FLAVOURS:
        raise TandemError(f"unknown report flavour {flavour!r}: use strict or extended")
    return flavour


def render(report: Report, flavour: str = "strict") -> ET.Element:
    """The `<testsuites>` element for a finished report, indented."""
    extended = check_flavour(flavour) == "extended"
    attrs = {
        "name": report.name,
        **_counts(totals(report)),
        "time": seconds(report.time),
    }
    if not extended:
        del attrs["skipped"]  # junit-10 rejects it on the root
    root = ET.Element("testsuites", attrs)
    root.extend(
        _suite_element(suite, index, extended)
        for index, suite in enumerate(report.suites)
    )
    ET.indent(root)
    return root


def _suite_element(suite: Suite, index: int, extended: bool) -> ET.Element:
    attrs = {
        "name": suite.name,
        **_counts(count(suite.cases)),
        "time": seconds(suite.time),
    }
    if suite.timestamp:
        attrs["timestamp"] = suite.timestamp
    if suite.hostname:
        attrs["hostname"] = suite.hostname
    attrs["id"] = str(index)
    element = ET.Element("testsuite", attrs)
    if suite.properties:
        element.append(_properties_element(suite.properties))
    element.extend(_case_element(case, extended) for case in suite.cases)
    _output(element, suite.stdout, suite.stderr)
    return element


def _case_element(case: Case, extended: bool) -> ET.Element:
    attrs = {"classname": case.classname, "name": case.name, "time": seconds(case.time)}
    if extended and case.file:
        attrs["file"] = case.file
    if extended and case.line:
        attrs["line"] = str(case.line)
    element = ET.Element("testcase", attrs)
    if extended and case.properties:
        element.append(_properties_element(case.properties))
    # xunit-viewer's status is failure, error or skipped, else the first other child's tag: a
    # flaky pass that opened with flakyFailure would be neither passed nor failed. <system-out>
    # reads as passed there, so it comes first.
    if case.flaky:
        _output(element, case.stdout, case.stderr)
    for result in case.results:
        attrs = {"type": result.type} if result.type else {}
        if result.message:
            attrs["message"] = result.message
        ET.SubElement(element, result.tag, attrs).text = result.text or None
    if not case.flaky:
        _output(element, case.stdout, case.stderr)
    return element


def _counts(sums: Totals) -> dict[str, str]:
    return {key: str(value) for key, value in sums._asdict().items()}


def _properties_element(pairs: Sequence[tuple[str, str]]) -> ET.Element:
    element = ET.Element("properties")
    for name, value in pairs:
        ET.SubElement(element, "property", name=name, value=value)
    return element


def _output(element: ET.Element, stdout: str, stderr: str) -> None:
    if stdout:
        ET.SubElement(element, "system-out").text = stdout
    if stderr:
        ET.SubElement(element, "system-err").text = stderr


# --- writing ----------------------------------------------------------------------


def write_junit(
    path: Path,
    outcomes: Iterable[Outcome],
    *,
    flavour: str = "strict",
    elapsed: float,
    hostname: str | None = None,
    root: Path | None = None,
) -> Report:
    """Write the run's JUnit report to `path` atomically; return the model that was written."""
    host = os.uname().nodename if hostname is None else hostname
    report = build_report(outcomes, elapsed=elapsed, hostname=host, root=root)
    return write_report(path, report, flavour)


def write_report(
    path: Path, report: Report, flavour: str = "strict", *, max_bytes: int = MAX_BYTES
) -> Report:
    """Finish and write `report` atomically, halving the body bound until the file fits."""
    check_flavour(flavour)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        written = _write_fitting(temp, report, flavour, max_bytes)
        temp.chmod(0o644)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return written


def _write_fitting(temp: Path, report: Report, flavour: str, max_bytes: int) -> Report:
    limit = BODY_LIMIT
    while True:
        written = finish(report, limit)
        with temp.open("wb") as out:
            ET.ElementTree(render(written, flavour)).write(
                out, encoding="us-ascii", xml_declaration=True
            )
            out.write(b"\n")
        if temp.stat().st_size < max_bytes or limit <= MIN_BODY_LIMIT:
            return written
        limit //= 2
