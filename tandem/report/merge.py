"""`tandem merge`: read JUnit files (Tandem's or other tools') and write one report.

Every suite and case is kept exactly once: a suite found identical in two inputs
(the same shard passed twice) is written once; same-named suites of different inputs (one
task's parts, run by different shards) become one suite holding all their cases, while
same-named suites of one input get distinct names; counts are recomputed and the result is
written atomically.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tandem.mask import Masker
from tandem.model import TandemError
from tandem.report.junit import (
    PRIMARY,
    Case,
    Report,
    Result,
    Suite,
    Totals,
    totals,
    write_report,
)
from tandem.report.text import utc_timestamp

ROOTS = ("testsuites", "testsuite")
RESULTS = (*PRIMARY, "flakyFailure", "flakyError", "rerunFailure", "rerunError")
NO_SECRETS = Masker()


def merge_reports(
    out: Path,
    inputs: Sequence[Path],
    flavour: str = "strict",
    masker: Masker = NO_SECRETS,
) -> Totals:
    """Merge the JUnit files `inputs` into `out`, secrets masked; return the merged totals."""
    if not inputs:
        raise TandemError("merge: no input files")
    reports = [read_junit(Path(path)) for path in inputs]
    # Shards run side by side, so the merged run took as long as the longest one.
    elapsed = max(report.time for report in reports)
    merged = masker.deep(Report(combined(reports), elapsed))
    try:
        return totals(write_report(Path(out), merged, flavour))
    except OSError as exc:
        raise TandemError(f"cannot write {out} ({exc.strerror or exc})") from None


def combined(reports: Sequence[Report]) -> tuple[Suite, ...]:
    """The reports' suites, each once; the n-th suite of a name in each input joined as one."""
    groups: dict[tuple[str, int], list[Suite]] = {}
    seen: set[Suite] = set()
    for report in reports:
        nth: Counter[str] = Counter()
        for suite in report.suites:
            if suite not in seen:
                seen.add(suite)
                groups.setdefault((suite.name, nth[suite.name]), []).append(suite)
                nth[suite.name] += 1
    return tuple(_joined(group) for group in groups.values())


def _joined(suites: list[Suite]) -> Suite:
    """Suites of one name from different inputs (a task's parts) as one suite."""
    if len(suites) == 1:
        return suites[0]
    stamps = [suite.timestamp for suite in suites if suite.timestamp]
    hosts = {suite.hostname for suite in suites}
    return Suite(
        suites[0].name,
        _parts_cases([case for suite in suites for case in suite.cases]),
        sum(suite.time for suite in suites),  # the task's time, all its parts together
        min(stamps, default=""),
        hosts.pop() if len(hosts) == 1 else "",
        tuple(dict.fromkeys(pair for suite in suites for pair in suite.properties)),
        "\n".join(filter(None, (suite.stdout for suite in suites))),
        "\n".join(filter(None, (suite.stderr for suite in suites))),
    )


def _parts_cases(cases: list[Case]) -> tuple[Case, ...]:
    """The cases of a task's parts: each test as it came (a test twice is numbered, to show).

    A `[tool]` or `[step]` case speaks of the step, and each part says it alike: once per
    verdict and message. A green or skipped one (a part that held no test) drops out beside
    other cases, as the whole step would not have written it.
    """
    tests = any(not case.name.startswith("[") for case in cases)
    kept: list[Case] = []
    said: set[tuple[str, str, str, str]] = set()
    for case in cases:
        if case.name.startswith("["):
            key = (case.classname, case.name, case.verdict, _message(case))
            if key in said or (tests and case.verdict in ("passed", "skipped")):
                continue
            said.add(key)
        kept.append(case)
    return tuple(kept)


def _message(case: Case) -> str:
    return case.results[0].message if case.results else ""


def read_junit(path: Path) -> Report:
    """Parse one JUnit file into the report model; TandemError if it is not JUnit."""
    root = _load(path)
    tops = [root] if root.tag == "testsuite" else root.findall("testsuite")
    suites = tuple(suite for top in tops for suite in _suites(top))
    time = _float(root.get("time")) if root.get("time") else sum(s.time for s in suites)
    return Report(suites, time)


def _load(path: Path) -> ET.Element:
    try:
        root = ET.parse(path).getroot()
    except OSError as exc:
        raise TandemError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ET.ParseError as exc:
        raise TandemError(f"{path}: not JUnit XML: {exc}") from None
    if root.tag not in ROOTS:
        raise TandemError(
            f"{path}: not JUnit XML: the root element is <{root.tag}>,"
            " expected <testsuites> or <testsuite>"
        )
    return root


def _suites(element: ET.Element) -> Iterator[Suite]:
    """The suite itself, then any nested suites, flattened."""
    cases = [_case(child) for child in element.findall("testcase")]
    cases += _suite_results(element)
    nested = element.findall("testsuite")
    if cases or not nested:
        yield Suite(
            element.get("name", ""),
            tuple(cases),
            _float(element.get("time")),
            _timestamp(element.get("timestamp", "")),
            element.get("hostname", ""),
            _properties(element),
            _text(element, "system-out"),
            _text(element, "system-err"),
        )
    for child in nested:
        yield from _suites(child)


def _suite_results(element: ET.Element) -> list[Case]:
    """A suite-level failure or error as a testcase, so that no reader shows it green."""
    results = [_result(child) for child in element if child.tag in ("failure", "error")]
    if not results:
        return []
    return [Case(element.get("name", ""), "[suite]", results=_one_verdict(results))]


def _case(element: ET.Element) -> Case:
    results = [_result(child) for child in element if child.tag in RESULTS]
    return Case(
        element.get("classname", ""),
        element.get("name", ""),
        _float(element.get("time")),
        _one_verdict(results),
        _text(element, "system-out"),
        _text(element, "system-err"),
        element.get("file"),
        _int(element.get("line")),
        _properties(element),
    )


def _result(element: ET.Element) -> Result:
    return Result(
        element.tag,
        element.get("type", ""),
        element.get("message", ""),
        element.text or "",
    )


def _one_verdict(results: list[Result]) -> tuple[Result, ...]:
    """At most one failure/error/skipped, first: the worst; the others' text is kept in it."""
    verdicts = [r for r in results if r.tag in PRIMARY]
    others = tuple(r for r in results if r.tag not in PRIMARY)
    if not verdicts:
        return others
    first = next((r for r in verdicts if r.tag != "skipped"), verdicts[0])
    extra = [_folded(r) for r in verdicts if r is not first]
    text = "\n\n".join(part for part in [first.text, *extra] if part)
    return (Result(first.tag, first.type, first.message, text), *others)


def _folded(result: Result) -> str:
    """A result that is not the verdict, as text appended to the verdict."""
    head = f"[{result.tag}] {result.message}".rstrip()
    return f"{head}\n{result.text}" if result.text else head


def _properties(element: ET.Element) -> tuple[tuple[str, str], ...]:
    found = element.findall("properties/property")
    return tuple(
        (prop.get("name", ""), prop.get("value", prop.text or "")) for prop in found
    )


def _text(element: ET.Element, tag: str) -> str:
    return "\n".join(child.text or "" for child in element.findall(tag))


def _timestamp(text: str) -> str:
    """A timestamp in UTC without offset; dropped when unreadable (readers then use "now")."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return ""
    return utc_timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _float(text: str | None) -> float:
    try:
        return float((text or "0").replace(",", ""))
    except ValueError:
        return 0.0


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
