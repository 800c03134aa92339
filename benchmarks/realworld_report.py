"""The pure half of `benchmarks.realworld`: the projects, counting their tests, the results table.

Counting follows what Tandem reports. Go: the per-test pass/fail/skip events of `go test -json`
(subtests included), and as errors the packages that failed without a failed test (a build
failure, a crash outside any test). JUnit: every test case by verdict; in Tandem's report only the
`NAME:test` suite, with its passing `[tool]` placeholder cases left out (red ones are counted).

To say why a row differs, each side also keeps its cases by (package or class, name), Tandem's
`NAME/` prefix taken off its classnames, so the two can be compared case by case.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

RED = {"failure": "failed", "error": "errors"}
GO_VERDICTS = {"pass": "passed", "fail": "failed", "skip": "skipped"}
# pytest's own lines (`E   ModuleNotFoundError: No module named 'x'`) say more than its messages
_REASON = re.compile(r"^(?:E\s+)?((?:\w+\.)*\w+(?:Error|Exception): .+)$", re.MULTILINE)
COLUMNS = (
    "project",
    "language",
    "version",
    "native p/f/s/e",
    "tandem p/f/s/e",
    "equal",
    "tree clean",
    "why they differ",
)


@dataclass(frozen=True)
class Project:
    """One pinned project: where it comes from and how its own tools test it."""

    name: str
    language: str  # "python" or "go"
    source: str  # the PyPI name or the Go module path
    version: str
    digest: str  # the sdist's sha256, or the module's h1: sum
    tests: str = ""  # Python: "group:NAME", "extra:NAME", "requirements:FILE" or "none"
    why: str = ""


@dataclass(frozen=True)
class Counts:
    """Test cases by verdict."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0

    def __str__(self) -> str:
        return f"{self.passed}/{self.failed}/{self.skipped}/{self.errors}"


Key = tuple[str, str]  # (package or classname, test name)


