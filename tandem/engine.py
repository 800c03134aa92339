"""Stage 3's glue: a task becomes commands through its adapter, runs, and is judged into an Outcome."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from tandem.adapters import ADAPTERS
from tandem.model import Command, Context, Outcome, Task, utcnow
from tandem.run import run_commands, run_process
from tandem.schedule import Execute

Properties = tuple[tuple[str, str], ...]


def executor(
    root: Path,
    timeout: float,
    *,
    fix: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> Execute:
    """The function the scheduler calls to run one task with the slots it holds."""

    async def execute(task: Task, slots: int) -> Outcome:
        outcome = await run_task(
            task, root, slots, task.project.timeout or timeout, fix
        )
        if on_done:
            on_done(outcome)
        return outcome

    return execute


async def run_task(
    task: Task, root: Path, slots: int, timeout: float, fix: bool
) -> Outcome:
    """Run a task's commands in a fresh working directory and judge the results."""
    adapter, project = ADAPTERS[task.project.language], task.project
    started, clock = utcnow(), time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"tandem-{project.name}-") as workdir:
        dist, state = root / "dist" / project.name, root / ".tandem"
        ctx = Context(root, dist, state, Path(workdir), slots, timeout, fix)
        commands = [
            _with_env(c, ctx) for c in adapter.commands(project, task.step, ctx)
        ]
        results = await run_commands(commands, ctx.timeout)
        cases = adapter.judge(project, task.step, results, ctx)
    return Outcome(task, cases, started, time.monotonic() - clock)


def _with_env(command: Command, ctx: Context) -> Command:
    """Every tool learns where the root and the build output are."""
    env = {
        "TANDEM_ROOT": str(ctx.root),
        "TANDEM_DIST": str(ctx.root / "dist"),
        **command.env,
    }
    return replace(command, env=env)


async def probe_versions(root: Path, languages: Iterable[str]) -> dict[str, Properties]:
    """Tool versions per language, as report properties (`missing` for a tool not found)."""
    probes = {
        (language, key): command
        for language in sorted(set(languages))
        for key, command in ADAPTERS[language].versions(root).items()
    }
    deadline = time.monotonic() + 60
    results = await asyncio.gather(*(run_process(c, deadline) for c in probes.values()))
    found: dict[str, list[tuple[str, str]]] = {}
    for (language, key), result in zip(probes, results):
        lines = (result.stdout or result.stderr).strip().splitlines()
        value = lines[0].strip() if result.returncode == 0 and lines else "missing"
        found.setdefault(language, []).append((key, value))
    return {language: tuple(pairs) for language, pairs in found.items()}
