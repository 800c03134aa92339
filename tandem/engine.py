"""Stage 3: the plan runs on an event loop; a task becomes commands through its adapter, runs,
and is judged into an Outcome.

The function the scheduler calls is a chain of wrappers, outermost first: a broken project's
task is refused; the cache replays a task it knows (`tandem.cache.replay`); secrets are masked;
failed tests are rerun (`tandem.retry`); the task runs.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tandem import history
from tandem.adapters import ADAPTERS, Adapter, for_step
from tandem.adapters.base import Properties, Refusal, describe, error_case
from tandem.cache import stamps
from tandem.cache.replay import Cache, cached
from tandem.mask import Masker
from tandem.model import (
    INTERRUPTED,
    Command,
    Context,
    Execute,
    Layout,
    Outcome,
    ProcessResult,
    Project,
    Step,
    Task,
    TestCase,
    Verdict,
    Watcher,
    case_for,
    step_case,
)
from tandem.retry import Round, with_retries
from tandem.run import run_commands
from tandem.schedule import Budget, ProcStatGauge, run_plan
from tandem.versions import probe_versions

if TYPE_CHECKING:
    from tandem.workflow import Options, Setup


def run_all(
    setup: Setup, options: Options, cache: Cache | None, watcher: Watcher
) -> tuple[list[Outcome], bool, str]:
    """Run the plan: the outcomes; whether the run was interrupted; a warning if durations were lost."""
    return asyncio.run(_run_all(setup, options, cache, watcher))


async def _run_all(
    setup: Setup, options: Options, cache: Cache | None, watcher: Watcher
) -> tuple[list[Outcome], bool, str]:
    known = history.load_durations(setup.where.state)
    cores = history.load_cores(setup.where.state)
    stop = asyncio.Event()
    _on_signals(stop)
    jobs = options.jobs or setup.config.jobs
    watcher.planned(setup.tasks, known)
    outcomes = await run_plan(
        setup.tasks,
        _chain(setup, options, cache, watcher),
        Budget.for_machine(jobs),
        priority=history.critical_path(setup.tasks, known),
        cores=cores,
        fail_fast=options.fail_fast,
        gauge=None if jobs else ProcStatGauge(),
        stop=stop,
    )
    # Both are saved even when one cannot be: each only helps the next run.
    warnings = (
        history.save_durations(setup.where.state, known, outcomes),
        history.save_cores(setup.where.state, cores, outcomes),
    )
    saved = "; ".join(filter(None, warnings))
    if cache is not None and cache.kept:
        cache.store.evict()
    return outcomes, stop.is_set(), saved


def _chain(
    setup: Setup, options: Options, cache: Cache | None, watcher: Watcher
) -> Execute:
    """The wrappers around the run of a task, outermost first (see the module's docstring)."""
    timeout = options.timeout or setup.config.timeout
    where = setup.where
    execute = executor(where, timeout, fix=options.fix, retries=options.retries)
    execute = _masked(execute, setup.masker)
    if cache is not None:
        execute = cached(execute, cache)
    return _announced(execute, setup.found.broken, watcher)


def _masked(execute: Execute, masker: Masker) -> Execute:
    """Secrets masked before anyone, the cache included, sees an outcome."""

    async def masked(task: Task, slots: int) -> Outcome:
        return masker.outcome(await execute(task, slots))

    return masked


def _announced(
    execute: Execute, broken: Mapping[str, str], watcher: Watcher
) -> Execute:
    """The watcher hears of each task as it starts and ends; a broken project's tasks are one
    error case each."""

    async def announced(task: Task, slots: int) -> Outcome:
        watcher.started(task)
        problem = broken.get(task.project.name)
        outcome = (
            case_for(task, Verdict.ERROR, "tandem.project", f"not run: {problem}")
            if problem
            else await execute(task, slots)
        )
        watcher.done(outcome)
        return outcome

    return announced


def _on_signals(stop: asyncio.Event) -> None:
    """Ctrl-C, SIGTERM and SIGHUP stop the run cleanly instead of killing Tandem mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform


def executor(
    layout: Layout, timeout: float, *, fix: bool = False, retries: int = 0
) -> Execute:
    """Run one task with the slots it holds: reruns of failed tests, hints, tool versions."""
    versions = _Versions(layout)

    async def run(task: Task, slots: int) -> Outcome:
        return await run_task(task, layout, slots, task.project.timeout or timeout, fix)

    retrying = with_retries(run, partial(rerun_failed, layout), retries, timeout)

    async def execute(task: Task, slots: int) -> Outcome:
        probing = versions.start(for_step(task.project.language, task.step))
        outcome = with_rerun_hints(await retrying(task, slots), layout)
        return await versions.merged(outcome, probing)

    return execute


class _Versions:
    """Tool versions per adapter, probed once, when the first task it runs starts."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.probes: dict[str, asyncio.Future[Properties]] = {}

    def start(self, adapter: Adapter) -> asyncio.Future[Properties]:
        if adapter.LANGUAGE not in self.probes:
            probe = probe_versions(self.layout.root, self.layout.state, adapter)
            self.probes[adapter.LANGUAGE] = asyncio.ensure_future(probe)
        return self.probes[adapter.LANGUAGE]

    async def merged(
        self, outcome: Outcome, probing: asyncio.Future[Properties]
    ) -> Outcome:
        """The language's versions, overridden by what the task itself reported."""
        if outcome.interrupted and not probing.done():
            return outcome  # the run is stopping: no waiting for a probe
        try:
            probed = await asyncio.shield(probing)
        except asyncio.CancelledError:
            asyncio.current_task().uncancel()
            return outcome
        properties = {**dict(probed), **dict(outcome.properties)}
        return replace(outcome, properties=tuple(properties.items()))


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
    adapter = for_step(task.project.language, task.step)
    # To the microsecond: the HTML report's timeline places tasks by it (JUnit shows seconds).
    started, clock = datetime.now(UTC), time.monotonic()
    with _workspace(task.project, layout, slots, timeout, fix, task.part) as ctx:
        cases, properties, cpu = await _judged(adapter, task, ctx, layout)
    elapsed = time.monotonic() - clock
    return Outcome(task, cases, started, elapsed, properties, slots, cpu)


@contextmanager
def _workspace(
    project: Project,
    layout: Layout,
    slots: int,
    timeout: float,
    fix: bool = False,
    part: tuple[str, ...] = (),
) -> Iterator[Context]:
    """A context whose working directory is fresh, and removed afterwards."""
    # Names of projects that share a directory name are paths: keep the prefix one name.
    prefix = f"tandem-{project.name.replace('/', '-')}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        dist = layout.output / project.name
        yield Context(
            layout.root, dist, layout.state, Path(workdir), slots, timeout, fix, part
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
) -> tuple[tuple[TestCase, ...], Properties, float]:
    """The task's cases, report properties and CPU seconds; a refused step is one error case."""
    project, step = task.project, task.step
    try:
        commands = [_with_env(c, layout) for c in adapter.commands(project, step, ctx)]
        properties = adapter.properties(project, step, ctx)
    except Refusal as refused:
        case = error_case(project, refused.tool, refused.kind, refused.message)
        return (case,), (), 0.0
    results = await run_commands(commands, ctx.timeout)
    stamps.record(results)
    cpu = sum(result.cpu for result in results)
    return _judge(adapter, task, results, ctx), properties + _cut(results), cpu


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
