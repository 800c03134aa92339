"""The pipeline as plain stage functions: discover, plan, run, report. The CLI and tasks.py call these."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tandem import history
from tandem.config import Config, load_config
from tandem.discover import Discovery, discover
from tandem.engine import executor, probe_versions
from tandem.model import Layout, Outcome, Step, TandemError, Task
from tandem.plan import make_plan
from tandem.report.junit import write_junit
from tandem.report.summary import markdown_summary
from tandem.schedule import Budget, ProcStatGauge, run_plan

EXIT_OK, EXIT_RED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Options:
    """What to run and how: the command line's choices."""

    steps: tuple[Step, ...] = tuple(Step)
    projects: tuple[str, ...] = ()
    jobs: int | None = None
    timeout: float | None = None
    fail_fast: bool = False
    junit: Path | None = None  # default: <root>/reports/junit.xml
    flavour: str = "strict"
    fix: bool = False


@dataclass(frozen=True)
class RunResult:
    """A finished run: truthy when everything is green."""

    outcomes: tuple[Outcome, ...]
    elapsed: float
    junit: Path
    interrupted: bool = False
    warnings: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """0 green, 1 anything red, 130 interrupted."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if all(self.outcomes) else EXIT_RED

    def __bool__(self) -> bool:
        return self.exit_code == EXIT_OK


def find_projects(root: Path) -> tuple[Config, Discovery]:
    """Stage 1: the configuration and the projects under `root`; a TandemError when there are none."""
    config = load_config(root)
    found = discover(root, config)
    if not found.projects:
        where = ", ".join(config.include) or "every directory"
        raise TandemError(
            f"no projects found under {root} (looked in {where}); "
            "add a go.mod or pyproject.toml there, or set [tool.tandem] include"
        )
    return config, found


def layout(root: Path, config: Config) -> Layout:
    """The absolute build output and state directories the config names under `root`."""
    return Layout(root, root / config.output, root / config.state)


def run(
    root: Path, options: Options, on_done: Callable[[Outcome], None] | None = None
) -> RunResult:
    """Discover, plan, run and report; raises TandemError for usage and configuration mistakes."""
    root = root.resolve()
    config, found = find_projects(root)
    tasks = make_plan(found.projects, options.steps, options.projects)
    junit = (options.junit or root / "reports" / "junit.xml").resolve()
    start = time.monotonic()
    outcomes, interrupted = asyncio.run(
        _run_tasks(root, config, tasks, options, on_done)
    )
    result = RunResult(
        tuple(outcomes), time.monotonic() - start, junit, interrupted, found.warnings
    )
    write_reports(result, options.flavour, root)
    return result


async def _run_tasks(
    root: Path, config: Config, tasks: Sequence[Task], options: Options, on_done
) -> tuple[list[Outcome], bool]:
    where = layout(root, config)
    known = history.load_durations(where.state)
    stop = asyncio.Event()
    _on_signals(stop)
    # Tool versions are only needed for the report: probe them while the tasks run.
    probing = asyncio.ensure_future(
        probe_versions(root, {t.project.language for t in tasks})
    )
    timeout = options.timeout or config.timeout
    execute = executor(where, timeout, fix=options.fix, on_done=on_done)
    outcomes = await run_plan(
        tasks,
        execute,
        Budget.for_machine(options.jobs or config.jobs),
        priority=history.critical_path(tasks, known),
        fail_fast=options.fail_fast,
        gauge=None if (options.jobs or config.jobs) else ProcStatGauge(),
        stop=stop,
    )
    history.save_durations(where.state, known, outcomes)
    versions = await probing
    outcomes = [
        replace(o, properties=_merged(versions.get(o.task.project.language, ()), o))
        for o in outcomes
    ]
    return outcomes, stop.is_set()


def _merged(probed: tuple[tuple[str, str], ...], outcome: Outcome):
    """The language's probed tool versions, overridden by what the task itself reported."""
    return tuple({**dict(probed), **dict(outcome.properties)}.items())


def _on_signals(stop: asyncio.Event) -> None:
    """Ctrl-C and SIGTERM stop the run cleanly instead of killing Tandem mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform


def write_reports(result: RunResult, flavour: str, root: Path) -> None:
    """The JUnit file and the Markdown summary beside it."""
    result.junit.parent.mkdir(parents=True, exist_ok=True)
    write_junit(
        result.junit,
        result.outcomes,
        flavour=flavour,
        elapsed=result.elapsed,
        root=root,
    )
    summary = result.junit.parent / "summary.md"
    summary.write_text(
        markdown_summary(result.outcomes, result.elapsed), encoding="utf-8"
    )
