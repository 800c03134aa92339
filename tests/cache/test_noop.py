"""The no-op replay's own logic: the clock, the command's identity, the stats, the writing."""

from __future__ import annotations

import fcntl
import marshal
import os
from pathlib import Path

import pytest

from tandem import DEFAULT_STATE, LOCK
from tandem.cache import noop

ARGV = ["check", "--junit", "reports/junit.xml"]


def test_the_clock_placeholders_take_this_runs_clock() -> None:
    template = (
        f'<a time="{noop.SENTINEL_ELAPSED:.3f}" at="{noop.SENTINEL_START}"/>'
        f" {noop.SENTINEL_ELAPSED:.2f}s, 12.345s"
    ).encode()
    clock = (b"2026-12-02T10:00:00", b"0.004", b"0.00")
    assert noop._clocked(template, clock) == (
        b'<a time="0.004" at="2026-12-02T10:00:00"/> 0.00s, 12.345s'
    )


@pytest.mark.parametrize(
    "change",
    [
        {"argv": ["check", "-p", "lib"]},
        {"cwd": "/elsewhere"},
        {"environ": {"PATH": "/bin", "GOFLAGS": "-count=1"}},
        {"environ": {}},
        {"ttys": (True, False)},
        {"python": "/usr/bin/python3.12"},
    ],
)
def test_a_command_differs_by_arguments_place_environment_terminal_and_interpreter(
    change: dict,
) -> None:
    base = {
        "argv": ARGV,
        "cwd": "/repo",
        "environ": {"PATH": "/bin"},
        "python": "/usr/bin/python3",
        "ttys": (False, False),
    }
    assert noop.invocation(**base) == noop.invocation(**dict(base))
    assert noop.invocation(**{**base, **change}) != noop.invocation(**base)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A root with a source file, a cache entry and a report directory."""
    root = tmp_path / "repo"
    state = root / DEFAULT_STATE
    (state / "cache" / "entries").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "a.go").write_text("package a\n")
    (state / "cache" / "entries" / "k1").write_text("entry")
    (root / "reports").mkdir()
    (root / "reports" / "junit.xml").write_text("the previous report")
    monkeypatch.chdir(root)
    return root


def _remember(root: Path) -> None:
    """The record of a run of ARGV in `root` (made in the test's phase: pytest names the phase
    in the environment, which is part of the command)."""
    noop.write(str(root / DEFAULT_STATE), _record(root))


def _record(root: Path) -> dict:
    state, reports = root / DEFAULT_STATE, root / "reports"
    entry, report = str(state / "cache/entries/k1"), str(reports / "junit.xml")
    return {
        "root": str(root),
        "state": str(state),
        "command": noop.invocation(ARGV, str(root), os.environ),
        "files": [(str(root / "src/a.go"), noop.signature(str(root / "src/a.go")))],
        "dirs": [(str(root / "src"), noop.folder(str(root / "src")))],
        "entries": [(entry, noop.entry(entry))],
        "present": [(str(root / "pyproject.toml"), False)],
        "listings": [(str(reports), [])],
        "touched": [entry],
        "reports": [
            (report, report + ".previous", f"<r t='{noop.SENTINEL_START}'/>".encode())
        ],
        "stdout": f"PASS a:build\n1 test, {noop.SENTINEL_ELAPSED:.2f}s\n".encode(),
    }


def test_an_unchanged_command_is_replayed_from_its_record(
    repo: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _remember(repo)
    os.utime(repo / DEFAULT_STATE / "cache/entries/k1", ns=(0, 0))
    assert noop.replayed(ARGV) == 0
    out = capfd.readouterr().out
    assert out.startswith("PASS a:build\n1 test, 0.0") and "86399" not in out
    report = (repo / "reports/junit.xml").read_text()
    assert report.startswith("<r t='20") and noop.SENTINEL_START not in report
    assert (repo / "reports/junit.xml.previous").read_text() == "the previous report"
    assert (repo / DEFAULT_STATE / "cache/entries/k1").stat().st_mtime_ns > 0  # used


def _edit_file(root: Path) -> None:
    (root / "src" / "a.go").write_text("package a // edited\n")


def _add_file(root: Path) -> None:
    (root / "src" / "b.go").write_text("package a\n")


def _drop_entry(root: Path) -> None:
    (root / DEFAULT_STATE / "cache/entries/k1").unlink()


def _new_pyproject(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.tandem]\n")


def _stray_report_file(root: Path) -> None:
    (root / "reports" / "notes.txt").write_text("mine\n")


@pytest.mark.parametrize(
    "change", [_edit_file, _add_file, _drop_entry, _new_pyproject, _stray_report_file]
)
def test_any_change_to_what_the_run_read_passes_the_record_over(
    repo: Path, change, capfd: pytest.CaptureFixture[str]
) -> None:
    _remember(repo)
    change(repo)
    assert noop.replayed(ARGV) is None
    assert capfd.readouterr().out == ""
    assert (repo / "reports/junit.xml").read_text() == "the previous report"


def test_the_reports_own_files_are_no_change(repo: Path) -> None:
    _remember(repo)
    (repo / "reports" / "junit.xml.previous").write_text("an older report")
    assert noop.replayed(ARGV) == 0


def test_another_command_is_not_replayed(repo: Path) -> None:
    _remember(repo)
    assert noop.replayed(["check", "--junit", "other.xml"]) is None
    assert noop.replayed(["test"]) is None


def test_a_run_in_progress_is_waited_for_by_the_full_path(repo: Path) -> None:
    _remember(repo)
    fd = os.open(repo / DEFAULT_STATE / LOCK, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert noop.replayed(ARGV) is None
    finally:
        os.close(fd)
    assert noop.replayed(ARGV) == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda record: b"\x00not marshal",
        lambda record: marshal.dumps(["a", "list"]),
        lambda record: marshal.dumps({k: v for k, v in record.items() if k != "files"}),
        lambda record: marshal.dumps({**record, "dirs": [("only a path",)]}),
    ],
    ids=["bytes", "list", "no-files", "short-line"],
)
def test_a_damaged_or_missing_record_is_no_replay(repo: Path, damage) -> None:
    record = Path(noop.record_path(str(repo / DEFAULT_STATE)))
    record.write_bytes(damage({**_record(repo), "format": noop.FORMAT}))
    assert noop.replayed(ARGV) is None
    noop.forget(str(repo / DEFAULT_STATE))
    assert not record.exists() and noop.replayed(ARGV) is None


def test_root_names_the_only_place_a_record_is_looked_for(repo: Path) -> None:
    assert noop._roots(["--root", "/x/y", "check"], "/a/b") == ["/x/y"]
    assert noop._roots(["--root=/x", "check"], "/a/b") == ["/x"]
    assert noop._roots(["check"], "/a/b") == ["/a/b", "/a", "/"]
