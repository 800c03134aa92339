"""Nothing lost, nothing stale: the report lands somewhere said, one run at a time, crashes logged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tandem.cli import main
from tests.conftest import go_module
from tests.test_cli import cases, project_files, suites, tandem

ADD = "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n"
GREEN = {"go.mod": go_module("calc"), "calc.go": ADD}


def calc_with_test(body: str, *imports: str) -> dict[str, str]:
    """The calc module with one test, `TestCalc`, whose body is `body`; gofmt-clean."""
    lines = "".join(f'\t"{name}"\n' for name in sorted({"testing", *imports}))
    test = f"package calc\n\nimport (\n{lines})\n\nfunc TestCalc(t *testing.T) {{\n{body}}}\n"
    return {**GREEN, "calc_test.go": test}


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("config", "argv", "message"),
    [
        ("", ["--junit", "{root}/taken"], "report path {root}/taken is a directory"),
        ("", ["--junit", "{root}/a-file/junit.xml"], "{root}/a-file is a file"),
        ('state = "a-file/state"', [], "state directory {root}/a-file/state: "),
        ('output = "a-file/out"', [], "output directory {root}/a-file/out: "),
    ],
)
def test_paths_that_cannot_be_written_exit_2_before_any_task(
    monorepo, config, argv, message
):
    root = monorepo(
        {
            "pyproject.toml": f"[tool.tandem]\n{config}\n",
            "a-file": "not a directory\n",
            "taken/keep": "",
            **project_files("calc", GREEN),
        }
    ).resolve()
    run = tandem(root, "fmt", *(arg.format(root=root) for arg in argv))
    assert run.returncode == 2
    assert message.format(root=root) in one_line(run.stderr)
    assert run.stdout == "" and not (root / ".tandem/durations.json").exists()


def test_an_unwritable_report_directory_exits_2_before_any_task(monorepo):
    # /proc takes no new files, not even from root.
    root = monorepo(project_files("calc", GREEN))
    run = tandem(root, "fmt", "--junit", "/proc/self/tandem/junit.xml")
    assert run.returncode == 2 and "tandem is not writable" in one_line(run.stderr)
    assert run.stdout == "" and not (root / ".tandem/durations.json").exists()


def test_a_run_that_dies_leaves_no_report_in_place_and_a_crash_log(
    monorepo, monkeypatch, capsys
):
    root = monorepo(project_files("calc", GREEN))
    assert main(["--root", str(root), "fmt"]) == 0
    green = (root / "reports/junit.xml").read_text()

    async def broken(*args, **kwargs):
        raise RuntimeError("scheduler bug holding supersecretvalue\nsecond line")

    monkeypatch.setenv("API_TOKEN", "supersecretvalue")
    monkeypatch.setattr("tandem.engine.run_plan", broken)
    capsys.readouterr()
    assert main(["--root", str(root), "fmt", "--no-cache"]) == 3
    err = one_line(capsys.readouterr().err)
    log = root / ".tandem/crash.log"
    assert f"the traceback is in {log}" in err and "supersecretvalue" not in err
    assert "RuntimeError: scheduler bug holding ***" in err
    assert "Traceback (most recent call last)" in log.read_text()
    assert "supersecretvalue" not in log.read_text()
    assert not (root / "reports/junit.xml").exists()
    assert (root / "reports/junit.xml.previous").read_text() == green
    assert (root / "reports/summary.md.previous").is_file()


def test_the_crash_log_goes_to_the_temp_dir_when_the_state_cannot_take_it(
    monorepo, monkeypatch, capsys, tmp_path
):
    root = monorepo(
        {
            "pyproject.toml": '[tool.tandem]\nstate = "a-file/state"\n',
            "a-file": "",
            **project_files("calc", GREEN),
        }
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    def broken(root):
        raise KeyError("walk bug")

    monkeypatch.setattr("tandem.cli.find_projects", broken)
    assert main(["--root", str(root), "list"]) == 3
    err = one_line(capsys.readouterr().err)
    (log,) = temp.glob("tandem-crash-*.log")
    assert f"internal error (KeyError: 'walk bug'); the traceback is in {log}" in err
    assert "KeyError: 'walk bug'" in log.read_text()


# The test replaces the report directory with a file: the report cannot land where asked.
SABOTAGE = calc_with_test(
    '\treports := filepath.Join(os.Getenv("TANDEM_ROOT"), "reports")\n'
    "\tif err := os.RemoveAll(reports); err != nil {\n\t\tt.Fatal(err)\n\t}\n"
    '\tif err := os.WriteFile(reports, []byte("in the way"), 0o644); err != nil {\n'
    "\t\tt.Fatal(err)\n\t}\n",
    "os",
    "path/filepath",
)


def test_a_report_that_cannot_be_written_at_the_end_lands_in_the_temp_dir(
    monorepo, tmp_path
):
    root = monorepo(project_files("calc", SABOTAGE))
    temp = tmp_path / "tmp"
    temp.mkdir()
    # -count=1: go test's own cache must not stand in for the test that sabotages the report.
    run = tandem(root, "test", env={"TMPDIR": str(temp), "GOFLAGS": "-count=1"})
    assert run.returncode == 1, run.stdout + run.stderr
    (junit,) = temp.glob("tandem-report-*/junit.xml")
    assert f"report: {junit}" in run.stdout
    assert f"could not write {root.resolve()}/reports/junit.xml" in run.stderr
    assert f"the report is at {junit}" in run.stderr
    assert cases(suites(junit)["calc:test"]) == {"TestCalc": "passed"}
    assert (junit.parent / "summary.md").is_file()


def test_durations_that_cannot_be_saved_cost_no_report(monorepo):
    root = monorepo(project_files("calc", GREEN))
    (root / ".tandem/durations.json").mkdir(parents=True)
    run = tandem(root, "fmt")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "tandem: warning: durations not saved" in run.stderr
    assert cases(suites(root / "reports/junit.xml")["calc:fmt"]) == {
        "[gofmt]": "passed"
    }


def test_a_closed_stdout_stops_printing_but_not_the_run(monorepo):
    failing = calc_with_test('\tt.Fatal("wrong sum")\n')
    root = monorepo(project_files("calc", failing))
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line, as `| head -0` would
    try:
        run = subprocess.run(
            [sys.executable, "-m", "tandem", "--root", str(root), "check"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(write)
    assert run.returncode == 1 and run.stderr == "", run.stderr
    found = suites(root / "reports/junit.xml")
    assert set(found) == {f"calc:{s}" for s in ("build", "fmt", "vet", "test")}
    assert cases(found["calc:test"]) == {"TestCalc": "failure"}
    assert "tandem.crash" not in (root / "reports/junit.xml").read_text()


# The test holds its run open until the test itself creates the release file.
HOLD = calc_with_test(
    '\tdir := os.Getenv("HOLD_DIR")\n'
    '\t_ = os.WriteFile(filepath.Join(dir, "started"), nil, 0o644)\n'
    "\tfor i := 0; i < 2400; i++ {\n"
    '\t\tif _, err := os.Stat(filepath.Join(dir, "release")); err == nil {\n'
    "\t\t\treturn\n\t\t}\n\t\ttime.Sleep(50 * time.Millisecond)\n\t}\n"
    '\tt.Fatal("never released")\n',
    "os",
    "path/filepath",
    "time",
)


def test_concurrent_runs_on_one_root_wait_for_each_other(monorepo, tmp_path):
    root = monorepo(
        {
            "pyproject.toml": '[tool.tandem.projects.calc]\nargs = { test = ["-count=1"] }\n',
            **project_files("calc", HOLD),
        }
    ).resolve()
    hold = tmp_path / "hold"
    hold.mkdir()
    first = start(root, tmp_path / "first", "test", HOLD_DIR=str(hold))
    second = None
    try:
        wait_for(lambda: (hold / "started").exists(), first, "the first run's test")
        refused = tandem(root, "fmt", "--no-wait")
        lock = f"another tandem run holds {root}/.tandem/lock (pid {first.pid})"
        assert refused.returncode == 2
        assert f"{lock}; wait for it, or drop --no-wait" in one_line(refused.stderr)
        second = start(root, tmp_path / "second", "fmt")
        err = tmp_path / "second.err"
        wait_for(lambda: "waiting" in err.read_text(), second, "the waiting message")
        assert err.read_text() == f"tandem: {lock}; waiting\n"
        assert second.poll() is None, "the second run did not wait"
        (hold / "release").touch()
        assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    finally:
        (hold / "release").touch()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    # The second run started after the first ended: its report took the first one's place.
    assert set(suites(root / "reports/junit.xml")) == {"calc:fmt"}
    assert set(suites(root / "reports/junit.xml.previous")) == {"calc:test"}
    durations = json.loads((root / ".tandem/durations.json").read_text())
    assert {"calc:test", "calc:fmt"} <= set(durations)


def start(root: Path, out: Path, *argv: str, **env: str) -> subprocess.Popen:
    """Start `python -m tandem` with stdout and stderr in files named after `out`."""
    with (
        out.with_suffix(".out").open("w") as stdout,
        out.with_suffix(".err").open("w") as stderr,
    ):
        return subprocess.Popen(
            [sys.executable, "-m", "tandem", "--root", str(root), *argv],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "NO_COLOR": "1", **env},
        )


def wait_for(condition, proc: subprocess.Popen, what: str) -> None:
    """Poll `condition` until it holds; fail if `proc` exits first or two minutes pass."""
    deadline = time.monotonic() + 120
    while not condition():
        assert proc.poll() is None, f"exited before {what}"
        assert time.monotonic() < deadline, f"no {what} within two minutes"
        time.sleep(0.05)
