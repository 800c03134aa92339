"""The pipeline as plain stage functions: discover, plan, run, report. The CLI and tasks.py call these."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tandem import DEFAULT_STATE
from tandem.cache import keys, noop
from tandem.cache.files import Contents, scan
from tandem.cache.keys import Settings
from tandem.cache.remote_settings import remote_settings
from tandem.cache.replay import Cache, replay_all
from tandem.cache.store import open_store
from tandem.config import Config, load_config
from tandem.discover import Discovery, discover
from tandem.lock import run_lock
from tandem.mask import Masker
from tandem.model import (
    UNAFFECTED,
    Layout,
    Outcome,
    Project,
    Step,
    TandemError,
    Task,
    Unwatched,
    Verdict,
    Watcher,
    case_for,
)
from tandem.plan import make_plan, matching, runs, with_selection, with_test_args
from tandem.report import files
from tandem.report.html import html_report
from tandem.report.junit import write_junit
from tandem.report.summary import markdown_summary

if TYPE_CHECKING:
    from tandem.affected import Selection
    from tandem.cache.remember import Invocation
    from tandem.shard import Shard
    from tandem.shard_plan import Share

CACHE = "cache"  # under the state directory

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
    select: str | None = (
        None  # `-k NAME`: only the tests whose name holds it, any language
    )
    cache: bool = True  # replay tasks whose inputs are unchanged; False: run everything
    changed_since: str | None = None  # a git ref: only the projects changed since it
    shard: Shard | None = None  # run and report only this share (`tandem.shard`)
    durations: tuple[Path, ...] = ()  # JUnit reports whose times deal out the shards


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
    left_out: tuple[Outcome, ...] = ()  # a skipped case per task it left out
    reported: frozenset[str] | None = None  # with `--shard`: the ids it reports

    def reports(self, outcome: Outcome) -> bool:
        """True for an outcome the report holds: all but the builds a shard ran for its tests."""
        return self.reported is None or outcome.task.id in self.reported


def run(
    root: Path,
    options: Options,
    watcher: Watcher | None = None,
    on_wait: Callable[[str], None] | None = None,
    remember_as: Invocation | None = None,
) -> RunResult:
    """Discover, plan, run and report; raises TandemError for usage and configuration mistakes.

    With `remember_as`, a run that replayed every task green is recorded for `tandem.cache.noop`.
    """
    since = time.time_ns()
    setup, junit = prepare(root.resolve(), options)
    with run_lock(setup.where.state, wait=options.wait, on_wait=on_wait or _quiet):
        noop.forget(str(setup.where.state))  # this run decides what the next may replay
        files.set_aside(junit)
        start = time.monotonic()
        cache = _cache(setup, options, junit) if setup.tasks else None
        ran, interrupted, said = run_tasks(
            setup, options, cache, watcher or Unwatched()
        )
        outcomes = [*filter(setup.reports, ran), *setup.left_out]
        elapsed = time.monotonic() - start
        landing = write_reports(
            junit, outcomes, elapsed, options.flavour, setup.where.root
        )
        warnings = setup.masker.deep((*setup.found.warnings, *said))
        result = RunResult(
            tuple(outcomes),
            elapsed,
            landing.junit,
            interrupted,
            warnings,
            landing.problem,
        )
        if remember_as and cache and _whole_replay(setup, options, result):
            _remember(remember_as, setup, options, cache, result, since)
    return result


def _whole_replay(setup: Setup, options: Options, result: RunResult) -> bool:
    """True for a green run that replayed every task of a plain plan: the next one of the same
    command may be a no-op (not a shard, not a change's selection, nothing to warn about).
    """
    plain = setup.reported is None and options.changed_since is None
    default_state = setup.where.state == setup.where.root / DEFAULT_STATE
    replayed = all(outcome.replayed for outcome in result.outcomes)
    return plain and default_state and replayed and bool(result) and not result.warnings


def _remember(
    invocation: Invocation,
    setup: Setup,
    options: Options,
    cache: Cache,
    result: RunResult,
    since: int,
) -> None:
    """Keep the record that lets the next run of the same command replay this one whole."""
    from tandem.cache.remember import remember  # only a run that replayed everything

    root = setup.where.root

    def writer(path: Path, outcomes: list[Outcome], elapsed: float) -> None:
        write_report_files(path, outcomes, elapsed, options.flavour, root)

    outcomes, junit = result.outcomes, result.junit
    remember(invocation, cache, setup.config, outcomes, junit, writer, since)


def prepare(root: Path, options: Options) -> tuple[Setup, Path]:
    """Everything a run needs before its first task, and the report path, checked writable."""
    config, found = find_projects(root)
    projects = with_test_args(found.projects, options.test_args)
    projects = with_selection(projects, options.select)
    junit = (options.junit or default_junit(root)).resolve()
    chosen = selection(root, config, found, options.changed_since, junit)
    named = _named(projects, options.projects, chosen)
    tasks = make_plan(projects, options.steps, named) if named is not None else ()
    where = layout(root, config)
    files.check_directory(where.state, "state directory")
    files.check_directory(where.output, "output directory")
    files.check_report(junit)
    # A mistake in the remote cache's settings is told before the last report moves.
    remote_settings(config.remote_cache, os.environ)
    masker = Masker.from_env(os.environ, config.secrets)
    left_out = _left_out(projects, options.steps, tasks, chosen)
    if options.shard is None:
        return Setup(where, config, found, tasks, masker, left_out), junit
    share = _share(tasks, options, where, found)
    # What a change left out is said once, by the first shard.
    left_out = left_out if options.shard.index == 1 else ()
    setup = Setup(where, config, found, share.runs, masker, left_out)
    return replace(setup, reported=share.reports), junit


def _share(
    tasks: Sequence[Task], options: Options, where: Layout, found: Discovery
) -> Share:
    """This shard's share of the plan, dealt by the recorded durations."""
    from tandem import shard_plan  # only a sharded run deals out work

    known = shard_plan.durations(where.state, options.durations)
    return shard_plan.share_of(tasks, options.shard, known, found.broken)


def default_junit(root: Path) -> Path:
    """Where the report goes unless `--junit` says otherwise."""
    return root / "reports" / "junit.xml"


def selection(
    root: Path, config: Config, found: Discovery, ref: str | None, junit: Path
) -> Selection | None:
    """The projects a change since the git `ref` affects; None when every project counts.

    Tandem's own output, state and report are no change, tracked by git or not.
    """
    if ref is None:
        return None
    from tandem import affected  # git runs through the event loop: only when asked

    where = layout(root, config)
    ignored = (where.state, where.output, *files.written(junit))
    return affected.select(root, found.projects, ref, ignored)


def _named(
    projects: Sequence[Project],
    patterns: Sequence[str],
    selection: Selection | None,
) -> tuple[str, ...] | None:
    """The projects to plan for: those named (() for all), less those left out; None for none."""
    if selection is None:
        return tuple(patterns)
    wanted = matching(projects, patterns) if patterns else {p.name for p in projects}
    chosen = tuple(name for name in selection.chosen if name in wanted)
    return chosen or None


def _left_out(
    projects: Sequence[Project],
    steps: Sequence[Step],
    tasks: Sequence[Task],
    selection: Selection | None,
) -> tuple[Outcome, ...]:
    """A skipped `[step]` case for each step a project left out by `--changed-since` would run."""
    if selection is None:
        return ()
    planned = {task.id for task in tasks}
    why = f"not run: nothing changed since {selection.ref} ({selection.base[:10]}) affects it"
    return tuple(
        case_for(task, Verdict.SKIPPED, UNAFFECTED, why)
        for project in projects
        if project.name in selection.left_out
        for task in (Task(project, step) for step in steps if runs(project, step))
        if task.id not in planned
    )


def _quiet(message: str) -> None:
    """No one to tell that the run waits."""


def run_tasks(
    setup: Setup, options: Options, cache: Cache | None, watcher: Watcher
) -> tuple[list[Outcome], bool, tuple[str, ...]]:
    """Stage 3: the outcomes; whether the run was interrupted; its warnings (durations lost,
    the remote cache).

    When the cache replays every task, nothing else is loaded: no event loop, no tools.
    """
    if not setup.tasks:
        return [], False, ()  # nothing to run (`--changed-since` left everything out)
    replayed = replay_all(setup.tasks, cache) if cache else None
    if replayed is not None:
        # Kept outcomes were masked before they were kept.
        watcher.planned(setup.tasks, {})
        for outcome in replayed:
            watcher.done(outcome)
        return replayed, False, cache.store.finish()
    # The event loop and the tools' commands are loaded only when a task runs.
    from tandem import engine

    outcomes, interrupted, saved = engine.run_all(setup, options, cache, watcher)
    said = cache.store.finish() if cache else ()
    return outcomes, interrupted, (*filter(None, [saved]), *said)


def _cache(setup: Setup, options: Options, junit: Path) -> Cache | None:
    """The run's cache with every task's key, replaying none with `--no-cache` (what goes
    green is still kept, and a build's marks stay true); None for `fmt --fix`."""
    if options.fix:
        return None
    where = setup.where
    skipped = (where.state, where.output, *files.written(junit))
    tree = scan(where.root, skipped, where.state / CACHE)
    timeout = options.timeout or setup.config.timeout
    settings = Settings(timeout, options.retries)
    found, contents = setup.found.projects, Contents(where.state / CACHE)
    broken = setup.found.broken
    task_keys = keys.task_keys(
        setup.tasks, found, tree, where.root, settings, contents=contents, broken=broken
    )
    contents.save()
    store = open_store(where.state / CACHE, setup.config, task_keys.values())
    return Cache(store, task_keys, where, replays=options.cache)


def write_reports(
    junit: Path, outcomes: list[Outcome], elapsed: float, flavour: str, root: Path
) -> files.Landing:
    """The report files at `junit`; elsewhere if need be."""

    def write(path: Path) -> None:
        write_report_files(path, outcomes, elapsed, flavour, root)

    return files.land(junit, write)


def write_report_files(
    path: Path, outcomes: list[Outcome], elapsed: float, flavour: str, root: Path
) -> None:
    """The JUnit file at `path`, the Markdown summary and the HTML page beside it."""
    write_junit(path, outcomes, flavour=flavour, elapsed=elapsed, root=root)
    files.write_atomic(path.parent / files.SUMMARY, markdown_summary(outcomes, elapsed))
    files.write_atomic(path.parent / files.HTML, html_report(outcomes, elapsed))
