"""pytest's `--junitxml` report (xunit1 family) → Tandem test cases.

A pure function of what pytest left behind (the report text, the exit code and the output), so
that recorded reports can be golden-tested. The rules are those of the JUnit guide for pytest:
classnames become `<project>/<pytest classname>` (`<project>/(collection)` for collection errors),
lines become 1-based, a failure and its teardown error become one case, the attempts that
pytest-rerunfailures records become `Attempt`s of one case, and the exit code is never
contradicted by an all-green result.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from tandem.adapters.base import tail
from tandem.model import Attempt, TestCase, Verdict

TOOL = "[pytest]"
COLLECTION = "(collection)"
TEARDOWN = "failed on teardown"
NO_TESTS = 5
EXIT_MESSAGES = {
    2: "pytest was interrupted",
    3: "pytest hit an internal error",
    4: "pytest could not start: bad arguments or configuration",
    NO_TESTS: "no tests were collected",
}
_RESULTS = {
    "failure": (Verdict.FAILURE, "pytest.failure"),
    "error": (Verdict.ERROR, "pytest.error"),
    "skipped": (Verdict.SKIPPED, "pytest.skip"),
}
# pytest writes the characters XML forbids as visible text ("#x1B"), so ANSI sequences arrive as
# "#x1B[31m": removed here, where they can still be recognised.
_ANSI = re.compile(r"#x1B\[[0-?]*[ -/]*[@-~]")
_PASSED = ET.Element("passed")  # stands in for the result element a passing case lacks
_SECTION = re.compile(r"^(-+ Captured .*? -+)$", re.MULTILINE)


def to_cases(
    xml: str | None, returncode: int, stdout: str, stderr: str, project: str
) -> tuple[TestCase, ...]:
    """What pytest reported and how it exited → test cases sorted by (classname, name)."""
    output = "\n".join(text for text in (stdout, stderr) if text)
    cases, problem = reported(xml, project)
    if problem:
        return (exit_case(project, returncode, output, problem),)
    return (*cases, *_exit_cases(cases, project, returncode, output))


def reported(xml: str | None, project: str) -> tuple[tuple[TestCase, ...], str]:
    """The report's cases sorted by (classname, name), or why there are none ("" if readable)."""
    if xml is None:
        return (), "it wrote no report"
    try:
        records = parse(xml, project)
    except ET.ParseError as exc:
        return (), f"its report is unreadable ({exc})"
    return tuple(sorted(collapse(records), key=lambda c: (c.classname, c.name))), ""


def parse(xml: str, project: str) -> list[TestCase]:
    """Every `<testcase>` element of a test as a case, in document order, duplicates kept."""
    root = ET.fromstring(xml)
    # pytest opens a test's element at its setup and names it at its call: a nameless one is
    # the test that was running when pytest was stopped, which never passed.
    return [_record(e, project) for e in root.iter("testcase") if e.get("name")]


def case_names(node_id: str, project: str) -> tuple[str, str]:
    """The (classname, name) of the case pytest's junitxml writes for a test, by its node id."""
    # As junitxml's mangle_test_address: the path dotted without ".py", then the classes; the
    # parameters, which may hold "::", "/" or ".", stay whole on the name.
    path, nested, rest = node_id.partition("::")
    inner, bracket, params = rest.partition("[")
    parts = [re.sub(r"\.py$", "", path.replace("/", ".")), *inner.split("::")]
    if not nested:
        parts = parts[:1]
    parts[-1] += bracket + params
    return f"{project}/{'.'.join(parts[:-1]) or COLLECTION}", parts[-1]


def _record(element: ET.Element, project: str) -> TestCase:
    found = next((child for child in element if child.tag in _RESULTS), None)
    result = found if found is not None else _PASSED
    verdict, kind = _RESULTS.get(result.tag, (Verdict.PASSED, ""))
    classname = element.get("classname", "")
    if not classname and verdict is Verdict.ERROR:
        kind = "pytest.collection"
    line = element.get("line", "")
    return TestCase(
        classname=f"{project}/{classname or COLLECTION}",
        name=element.get("name", ""),
        time=_seconds(element.get("time")),
        verdict=verdict,
        type=result.get("type") or kind,
        message=_clean(result.get("message", "")),
        text=_clean(result.text or ""),
        stdout=_captured(element.findtext("system-out") or ""),
        stderr=_captured(element.findtext("system-err") or ""),
        file=element.get("file") or None,
        line=int(line) + 1 if line.isdigit() else None,  # pytest counts from 0
        properties=tuple(
            (p.get("name", ""), p.get("value", "")) for p in element.iter("property")
        ),
    )


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _clean(text: str) -> str:
    return _ANSI.sub("", text)


