"""The pipeline as plain stage functions: discover, plan, run, report. The CLI and tasks.py call these."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tandem import history
from tandem.config import Config, load_config
from tandem.discover import Discovery, discover
from tandem.engine import executor, probe_versions
from tandem.lock import run_lock
from tandem.mask import Masker
from tandem.model import Layout, Outcome, Step, TandemError, Task, Verdict
from tandem.plan import make_plan, with_test_args
from tandem.report import files
from tandem.report.junit import write_junit
from tandem.report.summary import markdown_summary
from tandem.schedule import Budget, Execute, ProcStatGauge, case_for, run_plan

EXIT_OK, EXIT_RED, EXIT_USAGE, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


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
    retries: int = 0  # reruns of failed tests, for projects without a `retries` setting
    wait: bool = True  # for another run on the same root; False: a usage error at once
    test_args: tuple[str, ...] = ()  # after `--`: handed to every test tool


@dataclass(frozen=True)
class RunResult:
    """A finished run: truthy when everything is green."""

    outcomes: tuple[Outcome, ...]
    elapsed: float
    junit: Path
    interrupted: bool = False
    warnings: tuple[str, ...] = field(default=())
    lost: str = ""  # why the report is not where it was asked for ("" when it is)

    @property
    def exit_code(self) -> int:
        """0 green, 1 anything red or the report not where asked, 130 interrupted."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if all(self.outcomes) and not self.lost else EXIT_RED

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


@dataclass(frozen=True)
class Setup:
    """One run's inputs, prepared before any task starts."""

    where: Layout
    config: Config
    found: Discovery
    tasks: tuple[Task, ...]
    masker: Masker


def run(
    root: Path,
    options: Options,
    on_done: Callable[[Outcome], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> RunResult:
    """Discover, plan, run and report; raises TandemError for usage and configuration mistakes."""
    setup, junit = prepare(root.resolve(), options)
    with run_lock(setup.where.state, wait=options.wait, on_wait=on_wait or _quiet):
        files.set_aside(junit)
        start = time.monotonic()
        outcomes, interrupted, saved = asyncio.run(_run_tasks(setup, options, on_done))
        elapsed = time.monotonic() - start
        landing = write_reports(
            junit, outcomes, elapsed, options.flavour, setup.where.root
        )
    warnings = setup.masker.deep((*setup.found.warnings, *filter(None, [saved])))
    return RunResult(
        tuple(outcomes), elapsed, landing.junit, interrupted, warnings, landing.problem
    )


def prepare(root: Path, options: Options) -> tuple[Setup, Path]:
    """Everything a run needs before its first task, and the report path, checked writable."""
    config, found = find_projects(root)
    projects = with_test_args(found.projects, options.test_args)
    tasks = make_plan(projects, options.steps, options.projects)
    where = layout(root, config)
    junit = (options.junit or root / "reports" / "junit.xml").resolve()
    files.check_directory(where.state, "state directory")
    files.check_directory(where.output, "output directory")
    files.check_report(junit)
    masker = Masker.from_env(os.environ, config.secrets)
    return Setup(where, config, found, tasks, masker), junit


def _quiet(message: str) -> None:
    """No one to tell that the run waits."""


async def _run_tasks(
    setup: Setup, options: Options, on_done: Callable[[Outcome], None] | None
) -> tuple[list[Outcome], bool, str]:
    """The outcomes, masked; whether the run was interrupted; a warning if durations were lost."""
    known = history.load_durations(setup.where.state)
    stop = asyncio.Event()
    _on_signals(stop)
    # Tool versions are only needed for the report: probe them while the tasks run.
    languages = {t.project.language for t in setup.tasks}
    probing = asyncio.ensure_future(probe_versions(setup.where.root, languages))
    jobs = options.jobs or setup.config.jobs
    outcomes = await run_plan(
        setup.tasks,
        _execute(setup, options, on_done),
        Budget.for_machine(jobs),
        priority=history.critical_path(setup.tasks, known),
        fail_fast=options.fail_fast,
        gauge=None if jobs else ProcStatGauge(),
        stop=stop,
    )
    saved = history.save_durations(setup.where.state, known, outcomes)
    versions = await probing
    outcomes = [
        replace(o, properties=_merged(versions.get(o.task.project.language, ()), o))
        for o in outcomes
    ]
    return [setup.masker.outcome(o) for o in outcomes], stop.is_set(), saved


def _execute(
    setup: Setup, options: Options, on_done: Callable[[Outcome], None] | None
) -> Execute:
    """Run a task, or refuse one of a broken project; its outcome is masked before anyone sees it."""
    timeout = options.timeout or setup.config.timeout
    execute = executor(setup.where, timeout, fix=options.fix, retries=options.retries)

    async def masked(task: Task, slots: int) -> Outcome:
        problem = setup.found.broken.get(task.project.name)
        outcome = (
            case_for(task, Verdict.ERROR, "tandem.project", f"not run: {problem}")
            if problem
            else await execute(task, slots)
        )
        outcome = setup.masker.outcome(outcome)
        if on_done:
            on_done(outcome)
        return outcome

    return masked


def _merged(probed: tuple[tuple[str, str], ...], outcome: Outcome):
    """The language's probed tool versions, overridden by what the task itself reported."""
    return tuple({**dict(probed), **dict(outcome.properties)}.items())


def _on_signals(stop: asyncio.Event) -> None:
    """Ctrl-C, SIGTERM and SIGHUP stop the run cleanly instead of killing Tandem mid-write."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals on this platform


def write_reports(
    junit: Path, outcomes: list[Outcome], elapsed: float, flavour: str, root: Path
) -> files.Landing:
    """The JUnit file and the Markdown summary beside it; in a temporary directory if need be."""

    def write(path: Path) -> None:
        write_junit(path, outcomes, flavour=flavour, elapsed=elapsed, root=root)
        summary = markdown_summary(outcomes, elapsed)
        files.write_atomic(path.parent / files.SUMMARY, summary)

    return files.land(junit, write)
