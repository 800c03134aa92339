"""Reruns of failed tests: the executor wrapper's rules, the settings, and a whole run by the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from tandem.config import parse_config
from tandem.model import Outcome, Project, Step, TandemError, Task, TestCase, Verdict
from tandem.retry import UNREPORTED, Round, with_retries
from tests.conftest import go_module, write_tree
from tests.report.conftest import (
    junit2html_totals,
    junitparser_totals,
    own_totals,
    xunit_viewer_status,
)

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "schemas" / "junit-10.xsd")
PROJECT = Project("p", "go", Path("/repo/p"))


def red(name: str, message: str = "boom", verdict=Verdict.FAILURE) -> TestCase:
    return TestCase("p/pkg", name, verdict=verdict, type="go.test", message=message)


def green(name: str) -> TestCase:
    return TestCase("p/pkg", name, time=1.0)


class Script:
    """A stand-in for the engine: the first run's cases, then what each round of reruns says."""

    def __init__(self, first: tuple[TestCase, ...], *rounds: Round | None) -> None:
        self.first, self.rounds, self.asked = first, list(rounds), []

    async def execute(self, task: Task, slots: int) -> Outcome:
        return Outcome(task, self.first)

    async def rerun(self, task, slots, failed, budget) -> Round | None:
        self.asked.append(tuple(case.name for case in failed))
        return self.rounds.pop(0)


def retried(
    script: Script, retries: int, project: Project = PROJECT, step: Step = Step.TEST
) -> Outcome:
    execute = with_retries(script.execute, script.rerun, retries, timeout=60.0)
    return asyncio.run(execute(Task(project, step), 1))


def test_only_tests_still_red_run_again_and_the_last_attempt_decides() -> None:
    first = (red("TestA"), red("TestB"), green("TestC"))
    rounds = (
        Round((green("TestA"), red("TestB", "again")), complete=True),
        Round((red("TestB", "third"),), complete=True),
    )
    script = Script(first, *rounds)
    a, b, c = retried(script, retries=2).cases
    assert script.asked == [("TestA", "TestB"), ("TestB",)]
    assert (a.verdict, [x.message for x in a.attempts]) == (Verdict.PASSED, ["boom"])
    assert (a.type, a.time) == ("go.test", 1.0)
    assert (b.verdict, b.message) == (Verdict.FAILURE, "third")
    assert [x.message for x in b.attempts] == ["boom", "again"]
    assert c == green("TestC")


def test_no_round_once_every_test_passed() -> None:
    script = Script((red("TestA"),), Round((green("TestA"),), complete=True))
    (case,) = retried(script, retries=3).cases
    assert script.asked == [("TestA",)] and case.verdict is Verdict.PASSED


@pytest.mark.parametrize(
    "first",
    [
        (red("TestA"), red("[build failed]", verdict=Verdict.ERROR)),
        (red("TestA"), red("[go test]", verdict=Verdict.ERROR)),
        (green("TestA"),),
        # A test named by a timeout or an interrupt: it hung, or Ctrl-C came; no rerun helps.
        (
            red("TestA"),
            replace(red("TestB", verdict=Verdict.ERROR), type="tandem.timeout"),
        ),
        (replace(red("TestA", verdict=Verdict.ERROR), type="tandem.interrupted"),),
    ],
)
def test_a_task_with_a_red_case_that_is_no_test_is_not_retried(first) -> None:
    script = Script(first, Round((), complete=True))
    assert retried(script, retries=2).cases == first
    assert script.asked == []


def test_the_project_setting_wins_and_only_test_tasks_retry() -> None:
    first = (red("TestA"),)
    off = Script(first)
    retried(off, retries=3, project=replace(PROJECT, retries=0))
    on = Script(first, Round((green("TestA"),), complete=True))
    retried(on, retries=0, project=replace(PROJECT, retries=1))
    vet = Script(first)
    retried(vet, retries=3, step=Step.VET)
    assert (off.asked, on.asked, vet.asked) == ([], [("TestA",)], [])


def test_no_round_starts_without_time_left() -> None:
    script = Script((red("TestA"),), Round((green("TestA"),), complete=True))
    (case,) = retried(script, 2, project=replace(PROJECT, timeout=0.5)).cases
    assert script.asked == [] and case == red("TestA")


def test_the_adapter_declining_leaves_the_cases_as_they_were() -> None:
    script = Script((red("TestA"),), None)
    assert retried(script, retries=2).cases == (red("TestA"),)
    assert script.asked == [("TestA",)]


