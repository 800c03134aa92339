"""The wrapper around the executor: a task whose key is in the cache is replayed, not run.

A green outcome is kept under its task's key; a later task with that key does not run, and its
outcome is replayed as it was, every case with its name, verdict, message, output and time, and
the `tandem.cached` suite property naming the key. A red or interrupted outcome is never kept,
so a red task always runs again. A build keeps its outputs beside its outcome, and a replayed
build restores them for the tasks that need them: plain files (binaries, wheels) from copies;
an environment only while it still holds what that very build made, else the build runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from tandem.adapters import ADAPTERS
from tandem.cache.codec import Malformed, outcome_data, outcome_from
from tandem.cache.store import Store
from tandem.model import (
    CACHED,
    Execute,
    Layout,
    Outcome,
    Output,
    Step,
    Task,
    utcnow,
)

Manifest = dict[
    str, dict[str, list]
]  # output directory -> file -> [digest, size, mode]
_DIGEST = re.compile(r"[0-9a-f]{64}")  # sha256, as Store.put_blob names blobs


@dataclass
class Cache:
    """The run's cache: its store, every task's key, and where outputs live."""

    store: Store
    keys: Mapping[str, str]
    layout: Layout
    replays: bool = (
        True  # False with `--no-cache`: every task runs, green ones are kept
    )
    replayed: dict[str, Outcome] = field(default_factory=dict)
    kept: int = 0  # outcomes kept this run: only then can the cache outgrow its limit

    def replay(self, task: Task, alone: bool = False) -> Outcome | None:
        """The task's outcome from the cache, its outputs restored; None when it must run.

        `alone`: no task after it runs, so a build whose environment cannot be put back is
        replayed all the same (what can be copied is restored; nothing vouches for the rest).
        """
        if not self.replays:
            return None
        if task.id in self.replayed:
            return self.replayed[task.id]
        key = self.keys.get(task.id)
        entry = self.store.get(key) if key else None
        outcome = _outcome(task, entry)
        if outcome is None:
            return None
        whole = self._whole(task, key)
        if not (whole or alone) or not self._restored(
            task, key, entry.get("outputs", {})
        ):
            return None
        # Replayed now, holding no CPU: the cases keep their times, the run's timeline its own.
        properties = (*outcome.properties, (CACHED, key))
        outcome = replace(outcome, started=utcnow(), slots=0, properties=properties)
        if (
            whole
        ):  # one that left an environment as it was is no replay for a task to use
            self.replayed[task.id] = outcome
        return outcome

    def forget(self, task: Task) -> None:
        """Before a build runs: its outputs no longer hold what an earlier build made."""
        if task.step is Step.BUILD:
            self.store.unmark(task.project.name)

    def keep(self, outcome: Outcome) -> None:
        """Keep a green outcome (and a build's outputs) under its task's key."""
        key = self.keys.get(outcome.task.id)
        if not key or not outcome or outcome.interrupted:
            return
        entry: dict[str, Any] = {"outcome": outcome_data(outcome)}
        try:
            if outcome.task.step is Step.BUILD:
                entry["outputs"] = self._kept_outputs(outcome.task)
            self.store.put(key, entry)
            self.kept += 1
        except OSError:
            return  # the cache is an optimisation: a full disk costs a rerun, not the report
        if outcome.task.step is Step.BUILD:
            self.store.mark(outcome.task.project.name, key)

    def _outputs(self, task: Task) -> tuple[Output, ...]:
        return ADAPTERS[task.project.language].outputs(task.project, self.layout)

    def _kept_outputs(self, task: Task) -> Manifest:
        """Copies of the portable outputs' files, listed by directory."""
        kept: Manifest = {}
        for output in self._outputs(task):
            if output.portable:
                kept[self._name(output.path)] = {
                    rel: [self.store.put_blob(path), st.st_size, st.st_mode & 0o7777]
                    for rel, path, st in _files(output.path)
                }
        return kept

    def _whole(self, task: Task, key: str) -> bool:
        """True unless the task is a build whose environment holds another build's making
        (plain files can always be put back)."""
        if task.step is not Step.BUILD or self.store.marked(task.project.name) == key:
            return True
        return all(output.portable for output in self._outputs(task))

    def _restored(self, task: Task, key: str, manifest: Manifest) -> bool:
        """True when a build's plain outputs hold what the build `key` made, restoring files
        where not; the outputs are marked as that build's when all of them do."""
        if task.step is not Step.BUILD:
            return True
        if not isinstance(manifest, dict):
            return False  # not a manifest this module wrote
        intact = self.store.marked(task.project.name) == key
        outputs = self._outputs(task)
        for output in (output for output in outputs if output.portable):
            files = manifest.get(self._name(output.path))
            if not _restore(self.store, output.path, files, intact):
                return False
        if not intact and all(output.portable for output in outputs):
            self.store.mark(task.project.name, key)
        return True

    def _name(self, path: Path) -> str:
        """An output directory as the entry names it: relative to the root, where it can be."""
        root = self.layout.root
        return (
            path.relative_to(root).as_posix()
            if path.is_relative_to(root)
            else str(path)
        )


def cached(execute: Execute, cache: Cache) -> Execute:
    """`execute`, for tasks the cache cannot replay; their green outcomes are kept."""

    async def run(task: Task, slots: int) -> Outcome:
        replayed = cache.replay(task)
        if replayed is not None:
            return replayed
        cache.forget(task)
        outcome = await execute(task, slots)
        cache.keep(outcome)
        return outcome

    return run


def replay_all(tasks: Sequence[Task], cache: Cache) -> list[Outcome] | None:
    """Every task's outcome from the cache, or None as soon as one must run.

    When all replay, none runs: a build's environment is not needed, only its verdict (a
    fresh clone replays a Python build from a shared cache without making the environment).
    """
    outcomes = []
    for task in tasks:
        outcome = cache.replay(task, alone=True)
        if outcome is None:
            return None
        outcomes.append(outcome)
    return outcomes


def _outcome(task: Task, entry: Any) -> Outcome | None:
    """The kept outcome, if the entry holds a green one."""
    if not isinstance(entry, dict):
        return None
    try:
        outcome = outcome_from(task, entry.get("outcome"))
    except Malformed:
        return None
    return outcome if outcome and not outcome.interrupted else None


def _restore(store: Store, directory: Path, files: Any, intact: bool) -> bool:
    """Put back each kept file that is not there as it was; False when one cannot be."""
    try:
        kept = [
            (directory / rel, digest, size, mode)
            for rel, (digest, size, mode) in files.items()
            if _sound(rel, digest, size, mode)
        ]
    except (AttributeError, TypeError, ValueError):
        return False  # not a manifest this module wrote
    if len(kept) != len(files):
        return False  # a path out of the directory, or a digest that names no blob
    return all(
        (intact and _size(target) == size) or store.restore_blob(digest, target, mode)
        for target, digest, size, mode in kept
    )


def _sound(rel: Any, digest: Any, size: Any, mode: Any) -> bool:
    """A manifest line as this module writes it: a path inside the output directory, a
    digest, a size and a mode (a remote server's entry is not trusted further than that).
    """
    inside = isinstance(rel, str) and rel and not PurePosixPath(rel).is_absolute()
    inside = inside and ".." not in PurePosixPath(rel).parts
    named = isinstance(digest, str) and _DIGEST.fullmatch(digest) is not None
    return bool(inside and named) and isinstance(size, int) and isinstance(mode, int)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _files(directory: Path) -> list[tuple[str, Path, os.stat_result]]:
    """(relative path, path, stat) of each file below a directory."""
    found = []
    for folder, _, names in os.walk(directory):
        for name in names:
            path = Path(folder, name)
            found.append((path.relative_to(directory).as_posix(), path, path.stat()))
    return found
