"""Fixtures for report tests: hand-built outcomes, golden files and every reader's view of a report."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import xmlschema
from junit2htmlreport.parser import Junit
from junitparser import Error, Failure, JUnitXml, Skipped

from tandem.model import Attempt, Outcome, Project, Step, Task, TestCase, Verdict
from tandem.report import Totals

HERE = Path(__file__).parent
DATA = HERE.parent / "data" / "report"
SCHEMA = HERE.parent / "schemas" / "junit-10.xsd"
STARTED = datetime(2026, 1, 15, 10, 4, 5, tzinfo=UTC)
VERDICTS = ("failure", "error", "skipped")

MakeOutcome = Callable[..., Outcome]
CheckReport = Callable[..., Totals]


def make_outcome(
    project: str,
    step: Step,
    *cases: TestCase,
    language: str = "go",
    duration: float = 1.0,
    started: datetime = STARTED,
    properties: tuple[tuple[str, str], ...] = (),
) -> Outcome:
    """An outcome of `project`'s `step` holding `cases`."""
    task = Task(Project(project, language, Path("/repo/projects") / project), step)
    return Outcome(task, cases, started, duration, properties)


@pytest.fixture
def outcome() -> MakeOutcome:
    """A function building one outcome from hand-made cases."""
    return make_outcome


def _go_cases() -> tuple[TestCase, ...]:
    pkg = "svc-a/internal/driver"
    return (
        TestCase(pkg, "TestPass", 0.0123, stdout="passing output is not kept\n"),
        TestCase(
            pkg,
            "TestSub/b_c",
            0.5,
            Verdict.FAILURE,
            "go.test",
            "driver_test.go:41: want 3, got 2\nsecond line",
            "=== RUN   TestSub/b_c\n\x1b[31m    driver_test.go:41: want 3, got 2\x1b[0m\n",
            stdout="captured stdout\n",
            stderr="captured stderr\n",
        ),
        TestCase(
            pkg,
            "TestFlaky",
            0.25,
            type="go.test",
            attempts=(
                Attempt(Verdict.FAILURE, "Failed", "first attempt"),
                Attempt(Verdict.ERROR, "", "panic: second attempt\n"),
            ),
        ),
        TestCase(
            pkg,
            "TestRerun",
            0.75,
            Verdict.FAILURE,
            "go.test",
            "Failed",
            "third attempt",
            attempts=(
                Attempt(Verdict.FAILURE, "Failed", "first"),
                Attempt(Verdict.ERROR, "panic", "second"),
            ),
        ),
        TestCase(
            pkg,
            "TestControl",
            0.0,
            Verdict.FAILURE,
            "go.test",
            "nul\x00 bell\x07",
            "nul\x00 bell\x07 surrogate\udc80 fffe\ufffe esc\x1b]0;title\x07 del\x7f\n",
        ),
        TestCase(
            pkg,
            "TestUnicode/é ü 日本 \U0001f600",
            0.001,
            Verdict.FAILURE,
            "go.test",
            "want «é», got ‘e’",
            "naïve café ☕\n",
        ),
        TestCase(
            pkg,
            "TestLong",
            1.5,
            Verdict.FAILURE,
            "go.test",
            "x" * 300,
            "".join(f"line {i:06d} of a very long output\n" for i in range(3000)),
        ),
        TestCase(pkg, "TestSub/b_c", 0.1, Verdict.PASSED),
        TestCase(
            pkg,
            "TestSkip",
            0.0,
            Verdict.SKIPPED,
            "go.skip",
            "driver_test.go:9: not on CI",
        ),
        TestCase(
            "svc-a/broken",
            "[build failed]",
            0.0,
            Verdict.ERROR,
            "go.build",
            "build failed",
            "broken/b.go:5:28: undefined: fn\n",
        ),
        TestCase(
            "svc-a",
            "[go test]",
            -1.0,
            Verdict.ERROR,
            "go.test",
            "",
            "\n\n  exit status 2\n",
        ),
    )


def _python_cases() -> tuple[TestCase, ...]:
    return (
        TestCase(
            "svc-b/tests.test_api.TestLogin",
            "test_x[a/b c]",
            0.02,
            file="tests/test_api.py",
            line=12,
            properties=(("owner", "team-b"),),
        ),
        TestCase(
            "svc-b/tests.test_api.TestLogin",
            "test_y",
            0.03,
            Verdict.FAILURE,
            "pytest",
            "AssertionError: <&\"'>",
            "def test_y():\n>   assert 1 == 2\n",
            file="tests/test_api.py",
            line=20,
        ),
        TestCase(
            "svc-b/(collection)",
            "tests/test_bad.py",
            0.0,
            Verdict.ERROR,
            "pytest.collection",
            "ImportError",
            "E   ModuleNotFoundError: No module 'x'\n",
        ),
    )