def test_a_rerun_that_does_not_report_its_test_is_a_failed_attempt() -> None:
    said = TestCase("p", "[go test]", verdict=Verdict.ERROR, message="no such dir")
    script = Script((red("TestA"),), Round((said,), complete=True))
    (case,) = retried(script, retries=2).cases
    assert (case.verdict, case.message) == (Verdict.FAILURE, UNREPORTED)
    assert "[go test]: no such dir" in case.text
    assert [a.message for a in case.attempts] == ["boom"]
    assert script.asked == [("TestA",)], "not asked again"


def test_time_running_out_mid_round_adds_no_attempt_and_ends_the_reruns() -> None:
    first = (red("TestA"), red("TestB"))
    cut = Round((red("TestA", "again"),), complete=False)
    script = Script(first, cut, Round((), complete=True))
    a, b = retried(script, retries=3).cases
    assert [x.message for x in a.attempts] == ["boom"]
    assert b == red("TestB") and len(script.asked) == 1


def test_a_skip_on_rerun_keeps_the_failure_and_a_test_reported_twice_counts_worst() -> (
    None
):
    first = (red("TestA"), red("TestP"))
    reported = (TestCase("p/pkg", "TestA", verdict=Verdict.SKIPPED), green("TestP"))
    again = Round((*reported, red("TestP", "sub failed")), complete=True)
    a, p = retried(Script(first, again), retries=1).cases
    assert a == red("TestA")
    assert (p.verdict, p.message, len(p.attempts)) == (Verdict.FAILURE, "sub failed", 1)


def test_retries_is_a_per_project_setting_of_at_least_0() -> None:
    config = parse_config({"projects": {"api": {"retries": 2}, "web": {}}})
    assert (config.overrides["api"].retries, config.overrides["web"].retries) == (
        2,
        None,
    )
    for wrong in (-1, 1.5, True, "2"):
        with pytest.raises(TandemError, match=r"api retries must be a whole number"):
            parse_config({"projects": {"api": {"retries": wrong}}})


FLAKY_GO = {
    "go.mod": go_module("gofl"),
    "flaky_test.go": """
        package gofl

        import (
        \t"os"
        \t"path/filepath"
        \t"testing"
        )

        func TestFlaky(t *testing.T) {
        \tmarker := filepath.Join(os.Getenv("TANDEM_ROOT"), "ran-once")
        \tif _, err := os.Stat(marker); err != nil {
        \t\tos.WriteFile(marker, nil, 0o644)
        \t\tt.Fatal("fails on its first run")
        \t}
        }

        func TestGood(t *testing.T) {}
        """,
}


def tandem(root: Path, *argv: str) -> subprocess.CompletedProcess:
    """`python -m tandem` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "tandem", "--root", str(root), *argv],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )


@pytest.mark.parametrize(
    ("argv", "config", "code"),
    [
        (("--retries", "1"), "", 0),
        ((), "[tool.tandem.projects.gofl]\nretries = 1\n", 0),
        (("--retries", "1"), "[tool.tandem.projects.gofl]\nretries = 0\n", 1),
        ((), "", 1),
    ],
)
@pytest.mark.tools
def test_retries_from_the_command_line_or_the_project(tmp_path, argv, config, code):
    files = {f"gofl/{path}": text for path, text in FLAKY_GO.items()}
    root = write_tree(tmp_path, {**files, "pyproject.toml": f"[tool.tandem]\n{config}"})
    run = tandem(root, "test", *argv)
    assert run.returncode == code, run.stdout + run.stderr
    report = root / "reports" / "junit.xml"
    SCHEMA.validate(str(report))
    cases = {c.get("name"): c for c in ET.parse(report).getroot().iter("testcase")}
    flaky = [child.tag for child in cases["TestFlaky"]]
    if code:
        assert flaky == ["failure"] and "flaky:" not in run.stdout
        return
    assert flaky == ["system-out", "flakyFailure"]
    assert "flaky: 1 (passed on retry): gofl/TestFlaky" in run.stdout
    assert run.stdout.strip().endswith("tandem: 2 passed, 0 failed, 0 skipped")
    totals = own_totals(ET.parse(report).getroot())
    assert (totals.tests, totals.passed) == (2, 2)
    assert junitparser_totals(report) == totals
    assert junit2html_totals(report) == (2, 0, 0)
    assert {xunit_viewer_status(case) for case in cases.values()} == {"passed"}
