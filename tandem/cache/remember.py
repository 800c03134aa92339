"""After a run that replayed every task: the record that lets the next one be a no-op.

What the record holds and how it is replayed is `tandem.cache.noop`'s; this module gathers it
from the run: what its keys and replays read (to be stat-ed again), what it wrote (rendered
anew with the clock as placeholders, by the same writers) and what it printed. Every file and
directory in it must be older than the run by a clock tick: one written since may have changed
unseen by its stat (git's racily clean entries), and then no record is kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import tandem
from tandem.adapters import ADAPTERS
from tandem.cache import noop
from tandem.cache.files import RACY_NS, Contents, indexed
from tandem.cache.replay import Cache
from tandem.config import Config
from tandem.model import Outcome, Step
from tandem.report import files
from tandem.walk import Rules, walk

# What the run printed, rendered from its outcomes, its elapsed time and its report's path.
Printed = Callable[[Sequence[Outcome], float, Path], str]
# The writer of the report files, as the run called it: (report path, outcomes, elapsed).
Writer = Callable[[Path, list[Outcome], float], object]
SENTINEL_START = datetime.strptime(noop.SENTINEL_START, "%Y-%m-%dT%H:%M:%S").replace(
    tzinfo=UTC
)


@dataclass(frozen=True)
class Invocation:
    """The command line a run is recorded for, and what it printed, rendered again."""

    argv: tuple[str, ...]
    printed: Printed


def remember(
    invocation: Invocation,
    cache: Cache,
    config: Config,
    outcomes: Sequence[Outcome],
    junit: Path,
    writer: Writer,
    since_ns: int,
) -> None:
    """Keep the record of this run for the next run of its command; none when a file it read
    is too new to be known by its stat."""
    where = cache.layout
    state = str(where.state)
    stats = _stats(cache, config, outcomes, junit, since_ns)
    if stats is None:
        return noop.forget(state)
    record = {
        "root": str(where.root),
        "state": state,
        "command": noop.invocation(list(invocation.argv), os.getcwd(), os.environ),
        **stats,
        "touched": [path for path, _ in stats["entries"]],
        "reports": _reports(junit, outcomes, writer),
        "stdout": invocation.printed(
            _clockless(outcomes), noop.SENTINEL_ELAPSED, junit
        ).encode(),
    }
    noop.write(state, record)


def _stats(
    cache: Cache,
    config: Config,
    outcomes: Sequence[Outcome],
    junit: Path,
    since_ns: int,
) -> dict[str, list] | None:
    """The stats of everything the run read, by kind; None when one changed during the run.

    The report's directory is known by its other entries' names: its own files change
    each run.
    """
    root, state = cache.layout.root, cache.layout.state
    tree_files, tree_dirs = indexed(root, state / "cache")
    file_paths = [*tree_files, *_tools(state), *_outputs(cache, outcomes)]
    dir_paths = [*tree_dirs, *_discovered(root, config), *_watched(outcomes)]
    reports = os.path.normpath(junit.parent)
    found = {
        "files": [(p, noop.signature(p)) for p in dict.fromkeys(file_paths)],
        "dirs": [
            (p, noop.folder(p))
            for p in dict.fromkeys(map(os.path.normpath, dir_paths))
            if p != reports
        ],
        "entries": [(p, noop.entry(p)) for p in _entries(cache, outcomes)],
        "present": [(p, os.path.lexists(p)) for p in _ancestors(Path.cwd())],
        "listings": [(reports, noop.listing(reports, _written(junit)))],
    }
    racy = since_ns - RACY_NS
    fresh = any(s and s[1] >= racy for _, s in found["files"]) or any(
        s and s[0] >= racy for _, s in found["dirs"]
    )
    return None if fresh else found


def _tools(state: Path) -> list[str]:
    """The tools and Tandem's own code, as the keys digested them (their stat memo's files)."""
    code = Path(tandem.__file__).parent
    return [*Contents(state / "cache").known, *map(str, sorted(code.rglob("*.py")))]


def _outputs(cache: Cache, outcomes: Sequence[Outcome]) -> list[str]:
    """Each build's mark and the files its outputs hold, as its replay found them."""
    found = []
    for outcome in outcomes:
        if outcome.task.step is Step.BUILD:
            found.append(str(cache.store.mark_file(outcome.task.project.name)))
            found += _kept_files(cache, outcome)
    return found


def _kept_files(cache: Cache, outcome: Outcome) -> list[str]:
    """The files of a build's outputs that its entry lists."""
    entry = cache.store.get(cache.keys[outcome.task.id]) or {}
    root = cache.layout.root
    return [
        str(root / directory / rel)
        for directory, kept in entry.get("outputs", {}).items()
        for rel in kept
    ]


def _entries(cache: Cache, outcomes: Sequence[Outcome]) -> list[str]:
    return [str(cache.store.entry_file(cache.keys[o.task.id])) for o in outcomes]


def _written(junit: Path) -> list[str]:
    return [path.name for path in files.written(junit)]


def _ancestors(cwd: Path) -> list[str]:
    """What decides the root from here: each directory's pyproject.toml and .git, up to /."""
    return [
        str(d / name)
        for d in (cwd, *cwd.parents)
        for name in ("pyproject.toml", ".git")
    ]


def _discovered(root: Path, config: Config) -> Iterable[str]:
    """Every directory discovery may look into (a project made there is a new task)."""
    rules = Rules.of((), config.exclude, (config.output, config.state))
    return (os.path.join(str(root), *parts) for parts, _ in walk(root, rules))


def _watched(outcomes: Sequence[Outcome]) -> list[str]:
    """The directories where the languages' tools are found."""
    languages = dict.fromkeys(o.task.project.language for o in outcomes)
    return [str(d) for language in languages for d in ADAPTERS[language].watched()]


def _reports(
    junit: Path, outcomes: Sequence[Outcome], writer: Writer
) -> list[tuple[str, str, bytes]]:
    """(path, where its previous one goes, its text with the clock as placeholders)."""
    with tempfile.TemporaryDirectory(prefix="tandem-noop-") as scratch:
        rendered = Path(scratch) / junit.name
        writer(rendered, _clockless(outcomes), noop.SENTINEL_ELAPSED)
        made = files.beside(rendered)
        return [
            (str(path), str(path) + files.PREVIOUS, written.read_bytes())
            for path, written in zip(files.beside(junit), made, strict=True)
        ]


def _clockless(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes replayed at the placeholder moment."""
    return [replace(o, started=SENTINEL_START) for o in outcomes]
