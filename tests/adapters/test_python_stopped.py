"""pytest stopped by a timeout, for real: the tests that ended stay, and the hung one is named once.

Each scenario runs the real pytest (with Tandem's plugin) until a 15 s timeout stops it.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from tandem.adapters import pytest_progress, python
from tandem.model import Step, Verdict
from tandem.run import run_commands_sync
from tests.pyfixtures import (
    PYTEST,
    XDIST,
    context,
    package,
    project,
    pyproject,
    run_step,
    write_tree,
)

TIMEOUT = (
    15.0  # seconds: pytest and its xdist workers start well within it on a busy machine
)
PIDS = """
    from pathlib import Path


    def note_pid():
        with open(Path(__file__).resolve().parent.parent / "pids", "a") as file:
            file.write(f"{__import__('os').getpid()}\\n")
    """
# The hang comes last: under xdist's round robin it then waits behind no other test.
HANGING = """
    import time

    from tests.pids import note_pid


    def test_a():
        pass


    def test_b():
        print("b is quick")


    class TestK:
        def test_c(self):
            pass


    def test_hang():
        print("waiting for nothing")
        note_pid()
        time.sleep(600)
    """
SESSION_HANG = """
    import time

    import pytest

    from tests.pids import note_pid


    @pytest.fixture(scope="session")
    def server():
        note_pid()
        time.sleep(600)
    """


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root of a built project `stopped` with pytest and pytest-xdist in its environment."""
    root = tmp_path_factory.mktemp("stopped")
    path = write_tree(root / "stopped", package("stopped", (PYTEST, XDIST)))
    run = run_step(project(path), Step.BUILD, context(root, "build"))
    assert [c.verdict for c in run.cases] == [Verdict.PASSED], run.results[-1].output
    return root


def stopped_run(built: Path, tmp_path: Path, files: dict[str, str], xdist: str = ""):
    """The test step of a project with `files`, in the built environment, stopped by TIMEOUT."""
    addopts = f'\n[tool.pytest.ini_options]\naddopts = "{xdist}"\n' if xdist else ""
    path = write_tree(
        tmp_path / "scenario",
        {"pyproject.toml": pyproject("scenario") + addopts, "tests/__init__.py": ""},
    )
    proj = project(write_tree(path, files), name="stopped")
    ctx = dataclasses.replace(context(built, tmp_path.name, slots=2), timeout=TIMEOUT)
    commands = python.commands(proj, Step.TEST, ctx)
    start = time.monotonic()
    results = run_commands_sync(commands, timeout=TIMEOUT)
    assert results[-1].timed_out and time.monotonic() - start < TIMEOUT + 30
    return results, python.judge(proj, Step.TEST, results, ctx)


def left_running(tmp_path: Path) -> list[int]:
    """The pids the fixture tests noted that still run (none may be left)."""
    pids = (tmp_path / "scenario" / "pids").read_text().split()
    return [int(pid) for pid in pids if alive(pid)]


def alive(pid: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] not in (b"Z", b"X")


def assert_hang_named_once(cases, traceback: bool = True) -> None:
    """3 passed, and one red case: the hung test, named as pytest names it; with its own
    output, and (unless the stop policy had to go past SIGINT) pytest's traceback after it.
    """
    passed = {c.name for c in cases if c.verdict is Verdict.PASSED}
    assert passed == {"test_a", "test_b", "test_c"}
    (hung,) = [c for c in cases if c.red]
    assert (hung.classname, hung.name) == ("stopped/tests.test_hang", "test_hang")
    assert (hung.verdict, hung.type) == (Verdict.ERROR, "tandem.timeout")
    assert hung.message == "timed out after 15s"
    assert hung.file == "tests/test_hang.py"
    # Its own output, then pytest's KeyboardInterrupt traceback.
    assert "waiting for nothing" in hung.text
    if traceback:
        assert hung.text.index("waiting for nothing") < hung.text.index(
            "KeyboardInterrupt"
        )
    assert len(cases) == 4


def test_a_hung_test_is_the_one_error_case_and_the_others_pass(built, tmp_path):
    files = {"tests/pids.py": PIDS, "tests/test_hang.py": HANGING}
    results, cases = stopped_run(built, tmp_path, files)
    assert results[-1].returncode == 2  # pytest's KeyboardInterrupt
    assert_hang_named_once(cases)
    assert not left_running(tmp_path)


def test_a_hung_test_under_xdist_is_named_the_same_way(built, tmp_path):
    files = {"tests/pids.py": PIDS, "tests/test_hang.py": HANGING}
    results, cases = stopped_run(built, tmp_path, files, xdist="-n 2")
    assert "-n" in results[-1].argv  # the workers ran the tests
    # On a busy machine a worker may not write its traceback before the policy's SIGTERM: the
    # name and the output are what must not be lost.
    assert_hang_named_once(cases, traceback=False)
    hung = next(c.text for c in cases if c.red)
    if (
        "KeyboardInterrupt" in hung
    ):  # pytest names where the interrupt landed: xdist's thread
        assert "threading.py" in hung
    assert not left_running(tmp_path)


def test_a_hang_in_a_session_fixture_is_pytests_own(built, tmp_path):
    files = {
        "tests/pids.py": PIDS,
        "tests/conftest.py": SESSION_HANG,
        "tests/test_server.py": "def test_a(server):\n    pass\n\n\ndef test_b(server):\n    pass\n",
    }
    _, cases = stopped_run(built, tmp_path, files)
    (case,) = cases
    assert (case.classname, case.name) == ("stopped", "[pytest]")
    assert (case.verdict, case.type) == (Verdict.ERROR, "tandem.timeout")
    assert "the session-scoped fixture 'server'" in case.text
    assert "KeyboardInterrupt" in case.text
    assert not left_running(tmp_path)


def test_a_record_cut_short_is_read_as_far_as_it_goes(tmp_path):
    record = tmp_path / "pytest.progress"
    record.write_text(
        '{"start": "t.py::test_a"}\n{"end": "t.py::test_a"}\n'
        '{"start": "t.py::test_b[x]"}\n{"start": "t.py::test_c"}\n'
        '{"stopped": "t.py::test_b[x]", "output": "hi", "fixture": "", "scope": ""}\n'
        '{"stopped": "t.py::test_c", "fixture": "db", "scope": "mod'
    )
    progress = pytest_progress.read(record)
    assert progress.running == ("t.py::test_b[x]", "t.py::test_c")
    assert progress.hung() == ("t.py::test_b[x]", "t.py::test_c")
    case, _ = pytest_progress.hung_cases(progress, "svc", "k", "m", "")
    assert (case.classname, case.name, case.text) == ("svc/t", "test_b[x]", "hi")
