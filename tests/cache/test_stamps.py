"""The stamp a command leaves when it ended normally: and only then."""

from __future__ import annotations

from pathlib import Path

from tandem.cache import stamps
from tandem.model import Command, ProcessResult


def result(tmp_path: Path, name: str, code: int = 0, **how: bool) -> ProcessResult:
    command = Command(("uv", "sync", name), tmp_path, stamp=tmp_path / f"{name}.stamp")
    return ProcessResult(command, code, **how)


def test_only_a_command_that_ended_normally_leaves_its_stamp(tmp_path):
    stamps.record(
        [
            result(tmp_path, "ok"),
            result(tmp_path, "failed", 1),
            result(tmp_path, "late", timed_out=True),
            result(tmp_path, "stopped", interrupted=True),
        ]
    )
    left = sorted(path.name for path in tmp_path.glob("*.stamp"))
    assert left == ["ok.stamp"]
    assert (tmp_path / "ok.stamp").read_text() == "uv sync ok"


def test_a_command_without_a_stamp_leaves_nothing(tmp_path):
    command = Command(("uv", "sync"), tmp_path)
    stamps.record([ProcessResult(command, 0)])
    assert list(tmp_path.iterdir()) == []
