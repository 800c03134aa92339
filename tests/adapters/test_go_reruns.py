"""Reruns of failed Go tests with the real go: only the failed tests, each alone, by `-run`."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from pathlib import Path

from tandem.adapters import go
from tandem.engine import executor
from tandem.model import Layout, Outcome, Step, Task, TestCase, Verdict
from tests.gofixtures import context, go_project, write_module

# Each test logs its name and the test binary's arguments to runs.log under TANDEM_ROOT, the
# run's root, and `seen` says how often it ran before: a test can fail only on its first run.
SEEN = {
    "lib/seen_test.go": """
        package lib

        import (
        	"os"
        	"path/filepath"
        	"strings"
        	"testing"
        )

        func seen(t *testing.T) int {
        	log := filepath.Join(os.Getenv("TANDEM_ROOT"), "runs.log")
        	data, _ := os.ReadFile(log)
        	before := 0
        	for _, line := range strings.Split(string(data), "\\n") {
        		if strings.Split(line, "\\t")[0] == t.Name() {
        			before++
        		}
        	}
        	out, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
        	if err != nil {
        		t.Fatal(err)
        	}
        	defer out.Close()
        	out.WriteString(t.Name() + "\\t" + strings.Join(os.Args[1:], " ") + "\\n")
        	return before
        }
        """,
}
FLAKY = {
    **SEEN,
    "lib/flaky_test.go": """
        package lib

        import "testing"

        func TestFlaky(t *testing.T) {
        	if seen(t) == 0 {
        		t.Fatal("fails on its first run")
        	}
        }

        func TestAlways(t *testing.T) {
        	seen(t)
        	t.Fatal("fails every time")
        }

        func TestGood(t *testing.T) { seen(t) }

        func TestTable(t *testing.T) {
        	for _, name := range []string{"ok", "b c"} {
        		t.Run(name, func(t *testing.T) {
        			if seen(t) == 0 && name == "b c" {
        				t.Fatal("fails on its first run")
        			}
        		})
        	}
        }
        """,
}
BROKEN = {
    "broken/broken_test.go": """
        package broken

        import "testing"

        func TestBroken(t *testing.T) { undefinedHelper() }
        """,
}


def run_tests(root: Path, files: dict[str, str], retries: int) -> Outcome:
    """The test task of a module made of `files`, run by the engine with `retries`."""
    project = go_project(write_module(root / "fx", files))
    layout = Layout(root, root / "dist", root / ".tandem")
    execute = executor(layout, 120.0, retries=retries)
    return asyncio.run(execute(Task(project, Step.TEST), 2))


def by_name(outcome: Outcome) -> dict[str, TestCase]:
    return {case.name: case for case in outcome.cases}


def runs(root: Path) -> list[tuple[str, str]]:
    """(test, the test binary's arguments) per run, in order."""
    lines = (root / "runs.log").read_text().splitlines()
    return [tuple(line.split("\t")) for line in lines]


def test_a_flaky_test_passes_on_its_rerun_and_only_failed_tests_run_again(
    tmp_path: Path,
) -> None:
    outcome = run_tests(tmp_path, FLAKY, retries=1)
    cases = by_name(outcome)
    flaky = cases["TestFlaky"]
    assert (flaky.verdict, len(flaky.attempts)) == (Verdict.PASSED, 1)
    assert flaky.attempts[0].verdict is Verdict.FAILURE
    assert flaky.attempts[0].message == "flaky_test.go:7: fails on its first run"
    assert (flaky.type, flaky.classname) == ("go.test", "fx/lib")
    always = cases["TestAlways"]
    assert (always.verdict, len(always.attempts)) == (Verdict.FAILURE, 1)
    for name in ("TestTable", "TestTable/b_c"):
        assert (cases[name].verdict, len(cases[name].attempts)) == (Verdict.PASSED, 1)
    for name in ("TestGood", "TestTable/ok"):
        assert (cases[name].verdict, cases[name].attempts) == (Verdict.PASSED, ())
    assert not outcome, "TestAlways still fails"
    counted = Counter(name for name, _ in runs(tmp_path))
    assert counted == {
        "TestFlaky": 2,
        "TestAlways": 2,
        "TestGood": 1,
        "TestTable/ok": 1,
        "TestTable/b_c": 2,
    }
    last = {name: args.split() for name, args in runs(tmp_path)}
    assert "-test.run=^TestFlaky$" in last["TestFlaky"]
    assert "-test.run=^TestTable$/^b_c$" in last["TestTable/b_c"]


def test_a_test_that_always_fails_keeps_one_attempt_per_rerun(tmp_path: Path) -> None:
    outcome = run_tests(tmp_path, FLAKY, retries=2)
    always, flaky = by_name(outcome)["TestAlways"], by_name(outcome)["TestFlaky"]
    assert (always.verdict, len(always.attempts)) == (Verdict.FAILURE, 2)
    assert always.message == "flaky_test.go:13: fails every time"
    assert [a.message for a in always.attempts] == [always.message] * 2
    assert (flaky.verdict, len(flaky.attempts)) == (Verdict.PASSED, 1)
    counted = Counter(name for name, _ in runs(tmp_path))
    assert (counted["TestAlways"], counted["TestFlaky"]) == (3, 2)


def test_a_build_failure_stops_every_rerun(tmp_path: Path) -> None:
    outcome = run_tests(tmp_path, {**FLAKY, **BROKEN}, retries=2)
    cases = {(case.classname, case.name): case for case in outcome.cases}
    assert cases[("fx/broken", "[build failed]")].verdict is Verdict.ERROR
    assert all(not case.attempts for case in outcome.cases)
    assert cases[("fx/lib", "TestFlaky")].verdict is Verdict.FAILURE
    assert Counter(name for name, _ in runs(tmp_path))["TestFlaky"] == 1


def test_rerun_commands_run_each_failed_test_alone_in_its_package(
    tmp_path: Path,
) -> None:
    project = go_project(tmp_path / "fx")
    ctx = context(tmp_path, timeout=100)
    failed = (
        TestCase("fx/lib", "TestFlaky", verdict=Verdict.FAILURE, type="go.test"),
        TestCase("fx", "TestRoot", verdict=Verdict.FAILURE, type="go.test"),
        TestCase("fx/lib", "TestTable", verdict=Verdict.FAILURE, type="go.test"),
        TestCase("fx/lib", "TestTable/a.b(c)", verdict=Verdict.FAILURE, type="go.test"),
    )
    commands = go.rerun_commands(project, failed, ctx)
    assert [c.argv for c in commands] == [
        (
            "go",
            "test",
            "-json",
            "-count=1",
            "-timeout",
            "90000ms",
            "./lib",
            "-run",
            "^TestFlaky$",
        ),
        (
            "go",
            "test",
            "-json",
            "-count=1",
            "-timeout",
            "90000ms",
            ".",
            "-run",
            "^TestRoot$",
        ),
        ("go", "test", "-json", "-count=1", "-timeout", "90000ms", "./lib")
        + ("-run", r"^TestTable$/^a\.b\(c\)$"),
    ]
    assert all(c.cwd == project.path and c.env["GOMAXPROCS"] == "2" for c in commands)


def test_only_plain_test_failures_are_rerun(tmp_path: Path) -> None:
    project, ctx = go_project(tmp_path / "fx"), context(tmp_path)
    failed = TestCase("fx/lib", "TestX", verdict=Verdict.FAILURE, type="go.test")
    assert go.rerun_commands(project, (failed,), ctx)
    panicked = dataclasses.replace(failed, text="=== RUN TestX\npanic: boom\n")
    hung = dataclasses.replace(failed, verdict=Verdict.ERROR, type="go.incomplete")
    package = TestCase("fx/lib", "[package]", verdict=Verdict.ERROR, type="go.package")
    for other in (panicked, hung, package):
        assert go.rerun_commands(project, (failed, other), ctx) is None
    failfast = dataclasses.replace(project, args={Step.TEST: ("-failfast",)})
    assert go.rerun_commands(failfast, (failed,), ctx) is None
    assert go.rerun_commands(project, (), ctx) is None
