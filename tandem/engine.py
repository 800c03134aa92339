"""Stage 3's glue: a task becomes commands through its adapter, runs, and is judged into an Outcome."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path

from tandem.adapters import ADAPTERS, Adapter
from tandem.adapters.base import Refusal, describe, error_case
from tandem.model import (
    INTERRUPTED,
    Command,
    Context,
    Layout,
    Outcome,
    ProcessResult,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
    utcnow,
)
from tandem.retry import Round, with_retries
from tandem.run import run_commands, run_process
from tandem.schedule import Execute, step_case

Properties = tuple[tuple[str, str], ...]


def executor(
    layout: Layout,
    timeout: float,
    *,
    fix: bool = False,
    retries: int = 0,
    on_done: Callable[[Outcome], None] | None = None,
) -> Execute:
    """The function the scheduler calls to run one task with the slots it holds."""

    async def run(task: Task, slots: int) -> Outcome:
        return await run_task(task, layout, slots, task.project.timeout or timeout, fix)

    # Reruns wrap the run, and on_done sees the outcome they leave.
    retrying = with_retries(run, partial(rerun_failed, layout), retries, timeout)

    async def execute(task: Task, slots: int) -> Outcome:
        outcome = with_rerun_hints(await retrying(task, slots), layout)
        if on_done:
            on_done(outcome)
        return outcome

    return execute


def with_rerun_hints(outcome: Outcome, layout: Layout) -> Outcome:
    """Each red test carries the commands that run it again alone, for people to copy."""
    if outcome.task.step is not Step.TEST or outcome:
        return outcome
    adapter, project = ADAPTERS[outcome.task.project.language], outcome.task.project

    def hinted(case: TestCase) -> TestCase:
        hints = adapter.rerun_hints(project, case, layout)
        return replace(case, properties=(*case.properties, *hints))

    cases = tuple(hinted(case) if case.red else case for case in outcome.cases)
    return replace(outcome, cases=cases)


async def run_task(
    task: Task, layout: Layout, slots: int, timeout: float, fix: bool
) -> Outcome:
    """Run a task's commands in a fresh working directory and judge the results."""
    adapter = ADAPTERS[task.project.language]
    started, clock = utcnow(), time.monotonic()
    with _workspace(task.project, layout, slots, timeout, fix) as ctx:
        cases, properties = await _judged(adapter, task, ctx, layout)
    return Outcome(task, cases, started, time.monotonic() - clock, properties)


@contextmanager
def _workspace(
    project: Project, layout: Layout, slots: int, timeout: float, fix: bool = False
) -> Iterator[Context]:
    """A context whose working directory is fresh, and removed afterwards."""
    # Names of projects that share a directory name are paths: keep the prefix one name.
    prefix = f"tandem-{project.name.replace('/', '-')}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        dist = layout.output / project.name
        yield Context(
            layout.root, dist, layout.state, Path(workdir), slots, timeout, fix
        )


async def rerun_failed(
    layout: Layout,
    task: Task,
    slots: int,
    failed: tuple[TestCase, ...],
    budget: float,
) -> Round | None:
    """Each failed test run again alone, as the adapter says; None when it reruns none of them."""
    adapter, project = ADAPTERS[task.project.language], task.project
    deadline = time.monotonic() + budget
    with _workspace(project, layout, slots, budget) as ctx:
        try:
            commands = adapter.rerun_commands(project, failed, ctx)
        except Refusal:
            return None
        if not commands:
            return None
        commands = [_with_env(command, layout) for command in commands]
        return await _run_each(adapter, task, commands, ctx, deadline)


async def _run_each(
    adapter: Adapter,
    task: Task,
    commands: Sequence[Command],
    ctx: Context,
    deadline: float,
) -> Round:
    """Run and judge each command on its own, until the deadline."""
    cases: list[TestCase] = []
    for command in commands:
        left = deadline - time.monotonic()
        if left <= 0:
            return Round(tuple(cases), complete=False)
        results = await run_commands([command], left)
        cases.extend(_judge(adapter, task, results, ctx))
        if results[-1].timed_out or results[-1].interrupted:
            return Round(tuple(cases), complete=False)
    return Round(tuple(cases), complete=True)


async def _judged(
    adapter: Adapter, task: Task, ctx: Context, layout: Layout
) -> tuple[tuple[TestCase, ...], Properties]:
    """The task's cases and report properties; a refused step is one error case."""
    project, step = task.project, task.step
    try:
        commands = [_with_env(c, layout) for c in adapter.commands(project, step, ctx)]
        properties = adapter.properties(project, step, ctx)
    except Refusal as refused:
        case = error_case(project, refused.tool, refused.kind, refused.message)
        return (case,), ()
    results = await run_commands(commands, ctx.timeout)
    return _judge(adapter, task, results, ctx), properties + _cut(results)


def _judge(
    adapter: Adapter, task: Task, results: Sequence[ProcessResult], ctx: Context
) -> tuple[TestCase, ...]:
    """The adapter's cases; after an interrupt, with one that says so if none of them does."""
    cases = adapter.judge(task.project, task.step, results, ctx)
    last = results[-1] if results else None
    said = any(case.type == INTERRUPTED for case in cases)
    if last is None or not last.interrupted or said:
        return cases
    message = f"interrupted after {last.duration:.0f}s"
    case = step_case(task, Verdict.ERROR, INTERRUPTED, message)
    return (*cases, replace(case, text=describe(last)))


def _cut(results: Sequence[ProcessResult]) -> Properties:
    """How much output was cut to keep memory bounded, for the report to say."""
    cut = sum(result.cut for result in results)
    return (("tandem.output-cut", f"{cut} bytes"),) if cut else ()


def _with_env(command: Command, layout: Layout) -> Command:
    """Every tool learns where the root and the build output are."""
    env = {
        "TANDEM_ROOT": str(layout.root),
        "TANDEM_DIST": str(layout.output),
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