@dataclass(frozen=True)
class Side:
    """One side's counts (None: it never got to test), commonest red reason, case verdicts."""

    counts: Counts | None
    note: str = ""
    cases: Mapping[Key, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One project's line in the table."""

    project: Project
    native: Side
    tandem: Side
    dirty: tuple[str, ...]

    @property
    def equal(self) -> bool:
        """Both sides tested, and counted the same."""
        counts = self.native.counts
        return counts is not None and counts == self.tandem.counts

    @property
    def note(self) -> str:
        """Why the row differs, as far as the reports tell."""
        if self.equal:
            return ""
        native, tandem = self.native, self.tandem
        parts = [difference(native.cases, tandem.cases)]
        if native.counts is None:
            parts.append(f"native: {native.note}")
        if tandem.note and tandem.note != native.note:
            parts.append(f"tandem: {tandem.note}")
        return "; ".join(part for part in parts if part)


def difference(native: Mapping[Key, str], tandem: Mapping[Key, str]) -> str:
    """The cases only one side ran, by package or class, and the verdicts that differ."""
    parts = [
        f"{label}: {len(keys)} {_places(keys)}"
        for label, keys in (
            ("only tandem ran", tandem.keys() - native.keys()),
            ("only native ran", native.keys() - tandem.keys()),
        )
        if keys
    ]
    changed = sorted(k for k in native.keys() & tandem.keys() if native[k] != tandem[k])
    shown = ", ".join(f"{_id(k)} {native[k]}->{tandem[k]}" for k in changed[:3])
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    if changed:
        parts.append(f"verdicts differ: {shown}{more}")
    return "; ".join(parts)


def _places(keys: Collection[Key]) -> str:
    places = Counter(place or "(root)" for place, _ in keys)
    shown = ", ".join(f"{n} in {place}" for place, n in places.most_common(2))
    return f"({shown}{', ...' if len(places) > 2 else ''})"


def _id(key: Key) -> str:
    return f"{key[0]}::{key[1]}" if key[0] else key[1]


def go_side(stdout: str, module: str) -> Side:
    """A `go test -json` stream's counts and cases, keyed by package dir within the module."""
    cases = {}
    for event in _events(stdout):
        test, verdict = event.get("Test"), GO_VERDICTS.get(event.get("Action", ""))
        if test and verdict:
            cases[(_package_dir(event.get("Package", ""), module), test)] = verdict
    return Side(go_counts(stdout), "", cases)


def _events(stdout: str) -> Iterable[dict]:
    for line in stdout.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def _package_dir(package: str, module: str) -> str:
    return package[len(module) :].strip("/") if package.startswith(module) else package


def go_counts(stdout: str) -> Counts:
    """Per-test pass/fail/skip events; errors: packages that failed with no failed test."""
    found: Counter[str] = Counter()
    failed_packages, with_failed_test = set(), set()
    for event in _events(stdout):
        action, package = event.get("Action"), event.get("Package")
        if event.get("Test") and action in ("pass", "fail", "skip"):
            found[action] += 1
            if action == "fail":
                with_failed_test.add(package)
        elif action == "fail" and package:
            failed_packages.add(package)
    errors = len(failed_packages - with_failed_test)
    return Counts(found["pass"], found["fail"], found["skip"], errors)


def junit_side(report: Path) -> Side:
    """Every test case of a JUnit file by verdict, and the commonest reason among red ones."""
    cases = list(ET.parse(report).getroot().iter("testcase"))
    return Side(count_cases(cases), why(cases), verdicts(cases))


def tandem_sides(report: Path, projects: Iterable[Project]) -> dict[str, Side]:
    """Each project's counts in Tandem's report, and what its red test (else build) cases say."""
    suites = {s.get("name"): s for s in ET.parse(report).getroot().iter("testsuite")}
    sides = {}
    for p in projects:
        test = suites.get(f"{p.name}:test")
        if test is None:
            sides[p.name] = Side(Counts(), "no test suite in the report")
            continue
        cases = list(test.iter("testcase"))
        build = suites.get(f"{p.name}:build")
        build_cases = [] if build is None else list(build.iter("testcase"))
        counts = count_cases(cases, placeholders=True)
        note = why(cases) or why(build_cases)
        sides[p.name] = Side(counts, note, verdicts(cases, prefix=p.name))
    return sides


def count_cases(cases: Iterable[ET.Element], placeholders: bool = False) -> Counts:
    """Test cases by verdict; with `placeholders`, passing `[tool]` step cases left out."""
    found: Counter[str] = Counter()
    for case in cases:
        verdict = _verdict(case)
        if placeholders and verdict == "passed" and _is_step(case):
            continue
        found[verdict] += 1
    return Counts(found["passed"], found["failed"], found["skipped"], found["errors"])


def verdicts(cases: Iterable[ET.Element], prefix: str = "") -> dict[Key, str]:
    """Each case's verdict by (classname without `prefix/`, name); passing step cases left out."""
    found = {}
    for case in cases:
        verdict = _verdict(case)
        if not (verdict == "passed" and _is_step(case)):
            classname = _unprefixed(case.get("classname", ""), prefix)
            found[(classname, case.get("name", ""))] = verdict
    return found


def _unprefixed(classname: str, prefix: str) -> str:
    if not prefix:
        return classname
    return "" if classname == prefix else classname.removeprefix(f"{prefix}/")


def _is_step(case: ET.Element) -> bool:
    return case.get("name", "").startswith("[")


def _verdict(case: ET.Element) -> str:
    tags = {child.tag for child in case}
    for tag, verdict in (*RED.items(), ("skipped", "skipped")):
        if tag in tags:
            return verdict
    return "passed"


def why(cases: Sequence[ET.Element]) -> str:
    """The commonest reason among red cases, with how many cases gave it."""
    reasons = Counter(_reason(c) for c in cases if _verdict(c) in RED.values())
    if not reasons:
        return ""
    reason, count = reasons.most_common(1)[0]
    return f"{count}x {reason}" if count > 1 else reason


def _reason(case: ET.Element) -> str:
    red = next(child for child in case if child.tag in RED)
    text = red.text or ""
    found = _REASON.search(text)
    message = found[1] if found else (red.get("message") or text).strip()
    first = message.splitlines()[0] if message else red.tag
    step = f"{case.get('name')} " if _is_step(case) else ""
    return f"{step}{first}"[:160]


def table(rows: Sequence[Row]) -> str:
    """The Markdown table; counts are passed/failed/skipped/errors."""
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("--:" if "/" in c else "---" for c in COLUMNS) + "|",
    ]
    for r in rows:
        cells = (
            r.project.name,
            r.project.language,
            r.project.version,
            _counts(r.native),
            _counts(r.tandem),
            "yes" if r.equal else "**no**",
            "yes" if not r.dirty else "**no**",
            r.note.replace("|", "\\|").replace("\n", " "),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _counts(side: Side) -> str:
    return "not run" if side.counts is None else str(side.counts)


def document(rows: Sequence[Row], header: Sequence[str]) -> str:
    """The results file: how it was run, the table, the unclean trees, the projects."""
    parts = [
        "# Tandem on real projects",
        "",
        "Written by `python -m benchmarks.realworld` (`nox -s realworld`); its docstring says",
        "how each side is run and counted. Counts are passed/failed/skipped/errors.",
        "",
        *header,
        "",
        table(rows),
        "",
        *_unclean(rows),
        "The projects, pinned in `benchmarks/realworld.toml`:",
        "",
        *(f"- {r.project.name} {r.project.version}: {r.project.why}" for r in rows),
    ]
    return "\n".join(parts) + "\n"


def _unclean(rows: Sequence[Row]) -> list[str]:
    lines = []
    for r in (r for r in rows if r.dirty):
        shown = ", ".join(f"`{line}`" for line in r.dirty[:6])
        more = f" and {len(r.dirty) - 6} more" if len(r.dirty) > 6 else ""
        lines.append(f"- {r.project.name}: {shown}{more}")
    if not lines:
        return []
    return ["`git status --porcelain` after `tandem check`:", "", *lines, ""]
