"""The engine's interrupt path: a cancelled task ends with what its command did, and says so."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tandem.adapters import ADAPTERS
from tandem.engine import run_task
from tandem.model import Command, Layout, Project, Step, Task, TestCase

WORK = (
    "import time; print('working', flush=True); open('started', 'w').close(); "
    "time.sleep(120)"
)


class Unaware:
    """An adapter that knows nothing of interrupts: it calls every run green."""

    LANGUAGE = "unaware"

    @staticmethod
    def commands(project, step, ctx):
        return [Command((sys.executable, "-c", WORK), project.path)]

    @staticmethod
    def properties(project, step, ctx):
        return ()

    @staticmethod
    def judge(project, step, results, ctx):
        return (TestCase(project.name, "[unaware]", time=results[-1].duration),)


def wait_for(path: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_an_interrupted_task_says_so_even_when_its_adapter_does_not(
    tmp_path, monkeypatch
):
    monkeypatch.setitem(ADAPTERS, Unaware.LANGUAGE, Unaware)
    task = Task(Project("u", Unaware.LANGUAGE, tmp_path), Step.TEST)
    layout = Layout(tmp_path, tmp_path / "out", tmp_path / "state")

    async def interrupt():
        job = asyncio.ensure_future(run_task(task, layout, 1, 120.0, False))
        await asyncio.to_thread(wait_for, tmp_path / "started")
        job.cancel()
        return await job

    start = time.monotonic()
    outcome = asyncio.run(interrupt())
    assert time.monotonic() - start < 60
    assert not outcome and outcome.interrupted
    unaware, stopped = outcome.cases
    assert unaware.name == "[unaware]"
    assert (stopped.classname, stopped.name) == ("u", "[test]")
    assert (stopped.type, stopped.message[:17]) == (
        "tandem.interrupted",
        "interrupted after",
    )
    assert "working" in stopped.text  # the command's output, as for any failed command