def golden_outcomes() -> tuple[Outcome, ...]:
    """One run touching every case kind the report knows, with fixed times."""
    east = timezone(timedelta(hours=2))
    return (
        make_outcome(
            "svc-a",
            Step.TEST,
            *_go_cases(),
            duration=2.0244,
            properties=(("go.version", "go1.24.4"),),
        ),
        make_outcome(
            "svc-a",
            Step.VET,
            TestCase(
                "svc-a", "[go vet]", 0.0, Verdict.SKIPPED, message="svc-a:build failed"
            ),
            duration=0.0,
        ),
        make_outcome(
            "svc-b",
            Step.FMT,
            TestCase(
                "svc-b/app",
                "black: app/cli.py",
                0.0,
                Verdict.FAILURE,
                "fmt.black",
                "would reformat",
                "--- app/cli.py\n+++ b\n",
                file="app/cli.py",
                line=1,
            ),
            language="python",
            duration=0.31,
            started=STARTED.astimezone(east),
        ),
        make_outcome(
            "svc-b",
            Step.TEST,
            *_python_cases(),
            language="python",
            duration=1.5,
            properties=(("python.version", "3.11.7"),),
        ),
        make_outcome("svc-c", Step.BUILD, language="go", duration=0.4),
        make_outcome(
            "svc-c",
            Step.TEST,
            TestCase("svc-a/internal/driver", "TestPass"),
            language="go",
            duration=0.1,
        ),
    )


@pytest.fixture(name="golden_outcomes")
def golden_outcomes_fixture() -> tuple[Outcome, ...]:
    """The outcomes behind the golden report files."""
    return golden_outcomes()


@pytest.fixture
def golden() -> Callable[[str, bytes], None]:
    """Compare bytes with tests/data/report/<name>; TANDEM_UPDATE_GOLDEN=1 rewrites the file."""

    def compare(name: str, actual: bytes) -> None:
        path = DATA / name
        if os.environ.get("TANDEM_UPDATE_GOLDEN") == "1":
            path.write_bytes(actual)
        assert (
            actual == path.read_bytes()
        ), f"{name} changed; TANDEM_UPDATE_GOLDEN=1 rewrites it"

    return compare


@pytest.fixture(scope="session")
def junit10() -> xmlschema.XMLSchema:
    """Jenkins xUnit's junit-10.xsd."""
    return xmlschema.XMLSchema(str(SCHEMA))


def own_totals(root: ET.Element) -> Totals:
    """Counts read from the elements themselves, checked against every level's attributes."""
    grand: Counter[str] = Counter()
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        verdicts = Counter(
            child.tag for case in cases for child in case if child.tag in VERDICTS
        )
        assert all(sum(child.tag in VERDICTS for child in case) <= 1 for case in cases)
        counts = {"tests": len(cases), "failures": verdicts["failure"]}
        counts.update(errors=verdicts["error"], skipped=verdicts["skipped"])
        assert {key: int(suite.get(key, "-1")) for key in counts} == counts
        grand.update(counts)
    assert {
        key: int(root.get(key, "-1")) for key in ("tests", "failures", "errors")
    } == {key: grand[key] for key in ("tests", "failures", "errors")}
    return Totals(grand["tests"], grand["failures"], grand["errors"], grand["skipped"])


def junitparser_totals(path: Path) -> Totals:
    """What junitparser counts, from the testcases it parses."""
    cases = [case for suite in JUnitXml.fromfile(str(path)) for case in suite]
    kinds = Counter(type(result) for case in cases for result in case.result)
    return Totals(len(cases), kinds[Failure], kinds[Error], kinds[Skipped])


XUNIT_VIEWER_RANK = ("failure", "error", "passed", "skipped")


def xunit_viewer_status(case: ET.Element) -> str:
    """A case's status as xunit-viewer 10.6.1 reads it (src/cli/parse.js): failure, error or
    skipped, else the first other child's tag (properties aside), `system-out` meaning passed.
    """
    tags = [child.tag for child in case if child.tag != "properties"]
    last = len(XUNIT_VIEWER_RANK)
    tags.sort(
        key=lambda t: XUNIT_VIEWER_RANK.index(t) if t in XUNIT_VIEWER_RANK else last
    )
    status = tags[0] if tags else "passed"
    return "passed" if status == "system-out" else status


def junit2html_totals(path: Path) -> tuple[int, int, int]:
    """What junit2html counts: (tests, failed including errors, skipped)."""
    suites = list(Junit(str(path)))
    tests = sum(len(suite.all()) for suite in suites)
    return (
        tests,
        sum(len(s.failed()) for s in suites),
        sum(len(s.skipped()) for s in suites),
    )


@pytest.fixture
def check_report(junit10: xmlschema.XMLSchema) -> CheckReport:
    """A function that reads a report every way we know and returns the totals all agree on."""

    def check(path: Path, flavour: str = "strict") -> Totals:
        data = path.read_bytes()
        data.decode("ascii")
        assert len(data) < 30_000_000
        root = ET.fromstring(data)
        pairs = [
            (case.get("classname"), case.get("name")) for case in root.iter("testcase")
        ]
        assert len(pairs) == len(set(pairs)), "duplicate (classname, name)"
        names = [suite.get("name") for suite in root.iter("testsuite")]
        assert len(names) == len(set(names)), "duplicate suite name"
        if flavour == "strict":
            assert list(junit10.iter_errors(str(path))) == []
        totals = own_totals(root)
        assert junitparser_totals(path) == totals
        red = totals.failures + totals.errors
        assert junit2html_totals(path) == (totals.tests, red, totals.skipped)
        viewed = Counter(xunit_viewer_status(case) for case in root.iter("testcase"))
        assert viewed == Counter(
            failure=totals.failures,
            error=totals.errors,
            skipped=totals.skipped,
            passed=totals.passed,
        )
        return totals

    return check
