"""A shard's share of a plan: the work as units, split below a project that dominates, dealt
out by `tandem.shard`; then the tasks this shard runs and those its report holds.

A shard runs its units and every build they need, wherever that build was dealt (the cache
often replays it), and reports only its units: the shards' reports hold disjoint cases, and
`tandem merge` of all of them holds the unsharded run's. A task dealt to a shard in part is
one task there whose `part` names its pieces, reported under the whole task's id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tandem import history
from tandem.adapters import Probe, for_step
from tandem.model import Command, ProcessResult, Task
from tandem.shard import Shard, Unit, assign, dominant, load, split

PROBE_TIMEOUT = 120.0  # seconds for a command that lists a step's parts (`go list`)
SHOWN_PARTS = 3  # parts named per task by `tandem list --shard`


@dataclass(frozen=True)
class Share:
    """One shard's work."""

    # In plan order: its tasks and parts, and the builds they need.
    runs: tuple[Task, ...]
    reports: frozenset[str]  # ids of the tasks its report holds
    seconds: Mapping[str, float]  # expected, per reported task (its part's share)
    total: float  # expected seconds of everything it runs


def durations(state: Path, reports: Sequence[Path]) -> dict[str, float]:
    """Recorded seconds per task id: from the JUnit reports named, else the state's record."""
    return (
        history.junit_durations(reports) if reports else history.load_durations(state)
    )


def share_of(
    tasks: Sequence[Task],
    shard: Shard,
    known: Mapping[str, float],
    broken: Collection[str] = (),
    probe: Probe | None = None,
) -> Share:
    """Shard `shard`'s share of the plan `tasks`, by the durations `known`."""
    units, costs = work_units(tasks, shard.total, known, broken, probe or _probe)
    dealt = assign(units, shard.total, costs)[shard.index - 1]
    return _share(tasks, units, dealt, costs)


def work_units(
    tasks: Sequence[Task],
    total: int,
    known: Mapping[str, float],
    broken: Collection[str],
    probe: Probe,
) -> tuple[tuple[Unit, ...], dict[str, float]]:
    """Every task as a unit, a dominant one as its parts; and each task's expected seconds."""
    by_id = {task.id: task for task in tasks}
    costs = {t.id: known.get(t.id, history.DEFAULT_SECONDS[t.step]) for t in tasks}
    everything = sum(costs.values())
    units: list[Unit] = []
    for task in tasks:
        unit = Unit(task.id, costs[task.id], needs=_closure(task, by_id))
        # A broken project's step is one error case: in parts it would be one per shard.
        splits = dominant(unit.seconds, everything, total)
        splits = splits and task.project.name not in broken
        units.extend(split(unit, _parts(task, probe) if splits else ()))
    return tuple(units), costs


def _parts(task: Task, probe: Probe) -> tuple[str, ...]:
    adapter = for_step(task.project.language, task.step)
    return adapter.parts(task.project, task.step, probe)


def _closure(task: Task, by_id: Mapping[str, Task]) -> tuple[str, ...]:
    """The ids of the tasks `task` waits for, directly or not."""
    seen: set[str] = set()
    stack = [need for need in task.needs if need in by_id]
    while stack:
        need = stack.pop()
        if need not in seen:
            seen.add(need)
            stack.extend(n for n in by_id[need].needs if n in by_id)
    return tuple(sorted(seen))


def _share(
    tasks: Sequence[Task],
    units: Sequence[Unit],
    dealt: Sequence[Unit],
    costs: Mapping[str, float],
) -> Share:
    """The tasks that the units `dealt` make, with the tasks they need."""
    every = _parts_by_task(units)
    mine = _parts_by_task(dealt)
    needed = {need for unit in dealt for need in unit.needs}
    runs = tuple(
        _part_of(task, mine[task.id], every[task.id]) if task.id in mine else task
        for task in tasks
        if task.id in mine or task.id in needed
    )
    seconds = {task: 0.0 for task in mine}
    for unit in dealt:
        seconds[unit.task] += unit.seconds
    return Share(runs, frozenset(mine), seconds, load(dealt, costs))


def _parts_by_task(units: Sequence[Unit]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for unit in units:
        found.setdefault(unit.task, []).append(unit.part)
    return found


def _part_of(task: Task, mine: list[str], every: list[str]) -> Task:
    """The task, with `part` naming its pieces when the shard holds only some of them."""
    whole = sorted(mine) == sorted(every)
    return task if whole else replace(task, part=tuple(sorted(mine)))


def _probe(command: Command) -> ProcessResult:
    """Run a command that lists parts, through the one module that spawns processes."""
    from tandem.run import run_commands_sync  # only a dominant step is ever listed

    return run_commands_sync([command], PROBE_TIMEOUT)[-1]


def describe(share: Share, shard: Shard) -> list[str]:
    """`tandem list --shard`: the shard's tasks, their parts and expected seconds."""
    count = len(share.reports)
    tasks = f"{count} task{'' if count == 1 else 's'}"
    last = f"shard {shard}: {tasks}, about {share.total:.1f}s"
    return [*(_listed(task, share) for task in share.runs), last]


def _listed(task: Task, share: Share) -> str:
    if task.id not in share.reports:
        return f"{task.id:<40} {'':>8}  needed here; reported by its own shard"
    return f"{task.id:<40} {share.seconds[task.id]:>7.1f}s{_shown(task.part)}"


def _shown(part: tuple[str, ...]) -> str:
    if not part:
        return ""
    named = ", ".join(part[:SHOWN_PARTS])
    more = f" and {len(part) - SHOWN_PARTS} more" if len(part) > SHOWN_PARTS else ""
    return f"  part: {named}{more}"
