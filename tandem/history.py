"""What earlier runs learnt of each task, kept in the state directory: its duration (the
critical-path priorities come from them) and the CPUs it kept busy (the scheduler's charge).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from tandem.model import Outcome, Step, Task

FILE = "durations.json"
CORES = "cores.json"  # CPU time over wall time, per task id
# Guesses for tasks never run before: tests take longest, formatting is quick.
DEFAULT_SECONDS = {
    Step.GENERATE: 3.0,
    Step.BUILD: 5.0,
    Step.FMT: 1.0,
    Step.VET: 3.0,
    Step.TEST: 10.0,
}


def load_durations(state: Path) -> dict[str, float]:
    """Seconds per task id from earlier runs; empty when there are none or the file is unreadable."""
    return _load(state / FILE)


def load_cores(state: Path) -> dict[str, float]:
    """CPUs each task kept busy, on average, in its last run; empty when none is known."""
    return _load(state / CORES)


def _load(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {k: float(v) for k, v in data.items() if _seconds(v)}
        if isinstance(data, dict)
        else {}
    )


def junit_durations(reports: Sequence[Path]) -> dict[str, float]:
    """Seconds per task id from JUnit reports: suite `time`s, summed over same-named suites.

    A sharded task's parts add up to the whole, in one merged report or in the shards' own.
    A report that does not exist yet (CI's first run) gives nothing; one that is not JUnit
    is a TandemError.
    """
    # Only a run that names a report reads one.
    from tandem.report.merge import read_junit

    found: dict[str, float] = {}
    for path in reports:
        if not path.exists():
            continue
        for suite in read_junit(path).suites:
            if _seconds(suite.time):  # Tandem names a suite by its task id
                found[suite.name] = found.get(suite.name, 0.0) + suite.time
    return found


def _seconds(value: object) -> bool:
    # NaN or a negative time would scramble the priorities it sorts by.
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def save_durations(
    state: Path, known: Mapping[str, float], outcomes: Sequence[Outcome]
) -> str:
    """Record this run's task durations beside the known ones (atomically); a warning if it cannot."""
    learnt = {o.task.id: round(o.duration, 3) for o in _learning(outcomes)}
    return _save(state / FILE, "durations", known, learnt)


def save_cores(
    state: Path, known: Mapping[str, float], outcomes: Sequence[Outcome]
) -> str:
    """Record the CPUs each task of this run kept busy beside the known ones; a warning if it cannot."""
    ran = (o for o in _learning(outcomes) if o.cpu > 0)
    cores = {o.task.id: round(o.cpu / o.duration, 3) for o in ran}
    return _save(state / CORES, "CPU use", known, cores)


def _learning(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes that say something of their task's whole: run, not replayed; not
    interrupted; not a shard's part of it."""
    ran = (o for o in outcomes if not o.replayed and o.duration > 0)
    return [o for o in ran if not o.interrupted and not o.task.part]


def _save(
    path: Path, what: str, known: Mapping[str, float], learnt: Mapping[str, float]
) -> str:
    if not learnt:
        return ""  # nothing new to learn: a no-op run writes nothing
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**known, **learnt}, indent=0, sort_keys=True)
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        # History only orders and packs the next run: losing it must never cost the report.
        return f"{what} not saved to {path} ({exc.strerror or exc})"
    return ""


def critical_path(
    tasks: Sequence[Task], durations: Mapping[str, float]
) -> dict[str, float]:
    """Each task's priority: its own duration plus the longest chain of tasks waiting on it (for
    its outcome, or to start after it)."""
    dependents: dict[str, list[str]] = {t.id: [] for t in tasks}
    for task in tasks:
        for need in (*task.needs, *task.after):
            dependents.setdefault(need, []).append(task.id)
    own = {t.id: durations.get(t.id, DEFAULT_SECONDS[t.step]) for t in tasks}
    longest: dict[str, float] = {}

    def chain(task_id: str) -> float:
        if task_id not in longest:
            after = (chain(d) for d in dependents.get(task_id, ()))
            longest[task_id] = own.get(task_id, 0.0) + max(after, default=0.0)
        return longest[task_id]

    return {t.id: chain(t.id) for t in tasks}
