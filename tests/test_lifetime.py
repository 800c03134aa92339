"""Nothing lost, nothing left: what a stopped pytest keeps, and that no process outlives Tandem."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tandem.adapters import python
from tandem.model import Command, Context, Project, Step, Verdict
from tandem.run import run_commands_sync
from tests.conftest import go_module, write_tree

HANGING_TESTS = """
    import os
    import subprocess
    import sys
    import time


    def test_a():
        pass


    def test_b():
        pass


    def test_c():
        pass


    def test_hang():
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(300)"],
            start_new_session=True,
        )
        with open(os.environ["HANG_PIDS"], "a") as file:
            file.write(f"{os.getpid()}\\n{child.pid}\\n")
        time.sleep(300)
    """
PY_HANG = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "pyhang"
        version = "0.1.0"

        [project.optional-dependencies]
        test = ["pytest==9.2.0"]
        """,
    "src/pyhang/__init__.py": '"""A package whose last test never ends."""\n',
    "tests/test_hang.py": HANGING_TESTS,
}
GO_HANG = {
    "go.mod": go_module("gohang"),
    "hang/hang_test.go": """
        package hang

        import (
        \t"fmt"
        \t"os"
        \t"testing"
        \t"time"
        )

        func TestHang(t *testing.T) {
        \tf, err := os.OpenFile(os.Getenv("HANG_PIDS"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
        \tif err == nil {
        \t\tfmt.Fprintf(f, "%d\\n", os.Getpid())
        \t\tf.Close()
        \t}
        \ttime.Sleep(5 * time.Minute)
        }
        """,
}


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rindex(b")") + 2 :].split()[0] in (b"Z", b"X")


def marked(mark: str) -> list[int]:
    """Live processes whose environment carries `mark`."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            pass  # gone already, or not ours to read
    return found


def pids(path: Path, count: int, seconds: float = 240.0) -> list[int]:
    """The pids written to `path`, one a line, once there are `count` of them."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = path.read_text().split() if path.exists() else []
        if len(lines) >= count:
            return [int(line) for line in lines]
        time.sleep(0.1)
    raise AssertionError(f"{path} never held {count} pids")


