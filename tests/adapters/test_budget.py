"""No tool escapes the CPU budget: each step's tools are sized to the slots its task holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.adapters import ADAPTERS
from tandem.model import Context, Project, Step
from tests.conftest import write_tree

PYPROJECT = '[project]\nname = "app"\nversion = "0.1"\n'


def context(tmp_path: Path, slots: int) -> Context:
    return Context(
        tmp_path, tmp_path / "dist", tmp_path / "state", tmp_path / "w", slots
    )


@pytest.mark.parametrize("slots", [1, 3])
@pytest.mark.parametrize("step", [Step.FMT, Step.VET])
def test_black_and_ruff_get_as_many_workers_as_slots(
    tmp_path: Path, step, slots
) -> None:
    root = write_tree(tmp_path / "app", {"pyproject.toml": PYPROJECT})
    project = Project("app", "python", root)
    commands = ADAPTERS["python"].commands(project, step, context(tmp_path, slots))
    assert commands
    for command in commands:
        assert command.env["BLACK_NUM_WORKERS"] == str(slots)
        assert command.env["RAYON_NUM_THREADS"] == str(slots)
        assert command.env["UV_CONCURRENT_INSTALLS"] == str(slots)
        assert "UV_CONCURRENT_DOWNLOADS" not in command.env  # the network, not a CPU


@pytest.mark.parametrize("step", [Step.BUILD, Step.VET, Step.TEST])
def test_go_commands_use_as_many_processes_and_threads_as_slots(
    tmp_path: Path, step
) -> None:
    root = write_tree(
        tmp_path / "svc", {"go.mod": "module example.com/svc\n\ngo 1.22\n"}
    )
    project = Project("svc", "go", root)
    commands = ADAPTERS["go"].commands(project, step, context(tmp_path, 3))
    assert all(c.env["GOMAXPROCS"] == "3" for c in commands)
    assert all(c.argv[c.argv.index("-p") + 1] == "3" for c in commands)
