"""Tool versions: probed once, then remembered while nothing that decides them changed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tandem.model import Command
from tandem.versions import probe_versions

# Counts its runs in a file outside the directory it runs in; answers like a `--version`.
TOOL = "import pathlib, sys; pathlib.Path(sys.argv[1]).open('a').write('x'); print('tool 1.0')"


class Adapter:
    """The part of a language adapter that probing reads."""

    ENV = ("TOOL_*",)
    PROBE_FILES = ("go.mod",)

    def __init__(self, where: Path) -> None:
        self.where = where
        self.runs = where.parent / "runs"

    def versions(self, root: Path) -> dict[str, Command]:
        return {
            "tool.version": Command((sys.executable, "-c", TOOL, str(self.runs)), root),
            "gone.version": Command(("no-such-tool-here", "--version"), root),
        }

    def watched(self) -> tuple[Path, ...]:
        return (self.where,)


def probe(root: Path, adapter: Adapter) -> dict[str, str]:
    return dict(asyncio.run(probe_versions(root, root / ".state", adapter)))


def test_a_probe_runs_once_until_what_decides_its_answer_changes(tmp_path, monkeypatch):
    root, where = tmp_path / "root", tmp_path / "tools"
    root.mkdir(), where.mkdir()
    adapter = Adapter(where)
    expected = {"tool.version": "tool 1.0", "gone.version": "missing"}
    assert probe(root, adapter) == expected
    assert probe(root, adapter) == expected
    assert adapter.runs.read_text() == "x"  # the second run remembered the answer
    (root / "junit.xml").write_text("<testsuites/>")  # a report written where it runs
    probe(root, adapter)
    assert adapter.runs.read_text() == "x"
    # a file the language names, where it runs
    (root / "go.mod").write_text("module m\n")
    probe(root, adapter)
    (where / "tool-2").write_text("")  # a tool installed where tools are found
    probe(root, adapter)
    monkeypatch.setenv("TOOL_HOME", str(tmp_path))  # a variable the tools read
    probe(root, adapter)
    assert adapter.runs.read_text() == "xxxx"


def test_an_unreadable_state_only_costs_the_probe(tmp_path):
    root, where = tmp_path / "root", tmp_path / "tools"
    root.mkdir(), where.mkdir()
    (root / ".state").write_text("a file where the state directory should be")
    adapter = Adapter(where)
    assert probe(root, adapter)["tool.version"] == "tool 1.0"
    assert probe(root, adapter)["tool.version"] == "tool 1.0"
    assert adapter.runs.read_text() == "xx"
    assert os.path.isfile(root / ".state")