def until(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_pytest_stopped_at_the_deadline_keeps_the_tests_that_ended(tmp_path):
    project_dir = write_tree(tmp_path / "proj", {"test_four.py": HANGING_TESTS})
    workdir = tmp_path / "work"
    workdir.mkdir()
    argv = (
        sys.executable,
        "-m",
        "pytest",
        f"--junitxml={workdir / python.REPORT}",
        *python.PYTEST_OPTIONS,
        f"--rootdir={project_dir}",
    )
    env = {"HANG_PIDS": str(tmp_path / "pids")}
    # As long as test_python_stopped's: pytest must reach the hanging test on a busy machine.
    (result,) = run_commands_sync([Command(argv, project_dir, env)], timeout=15)
    assert result.timed_out and result.returncode == 2  # pytest's KeyboardInterrupt
    report = ET.parse(workdir / python.REPORT).getroot()
    assert {c.get("name") for c in report.iter("testcase")} >= {
        "test_a",
        "test_b",
        "test_c",
    }
    assert all(gone(pid) for pid in pids(tmp_path / "pids", 2))

    project = Project("four", "python", project_dir)
    ctx = Context(tmp_path, tmp_path / "dist", tmp_path / "state", workdir, timeout=15)
    cases = python.judge(project, Step.TEST, (result,), ctx)
    passed = {c.name for c in cases if c.verdict is Verdict.PASSED}
    assert {"test_a", "test_b", "test_c"} <= passed and "test_hang" not in passed
    (timeout,) = [c for c in cases if c.type == "tandem.timeout"]
    # The XML does not name the hung test; pytest's own output does, by file and line.
    assert timeout.verdict is Verdict.ERROR and "test_four.py:" in timeout.text
    assert "KeyboardInterrupt" in timeout.text


def tandem(root: Path, tmp_path: Path, mark: str, *argv: str) -> subprocess.Popen:
    env = {**os.environ, "HANG_PIDS": str(tmp_path / "pids"), "HANG_MARK": mark}
    return subprocess.Popen(
        [sys.executable, "-m", "tandem", "--root", str(root), *argv],
        env={**env, "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sighup_stops_tandem_writes_the_report_and_leaves_no_process(tmp_path):
    root = write_tree(
        tmp_path / "repo", {f"projects/pyhang/{p}": t for p, t in PY_HANG.items()}
    )
    mark = f"tandem-sighup-{os.getpid()}-{time.time_ns()}"
    proc = tandem(root, tmp_path, mark, "check")
    try:
        found = pids(tmp_path / "pids", 2)
    finally:
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    suites = {
        s.get("name"): s for s in ET.parse(root / "reports" / "junit.xml").getroot()
    }
    error = suites["pyhang:test"].find("testcase/error")
    assert error is not None and error.get("type") == "tandem.interrupted"
    # Tandem waited for its processes; its watchdog may take a moment longer to end.
    assert until(lambda: not marked(mark)) and all(gone(pid) for pid in found)


def test_a_killed_tandem_leaves_no_go_test_or_pytest_process(tmp_path):
    root = write_tree(
        tmp_path / "repo",
        {
            **{f"projects/pyhang/{p}": t for p, t in PY_HANG.items()},
            **{f"projects/gohang/{p}": t for p, t in GO_HANG.items()},
        },
    )
    # Compile first, so that a cold Go cache does not count against the wait below.
    subprocess.run(
        ["go", "test", "-run", "^$", "./..."], cwd=root / "projects/gohang", check=True
    )
    mark = f"tandem-sigkill-{os.getpid()}-{time.time_ns()}"
    proc = tandem(root, tmp_path, mark, "test", "-j", "2")
    try:
        found = pids(tmp_path / "pids", 3)  # pytest, its child, the go test binary
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert until(lambda: not marked(mark)), f"left running: {marked(mark)}"
    assert all(gone(pid) for pid in found)


def outcomes(suite: ET.Element) -> dict[str, tuple[str, str]]:
    """Each case's name → (its result element's tag, or "passed"; its type)."""
    found = {}
    for case in suite.iter("testcase"):
        result = next(
            (c for c in case if c.tag in ("failure", "error", "skipped")), None
        )
        tag = "passed" if result is None else result.tag
        found[case.get("name")] = (tag, "" if result is None else result.get("type"))
    return found


def test_an_interrupt_keeps_the_tests_that_finished_and_blames_the_running_ones(
    tmp_path,
):
    quick = 'package hang\n\nimport "testing"\n\nfunc TestQuick(t *testing.T) {}\n'
    root = write_tree(
        tmp_path / "repo",
        {
            **{f"projects/pyhang/{p}": t for p, t in PY_HANG.items()},
            **{f"projects/gohang/{p}": t for p, t in GO_HANG.items()},
            # Go runs a package's files in name order: TestQuick ends before TestHang starts.
            "projects/gohang/hang/a_test.go": quick,
        },
    )
    # Compile first, so that a cold Go cache does not count against the wait below.
    subprocess.run(
        ["go", "test", "-run", "^$", "./..."], cwd=root / "projects/gohang", check=True
    )
    mark = f"tandem-sigint-{os.getpid()}-{time.time_ns()}"
    proc = tandem(root, tmp_path, mark, "test", "-j", "2")
    try:
        # pytest, its child and the go test binary: each hang started after the quick tests.
        found = pids(tmp_path / "pids", 3)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    suites = {
        s.get("name"): s for s in ET.parse(root / "reports" / "junit.xml").getroot()
    }
    passed = ("passed", "")
    assert outcomes(suites["pyhang:test"]) == {
        "test_a": passed,
        "test_b": passed,
        "test_c": passed,
        "test_hang": ("error", "tandem.interrupted"),
    }
    go = outcomes(suites["gohang:test"])
    assert go["TestQuick"] == passed and go["TestHang"][0] == "error"
    assert ("error", "tandem.interrupted") in go.values()
    assert "interrupt" in ET.tostring(suites["gohang:test"], encoding="unicode")
    assert until(lambda: not marked(mark)) and all(gone(pid) for pid in found)