def _captured(text: str) -> str:
    """Captured output without pytest's empty `Captured ...` sections."""
    pieces = _SECTION.split(_clean(text))
    kept = [pieces[0].strip("\n")] if pieces[0].strip() else []
    for header, body in zip(pieces[1::2], pieces[2::2]):
        if body.strip():
            kept.append(f"{header}\n{body.strip(chr(10))}")
    return "\n".join(kept)


def collapse(records: Iterable[TestCase]) -> list[TestCase]:
    """One case per (classname, name): teardown errors merged, reruns turned into attempts."""
    groups: dict[tuple[str, str], list[TestCase]] = {}
    for record in records:
        groups.setdefault((record.classname, record.name), []).append(record)
    return [_collapse_group(group) for group in groups.values()]


def _collapse_group(group: Sequence[TestCase]) -> TestCase:
    merged: list[TestCase] = []
    for record in group:
        if merged and merged[-1].red and _is_teardown_error(record):
            merged[-1] = _merge_teardown(merged[-1], record)
        else:
            merged.append(record)
    *earlier, last = merged
    attempts = tuple(
        _attempt(record) for record in earlier if record.verdict is not Verdict.SKIPPED
    )
    return replace(last, attempts=(*attempts, *last.attempts)) if attempts else last


def _is_teardown_error(record: TestCase) -> bool:
    return record.verdict is Verdict.ERROR and record.message.startswith(TEARDOWN)


def _merge_teardown(failed: TestCase, teardown: TestCase) -> TestCase:
    """pytest writes a failure and its teardown error as two cases; the failure stays."""
    text = f"{failed.text}\n\n{teardown.message}\n{teardown.text}".strip("\n")
    stdout, stderr = _join(failed.stdout, teardown.stdout), _join(
        failed.stderr, teardown.stderr
    )
    return replace(failed, text=text, stdout=stdout, stderr=stderr)


def _join(first: str, second: str) -> str:
    if second in ("", first):
        return first
    return f"{first}\n{second}" if first else second


def _attempt(record: TestCase) -> Attempt:
    if record.red:
        return Attempt(record.verdict, record.message, record.text)
    # pytest-rerunfailures >= 16.6.1 records earlier attempts as empty (seemingly passed) cases.
    return Attempt(Verdict.FAILURE, "failed; pytest-rerunfailures kept no details")


def node_id(case: TestCase, project: str, root: Path) -> str | None:
    """The node id that runs `case` alone (`tests/test_x.py::Class::test_y[id]`); None if unknown."""
    inside = case.classname.removeprefix(f"{project}/")
    if inside in (case.classname, COLLECTION) or case.name.startswith("["):
        return None
    # pytest's classname is the file's dotted path plus the classes: the longest existing file wins.
    parts = inside.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).is_file():
            return "::".join((path, *parts[cut:], case.name))
    return None


def _exit_cases(
    cases: Sequence[TestCase], project: str, returncode: int, output: str
) -> tuple[TestCase, ...]:
    """The `[pytest]` case the exit code calls for, if any."""
    red = any(case.red for case in cases)
    if returncode == NO_TESTS and not red:
        return (exit_case(project, returncode, output),)
    errored = any(case.verdict is Verdict.ERROR for case in cases)
    if (
        returncode in (3, 4)
        or (returncode == 2 and not errored)
        or (returncode and not red)
    ):
        return (exit_case(project, returncode, output),)
    return ()


def exit_case(
    project: str, returncode: int, output: str, problem: str = ""
) -> TestCase:
    """`[pytest]`: skipped when nothing was collected, else an error carrying the output's tail."""
    if returncode == NO_TESTS and not problem:
        verdict, message = (
            Verdict.SKIPPED,
            f"{EXIT_MESSAGES[NO_TESTS]} (pytest exit code 5)",
        )
    else:
        verdict, message = Verdict.ERROR, _exit_message(returncode)
        message = f"{message}; {problem}" if problem else message
    text = tail(output) if output else message
    return TestCase(
        project, TOOL, verdict=verdict, type="pytest", message=message, text=text
    )


def _exit_message(returncode: int) -> str:
    if returncode < 0:
        return f"pytest was killed by signal {-returncode}"
    return EXIT_MESSAGES.get(returncode, f"pytest exited with code {returncode}")
