"""Reruns of failed pytest tests with the real pytest: each failed test alone, by its node id."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from tandem.adapters import python
from tandem.engine import executor
from tandem.model import Layout, Outcome, Project, Step, Task, TestCase, Verdict
from tests.pyfixtures import PYTEST, context, package, project, write_tree

NAME = "flakypy"
# Each test logs its name to runs.log under TANDEM_ROOT, the run's root, and `seen` says how
# often it ran before: a test can fail only on its first run.
FLAKY = {"tests/test_flaky.py": """
        import os
        from pathlib import Path

        import pytest


        def seen(name):
            log = Path(os.environ["TANDEM_ROOT"]) / "runs.log"
            before = log.read_text().splitlines() if log.exists() else []
            with log.open("a") as out:
                out.write(name + "\\n")
            return before.count(name)


        def test_flaky():
            assert seen("test_flaky") > 0, "fails on its first run"


        @pytest.mark.parametrize("word", ["a b", "x-1"])
        def test_param(word):
            assert seen(f"test_param[{word}]") > 0 or word != "x-1", "fails on its first run"


        def test_always():
            seen("test_always")
            assert False, "fails every time"


        def test_good():
            seen("test_good")


        class TestGroup:
            def test_method(self):
                assert seen("TestGroup.test_method") > 0, "fails on its first run"
        """}
BROKEN = {"tests/test_broken.py": "import nosuchmodule\n"}


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory holding a built environment (with pytest) for projects named NAME."""
    root = tmp_path_factory.mktemp("state")
    path = write_tree(root / NAME, package(NAME, (PYTEST,)))
    outcome = run(root, root / ".tandem", project(path), Step.BUILD, 0)
    assert outcome, outcome.cases
    return root / ".tandem"


def run(root: Path, state: Path, proj: Project, step: Step, retries: int) -> Outcome:
    """One task of `proj` run by the engine, with TANDEM_ROOT at `root`."""
    execute = executor(Layout(root, root / "dist", state), 300.0, retries=retries)
    return asyncio.run(execute(Task(proj, step), 1))


def run_tests(tmp_path: Path, state: Path, files: dict, args=(), retries=2) -> Outcome:
    path = write_tree(tmp_path / NAME, {**package(NAME, (PYTEST,)), **files})
    return run(tmp_path, state, project(path, test_args=args), Step.TEST, retries)


def ran(root: Path) -> Counter[str]:
    return Counter((root / "runs.log").read_text().splitlines())


def test_failed_tests_rerun_alone_and_a_pass_makes_them_flaky(
    tmp_path: Path, state: Path
) -> None:
    outcome = run_tests(tmp_path, state, FLAKY)
    cases = {case.name: case for case in outcome.cases}
    for name in ("test_flaky", "test_param[x-1]", "test_method"):
        assert (cases[name].verdict, len(cases[name].attempts)) == (Verdict.PASSED, 1)
        assert "fails on its first run" in cases[name].attempts[0].message
    for name in ("test_good", "test_param[a b]"):
        assert (cases[name].verdict, cases[name].attempts) == (Verdict.PASSED, ())
    always = cases["test_always"]
    assert (always.verdict, len(always.attempts)) == (Verdict.FAILURE, 2)
    assert not outcome
    assert ran(tmp_path) == {
        "test_flaky": 2,
        "test_param[x-1]": 2,
        "TestGroup.test_method": 2,
        "test_always": 3,
        "test_good": 1,
        "test_param[a b]": 1,
    }
    flaky = (cases["test_param[x-1]"], cases["test_method"])
    commands = python.rerun_commands(
        project(tmp_path / NAME), flaky, context(tmp_path, "ids")
    )
    assert [c.argv[-1] for c in commands] == [
        "tests/test_flaky.py::test_param[x-1]",
        "tests/test_flaky.py::TestGroup::test_method",
    ]


def test_a_collection_error_stops_every_rerun(tmp_path: Path, state: Path) -> None:
    files = {**FLAKY, **BROKEN}
    args = ("--continue-on-collection-errors",)
    outcome = run_tests(tmp_path, state, files, args)
    cases = {case.name: case for case in outcome.cases}
    assert cases["tests.test_broken"].verdict is Verdict.ERROR
    assert cases["test_flaky"].verdict is Verdict.FAILURE
    assert all(not case.attempts for case in outcome.cases)
    assert ran(tmp_path)["test_flaky"] == 1


def test_node_ids_come_from_the_classname_and_the_files_on_disk(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tests/test_x.py": "", "tests/sub/test_y.py": ""})
    cases = {
        "p/tests.test_x": "tests/test_x.py::test_y[a/b c]",
        "p/tests.test_x.TestA.TestB": "tests/test_x.py::TestA::TestB::test_y[a/b c]",
        "p/tests.sub.test_y": "tests/sub/test_y.py::test_y[a/b c]",
    }
    for classname, node in cases.items():
        case = TestCase(classname, "test_y[a/b c]", verdict=Verdict.FAILURE)
        assert python.pytest_xml.node_id(case, "p", tmp_path) == node
    for classname, name in [
        ("p/(collection)", "tests/test_x.py"),
        ("p", "[pytest]"),
        ("p/tests.missing", "test_y"),
        ("other/tests.test_x", "test_y"),
    ]:
        case = TestCase(classname, name, verdict=Verdict.ERROR)
        assert python.pytest_xml.node_id(case, "p", tmp_path) is None


def test_stopping_early_turns_reruns_off(tmp_path: Path) -> None:
    write_tree(tmp_path / NAME, {"tests/test_x.py": ""})
    failed = (TestCase(f"{NAME}/tests.test_x", "test_y", verdict=Verdict.FAILURE),)
    ctx = context(tmp_path, "stop")
    assert python.rerun_commands(project(tmp_path / NAME), failed, ctx)
    for args in (("-x",), ("-vx",), ("--maxfail", "2"), ("--stepwise",)):
        stops = project(tmp_path / NAME, test_args=args)
        assert python.rerun_commands(stops, failed, ctx) is None
